//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "health", security(()),
    responses((status = 200, description = "Alive", body = Status)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/ready", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    ))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(format!("the database does not answer: {e}")))?;
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
