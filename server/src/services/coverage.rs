//! Coverage: gathering the counts it is evaluated from (one grouped query per entry kind, plus
//! one for collapsed near duplicates, whatever the number of rules or profiles), the report,
//! the page, and the history stored with the builds.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, ServiceError};
use crate::coverage::evaluate::{
    Aggregates, CollapsedRow, CountRow, CoverageReport, CoveredSet, evaluate,
};
use crate::coverage::render::{self, BuildLinks};
use crate::coverage::rules::{Entries, ProfileError, Rule, RuleProfile, Threshold, load_profiles};
use crate::domain::field_error::{FieldError, one_of};
use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::status::{EntryStatus, ExpectedBehavior, KeywordKind, QuestionKind};
use crate::messages::{Message, msg};
use crate::store::entities::{
    evaluation, keyword, question, question_set, question_set_member, revision,
};
use crate::taxonomy::Taxonomy;

#[derive(Debug, FromQueryResult)]
struct KeywordGroup {
    risk: String,
    status: EntryStatus,
    kind: KeywordKind,
    count: i64,
    /// How many carry error lints.
    linted: i64,
}

#[derive(Debug, FromQueryResult)]
struct QuestionGroup {
    kind: QuestionKind,
    risk: Option<String>,
    aspect: Option<String>,
    high_risk: bool,
    expected_behavior: Option<ExpectedBehavior>,
    status: EntryStatus,
    count: i64,
    /// How many carry error lints.
    linted: i64,
}

#[derive(Debug, FromQueryResult)]
struct CollapsedGroup {
    kind: QuestionKind,
    risk: Option<String>,
    aspect: Option<String>,
    high_risk: bool,
    expected_behavior: Option<ExpectedBehavior>,
    status: EntryStatus,
    representative_status: EntryStatus,
    count: i64,
}

impl QuestionGroup {
    fn row(self) -> CountRow {
        CountRow {
            entries: Entries::Question,
            kind: Some(self.kind),
            risk: self.risk,
            aspect: self.aspect,
            high_risk: self.high_risk,
            behavior: self.expected_behavior,
            status: self.status,
            count: count_of(self.count),
            lint_errors: count_of(self.linted),
        }
    }
}

fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Why a coverage report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("{}", self.message())]
    UnknownProfile { id: String, available: String },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl CoverageError {
    /// What went wrong, for people.
    pub fn message(&self) -> Message {
        match self {
            Self::UnknownProfile { id, available } => {
                msg!("profile_not_found", id = id, available = available)
            }
            Self::Profile(profile) => msg!(
                "invalid_rule_profile",
                origin = &profile.origin,
                detail = &profile.message
            ),
            Self::Database(error) => msg!("internal_error", detail = error.to_string()),
        }
    }
}

/// The profile of `profiles` with id `id`, or an error listing the available ones.
pub fn named<'a>(profiles: &'a [RuleProfile], id: &str) -> Result<&'a RuleProfile, CoverageError> {
    profiles
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| CoverageError::UnknownProfile {
            id: id.to_owned(),
            available: profiles
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The report of profile `profile_id` (from the shipped profiles and `profiles_dir`) over the
/// entries whose status is in `statuses`, its question rules over question set `set` when one
/// is given; also returns every available profile.
pub async fn report(
    db: &impl ConnectionTrait,
    taxonomy: &Taxonomy,
    profiles_dir: &Path,
    profile_id: &str,
    statuses: &[EntryStatus],
    set: Option<i64>,
) -> Result<(CoverageReport, Vec<RuleProfile>), ServiceError> {
    let profiles = load_profiles(taxonomy, profiles_dir).map_err(CoverageError::Profile)?;
    let profile = named(&profiles, profile_id)?;
    let (aggregates, covered) = match set {
        None => (aggregates(db, profile).await?, None),
        Some(id) => {
            let set = super::question_sets::get(db, id).await?;
            (set_aggregates(db, profile, &set).await?, Some(set))
        }
    };
    let mut report = evaluate(profile, taxonomy, &aggregates, statuses, Utc::now());
    report.set = covered.map(|set| CoveredSet {
        id: set.id,
        name: set.name,
        version: set.version,
        member_count: u64::try_from(set.member_count).unwrap_or(0),
    });
    Ok((report, profiles))
}

/// `COUNT(CASE WHEN lint_errors > 0 THEN 1 END)`: entries with error lints, counted in the
/// same scan as the entries themselves (a fifth cheaper per row than `SUM` over a `CASE` with
/// an `ELSE 0`).
fn linted(column: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    Func::count(Expr::case(Expr::col(column).gt(0), 1)).into()
}

/// `COUNT(*)`: SQLite counts index entries without reading a column of them.
fn rows() -> Expr {
    Expr::cust("COUNT(*)")
}

/// Keywords counted by (risk, status, kind), over the covering index of those columns and
/// `lint_errors`.
async fn count_keywords(db: &impl ConnectionTrait) -> Result<Vec<KeywordGroup>, DbErr> {
    keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Risk)
        .column(keyword::Column::Status)
        .column(keyword::Column::Kind)
        .column_as(rows(), "count")
        .column_as(linted(keyword::Column::LintErrors), "linted")
        .group_by(keyword::Column::Risk)
        .group_by(keyword::Column::Status)
        .group_by(keyword::Column::Kind)
        .into_model::<KeywordGroup>()
        .all(db)
        .await
}

/// Questions counted by (kind, risk, aspect, high_risk, expected behaviour, status).
async fn count_questions(db: &impl ConnectionTrait) -> Result<Vec<QuestionGroup>, DbErr> {
    question::Entity::find()
        .select_only()
        .columns([
            question::Column::Kind,
            question::Column::Risk,
            question::Column::Aspect,
            question::Column::HighRisk,
            question::Column::ExpectedBehavior,
            question::Column::Status,
        ])
        .column_as(rows(), "count")
        .column_as(linted(question::Column::LintErrors), "linted")
        .group_by(question::Column::Kind)
        .group_by(question::Column::Risk)
        .group_by(question::Column::Aspect)
        .group_by(question::Column::HighRisk)
        .group_by(question::Column::ExpectedBehavior)
        .group_by(question::Column::Status)
        .into_model::<QuestionGroup>()
        .all(db)
        .await
}

/// Keywords that count toward quotas, as count rows. Allow-list entries intercept nothing, so
/// they never count.
async fn keyword_rows(db: &impl ConnectionTrait) -> Result<Vec<CountRow>, DbErr> {
    Ok(count_keywords(db)
        .await?
        .into_iter()
        .filter(|g| g.kind != KeywordKind::Allow)
        .map(|group| CountRow {
            entries: Entries::Keyword,
            kind: None,
            risk: Some(group.risk),
            aspect: None,
            high_risk: false,
            behavior: None,
            status: group.status,
            count: count_of(group.count),
            lint_errors: count_of(group.linted),
        })
        .collect())
}

/// Every count `profile` can ask for over the store.
///
/// Cost: keywords are counted over their covering index (risk, status, kind) in one scan,
/// questions in one grouped query over theirs, collapsed near duplicates in one join over
/// their own index, and each freshness rule walks the revisions newest first. The three run
/// side by side: on the reader pool each has its own connection, so the keyword scan (the
/// longest, by far) hides the rest.
pub async fn aggregates(
    db: &impl ConnectionTrait,
    profile: &RuleProfile,
) -> Result<Aggregates, DbErr> {
    let (mut rows, (questions, collapsed), last_changes) = futures_util::future::try_join3(
        keyword_rows(db),
        question_counts(db),
        last_changes(db, profile),
    )
    .await?;
    rows.extend(questions);
    Ok(Aggregates {
        rows,
        collapsed,
        last_changes,
    })
}

/// Questions as count rows, and those counted once with an earlier near duplicate.
async fn question_counts(
    db: &impl ConnectionTrait,
) -> Result<(Vec<CountRow>, Vec<CollapsedRow>), DbErr> {
    let rows = count_questions(db)
        .await?
        .into_iter()
        .map(QuestionGroup::row)
        .collect();

    // Questions joined to the earlier question they nearly duplicate, grouped by what counts.
    let (q, p) = (Alias::new("q"), Alias::new("p"));
    let grouped = [
        (question::Column::Kind, "kind"),
        (question::Column::Risk, "risk"),
        (question::Column::Aspect, "aspect"),
        (question::Column::HighRisk, "high_risk"),
        (question::Column::ExpectedBehavior, "expected_behavior"),
        (question::Column::Status, "status"),
    ];
    let mut collapsed_query = Query::select();
    for (column, name) in grouped {
        collapsed_query
            .expr_as(Expr::col((q.clone(), column)), Alias::new(name))
            .group_by_col((q.clone(), column));
    }
    collapsed_query
        .expr_as(
            Expr::col((p.clone(), question::Column::Status)),
            Alias::new("representative_status"),
        )
        .group_by_col((p.clone(), question::Column::Status))
        .expr_as(
            Func::count(Expr::col((q.clone(), question::Column::Id))),
            Alias::new("count"),
        )
        .from_as(question::Entity, q.clone())
        .join_as(
            JoinType::InnerJoin,
            question::Entity,
            p.clone(),
            Expr::col((p.clone(), question::Column::Id))
                .equals((q.clone(), question::Column::NearDuplicateOf)),
        )
        // `> 0` (not IS NOT NULL) lets SQLite walk the near-duplicate index.
        .and_where(Expr::col((q.clone(), question::Column::NearDuplicateOf)).gt(0));
    let statement = db.get_database_backend().build(&collapsed_query);
    let collapsed = CollapsedGroup::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|g| CollapsedRow {
            row: CountRow {
                entries: Entries::Question,
                kind: Some(g.kind),
                risk: g.risk,
                aspect: g.aspect,
                high_risk: g.high_risk,
                behavior: g.expected_behavior,
                status: g.status,
                count: count_of(g.count),
                lint_errors: 0,
            },
            representative_status: g.representative_status,
        })
        .collect();
    Ok((rows, collapsed))
}

/// Each freshness rule of `profile` → the last change people made to what it covers.
async fn last_changes(
    db: &impl ConnectionTrait,
    profile: &RuleProfile,
) -> Result<BTreeMap<String, DateTime<Utc>>, DbErr> {
    let mut last_changes = BTreeMap::new();
    for rule in freshness_rules(profile) {
        if let Some(at) = last_change(db, rule).await? {
            last_changes.insert(rule.id.clone(), at);
        }
    }
    Ok(last_changes)
}

/// The counts `profile` asks for when its question rules count frozen set `set`: keywords
/// from the store, questions as the set pinned them, each member once (a frozen set is what
/// the filing attaches, so nothing in it is collapsed or struck), question freshness as when
/// the set was frozen.
async fn set_aggregates(
    db: &impl ConnectionTrait,
    profile: &RuleProfile,
    set: &question_set::Model,
) -> Result<Aggregates, DbErr> {
    let mut rows = keyword_rows(db).await?;
    let member = |column| Expr::col((question_set_member::Entity, column));
    let groups = question_set_member::Entity::find()
        .select_only()
        .columns([
            question_set_member::Column::Kind,
            question_set_member::Column::Risk,
            question_set_member::Column::Aspect,
            question_set_member::Column::HighRisk,
            question_set_member::Column::ExpectedBehavior,
            question_set_member::Column::Status,
        ])
        .column_as(
            member(question_set_member::Column::QuestionId).count(),
            "count",
        )
        .column_as(Expr::value(0i64), "linted")
        .filter(question_set_member::Column::SetId.eq(set.id))
        .group_by(question_set_member::Column::Kind)
        .group_by(question_set_member::Column::Risk)
        .group_by(question_set_member::Column::Aspect)
        .group_by(question_set_member::Column::HighRisk)
        .group_by(question_set_member::Column::ExpectedBehavior)
        .group_by(question_set_member::Column::Status)
        .into_model::<QuestionGroup>()
        .all(db)
        .await?;
    rows.extend(groups.into_iter().map(QuestionGroup::row));
    let mut last_changes = BTreeMap::new();
    for rule in freshness_rules(profile) {
        let at = match rule.entries {
            Entries::Question => Some(set.created_at),
            Entries::Keyword => last_change(db, rule).await?,
        };
        if let Some(at) = at {
            last_changes.insert(rule.id.clone(), at);
        }
    }
    Ok(Aggregates {
        rows,
        collapsed: Vec::new(),
        last_changes,
    })
}

fn freshness_rules(profile: &RuleProfile) -> impl Iterator<Item = &Rule> {
    profile
        .rules
        .iter()
        .filter(|rule| matches!(rule.threshold, Threshold::MaxAgeDays(_)))
}

/// When people last added, approved or retired an entry `rule` covers, whatever its status
/// now: the newest such revision, found by walking the revisions of the entry kind newest
/// first (`idx_revisions_kind_created`) and stopping at the first whose entry the rule's
/// filters keep. A content edit (a note, a rewording), a rejection or a reopening does not
/// make a library fresh. An approval is the status change whose snapshot (the entry's JSON
/// as `revisions` writes it) holds `"status":"approved"`.
async fn last_change(
    db: &impl ConnectionTrait,
    rule: &Rule,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let added_approved_or_retired = Condition::any()
        .add(revision::Column::Action.is_in([RevisionAction::Created, RevisionAction::Retired]))
        .add(
            Condition::all()
                .add(revision::Column::Action.eq(RevisionAction::StatusChanged))
                .add(revision::Column::Snapshot.like(r#"%"status":"approved"%"#)),
        );
    let risk_in_groups = |column: Expr| {
        rule.risk_groups
            .iter()
            .fold(Condition::any(), |any, group| {
                any.add(column.clone().like(format!("{group}.%")))
            })
    };
    let revisions = revision::Entity::find()
        .select_only()
        .column(revision::Column::CreatedAt)
        .filter(added_approved_or_retired)
        .order_by_desc(revision::Column::CreatedAt)
        .limit(1);
    let newest = match rule.entries {
        Entries::Keyword => {
            let mut select = revisions
                .filter(revision::Column::EntryKind.eq(EntryKind::Keyword))
                .join(
                    JoinType::InnerJoin,
                    revision_of(keyword::Entity, keyword::Column::Id),
                )
                .filter(keyword::Column::Kind.ne(KeywordKind::Allow));
            if !rule.risk_groups.is_empty() {
                select = select.filter(risk_in_groups(Expr::col((
                    keyword::Entity,
                    keyword::Column::Risk,
                ))));
            }
            select.into_tuple::<DateTime<Utc>>().one(db).await?
        }
        Entries::Question => {
            let mut select = revisions
                .filter(revision::Column::EntryKind.eq(EntryKind::Question))
                .join(
                    JoinType::InnerJoin,
                    revision_of(question::Entity, question::Column::Id),
                );
            if !rule.kinds.is_empty() {
                select = select.filter(question::Column::Kind.is_in(rule.kinds.iter().copied()));
            }
            if let Some(high_risk) = rule.high_risk {
                select = select.filter(question::Column::HighRisk.eq(high_risk));
            }
            if !rule.behaviors.is_empty() {
                select = select.filter(
                    question::Column::ExpectedBehavior.is_in(rule.behaviors.iter().copied()),
                );
            }
            if !rule.risk_groups.is_empty() {
                select = select.filter(risk_in_groups(Expr::col((
                    question::Entity,
                    question::Column::Risk,
                ))));
            }
            select.into_tuple::<DateTime<Utc>>().one(db).await?
        }
    };
    Ok(newest)
}

/// The join of revisions to the entries of `entity` they record.
fn revision_of<E: EntityTrait>(entity: E, id: E::Column) -> sea_orm::RelationDef {
    revision::Entity::belongs_to(entity)
        .from(revision::Column::EntryId)
        .to(id)
        .into()
}

/// The report of profile `profile` over the entries with one of `statuses`, with the ids and
/// titles of every available profile (for the page's profile switcher).
pub async fn report_with_profiles(
    state: &AppState,
    profile: &str,
    statuses: &[EntryStatus],
    set: Option<i64>,
) -> Result<(CoverageReport, Vec<(String, String)>), ServiceError> {
    let (report, profiles) = report(
        &state.reads,
        &state.taxonomy,
        &state.rule_profiles_dir,
        profile,
        statuses,
        set,
    )
    .await?;
    let names = profiles.into_iter().map(|p| (p.id, p.title)).collect();
    Ok((report, names))
}

/// The coverage page (HTML with SVG bars) of `profile`, linking the newest builds and their
/// evaluations.
pub async fn page(
    state: &AppState,
    profile: &str,
    statuses: &[EntryStatus],
    set: Option<i64>,
) -> Result<String, ServiceError> {
    /// Builds (and evaluations per build) the page links.
    const LINKED: u64 = 10;
    let (report, profiles) = report_with_profiles(state, profile, statuses, set).await?;
    let builds = super::builds::list(&state.reads, LINKED).await?;
    let numbers: Vec<i64> = builds.iter().map(|b| b.number).collect();
    // One query for the evaluations of every linked build, newest first.
    let mut evaluations: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for row in evaluation::Entity::find()
        .filter(evaluation::Column::BuildNumber.is_in(numbers))
        .order_by_desc(evaluation::Column::Id)
        .all(&state.reads)
        .await?
    {
        let linked = evaluations.entry(row.build_number).or_default();
        if linked.len() < LINKED as usize {
            linked.push((row.id, row.status));
        }
    }
    let links: Vec<BuildLinks> = builds
        .into_iter()
        .map(|build| BuildLinks {
            number: build.number,
            evaluations: evaluations.remove(&build.number).unwrap_or_default(),
        })
        .collect();
    Ok(render::html(&report, &profiles, &links))
}

/// How the gaps of one build's coverage report stood.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    pub build: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub profile: String,
    pub passed: bool,
    /// Total gap per rule (freshness rules: 1 when failing).
    pub gaps: BTreeMap<String, u64>,
}

/// The coverage report stored with each of the newest `limit` published builds, summarised,
/// oldest first. Reports are read as JSON: older builds may carry older report shapes, and a
/// report that cannot be read is left out.
pub async fn history(db: &DatabaseConnection, limit: u64) -> Result<Vec<HistoryPoint>, DbErr> {
    let mut builds = super::builds::list(db, limit).await?;
    builds.reverse();
    Ok(builds
        .into_iter()
        .filter_map(|build| {
            let report: serde_json::Value =
                serde_json::from_str(build.coverage.as_deref()?).ok()?;
            Some(HistoryPoint {
                build: build.number,
                published_at: build.published_at,
                profile: report["profile"].as_str()?.to_owned(),
                passed: report["passed"].as_bool()?,
                gaps: rule_gaps(&report)?,
            })
        })
        .collect())
}

/// The total gap of each rule of a stored report (a failing freshness rule counts 1).
fn rule_gaps(report: &serde_json::Value) -> Option<BTreeMap<String, u64>> {
    Some(
        report["rules"]
            .as_array()?
            .iter()
            .filter_map(|rule| {
                let id = rule["id"].as_str()?.to_owned();
                let gap = match rule["freshness"].as_object() {
                    Some(fresh) => {
                        u64::from(fresh.get("ok") != Some(&serde_json::Value::Bool(true)))
                    }
                    None => rule["groups"]
                        .as_array()?
                        .iter()
                        .filter_map(|g| g["gap"].as_u64())
                        .sum(),
                };
                Some((id, gap))
            })
            .collect(),
    )
}

/// How a coverage report is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    /// UTF-8 with BOM, CRLF.
    Csv,
    /// Two sheets.
    Xlsx,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [Self::Json, Self::Csv, Self::Xlsx];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of("format", msg!("noun_format"), &Self::ALL, Self::as_str, raw)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => super::exports::CSV,
            Self::Xlsx => super::exports::XLSX,
        }
    }
}

/// The report rendered in `format`.
pub async fn report_file(
    state: &AppState,
    profile: &str,
    statuses: &[EntryStatus],
    set: Option<i64>,
    format: ReportFormat,
) -> Result<Vec<u8>, ServiceError> {
    let (report, _) = report_with_profiles(state, profile, statuses, set).await?;
    match format {
        ReportFormat::Json => serde_json::to_vec(&report).map_err(|e| e.to_string()),
        ReportFormat::Csv => render::csv(&report).map_err(|e| e.to_string()),
        ReportFormat::Xlsx => render::xlsx(&report).map_err(|e| e.to_string()),
    }
    .map_err(|message| ServiceError::Render(format!("coverage report: {message}")))
}
