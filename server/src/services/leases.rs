//! Task leases: each task names the replica running it, which renews the lease with a
//! heartbeat; the tasks of a replica that stopped are marked failed, with their builds and
//! evaluations, so a client polling one never waits forever.
//!
//! A replica's id is stable across its restarts (`LEXSET_REPLICA_ID`, by default host name and
//! data directory), so at start it fails its own unfinished tasks at once: they died with its
//! previous process. Other replicas' tasks are failed once their heartbeat is older than
//! [`LEASE`]; until then a task of a busy replica is left alone.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::periodic::{self, Periodic};
use crate::store::entities::{build, evaluation, task};

/// How often a replica renews the leases of its running tasks and looks for abandoned ones.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);
/// A task whose heartbeat is older than this belongs to a replica that stopped.
pub const LEASE: Duration = Duration::from_secs(120);

const UNFINISHED: [&str; 2] = ["enqueued", "processing"];

/// The name this process runs tasks under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica(String);

impl Replica {
    /// The longest id the `tasks.owner` column holds.
    pub const MAX_CHARS: usize = 128;

    /// `configured`, or `<host name>:<data directory>`: stable across restarts, distinct for
    /// two replicas on one host (they cannot share a data directory). Too long a default is
    /// shortened to the host name and a hash of the directory.
    pub fn new(configured: Option<&str>, data_dir: &std::path::Path) -> Result<Self, String> {
        if let Some(id) = configured {
            let id = id.trim();
            if id.is_empty() || id.chars().count() > Self::MAX_CHARS {
                return Err(format!(
                    "the replica id must have 1 to {} characters",
                    Self::MAX_CHARS
                ));
            }
            return Ok(Self(id.to_owned()));
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_owned())
            .ok()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "lexset".to_owned());
        let directory = std::fs::canonicalize(data_dir)
            .unwrap_or_else(|_| data_dir.to_path_buf())
            .display()
            .to_string();
        let id = format!("{host}:{directory}");
        if id.chars().count() <= Self::MAX_CHARS {
            return Ok(Self(id));
        }
        let digest = lexset_filter::checksum::sha256_hex(directory.as_bytes());
        let host: String = host.chars().take(Self::MAX_CHARS - 17).collect();
        Ok(Self(format!("{host}:{}", &digest[..16])))
    }

    pub fn id(&self) -> &str {
        &self.0
    }
}

/// Renews the leases of `replica`'s unfinished tasks.
pub async fn heartbeat<C: ConnectionTrait>(db: &C, replica: &Replica) -> Result<(), DbErr> {
    task::Entity::update_many()
        .col_expr(task::Column::HeartbeatAt, Utc::now().into())
        .filter(task::Column::Owner.eq(replica.id()))
        .filter(task::Column::Status.is_in(UNFINISHED))
        .exec(db)
        .await?;
    Ok(())
}

/// At start: fails `replica`'s own unfinished tasks (its previous process ran them) and every
/// task whose lease expired. Returns how many tasks were failed.
pub async fn recover_at_start<C: ConnectionTrait>(
    db: &C,
    replica: &Replica,
) -> Result<usize, DbErr> {
    let own = task::Column::Owner.eq(replica.id());
    fail_abandoned(db, Condition::any().add(own).add(expired())).await
}

/// Fails the tasks of other replicas whose lease expired. Returns how many.
pub async fn fail_expired<C: ConnectionTrait>(db: &C, replica: &Replica) -> Result<usize, DbErr> {
    let others = task::Column::Owner.ne(replica.id());
    fail_abandoned(db, Condition::all().add(others).add(expired())).await
}

/// Tasks without a heartbeat since [`LEASE`] (or none at all: written before leases existed).
fn expired() -> Condition {
    let deadline = Utc::now() - chrono::Duration::from_std(LEASE).unwrap_or_default();
    Condition::any()
        .add(task::Column::HeartbeatAt.lt(deadline))
        .add(task::Column::HeartbeatAt.is_null())
}

async fn fail_abandoned<C: ConnectionTrait>(db: &C, which: Condition) -> Result<usize, DbErr> {
    let abandoned: Vec<i64> = task::Entity::find()
        .filter(task::Column::Status.is_in(UNFINISHED))
        .filter(which)
        .all(db)
        .await?
        .into_iter()
        .map(|task| task.id)
        .collect();
    if abandoned.is_empty() {
        return Ok(0);
    }
    let reason = "abandoned: the replica running it stopped before it finished; start it again";
    task::Entity::update_many()
        .col_expr(task::Column::Status, "failed".into())
        .col_expr(task::Column::Error, reason.into())
        .col_expr(task::Column::UpdatedAt, Utc::now().into())
        .filter(task::Column::Id.is_in(abandoned.iter().copied()))
        .filter(task::Column::Status.is_in(UNFINISHED))
        .exec(db)
        .await?;
    build::Entity::update_many()
        .col_expr(build::Column::Status, "failed".into())
        .col_expr(build::Column::Error, reason.into())
        .filter(build::Column::TaskId.is_in(abandoned.iter().copied()))
        .filter(build::Column::Status.eq("compiling"))
        .exec(db)
        .await?;
    evaluation::Entity::update_many()
        .col_expr(evaluation::Column::Status, "failed".into())
        .col_expr(evaluation::Column::Error, reason.into())
        .filter(evaluation::Column::TaskId.is_in(abandoned.iter().copied()))
        .filter(evaluation::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(abandoned.len())
}

/// Renews this replica's leases and fails other replicas' abandoned tasks every
/// [`HEARTBEAT_INTERVAL`] until stopped. Errors are logged and retried next round.
pub fn keep_leases(db: DatabaseConnection, replica: Replica) -> Periodic {
    periodic::every("task leases", HEARTBEAT_INTERVAL, (), move |()| {
        let (db, replica) = (db.clone(), replica.clone());
        async move {
            let renewed = heartbeat(&db, &replica).await;
            let swept = fail_expired(&db, &replica).await;
            match (renewed, swept) {
                (Ok(()), Ok(0)) => {}
                (Ok(()), Ok(failed)) => {
                    tracing::warn!(failed, "failed tasks of replicas that stopped");
                }
                (Err(error), _) | (_, Err(error)) => {
                    tracing::warn!(%error, "cannot renew task leases; retrying");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use sea_orm::{ActiveModelTrait, Set};

    use super::*;
    use crate::services::tasks;
    use crate::store::connect_and_migrate;

    fn replica(id: &str) -> Replica {
        Replica::new(Some(id), Path::new(".")).unwrap()
    }

    async fn compiling_build(db: &DatabaseConnection, owner: &Replica) -> (i64, i64) {
        let task = tasks::create(db, "build", "tester", 3, owner)
            .await
            .unwrap();
        tasks::progress(db, task.id, "compile", 1).await.unwrap();
        let build = build::ActiveModel {
            status: Set("compiling".to_owned()),
            task_id: Set(task.id),
            created_by: Set("tester".to_owned()),
            created_at: Set(Utc::now()),
            fold_profile_id: Set("p".to_owned()),
            fold_profile_hash: Set("h".to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        (task.id, build.number)
    }

    async fn status(db: &DatabaseConnection, task_id: i64) -> String {
        tasks::get(db, task_id).await.unwrap().unwrap().status
    }

    async fn age(db: &DatabaseConnection, task_id: i64, by: Duration) {
        let past = Utc::now() - chrono::Duration::from_std(by).unwrap();
        task::Entity::update_many()
            .col_expr(task::Column::HeartbeatAt, past.into())
            .filter(task::Column::Id.eq(task_id))
            .exec(db)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_restarted_replica_fails_its_own_tasks_and_expired_ones_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
        let db = connect_and_migrate(&url).await.unwrap();
        let (me, busy, dead) = (replica("me"), replica("busy"), replica("dead"));
        let (mine, my_build) = compiling_build(&db, &me).await;
        let (busy_task, _) = compiling_build(&db, &busy).await;
        let (dead_task, dead_build) = compiling_build(&db, &dead).await;
        age(&db, dead_task, LEASE + Duration::from_secs(1)).await;

        assert_eq!(recover_at_start(&db, &me).await.unwrap(), 2);
        assert_eq!(status(&db, mine).await, "failed");
        assert_eq!(status(&db, dead_task).await, "failed");
        assert_eq!(status(&db, busy_task).await, "processing");
        for number in [my_build, dead_build] {
            let build = build::Entity::find_by_id(number)
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(build.status, "failed");
            assert!(build.error.unwrap().contains("replica"));
        }
    }

    #[tokio::test]
    async fn heartbeats_keep_a_lease_and_the_sweep_spares_its_own_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
        let db = connect_and_migrate(&url).await.unwrap();
        let (me, other) = (replica("me"), replica("other"));
        let (mine, _) = compiling_build(&db, &me).await;
        let (theirs, _) = compiling_build(&db, &other).await;
        age(&db, mine, LEASE * 2).await;
        age(&db, theirs, LEASE * 2).await;
        heartbeat(&db, &other).await.unwrap();

        assert_eq!(fail_expired(&db, &me).await.unwrap(), 0);
        assert_eq!(status(&db, theirs).await, "processing");
        assert_eq!(status(&db, mine).await, "processing", "own tasks are alive");
        assert_eq!(fail_expired(&db, &other).await.unwrap(), 1);
        assert_eq!(status(&db, mine).await, "failed");
    }

    #[test]
    fn replica_ids_are_checked_and_defaults_fit_the_column() {
        assert!(Replica::new(Some(" "), Path::new(".")).is_err());
        assert!(Replica::new(Some(&"r".repeat(129)), Path::new(".")).is_err());
        let long = Path::new("/tmp").join("d".repeat(200));
        let id = Replica::new(None, &long).unwrap();
        assert!(id.id().chars().count() <= Replica::MAX_CHARS, "{id:?}");
        assert_ne!(
            Replica::new(None, Path::new("/a")).unwrap(),
            Replica::new(None, Path::new("/b")).unwrap()
        );
    }
}
