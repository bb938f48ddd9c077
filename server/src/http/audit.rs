//! Request ids and the audit log: [`record_writes`] gives every request an `X-Request-Id`.
//! An authenticated write (any method but GET / HEAD / OPTIONS) that succeeds had its audit
//! row committed by the service in the change's own transaction (see
//! `services::audit::commit`); one that does not (refused, failed) is appended here afterwards
//! with the status it got. POSTs that change nothing — `match`, a dry-run import — commit no
//! row, so they are recorded only when refused: a filter service calling `match` does not
//! flood the log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::optional;
use crate::domain::text::Actor;
use crate::domain::time::parse_time;
use crate::services::audit::{self, AuditFilter, AuditRecord};
use crate::services::page::PageRequest;
use crate::services::tokens::Principal;
use crate::store::entities::audit_entry;
use crate::telemetry;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of a request: the client's `X-Request-Id` when it is a short token, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn request_id(request: &ServiceRequest) -> String {
    let given = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        });
    match given {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 8];
            // Without randomness the id is still unique enough in time for a log.
            if getrandom::fill(&mut bytes).is_err() {
                bytes = Utc::now()
                    .timestamp_nanos_opt()
                    .unwrap_or_default()
                    .to_le_bytes();
            }
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("req_{hex}")
        }
    }
}

/// Tags every request with an id and appends authenticated write attempts that did not
/// succeed to the audit log.
pub async fn record_writes(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&request);
    request.extensions_mut().insert(RequestId(id.clone()));
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let action = super::route::pattern(request.request())
        .map(|pattern| format!("{} {pattern}", request.method()));
    // The path as routed (percent-decoded), so /v1/keywords/%31 is recorded as /v1/keywords/1.
    let path = request.match_info().as_str().to_owned();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    let mut response = next.call(request).await?;
    if let Some(route) = super::route::pattern(response.request()) {
        telemetry::request(
            &route,
            &method,
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    let principal = response.request().extensions().get::<Principal>().cloned();
    let attempt = write && !response.status().is_success();
    if let (true, Some(action), Some(principal), Some(state)) = (attempt, action, principal, state)
    {
        let record = AuditRecord {
            request_id: Some(&id),
            actor: &principal.name,
            role: Some(principal.role),
            action: &action,
            target: &path,
            status: response.status().as_u16(),
        };
        if let Err(error) = audit::record(&state.db, record).await {
            tracing::error!(request = %id, %error, "cannot append to the audit log");
        }
    }
    Ok(response)
}

/// Parameters of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only writes by this user (or `cli`).
    pub actor: Option<String>,
    /// Only actions starting with this, e.g. `POST /v1/keywords` or `POST /v1/tokens`.
    pub action: Option<String>,
    /// Only this target and those below it, e.g. `/v1/keywords/12` (also its `/approve`).
    pub target: Option<String>,
    /// Only writes at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only writes before this time (RFC 3339).
    pub until: Option<String>,
    /// Entries per page, 1–1000 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One audited write: who, what, on what, when, with which outcome, in which request.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The request's `X-Request-Id` (also in the server log); none for the command line.
    pub request_id: Option<String>,
    /// The user whose token was used, or `cli`.
    pub actor: String,
    pub role: Option<String>,
    /// `POST /v1/keywords/{id}/approve`, `lexset token create`, …
    pub action: String,
    /// The path written, or the resource created (its `Location`).
    pub target: String,
    /// The HTTP status answered (0 for the command line).
    pub status: i32,
}

impl From<audit_entry::Model> for AuditEntryView {
    fn from(model: audit_entry::Model) -> Self {
        Self {
            id: model.id,
            at: model.at,
            request_id: model.request_id,
            actor: model.actor,
            role: model.role,
            action: model.action,
            target: model.target,
            status: model.status,
        }
    }
}

/// One page of the audit log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Read the audit log: every authenticated write, who made it, on what, with which outcome.
#[utoipa::path(
    get, path = "/v1/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "One page", body = AuditPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = AuditFilter {
        actor: optional(query.actor, |raw| Actor::parse(raw).map(Actor::into_inner))?,
        action: query.action,
        target: query.target,
        since: optional(query.since, |raw| parse_time("since", raw))?,
        until: optional(query.until, |raw| parse_time("until", raw))?,
    };
    let page = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())?;
    let (items, next_cursor) = audit::list(&state.reads, filter, page).await?;
    let items = items.into_iter().map(AuditEntryView::from).collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}
