//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::messages::msg;
use crate::services::periodic::WorkerHealth;
use crate::telemetry;

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

/// Counters and latency histograms in the Prometheus text format (see `telemetry`).
#[utoipa::path(get, path = "/metrics", tag = "health", security(()),
    responses((status = 200, description = "The Prometheus exposition", content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pools = state.pool_usage();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(telemetry::render(&pools))
}

/// The background workers of a running server (search indexer, task leases).
#[derive(Debug, Clone)]
pub struct Workers(pub Vec<WorkerHealth>);

/// The database answers and the background workers run.
#[utoipa::path(get, path = "/ready", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The database does not answer (`database_unavailable`), or a background worker stopped (`worker_stopped`)", body = ErrorBody),
    ))]
pub async fn ready(
    state: web::Data<AppState>,
    workers: web::Data<Workers>,
) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(|e| {
        ApiError::unavailable(
            "database_unavailable",
            msg!("database_unavailable", detail = e.to_string()),
        )
    })?;
    if let Some(stopped) = workers.0.iter().find(|worker| !worker.is_alive()) {
        return Err(ApiError::unavailable(
            "worker_stopped",
            msg!("worker_stopped", worker = stopped.name),
        ));
    }
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
