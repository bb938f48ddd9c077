//! Evaluations as tasks: load the build's artefact, run `evaluation::evaluate` off the async
//! workers, store the report with the build.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::audit::AuditStamp;
use super::builds::{self, BuildEnvironment, BuildError, FilterCache};
use super::{AppState, ServiceError, blocking, tasks};
use crate::domain::status::EntryStatus;
use crate::evaluation::{EvaluationReport, QuestionInput, evaluate};
use crate::export;
use crate::store::entities::{evaluation, task};
use crate::telemetry;

/// What an evaluation reads: the questions with one of `statuses`, and perhaps a benign
/// corpus (one text a line).
pub struct EvaluationRequest {
    pub statuses: Vec<EntryStatus>,
    pub corpus: Option<Vec<String>>,
}

/// Records an evaluation of published build `number` and its task, and runs it in the
/// background ([`run`]).
pub async fn start(
    state: &AppState,
    number: i64,
    audit: &AuditStamp,
    request: EvaluationRequest,
) -> Result<(evaluation::Model, task::Model), BuildError> {
    let actor = audit.actor.as_str();
    let env = state.build_environment();
    let statuses = &request.statuses;
    builds::published(&env.reads, number).await?;
    let txn = env.db.begin().await?;
    let task = tasks::create(&txn, "evaluation", actor, 3, &env.replica).await?;
    let evaluation = evaluation::ActiveModel {
        build_number: Set(number),
        task_id: Set(task.id),
        status: Set("running".to_owned()),
        statuses: Set(statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        created_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        result: Set(None),
        error: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(task.id)).await?;
    crate::task_runtime::spawn(run(
        env,
        state.filters.clone(),
        (evaluation.id, task.id, number),
        request,
    ));
    Ok((evaluation, task))
}

/// The questions with one of `statuses`, as evaluation reads them.
pub async fn questions(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
) -> Result<Vec<QuestionInput>, DbErr> {
    Ok(
        super::questions::with_status(db, statuses, &Default::default())
            .await?
            .into_iter()
            .map(|q| QuestionInput {
                id: q.id,
                text: q.text,
                kind: q.kind,
                risk: q.risk,
                aspect: q.aspect,
            })
            .collect(),
    )
}

/// The report of published build `number` against `request`: the build loaded (through the
/// cache), the questions read, then `evaluating` is awaited and the matching runs off the
/// async workers. The evaluation task and `lexset evaluate` both call this.
pub async fn report<Evaluating: Future<Output = Result<(), DbErr>>>(
    env: &BuildEnvironment,
    cache: &FilterCache,
    number: i64,
    EvaluationRequest { statuses, corpus }: EvaluationRequest,
    evaluating: impl FnOnce() -> Evaluating,
) -> Result<EvaluationReport, BuildError> {
    let filter = builds::filter(env, cache, number).await?;
    let questions = questions(&env.reads, &statuses).await?;
    evaluating().await?;
    Ok(
        blocking::off_workers(move || evaluate(number, &filter, &questions, corpus.as_deref()))
            .await?,
    )
}

/// Runs evaluation `id` (task `task_id`) of build `number`; stores the report or the error.
async fn run(
    env: BuildEnvironment,
    cache: Arc<FilterCache>,
    (id, task_id, number): (i64, i64, i64),
    EvaluationRequest { statuses, corpus }: EvaluationRequest,
) {
    let started = std::time::Instant::now();
    let outcome = async {
        tasks::progress(&env.db, task_id, "load", 0).await?;
        let request = EvaluationRequest { statuses, corpus };
        let report = report(&env, &cache, number, request, || {
            tasks::progress(&env.db, task_id, "evaluate", 1)
        })
        .await?;
        tasks::progress(&env.db, task_id, "store", 2).await?;
        let json = serde_json::to_string(&report).map_err(|e| BuildError::Other(e.to_string()))?;
        let txn = env.db.begin().await?;
        evaluation::Entity::update_many()
            .col_expr(evaluation::Column::Status, "succeeded".into())
            .col_expr(evaluation::Column::FinishedAt, Utc::now().into())
            .col_expr(evaluation::Column::Result, json.into())
            .filter(evaluation::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        tasks::succeed(
            &txn,
            task_id,
            &serde_json::json!({ "build": number, "evaluation": id }),
        )
        .await?;
        txn.commit().await?;
        Ok::<(), BuildError>(())
    };
    let outcome = outcome.await;
    telemetry::task(
        "evaluation",
        tasks::outcome_name(&outcome),
        started.elapsed(),
    );
    if let Err(error) = outcome {
        tracing::error!(evaluation = id, %error, "evaluation failed");
        let message = error.to_string();
        let marked = async {
            evaluation::Entity::update_many()
                .col_expr(evaluation::Column::Status, "failed".into())
                .col_expr(evaluation::Column::Error, message.clone().into())
                .filter(evaluation::Column::Id.eq(id))
                .exec(&env.db)
                .await?;
            tasks::fail(&env.db, task_id, &message).await
        };
        if let Err(db_error) = marked.await {
            tracing::error!(evaluation = id, %db_error, "cannot record the failure");
        }
    }
}

/// Evaluations of build `number`, newest first.
pub async fn list(
    db: &DatabaseConnection,
    number: i64,
    limit: u64,
) -> Result<Vec<evaluation::Model>, DbErr> {
    evaluation::Entity::find()
        .filter(evaluation::Column::BuildNumber.eq(number))
        .order_by_desc(evaluation::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Evaluation `id` of build `number`.
pub async fn get(
    db: &DatabaseConnection,
    number: i64,
    id: i64,
) -> Result<evaluation::Model, ServiceError> {
    evaluation::Entity::find_by_id(id)
        .filter(evaluation::Column::BuildNumber.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::EvaluationNotFound { build: number, id })
}

/// The report of evaluation `id` of build `number` as a workbook (see `export`).
pub async fn workbook(
    db: &DatabaseConnection,
    number: i64,
    id: i64,
) -> Result<Vec<u8>, ServiceError> {
    let model = get(db, number, id).await?;
    let report: EvaluationReport = model
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .ok_or(ServiceError::EvaluationNotFinished {
            id,
            status: model.status,
        })?;
    blocking::off_workers(move || export::evaluation_xlsx(&report))
        .await?
        .map_err(|e| ServiceError::Render(format!("evaluation workbook: {e}")))
}
