//! `/v1/filings`: filing packages, assembled once and downloaded as stored.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::request_fields::{JsonInt, int, ints};
use crate::domain::field_error::FieldError;
use crate::services::filings::{self, FilingRequest, Manifest};
use crate::store::entities::filing;

/// A filing package to assemble.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingCreate {
    /// The published build whose keyword workbook (附件4) is filed.
    #[schema(value_type = i64, required = true)]
    pub build: Option<JsonInt<i64>>,
    /// Frozen question sets whose workbooks (附件5) are filed (live, not retired).
    #[schema(value_type = Option<Vec<i64>>)]
    pub sets: Option<Vec<JsonInt<i64>>>,
    /// Test runs whose workbooks and reports are filed.
    #[schema(value_type = Option<Vec<i64>>)]
    pub runs: Option<Vec<JsonInt<i64>>>,
    /// The rule profile of the coverage report and the run reports; default
    /// `tc260-003-2024`.
    pub profile: Option<String>,
}

impl FilingCreate {
    fn parse(self) -> Result<FilingRequest, FieldError> {
        Ok(FilingRequest {
            build: int(self.build).ok_or_else(|| FieldError::missing("build"))?,
            sets: ints(self.sets).unwrap_or_default(),
            runs: ints(self.runs).unwrap_or_default(),
            profile: self
                .profile
                .unwrap_or_else(|| crate::coverage::rules::DEFAULT_PROFILE.to_owned()),
        })
    }
}

/// A filing package: its archive's digest and size, and its manifest.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingView {
    pub id: i64,
    /// Of the archive (`GET /v1/filings/{id}/archive`, whose `ETag` it is).
    pub sha256: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub manifest: Manifest,
}

impl FilingView {
    fn new(filing: filing::Model) -> Result<Self, ApiError> {
        let manifest = filings::manifest_of(&filing)?;
        Ok(Self {
            id: filing.id,
            sha256: filing.sha256,
            size: filing.size,
            created_by: filing.created_by,
            created_at: filing.created_at,
            manifest,
        })
    }
}

/// Assemble a filing package: the keyword workbook of a published build, the workbook of
/// each frozen question set, the coverage report of the profile, each run's workbook and
/// report, and `manifest.json` (each file's sha256 and size, the build and its artefact's
/// sha256, the sets' versions, the fold profile, the rule profile, lexset's version, who and
/// when). Stored whole and never changed.
#[utoipa::path(post, path = "/v1/filings", tag = "filings",
    request_body = FilingCreate,
    responses(
        (status = 201, description = "Assembled; `Location` is the package", body = FilingView),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such build, set, run or profile", body = ErrorBody),
        (status = 409, description = "The build is not published, a set is retired, or a run's model call is still calling", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<FilingCreate>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse()?;
    let audit = actor.audit_created(StatusCode::CREATED, "/v1/filings");
    let filing = filings::assemble(&state, request, &audit).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/filings/{}", filing.id)))
        .json(FilingView::new(filing)?))
}

/// Filing packages.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingList {
    /// Newest first.
    pub items: Vec<FilingView>,
}

/// Every filing package, newest first.
#[utoipa::path(get, path = "/v1/filings", tag = "filings",
    responses((status = 200, description = "The packages", body = FilingList)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = filings::list(&state.reads)
        .await?
        .into_iter()
        .map(FilingView::new)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(FilingList { items }))
}

/// One filing package: its digest and manifest.
#[utoipa::path(get, path = "/v1/filings/{id}", tag = "filings",
    params(("id" = i64, Path, description = "Filing id")),
    responses(
        (status = 200, description = "The package", body = FilingView),
        (status = 404, description = "No such filing", body = ErrorBody),
    ))]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let filing = filings::summary(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(FilingView::new(filing)?))
}

/// The package's zip archive, as stored: the same bytes every time (`ETag` is its sha256).
#[utoipa::path(get, path = "/v1/filings/{id}/archive", tag = "filings",
    params(("id" = i64, Path, description = "Filing id")),
    responses(
        (status = 200, description = "The zip archive"),
        (status = 404, description = "No such filing", body = ErrorBody),
    ))]
pub async fn archive(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let filing = filings::get(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::ETAG, format!("\"{}\"", filing.sha256)))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"filing-{}.zip\"", filing.id),
        ))
        .body(filing.archive))
}
