//! The one error body of the API: `{"message", "code", "type", "field"?}`.
//!
//! `code` is stable and machine-readable; `message` is for people, in the language the request
//! asks for (`Accept-Language`; English by default), and names the field or header at fault;
//! `type` is `invalid_request` for anything the client can fix, `internal` or `system`
//! otherwise. Client input never yields a 5xx.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::keywords::KeywordView;
use super::questions::QuestionView;
use crate::domain::field_error::FieldError;
use crate::messages::{Lang, Message, msg};
use crate::services::{ExistingEntry, ServiceError};

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, for people; names the field or header at fault.
    pub message: String,
    /// Stable machine-readable code, e.g. `invalid_term`, `precondition_failed`.
    #[schema(value_type = String)]
    pub code: Cow<'static, str>,
    /// `invalid_request`, `auth` (401 / 403), `internal` or `system`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub error_type: &'static str,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `duplicate_keyword` and `duplicate_question`: the live entry already there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub existing: Option<serde_json::Value>,
    /// For `set_unsatisfiable`: what the approved questions lack, per stratum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortfalls: Option<Vec<crate::sampling::Shortfall>>,
}

/// An error answer: a status and what its [`ErrorBody`] says, the message rendered in the
/// reader's language when the body is written (see `http::language`).
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    /// For `405`: the methods the resource has, answered in `Allow` (RFC 9110 §15.5.6).
    allow: Option<String>,
    /// Boxed: errors travel in every `Result` of the HTTP layer.
    detail: Box<Detail>,
}

#[derive(Debug, Clone)]
struct Detail {
    error_type: &'static str,
    code: Cow<'static, str>,
    message: Message,
    field: Option<String>,
    existing: Option<serde_json::Value>,
    shortfalls: Option<Vec<crate::sampling::Shortfall>>,
}

impl ApiError {
    /// An answer of `status` with `code`, `type` and `message`.
    fn new(
        status: StatusCode,
        error_type: &'static str,
        code: impl Into<Cow<'static, str>>,
        message: Message,
    ) -> Self {
        Self {
            status,
            allow: None,
            detail: Box::new(Detail {
                error_type,
                code: code.into(),
                message,
                field: None,
                existing: None,
                shortfalls: None,
            }),
        }
    }

    /// A missing or refused credential: `401` (no valid token) or `403` (a valid token without
    /// the right), `type: auth`.
    pub fn auth(status: StatusCode, code: &'static str, message: Message) -> Self {
        Self::new(status, "auth", code, message)
    }

    /// A client error (`type: invalid_request`).
    pub fn invalid(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: Message,
    ) -> Self {
        Self::new(status, "invalid_request", code, message)
    }

    /// A field that does not parse: `400 invalid_<field>`.
    pub fn field(field: &str, message: Message) -> Self {
        let mut error = Self::invalid(StatusCode::BAD_REQUEST, format!("invalid_{field}"), message);
        error.detail.field = Some(field.to_owned());
        error
    }

    pub fn not_found(message: Message) -> Self {
        Self::invalid(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// No route has `path`: `404`.
    pub fn no_route(path: &str) -> Self {
        Self::not_found(msg!("not_found", path = path))
    }

    /// The route at `path` has no `method`, only `allowed`: `405` with `Allow`.
    pub fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> Self {
        let mut error = Self::invalid(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            msg!(
                "method_not_allowed",
                method = method,
                path = path,
                allowed = allowed.join(", ")
            ),
        );
        error.allow = Some(allowed.join(", "));
        error
    }

    /// The replica cannot serve (database unreachable, a background worker stopped): `503`,
    /// so load balancers take it out.
    pub fn unavailable(code: &'static str, message: Message) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "system", code, message)
    }

    /// A server-side configuration problem the operator must fix: `500`, `type: system`.
    pub fn system(code: &'static str, message: Message) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "system", code, message)
    }

    fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal",
            msg!("internal"),
        )
    }

    /// The body, its message in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        let detail = &*self.detail;
        ErrorBody {
            message: detail.message.render(lang),
            code: detail.code.clone(),
            error_type: detail.error_type,
            field: detail.field.clone(),
            existing: detail.existing.clone(),
            shortfalls: detail.shortfalls.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status, self.detail.code, self.detail.message
        )
    }
}

impl std::error::Error for ApiError {}

/// The response in English; `http::language` re-renders the body for readers of Chinese.
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((actix_web::http::header::ALLOW, allow.as_str()));
        }
        response.json(self.body(Lang::En))
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        let mut answer = Self::field(error.field, error.message);
        if error.unprocessable {
            answer.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        answer
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let message = error.message();
        match error {
            ServiceError::NotFound { kind, .. } => Self::invalid(
                StatusCode::NOT_FOUND,
                format!("{}_not_found", kind.as_str()),
                message,
            ),
            ServiceError::VersionMismatch { .. } => Self::invalid(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                message,
            ),
            ServiceError::Retired { .. } => {
                Self::invalid(StatusCode::CONFLICT, "entry_retired", message)
            }
            ServiceError::Duplicate { kind, existing } => {
                let mut error = Self::invalid(
                    StatusCode::CONFLICT,
                    format!("duplicate_{}", kind.as_str()),
                    message,
                );
                error.detail.existing = match existing {
                    ExistingEntry::Keyword(model) => {
                        serde_json::to_value(KeywordView::from(*model))
                    }
                    ExistingEntry::Question(model) => {
                        serde_json::to_value(QuestionView::from(*model))
                    }
                }
                .ok();
                error
            }
            ServiceError::DuplicateUser { .. } => {
                Self::invalid(StatusCode::CONFLICT, "duplicate_user", message)
            }
            ServiceError::InvalidTransition { .. } => {
                Self::invalid(StatusCode::CONFLICT, "invalid_transition", message)
            }
            ServiceError::FourEyes { .. } | ServiceError::ImportNeedsReview => {
                Self::auth(StatusCode::FORBIDDEN, "four_eyes", message)
            }
            ServiceError::RoleTooLow { .. } => {
                Self::auth(StatusCode::FORBIDDEN, "forbidden", message)
            }
            ServiceError::LintFailed { .. } => {
                Self::invalid(StatusCode::UNPROCESSABLE_ENTITY, "lint_failed", message)
            }
            ServiceError::Invalid(field_error) => field_error.into(),
            ServiceError::Database(db_error) => Self::internal(&db_error),
            ServiceError::Search(search_error) => Self::internal(&search_error),
            ServiceError::Interrupted(interrupted) => Self::internal(&interrupted),
            ServiceError::Build(build) => build.into(),
            ServiceError::Coverage(coverage) => coverage.into(),
            ServiceError::NoSuchExport(_) => Self::not_found(message),
            ServiceError::Render(detail)
            | ServiceError::ModelClient(detail)
            | ServiceError::ModelEndpoint(detail) => Self::internal(&detail),
            ServiceError::FileTooLarge(_) => {
                Self::invalid(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", message)
            }
            ServiceError::TaskNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "task_not_found", message)
            }
            ServiceError::EvaluationNotFound { .. } => {
                Self::invalid(StatusCode::NOT_FOUND, "evaluation_not_found", message)
            }
            ServiceError::SetNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "question_set_not_found", message)
            }
            ServiceError::SetRetired(_) => {
                Self::invalid(StatusCode::CONFLICT, "question_set_retired", message)
            }
            ServiceError::SetUnsatisfiable(shortfalls) => {
                let mut error = Self::invalid(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "set_unsatisfiable",
                    message,
                );
                error.detail.shortfalls = Some(shortfalls);
                error
            }
            ServiceError::RunNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "test_run_not_found", message)
            }
            ServiceError::AnswersRaced(_) => {
                Self::invalid(StatusCode::CONFLICT, "answers_raced", message)
            }
            ServiceError::PhrasesRaced(_) => {
                Self::invalid(StatusCode::CONFLICT, "phrases_raced", message)
            }
            ServiceError::PhraseVersionNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "phrase_version_not_found", message)
            }
            ServiceError::FilingNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "filing_not_found", message)
            }
            ServiceError::WebhookNotFound(_) => {
                Self::invalid(StatusCode::NOT_FOUND, "webhook_not_found", message)
            }
            ServiceError::AnswerNotFound { .. } => {
                Self::invalid(StatusCode::NOT_FOUND, "answer_not_found", message)
            }
            ServiceError::RunCalling(_) => {
                Self::invalid(StatusCode::CONFLICT, "run_calling", message)
            }
            ServiceError::EvaluationNotFinished { .. } => {
                Self::invalid(StatusCode::CONFLICT, "evaluation_not_finished", message)
            }
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        ServiceError::Database(error).into()
    }
}
