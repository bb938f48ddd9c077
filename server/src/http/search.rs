//! `/v1/search` and `/v1/questions/{id}/similar`: full-text search over keywords and questions.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::{flag, optional};
use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, KeywordKind, QuestionKind};
use crate::domain::taxonomy_code::{AspectCode, RiskCode};
use crate::domain::text::whole_number;
use crate::messages::msg;
use crate::search::{EntryFilter, SearchIndex};
use crate::services::search::{self as search_service, SearchHit, SimilarQuestion};
use crate::taxonomy::Taxonomy;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Hits per page when the client names no limit, and at most.
const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// Results beyond this many are not paged to: refine the query instead.
const MAX_OFFSET: usize = 10_000;

/// Parameters of `GET /v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for (at most 200 characters). Folded like entries, so 臺獨 finds 台独;
    /// every word must occur, as a word or as a run of characters.
    pub q: Option<String>,
    /// `keyword` or `question`, or a kind of either (`block`, `allow`, `all_of`,
    /// `generation`, `must_refuse`, `must_not_refuse`).
    pub kind: Option<String>,
    /// Only this risk code.
    pub risk: Option<String>,
    /// Only these statuses, comma-separated; default every status but `retired`.
    pub status: Option<String>,
    /// Only questions of this aspect code.
    pub aspect: Option<String>,
    /// Only high-risk (`true`) or other (`false`) questions.
    #[param(value_type = Option<bool>)]
    pub high_risk: Option<String>,
    /// Hits per page, 1–100 (default 20).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of ranked hits.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// How many entries match in all.
    pub total: usize,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Parses `kind`: an entry kind, or a keyword or question kind (which implies the entry kind).
fn parse_kind(raw: &str, filter: &mut EntryFilter) -> Result<(), FieldError> {
    match EntryKind::ALL.into_iter().find(|kind| kind.as_str() == raw) {
        Some(entry) => filter.entry = Some(entry),
        None => {
            if let Ok(kind) = KeywordKind::parse(raw) {
                filter.entry = Some(EntryKind::Keyword);
                filter.kind = Some(kind.as_str().to_owned());
            } else if let Ok(kind) = QuestionKind::parse(raw) {
                filter.entry = Some(EntryKind::Question);
                filter.kind = Some(kind.as_str().to_owned());
            } else {
                let kinds: Vec<&str> = EntryKind::ALL
                    .map(EntryKind::as_str)
                    .into_iter()
                    .chain(KeywordKind::ALL.map(KeywordKind::as_str))
                    .chain(QuestionKind::ALL.map(QuestionKind::as_str))
                    .collect();
                return Err(FieldError::new(
                    "kind",
                    msg!(
                        "search_kind_value",
                        expected = kinds.join(", "),
                        value = raw
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn parse_limit(raw: Option<&str>) -> Result<usize, FieldError> {
    optional(raw.map(str::to_owned), |raw| {
        whole_number(raw)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                FieldError::new("limit", msg!("limit_range", max = MAX_LIMIT, value = raw))
            })
    })
    .map(|limit| limit.unwrap_or(DEFAULT_LIMIT))
}

fn parse_offset(raw: Option<&str>) -> Result<usize, FieldError> {
    let Some(raw) = raw else { return Ok(0) };
    raw.strip_prefix("offset:")
        .and_then(whole_number)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n <= MAX_OFFSET)
        .ok_or_else(|| FieldError::new("cursor", msg!("bad_cursor", value = raw)))
}

impl SearchQuery {
    fn filter(&mut self, taxonomy: &Taxonomy) -> Result<EntryFilter, FieldError> {
        let mut filter = EntryFilter {
            risk: optional(self.risk.take(), |raw| RiskCode::parse(raw, taxonomy))?
                .map(RiskCode::into_inner),
            aspect: optional(self.aspect.take(), |raw| AspectCode::parse(raw, taxonomy))?
                .map(AspectCode::into_inner),
            statuses: optional(self.status.take(), EntryStatus::parse_list)?.unwrap_or_default(),
            high_risk: optional(self.high_risk.take(), |raw| flag("high_risk", raw))?,
            ..EntryFilter::default()
        };
        if let Some(kind) = self.kind.take() {
            parse_kind(&kind, &mut filter)?;
        }
        Ok(filter)
    }
}

/// Search keywords and questions, best match first, with highlighted snippets.
#[utoipa::path(
    get, path = "/v1/search", tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of hits", body = SearchPage),
        (status = 400, description = "A parameter is invalid (`invalid_q`, `invalid_kind`, …)", body = ErrorBody),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    index: web::Data<SearchIndex>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut query = query.into_inner();
    let q = query.q.take().ok_or_else(|| FieldError::missing("q"))?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(FieldError::new("q", msg!("q_too_long", max = MAX_QUERY_CHARS)).into());
    }
    let filter = query.filter(&state.taxonomy)?;
    let limit = parse_limit(query.limit.as_deref())?;
    let offset = parse_offset(query.cursor.as_deref())?;
    let (hits, total) =
        search_service::search(index.into_inner(), q, filter, offset, limit).await?;
    let next = offset + hits.len();
    let next_cursor = (next < total && next <= MAX_OFFSET).then(|| format!("offset:{next}"));
    Ok(HttpResponse::Ok().json(SearchPage {
        hits,
        total,
        next_cursor,
    }))
}

/// Parameters of `GET /v1/questions/{id}/similar`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// Questions returned, 1–100 (default 20).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Only these statuses, comma-separated; default every status but `retired`.
    pub status: Option<String>,
}

/// The questions nearest to one question.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarQuestions {
    pub question: i64,
    /// Most relevant first (BM25 over the question's words).
    pub similar: Vec<SimilarQuestion>,
}

/// The questions most like this one: what an annotator checks before writing another.
#[utoipa::path(
    get, path = "/v1/questions/{id}/similar", tag = "search",
    params(("id" = i64, Path, description = "Id of the question"), SimilarQuery),
    responses(
        (status = 200, description = "The nearest questions", body = SimilarQuestions),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such question", body = ErrorBody),
    )
)]
pub async fn similar(
    state: web::Data<AppState>,
    index: web::Data<SearchIndex>,
    id: web::Path<i64>,
    query: web::Query<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let id = id.into_inner();
    let filter = EntryFilter {
        statuses: optional(query.status, EntryStatus::parse_list)?.unwrap_or_default(),
        ..EntryFilter::default()
    };
    let limit = parse_limit(query.limit.as_deref())?;
    let similar = search_service::similar_questions(
        &state.reads,
        state.dedup.clone(),
        index.into_inner(),
        id,
        filter,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(SimilarQuestions {
        question: id,
        similar,
    }))
}
