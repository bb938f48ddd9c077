//! Question sets: frozen, versioned collections of approved questions, chosen by id, by a
//! filter, by a stratified sampler or by the 登记 composer (`sampling`). Freezing copies each
//! member as it is (its revision number and what filings show), in one transaction that holds
//! the questions' write lock, so a set is one consistent moment of the store.

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::page::{PageRequest, keyset_page};
use super::versioned_change::begin_write;
use super::{AppState, ServiceError};
use crate::domain::field_error::{FieldError, one_of};
use crate::domain::question_set::{SetDescription, SetName};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::messages::{Message, msg};
use crate::sampling::{
    self, Allocation, Candidate, ComposeSpec, SampleError, SampleSpec, Shortfall, Stratum, Wanted,
};
use crate::store::entities::{question, question_set, question_set_member};
use crate::taxonomy::{Taxonomy, risk_in};

/// Members are written this many to a statement (13 values each: under SQLite's 32 766).
const INSERT_CHUNK: usize = 1000;

/// Which approved questions a set may draw from (empty lists: any).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pool {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<QuestionKind>,
    /// Risk codes or groups (`A.1`, `A.2.c`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub behaviors: Vec<ExpectedBehavior>,
}

impl Pool {
    fn keeps(&self, q: &QuestionFacts) -> bool {
        let risk_ok = self.risks.is_empty()
            || q.risk
                .as_deref()
                .is_some_and(|risk| self.risks.iter().any(|wanted| risk_in(risk, wanted)));
        (self.kinds.is_empty() || self.kinds.contains(&q.kind))
            && risk_ok
            && (self.aspects.is_empty()
                || q.aspect
                    .as_deref()
                    .is_some_and(|a| self.aspects.iter().any(|w| w == a)))
            && self.high_risk.is_none_or(|high| high == q.high_risk)
            && (self.behaviors.is_empty()
                || q.expected_behavior
                    .is_some_and(|b| self.behaviors.contains(&b)))
    }

    /// Refuses codes the taxonomy does not have.
    fn check(&self, taxonomy: &Taxonomy) -> Result<(), FieldError> {
        if let Some(risk) = self
            .risks
            .iter()
            .find(|r| !taxonomy.is_group(r) && taxonomy.risk(r).is_none())
        {
            return Err(FieldError::unprocessable(
                "risks",
                msg!("unknown_risk", code = risk),
            ));
        }
        if let Some(aspect) = self
            .aspects
            .iter()
            .find(|a| !taxonomy.aspects.iter().any(|known| &known.code == *a))
        {
            return Err(FieldError::unprocessable(
                "aspects",
                msg!("unknown_aspect", code = aspect),
            ));
        }
        Ok(())
    }
}

/// A stratified sample, as asked and recorded (with the seed it used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SampleRecipe {
    pub pool: Pool,
    pub stratify_by: Stratum,
    /// Proportional: this many in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Fixed: this many from each stratum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_stratum: Option<u64>,
    pub min_per_stratum: u64,
    /// Strata drawn from even when empty (their shortfall is then reported).
    pub required_strata: Vec<String>,
    pub exclude_sets: Vec<i64>,
    /// Leave out questions that nearly duplicate an earlier one.
    pub exclude_near_duplicates: bool,
    pub seed: u64,
}

/// The 登记 composer's bounds, as asked and recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComposeRecipe {
    pub size: u64,
    pub min_high_risk: u64,
    pub max_refusals: u64,
    pub min_per_risk: u64,
    pub risks: Vec<String>,
    pub seed: u64,
    /// The live sets when the set was composed: their members count as used (filled in when
    /// the set is made, so the recipe alone says what the draw saw).
    #[serde(default)]
    pub used_sets: Vec<i64>,
}

/// How a set's members were chosen: stored with the set, so a sample can be drawn again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Recipe {
    /// These questions.
    Ids {
        ids: Vec<i64>,
    },
    /// Every approved question the pool keeps.
    Filter {
        pool: Pool,
    },
    Sample(SampleRecipe),
    Compose(ComposeRecipe),
}

/// The sampler presets of TC260-003 §9.3 and §9.4, and the 登记 composer's defaults.
pub mod presets {
    use super::*;

    /// §9.3: at least 1 000 generation questions, every risk represented.
    pub fn generation_9_3(taxonomy: &Taxonomy, seed: u64) -> SampleRecipe {
        SampleRecipe {
            pool: Pool {
                kinds: vec![QuestionKind::Generation],
                ..Pool::default()
            },
            stratify_by: Stratum::Risk,
            size: Some(1000),
            per_stratum: None,
            min_per_stratum: 1,
            required_strata: taxonomy.risks.iter().map(|r| r.code.clone()).collect(),
            exclude_sets: Vec::new(),
            exclude_near_duplicates: true,
            seed,
        }
    }

    /// §9.4: 300 must-refuse and 300 must-not-refuse questions.
    pub fn refusal_9_4(seed: u64) -> SampleRecipe {
        SampleRecipe {
            pool: Pool {
                kinds: vec![QuestionKind::MustRefuse, QuestionKind::MustNotRefuse],
                ..Pool::default()
            },
            stratify_by: Stratum::Kind,
            size: None,
            per_stratum: Some(300),
            min_per_stratum: 0,
            required_strata: vec![
                QuestionKind::MustRefuse.as_str().to_owned(),
                QuestionKind::MustNotRefuse.as_str().to_owned(),
            ],
            exclude_sets: Vec::new(),
            exclude_near_duplicates: true,
            seed,
        }
    }

    /// 登记: 1 000 questions, ≥ 500 high-risk, ≤ 50 expected refusals, and 20 high-risk answer
    /// questions in each of the 17 A.1 / A.2 risks.
    pub fn registration(taxonomy: &Taxonomy, seed: u64) -> ComposeRecipe {
        ComposeRecipe {
            size: 1000,
            min_high_risk: 500,
            max_refusals: 50,
            min_per_risk: 20,
            risks: taxonomy
                .risks
                .iter()
                .filter(|r| r.group_code == "A.1" || r.group_code == "A.2")
                .map(|r| r.code.clone())
                .collect(),
            seed,
            used_sets: Vec::new(),
        }
    }
}

/// How a set is asked for (by the API or the command line), before a preset's values fill
/// what it leaves out. `method` is `ids`, `filter`, `sample` or `compose`; presets are
/// `tc260-9.3`, `tc260-9.4` (samples) and `registration` (the composer).
#[derive(Debug, Clone, Default)]
pub struct RecipeRequest {
    pub method: Option<String>,
    pub preset: Option<String>,
    pub ids: Option<Vec<i64>>,
    pub pool: Option<Pool>,
    pub stratify_by: Option<Stratum>,
    pub size: Option<u64>,
    pub per_stratum: Option<u64>,
    pub min_per_stratum: Option<u64>,
    pub required_strata: Option<Vec<String>>,
    pub exclude_sets: Option<Vec<i64>>,
    pub exclude_near_duplicates: Option<bool>,
    pub seed: Option<u64>,
    pub min_high_risk: Option<u64>,
    pub max_refusals: Option<u64>,
    pub min_per_risk: Option<u64>,
    pub risks: Option<Vec<String>>,
}

/// How a set's members may be chosen.
pub const METHODS: [&str; 4] = ["ids", "filter", "sample", "compose"];
/// The named recipes: TC260-003 §9.3 and §9.4 samples, the 登记 composer.
pub const PRESETS: [&str; 3] = ["tc260-9.3", "tc260-9.4", "registration"];

impl RecipeRequest {
    /// The recipe asked for: the preset's values where the request gives none, a new seed
    /// (recorded) when it names none.
    pub fn recipe(self, taxonomy: &Taxonomy) -> Result<Recipe, FieldError> {
        let preset = match self.preset.as_deref() {
            Some(raw) => Some(one_of("preset", msg!("noun_preset"), &PRESETS, |p| p, raw)?),
            None => None,
        };
        let method_of_preset = preset.map(|p| {
            if p == "registration" {
                "compose"
            } else {
                "sample"
            }
        });
        let method = match (self.method.as_deref(), method_of_preset) {
            (Some(raw), of_preset) => {
                let method = one_of("method", msg!("noun_method"), &METHODS, |m| m, raw)?;
                if of_preset.is_some_and(|of_preset| of_preset != method) {
                    return Err(FieldError::unprocessable(
                        "method",
                        msg!("field_not_for_method", field = "preset", method = method),
                    ));
                }
                method
            }
            (None, Some(of_preset)) => of_preset,
            (None, None) => return Err(FieldError::new("method", msg!("method_missing"))),
        };
        self.refuse_fields_not_for(method)?;
        let seed = self.seed.unwrap_or_else(fresh_seed);
        Ok(match method {
            "ids" => Recipe::Ids {
                ids: self.ids.unwrap_or_default(),
            },
            "filter" => Recipe::Filter {
                pool: self.pool.unwrap_or_default(),
            },
            "sample" => {
                let mut sample = match preset {
                    Some("tc260-9.3") => presets::generation_9_3(taxonomy, seed),
                    Some("tc260-9.4") => presets::refusal_9_4(seed),
                    _ => SampleRecipe {
                        pool: Pool::default(),
                        stratify_by: Stratum::Risk,
                        size: None,
                        per_stratum: None,
                        min_per_stratum: 0,
                        required_strata: Vec::new(),
                        exclude_sets: Vec::new(),
                        exclude_near_duplicates: true,
                        seed,
                    },
                };
                sample.pool = self.pool.unwrap_or(sample.pool);
                sample.stratify_by = self.stratify_by.unwrap_or(sample.stratify_by);
                if self.size.is_some() || self.per_stratum.is_some() {
                    sample.size = self.size;
                    sample.per_stratum = self.per_stratum;
                }
                sample.min_per_stratum = self.min_per_stratum.unwrap_or(sample.min_per_stratum);
                sample.required_strata = self.required_strata.unwrap_or(sample.required_strata);
                sample.exclude_sets = self.exclude_sets.unwrap_or_default();
                sample.exclude_near_duplicates = self
                    .exclude_near_duplicates
                    .unwrap_or(sample.exclude_near_duplicates);
                Recipe::Sample(sample)
            }
            _ => {
                let defaults = presets::registration(taxonomy, seed);
                Recipe::Compose(ComposeRecipe {
                    size: self.size.unwrap_or(defaults.size),
                    min_high_risk: self.min_high_risk.unwrap_or(defaults.min_high_risk),
                    max_refusals: self.max_refusals.unwrap_or(defaults.max_refusals),
                    min_per_risk: self.min_per_risk.unwrap_or(defaults.min_per_risk),
                    risks: self.risks.unwrap_or(defaults.risks),
                    seed,
                    used_sets: Vec::new(),
                })
            }
        })
    }
}

impl RecipeRequest {
    /// Refuses a field `method` does not read, naming it: a field silently ignored would make
    /// a set other than the one asked for.
    fn refuse_fields_not_for(&self, method: &'static str) -> Result<(), FieldError> {
        let given = [
            ("ids", self.ids.is_some(), &["ids"][..]),
            ("pool", self.pool.is_some(), &["filter", "sample"]),
            ("stratify_by", self.stratify_by.is_some(), &["sample"]),
            ("size", self.size.is_some(), &["sample", "compose"]),
            ("per_stratum", self.per_stratum.is_some(), &["sample"]),
            (
                "min_per_stratum",
                self.min_per_stratum.is_some(),
                &["sample"],
            ),
            (
                "required_strata",
                self.required_strata.is_some(),
                &["sample"],
            ),
            ("exclude_sets", self.exclude_sets.is_some(), &["sample"]),
            (
                "exclude_near_duplicates",
                self.exclude_near_duplicates.is_some(),
                &["sample"],
            ),
            ("seed", self.seed.is_some(), &["sample", "compose"]),
            ("min_high_risk", self.min_high_risk.is_some(), &["compose"]),
            ("max_refusals", self.max_refusals.is_some(), &["compose"]),
            ("min_per_risk", self.min_per_risk.is_some(), &["compose"]),
            ("risks", self.risks.is_some(), &["compose"]),
        ];
        match given
            .into_iter()
            .find(|(_, is_given, methods)| *is_given && !methods.contains(&method))
        {
            Some((field, ..)) => Err(FieldError::unprocessable(
                field,
                msg!("field_not_for_method", field = field, method = method),
            )),
            None => Ok(()),
        }
    }
}

/// A new seed when the request names none (recorded in the recipe).
pub fn fresh_seed() -> u64 {
    let mut bytes = [0u8; 8];
    // A failing system RNG leaves the time-derived seed: still recorded, still reproducible.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes();
    }
    u64::from_le_bytes(bytes) >> 11 // within JSON's exact integers
}

/// Members counted by what rules and filings group them by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct SetCounts {
    pub total: u64,
    pub high_risk: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub by_risk: BTreeMap<String, u64>,
    pub by_aspect: BTreeMap<String, u64>,
    /// `refuse`, `answer` (and `unknown` for generation questions nobody has said it of).
    pub by_behavior: BTreeMap<String, u64>,
}

impl SetCounts {
    /// The counts of `questions`, stored or as a set pinned them.
    fn of<Q: Classified>(questions: &[Q]) -> Self {
        let mut counts = Self::default();
        for question in questions {
            let (kind, risk, aspect, high_risk, behavior) = question.classification();
            counts.total += 1;
            counts.high_risk += u64::from(high_risk);
            *counts.by_kind.entry(kind.as_str().to_owned()).or_default() += 1;
            if let Some(risk) = risk {
                *counts.by_risk.entry(risk.to_owned()).or_default() += 1;
            }
            if let Some(aspect) = aspect {
                *counts.by_aspect.entry(aspect.to_owned()).or_default() += 1;
            }
            let behavior = behavior.map_or("unknown", ExpectedBehavior::as_str);
            *counts.by_behavior.entry(behavior.to_owned()).or_default() += 1;
        }
        counts
    }
}

/// What a set counts of a question: kind, risk, aspect, high risk, expected behaviour.
type Classification<'a> = (
    QuestionKind,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    Option<ExpectedBehavior>,
);

/// A question, stored or as a set pinned it.
trait Classified {
    fn classification(&self) -> Classification<'_>;
}

/// The stored question and the pinned member name the same fields alike.
macro_rules! classified {
    ($($model:ty),+) => {$(
        impl Classified for $model {
            fn classification(&self) -> Classification<'_> {
                (
                    self.kind,
                    self.risk.as_deref(),
                    self.aspect.as_deref(),
                    self.high_risk,
                    self.expected_behavior,
                )
            }
        }
    )+};
}
classified!(question::Model, question_set_member::Model);

/// What sampling and counting read of a question (stored or pinned).
#[derive(Debug, Clone, FromQueryResult)]
struct QuestionFacts {
    id: i64,
    kind: QuestionKind,
    risk: Option<String>,
    aspect: Option<String>,
    high_risk: bool,
    expected_behavior: Option<ExpectedBehavior>,
    near_duplicate_of: Option<i64>,
    /// Both 预期输出结果 and 判定标准 are there.
    answerable: bool,
}

/// What a new set is, before or after it is stored.
#[derive(Debug, Clone)]
pub struct NewSet {
    pub name: SetName,
    pub description: Option<SetDescription>,
    pub recipe: Recipe,
}

/// A set as answered: stored (`set` given) or previewed.
#[derive(Debug, Clone)]
pub struct Composed {
    pub set: Option<question_set::Model>,
    pub recipe: Recipe,
    pub member_ids: Vec<i64>,
    pub counts: SetCounts,
}

/// "A.2.c: 3 high-risk answer questions short; total: …", in the reader's language.
pub fn shortfalls_message(shortfalls: &[Shortfall]) -> Message {
    let mut rest: Option<Message> = None;
    for shortfall in shortfalls.iter().rev() {
        let wanted = match shortfall.wanted {
            Wanted::Questions => msg!("wanted_questions"),
            Wanted::HighRisk => msg!("wanted_high_risk"),
            Wanted::HighRiskAnswer => msg!("wanted_high_risk_answer"),
        };
        let (stratum, short) = (&shortfall.stratum, shortfall.short);
        rest = Some(match rest {
            Some(next) => msg!(
                "shortfall",
                stratum = stratum,
                short = short,
                wanted = wanted,
                rest = msg!("shortfall_then", next = next)
            ),
            None => msg!(
                "shortfall",
                stratum = stratum,
                short = short,
                wanted = wanted,
                rest = ""
            ),
        });
    }
    msg!(
        "set_unsatisfiable",
        count = shortfalls.len(),
        shortfalls = rest.unwrap_or_else(|| msg!("wanted_questions"))
    )
}

/// The approved questions (facts only) the pool keeps.
async fn approved_facts(
    db: &impl ConnectionTrait,
    pool: &Pool,
) -> Result<Vec<QuestionFacts>, DbErr> {
    let mut select = question::Entity::find()
        .select_only()
        .columns([
            question::Column::Id,
            question::Column::Kind,
            question::Column::Risk,
            question::Column::Aspect,
            question::Column::HighRisk,
            question::Column::ExpectedBehavior,
            question::Column::NearDuplicateOf,
        ])
        .column_as(
            Expr::col(question::Column::ExpectedOutput)
                .is_not_null()
                .and(Expr::col(question::Column::JudgmentCriteria).is_not_null()),
            "answerable",
        )
        .filter(question::Column::Status.eq(EntryStatus::Approved));
    if !pool.kinds.is_empty() {
        select = select.filter(question::Column::Kind.is_in(pool.kinds.iter().copied()));
    }
    let facts: Vec<QuestionFacts> = select
        .order_by_asc(question::Column::Id)
        .into_model::<QuestionFacts>()
        .all(db)
        .await?;
    Ok(facts.into_iter().filter(|q| pool.keeps(q)).collect())
}

/// Leaves out the questions that nearly duplicate an approved question: coverage counts the
/// two once, and a set should not ask the model the same thing twice. (A question whose
/// earlier twin was rejected or retired stays.)
async fn without_near_duplicates(
    db: &impl ConnectionTrait,
    facts: Vec<QuestionFacts>,
) -> Result<Vec<QuestionFacts>, DbErr> {
    let mut twins: Vec<i64> = facts.iter().filter_map(|q| q.near_duplicate_of).collect();
    twins.sort_unstable();
    twins.dedup();
    let mut approved = HashSet::new();
    for chunk in twins.chunks(INSERT_CHUNK) {
        let ids: Vec<i64> = question::Entity::find()
            .select_only()
            .column(question::Column::Id)
            .filter(question::Column::Id.is_in(chunk.iter().copied()))
            .filter(question::Column::Status.eq(EntryStatus::Approved))
            .into_tuple()
            .all(db)
            .await?;
        approved.extend(ids);
    }
    Ok(facts
        .into_iter()
        .filter(|q| {
            q.near_duplicate_of
                .is_none_or(|twin| !approved.contains(&twin))
        })
        .collect())
}

/// The ids of the sets not retired.
async fn live_sets(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    question_set::Entity::find()
        .select_only()
        .column(question_set::Column::Id)
        .filter(question_set::Column::RetiredAt.is_null())
        .order_by_asc(question_set::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Ids of the members of `sets`.
async fn members_of(db: &impl ConnectionTrait, sets: &[i64]) -> Result<HashSet<i64>, DbErr> {
    let mut members = HashSet::new();
    for chunk in sets.chunks(INSERT_CHUNK) {
        let ids: Vec<i64> = question_set_member::Entity::find()
            .select_only()
            .column(question_set_member::Column::QuestionId)
            .filter(question_set_member::Column::SetId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        members.extend(ids);
    }
    Ok(members)
}

fn candidate(q: &QuestionFacts, used: &HashSet<i64>) -> Candidate {
    Candidate {
        id: q.id,
        kind: q.kind,
        risk: q.risk.clone(),
        aspect: q.aspect.clone(),
        high_risk: q.high_risk,
        behavior: q.expected_behavior,
        used_before: used.contains(&q.id),
    }
}

/// Checks a recipe against the taxonomy and the store's sets before anything is read.
async fn check(
    db: &impl ConnectionTrait,
    taxonomy: &Taxonomy,
    recipe: &Recipe,
) -> Result<(), ServiceError> {
    match recipe {
        Recipe::Ids { ids } if ids.is_empty() => {
            Err(FieldError::unprocessable("ids", msg!("empty_set")).into())
        }
        Recipe::Ids { .. } => Ok(()),
        Recipe::Filter { pool } => Ok(pool.check(taxonomy)?),
        Recipe::Sample(sample) => {
            sample.pool.check(taxonomy)?;
            if sample.size.is_some() == sample.per_stratum.is_some() {
                return Err(FieldError::unprocessable("size", msg!("size_or_per_stratum")).into());
            }
            for &id in &sample.exclude_sets {
                question_set::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or(ServiceError::SetNotFound(id))?;
            }
            Ok(())
        }
        Recipe::Compose(compose) => {
            if let Some(risk) = compose.risks.iter().find(|r| taxonomy.risk(r).is_none()) {
                return Err(
                    FieldError::unprocessable("risks", msg!("unknown_risk", code = risk)).into(),
                );
            }
            if compose.min_high_risk > compose.size {
                return Err(FieldError::unprocessable(
                    "min_high_risk",
                    msg!("bound_above_size", field = "min_high_risk"),
                )
                .into());
            }
            let mut risks = compose.risks.clone();
            risks.sort();
            risks.dedup();
            if risks.len() < compose.risks.len() {
                return Err(FieldError::unprocessable("risks", msg!("risk_twice")).into());
            }
            if compose.min_per_risk.saturating_mul(risks.len() as u64) > compose.size {
                return Err(FieldError::unprocessable(
                    "min_per_risk",
                    msg!("bound_above_size", field = "min_per_risk × risks"),
                )
                .into());
            }
            Ok(())
        }
    }
}

/// The ids a recipe chooses from the store as `db` sees it.
/// The ids a recipe chooses from the store as `db` sees it, ascending and never none; a
/// composition records the sets it counted as used in its recipe.
async fn choose(db: &impl ConnectionTrait, recipe: &mut Recipe) -> Result<Vec<i64>, ServiceError> {
    let ids = chosen(db, recipe).await?;
    if ids.is_empty() {
        return Err(ServiceError::SetUnsatisfiable(vec![Shortfall {
            stratum: "total".to_owned(),
            wanted: Wanted::Questions,
            need: 1,
            have: 0,
            short: 1,
        }]));
    }
    Ok(ids)
}

async fn chosen(db: &impl ConnectionTrait, recipe: &mut Recipe) -> Result<Vec<i64>, ServiceError> {
    match recipe {
        Recipe::Ids { ids } => {
            let mut wanted: Vec<i64> = ids.clone();
            wanted.sort_unstable();
            wanted.dedup();
            let mut found: Vec<(i64, EntryStatus)> = Vec::with_capacity(wanted.len());
            for chunk in wanted.chunks(INSERT_CHUNK) {
                found.extend(
                    question::Entity::find()
                        .select_only()
                        .columns([question::Column::Id, question::Column::Status])
                        .filter(question::Column::Id.is_in(chunk.iter().copied()))
                        .into_tuple::<(i64, EntryStatus)>()
                        .all(db)
                        .await?,
                );
            }
            found.sort_unstable_by_key(|(id, _)| *id);
            for id in &wanted {
                match found.binary_search_by_key(id, |(id, _)| *id) {
                    Err(_) => {
                        return Err(FieldError::unprocessable(
                            "ids",
                            msg!("question_not_found", id = *id),
                        )
                        .into());
                    }
                    Ok(at) if found[at].1 != EntryStatus::Approved => {
                        return Err(FieldError::unprocessable(
                            "ids",
                            msg!(
                                "set_member_not_approved",
                                id = *id,
                                status = found[at].1.as_str()
                            ),
                        )
                        .into());
                    }
                    Ok(_) => {}
                }
            }
            Ok(wanted)
        }
        Recipe::Filter { pool } => Ok(approved_facts(db, pool)
            .await?
            .iter()
            .map(|q| q.id)
            .collect()),
        Recipe::Sample(sample) => {
            // A sample leaves out the sets it names and no others: it draws the same
            // questions from the same store whatever sets were frozen since.
            let excluded = members_of(db, &sample.exclude_sets).await?;
            let mut facts = approved_facts(db, &sample.pool).await?;
            if sample.exclude_near_duplicates {
                facts = without_near_duplicates(db, facts).await?;
            }
            let candidates: Vec<Candidate> = facts
                .iter()
                .filter(|q| !excluded.contains(&q.id))
                .map(|q| candidate(q, &HashSet::new()))
                .collect();
            let spec = SampleSpec {
                seed: sample.seed,
                stratum: sample.stratify_by,
                allocation: match (sample.size, sample.per_stratum) {
                    (_, Some(per_stratum)) => Allocation::Fixed { per_stratum },
                    (size, None) => Allocation::Proportional {
                        size: size.unwrap_or_default(),
                    },
                },
                required_strata: sample.required_strata.clone(),
                min_per_stratum: sample.min_per_stratum,
            };
            sampling::sample(&candidates, &spec).map_err(|error| match error {
                SampleError::Short(shortfalls) => ServiceError::SetUnsatisfiable(shortfalls),
                SampleError::MinimumsAboveSize { minimums, size } => FieldError::unprocessable(
                    "min_per_stratum",
                    msg!("minimums_above_size", minimums = minimums, size = size),
                )
                .into(),
            })
        }
        Recipe::Compose(compose) => {
            compose.used_sets = live_sets(db).await?;
            let used = members_of(db, &compose.used_sets).await?;
            let facts = approved_facts(db, &Pool::default()).await?;
            let candidates: Vec<Candidate> = without_near_duplicates(db, facts)
                .await?
                .iter()
                .filter(|q| q.answerable && q.expected_behavior.is_some())
                .map(|q| candidate(q, &used))
                .collect();
            let spec = ComposeSpec {
                seed: compose.seed,
                size: compose.size,
                min_high_risk: compose.min_high_risk,
                max_refusals: compose.max_refusals,
                risks: compose.risks.clone(),
                min_per_risk: compose.min_per_risk,
            };
            sampling::compose(&candidates, &spec).map_err(ServiceError::SetUnsatisfiable)
        }
    }
}

/// The stored questions of `ids` (ascending), read in chunks.
async fn questions_by_id(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<question::Model>, DbErr> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(INSERT_CHUNK) {
        rows.extend(
            question::Entity::find()
                .filter(question::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(question::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// Chooses the members of `new` and, unless `dry_run`, freezes them as the next version of
/// its name. A preview reads from the readers; a freeze reads and writes in one transaction
/// holding the questions' write lock.
pub async fn create(
    state: &AppState,
    mut new: NewSet,
    dry_run: bool,
    audit: &AuditStamp,
) -> Result<Composed, ServiceError> {
    check(&state.reads, &state.taxonomy, &new.recipe).await?;
    if dry_run {
        let ids = choose(&state.reads, &mut new.recipe).await?;
        let counts = SetCounts::of(&questions_by_id(&state.reads, &ids).await?);
        return Ok(Composed {
            set: None,
            recipe: new.recipe,
            member_ids: ids,
            counts,
        });
    }
    let txn = begin_write(&state.db, EntryKind::Question).await?;
    let ids = choose(&txn, &mut new.recipe).await?;
    let members = questions_by_id(&txn, &ids).await?;
    let counts = SetCounts::of(&members);
    let version: Option<i32> = question_set::Entity::find()
        .select_only()
        .column_as(Expr::col(question_set::Column::Version).max(), "version")
        .filter(question_set::Column::Name.eq(new.name.as_str()))
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let set = question_set::ActiveModel {
        name: Set(new.name.as_str().to_owned()),
        version: Set(version.unwrap_or(0) + 1),
        description: Set(new.description.map(SetDescription::into_inner)),
        recipe: Set(
            serde_json::to_string(&new.recipe).map_err(|e| ServiceError::Render(e.to_string()))?
        ),
        member_count: Set(members.len() as i64),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        retired_by: Set(None),
        retired_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (chunk_index, chunk) in members.chunks(INSERT_CHUNK).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| question_set_member::ActiveModel {
                set_id: Set(set.id),
                question_id: Set(q.id),
                revision: Set(q.version),
                position: Set((chunk_index * INSERT_CHUNK + i) as i32),
                text: Set(q.text.clone()),
                kind: Set(q.kind),
                risk: Set(q.risk.clone()),
                aspect: Set(q.aspect.clone()),
                high_risk: Set(q.high_risk),
                expected_behavior: Set(q.expected_behavior),
                expected_output: Set(q.expected_output.clone()),
                judgment_criteria: Set(q.judgment_criteria.clone()),
                status: Set(q.status),
            });
        question_set_member::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
    }
    super::audit::commit(txn, Some(audit), Some(set.id)).await?;
    Ok(Composed {
        set: Some(set),
        recipe: new.recipe,
        member_ids: ids,
        counts,
    })
}

/// Sets, newest first; retired ones only when asked.
pub async fn list(
    db: &DatabaseConnection,
    include_retired: bool,
    limit: u64,
) -> Result<Vec<question_set::Model>, DbErr> {
    let mut select = question_set::Entity::find();
    if !include_retired {
        select = select.filter(question_set::Column::RetiredAt.is_null());
    }
    select
        .order_by_desc(question_set::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Set `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<question_set::Model, ServiceError> {
    question_set::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::SetNotFound(id))
}

/// Set `id` with its members' counts, from their pinned classification.
pub async fn with_counts(
    db: &DatabaseConnection,
    id: i64,
) -> Result<(question_set::Model, SetCounts), ServiceError> {
    let (set, members) = frozen(db, id).await?;
    Ok((set, SetCounts::of(&members)))
}

/// A member at its pinned revision, with where its question stands now.
#[derive(Debug, Clone)]
pub struct PinnedMember {
    pub member: question_set_member::Model,
    /// The question's version now (above `member.revision` when edited since).
    pub current_version: i32,
    pub current_status: EntryStatus,
}

/// One page of set `id`'s members in question id order.
pub async fn members(
    db: &DatabaseConnection,
    id: i64,
    page: PageRequest,
) -> Result<(Vec<PinnedMember>, Option<String>), ServiceError> {
    get(db, id).await?;
    let (rows, next) = keyset_page(
        db,
        question_set_member::Entity::find().filter(question_set_member::Column::SetId.eq(id)),
        question_set_member::Column::QuestionId,
        |m| m.question_id,
        page,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.question_id).collect();
    let now: BTreeMap<i64, (i32, EntryStatus)> = question::Entity::find()
        .select_only()
        .columns([
            question::Column::Id,
            question::Column::Version,
            question::Column::Status,
        ])
        .filter(question::Column::Id.is_in(ids))
        .into_tuple::<(i64, i32, EntryStatus)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, version, status)| (id, (version, status)))
        .collect();
    let members = rows
        .into_iter()
        .map(|member| {
            let (current_version, current_status) = now
                .get(&member.question_id)
                .copied()
                .unwrap_or((member.revision, member.status));
            PinnedMember {
                member,
                current_version,
                current_status,
            }
        })
        .collect();
    Ok((members, next))
}

/// Set `id` and every member as frozen, in set order: what exports, counts and `lexset set
/// members` read.
pub async fn frozen(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(question_set::Model, Vec<question_set_member::Model>), ServiceError> {
    let set = get(db, id).await?;
    let members = question_set_member::Entity::find()
        .filter(question_set_member::Column::SetId.eq(id))
        .order_by_asc(question_set_member::Column::Position)
        .all(db)
        .await?;
    Ok((set, members))
}

/// A question in both sets at different revisions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChangedMember {
    pub question_id: i64,
    pub from_revision: i32,
    pub to_revision: i32,
}

/// What set `to` has that set `from` has not, and the reverse.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SetDiff {
    pub from: i64,
    pub to: i64,
    /// Question ids in `to` only.
    pub added: Vec<i64>,
    /// Question ids in `from` only.
    pub removed: Vec<i64>,
    /// In both, pinned at different revisions.
    pub changed: Vec<ChangedMember>,
    /// Members of `to` whose question was edited or retired after `to` was frozen.
    pub changed_since_pinned: Vec<i64>,
}

async fn pins(db: &DatabaseConnection, id: i64) -> Result<Vec<(i64, i32)>, DbErr> {
    question_set_member::Entity::find()
        .select_only()
        .columns([
            question_set_member::Column::QuestionId,
            question_set_member::Column::Revision,
        ])
        .filter(question_set_member::Column::SetId.eq(id))
        .order_by_asc(question_set_member::Column::QuestionId)
        .into_tuple()
        .all(db)
        .await
}

/// The difference of two sets. Cost: two ordered reads of the pinned ids and one merge, plus
/// one join for the members edited since.
pub async fn diff(db: &DatabaseConnection, from: i64, to: i64) -> Result<SetDiff, ServiceError> {
    get(db, from).await?;
    get(db, to).await?;
    let (old, new) = (pins(db, from).await?, pins(db, to).await?);
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(&(a, ra)), Some(&(b, rb))) if a == b => {
                if ra != rb {
                    changed.push(ChangedMember {
                        question_id: a,
                        from_revision: ra,
                        to_revision: rb,
                    });
                }
                i += 1;
                j += 1;
            }
            (Some(&(a, _)), Some(&(b, _))) if a < b => {
                removed.push(a);
                i += 1;
            }
            (Some(&(a, _)), None) => {
                removed.push(a);
                i += 1;
            }
            (_, Some(&(b, _))) => {
                added.push(b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    let changed_since_pinned: Vec<i64> = question_set_member::Entity::find()
        .select_only()
        .column(question_set_member::Column::QuestionId)
        .inner_join(question::Entity)
        .filter(question_set_member::Column::SetId.eq(to))
        .filter(
            Expr::col((question::Entity, question::Column::Version)).ne(Expr::col((
                question_set_member::Entity,
                question_set_member::Column::Revision,
            ))),
        )
        .order_by_asc(question_set_member::Column::QuestionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(SetDiff {
        from,
        to,
        added,
        removed,
        changed,
        changed_since_pinned,
    })
}

/// Retires set `id`: it stays readable, samplers no longer count its members as used.
pub async fn retire(
    db: &DatabaseConnection,
    id: i64,
    audit: &AuditStamp,
) -> Result<question_set::Model, ServiceError> {
    let txn = db.begin().await?;
    let set = get(&txn, id).await?;
    if set.retired_at.is_some() {
        return Err(ServiceError::SetRetired(id));
    }
    let mut active: question_set::ActiveModel = set.into();
    active.retired_by = Set(Some(audit.actor.clone()));
    active.retired_at = Set(Some(Utc::now()));
    let retired = active.update(&txn).await?;
    super::audit::commit(txn, Some(audit), None).await?;
    Ok(retired)
}
