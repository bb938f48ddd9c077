//! Coverage reports: `/v1/coverage` (JSON, CSV, XLSX), `/v1/coverage/profiles`, and the
//! `/coverage` page.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::NewestQuery;
use crate::coverage::evaluate::CoverageReport;
use crate::coverage::render;
use crate::coverage::rules::{DEFAULT_PROFILE, load_profiles};
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::services::coverage::{self, CoverageError};

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
}

/// Parses a comma-separated list of countable statuses.
pub fn parse_statuses(raw: Option<&str>) -> Result<Vec<EntryStatus>, FieldError> {
    let Some(raw) = raw else {
        return Ok(vec![EntryStatus::Approved]);
    };
    let statuses = super::request_fields::statuses(raw)?;
    if statuses.contains(&EntryStatus::Retired) {
        return Err(FieldError::new(
            "status",
            "retired entries never count toward coverage",
        ));
    }
    Ok(statuses)
}

impl From<CoverageError> for ApiError {
    fn from(error: CoverageError) -> Self {
        match error {
            CoverageError::UnknownProfile { .. } => ApiError::invalid(
                actix_web::http::StatusCode::NOT_FOUND,
                "profile_not_found",
                error.to_string(),
            ),
            CoverageError::Profile(profile) => {
                ApiError::system("invalid_rule_profile", profile.to_string())
            }
            CoverageError::Database(db) => db.into(),
        }
    }
}

async fn build_report(
    state: &AppState,
    query: &CoverageQuery,
) -> Result<(CoverageReport, Vec<(String, String)>), ApiError> {
    let statuses = parse_statuses(query.status.as_deref())?;
    let profile = query.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    let (report, profiles) = coverage::report(
        &state.db,
        &state.taxonomy,
        &state.rule_profiles_dir,
        profile,
        &statuses,
    )
    .await?;
    let names = profiles.into_iter().map(|p| (p.id, p.title)).collect();
    Ok((report, names))
}

/// Coverage of a rule profile: every rule and group with have, need and gap.
#[utoipa::path(
    get, path = "/v1/coverage", tag = "coverage",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The report (JSON; `format=csv` or `xlsx` for files)", body = CoverageReport),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such profile", body = ErrorBody),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (report, _) = build_report(&state, &query).await?;
    let file_name = |extension: &str| {
        (
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"coverage-{}.{extension}\"",
                report.profile
            ),
        )
    };
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(&report)),
        "csv" => {
            let bytes = render::csv(&report).map_err(|e| {
                ApiError::from(sea_orm::DbErr::Custom(format!("CSV rendering: {e}")))
            })?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(file_name("csv"))
                .body(bytes))
        }
        "xlsx" => {
            let bytes = render::xlsx(&report).map_err(|e| {
                ApiError::from(sea_orm::DbErr::Custom(format!("XLSX rendering: {e}")))
            })?;
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header(file_name("xlsx"))
                .body(bytes))
        }
        other => Err(FieldError::new(
            "format",
            format!("`format` must be json, csv or xlsx, not `{other}`"),
        )
        .into()),
    }
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
    let (report, profiles) = build_report(&state, &query).await?;
    let mut builds = Vec::new();
    for build in crate::services::builds::list(&state.db, 10).await? {
        let evaluations = crate::services::evaluations::list(&state.db, build.number, 10)
            .await?
            .into_iter()
            .map(|e| (e.id, e.status))
            .collect();
        builds.push(render::BuildLinks {
            number: build.number,
            evaluations,
        });
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(render::html(&report, &profiles, &builds)))
}

/// How the gaps of one build's coverage report stood.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    pub build: i64,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub profile: String,
    pub passed: bool,
    /// Total gap per rule (freshness rules: 1 when failing).
    pub gaps: std::collections::BTreeMap<String, u64>,
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
    let mut builds = crate::services::builds::list(&state.db, query.limit()?).await?;
    builds.reverse();
    let items = builds
        .into_iter()
        .filter_map(|build| {
            // The stored report, read as JSON: older builds may carry older report shapes.
            let report: serde_json::Value =
                serde_json::from_str(build.coverage.as_deref()?).ok()?;
            let gaps = report["rules"]
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
                .collect();
            Some(HistoryPoint {
                build: build.number,
                published_at: build.published_at,
                profile: report["profile"].as_str()?.to_owned(),
                passed: report["passed"].as_bool()?,
                gaps,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(CoverageHistory { items }))
}
