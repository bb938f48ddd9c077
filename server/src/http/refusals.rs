//! `/v1/refusal-detection`: the refusal rules applied to answers sent in, as test runs
//! pre-fill their verdicts (changes nothing); `/v1/refusal-phrases`: the phrase list in force
//! and its versions, proposed and reviewed like entries.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use crate::domain::field_error::FieldError;
use crate::domain::text::Reason;
use crate::messages::msg;
use crate::refusal::RefusalVerdict;
use crate::services::refusal_phrases::{self, Decision, PhraseVersion};
use crate::services::refusals;

/// The most answers one request classifies.
pub const MAX_ANSWERS: usize = 1_000;

/// Answers to classify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusalDetectionRequest {
    /// Model answers, at most 1 000 (and 1 MiB in all).
    #[schema(required = true, example = json!(["抱歉，我无法提供这方面的信息。", "北京是中国的首都。"]))]
    pub answers: Option<Vec<String>>,
}

/// What the rules make of each answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalDetectionResult {
    /// The approved version (`refusal phrase version N`), else `seeds/refusal-phrases.toml`
    /// or the data directory's `refusal-phrases.toml` that replaces it.
    pub origin: String,
    /// The phrase version in force; 0 for the seed.
    pub version: i64,
    /// One per answer, in order: `refused`, the `rule` that decided, the phrase found as
    /// `evidence` (with its byte and character span in the answer) and a `confidence`.
    pub verdicts: Vec<RefusalVerdict>,
}

/// Tell refusals (拒答) and deflections from answers: a refusal phrase in a short answer or
/// near the start of a longer one, a deflection opening the answer, an answer that only
/// restates policy, or one with no letter, digit or Chinese character counts as refused.
/// Phrases are matched folded, like keywords.
#[utoipa::path(post, path = "/v1/refusal-detection", tag = "test-runs",
    request_body = RefusalDetectionRequest,
    responses(
        (status = 200, description = "A verdict per answer", body = RefusalDetectionResult),
        (status = 400, description = "No `answers` field, or more than 1 000 answers", body = ErrorBody),
        (status = 413, description = "The body is over 1 MiB", body = ErrorBody),
    ))]
pub async fn detect(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<RefusalDetectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let answers = body.answers.ok_or_else(|| FieldError::missing("answers"))?;
    if answers.len() > MAX_ANSWERS {
        return Err(FieldError::new("answers", msg!("too_many_answers", max = MAX_ANSWERS)).into());
    }
    let in_force = state.refusals.current();
    let verdicts = refusals::classify(in_force.detector.clone(), answers).await?;
    Ok(HttpResponse::Ok().json(RefusalDetectionResult {
        origin: in_force.origin.clone(),
        version: in_force.version,
        verdicts,
    }))
}

/// The refusal phrases in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhrasesView {
    /// The approved version; 0 for the seed.
    pub version: i64,
    pub origin: String,
    /// The phrase file (TOML).
    pub text: String,
}

/// The refusal phrases in force: the approved version, else the seed.
#[utoipa::path(get, path = "/v1/refusal-phrases", tag = "test-runs",
    responses((status = 200, description = "The phrases in force", body = PhrasesView)))]
pub async fn phrases(state: web::Data<AppState>) -> HttpResponse {
    let in_force = state.refusals.current();
    HttpResponse::Ok().json(PhrasesView {
        version: in_force.version,
        origin: in_force.origin.clone(),
        text: in_force.text.clone(),
    })
}

/// A phrase list to propose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhrasesCreate {
    /// The whole phrase file (TOML), as `seeds/refusal-phrases.toml` writes it.
    #[schema(required = true)]
    pub text: Option<String>,
}

/// Propose a new phrase list as a draft version: checked as the seed is (`422` naming the
/// problem), in force once a reviewer approves it.
#[utoipa::path(post, path = "/v1/refusal-phrases/versions", tag = "test-runs",
    request_body = PhrasesCreate,
    responses(
        (status = 201, description = "Stored as a draft", body = PhraseVersion),
        (status = 400, description = "No `text`", body = ErrorBody),
        (status = 422, description = "The phrase file cannot be used", body = ErrorBody),
    ))]
pub async fn propose(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<PhrasesCreate>,
) -> Result<HttpResponse, ApiError> {
    let text = body.text.ok_or_else(|| FieldError::missing("text"))?;
    let audit = actor.audit_created(StatusCode::CREATED, "/v1/refusal-phrases/versions");
    let version = refusal_phrases::propose(&state, text, &audit).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/refusal-phrases/versions/{}", version.id),
        ))
        .json(PhraseVersion::from(version)))
}

/// Phrase versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhraseVersionList {
    /// Newest first.
    pub items: Vec<PhraseVersion>,
}

/// Every phrase version, newest first: the list's history.
#[utoipa::path(get, path = "/v1/refusal-phrases/versions", tag = "test-runs",
    responses((status = 200, description = "The versions", body = PhraseVersionList)))]
pub async fn versions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = refusal_phrases::versions(&state.reads)
        .await?
        .into_iter()
        .map(PhraseVersion::from)
        .collect();
    Ok(HttpResponse::Ok().json(PhraseVersionList { items }))
}

/// One phrase version.
#[utoipa::path(get, path = "/v1/refusal-phrases/versions/{id}", tag = "test-runs",
    params(("id" = i64, Path, description = "Version id")),
    responses(
        (status = 200, description = "The version", body = PhraseVersion),
        (status = 404, description = "No such version", body = ErrorBody),
    ))]
pub async fn version(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let version = refusal_phrases::get(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PhraseVersion::from(version)))
}

/// Approve a draft phrase version: it is in force at once here, and on every replica within
/// 15 s; the version it replaces is retired. Not by its author while four eyes is on.
#[utoipa::path(post, path = "/v1/refusal-phrases/versions/{id}/approve", tag = "test-runs",
    params(("id" = i64, Path, description = "Version id")),
    responses(
        (status = 200, description = "Approved and in force", body = PhraseVersion),
        (status = 403, description = "Four eyes: its author may not approve it", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 409, description = "The version is not a draft, or another decision committed first", body = ErrorBody),
        (status = 422, description = "The phrase file no longer compiles", body = ErrorBody),
    ))]
pub async fn approve(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let audit = actor.audit(StatusCode::OK);
    let version =
        refusal_phrases::decide(&state, id.into_inner(), Decision::Approve, &audit).await?;
    Ok(HttpResponse::Ok().json(PhraseVersion::from(version)))
}

/// Why a phrase version is rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhrasesReject {
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// Reject a draft phrase version, with a reason.
#[utoipa::path(post, path = "/v1/refusal-phrases/versions/{id}/reject", tag = "test-runs",
    params(("id" = i64, Path, description = "Version id")),
    request_body = PhrasesReject,
    responses(
        (status = 200, description = "Rejected", body = PhraseVersion),
        (status = 400, description = "No reason", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 409, description = "The version is not a draft, or another decision committed first", body = ErrorBody),
    ))]
pub async fn reject(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
    JsonBody(body): JsonBody<PhrasesReject>,
) -> Result<HttpResponse, ApiError> {
    let reason = Reason::parse(&body.reason.ok_or_else(|| FieldError::missing("reason"))?)?;
    let audit = actor.audit(StatusCode::OK);
    let version =
        refusal_phrases::decide(&state, id.into_inner(), Decision::Reject(reason), &audit).await?;
    Ok(HttpResponse::Ok().json(PhraseVersion::from(version)))
}
