//! Lints of stored entries: what fires on one entry, the one rule that error lints block
//! approval, and the report over the whole store.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, Checks, ServiceError, blocking, reports};
use crate::domain::revision::EntryKind;
use crate::domain::status::EntryStatus;
use crate::lint::{self, Lint, Severity};
use crate::store::entities::{keyword, question};

/// A stored entry whose lints can be computed from its row.
pub trait Linted {
    fn lints(&self, checks: Checks<'_>) -> Vec<Lint>;
}

impl Linted for keyword::Model {
    fn lints(&self, checks: Checks<'_>) -> Vec<Lint> {
        lint::keyword(checks.lints, &checks.dedup.profile, &self.term, self.kind)
    }
}

impl Linted for question::Model {
    fn lints(&self, checks: Checks<'_>) -> Vec<Lint> {
        lint::question(
            checks.lints,
            &checks.dedup.profile,
            super::questions::facts(self),
        )
    }
}

/// The number of error lints among `lints` (what `lint_errors` stores), or `LintFailed` when
/// the entry is to be `approved` with any: the one place approval is refused for lints.
pub fn error_count(lints: &[Lint], status: EntryStatus) -> Result<i32, ServiceError> {
    let errors = lint::errors(lints);
    if status == EntryStatus::Approved && !errors.is_empty() {
        return Err(ServiceError::LintFailed { rules: errors });
    }
    Ok(i32::try_from(errors.len()).unwrap_or(i32::MAX))
}

/// Which lints the store report keeps.
#[derive(Debug, Clone, Default)]
pub struct LintFilter {
    /// Only this entry kind (default both).
    pub kind: Option<EntryKind>,
    /// Only this rule id.
    pub rule: Option<&'static str>,
    pub severity: Option<Severity>,
}

impl LintFilter {
    fn keeps(&self, lint: &Lint) -> bool {
        self.rule.is_none_or(|rule| rule == lint.rule)
            && self
                .severity
                .is_none_or(|severity| severity == lint.severity)
    }
}

/// A live entry with the lints that fired on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LintedEntry {
    /// `keyword` or `question`.
    pub kind: &'static str,
    pub id: i64,
    /// The term or question text.
    pub text: String,
    pub lints: Vec<Lint>,
}

/// Lints over the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct LintReport {
    /// Entries per rule.
    pub counts: BTreeMap<&'static str, usize>,
    /// At most 1000 entries, in id order per kind.
    pub items: Vec<LintedEntry>,
    pub total: usize,
}

/// The most entries a report lists; `counts` and `total` cover all of them.
const MAX_ITEMS: usize = 1000;

/// Every live entry with lints that `filter` keeps, with counts per rule. Linting the whole
/// store is CPU work: it runs off the async workers.
pub async fn report(state: &AppState, filter: LintFilter) -> Result<LintReport, ServiceError> {
    let keywords = match filter.kind {
        Some(EntryKind::Question) => Vec::new(),
        _ => reports::live_keywords(&state.reads).await?,
    };
    let questions = match filter.kind {
        Some(EntryKind::Keyword) => Vec::new(),
        _ => reports::live_questions(&state.reads).await?,
    };
    let (dedup, lints, taxonomy, templates) = (
        state.dedup.clone(),
        state.lints.clone(),
        state.taxonomy.clone(),
        state.answer_templates.clone(),
    );
    let report = blocking::off_workers(move || {
        let checks = Checks {
            dedup: &dedup,
            lints: &lints,
            taxonomy: &taxonomy,
            templates: &templates,
        };
        let mut entries = Vec::new();
        let mut collect = |kind: EntryKind, id: i64, text: String, found: Vec<Lint>| {
            let found: Vec<Lint> = found.into_iter().filter(|l| filter.keeps(l)).collect();
            if !found.is_empty() {
                entries.push(LintedEntry {
                    kind: kind.as_str(),
                    id,
                    text,
                    lints: found,
                });
            }
        };
        for keyword in keywords {
            let found = keyword.lints(checks);
            collect(EntryKind::Keyword, keyword.id, keyword.term, found);
        }
        for question in questions {
            let found = question.lints(checks);
            collect(EntryKind::Question, question.id, question.text, found);
        }
        let mut counts = BTreeMap::new();
        for lint in entries.iter().flat_map(|entry| &entry.lints) {
            *counts.entry(lint.rule).or_insert(0) += 1;
        }
        let total = entries.len();
        entries.truncate(MAX_ITEMS);
        LintReport {
            counts,
            items: entries,
            total,
        }
    })
    .await?;
    Ok(report)
}
