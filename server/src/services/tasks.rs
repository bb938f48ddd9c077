//! Long work as polled tasks: a row per task with its stage and progress.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::leases::Replica;
use super::{AppState, ServiceError};
use crate::store::entities::task;

/// Records a new task of `kind` with `total` steps, run (and leased) by `owner`.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    created_by: &str,
    total: i32,
    owner: &Replica,
) -> Result<task::Model, DbErr> {
    let now = Utc::now();
    task::ActiveModel {
        kind: Set(kind.to_owned()),
        status: Set("enqueued".to_owned()),
        stage: Set("enqueued".to_owned()),
        done: Set(0),
        total: Set(total),
        result: Set(None),
        error: Set(None),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        owner: Set(Some(owner.id().to_owned())),
        heartbeat_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Moves task `id` to `stage`, with `done` steps finished.
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    id: i64,
    stage: &str,
    done: i32,
) -> Result<(), DbErr> {
    update(db, id, |task| {
        task.status = Set("processing".to_owned());
        task.stage = Set(stage.to_owned());
        task.done = Set(done);
    })
    .await
}

/// Sets how many steps task `id` has (when only the work itself tells).
pub async fn set_total<C: ConnectionTrait>(db: &C, id: i64, total: i32) -> Result<(), DbErr> {
    update(db, id, |task| task.total = Set(total)).await
}

/// Marks task `id` succeeded with `result`.
pub async fn succeed<C: ConnectionTrait>(
    db: &C,
    id: i64,
    result: &serde_json::Value,
) -> Result<(), DbErr> {
    let result = result.to_string();
    update(db, id, move |task| {
        task.status = Set("succeeded".to_owned());
        task.stage = Set("done".to_owned());
        task.result = Set(Some(result));
    })
    .await
}

/// Marks task `id` failed with `error`.
pub async fn fail<C: ConnectionTrait>(db: &C, id: i64, error: &str) -> Result<(), DbErr> {
    // Error text may quote client input; PostgreSQL text refuses NUL.
    let error = error.replace('\0', "");
    update(db, id, move |task| {
        task.status = Set("failed".to_owned());
        task.error = Set(Some(error));
    })
    .await
}

async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    change: impl FnOnce(&mut task::ActiveModel),
) -> Result<(), DbErr> {
    let Some(current) = task::Entity::find_by_id(id).one(db).await? else {
        return Err(DbErr::RecordNotFound(format!("task {id}")));
    };
    let total = current.total;
    let mut active = <task::ActiveModel as Default>::default();
    change(&mut active);
    if matches!(&active.status, sea_orm::ActiveValue::Set(status) if status == "succeeded") {
        active.done = Set(total);
    }
    active.updated_at = Set(Utc::now());
    // A finished task is final, checked in the same statement: one failed by a lease sweep
    // while its replica stalled must not come back to life (and, e.g., publish a build the
    // client has already started again).
    let updated = task::Entity::update_many()
        .set(active)
        .filter(task::Column::Id.eq(id))
        .filter(task::Column::Status.is_in(["enqueued", "processing"]))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(DbErr::Custom(format!(
            "task {id} has already {}",
            current.status
        )));
    }
    Ok(())
}

/// Progress of tasks running in this process, readable while their transaction holds the
/// embedded store's only connection: (stage, done, total) by task id.
#[derive(Debug, Default)]
pub struct LiveProgress(std::sync::Mutex<std::collections::HashMap<i64, (&'static str, i32, i32)>>);

impl LiveProgress {
    pub fn set(&self, id: i64, stage: &'static str, done: usize, total: usize) {
        if let Ok(mut live) = self.0.lock() {
            let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
            live.insert(id, (stage, clamp(done), clamp(total)));
        }
    }

    pub fn get(&self, id: i64) -> Option<(&'static str, i32, i32)> {
        self.0.lock().ok().and_then(|live| live.get(&id).copied())
    }

    pub fn finish(&self, id: i64) {
        if let Ok(mut live) = self.0.lock() {
            live.remove(&id);
        }
    }
}

/// Reads one task.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<task::Model>, DbErr> {
    task::Entity::find_by_id(id).one(db).await
}

/// Task `id` as a poll sees it: its row, with the progress this process holds in memory for a
/// task it is running (whose own transaction may not have committed any progress yet).
pub async fn poll(state: &AppState, id: i64) -> Result<task::Model, ServiceError> {
    let mut task = get(&state.reads, id)
        .await?
        .ok_or(ServiceError::TaskNotFound(id))?;
    if let Some((stage, done, total)) = state.live_progress.get(id) {
        task.status = "processing".to_owned();
        task.stage = stage.to_owned();
        task.done = done;
        task.total = total;
    }
    Ok(task)
}

/// How a task ended, as metrics name it.
pub fn outcome_name<T, E>(outcome: &Result<T, E>) -> &'static str {
    if outcome.is_ok() {
        "succeeded"
    } else {
        "failed"
    }
}
