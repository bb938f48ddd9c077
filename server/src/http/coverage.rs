//! Coverage reports: `/v1/coverage` (JSON, CSV, XLSX), `/v1/coverage/profiles`, and the
//! `/coverage` page.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::{NewestQuery, id_parameter, optional};
use crate::coverage::evaluate::CoverageReport;
use crate::coverage::rules::{DEFAULT_PROFILE, load_profiles};
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::services::coverage::{self, CoverageError, HistoryPoint, ReportFormat};

/// Parameters of the coverage report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// Rule profile id (see `/v1/coverage/profiles`); default `tc260-003-2024`.
    pub profile: Option<String>,
    /// Statuses counted, comma-separated (`approved`, `draft`, `rejected`); default `approved`.
    pub status: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
    /// A question set id: the question rules count its members as frozen.
    #[param(value_type = Option<i64>)]
    pub set: Option<String>,
}

impl From<CoverageError> for ApiError {
    fn from(error: CoverageError) -> Self {
        match error {
            CoverageError::UnknownProfile { .. } => ApiError::invalid(
                actix_web::http::StatusCode::NOT_FOUND,
                "profile_not_found",
                error.message(),
            ),
            CoverageError::Profile(_) => ApiError::system("invalid_rule_profile", error.message()),
            CoverageError::Database(db) => db.into(),
        }
    }
}

impl CoverageQuery {
    fn parse(&self) -> Result<(&str, Vec<EntryStatus>, Option<i64>), FieldError> {
        let statuses = EntryStatus::parse_counted(self.status.as_deref())?;
        let set = optional(self.set.clone(), |raw| id_parameter("set", raw))?;
        Ok((
            self.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
            statuses,
            set,
        ))
    }
}

/// Coverage of a rule profile: every rule and group with have, need and gap.
#[utoipa::path(
    get, path = "/v1/coverage", tag = "coverage",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The report (JSON; `format=csv` or `xlsx` for files)", body = CoverageReport),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such profile or question set", body = ErrorBody),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (profile, statuses, set) = query.parse()?;
    let format = optional(query.format.clone(), ReportFormat::parse)?.unwrap_or(ReportFormat::Json);
    let bytes = coverage::report_file(&state, profile, &statuses, set, format).await?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if format != ReportFormat::Json {
        let extension = format.as_str();
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"coverage-{profile}.{extension}\""),
        ));
    }
    Ok(response.body(bytes))
}

/// A rule profile as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileSummary {
    pub id: String,
    pub title: String,
    /// The seed file or data-directory file it was read from.
    pub origin: String,
    /// Rule ids in order.
    pub rules: Vec<String>,
}

/// The available rule profiles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<ProfileSummary>,
}

/// The rule profiles: shipped ones and any `*.toml` in `<data dir>/rule-profiles/`.
#[utoipa::path(
    get, path = "/v1/coverage/profiles", tag = "coverage",
    responses((status = 200, description = "The profiles", body = ProfileList))
)]
pub async fn profiles(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let profiles =
        load_profiles(&state.taxonomy, &state.rule_profiles_dir).map_err(CoverageError::Profile)?;
    let items = profiles
        .into_iter()
        .map(|p| ProfileSummary {
            rules: p.rules.iter().map(|r| r.id.clone()).collect(),
            id: p.id,
            title: p.title,
            origin: p.origin,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProfileList { items }))
}

/// The coverage page: server-rendered HTML with SVG bars, no script.
pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (profile, statuses, set) = query.parse()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(coverage::page(&state, profile, &statuses, set).await?))
}

/// Coverage over the published builds, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageHistory {
    pub items: Vec<HistoryPoint>,
}

/// How gaps closed over builds: each build's stored coverage report, summarised.
#[utoipa::path(
    get, path = "/v1/coverage/history", tag = "coverage",
    params(NewestQuery),
    responses(
        (status = 200, description = "One point per published build (the newest `limit`)", body = CoverageHistory),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
    )
)]
pub async fn history(
    state: web::Data<AppState>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = coverage::history(&state.reads, query.limit()?).await?;
    Ok(HttpResponse::Ok().json(CoverageHistory { items }))
}
