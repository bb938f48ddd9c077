//! `/v1/refusal-detection`: the refusal rules (`seeds/refusal-phrases.toml`) applied to
//! answers sent in, as test runs pre-fill their verdicts. Changes nothing.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use crate::domain::field_error::FieldError;
use crate::messages::msg;
use crate::refusal::RefusalVerdict;
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
    /// `seeds/refusal-phrases.toml`, or the data directory's `refusal-phrases.toml` that
    /// replaces it.
    pub origin: String,
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
    let verdicts = refusals::classify(state.refusals.clone(), answers).await?;
    Ok(HttpResponse::Ok().json(RefusalDetectionResult {
        origin: state.refusals.origin.clone(),
        verdicts,
    }))
}
