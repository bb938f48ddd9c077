//! `POST /v1/imports`: a file as the request body, imported as a task with progress.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use lexset_importers::table::Format;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::error::{ApiError, ErrorBody};
use crate::domain::field_error::FieldError;
use crate::domain::role::Role;
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
    /// XLSX sheet name (default: the first whose header names a term or question column).
    pub sheet: Option<String>,
    /// The risk of rows that name none.
    pub risk: Option<String>,
    /// Labels to risk codes: `色情词库:A.1.f,涉枪涉爆:A.1.d`.
    pub mapping: Option<String>,
    /// Kind of question rows that do not say (default `generation`).
    pub question_kind: Option<String>,
    /// Status of imported entries: `draft` (default, for review) or `approved` (admins, with
    /// four eyes off: a lexicon reviewed elsewhere).
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

/// Reads the upload: the `file` part of a `multipart/form-data` body (its file name, when
/// given, names the format and may map a risk), or the whole body otherwise; at most `limit`
/// bytes.
async fn read_upload(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    let too_large = || {
        ApiError::invalid(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the file is larger than the {limit} bytes this service accepts (LEXSET_MAX_UPLOAD_BYTES)"
            ),
        )
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        ApiError::invalid(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the upload could not be read: {e}"),
        )
    };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut bytes = Vec::new();
    if !is_multipart {
        while let Some(chunk) = payload.next().await {
            bytes.extend_from_slice(&chunk.map_err(|e| unreadable(&e))?);
            if bytes.len() > limit {
                return Err(too_large());
            }
        }
        return Ok((bytes, None));
    }
    let mut multipart = actix_multipart::Multipart::new(request.headers(), payload);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| unreadable(&e))?;
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        while let Some(chunk) = field.next().await {
            bytes.extend_from_slice(&chunk.map_err(|e| unreadable(&e))?);
            if bytes.len() > limit {
                return Err(too_large());
            }
        }
        return Ok((bytes, file_name));
    }
    Err(FieldError::new("file", "the multipart body has no `file` part").into())
}

/// Import a file, sent as the `file` part of a multipart form or as the whole request body;
/// poll the task, whose result is the row report.
#[utoipa::path(post, path = "/v1/imports", tag = "imports",
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "multipart/form-data", description = "The file: a `file` part, or the whole body"),
    responses(
        (status = 202, description = "Started; `Location` is the task, whose result is the row report", body = TaskView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 413, description = "The file is larger than the configured limit", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    query: web::Query<ImportQuery>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut query = query.into_inner();
    let (body, uploaded_name) = read_upload(&request, payload, state.max_upload_bytes).await?;
    if query.file_name.is_none() {
        query.file_name = uploaded_name;
    }
    let options = options(query)?;
    if options.status == EntryStatus::Approved {
        if state.four_eyes {
            return Err(ApiError::auth(
                StatusCode::FORBIDDEN,
                "four_eyes",
                "four eyes: imported entries need a second person's review, so import drafts; a team bringing in a lexicon reviewed elsewhere runs with LEXSET_FOUR_EYES=false",
            ));
        }
        if actor.1 < Role::Admin {
            return Err(ApiError::auth(
                StatusCode::FORBIDDEN,
                "forbidden",
                "importing approved entries needs the `admin` role; import drafts and have them reviewed",
            ));
        }
    }
    imports::resolve_options(state.checks(), &options)?;
    if body.is_empty() {
        return Err(FieldError::new("file", "the request body (the file) is empty").into());
    }
    // The number of rows is known once the file is read; the task's total follows then.
    let task = tasks::create(&state.db, "import", actor.0.as_str(), 0, &state.replica).await?;
    let task_id = task.id;
    let state = state.clone();
    let actor: Actor = actor.0;
    actix_web::rt::spawn(async move {
        let context = ChangeContext {
            actor,
            reason: None,
        };
        let db = state.db.clone();
        // The embedded store has one connection, held by the import's transaction: progress
        // goes to the in-process registry that GET /v1/tasks/{id} reads first.
        let live = state.live_progress.clone();
        let report = imports::import(
            &state.db,
            state.checks(),
            &context,
            &body,
            &options,
            |done, total| live.set(task_id, "import", done, total),
        )
        .await;
        let outcome = match report {
            Ok(report) => match serde_json::to_value(&report) {
                Ok(value) => {
                    let rows = i32::try_from(report.rows).unwrap_or(i32::MAX);
                    match tasks::set_total(&db, task_id, rows).await {
                        Ok(()) => tasks::succeed(&db, task_id, &value).await,
                        Err(error) => Err(error),
                    }
                }
                Err(error) => tasks::fail(&db, task_id, &error.to_string()).await,
            },
            Err(error) => tasks::fail(&db, task_id, &ApiError::from(error).to_string()).await,
        };
        state.live_progress.finish(task_id);
        if let Err(error) = outcome {
            tracing::error!(task = task_id, %error, "cannot record the import");
        }
    });
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{task_id}")))
        .json(TaskView::from(task)))
}
