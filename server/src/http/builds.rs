//! `/v1/builds` and `/v1/tasks`: compiling, distributing, diffing and matching builds.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use actix_web_lab::sse;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use lexset_filter::Hit;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::preconditions::holds_current;
use super::request_fields::NewestQuery;
use crate::domain::field_error::FieldError;
use crate::messages::msg;
use crate::services::build_events::{self, PublishedBuild};
use crate::services::builds::{self, BuildDiff, BuildError};
use crate::services::signing::{self, ManifestEnvelope};
use crate::services::tasks;
use crate::store::entities::{build, task};

impl From<BuildError> for ApiError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::NotFound(_) | BuildError::NoneYet => {
                ApiError::invalid(StatusCode::NOT_FOUND, "build_not_found", error.message())
            }
            BuildError::NotPublished { .. } => {
                ApiError::invalid(StatusCode::CONFLICT, "build_not_published", error.message())
            }
            BuildError::Database(db) => db.into(),
            other => ApiError::from(sea_orm::DbErr::Custom(other.to_string())),
        }
    }
}

/// A build as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildView {
    pub number: i64,
    /// `compiling`, `published` or `failed`.
    pub status: String,
    pub task_id: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub fold_profile_id: String,
    pub fold_profile_hash: String,
    /// Hex SHA-256 of the artefact; also its `ETag`.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    /// Entries compiled: total, by kind, by risk.
    #[schema(value_type = Option<Object>)]
    pub counts: Option<Box<RawValue>>,
    /// The `tc260-003-2024` coverage report at build time (single-build reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub coverage: Option<Box<RawValue>>,
    pub error: Option<String>,
}

/// Stored JSON as the answer embeds it: checked, but not parsed into a tree and written out
/// again. A finished import's task result holds a row report of about 100 bytes a row (10 MB
/// for 100 000 rows); building and writing its tree took an HTTP worker 0.1–0.2 s, during which
/// the other requests on that worker waited.
fn embedded_json(text: Option<String>) -> Option<Box<RawValue>> {
    text.and_then(|t| RawValue::from_string(t).ok())
}

impl BuildView {
    fn new(model: build::Model, with_coverage: bool) -> Self {
        Self {
            counts: embedded_json(model.counts),
            coverage: with_coverage
                .then(|| embedded_json(model.coverage))
                .flatten(),
            number: model.number,
            status: model.status,
            task_id: model.task_id,
            created_by: model.created_by,
            created_at: model.created_at,
            published_at: model.published_at,
            fold_profile_id: model.fold_profile_id,
            fold_profile_hash: model.fold_profile_hash,
            sha256: model.sha256,
            size: model.size,
            error: model.error,
        }
    }
}

/// Progress of long work.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub kind: String,
    /// `enqueued`, `processing`, `succeeded` or `failed`.
    pub status: String,
    pub stage: String,
    pub done: i32,
    pub total: i32,
    #[schema(value_type = Option<Object>)]
    pub result: Option<Box<RawValue>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<task::Model> for TaskView {
    fn from(model: task::Model) -> Self {
        Self {
            result: embedded_json(model.result),
            id: model.id,
            kind: model.kind,
            status: model.status,
            stage: model.stage,
            done: model.done,
            total: model.total,
            error: model.error,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// A started build and the task to poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildStarted {
    pub build: BuildView,
    pub task: TaskView,
}

/// Start a build of the approved keywords; poll the task until it succeeds.
#[utoipa::path(
    post, path = "/v1/builds", tag = "builds",
    responses((status = 202, description = "Started; `Location` is the task", body = BuildStarted))
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
) -> Result<HttpResponse, ApiError> {
    let (build, task) = builds::start(
        &state.build_environment(),
        &actor.audit_created(StatusCode::ACCEPTED, "/v1/tasks"),
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{}", task.id)))
        .json(BuildStarted {
            build: BuildView::new(build, false),
            task: task.into(),
        }))
}

/// Published builds, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildList {
    pub items: Vec<BuildView>,
}

/// Published builds, newest first.
#[utoipa::path(get, path = "/v1/builds", tag = "builds",
    params(NewestQuery),
    responses(
        (status = 200, description = "The builds", body = BuildList),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit()?;
    let items = builds::pull(
        &state,
        |db| async move { Ok(builds::list(&db, limit).await?) },
    )
    .await?
    .into_iter()
    .map(|b| BuildView::new(b, false))
    .collect();
    Ok(HttpResponse::Ok().json(BuildList { items }))
}

/// The newest published build. Its `ETag` names the build (`"build-<n>"`): a filter service
/// polling with `If-None-Match` gets `304` until a newer build is published.
#[utoipa::path(get, path = "/v1/builds/latest", tag = "builds",
    params(("If-None-Match" = Option<String>, Header, description = "ETag you hold")),
    responses(
        (status = 200, description = "The build", body = BuildView),
        (status = 304, description = "Still the newest"),
        (status = 404, description = "No build published yet", body = ErrorBody),
    ))]
pub async fn latest(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let newest = builds::pull(&state, |db| async move { builds::latest(&db).await }).await?;
    let etag = header::EntityTag::new_strong(format!("build-{}", newest.number));
    if holds_current(&request, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(header::ETag(etag))
        .json(BuildView::new(newest, true)))
}

/// Published builds as Server-Sent Events (`text/event-stream`): each event is named
/// `build.published`, its id is the build number and its data the JSON of a
/// `PublishedBuild` (number, sha256, size, publication time, signed manifest); fetch the
/// artefact with `GET /v1/builds/{n}/artifact`. On connecting, the newest build is sent
/// first; with `Last-Event-ID: n` (a reconnecting client), every build numbered above `n`
/// instead. A comment every 15 s keeps idle connections open. Every replica announces every
/// build: the one that published it at once, the others within about a quarter of a second.
#[utoipa::path(get, path = "/v1/builds/events", tag = "builds",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last build number received; a value that is not one is ignored")),
    responses(
        (status = 200, description = "The event stream; each event's data is a PublishedBuild", content_type = "text/event-stream", body = PublishedBuild),
    ))]
pub async fn events(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<impl Responder, ApiError> {
    let after = request
        .headers()
        .get("Last-Event-ID")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<i64>().ok());
    let builds = build_events::subscribe(
        &state.reads,
        &state.build_events,
        state.closing.subscribe(),
        after,
    )
    .await?;
    let events = builds.map(|build| {
        let data = serde_json::to_string(&*build).unwrap_or_default();
        sse::Event::Data(
            sse::Data::new(data)
                .id(build.build.to_string())
                .event(build_events::EVENT),
        )
    });
    Ok(sse::Sse::from_infallible_stream(events)
        .with_keep_alive(EVENT_KEEP_ALIVE)
        .with_retry_duration(EVENT_RETRY))
}

/// How often an idle event stream sends a comment, so proxies keep it open.
const EVENT_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);
/// How long a disconnected `EventSource` waits before reconnecting.
const EVENT_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// The signed manifest of a published build: what a filter service checks the artefact
/// against before loading it. Never changes.
#[utoipa::path(get, path = "/v1/builds/{number}/manifest", tag = "builds",
    params(("number" = i64, Path, description = "Build number")),
    responses(
        (status = 200, description = "The manifest envelope", body = ManifestEnvelope),
        (status = 404, description = "No such build", body = ErrorBody),
        (status = 409, description = "Not published (yet)", body = ErrorBody),
    ))]
pub async fn manifest(
    state: web::Data<AppState>,
    number: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner();
    let signed = builds::pull(
        &state,
        |db| async move { signing::manifest(&db, number).await },
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .json(signed))
}

/// One build, with its counts and the coverage report of its moment.
#[utoipa::path(get, path = "/v1/builds/{number}", tag = "builds",
    params(("number" = i64, Path, description = "Build number")),
    responses(
        (status = 200, description = "The build", body = BuildView),
        (status = 404, description = "No such build", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    number: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner();
    let build = builds::pull(&state, |db| async move { builds::get(&db, number).await }).await?;
    Ok(HttpResponse::Ok().json(BuildView::new(build, true)))
}

/// Download the artefact. Strong `ETag` (its SHA-256); `If-None-Match` answers 304; cached
/// forever, since a published build never changes.
#[utoipa::path(get, path = "/v1/builds/{number}/artifact", tag = "builds",
    params(
        ("number" = i64, Path, description = "Build number"),
        ("If-None-Match" = Option<String>, Header, description = "ETag you hold"),
    ),
    responses(
        (status = 200, description = "The artefact (docs/artifact-format.md)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "Unchanged"),
        (status = 404, description = "No such build", body = ErrorBody),
        (status = 409, description = "Not published (yet)", body = ErrorBody),
    ))]
pub async fn artifact(
    state: web::Data<AppState>,
    number: web::Path<i64>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner();
    let build = builds::pull(
        &state,
        |db| async move { builds::published(&db, number).await },
    )
    .await?;
    let sha256 = build.sha256.unwrap_or_default();
    let etag = header::EntityTag::new_strong(sha256.clone());
    // `private`: the request carries a token, so shared caches must not serve the lexicon to
    // others; the client's own cache may keep it forever.
    let cache = (
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    if holds_current(&request, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .insert_header(cache)
            .finish());
    }
    let bytes = builds::pull(
        &state,
        |db| async move { builds::artifact(&db, number).await },
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(header::ETag(etag))
        .insert_header(cache)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"build-{}.lexset\"", build.number),
        ))
        .body(bytes))
}

/// What changed between two published builds.
#[utoipa::path(get, path = "/v1/builds/{from}/diff/{to}", tag = "builds",
    params(
        ("from" = i64, Path, description = "Older build"),
        ("to" = i64, Path, description = "Newer build"),
    ),
    responses(
        (status = 200, description = "Added, removed and re-categorised rules", body = BuildDiff),
        (status = 404, description = "No such build", body = ErrorBody),
    ))]
pub async fn diff(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = path.into_inner();
    Ok(HttpResponse::Ok().json(builds::diff(&state, from, to).await?))
}

/// The longest text `/match` takes, in characters: an interactive check, not bulk filtering
/// (filter services load the artefact for that).
pub const MAX_MATCH_CHARS: usize = 100_000;

/// Text to match.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// At most 100 000 characters.
    #[schema(required = true, example = "有人在卖法 輪 功的书")]
    pub text: Option<String>,
}

/// The hits in a text.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResult<'a> {
    pub build: i64,
    /// Each hit: `term`, `kind` (`keyword` or `all_of`), `risks`, `span` in the original text
    /// (`byte_start`, `byte_end`, `char_start`, `char_end`) and, for AND rules, `parts`.
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<Hit<'a>>,
}

/// Match a text with a build: folded with the build's profile, allow-list and AND rules
/// applied; spans point into the text as sent.
#[utoipa::path(post, path = "/v1/builds/{number}/match", tag = "builds",
    request_body = MatchRequest,
    params(("number" = i64, Path, description = "Build number")),
    responses(
        (status = 200, description = "The hits", body = MatchResult),
        (status = 400, description = "No text, or a text over 100 000 characters", body = ErrorBody),
        (status = 404, description = "No such build", body = ErrorBody),
        (status = 413, description = "The body is over 1 MiB", body = ErrorBody),
    ))]
pub async fn match_text(
    state: web::Data<AppState>,
    number: web::Path<i64>,
    JsonBody(body): JsonBody<MatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let number = number.into_inner();
    let text = body.text.ok_or_else(|| FieldError::missing("text"))?;
    if text.chars().count() > MAX_MATCH_CHARS {
        return Err(
            FieldError::new("text", msg!("match_text_too_long", max = MAX_MATCH_CHARS)).into(),
        );
    }
    let filter = builds::filter(&state.build_environment(), &state.filters, number).await?;
    Ok(HttpResponse::Ok().json(MatchResult {
        build: number,
        hits: filter.find(&text),
    }))
}

/// Progress of a task.
#[utoipa::path(get, path = "/v1/tasks/{id}", tag = "builds",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskView),
        (status = 404, description = "No such task", body = ErrorBody),
    ))]
pub async fn task(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let task = tasks::poll(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(TaskView::from(task)))
}
