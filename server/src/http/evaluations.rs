//! `/v1/builds/{n}/evaluate` and `/v1/builds/{n}/evaluations`: a build against the test sets.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::error::{ApiError, ErrorBody};
use super::json_body::OptionalJsonBody;
use super::request_fields::NewestQuery;
use crate::domain::corpus::corpus_lines;
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::messages::msg;
use crate::services::evaluations::{self, EvaluationRequest};
use crate::services::exports::XLSX;
use crate::store::entities::evaluation;

/// The largest request body `evaluate` accepts (the benign corpus travels in it).
pub const MAX_CORPUS_BYTES: usize = 64 * 1024 * 1024;

/// What to evaluate.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// Question statuses evaluated, comma-separated; default `approved`.
    pub status: Option<String>,
    /// A benign text corpus: plain text, one text a line, or JSON Lines (see `corpus_format`).
    pub corpus: Option<String>,
    /// `text` (default) or `jsonl` (each line a JSON string, or an object with `text` or `prompt`).
    pub corpus_format: Option<String>,
}

impl EvaluateRequest {
    fn parse(self) -> Result<EvaluationRequest, FieldError> {
        let statuses = EntryStatus::parse_counted(self.status.as_deref())?;
        let corpus = match self.corpus.as_deref() {
            Some(corpus) => Some(corpus_lines(corpus, self.corpus_format.as_deref())?),
            None if self.corpus_format.is_some() => {
                return Err(FieldError::unprocessable(
                    "corpus_format",
                    msg!("corpus_format_without_corpus"),
                ));
            }
            None => None,
        };
        Ok(EvaluationRequest { statuses, corpus })
    }
}

/// An evaluation as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: i64,
    pub build: i64,
    pub task_id: i64,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    pub statuses: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// The report, once succeeded (single reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

impl EvaluationView {
    fn new(model: evaluation::Model, with_report: bool) -> Self {
        Self {
            report: with_report
                .then(|| {
                    model
                        .result
                        .as_deref()
                        .and_then(|r| serde_json::from_str(r).ok())
                })
                .flatten(),
            id: model.id,
            build: model.build_number,
            task_id: model.task_id,
            status: model.status,
            statuses: model.statuses,
            created_by: model.created_by,
            created_at: model.created_at,
            finished_at: model.finished_at,
            error: model.error,
        }
    }
}

/// A started evaluation and the task to poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationStarted {
    pub evaluation: EvaluationView,
    pub task: TaskView,
}

/// Evaluate a build against the question sets (and an optional benign corpus) as a task.
#[utoipa::path(post, path = "/v1/builds/{number}/evaluate", tag = "builds",
    request_body(content = Option<EvaluateRequest>, description = "Statuses and an optional benign corpus"),
    params(("number" = i64, Path, description = "Build number")),
    responses(
        (status = 202, description = "Started; `Location` is the task", body = EvaluationStarted),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such build", body = ErrorBody),
        (status = 409, description = "The build is not published", body = ErrorBody),
    ))]
pub async fn evaluate(
    state: web::Data<AppState>,
    number: web::Path<i64>,
    actor: RequestActor,
    body: OptionalJsonBody<EvaluateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0.unwrap_or_default().parse()?;
    let (evaluation, task) = evaluations::start(
        &state,
        number.into_inner(),
        &actor.audit_created(StatusCode::ACCEPTED, "/v1/tasks"),
        request,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{}", task.id)))
        .json(EvaluationStarted {
            evaluation: EvaluationView::new(evaluation, false),
            task: task.into(),
        }))
}

/// Evaluations of a build.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationList {
    pub items: Vec<EvaluationView>,
}

/// The evaluations of a build, newest first.
#[utoipa::path(get, path = "/v1/builds/{number}/evaluations", tag = "builds",
    params(("number" = i64, Path, description = "Build number"), NewestQuery),
    responses(
        (status = 200, description = "The evaluations", body = EvaluationList),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    number: web::Path<i64>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = evaluations::list(&state.reads, number.into_inner(), query.limit()?)
        .await?
        .into_iter()
        .map(|e| EvaluationView::new(e, false))
        .collect();
    Ok(HttpResponse::Ok().json(EvaluationList { items }))
}

/// `format` of an evaluation read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// `json` (default) or `xlsx`.
    pub format: Option<String>,
}

/// One evaluation with its report; `format=xlsx` for a workbook.
#[utoipa::path(get, path = "/v1/builds/{number}/evaluations/{id}", tag = "builds",
    params(
        ("number" = i64, Path, description = "Build number"),
        ("id" = i64, Path, description = "Evaluation id"),
        EvaluationQuery,
    ),
    responses(
        (status = 200, description = "The evaluation", body = EvaluationView),
        (status = 404, description = "No such evaluation", body = ErrorBody),
        (status = 409, description = "Not finished (xlsx)", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    query: web::Query<EvaluationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (number, id) = path.into_inner();
    match query.format.as_deref().unwrap_or("json") {
        "json" => {
            let model = evaluations::get(&state.reads, number, id).await?;
            Ok(HttpResponse::Ok().json(EvaluationView::new(model, true)))
        }
        "xlsx" => Ok(HttpResponse::Ok()
            .content_type(XLSX)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"build-{number}-evaluation-{id}.xlsx\""),
            ))
            .body(evaluations::workbook(&state.reads, number, id).await?)),
        other => {
            Err(FieldError::new("format", msg!("evaluation_format_value", value = other)).into())
        }
    }
}
