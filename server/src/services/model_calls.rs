//! Model calls: lexset itself puts a run's unanswered questions to an OpenAI-compatible
//! chat-completions endpoint (`chat_client`), as a task. Answers are recorded as they come,
//! in batches, each with its refusal verdict, latency, token counts and attempts; a question
//! that still fails after its retries gets its error recorded instead, and the call goes on.
//! A `401`, `403` or `404` ends the call: every other question would get the same.
//!
//! A call survives its process: its settings are stored (the key's variable name, never the
//! key). An application that stops records what was answered and leaves the call `calling`;
//! every replica looks every [`leases::HEARTBEAT_INTERVAL`] (and at start) for `calling`
//! calls whose task was failed as abandoned — its own previous process's, or a stopped
//! replica's once its lease expired — and resumes them with a new task, asking only what is
//! still unanswered. Whoever runs a call holds it by its task id: every write checks it, so a
//! replica that lost a call (stalled past its lease) stops without touching it.

use std::collections::{HashMap, HashSet};
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
use super::leases;
use super::page::{PageRequest, keyset_page};
use super::periodic::{self, Periodic};
use super::test_runs::{self, CallMeasures, Recorded};
use super::{AppState, ServiceError, question_sets, tasks};
use crate::chat_client::{ApiKey, ChatClient, FailureKind, Outcome};
use crate::domain::field_error::FieldError;
use crate::domain::model_call::{CallPurpose, CallSettings};
use crate::messages::msg;
use crate::model_judge;
use crate::store::entities::{
    model_call, model_judgment, question_set_member, task, test_answer, test_answer_error,
};

/// A call's status while its task runs.
const CALLING: &str = "calling";
/// Task kind of a model call.
const TASK_KIND: &str = "model_call";
/// Answers and errors recorded per transaction, at most.
const BATCH_ROWS: usize = 200;
/// A batch is recorded at the latest this long after its first row came.
const BATCH_WAIT: Duration = Duration::from_secs(1);
/// Attempts at a write that failed (the store restarting, a serialization failure) before
/// the call gives up, the wait doubling from one second.
const WRITE_ATTEMPTS: u32 = 4;

/// Starts a call of run `run_id` with `settings`: the key is read from its environment
/// variable first (refused, naming it, when unset: well-formed but refused for what it means,
/// so `422` like every such field), then the call and its task are recorded and the
/// questions asked in the background. Refused while another call of the run is calling.
pub async fn start(
    state: &AppState,
    run_id: i64,
    mut settings: CallSettings,
    audit: &AuditStamp,
) -> Result<(model_call::Model, task::Model), ServiceError> {
    let run = test_runs::get(&state.reads, run_id).await?;
    if settings.purpose == CallPurpose::Judge && settings.system_prompt.is_none() {
        settings.system_prompt = Some(model_judge::SYSTEM_PROMPT.to_owned());
    }
    let key = key_of(&settings)?;
    let client = ChatClient::new(settings.clone(), key).map_err(ServiceError::ModelClient)?;
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

/// The key a call's settings name, read from the environment, if the call may send it to
/// its base URL: the variable `<key variable>_URL` must hold that URL, so that whoever may
/// start calls cannot send the key anywhere else.
fn key_of(settings: &CallSettings) -> Result<Option<ApiKey>, FieldError> {
    let Some(name) = &settings.api_key_env else {
        return Ok(None);
    };
    let key = ApiKey::from_env(name).ok_or_else(|| {
        FieldError::unprocessable("api_key_env", msg!("api_key_unset", name = name))
    })?;
    let url_variable = format!("{name}_URL");
    let allowed = std::env::var(&url_variable).map_err(|_| {
        FieldError::unprocessable(
            "api_key_env",
            msg!("api_key_url_unset", name = url_variable.as_str()),
        )
    })?;
    if allowed.trim().trim_end_matches('/') != settings.base_url {
        return Err(FieldError::unprocessable(
            "base_url",
            msg!("base_url_not_allowed", name = url_variable.as_str()),
        ));
    }
    Ok(Some(key))
}

/// Resumes every `calling` call whose task was failed as abandoned (this replica's previous
/// process, or a replica whose lease expired), each with a new task. A call whose key can no
/// longer be read is marked failed, saying why. Returns how many calls were resumed.
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
            continue; // Running (or about to finish) on a live replica.
        }
        let client = serde_json::from_str::<CallSettings>(&call.settings)
            .map_err(|e| format!("stored settings unreadable: {e}"))
            .and_then(|settings| {
                let key = key_of(&settings).map_err(|e| e.message.to_string())?;
                ChatClient::new(settings, key)
            });
        let client = match client {
            Ok(client) => client,
            Err(why) => {
                let txn = state.db.begin().await?;
                finish(&txn, &call, Err(why)).await?;
                txn.commit().await?;
                continue;
            }
        };
        let txn = state.db.begin().await?;
        let task = tasks::create(&txn, TASK_KIND, &call.created_by, 0, &state.replica).await?;
        // Compare and set: of replicas looking together, one takes the call.
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
        task::Entity::update_many()
            .col_expr(
                task::Column::Error,
                format!(
                    "interrupted; model call {} resumed as task {}",
                    call.id, task.id
                )
                .into(),
            )
            .filter(task::Column::Id.eq(old_task.id))
            .exec(&txn)
            .await?;
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

/// Resumes interrupted calls every [`leases::HEARTBEAT_INTERVAL`] until stopped: those of a
/// replica that stopped for good are taken over once the lease sweep failed their tasks.
pub fn keep_resuming(state: AppState) -> Periodic {
    periodic::every("model calls", leases::HEARTBEAT_INTERVAL, (), move |()| {
        let state = state.clone();
        async move {
            if let Err(error) = resume_interrupted(&state).await {
                tracing::warn!(%error, "cannot resume model calls; retrying");
            }
        }
    })
}

fn spawn(state: &AppState, call: model_call::Model, client: ChatClient) {
    let state = state.clone();
    let stopping = state.stopping.subscribe();
    crate::task_runtime::spawn(async move {
        let outcome = match drive(&state, &call, client, stopping).await {
            // Stopped with the application, or taken over: whoever resumes it finishes it.
            Ok(None) => return,
            Ok(Some(summary)) => Ok(summary),
            Err(error) => {
                tracing::error!(%error, call = call.id, "model call failed");
                Err(error.to_string())
            }
        };
        if let Err(error) = settle(&state, &call, outcome).await {
            tracing::error!(%error, call = call.id, "cannot record how a model call ended");
        }
    });
}

/// Records how `call` ended, with its task, in one transaction retried on failure; nothing
/// when another task holds the call now.
async fn settle(
    state: &AppState,
    call: &model_call::Model,
    outcome: Result<CallSummary, String>,
) -> Result<(), DbErr> {
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=WRITE_ATTEMPTS {
        let settled = async {
            let txn = state.db.begin().await?;
            if finish(&txn, call, outcome.clone().map(|_| ())).await? {
                match &outcome {
                    Ok(summary) => {
                        let result = serde_json::to_value(summary).unwrap_or_default();
                        tasks::succeed(&txn, call.task_id, &result).await?;
                    }
                    Err(error) => tasks::fail(&txn, call.task_id, error).await?,
                }
            }
            txn.commit().await
        };
        match settled.await {
            Err(error) if attempt < WRITE_ATTEMPTS => {
                tracing::warn!(%error, call = call.id, "recording a model call's end; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            settled => return settled,
        }
    }
    Ok(())
}

/// What a finished call's task reports.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct CallSummary {
    call: i64,
    run: i64,
    /// Questions asked by this task (a resumed call's earlier answers not included).
    asked: usize,
    /// Answers recorded (an answer uploaded meanwhile is kept instead, and not counted); for a
    /// judge call, verdicts recorded.
    answered: usize,
    refused: usize,
    failed: usize,
}

/// Asks the run's unanswered questions (for a resumed call: not those this call has recorded
/// as failed) and records the outcomes. `None` when the application stopped first or another
/// task took the call over.
async fn drive(
    state: &AppState,
    call: &model_call::Model,
    client: ChatClient,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<CallSummary>, ServiceError> {
    // The settings as the call stored them, parsed once when the client was made.
    let settings = client.settings();
    let judge = (settings.purpose == CallPurpose::Judge).then(|| settings.model.clone());
    let concurrency = settings.concurrency as usize;
    let pending = pending(&state.reads, call, settings.purpose).await?;
    let mut summary = CallSummary {
        call: call.id,
        run: call.run_id,
        asked: pending.len(),
        ..Default::default()
    };
    tasks::set_total(&state.db, call.task_id, clamp(pending.len())).await?;
    tasks::progress(&state.db, call.task_id, "calling", 0).await?;
    let client = Arc::new(client);
    let mut outcomes = futures_util::stream::iter(pending)
        .map(|ask| {
            let client = client.clone();
            async move {
                let outcome = client.ask(&ask.prompt).await;
                (ask.member, outcome)
            }
        })
        .buffer_unordered(concurrency);
    let mut batch = Batch::default();
    loop {
        let flush_at = batch.since.map(|since| since + BATCH_WAIT);
        let recorded = tokio::select! {
            next = outcomes.next() => match next {
                Some((member, outcome)) => {
                    let fatal = outcome
                        .result
                        .as_ref()
                        .err()
                        .filter(|failure| failure.stops_the_call())
                        .map(|failure| failure.message.clone());
                    batch.add(state, (call, judge.as_deref()), member, outcome);
                    if let Some(message) = fatal {
                        batch.record(state, call, &mut summary).await?;
                        return Err(ServiceError::ModelEndpoint(message));
                    }
                    if batch.full() {
                        batch.record(state, call, &mut summary).await?
                    } else {
                        Held::Yes
                    }
                }
                None => break,
            },
            () = tokio::time::sleep_until(flush_at.unwrap_or_else(tokio::time::Instant::now)),
                if flush_at.is_some() => {
                batch.record(state, call, &mut summary).await?
            }
            () = stopped(&mut stopping) => {
                batch.record(state, call, &mut summary).await?;
                return Ok(None);
            }
        };
        if recorded == Held::No {
            return Ok(None);
        }
    }
    match batch.record(state, call, &mut summary).await? {
        Held::Yes => Ok(Some(summary)),
        Held::No => Ok(None),
    }
}

/// Whether this task still holds its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Yes,
    No,
}

/// Returns once the application stops.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // Its guard is not `Send`: dropped here, before the caller awaits anything else.
    let _ = stopping.wait_for(|stop| *stop).await;
}

fn clamp(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A question to put to the endpoint: the member, and what is sent (its text, or for a judge
/// the judging prompt with its answer).
struct Ask {
    member: question_set_member::Model,
    prompt: String,
}

/// What the call still has to ask. Answering: the members without an answer, and without an
/// error this call recorded (a resumed call does not retry its own failures; a new call
/// does). Judging: the answered members without a judge verdict, and without a failure this
/// call recorded.
async fn pending(
    db: &DatabaseConnection,
    call: &model_call::Model,
    purpose: CallPurpose,
) -> Result<Vec<Ask>, ServiceError> {
    let run = test_runs::get(db, call.run_id).await?;
    let (_, members) = question_sets::frozen(db, run.set_id).await?;
    if purpose == CallPurpose::Judge {
        let mut answers: HashMap<i64, String> = test_answer::Entity::find()
            .select_only()
            .column(test_answer::Column::QuestionId)
            .column(test_answer::Column::Answer)
            .filter(test_answer::Column::RunId.eq(run.id))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let done: HashSet<i64> = model_judgment::Entity::find()
            .filter(model_judgment::Column::RunId.eq(run.id))
            .all(db)
            .await?
            .into_iter()
            .filter(|j| j.error.is_none() || j.call_id == call.id)
            .map(|j| j.question_id)
            .collect();
        return Ok(members
            .into_iter()
            .filter(|member| !done.contains(&member.question_id))
            .filter_map(|member| {
                let answer = answers.remove(&member.question_id)?;
                let prompt = model_judge::prompt(
                    &member.text,
                    member.expected_output.as_deref(),
                    member.judgment_criteria.as_deref(),
                    &answer,
                );
                Some(Ask { member, prompt })
            })
            .collect());
    }
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
        .map(|member| Ask {
            prompt: member.text.clone(),
            member,
        })
        .collect())
}

/// Outcomes waiting to be recorded.
#[derive(Default)]
struct Batch {
    answers: Vec<Recorded>,
    errors: Vec<test_answer_error::ActiveModel>,
    /// A judge call's verdicts (or why there is none).
    judgments: Vec<model_judgment::ActiveModel>,
    /// When the first outcome of the batch came.
    since: Option<tokio::time::Instant>,
}

impl Batch {
    /// Adds the outcome of asking about `member`; `judge` names the judge model of a judge
    /// call.
    fn add(
        &mut self,
        state: &AppState,
        (call, judge): (&model_call::Model, Option<&str>),
        member: question_set_member::Model,
        outcome: Outcome,
    ) {
        self.since.get_or_insert_with(tokio::time::Instant::now);
        let latency_ms = i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX);
        let attempts = i32::try_from(outcome.attempts).unwrap_or(i32::MAX);
        if let Some(model) = judge {
            let verdict = outcome
                .result
                .map_err(|failure| failure.message)
                .and_then(|completion| model_judge::parse(&completion.content));
            let (verdict, error) = match verdict {
                Ok(verdict) => (Some(verdict), None),
                Err(error) => (None, Some(error.replace('\0', ""))),
            };
            self.judgments.push(model_judgment::ActiveModel {
                run_id: Set(call.run_id),
                question_id: Set(member.question_id),
                call_id: Set(call.id),
                model: Set(model.to_owned()),
                refused: Set(verdict.as_ref().map(|v| v.refused)),
                passed: Set(verdict.as_ref().map(|v| v.passed)),
                reason: Set(verdict.and_then(|v| v.reason).map(|r| r.replace('\0', ""))),
                error: Set(error),
                recorded_at: Set(Utc::now()),
            });
            return;
        }
        match outcome.result {
            Ok(completion) => {
                // PostgreSQL text refuses NUL; nothing a person reads is lost with it.
                let answer = completion.content.replace('\0', "");
                self.answers.push(Recorded {
                    question_id: member.question_id,
                    revision: member.revision,
                    verdict: state.refusals.detector().classify(&answer),
                    answer,
                    measures: Some(CallMeasures {
                        call_id: call.id,
                        latency_ms,
                        prompt_tokens: completion.prompt_tokens,
                        completion_tokens: completion.completion_tokens,
                        attempts,
                    }),
                })
            }
            Err(failure) => self.errors.push(test_answer_error::ActiveModel {
                run_id: Set(call.run_id),
                question_id: Set(member.question_id),
                call_id: Set(call.id),
                kind: Set(failure.kind.as_str().to_owned()),
                message: Set(failure.message.replace('\0', "")),
                attempts: Set(attempts),
                latency_ms: Set(latency_ms),
                recorded_at: Set(Utc::now()),
            }),
        }
    }

    fn full(&self) -> bool {
        self.answers.len() + self.errors.len() + self.judgments.len() >= BATCH_ROWS
    }

    /// Records the batch in one transaction with the task's progress, retried on failure,
    /// and empties it; `Held::No` (nothing written) when another task holds the call now.
    async fn record(
        &mut self,
        state: &AppState,
        call: &model_call::Model,
        summary: &mut CallSummary,
    ) -> Result<Held, ServiceError> {
        if self.answers.is_empty() && self.errors.is_empty() && self.judgments.is_empty() {
            return Ok(Held::Yes);
        }
        self.since = None;
        let mut wait = Duration::from_secs(1);
        let mut attempt = 1;
        let counted = loop {
            match self.write(state, call, summary).await {
                Err(error) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(%error, call = call.id, "recording model answers; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                written => break written?,
            }
        };
        self.answers.clear();
        self.errors.clear();
        self.judgments.clear();
        Ok(match counted {
            Some((answered, refused, failed)) => {
                summary.answered += answered;
                summary.refused += refused;
                summary.failed += failed;
                Held::Yes
            }
            None => Held::No,
        })
    }

    /// One attempt at [`Batch::record`]: the counts it adds, or `None` when the call is held
    /// by another task (or its task was failed by a lease sweep).
    async fn write(
        &self,
        state: &AppState,
        call: &model_call::Model,
        summary: &CallSummary,
    ) -> Result<Option<(usize, usize, usize)>, DbErr> {
        let txn = state.db.begin().await?;
        let held = model_call::Entity::update_many()
            .col_expr(model_call::Column::TaskId, call.task_id.into())
            .filter(model_call::Column::Id.eq(call.id))
            .filter(model_call::Column::TaskId.eq(call.task_id))
            .filter(model_call::Column::Status.eq(CALLING))
            .exec(&txn)
            .await?;
        if held.rows_affected == 0 {
            return Ok(None);
        }
        // An answer uploaded meanwhile stays; the call's is dropped.
        let inserted =
            test_runs::insert_answers(&txn, call.run_id, &self.answers, &call.created_by).await?;
        if !self.answers.is_empty() {
            test_answer_error::Entity::delete_many()
                .filter(test_answer_error::Column::RunId.eq(call.run_id))
                .filter(
                    test_answer_error::Column::QuestionId
                        .is_in(self.answers.iter().map(|a| a.question_id)),
                )
                .exec(&txn)
                .await?;
        }
        if !self.errors.is_empty() {
            test_answer_error::Entity::insert_many(self.errors.clone())
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
        if !self.judgments.is_empty() {
            model_judgment::Entity::insert_many(self.judgments.clone())
                .on_conflict(
                    OnConflict::columns([
                        model_judgment::Column::RunId,
                        model_judgment::Column::QuestionId,
                    ])
                    .update_columns([
                        model_judgment::Column::CallId,
                        model_judgment::Column::Model,
                        model_judgment::Column::Refused,
                        model_judgment::Column::Passed,
                        model_judgment::Column::Reason,
                        model_judgment::Column::Error,
                        model_judgment::Column::RecordedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        // A judge call's verdicts count as answered, its failures as failed.
        let judged = |ok: bool| {
            self.judgments
                .iter()
                .filter(|j| matches!(&j.error, Set(error) if error.is_none() == ok))
                .count()
        };
        let answered = usize::try_from(inserted).unwrap_or(usize::MAX) + judged(true);
        let refused = self.answers.iter().filter(|a| a.verdict.refused).count()
            + self
                .judgments
                .iter()
                .filter(|j| matches!(j.refused, Set(Some(true))))
                .count();
        let failed = self.errors.len() + judged(false);
        let done = summary.answered + summary.failed + answered + failed;
        // The task's progress, unless a lease sweep failed it: then the call is resumed
        // elsewhere, and these answers are kept for it.
        let progressing = task::Entity::update_many()
            .col_expr(task::Column::Status, "processing".into())
            .col_expr(task::Column::Stage, "calling".into())
            .col_expr(task::Column::Done, clamp(done).into())
            .col_expr(task::Column::UpdatedAt, Utc::now().into())
            .filter(task::Column::Id.eq(call.task_id))
            .filter(task::Column::Status.is_in(["enqueued", "processing"]))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok((progressing.rows_affected > 0).then_some((answered, refused, failed)))
    }
}

/// Marks `call` finished, or failed with `error`, if its task still holds it; says whether
/// it did.
async fn finish(
    db: &impl ConnectionTrait,
    call: &model_call::Model,
    outcome: Result<(), String>,
) -> Result<bool, DbErr> {
    let (status, error) = match outcome {
        Ok(()) => ("finished", None),
        Err(error) => ("failed", Some(error.replace('\0', ""))),
    };
    let finished = model_call::Entity::update_many()
        .col_expr(model_call::Column::Status, status.into())
        .col_expr(model_call::Column::Error, error.into())
        .col_expr(model_call::Column::FinishedAt, Utc::now().into())
        .filter(model_call::Column::Id.eq(call.id))
        .filter(model_call::Column::TaskId.eq(call.task_id))
        .filter(model_call::Column::Status.eq(CALLING))
        .exec(db)
        .await?;
    Ok(finished.rows_affected > 0)
}

/// Whether a call of run `run_id` is calling.
pub async fn calling(db: &DatabaseConnection, run_id: i64) -> Result<bool, ServiceError> {
    Ok(model_call::Entity::find()
        .filter(model_call::Column::RunId.eq(run_id))
        .filter(model_call::Column::Status.eq(CALLING))
        .one(db)
        .await?
        .is_some())
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
