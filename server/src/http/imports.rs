//! `POST /v1/imports`: a file as the request body, imported as a task with progress.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use lexset_importers::table::Format;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::error::{ApiError, ErrorBody};
use crate::domain::field_error::FieldError;
use crate::domain::status::{EntryStatus, QuestionKind};
use crate::domain::text::Actor;
use crate::services::imports::{self, ImportKind, ImportOptions};
use crate::services::revisions::ChangeContext;
use crate::services::tasks;

/// How to read the uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `keyword` (default) or `question`.
    pub kind: Option<String>,
    /// `csv`, `txt`, `jsonl` or `xlsx`; default from `file_name`'s extension.
    pub format: Option<String>,
    /// The original file name: names the format, and a mapped file name stem names the risk.
    pub file_name: Option<String>,
    /// XLSX sheet name (default: the first).
    pub sheet: Option<String>,
    /// The risk of rows that name none.
    pub risk: Option<String>,
    /// Labels to risk codes: `色情词库:A.1.f,涉枪涉爆:A.1.d`.
    pub mapping: Option<String>,
    /// Kind of question rows that do not say (default `generation`).
    pub question_kind: Option<String>,
    /// Status of imported entries: `draft` (default) or `approved`.
    pub status: Option<String>,
    /// `true`: report only, write nothing.
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

/// The format named by `format`, or by the extension of `file_name`.
pub fn parse_format(format: Option<&str>, file_name: Option<&str>) -> Result<Format, FieldError> {
    match format {
        Some(raw) => Format::from_file_name(&format!("x.{raw}"))
            .ok_or_else(|| FieldError::new("format", format!("`format` must be csv, txt, jsonl or xlsx, not `{raw}`"))),
        None => file_name.and_then(Format::from_file_name).ok_or_else(|| {
            FieldError::new("format", "give `format` (csv, txt, jsonl, xlsx) or a `file_name` with one of those extensions")
        }),
    }
}

fn options(query: ImportQuery) -> Result<ImportOptions, FieldError> {
    let kind = match query.kind.as_deref().unwrap_or("keyword") {
        "keyword" => ImportKind::Keyword,
        "question" => ImportKind::Question,
        other => {
            return Err(FieldError::new(
                "kind",
                format!("`kind` must be keyword or question, not `{other}`"),
            ));
        }
    };
    let mut mapping = HashMap::new();
    for pair in query
        .mapping
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.trim().is_empty())
    {
        let (label, code) = pair
            .split_once(':')
            .ok_or_else(|| FieldError::new("mapping", format!("`{pair}` is not `label:code`")))?;
        mapping.insert(label.trim().to_owned(), code.trim().to_owned());
    }
    let dry_run = match query.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(FieldError::new(
                "dry_run",
                format!("`dry_run` must be true or false, not `{other}`"),
            ));
        }
    };
    Ok(ImportOptions {
        kind,
        format: parse_format(query.format.as_deref(), query.file_name.as_deref())?,
        sheet: query.sheet,
        default_risk: query.risk,
        mapping,
        file_name: query.file_name,
        question_kind: match query.question_kind.as_deref() {
            Some(raw) => QuestionKind::parse(raw)?,
            None => QuestionKind::Generation,
        },
        status: match query.status.as_deref() {
            Some(raw) => EntryStatus::parse_settable(raw)?,
            None => EntryStatus::Draft,
        },
        dry_run,
    })
}

/// Import a file sent as the request body; poll the task, whose result is the row report.
#[utoipa::path(post, path = "/v1/imports", tag = "imports",
    params(ImportQuery, ("X-Lexset-Actor" = Option<String>, Header, description = "Who imports")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 202, description = "Started; `Location` is the task, whose result is the row report", body = TaskView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 413, description = "The file is larger than the configured limit", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let options = options(query.into_inner())?;
    if body.is_empty() {
        return Err(FieldError::new("file", "the request body (the file) is empty").into());
    }
    let task = tasks::create(&state.db, "import", actor.0.as_str(), body.len() as i32).await?;
    let task_id = task.id;
    let state = state.clone();
    let actor: Actor = actor.0;
    actix_web::rt::spawn(async move {
        let context = ChangeContext {
            actor,
            reason: None,
        };
        let db = state.db.clone();
        // The embedded store has one connection, held by the import's transaction: the task
        // reports its result when done rather than progress on the way (the CLI shows a bar).
        let report = imports::import(
            &state.db,
            state.checks(),
            &context,
            &body,
            &options,
            |_, _| {},
        )
        .await;
        let outcome = match report {
            Ok(report) => match serde_json::to_value(&report) {
                Ok(value) => tasks::succeed(&db, task_id, &value).await,
                Err(error) => tasks::fail(&db, task_id, &error.to_string()).await,
            },
            Err(error) => tasks::fail(&db, task_id, &ApiError::from(error).to_string()).await,
        };
        if let Err(error) = outcome {
            tracing::error!(task = task_id, %error, "cannot record the import");
        }
    });
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{task_id}")))
        .json(TaskView::from(task)))
}
