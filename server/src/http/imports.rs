//! `POST /v1/imports`: a file as the request body, imported as a task with progress.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::error::{ApiError, ErrorBody};
use super::language::request_lang;
use super::request_fields::{flag, optional};
use crate::domain::field_error::FieldError;
use crate::messages::msg;
use crate::services::imports::{self, ImportOptions, ImportRequest, parse_mapping};
use crate::taxonomy::Taxonomy;

/// How to read the uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `keyword` (default) or `question`.
    pub kind: Option<String>,
    /// `csv`, `txt`, `jsonl`, `json` or `xlsx`; default from `file_name`'s extension.
    pub format: Option<String>,
    /// The original file name: names the format, and a mapped file name stem names the risk.
    pub file_name: Option<String>,
    /// XLSX sheet name (default: the first whose header names a term or question column).
    pub sheet: Option<String>,
    /// The risk of rows that name none.
    pub risk: Option<String>,
    /// Labels to risk codes: `色情词库:A.1.f,涉枪涉爆:A.1.d`.
    pub mapping: Option<String>,
    /// Kind of question rows that do not say. Not given: a 是否应拒答 column of 是 / 否 files
    /// rows as must_refuse / must_not_refuse, other rows are generation questions.
    pub question_kind: Option<String>,
    /// The aspect of must_not_refuse rows that name none: a code (`history`) or its Chinese
    /// name (历史).
    pub aspect: Option<String>,
    /// `refuse` or `answer`: the expected behaviour of question rows that do not say.
    pub behavior: Option<String>,
    /// `true`: fill missing 预期输出结果 and 判定标准 from the answer templates
    /// (`GET /v1/answer-templates`); the questions are marked templated.
    #[param(value_type = Option<bool>)]
    pub templates: Option<String>,
    /// Status of imported entries: `draft` (default, for review) or `approved` (admins, with
    /// four eyes off: a lexicon reviewed elsewhere).
    pub status: Option<String>,
    /// `true`: report only, write nothing.
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

impl ImportQuery {
    fn parse(self, taxonomy: &Taxonomy) -> Result<ImportOptions, FieldError> {
        let dry_run = optional(self.dry_run, |raw| flag("dry_run", raw))?.unwrap_or(false);
        let templates = optional(self.templates, |raw| flag("templates", raw))?.unwrap_or(false);
        ImportRequest {
            kind: self.kind,
            format: self.format,
            file_name: self.file_name,
            sheet: self.sheet,
            risk: self.risk,
            mapping: optional(self.mapping, parse_mapping)?.unwrap_or_default(),
            question_kind: self.question_kind,
            aspect: self.aspect,
            behavior: self.behavior,
            templates,
            status: self.status,
            dry_run,
        }
        .parse(taxonomy)
    }
}

/// Reads the upload: the `file` part of a `multipart/form-data` body (its file name, when
/// given, names the format and may map a risk), or the whole body otherwise; at most `limit`
/// bytes.
pub(super) async fn read_upload(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        read_form(request, payload, limit).await
    } else {
        Ok((read_all(payload, limit).await?, None))
    }
}

/// The form's one part, `file`, and its file name: another part is a mistake worth saying (a
/// misnamed file part, or fields this route does not read).
async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    let other_part = |name: &str| -> ApiError {
        FieldError::new("file", msg!("form_other_part", part = name)).into()
    };
    let mut multipart = actix_multipart::Multipart::new(request.headers(), payload);
    let Some(field) = multipart.next().await else {
        return Err(FieldError::new("file", msg!("no_file_part")).into());
    };
    let field = field.map_err(|e| unreadable(&e))?;
    if field.name() != Some("file") {
        return Err(other_part(field.name().unwrap_or_default()));
    }
    let file_name = field
        .content_disposition()
        .and_then(|d| d.get_filename())
        .map(str::to_owned);
    let bytes = read_all(field, limit).await?;
    if let Some(next) = multipart.next().await {
        let next = next.map_err(|e| unreadable(&e))?;
        return Err(other_part(next.name().unwrap_or_default()));
    }
    Ok((bytes, file_name))
}

/// Every chunk of `stream`, refusing more than `limit` bytes as they arrive.
async fn read_all<E: std::fmt::Display>(
    mut stream: impl futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(|e| unreadable(&e))?);
        if bytes.len() > limit {
            return Err(ApiError::invalid(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                msg!("upload_too_large", limit = limit),
            ));
        }
    }
    Ok(bytes)
}

fn unreadable(error: &dyn std::fmt::Display) -> ApiError {
    ApiError::invalid(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        msg!("unreadable_upload", detail = error.to_string()),
    )
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
    let lang = request_lang(&request);
    let task = imports::start(
        &state,
        (actor.0.clone(), actor.1),
        &actor.audit_created(StatusCode::ACCEPTED, "/v1/tasks"),
        body,
        query.parse(&state.taxonomy)?,
        lang,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{}", task.id)))
        .json(TaskView::from(task)))
}
