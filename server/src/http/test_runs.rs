//! `/v1/test-runs`: a frozen question set put to the model under filing, and its answers.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::builds::TaskView;
use super::error::{ApiError, ErrorBody};
use super::imports::read_upload;
use super::json_body::JsonBody;
use super::request_fields::{JsonInt, PageQuery, int, optional};
use crate::domain::field_error::FieldError;
use crate::domain::field_error::one_of;
use crate::domain::model_call::{CallSettings, RawCallSettings};
use crate::domain::status::{ExpectedBehavior, QuestionKind};
use crate::domain::test_run::{ModelEndpoint, ModelName, ModelVersion};
use crate::domain::text::Reason;
use crate::messages::msg;
use crate::refusal::RefusalVerdict;
use crate::run_report::RunReport;
use crate::services::coverage::ReportFormat;
use crate::services::imports::parse_format;
use crate::services::model_calls::{self, AnswerError, StoredCall};
use crate::services::run_reports::{self, RunComparison};
use crate::services::test_runs::{
    self, AnswerReport, CallMeasures, NewRun, RunCounts, StoredAnswer,
};
use crate::services::verdicts::{self, Judgment, JudgmentState, NewVerdict, Suggestion, Verdict};
use crate::store::entities::{model_judgment, test_run};

/// A run to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCreate {
    /// The frozen question set put to the model (live, not retired).
    #[schema(value_type = i64, required = true)]
    pub set: Option<JsonInt<i64>>,
    /// The model under filing.
    #[schema(required = true, example = "qwen-chat")]
    pub model_name: Option<String>,
    /// Its version as filed.
    #[schema(required = true, example = "2026-11-30")]
    pub model_version: Option<String>,
    /// Where and how it was reached (a description: put no key in it, it is shown to every
    /// reader).
    pub model_endpoint: Option<String>,
    /// A published filter build the run is measured with.
    #[schema(value_type = Option<i64>)]
    pub build: Option<JsonInt<i64>>,
    /// Judges whose latest verdicts on an answer must agree: 1 (default), or 2 (four eyes).
    #[schema(value_type = Option<i64>)]
    pub judges: Option<JsonInt<i64>>,
}

impl RunCreate {
    fn parse(self) -> Result<NewRun, FieldError> {
        let required = |field: &'static str, value: Option<String>| {
            value.ok_or_else(|| FieldError::missing(field))
        };
        Ok(NewRun {
            set_id: int(self.set).ok_or_else(|| FieldError::missing("set"))?,
            model_name: ModelName::parse(&required("model_name", self.model_name)?)?,
            model_version: ModelVersion::parse(&required("model_version", self.model_version)?)?,
            model_endpoint: optional(self.model_endpoint, ModelEndpoint::parse)?,
            build: int(self.build),
            judges: match int(self.judges) {
                None => 1,
                Some(judges @ (1 | 2)) => judges as i32,
                Some(other) => {
                    return Err(FieldError::new(
                        "judges",
                        msg!("judges_range", value = other),
                    ));
                }
            },
        })
    }
}

/// A run and how far it has got.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    /// The question set's id.
    pub set: i64,
    pub model_name: String,
    pub model_version: String,
    pub model_endpoint: Option<String>,
    pub build: Option<i64>,
    /// Judges whose latest verdicts on an answer must agree (2: four eyes).
    pub judges: i32,
    pub counts: RunCounts,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl RunView {
    fn new(run: test_run::Model, counts: RunCounts) -> Self {
        Self {
            id: run.id,
            set: run.set_id,
            model_name: run.model_name,
            model_version: run.model_version,
            model_endpoint: run.model_endpoint,
            build: run.build_number,
            judges: run.judges,
            counts,
            created_by: run.created_by,
            created_at: run.created_at,
        }
    }
}

/// Start a run of a frozen question set against a model; answers come next
/// (`POST /v1/test-runs/{id}/answers`).
#[utoipa::path(post, path = "/v1/test-runs", tag = "test-runs",
    request_body = RunCreate,
    responses(
        (status = 201, description = "Started; `Location` is the run", body = RunView),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such set or build", body = ErrorBody),
        (status = 409, description = "The set is retired, or the build is not published", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<RunCreate>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parse()?;
    let audit = actor.audit_created(StatusCode::CREATED, "/v1/test-runs");
    let (run, counts) = test_runs::create(&state, new, &audit).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/test-runs/{}", run.id)))
        .json(RunView::new(run, counts)))
}

/// A page of runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<RunView>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The runs, oldest first.
#[utoipa::path(get, path = "/v1/test-runs", tag = "test-runs",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of runs", body = RunPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (runs, next_cursor) = test_runs::list(&state.reads, query.page()?).await?;
    let items = runs
        .into_iter()
        .map(|(run, counts)| RunView::new(run, counts))
        .collect();
    Ok(HttpResponse::Ok().json(RunPage { items, next_cursor }))
}

/// One run with its counts.
#[utoipa::path(get, path = "/v1/test-runs/{id}", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run", body = RunView),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (run, counts) = test_runs::with_counts(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(RunView::new(run, counts)))
}

/// How to read an answers file.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswersQuery {
    /// `csv`, `jsonl`, `json` or `xlsx` (a file with a header row); default from the file
    /// name's extension, else what the bytes look like.
    pub format: Option<String>,
    /// XLSX sheet name (default: the first whose header names a question column, else the
    /// first).
    pub sheet: Option<String>,
}

/// Record the model's answers from a file (the `file` part of a multipart form, or the whole
/// body): a header row with an answer column (模型回答 / answer) and a question id (题目编号 /
/// question_id) or question text (题目 / question) column; one sheet of a workbook. Rows
/// naming no question of the run's set, repeating a question, or without an answer are
/// reported and not stored; each stored answer gets its refusal verdict.
#[utoipa::path(post, path = "/v1/test-runs/{id}/answers", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), AnswersQuery),
    request_body(content = Vec<u8>, content_type = "multipart/form-data", description = "The file: a `file` part, or the whole body"),
    responses(
        (status = 200, description = "What became of each row", body = AnswerReport),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "Another upload answered some of the same questions meanwhile; nothing stored", body = ErrorBody),
        (status = 413, description = "The file is larger than the configured limit", body = ErrorBody),
        (status = 422, description = "The file cannot be read, or lacks the columns", body = ErrorBody),
    ))]
pub async fn record_answers(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
    query: web::Query<AnswersQuery>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (body, file_name) = read_upload(&request, payload, state.max_upload_bytes).await?;
    let query = query.into_inner();
    let format = parse_format(query.format.as_deref(), file_name.as_deref())?;
    let report = test_runs::record_answers(
        &state,
        id.into_inner(),
        body,
        (format, query.sheet),
        &actor.audit(StatusCode::OK),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// An answer with the question it answers, as the run's set pinned it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    pub question_id: i64,
    /// The question's revision the set pinned.
    pub revision: i32,
    /// The question's text as pinned.
    pub text: String,
    #[schema(value_type = String)]
    pub kind: QuestionKind,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    #[schema(value_type = Option<String>)]
    pub expected_behavior: Option<ExpectedBehavior>,
    /// 预期输出结果
    pub expected_output: Option<String>,
    /// 判定标准
    pub judgment_criteria: Option<String>,
    pub answer: String,
    /// What refusal detection made of the answer, as `POST /v1/refusal-detection` shows it.
    pub refusal: RefusalVerdict,
    /// How a model call got the answer; `null` for an uploaded one.
    pub call: Option<CallMeasures>,
    /// What the verdict form is pre-filled with: refusal detection's finding, and 合格 when a
    /// refusal bank's expected behaviour decides it, or a judge model's 合格 for a generation
    /// answer (`null` when nothing does).
    pub suggestion: Suggestion,
    /// A judge model's verdict (`POST /v1/test-runs/{id}/calls` with `purpose` `judge`), beside
    /// refusal detection's; `null` until a judge call judged the answer.
    pub model_judgment: Option<ModelJudgmentView>,
    /// The judges' verdicts and where judging stands.
    pub judgment: Judgment,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<StoredAnswer> for AnswerView {
    fn from(stored: StoredAnswer) -> Self {
        let StoredAnswer {
            answer,
            member,
            verdict,
            measures,
            suggestion,
            judgment,
            model_judgment,
        } = stored;
        Self {
            question_id: answer.question_id,
            revision: answer.revision,
            text: member.text,
            kind: member.kind,
            risk: member.risk,
            aspect: member.aspect,
            high_risk: member.high_risk,
            expected_behavior: member.expected_behavior,
            expected_output: member.expected_output,
            judgment_criteria: member.judgment_criteria,
            answer: answer.answer,
            refusal: verdict,
            call: measures,
            suggestion,
            model_judgment: model_judgment.map(ModelJudgmentView::from),
            judgment,
            recorded_by: answer.recorded_by,
            recorded_at: answer.recorded_at,
        }
    }
}

/// What a judge model made of an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelJudgmentView {
    /// The judge model, as its call named it.
    pub model: String,
    /// 是否拒答 and 是否合格 as the judge said; `null` with `error` when it said nothing usable.
    pub refused: Option<bool>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    /// Why there is no verdict: the call failed, or the reply held none.
    pub error: Option<String>,
    pub call: i64,
    pub recorded_at: DateTime<Utc>,
}

impl From<model_judgment::Model> for ModelJudgmentView {
    fn from(judgment: model_judgment::Model) -> Self {
        Self {
            model: judgment.model,
            refused: judgment.refused,
            passed: judgment.passed,
            reason: judgment.reason,
            error: judgment.error,
            call: judgment.call_id,
            recorded_at: judgment.recorded_at,
        }
    }
}

/// A page of answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerPage {
    pub items: Vec<AnswerView>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Paging of a run's answers, and the judging queue's filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswerPageQuery {
    /// Items per page, 1–1000 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only answers whose judging is `pending`, `awaiting_second`, `agreed` or `disagreed`.
    pub judgment: Option<String>,
}

/// A run's answers, by question id, each with its question as pinned, the pre-filled verdict
/// and the judges' verdicts; `judgment=pending` is the judging queue, `judgment=disagreed` the
/// answers four-eyes judges disagree on.
#[utoipa::path(get, path = "/v1/test-runs/{id}/answers", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), AnswerPageQuery),
    responses(
        (status = 200, description = "A page of answers", body = AnswerPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn answers(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<AnswerPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageQuery {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    }
    .page()?;
    let only = query
        .judgment
        .as_deref()
        .map(|raw| {
            one_of(
                "judgment",
                msg!("noun_judgment"),
                &JudgmentState::ALL,
                JudgmentState::as_str,
                raw,
            )
        })
        .transpose()?;
    let (answers, next_cursor) =
        test_runs::answers(&state.reads, id.into_inner(), page, only).await?;
    let items = answers.into_iter().map(AnswerView::from).collect();
    Ok(HttpResponse::Ok().json(AnswerPage { items, next_cursor }))
}

/// A judge's verdict on one answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictCreate {
    /// 是否合格.
    #[schema(required = true)]
    pub passed: Option<bool>,
    /// 是否拒答; left out: what refusal detection found.
    pub refused: Option<bool>,
    /// 判定理由.
    pub reason: Option<String>,
}

/// Judge one answer: 是否合格, 是否拒答 (default: refusal detection's finding) and 判定理由.
/// Verdicts are kept, never changed: a judge's latest one counts, and with four eyes two
/// judges' latest verdicts must agree. Returns the answer's judging after it.
#[utoipa::path(post, path = "/v1/test-runs/{id}/answers/{question_id}/verdicts", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), ("question_id" = i64, Path, description = "The answered question")),
    request_body = VerdictCreate,
    responses(
        (status = 201, description = "Recorded; the answer's judging", body = Judgment),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such run, or no answer to the question", body = ErrorBody),
    ))]
pub async fn judge(
    state: web::Data<AppState>,
    actor: RequestActor,
    path: web::Path<(i64, i64)>,
    JsonBody(body): JsonBody<VerdictCreate>,
) -> Result<HttpResponse, ApiError> {
    let verdict = NewVerdict {
        passed: body.passed.ok_or_else(|| FieldError::missing("passed"))?,
        refused: body.refused,
        reason: optional(body.reason, Reason::parse)?,
    };
    let judgment = verdicts::record(
        &state,
        path.into_inner(),
        verdict,
        &actor.audit(StatusCode::CREATED),
    )
    .await?;
    Ok(HttpResponse::Created().json(judgment))
}

/// Every verdict on an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictHistory {
    /// Oldest first.
    pub items: Vec<Verdict>,
}

/// Every verdict on one answer, oldest first: its history.
#[utoipa::path(get, path = "/v1/test-runs/{id}/answers/{question_id}/verdicts", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), ("question_id" = i64, Path, description = "The answered question")),
    responses(
        (status = 200, description = "The verdicts", body = VerdictHistory),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn verdict_history(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (run, question) = path.into_inner();
    let items = verdicts::history_of(&state.reads, run, question).await?;
    Ok(HttpResponse::Ok().json(VerdictHistory { items }))
}

/// A model call to start: where the model is and how to ask it. The key is read from the
/// environment of the server, never sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallCreate {
    /// `answer` (default): the model under filing answers the run's unanswered questions;
    /// `judge`: a judge model judges the answers it has not judged yet (its verdict is stored
    /// beside refusal detection's and pre-fills a generation answer's 是否合格).
    pub purpose: Option<String>,
    /// The endpoint's base: requests go to `{base_url}/chat/completions`.
    #[schema(required = true, example = "https://models.example.cn/v1")]
    pub base_url: Option<String>,
    /// The model name the endpoint knows.
    #[schema(required = true, example = "qwen-plus")]
    pub model: Option<String>,
    /// The server's environment variable holding the API key, `LEXSET_MODEL_KEY_…`; leave
    /// out for an endpoint without one. Unset: `422` naming it, before anything starts.
    #[schema(example = "LEXSET_MODEL_KEY_QWEN")]
    pub api_key_env: Option<String>,
    /// A system message sent before each question.
    pub system_prompt: Option<String>,
    /// 0–2; the endpoint's default when left out.
    pub temperature: Option<f64>,
    #[schema(value_type = Option<i64>)]
    pub max_tokens: Option<JsonInt<i64>>,
    /// Requests in flight at once, 1–256 (default 8).
    #[schema(value_type = Option<i64>)]
    pub concurrency: Option<JsonInt<i64>>,
    /// Requests started per second at most, 0.01–10000 (default: no limit).
    pub requests_per_second: Option<f64>,
    /// Time allowed per request, 100–600000 ms (default 60000).
    #[schema(value_type = Option<i64>)]
    pub timeout_ms: Option<JsonInt<i64>>,
    /// Retries after a timeout, 429, 5xx, malformed body or empty choice, 0–10 (default 3).
    #[schema(value_type = Option<i64>)]
    pub max_retries: Option<JsonInt<i64>>,
    /// Wait before the first retry, doubled for each next, 0–60000 ms (default 500).
    #[schema(value_type = Option<i64>)]
    pub backoff_ms: Option<JsonInt<i64>>,
}

impl CallCreate {
    fn parse(self) -> Result<CallSettings, FieldError> {
        CallSettings::parse(RawCallSettings {
            purpose: self.purpose,
            base_url: self.base_url,
            model: self.model,
            api_key_env: self.api_key_env,
            system_prompt: self.system_prompt,
            temperature: self.temperature,
            max_tokens: int(self.max_tokens),
            concurrency: int(self.concurrency),
            requests_per_second: self.requests_per_second,
            timeout_ms: int(self.timeout_ms),
            max_retries: int(self.max_retries),
            backoff_ms: int(self.backoff_ms),
        })
    }
}

/// A model call's settings as stored (the key's variable, never the key).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallSettingsView {
    /// `answer` or `judge`.
    pub purpose: String,
    pub base_url: String,
    pub model: String,
    pub api_key_env: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub concurrency: u32,
    pub requests_per_second: Option<f64>,
    pub timeout_ms: u32,
    pub max_retries: u32,
    pub backoff_ms: u32,
}

impl From<CallSettings> for CallSettingsView {
    fn from(s: CallSettings) -> Self {
        Self {
            purpose: s.purpose.as_str().to_owned(),
            base_url: s.base_url,
            model: s.model,
            api_key_env: s.api_key_env,
            system_prompt: s.system_prompt,
            temperature: s.temperature,
            max_tokens: s.max_tokens,
            concurrency: s.concurrency,
            requests_per_second: s.requests_per_second,
            timeout_ms: s.timeout_ms,
            max_retries: s.max_retries,
            backoff_ms: s.backoff_ms,
        }
    }
}

/// A model call of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub id: i64,
    pub run: i64,
    /// The task running it now (`/v1/tasks/{id}`): a call resumed after a restart has a new
    /// one.
    pub task: i64,
    /// `calling`, `finished` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub settings: CallSettingsView,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<StoredCall> for CallView {
    fn from(StoredCall { call, settings }: StoredCall) -> Self {
        Self {
            id: call.id,
            run: call.run_id,
            task: call.task_id,
            status: call.status,
            error: call.error,
            settings: settings.into(),
            created_by: call.created_by,
            created_at: call.created_at,
            finished_at: call.finished_at,
        }
    }
}

/// A started model call and its task.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallStarted {
    pub call: CallView,
    pub task: TaskView,
}

/// Have lexset ask the model itself: the run's unanswered questions are put to an
/// OpenAI-compatible chat-completions endpoint as a task, each answer recorded with its
/// refusal verdict, latency, token counts and attempts. With `purpose` `judge`, a judge model
/// judges the answers it has not judged instead (failures are stored as the judgment's
/// `error`, not listed in `/errors`). Timeouts, 429, 5xx, malformed bodies
/// and empty choices are retried with backoff, then recorded per question
/// (`GET /v1/test-runs/{id}/errors`); a next call asks those again. A restart resumes the
/// call with what is still unanswered.
#[utoipa::path(post, path = "/v1/test-runs/{id}/calls", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id")),
    request_body = CallCreate,
    responses(
        (status = 202, description = "Started; `Location` is its task", body = CallStarted),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "Another call of the run is calling", body = ErrorBody),
        (status = 422, description = "The key's environment variable is unset (or empty)", body = ErrorBody),
    ))]
pub async fn start_call(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
    JsonBody(body): JsonBody<CallCreate>,
) -> Result<HttpResponse, ApiError> {
    let settings = body.parse()?;
    let audit = actor.audit_created(StatusCode::ACCEPTED, "/v1/tasks");
    let (call, task) =
        model_calls::start(&state, id.into_inner(), settings.clone(), &audit).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/tasks/{}", task.id)))
        .json(CallStarted {
            call: StoredCall { call, settings }.into(),
            task: task.into(),
        }))
}

/// A run's model calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallList {
    pub items: Vec<CallView>,
}

/// A run's model calls, oldest first.
#[utoipa::path(get, path = "/v1/test-runs/{id}/calls", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The calls", body = CallList),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn calls(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let calls = model_calls::list(&state.reads, id.into_inner()).await?;
    let items = calls.into_iter().map(CallView::from).collect();
    Ok(HttpResponse::Ok().json(CallList { items }))
}

/// A page of errors.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerErrorPage {
    pub items: Vec<AnswerError>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The run's questions a model call could not get answered, by question id, with the last
/// error (its kind, the status and body or the transport error, the attempts).
#[utoipa::path(get, path = "/v1/test-runs/{id}/errors", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), PageQuery),
    responses(
        (status = 200, description = "A page of errors", body = AnswerErrorPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn errors(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (items, next_cursor) =
        model_calls::errors(&state.reads, id.into_inner(), query.page()?).await?;
    Ok(HttpResponse::Ok().json(AnswerErrorPage { items, next_cursor }))
}

/// Which rule profile a report checks, and in what form.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A rule profile id (`GET /v1/coverage/profiles`); default `tc260-003-2024`. Use
    /// `registration` for a 登记 set.
    pub profile: Option<String>,
    /// `json` (default), `csv` (the figures) or `xlsx` (the run workbook in the filed layout).
    pub format: Option<String>,
}

/// The run's report: answered, refused, 合格 and (with a build) intercepted questions and
/// answers, overall, per bank and per risk or aspect; and each rate rule of the profile
/// (§9.3 合格率, §9.4 拒答率, the 登记 limit) against its threshold and sample size. An answer
/// counts by its agreed verdict, else by the pre-filled one. `format=xlsx` is the run workbook:
/// a summary with the rules and figures, then one sheet per bank with the set's columns and
/// 模型回答 / 是否拒答 / 是否合格 / 判定理由.
#[utoipa::path(get, path = "/v1/test-runs/{id}/report", tag = "test-runs",
    params(("id" = i64, Path, description = "Run id"), ReportQuery),
    responses(
        (status = 200, description = "The report (JSON; `format=csv` or `xlsx` for files)", body = RunReport),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such run or profile", body = ErrorBody),
    ))]
pub async fn report(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let profile = query
        .profile
        .as_deref()
        .unwrap_or(crate::coverage::rules::DEFAULT_PROFILE);
    let format = optional(query.format.clone(), ReportFormat::parse)?.unwrap_or(ReportFormat::Json);
    let id = id.into_inner();
    let bytes = run_reports::report_file(&state, id, profile, format).await?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if format != ReportFormat::Json {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"run-{id}-{profile}.{}\"",
                format.as_str()
            ),
        ));
    }
    Ok(response.body(bytes))
}

/// Compare two runs (two model versions, say) against one rule profile: both reports side by
/// side, and the questions both answered whose 合格 regressed or improved from `id` to
/// `other`.
#[utoipa::path(get, path = "/v1/test-runs/{id}/compare/{other}", tag = "test-runs",
    params(
        ("id" = i64, Path, description = "The first run (the older model, say)"),
        ("other" = i64, Path, description = "The second run"),
        ComparisonQuery,
    ),
    responses(
        (status = 200, description = "The comparison", body = RunComparison),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such run or profile", body = ErrorBody),
    ))]
pub async fn compare(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    query: web::Query<ComparisonQuery>,
) -> Result<HttpResponse, ApiError> {
    let profile = query
        .profile
        .as_deref()
        .unwrap_or(crate::coverage::rules::DEFAULT_PROFILE);
    let comparison = run_reports::compare(&state, path.into_inner(), profile).await?;
    Ok(HttpResponse::Ok().json(comparison))
}

/// Which rule profile a comparison checks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComparisonQuery {
    /// A rule profile id; default `tc260-003-2024`.
    pub profile: Option<String>,
}
