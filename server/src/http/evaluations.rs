//! `/v1/builds/{n}/evaluate` and `/v1/builds/{n}/evaluations`: a build against the test sets.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::coverage::parse_statuses;
use super::error::{ApiError, ErrorBody};
use super::json_body::OptionalJsonBody;
use super::request_fields::NewestQuery;
use crate::domain::field_error::FieldError;
use crate::evaluation::EvaluationReport;
use crate::services::evaluations;
use crate::store::entities::evaluation;

/// The largest request body `evaluate` accepts (the benign corpus travels in it).
pub const MAX_CORPUS_BYTES: usize = 64 * 1024 * 1024;

/// What to evaluate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// Question statuses evaluated, comma-separated; default `approved`.
    pub status: Option<String>,
    /// A benign text corpus: plain text, one text a line, or JSON Lines (see `corpus_format`).
    pub corpus: Option<String>,
    /// `text` (default) or `jsonl` (each line a JSON string, or an object with `text` or `prompt`).
    pub corpus_format: Option<String>,
}

/// Splits a corpus into texts; JSONL lines must be strings or objects with `text`/`prompt`.
pub fn corpus_lines(corpus: &str, format: Option<&str>) -> Result<Vec<String>, FieldError> {
    let lines = corpus.lines().map(str::trim).filter(|l| !l.is_empty());
    match format.unwrap_or("text") {
        "text" => Ok(lines.map(str::to_owned).collect()),
        "jsonl" => lines
            .enumerate()
            .map(|(index, line)| {
                let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    FieldError::new("corpus", format!("JSONL line {}: {e}", index + 1))
                })?;
                match &value {
                    serde_json::Value::String(text) => Some(text.clone()),
                    serde_json::Value::Object(object) => object
                        .get("text")
                        .or_else(|| object.get("prompt"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    _ => None,
                }
                .ok_or_else(|| {
                    FieldError::new(
                        "corpus",
                        format!("JSONL line {} is neither a string nor an object with `text` or `prompt`", index + 1),
                    )
                })
            })
            .collect(),
        other => Err(FieldError::new(
            "corpus_format",
            format!("`corpus_format` must be text or jsonl, not `{other}`"),
        )),
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
    let number = number.into_inner();
    let request = body.0.unwrap_or(EvaluateRequest {
        status: None,
        corpus: None,
        corpus_format: None,
    });
    let statuses = parse_statuses(request.status.as_deref())?;
    let corpus = match request.corpus.as_deref() {
        Some(corpus) => Some(corpus_lines(corpus, request.corpus_format.as_deref())?),
        None if request.corpus_format.is_some() => {
            return Err(
                FieldError::new("corpus_format", "`corpus_format` without a `corpus`").into(),
            );
        }
        None => None,
    };
    let env = state.build_environment();
    let (evaluation, task) = evaluations::start(&env, number, actor.0.as_str(), &statuses).await?;
    actix_web::rt::spawn(evaluations::run(
        env,
        state.filters.clone(),
        evaluation.id,
        task.id,
        number,
        statuses,
        corpus,
    ));
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
    let items = evaluations::list(&state.db, number.into_inner(), query.limit()?)
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
    let model = evaluations::get(&state.db, number, id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                StatusCode::NOT_FOUND,
                "evaluation_not_found",
                format!("build {number} has no evaluation {id}"),
            )
        })?;
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(EvaluationView::new(model, true))),
        "xlsx" => {
            let report: EvaluationReport = model
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .ok_or_else(|| {
                    ApiError::invalid(
                        StatusCode::CONFLICT,
                        "evaluation_not_finished",
                        format!(
                            "evaluation {id} has no report yet (status {})",
                            model.status
                        ),
                    )
                })?;
            let bytes = workbook(&report)
                .map_err(|e| ApiError::from(sea_orm::DbErr::Custom(format!("XLSX: {e}"))))?;
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"build-{number}-evaluation-{id}.xlsx\""),
                ))
                .body(bytes))
        }
        other => Err(FieldError::new(
            "format",
            format!("`format` must be json or xlsx, not `{other}`"),
        )
        .into()),
    }
}

/// The report as a workbook: overview, groups, over-blocking keywords, benign corpus.
fn workbook(report: &EvaluationReport) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let share = |s: Option<f64>| s.map(|s| format!("{:.1}%", s * 100.0)).unwrap_or_default();

    let sheet = workbook.add_worksheet().set_name("概览")?;
    for (column, title) in (0u16..).zip([
        "类型 kind",
        "题数 total",
        "拦截 intercepted",
        "拦截率 share",
        "说明 note",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    for (row, kind) in (1u32..).zip(&report.kinds) {
        sheet.write_string(row, 0, &kind.kind)?;
        sheet.write_number(row, 1, kind.total as f64)?;
        sheet.write_number(row, 2, kind.intercepted as f64)?;
        sheet.write_string(row, 3, share(kind.share))?;
        sheet.write_string(row, 4, kind.note.clone().unwrap_or_default())?;
    }
    sheet.autofit();

    let sheet = workbook.add_worksheet().set_name("分组")?;
    for (column, title) in (0u16..).zip([
        "类型 kind",
        "分组 group",
        "题数 total",
        "拦截 intercepted",
        "拦截率 share",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    let mut row = 1u32;
    for kind in &report.kinds {
        for group in &kind.groups {
            sheet.write_string(row, 0, &kind.kind)?;
            sheet.write_string(row, 1, &group.group)?;
            sheet.write_number(row, 2, group.total as f64)?;
            sheet.write_number(row, 3, group.intercepted as f64)?;
            sheet.write_string(row, 4, share(group.share))?;
            row += 1;
        }
    }
    sheet.autofit();

    let sheet = workbook.add_worksheet().set_name("误拦截")?;
    for (column, title) in (0u16..).zip([
        "关键词 keyword",
        "风险 risks",
        "误拦截题数 questions hit",
        "示例题号 example ids",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    for (row, keyword) in (1u32..).zip(&report.over_blocking) {
        sheet.write_string(row, 0, &keyword.term)?;
        sheet.write_string(row, 1, keyword.risks.join(" "))?;
        sheet.write_number(row, 2, keyword.questions_hit as f64)?;
        let ids: Vec<String> = keyword
            .examples
            .iter()
            .map(|e| e.question_id.to_string())
            .collect();
        sheet.write_string(row, 3, ids.join(", "))?;
    }
    sheet.autofit();

    if let Some(corpus) = &report.corpus {
        let sheet = workbook.add_worksheet().set_name("无害语料")?;
        for (column, title) in (0u16..).zip([
            "关键词 keyword",
            "命中 hits",
            "跨词边界 boundary collisions",
            "建议白名单 suggested allow",
            "示例 example",
        ]) {
            sheet.write_string_with_format(0, column, title, &bold)?;
        }
        for (row, keyword) in (1u32..).zip(&corpus.keywords) {
            sheet.write_string(row, 0, &keyword.term)?;
            sheet.write_number(row, 1, keyword.hits as f64)?;
            sheet.write_number(row, 2, keyword.boundary_collisions as f64)?;
            sheet.write_string(row, 3, keyword.suggested_allow.clone().unwrap_or_default())?;
            sheet.write_string(row, 4, &keyword.example)?;
        }
        sheet.autofit();
    }
    workbook.save_to_buffer()
}
