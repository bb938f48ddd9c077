//! Model calls: lexset itself puts a run's unanswered questions to an OpenAI-compatible
//! chat-completions endpoint (`chat_client`), as a task. Answers are recorded as they come,
//! in batches, each with its refusal verdict, latency, token counts and attempts; a question
//! that still fails after its retries gets its error recorded instead, and the call goes on.
//!
//! A call survives a restart: its settings are stored (the key's variable name, never the
//! key), and a replica that starts resumes the calls its previous process was running, with
//! a new task, asking only what is still unanswered. An application that stops ends its
//! calls' tasks the same way, after recording what was answered.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::page::{PageRequest, keyset_page};
use super::test_runs::{self, CallMeasures, Recorded};
use super::{AppState, ServiceError, question_sets, tasks};
use crate::chat_client::{ApiKey, ChatClient, FailureKind, Outcome};
use crate::domain::field_error::FieldError;
use crate::domain::model_call::CallSettings;
use crate::messages::msg;
use crate::store::entities::{
    model_call, question_set_member, task, test_answer, test_answer_error,
};

/// A call's status while its task runs.
const CALLING: &str = "calling";
/// Task kind of a model call.
const TASK_KIND: &str = "model_call";
/// Answers and errors recorded per transaction, at most.
const BATCH_ROWS: usize = 200;
/// A batch is recorded at the latest this long after its first row came.
const BATCH_WAIT: Duration = Duration::from_secs(1);

/// Starts a call of run `run_id` with `settings`: the key is read from its environment
/// variable first (refused, naming it, when unset: well-formed but refused for what it means,
/// so `422` like every such field), then the call and its task are recorded
/// and the questions asked in the background. Refused while another call of the run is
/// calling.
pub async fn start(
    state: &AppState,
    run_id: i64,
    settings: CallSettings,
    audit: &AuditStamp,
) -> Result<(model_call::Model, task::Model), ServiceError> {
    let key = key_of(&settings)?;
    let client = ChatClient::new(settings.clone(), key).map_err(ServiceError::ModelClient)?;
    let run = test_runs::get(&state.reads, run_id).await?;
    let json =
        serde_json::to_string(&settings).map_err(|e| ServiceError::ModelClient(e.to_string()))?;
    let txn = state.db.begin().await?;
    let task = tasks::create(&txn, TASK_KIND, &audit.actor, 0, &state.replica).await?;
    let inserted = model_call::ActiveModel {
        run_id: Set(run.id),
        task_id: Set(task.id),
        settings: Set(json),
        status: Set(CALLING.to_owned()),
        error: Set(None),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let call = match inserted {
        Ok(call) => call,
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(ServiceError::RunCalling(run.id));
        }
        Err(error) => return Err(error.into()),
    };
    super::audit::commit(txn, Some(audit), Some(task.id)).await?;
    spawn(state, call.clone(), client);
    Ok((call, task))
}

/// The key a call's settings name, read from the environment.
fn key_of(settings: &CallSettings) -> Result<Option<ApiKey>, FieldError> {
    let Some(name) = &settings.api_key_env else {
        return Ok(None);
    };
    ApiKey::from_env(name)
        .map(Some)
        .ok_or_else(|| FieldError::unprocessable("api_key_env", msg!("api_key_unset", name = name)))
}

/// At start, after `leases::recover_at_start`: resumes every call whose task was failed as
/// abandoned (this replica's previous process, or a replica whose lease expired), each with a
/// new task. A call whose key is no longer in the environment is marked failed, naming the
/// variable. Returns how many calls were resumed.
pub async fn resume_interrupted(state: &AppState) -> Result<usize, ServiceError> {
    let calling = model_call::Entity::find()
        .filter(model_call::Column::Status.eq(CALLING))
        .order_by_asc(model_call::Column::Id)
        .all(&state.db)
        .await?;
    let mut resumed = 0;
    for call in calling {
        let Some(old_task) = tasks::get(&state.db, call.task_id).await? else {
            continue;
        };
        if old_task.status != "failed" {
            continue; // Running on a live replica.
        }
        let settings: CallSettings = match serde_json::from_str(&call.settings) {
            Ok(settings) => settings,
            Err(e) => {
                finish(
                    &state.db,
                    call.id,
                    Err(format!("stored settings unreadable: {e}")),
                )
                .await?;
                continue;
            }
        };
        let client = match key_of(&settings) {
            Ok(key) => ChatClient::new(settings, key),
            Err(error) => Err(error.message.to_string()),
        };
        let client = match client {
            Ok(client) => client,
            Err(why) => {
                finish(&state.db, call.id, Err(why)).await?;
                continue;
            }
        };
        let txn = state.db.begin().await?;
        let task = tasks::create(&txn, TASK_KIND, &call.created_by, 0, &state.replica).await?;
        // Compare and set: of replicas starting together, one takes the call.
        let taken = model_call::Entity::update_many()
            .col_expr(model_call::Column::TaskId, task.id.into())
            .filter(model_call::Column::Id.eq(call.id))
            .filter(model_call::Column::TaskId.eq(old_task.id))
            .filter(model_call::Column::Status.eq(CALLING))
            .exec(&txn)
            .await?;
        if taken.rows_affected == 0 {
            continue; // The transaction rolls back: no task left behind.
        }
        txn.commit().await?;
        tracing::info!(
            call = call.id,
            run = call.run_id,
            task = task.id,
            "resuming a model call"
        );
        spawn(
            state,
            model_call::Model {
                task_id: task.id,
                ..call
            },
            client,
        );
        resumed += 1;
    }
    Ok(resumed)
}

fn spawn(state: &AppState, call: model_call::Model, client: ChatClient) {
    let state = state.clone();
    let stopping = state.stopping.subscribe();
    crate::task_runtime::spawn(async move {
        let (call_id, task_id) = (call.id, call.task_id);
        match drive(&state, &call, client, stopping).await {
            Ok(Some(summary)) => {
                let result = serde_json::to_value(summary).unwrap_or_default();
                let finished = async {
                    let txn = state.db.begin().await?;
                    finish(&txn, call_id, Ok(())).await?;
                    tasks::succeed(&txn, task_id, &result).await?;
                    txn.commit().await
                };
                if let Err(error) = finished.await {
                    tracing::error!(%error, call = call_id, "cannot record a finished model call");
                }
            }
            // Stopped with the application: the next start resumes it.
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, call = call_id, "model call failed");
                let message = error.to_string();
                let failed = async {
                    finish(&state.db, call_id, Err(message.clone())).await?;
                    tasks::fail(&state.db, task_id, &message).await
                };
                if let Err(error) = failed.await {
                    tracing::error!(%error, call = call_id, "cannot record a failed model call");
                }
            }
        }
    });
}

/// What a finished call's task reports.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct CallSummary {
    call: i64,
    run: i64,
    /// Questions asked by this task (a resumed call's earlier answers not included).
    asked: usize,
    answered: usize,
    refused: usize,
    failed: usize,
}

/// Asks the run's unanswered questions (for a resumed call: not those this call has recorded
/// as failed) and records the outcomes. `None` when the application stopped first.
async fn drive(
    state: &AppState,
    call: &model_call::Model,
    client: ChatClient,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<CallSummary>, ServiceError> {
    let pending = pending(&state.reads, call).await?;
    let mut summary = CallSummary {
        call: call.id,
        run: call.run_id,
        asked: pending.len(),
        ..Default::default()
    };
    tasks::set_total(&state.db, call.task_id, clamp(pending.len())).await?;
    tasks::progress(&state.db, call.task_id, "calling", 0).await?;
    let concurrency = client_concurrency(call);
    let client = Arc::new(client);
    let mut outcomes = futures_util::stream::iter(pending)
        .map(|member| {
            let client = client.clone();
            async move {
                let outcome = client.ask(&member.text).await;
                (member, outcome)
            }
        })
        .buffer_unordered(concurrency);
    let mut batch = Batch::default();
    loop {
        let flush_at = batch.since.map(|since| since + BATCH_WAIT);
        tokio::select! {
            next = outcomes.next() => match next {
                Some((member, outcome)) => {
                    batch.add(state, call, member, outcome);
                    if batch.full() {
                        batch.record(state, call, &mut summary).await?;
                    }
                }
                None => break,
            },
            () = tokio::time::sleep_until(flush_at.unwrap_or_else(tokio::time::Instant::now)),
                if flush_at.is_some() => {
                batch.record(state, call, &mut summary).await?;
            }
            () = stopped(&mut stopping) => {
                batch.record(state, call, &mut summary).await?;
                return Ok(None);
            }
        }
    }
    batch.record(state, call, &mut summary).await?;
    Ok(Some(summary))
}

/// Returns once the application stops.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // Its guard is not `Send`: dropped here, before the caller awaits anything else.
    let _ = stopping.wait_for(|stop| *stop).await;
}

fn client_concurrency(call: &model_call::Model) -> usize {
    serde_json::from_str::<CallSettings>(&call.settings)
        .map_or(CallSettings::DEFAULT_CONCURRENCY, |s| s.concurrency) as usize
}

fn clamp(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The members of the run's set still to ask: without an answer, and without an error this
/// call recorded (a resumed call does not retry its own failures; a new call does).
async fn pending(
    db: &DatabaseConnection,
    call: &model_call::Model,
) -> Result<Vec<question_set_member::Model>, ServiceError> {
    let run = test_runs::get(db, call.run_id).await?;
    let (_, members) = question_sets::frozen(db, run.set_id).await?;
    let mut done: HashSet<i64> = test_answer::Entity::find()
        .select_only()
        .column(test_answer::Column::QuestionId)
        .filter(test_answer::Column::RunId.eq(run.id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    done.extend(
        test_answer_error::Entity::find()
            .select_only()
            .column(test_answer_error::Column::QuestionId)
            .filter(test_answer_error::Column::RunId.eq(run.id))
            .filter(test_answer_error::Column::CallId.eq(call.id))
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    Ok(members
        .into_iter()
        .filter(|member| !done.contains(&member.question_id))
        .collect())
}

/// Outcomes waiting to be recorded.
#[derive(Default)]
struct Batch {
    answers: Vec<Recorded>,
    errors: Vec<test_answer_error::ActiveModel>,
    /// When the first outcome of the batch came.
    since: Option<tokio::time::Instant>,
}

impl Batch {
    fn add(
        &mut self,
        state: &AppState,
        call: &model_call::Model,
        member: question_set_member::Model,
        outcome: Outcome,
    ) {
        self.since.get_or_insert_with(tokio::time::Instant::now);
        let latency_ms = i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX);
        let attempts = i32::try_from(outcome.attempts).unwrap_or(i32::MAX);
        match outcome.result {
            Ok(completion) => self.answers.push(Recorded {
                question_id: member.question_id,
                revision: member.revision,
                verdict: state.refusals.classify(&completion.content),
                answer: completion.content,
                measures: Some(CallMeasures {
                    call_id: call.id,
                    latency_ms,
                    prompt_tokens: completion.prompt_tokens,
                    completion_tokens: completion.completion_tokens,
                    attempts,
                }),
            }),
            Err(failure) => self.errors.push(test_answer_error::ActiveModel {
                run_id: Set(call.run_id),
                question_id: Set(member.question_id),
                call_id: Set(call.id),
                kind: Set(failure.kind.as_str().to_owned()),
                // PostgreSQL text refuses NUL; the message may quote the endpoint's body.
                message: Set(failure.message.replace('\0', "")),
                attempts: Set(attempts),
                latency_ms: Set(latency_ms),
                recorded_at: Set(Utc::now()),
            }),
        }
    }

    fn full(&self) -> bool {
        self.answers.len() + self.errors.len() >= BATCH_ROWS
    }

    /// Records the batch in one transaction with the task's progress, and empties it.
    async fn record(
        &mut self,
        state: &AppState,
        call: &model_call::Model,
        summary: &mut CallSummary,
    ) -> Result<(), ServiceError> {
        if self.answers.is_empty() && self.errors.is_empty() {
            return Ok(());
        }
        let answers = std::mem::take(&mut self.answers);
        let errors = std::mem::take(&mut self.errors);
        self.since = None;
        let txn = state.db.begin().await?;
        // An answer uploaded meanwhile stays; the call's is dropped.
        test_runs::insert_answers(&txn, call.run_id, &answers, &call.created_by).await?;
        if !answers.is_empty() {
            test_answer_error::Entity::delete_many()
                .filter(test_answer_error::Column::RunId.eq(call.run_id))
                .filter(
                    test_answer_error::Column::QuestionId
                        .is_in(answers.iter().map(|a| a.question_id)),
                )
                .exec(&txn)
                .await?;
        }
        if !errors.is_empty() {
            test_answer_error::Entity::insert_many(errors.clone())
                .on_conflict(
                    OnConflict::columns([
                        test_answer_error::Column::RunId,
                        test_answer_error::Column::QuestionId,
                    ])
                    .update_columns([
                        test_answer_error::Column::CallId,
                        test_answer_error::Column::Kind,
                        test_answer_error::Column::Message,
                        test_answer_error::Column::Attempts,
                        test_answer_error::Column::LatencyMs,
                        test_answer_error::Column::RecordedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        summary.answered += answers.len();
        summary.refused += answers.iter().filter(|a| a.verdict.refused).count();
        summary.failed += errors.len();
        let done = clamp(summary.answered + summary.failed);
        tasks::progress(&txn, call.task_id, "calling", done).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Marks call `id` finished, or failed with `error`.
async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    outcome: Result<(), String>,
) -> Result<(), DbErr> {
    let (status, error) = match outcome {
        Ok(()) => ("finished", None),
        Err(error) => ("failed", Some(error.replace('\0', ""))),
    };
    model_call::Entity::update_many()
        .col_expr(model_call::Column::Status, status.into())
        .col_expr(model_call::Column::Error, error.into())
        .col_expr(model_call::Column::FinishedAt, Utc::now().into())
        .filter(model_call::Column::Id.eq(id))
        .filter(model_call::Column::Status.eq(CALLING))
        .exec(db)
        .await?;
    Ok(())
}

/// A call with its settings as stored.
#[derive(Debug, Clone)]
pub struct StoredCall {
    pub call: model_call::Model,
    pub settings: CallSettings,
}

/// Run `run_id`'s calls, oldest first.
pub async fn list(db: &DatabaseConnection, run_id: i64) -> Result<Vec<StoredCall>, ServiceError> {
    test_runs::get(db, run_id).await?;
    model_call::Entity::find()
        .filter(model_call::Column::RunId.eq(run_id))
        .order_by_asc(model_call::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|call| {
            let settings = serde_json::from_str(&call.settings).map_err(|e| {
                DbErr::Custom(format!("call {}: stored settings unreadable: {e}", call.id))
            })?;
            Ok(StoredCall { call, settings })
        })
        .collect()
}

/// A question a model call could not get answered, as last tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerError {
    pub question_id: i64,
    pub call: i64,
    pub kind: FailureKind,
    /// The status and the start of the endpoint's body, or the transport's error.
    pub message: String,
    pub attempts: i32,
    /// Time of the last attempt.
    pub latency_ms: i64,
    pub recorded_at: chrono::DateTime<Utc>,
}

/// A page of run `run_id`'s unanswered questions with their last call error, by question id.
pub async fn errors(
    db: &DatabaseConnection,
    run_id: i64,
    page: PageRequest,
) -> Result<(Vec<AnswerError>, Option<String>), ServiceError> {
    test_runs::get(db, run_id).await?;
    let (rows, next) = keyset_page(
        db,
        test_answer_error::Entity::find().filter(test_answer_error::Column::RunId.eq(run_id)),
        test_answer_error::Column::QuestionId,
        |row| row.question_id,
        page,
    )
    .await?;
    let errors = rows
        .into_iter()
        .map(|row| {
            let kind = FailureKind::parse(&row.kind).ok_or_else(|| {
                DbErr::Custom(format!(
                    "run {run_id}: stored error kind {} unknown",
                    row.kind
                ))
            })?;
            Ok(AnswerError {
                question_id: row.question_id,
                call: row.call_id,
                kind,
                message: row.message,
                attempts: row.attempts,
                latency_ms: row.latency_ms,
                recorded_at: row.recorded_at,
            })
        })
        .collect::<Result<_, DbErr>>()?;
    Ok((errors, next))
}
