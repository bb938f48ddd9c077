//! `/v1/webhooks`: receivers every published build is POSTed to, managed by admins, with the
//! log of their deliveries.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::request_fields::{NewestQuery, required};
use crate::domain::webhook::WebhookUrl;
use crate::services::webhooks::{self, DeliveryLog};
use crate::store::entities::{webhook, webhook_attempt};

/// A receiver to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// Where to POST: http(s), a query allowed, no user, password or fragment; at most 2000
    /// characters.
    #[schema(required = true, example = "https://hooks.example.cn/lexset")]
    pub url: Option<String>,
}

/// A webhook as the API shows it (its secret only when it is registered).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// The HMAC-SHA256 key of `X-Lexset-Signature`, hex: shown only in the answer to the
    /// registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When it was removed (no deliveries since).
    pub removed_at: Option<DateTime<Utc>>,
}

impl WebhookView {
    fn new(hook: webhook::Model, with_secret: bool) -> Self {
        Self {
            id: hook.id,
            url: hook.url,
            secret: with_secret.then_some(hook.secret),
            created_by: hook.created_by,
            created_at: hook.created_at,
            removed_at: hook.removed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<webhook_attempt::Model> for AttemptView {
    fn from(attempt: webhook_attempt::Model) -> Self {
        Self {
            attempt: attempt.attempt,
            attempted_at: attempt.attempted_at,
            status_code: attempt.status_code,
            error: attempt.error,
            duration_ms: attempt.duration_ms,
        }
    }
}

/// One published build's delivery to a webhook, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub build: i64,
    /// `pending` (to be attempted at `next_attempt_at`), `delivered`, or `failed` (its
    /// attempts ran out, or the webhook was removed).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Its attempts, oldest first.
    pub log: Vec<AttemptView>,
}

impl From<DeliveryLog> for DeliveryView {
    fn from(DeliveryLog { delivery, attempts }: DeliveryLog) -> Self {
        Self {
            id: delivery.id,
            build: delivery.build_number,
            next_attempt_at: (delivery.status == "pending").then_some(delivery.next_attempt_at),
            status: delivery.status,
            attempts: delivery.attempts,
            created_at: delivery.created_at,
            delivered_at: delivery.delivered_at,
            log: attempts.into_iter().map(AttemptView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

/// Register a receiver: each build published from now on is POSTed to it as JSON (the data
/// of a `build.published` event: number, sha256, size, time, signed manifest), signed with
/// the secret in this answer (`X-Lexset-Signature`, see `docs/deploy.md`, "Filter
/// services"), and retried with a doubling backoff until it answers 2xx, 10 attempts at most.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    request_body = WebhookCreate,
    responses(
        (status = 201, description = "Registered; its secret is shown only now", body = WebhookView, headers(("Location" = String))),
        (status = 400, description = "`url` is missing or not an http(s) address", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<WebhookCreate>,
) -> Result<HttpResponse, ApiError> {
    let url = required("url", body.url, WebhookUrl::parse)?;
    let hook = webhooks::register(
        &state.db,
        url,
        &actor.audit_created(StatusCode::CREATED, "/v1/webhooks"),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", hook.id)))
        .json(WebhookView::new(hook, true)))
}

/// Every webhook, removed ones too, newest first.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = WebhookList)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = webhooks::list(&state.reads)
        .await?
        .into_iter()
        .map(|hook| WebhookView::new(hook, false))
        .collect();
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

/// One webhook.
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let hook = webhooks::get(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(WebhookView::new(hook, false)))
}

/// Remove a webhook: nothing more is sent to it (pending deliveries end `failed`); its
/// delivery log stays readable.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "Removed", body = WebhookView),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn remove(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhooks::remove(&state.db, id.into_inner(), &actor.audit(StatusCode::OK)).await?;
    Ok(HttpResponse::Ok().json(WebhookView::new(hook, false)))
}

/// A webhook's newest deliveries, each with the log of its attempts.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), NewestQuery),
    responses(
        (status = 200, description = "The deliveries, newest first", body = DeliveryList),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn deliveries(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = webhooks::deliveries(&state.reads, id.into_inner(), query.limit()?)
        .await?
        .into_iter()
        .map(DeliveryView::from)
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryList { items }))
}
