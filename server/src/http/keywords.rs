//! `/v1/keywords`: the interception lexicon.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::entries::{self, EntryView, created_response, creation_context, view};
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::preconditions::IfMatch;
use super::request_fields::{edit_optional, edit_required, nullable, optional, required};
use super::revisions::{ReasonRequest, RevisionList};
use crate::domain::field_error::FieldError;
use crate::domain::keyword::{KeywordChanges, KeywordTerm, NewKeyword};
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::domain::taxonomy_code::RiskCode;
use crate::domain::text::{Lines, Note, Source, parse_bounded};
use crate::services::keywords::{self, KeywordFilter};
use crate::services::page::PageRequest;
use crate::store::entities::keyword::{self, Entity};
use crate::taxonomy::Taxonomy;

/// A keyword as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Keyword)]
pub struct KeywordView {
    pub id: i64,
    pub term: String,
    pub kind: KeywordKind,
    /// Primary risk code, e.g. `A.1.f`.
    pub risk: String,
    pub note: Option<String>,
    pub source: Option<String>,
    pub status: EntryStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one with every change; the `ETag` is `"<version>"`.
    pub version: i32,
}

impl From<keyword::Model> for KeywordView {
    fn from(model: keyword::Model) -> Self {
        Self {
            id: model.id,
            term: model.term,
            kind: model.kind,
            risk: model.risk,
            note: model.note,
            source: model.source,
            status: model.status,
            created_by: model.created_by,
            created_at: model.created_at,
            updated_at: model.updated_at,
            version: model.version,
        }
    }
}

/// A new keyword.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordCreate {
    /// The keyword; 1–100 characters on one line.
    #[schema(required = true, example = "法轮功")]
    pub term: Option<String>,
    /// `block` (default), `allow` (allow-list entry) or `all_of` (`A+B`: every part).
    pub kind: Option<String>,
    /// A risk code from `GET /v1/risks`, e.g. `A.1.a`.
    #[schema(required = true, example = "A.1.a")]
    pub risk: Option<String>,
    pub note: Option<String>,
    pub source: Option<String>,
}

impl KeywordCreate {
    fn parse(self, taxonomy: &Taxonomy) -> Result<NewKeyword, FieldError> {
        Ok(NewKeyword {
            term: required("term", self.term, KeywordTerm::parse)?,
            kind: optional(self.kind, KeywordKind::parse)?.unwrap_or(KeywordKind::Block),
            risk: required("risk", self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            note: optional(self.note, Note::parse)?,
            source: optional(self.source, Source::parse)?,
            // New entries wait for review; decisions have their own endpoints.
            status: EntryStatus::Draft,
        })
    }
}

/// An edit of a keyword: absent fields stay as they are; `null` clears `note` or `source`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub term: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub risk: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub note: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub source: Option<Option<String>>,
    /// Why the change is made; kept in the revision.
    pub reason: Option<String>,
}

impl KeywordPatch {
    fn parse(self, taxonomy: &Taxonomy) -> Result<KeywordChanges, FieldError> {
        Ok(KeywordChanges {
            term: edit_required("term", self.term, KeywordTerm::parse)?,
            kind: edit_required("kind", self.kind, KeywordKind::parse)?,
            risk: edit_required("risk", self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            note: edit_optional(self.note, Note::parse)?,
            source: edit_optional(self.source, Source::parse)?,
        })
    }
}

/// Filters and paging of `GET /v1/keywords`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeywordListQuery {
    /// Only this kind (`block`, `allow`, `all_of`).
    pub kind: Option<String>,
    /// Only this risk code.
    pub risk: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only terms starting with this text (exact, case-sensitive).
    pub prefix: Option<String>,
    /// Entries per page, 1–1000 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl KeywordListQuery {
    fn parse(self, taxonomy: &Taxonomy) -> Result<(KeywordFilter, PageRequest), FieldError> {
        let filter = KeywordFilter {
            kind: optional(self.kind, KeywordKind::parse)?,
            risk: optional(self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            status: optional(self.status, EntryStatus::parse)?,
            prefix: optional(self.prefix, |raw| {
                parse_bounded("prefix", raw, KeywordTerm::MAX_CHARS, Lines::Single)
            })?,
        };
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref())?;
        Ok((filter, page))
    }
}

/// One page of keywords, in id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordPage {
    pub items: Vec<EntryView<KeywordView>>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Create a keyword, as a draft waiting for review.
#[utoipa::path(
    post, path = "/v1/keywords", tag = "keywords",
    request_body = KeywordCreate,
    responses(
        (status = 201, description = "Created, with its lints", body = EntryView<KeywordView>,
            headers(("ETag" = String), ("Location" = String))),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 409, description = "A live keyword folds to the same key (`duplicate_keyword`, with `existing`)", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<KeywordCreate>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parse(&state.taxonomy)?;
    let context = creation_context(actor, "/v1/keywords")?;
    let keyword = keywords::create(&state.db, state.checks(), &context, new).await?;
    Ok(created_response(
        "/v1/keywords",
        &keyword,
        &view(&state, keyword.clone()),
    ))
}

/// List keywords, filtered, in pages.
#[utoipa::path(
    get, path = "/v1/keywords", tag = "keywords",
    params(KeywordListQuery),
    responses(
        (status = 200, description = "One page", body = KeywordPage),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<KeywordListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().parse(&state.taxonomy)?;
    let (items, next_cursor) = keywords::list(&state.reads, filter, page).await?;
    let items = entries::views(&state, items);
    Ok(HttpResponse::Ok().json(KeywordPage { items, next_cursor }))
}

/// Edit a keyword. Requires `If-Match` with the ETag it was based on; an approved or rejected
/// keyword goes back to draft (review).
#[utoipa::path(
    patch, path = "/v1/keywords/{id}", tag = "keywords",
    request_body = KeywordPatch,
    params(
        ("id" = i64, Path, description = "Id of the keyword"),
        ("If-Match" = String, Header, description = "ETag of the version edited, e.g. \"3\""),
    ),
    responses(
        (status = 200, description = "The edited keyword", body = EntryView<KeywordView>, headers(("ETag" = String))),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such keyword", body = ErrorBody),
        (status = 409, description = "The keyword is retired, or the edit would duplicate a live keyword", body = ErrorBody),
        (status = 412, description = "Someone else changed it first", body = ErrorBody),
        (status = 428, description = "`If-Match` missing", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    actor: RequestActor,
    if_match: IfMatch,
    JsonBody(body): JsonBody<KeywordPatch>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.reason.clone();
    let changes = body.parse(&state.taxonomy)?;
    entries::update::<Entity>(state, id.into_inner(), actor, if_match, reason, changes).await
}

entries::entry_handlers!(
    tag = "keywords",
    noun = "keyword",
    schema = KeywordView,
    entity = Entity,
    get = "/v1/keywords/{id}",
    retire = "/v1/keywords/{id}/retire",
    approve = "/v1/keywords/{id}/approve",
    reject = "/v1/keywords/{id}/reject",
    reopen = "/v1/keywords/{id}/reopen",
    revisions = "/v1/keywords/{id}/revisions",
);
