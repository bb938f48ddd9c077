//! What keyword and question handlers share: responses with an `ETag`, reading, retiring and
//! listing the revisions of a versioned entry.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};

use super::AppState;
use super::actor::RequestActor;
use super::error::ApiError;
use super::json_body::OptionalJsonBody;
use super::keywords::KeywordView;
use super::preconditions::{IfMatch, etag};
use super::questions::QuestionView;
use super::revisions::{ReasonRequest, RevisionList};
use crate::domain::text::Reason;
use crate::lint::Lint;
use crate::messages::msg;
use crate::services::audit::AuditStamp;
use crate::services::lints::Linted;
use crate::services::review::{self, Reviewable, Transition};
use crate::services::revisions::{self, ChangeContext};
use crate::services::versioned_change::{self, Editable, VersionedEntity, VersionedModel};
use crate::store::entities::{keyword, question};

use super::request_fields::optional;

/// An entry as the API shows it: its fields and the lints it carries.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EntryView<V: utoipa::ToSchema> {
    #[serde(flatten)]
    pub entry: V,
    /// Quality lints of the entry (errors block approval; see GET /v1/lint-rules).
    pub lints: Vec<Lint>,
}

/// A stored entry and the type the API shows it as.
pub trait Shown: Linted + VersionedModel + Sized {
    type View: serde::Serialize + utoipa::ToSchema + From<Self>;
}

impl Shown for keyword::Model {
    type View = KeywordView;
}

impl Shown for question::Model {
    type View = QuestionView;
}

/// `entry` with its lints.
pub fn view<M: Shown>(state: &AppState, entry: M) -> EntryView<M::View> {
    let lints = entry.lints(state.checks());
    EntryView {
        entry: M::View::from(entry),
        lints,
    }
}

/// An entry with its lints and `ETag`.
pub fn entry_response<M: Shown>(state: &AppState, status: StatusCode, entry: M) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(header::ETag(etag(entry.version())))
        .json(view(state, entry))
}

/// `201 Created` with `Location` and `ETag` of `entry`, and `body`.
pub fn created_response(
    collection: &str,
    entry: &impl VersionedModel,
    body: &impl serde::Serialize,
) -> HttpResponse {
    let mut response = HttpResponse::Created()
        .insert_header(header::ETag(etag(entry.version())))
        .json(body);
    if let Ok(location) = header::HeaderValue::from_str(&format!("{collection}/{}", entry.id())) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Who changes an entry and why, answered with 200 and the entry.
pub fn change_context(
    actor: RequestActor,
    reason: Option<String>,
) -> Result<ChangeContext, ApiError> {
    let audit = actor.audit(StatusCode::OK);
    context(actor, audit, reason)
}

/// Who creates an entry under `collection`, answered with 201 and its `Location`.
pub fn creation_context(actor: RequestActor, collection: &str) -> Result<ChangeContext, ApiError> {
    let audit = actor.audit_created(StatusCode::CREATED, collection);
    context(actor, audit, None)
}

fn context(
    actor: RequestActor,
    audit: AuditStamp,
    reason: Option<String>,
) -> Result<ChangeContext, ApiError> {
    Ok(ChangeContext {
        actor: actor.0,
        reason: optional(reason, Reason::parse)?,
        audit: Some(audit),
    })
}

/// Entries as a page shows them, each with its lints.
pub fn views<M: Shown>(state: &AppState, items: Vec<M>) -> Vec<EntryView<M::View>> {
    items.into_iter().map(|item| view(state, item)).collect()
}

/// An edit of entry `id` based on the version `if_match` names, by `actor`, for `reason`.
pub async fn update<E: Editable<Model: Shown>>(
    state: web::Data<AppState>,
    id: i64,
    actor: RequestActor,
    if_match: IfMatch,
    reason: Option<String>,
    changes: E::Changes,
) -> Result<HttpResponse, ApiError> {
    let context = change_context(actor, reason)?;
    let entry = E::update_entry(
        &state.db,
        state.checks(),
        id,
        &if_match.0,
        &context,
        changes,
    )
    .await?;
    Ok(entry_response(&state, StatusCode::OK, entry))
}

pub async fn get<E: VersionedEntity<Model: Shown>>(
    state: web::Data<AppState>,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let entry = versioned_change::get::<E>(&state.reads, id).await?;
    Ok(entry_response(&state, StatusCode::OK, entry))
}

pub async fn retire<E: VersionedEntity<Model: Shown>>(
    state: web::Data<AppState>,
    id: i64,
    actor: RequestActor,
    if_match: IfMatch,
    body: OptionalJsonBody<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.and_then(|request| request.reason);
    let context = change_context(actor, reason)?;
    let entry = versioned_change::retire::<E>(&state.db, id, &if_match.0, &context).await?;
    Ok(entry_response(&state, StatusCode::OK, entry))
}

/// A review decision on entry `id`: `reject` needs a reason.
pub async fn decide<E: Reviewable<Model: Shown>>(
    state: web::Data<AppState>,
    id: i64,
    actor: RequestActor,
    if_match: IfMatch,
    body: OptionalJsonBody<ReasonRequest>,
    transition: Transition,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.and_then(|request| request.reason);
    if transition == Transition::Reject && reason.is_none() {
        return Err(ApiError::field("reason", msg!("rejection_needs_reason")));
    }
    let context = change_context(actor, reason)?;
    let entry = review::decide::<E>(
        &state.db,
        state.checks(),
        id,
        &if_match.0,
        &context,
        transition,
        state.four_eyes,
    )
    .await?;
    Ok(entry_response(&state, StatusCode::OK, entry))
}

pub async fn revisions<E: VersionedEntity>(
    state: web::Data<AppState>,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    versioned_change::get::<E>(&state.reads, id).await?;
    let models = revisions::list(&state.reads, E::KIND, id).await?;
    Ok(HttpResponse::Ok().json(RevisionList::from_models(models)?))
}

/// Declares one review-decision handler (`approve`, `reject`, `reopen`) of an entry kind with
/// its OpenAPI annotation; the summary is `$head` + noun + `$tail`.
macro_rules! decision_handler {
    (
        $name:ident, $transition:ident, $path:tt, $tag:tt, $noun:tt, $schema:ident,
        $entity:ident, $head:tt, $tail:tt
    ) => {
        #[utoipa::path(
            post, path = $path, tag = $tag,
            summary = concat!($head, $noun, $tail),
            request_body(content = Option<ReasonRequest>, description = "Why, kept in the revision; required to reject"),
            params(
                ("id" = i64, Path, description = concat!("Id of the ", $noun)),
                ("If-Match" = String, Header, description = "ETag of the version decided on"),
            ),
            responses(
                (status = 200, description = concat!("The ", $noun, " as decided"), body = super::entries::EntryView<$schema>,
                    headers(("ETag" = String))),
                (status = 400, description = "A rejection without a reason (`invalid_reason`)", body = ErrorBody),
                (status = 403, description = "Approval by whoever wrote it since its last approval (`four_eyes`)", body = ErrorBody),
                (status = 404, description = concat!("No such ", $noun), body = ErrorBody),
                (status = 409, description = "The decision does not apply to its status (`invalid_transition`), or a reopened entry folds like a live one", body = ErrorBody),
                (status = 412, description = "Someone else changed it first", body = ErrorBody),
                (status = 422, description = "Approval blocked by error lints (`lint_failed`)", body = ErrorBody),
                (status = 428, description = "`If-Match` missing", body = ErrorBody),
            )
        )]
        pub async fn $name(
            state: actix_web::web::Data<super::AppState>,
            id: actix_web::web::Path<i64>,
            actor: super::actor::RequestActor,
            if_match: super::preconditions::IfMatch,
            body: super::json_body::OptionalJsonBody<ReasonRequest>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            let transition = $crate::services::review::Transition::$transition;
            super::entries::decide::<$entity>(state, id.into_inner(), actor, if_match, body, transition).await
        }
    };
}
pub(crate) use decision_handler;

/// Declares the `get`, `retire`, decision and `revisions` handlers of one entry kind, with
/// their OpenAPI annotations, in the calling module. `$schema` names the entry's model there.
macro_rules! entry_handlers {
    (
        tag = $tag:tt,
        noun = $noun:tt,
        schema = $schema:ident,
        entity = $entity:ident,
        get = $get_path:tt,
        retire = $retire_path:tt,
        approve = $approve_path:tt,
        reject = $reject_path:tt,
        reopen = $reopen_path:tt,
        revisions = $revisions_path:tt $(,)?
    ) => {
        $crate::http::entries::decision_handler!(
            approve, Approve, $approve_path, $tag, $noun, $schema, $entity,
            "Approve a draft or rejected ", " (reviewers; not whoever wrote it since its last approval)."
        );
        $crate::http::entries::decision_handler!(
            reject, Reject, $reject_path, $tag, $noun, $schema, $entity,
            "Reject a draft or approved ", ", with a reason (reviewers)."
        );
        $crate::http::entries::decision_handler!(
            reopen, Reopen, $reopen_path, $tag, $noun, $schema, $entity,
            "Reopen a rejected or retired ", " as a draft (reviewers)."
        );

        #[utoipa::path(
            get, path = $get_path, tag = $tag,
            summary = concat!("Read one ", $noun, "."),
            params(("id" = i64, Path, description = concat!("Id of the ", $noun))),
            responses(
                (status = 200, description = concat!("The ", $noun), body = super::entries::EntryView<$schema>,
                    headers(("ETag" = String))),
                (status = 404, description = concat!("No such ", $noun), body = ErrorBody),
            )
        )]
        pub async fn get(
            state: actix_web::web::Data<super::AppState>,
            id: actix_web::web::Path<i64>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            super::entries::get::<$entity>(state, id.into_inner()).await
        }

        #[utoipa::path(
            post, path = $retire_path, tag = $tag,
            summary = concat!("Retire a ", $noun, ": kept with its history, frozen from then on."),
            request_body(content = Option<ReasonRequest>, description = "Optional reason"),
            params(
                ("id" = i64, Path, description = concat!("Id of the ", $noun)),
                ("If-Match" = String, Header, description = "ETag of the version retired"),
            ),
            responses(
                (status = 200, description = concat!("The retired ", $noun), body = super::entries::EntryView<$schema>,
                    headers(("ETag" = String))),
                (status = 404, description = concat!("No such ", $noun), body = ErrorBody),
                (status = 409, description = "Already retired", body = ErrorBody),
                (status = 412, description = "Someone else changed it first", body = ErrorBody),
                (status = 428, description = "`If-Match` missing", body = ErrorBody),
            )
        )]
        pub async fn retire(
            state: actix_web::web::Data<super::AppState>,
            id: actix_web::web::Path<i64>,
            actor: super::actor::RequestActor,
            if_match: super::preconditions::IfMatch,
            body: super::json_body::OptionalJsonBody<ReasonRequest>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            super::entries::retire::<$entity>(state, id.into_inner(), actor, if_match, body).await
        }

        #[utoipa::path(
            get, path = $revisions_path, tag = $tag,
            summary = concat!("Every change of a ", $noun, ", oldest first."),
            params(("id" = i64, Path, description = concat!("Id of the ", $noun))),
            responses(
                (status = 200, description = "The revisions", body = RevisionList),
                (status = 404, description = concat!("No such ", $noun), body = ErrorBody),
            )
        )]
        pub async fn revisions(
            state: actix_web::web::Data<super::AppState>,
            id: actix_web::web::Path<i64>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            super::entries::revisions::<$entity>(state, id.into_inner()).await
        }
    };
}
pub(crate) use entry_handlers;
