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
use crate::export::{self, KeywordRow, QuestionRow};
use crate::messages::msg;
use crate::store::entities::keyword;
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

/// The keywords compiled into published build `number`, from its artefact.
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
                rows.push(KeywordRow {
                    term: pattern.term.to_owned(),
                    risk: pattern.risks.first().cloned().unwrap_or_default(),
                    kind,
                    note: None,
                    source: Some(format!("build {number}")),
                });
            }
        }
    }
    for (term, _, risks) in filter.and_rules() {
        rows.push(KeywordRow {
            term: term.to_owned(),
            risk: risks.first().cloned().unwrap_or_default(),
            kind: KeywordKind::AllOf,
            note: None,
            source: Some(format!("build {number}")),
        });
    }
    Ok(rows)
}

/// Questions whose status is in `statuses`, in id order.
pub async fn questions(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
) -> Result<Vec<QuestionRow>, DbErr> {
    Ok(super::questions::with_status(db, statuses)
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
    KeywordsXlsx,
    KeywordsCsv,
    QuestionsXlsx,
    QuestionsCsv,
}

impl ExportName {
    pub const ALL: [ExportName; 4] = [
        Self::KeywordsXlsx,
        Self::KeywordsCsv,
        Self::QuestionsXlsx,
        Self::QuestionsCsv,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeywordsXlsx => "keywords.xlsx",
            Self::KeywordsCsv => "keywords.csv",
            Self::QuestionsXlsx => "questions.xlsx",
            Self::QuestionsCsv => "questions.csv",
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
            Self::KeywordsXlsx | Self::QuestionsXlsx => XLSX,
            Self::KeywordsCsv | Self::QuestionsCsv => CSV,
        }
    }
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// Renders export `name` of the entries whose status is in `statuses` or, for keywords, of
/// published build `build`. The API and `lexset export` both call this, so they write the
/// same CSV bytes (a workbook carries its creation time). Rendering runs off the async workers.
pub async fn produce(
    state: &AppState,
    name: ExportName,
    statuses: &[EntryStatus],
    build: Option<i64>,
) -> Result<Vec<u8>, ServiceError> {
    let taxonomy = state.taxonomy.clone();
    let rendered = match name {
        ExportName::KeywordsXlsx | ExportName::KeywordsCsv => {
            let rows = match build {
                Some(number) => {
                    build_keywords(&state.build_environment(), &state.filters, number).await?
                }
                None => keywords(&state.reads, statuses).await?,
            };
            if name == ExportName::KeywordsCsv {
                blocking::off_workers(move || {
                    export::keywords_csv(&taxonomy, &rows).map_err(|e| e.to_string())
                })
                .await?
            } else {
                let (needs, total) = keyword_needs(&taxonomy, &state.rule_profiles_dir)
                    .map_err(CoverageError::Profile)?;
                blocking::off_workers(move || {
                    export::keywords_xlsx(&taxonomy, &rows, &needs, total)
                        .map_err(|e| e.to_string())
                })
                .await?
            }
        }
        ExportName::QuestionsXlsx | ExportName::QuestionsCsv => {
            if build.is_some() {
                return Err(FieldError::unprocessable("build", msg!("questions_by_status")).into());
            }
            let rows = questions(&state.reads, statuses).await?;
            blocking::off_workers(move || {
                if name == ExportName::QuestionsCsv {
                    export::questions_csv(&taxonomy, &rows).map_err(|e| e.to_string())
                } else {
                    export::questions_xlsx(&taxonomy, &rows).map_err(|e| e.to_string())
                }
            })
            .await?
        }
    };
    rendered.map_err(|message| ServiceError::Render(format!("{}: {message}", name.as_str())))
}
