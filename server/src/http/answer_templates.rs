//! `/v1/answer-templates`: the default 预期输出结果 and 判定标准 a question gets when it has
//! none and its create or import asks for templates.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::answer_templates::AnswerTemplate;

/// The answer templates in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerTemplateList {
    /// `seeds/answer-templates.toml`, or the data directory's `answer-templates.toml` that
    /// replaces it.
    pub origin: String,
    /// A question takes the template naming its risk or aspect, else the one of its kind and
    /// expected behaviour without either.
    pub items: Vec<AnswerTemplate>,
}

/// The answer templates, as read at start.
#[utoipa::path(get, path = "/v1/answer-templates", tag = "questions",
    responses((status = 200, description = "The templates", body = AnswerTemplateList)))]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    let templates = &state.answer_templates;
    HttpResponse::Ok().json(AnswerTemplateList {
        origin: templates.origin.clone(),
        items: templates.templates.clone(),
    })
}
