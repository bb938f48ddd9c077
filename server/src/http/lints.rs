//! `/v1/lint-rules` and `/v1/reports/lints`: what the lints check, and where they fire.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::optional;
use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;
use crate::lint::{RULES, Rule, Severity};
use crate::messages::msg;
use crate::services::lints::{self, LintFilter, LintReport};

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

impl LintReportQuery {
    fn parse(self) -> Result<LintFilter, FieldError> {
        Ok(LintFilter {
            kind: optional(self.kind, EntryKind::parse)?,
            rule: optional(self.rule, |raw| {
                RULES
                    .iter()
                    .find(|r| r.id == raw)
                    .map(|r| r.id)
                    .ok_or_else(|| FieldError::new("rule", msg!("unknown_lint_rule", value = raw)))
            })?,
            severity: optional(self.severity, Severity::parse)?,
        })
    }
}

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
    let filter = query.into_inner().parse()?;
    Ok(HttpResponse::Ok().json(lints::report(&state, filter).await?))
}
