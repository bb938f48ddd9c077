//! The exports: entries by status, or a build's keywords, rendered by `export` as the filing
//! workbooks and CSV files.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::builds::{self, BuildEnvironment, BuildError, FilterCache};
use super::coverage::CoverageError;
use super::{AppState, ServiceError, blocking};
use crate::coverage::rules::{
    DEFAULT_PROFILE, Entries, GroupBy, ProfileError, Threshold, load_profiles,
};
use crate::domain::field_error::FieldError;
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::export::{self, KeywordRow, QuestionRow, SetLabel};
use crate::messages::msg;
use crate::services::questions::QuestionFilter;
use crate::store::entities::{keyword, question_set, question_set_member};
use crate::taxonomy::Taxonomy;

/// Keywords whose status is in `statuses`, in id order.
pub async fn keywords(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
) -> Result<Vec<KeywordRow>, DbErr> {
    Ok(keyword::Entity::find()
        .filter(keyword::Column::Status.is_in(statuses.iter().copied()))
        .order_by_asc(keyword::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|k| KeywordRow {
            term: k.term,
            risk: k.risk,
            kind: k.kind,
            note: k.note,
            source: k.source,
        })
        .collect())
}

/// The keywords compiled into published build `number`, from its artefact: one row per term
/// and risk, so a term filed under two risks is listed under both.
pub async fn build_keywords(
    env: &BuildEnvironment,
    cache: &FilterCache,
    number: i64,
) -> Result<Vec<KeywordRow>, BuildError> {
    let filter = builds::filter(env, cache, number).await?;
    let mut rows: Vec<KeywordRow> = Vec::new();
    for pattern in filter.patterns() {
        for (flag, kind) in [
            (pattern.block, KeywordKind::Block),
            (pattern.allow, KeywordKind::Allow),
        ] {
            if flag {
                rows.extend(rows_per_risk(pattern.term, &pattern.risks, kind, number));
            }
        }
    }
    for (term, _, risks) in filter.and_rules() {
        rows.extend(rows_per_risk(term, &risks, KeywordKind::AllOf, number));
    }
    Ok(rows)
}

/// The rows of one compiled term of build `number`: one per risk.
fn rows_per_risk<'a>(
    term: &'a str,
    risks: &'a [String],
    kind: KeywordKind,
    number: i64,
) -> impl Iterator<Item = KeywordRow> + 'a {
    risks.iter().map(move |risk| KeywordRow {
        term: term.to_owned(),
        risk: risk.clone(),
        kind,
        note: None,
        source: Some(format!("build {number}")),
    })
}

/// Questions whose status is in `statuses` and that `filter` keeps, in id order.
pub async fn questions(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
    filter: &QuestionFilter,
) -> Result<Vec<QuestionRow>, DbErr> {
    Ok(super::questions::with_status(db, statuses, filter)
        .await?
        .into_iter()
        .map(|q| QuestionRow {
            text: q.text,
            kind: q.kind,
            high_risk: q.high_risk,
            risk: q.risk,
            aspect: q.aspect,
            expected_output: q.expected_output,
            judgment_criteria: q.judgment_criteria,
            expected_behavior: q.expected_behavior,
        })
        .collect())
}

/// The keyword minimums of the default rule profile: per risk, and in total.
pub fn keyword_needs(
    taxonomy: &Taxonomy,
    profiles_dir: &std::path::Path,
) -> Result<(BTreeMap<String, u64>, Option<u64>), ProfileError> {
    let profiles = load_profiles(taxonomy, profiles_dir)?;
    let mut per_risk = BTreeMap::new();
    let mut total = None;
    for rule in profiles
        .iter()
        .filter(|p| p.id == DEFAULT_PROFILE)
        .flat_map(|p| &p.rules)
        .filter(|r| r.entries == Entries::Keyword)
    {
        let Threshold::Min(need) = rule.threshold else {
            continue;
        };
        match rule.group_by {
            GroupBy::Total => total = Some(need),
            GroupBy::Risk => {
                for risk in taxonomy.risks.iter().filter(|r| {
                    rule.risk_groups.is_empty() || rule.risk_groups.contains(&r.group_code)
                }) {
                    per_risk.insert(risk.code.clone(), need);
                }
            }
            GroupBy::Aspect => {}
        }
    }
    Ok((per_risk, total))
}

/// The export files there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportName {
    /// 附件4 拦截关键词列表.
    KeywordsXlsx,
    KeywordsCsv,
    /// 附件5 评估测试题.
    QuestionsXlsx,
    QuestionsCsv,
    /// The 登记 keyword file: 分类 / 关键词 / 处置 / 备注.
    RegistrationKeywordsCsv,
    /// The 登记 test-set workbook.
    RegistrationQuestionsXlsx,
}

impl ExportName {
    pub const ALL: [ExportName; 6] = [
        Self::KeywordsXlsx,
        Self::KeywordsCsv,
        Self::QuestionsXlsx,
        Self::QuestionsCsv,
        Self::RegistrationKeywordsCsv,
        Self::RegistrationQuestionsXlsx,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeywordsXlsx => "keywords.xlsx",
            Self::KeywordsCsv => "keywords.csv",
            Self::QuestionsXlsx => "questions.xlsx",
            Self::QuestionsCsv => "questions.csv",
            Self::RegistrationKeywordsCsv => "registration-keywords.csv",
            Self::RegistrationQuestionsXlsx => "registration-questions.xlsx",
        }
    }

    /// The export named `raw`, or `NoSuchExport`.
    pub fn parse(raw: &str) -> Result<Self, ServiceError> {
        Self::ALL
            .into_iter()
            .find(|name| name.as_str() == raw)
            .ok_or_else(|| ServiceError::NoSuchExport(raw.to_owned()))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::KeywordsXlsx | Self::QuestionsXlsx | Self::RegistrationQuestionsXlsx => XLSX,
            Self::KeywordsCsv | Self::QuestionsCsv | Self::RegistrationKeywordsCsv => CSV,
        }
    }
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// Which entries an export lists.
#[derive(Debug, Clone, Default)]
pub struct ExportSelection {
    /// Entries whose status is one of these.
    pub statuses: Vec<EntryStatus>,
    /// Keyword files: the keywords compiled into this published build instead.
    pub build: Option<i64>,
    /// Question files: only the questions this keeps (its `status` and `prefix` unused).
    pub questions: QuestionFilter,
    /// Question files: the members of this frozen set, as pinned, instead of the store's
    /// questions (`statuses` unused; the question filter still applies).
    pub set: Option<i64>,
}

impl ExportSelection {
    /// The first question filter given, by its parameter's name: keyword files take none.
    fn question_filter_named(&self) -> Option<&'static str> {
        let QuestionFilter {
            kind,
            risk,
            aspect,
            high_risk,
            status: _,
            prefix: _,
        } = &self.questions;
        [
            ("kind", kind.is_some()),
            ("risk", risk.is_some()),
            ("aspect", aspect.is_some()),
            ("high_risk", high_risk.is_some()),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }
}

/// Renders export `name` of the entries `selection` names. The API and `lexset export` both
/// call this, so they write the same CSV bytes (a workbook carries its creation time).
/// Rendering runs off the async workers.
pub async fn produce(
    state: &AppState,
    name: ExportName,
    selection: &ExportSelection,
) -> Result<Vec<u8>, ServiceError> {
    let taxonomy = state.taxonomy.clone();
    let rendered = match name {
        ExportName::KeywordsXlsx => {
            let rows = keyword_rows(state, selection).await?;
            let (needs, total) = keyword_needs(&taxonomy, &state.rule_profiles_dir)
                .map_err(CoverageError::Profile)?;
            blocking::off_workers(move || {
                export::keywords_xlsx(&taxonomy, &rows, &needs, total).map_err(|e| e.to_string())
            })
            .await?
        }
        ExportName::KeywordsCsv => {
            let rows = keyword_rows(state, selection).await?;
            blocking::off_workers(move || {
                export::keywords_csv(&taxonomy, &rows).map_err(|e| e.to_string())
            })
            .await?
        }
        ExportName::RegistrationKeywordsCsv => {
            let rows = keyword_rows(state, selection).await?;
            blocking::off_workers(move || {
                export::registration_keywords_csv(&taxonomy, &rows).map_err(|e| e.to_string())
            })
            .await?
        }
        ExportName::QuestionsXlsx => {
            let (rows, set) = question_rows(state, selection).await?;
            blocking::off_workers(move || {
                export::questions_xlsx(&taxonomy, &rows, set.as_ref()).map_err(|e| e.to_string())
            })
            .await?
        }
        ExportName::QuestionsCsv => {
            let (rows, _) = question_rows(state, selection).await?;
            blocking::off_workers(move || {
                export::questions_csv(&taxonomy, &rows).map_err(|e| e.to_string())
            })
            .await?
        }
        ExportName::RegistrationQuestionsXlsx => {
            let (rows, set) = question_rows(state, selection).await?;
            blocking::off_workers(move || {
                export::registration_questions_xlsx(&taxonomy, &rows, set.as_ref())
                    .map_err(|e| e.to_string())
            })
            .await?
        }
    };
    rendered.map_err(|message| ServiceError::Render(format!("{}: {message}", name.as_str())))
}

/// The keywords a keyword file lists: of a build, or by status; question filters refused.
async fn keyword_rows(
    state: &AppState,
    selection: &ExportSelection,
) -> Result<Vec<KeywordRow>, ServiceError> {
    if let Some(field) = selection.question_filter_named() {
        return Err(FieldError::unprocessable(field, msg!("question_filter_on_keywords")).into());
    }
    if selection.set.is_some() {
        return Err(FieldError::unprocessable("set", msg!("question_filter_on_keywords")).into());
    }
    Ok(match selection.build {
        Some(number) => build_keywords(&state.build_environment(), &state.filters, number).await?,
        None => keywords(&state.reads, &selection.statuses).await?,
    })
}

/// A member of a frozen set as a question file lists it.
pub(super) fn member_row(member: question_set_member::Model) -> QuestionRow {
    QuestionRow {
        text: member.text,
        kind: member.kind,
        high_risk: member.high_risk,
        risk: member.risk,
        aspect: member.aspect,
        expected_output: member.expected_output,
        judgment_criteria: member.judgment_criteria,
        expected_behavior: member.expected_behavior,
    }
}

/// What a file says of the frozen set it lists.
pub(super) fn set_label(set: &question_set::Model) -> SetLabel {
    SetLabel {
        name: set.name.clone(),
        version: set.version,
        member_count: u64::try_from(set.member_count).unwrap_or(0),
    }
}

/// The questions a question file lists (of a frozen set, with its label, when one is named);
/// builds hold no questions.
async fn question_rows(
    state: &AppState,
    selection: &ExportSelection,
) -> Result<(Vec<QuestionRow>, Option<SetLabel>), ServiceError> {
    if selection.build.is_some() {
        return Err(FieldError::unprocessable("build", msg!("questions_by_status")).into());
    }
    let Some(id) = selection.set else {
        let rows = questions(&state.reads, &selection.statuses, &selection.questions).await?;
        return Ok((rows, None));
    };
    let (set, members) = super::question_sets::frozen(&state.reads, id).await?;
    let filter = &selection.questions;
    let rows = members
        .into_iter()
        .filter(|m| {
            filter.kind.is_none_or(|kind| kind == m.kind)
                && filter
                    .risk
                    .as_ref()
                    .is_none_or(|r| m.risk.as_deref() == Some(r.as_str()))
                && filter
                    .aspect
                    .as_ref()
                    .is_none_or(|a| m.aspect.as_deref() == Some(a.as_str()))
                && filter.high_risk.is_none_or(|high| high == m.high_risk)
        })
        .map(member_row)
        .collect();
    Ok((rows, Some(set_label(&set))))
}
