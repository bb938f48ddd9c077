//! `/v1/lint-rules` and `/v1/reports/lints`: what the lints check, and where they fire.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::entries::Linted;
use super::error::{ApiError, ErrorBody};
use super::request_fields::optional;
use crate::domain::field_error::FieldError;
use crate::lint::{Lint, RULES, Rule, Severity};
use crate::services::reports;

/// A rule and whether it is switched on here.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    #[serde(flatten)]
    pub rule: Rule,
    pub enabled: bool,
}

/// Every lint rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleView>,
}

/// The lint rules, with their severity and explanation in Chinese and English.
#[utoipa::path(get, path = "/v1/lint-rules", tag = "lints",
    responses((status = 200, description = "The rules", body = RuleList)))]
pub async fn rules(state: web::Data<AppState>) -> HttpResponse {
    let items = RULES
        .iter()
        .map(|rule| RuleView {
            rule: rule.clone(),
            enabled: state.lints.enabled(rule.id),
        })
        .collect();
    HttpResponse::Ok().json(RuleList { items })
}

/// Filters of the lint report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LintReportQuery {
    /// `keyword` or `question` (default both).
    pub kind: Option<String>,
    /// Only this rule.
    pub rule: Option<String>,
    /// `error` or `warning`.
    pub severity: Option<String>,
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

const MAX_ITEMS: usize = 1000;

/// Every live entry with lints, filtered, with counts per rule.
#[utoipa::path(get, path = "/v1/reports/lints", tag = "lints",
    params(LintReportQuery),
    responses(
        (status = 200, description = "The report", body = LintReport),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    ))]
pub async fn report(
    state: web::Data<AppState>,
    query: web::Query<LintReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let kind = optional(query.kind, |raw| match raw {
        "keyword" | "question" => Ok(raw.to_owned()),
        _ => Err(FieldError::new(
            "kind",
            format!("`kind` must be keyword or question, not `{raw}`"),
        )),
    })?;
    let rule = optional(query.rule, |raw| {
        RULES
            .iter()
            .find(|r| r.id == raw)
            .map(|r| r.id)
            .ok_or_else(|| {
                FieldError::new(
                    "rule",
                    format!("no lint rule `{raw}`; see GET /v1/lint-rules"),
                )
            })
    })?;
    let severity = optional(query.severity, |raw| match raw {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        _ => Err(FieldError::new(
            "severity",
            format!("`severity` must be error or warning, not `{raw}`"),
        )),
    })?;
    let keep = |lint: &Lint| {
        rule.is_none_or(|r| r == lint.rule) && severity.is_none_or(|s| s == lint.severity)
    };
    let mut entries = Vec::new();
    if kind.as_deref() != Some("question") {
        for keyword in reports::live_keywords(&state.db).await? {
            let lints: Vec<Lint> = keyword.lints(&state).into_iter().filter(keep).collect();
            if !lints.is_empty() {
                entries.push(LintedEntry {
                    kind: "keyword",
                    id: keyword.id,
                    text: keyword.term,
                    lints,
                });
            }
        }
    }
    if kind.as_deref() != Some("keyword") {
        for question in reports::live_questions(&state.db).await? {
            let lints: Vec<Lint> = question.lints(&state).into_iter().filter(keep).collect();
            if !lints.is_empty() {
                entries.push(LintedEntry {
                    kind: "question",
                    id: question.id,
                    text: question.text,
                    lints,
                });
            }
        }
    }
    let mut counts = BTreeMap::new();
    for entry in &entries {
        for lint in &entry.lints {
            *counts.entry(lint.rule).or_insert(0) += 1;
        }
    }
    let total = entries.len();
    entries.truncate(MAX_ITEMS);
    Ok(HttpResponse::Ok().json(LintReport {
        counts,
        items: entries,
        total,
    }))
}
