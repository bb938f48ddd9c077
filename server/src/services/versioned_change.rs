//! The write path of versioned entries (keywords and questions): the steps every create, edit
//! and retire takes inside the caller's transaction, each writing its revision.
//!
//! Concurrency: [`begin_write`] opens the transaction by bumping the entry kind's row in
//! `write_locks`, so writers of one kind serialize (a row lock on PostgreSQL, the database
//! write lock on SQLite, taken before any read so SQLite never upgrades a read snapshot). Under
//! that lock the version check (`If-Match`) and the duplicate check cannot race: two annotators
//! editing the same version get one success and one `VersionMismatch`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Select, TransactionTrait,
};
use serde::Serialize;

use super::page::{PageRequest, keyset_page};
use super::revisions::{self, Change, ChangeContext};
use super::{ExistingEntry, ServiceError};
use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::status::EntryStatus;
use crate::store::entities::write_lock;

/// Which versions of an entry a change may apply to (from `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Whatever version is current.
    Any,
    /// One of these; an empty list matches nothing.
    OneOf(Vec<i32>),
}

impl ExpectedVersion {
    pub fn matches(&self, version: i32) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}

/// A stored entry with a version, a review status and a dedup key.
pub trait VersionedModel:
    Serialize + Clone + PartialEq + Send + Sync + Into<ExistingEntry>
{
    fn id(&self) -> i64;
    fn version(&self) -> i32;
    fn status(&self) -> EntryStatus;
    fn set_status(&mut self, status: EntryStatus);
    fn dedup_key(&self) -> Option<&str>;
    fn created_by(&self) -> &str;
    /// Marks the model as changed at `at`, now at `version`.
    fn stamp(&mut self, version: i32, at: DateTime<Utc>);
}

/// A table of versioned entries.
pub trait VersionedEntity:
    EntityTrait<
        Model: VersionedModel + IntoActiveModel<Self::ActiveModel>,
        ActiveModel: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send,
    >
{
    const KIND: EntryKind;
    fn id_column() -> Self::Column;
    fn status_column() -> Self::Column;
    fn dedup_key_column() -> Self::Column;
}

/// Implements [`VersionedModel`] and [`VersionedEntity`] for an entity module whose model has
/// `id`, `version`, `status`, `dedup_key` and `updated_at` columns.
macro_rules! versioned_entity {
    ($entity:path, $model:path, $column:path, $kind:expr) => {
        impl $crate::services::versioned_change::VersionedModel for $model {
            fn id(&self) -> i64 {
                self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn status(&self) -> $crate::domain::status::EntryStatus {
                self.status
            }
            fn set_status(&mut self, status: $crate::domain::status::EntryStatus) {
                self.status = status;
            }
            fn dedup_key(&self) -> Option<&str> {
                self.dedup_key.as_deref()
            }
            fn created_by(&self) -> &str {
                &self.created_by
            }
            fn stamp(&mut self, version: i32, at: chrono::DateTime<chrono::Utc>) {
                self.version = version;
                self.updated_at = at;
            }
        }

        impl $crate::services::versioned_change::VersionedEntity for $entity {
            const KIND: $crate::domain::revision::EntryKind = $kind;
            fn id_column() -> $column {
                <$column>::Id
            }
            fn status_column() -> $column {
                <$column>::Status
            }
            fn dedup_key_column() -> $column {
                <$column>::DedupKey
            }
        }
    };
}
pub(crate) use versioned_entity;

/// An entry kind whose content can be edited: the one `update` of its service, so callers
/// edit either kind through one generic path.
pub trait Editable: VersionedEntity {
    /// The fields an edit may change (parsed domain values).
    type Changes;

    fn update_entry(
        db: &DatabaseConnection,
        checks: super::Checks<'_>,
        id: i64,
        expected_version: &ExpectedVersion,
        context: &ChangeContext,
        changes: Self::Changes,
    ) -> impl Future<Output = Result<Self::Model, ServiceError>>;
}

/// Opens a transaction holding the write lock of entry kind `kind`.
pub async fn begin_write(
    db: &DatabaseConnection,
    kind: EntryKind,
) -> Result<DatabaseTransaction, DbErr> {
    let started = std::time::Instant::now();
    let txn = db.begin().await?;
    lock(&txn, kind).await?;
    crate::telemetry::write_wait(kind.as_str(), started.elapsed());
    Ok(txn)
}

/// Takes the write lock of `kind` inside `txn`.
pub async fn lock(txn: &DatabaseTransaction, kind: EntryKind) -> Result<(), DbErr> {
    let locked = write_lock::Entity::update_many()
        .col_expr(
            write_lock::Column::Generation,
            Expr::col(write_lock::Column::Generation).add(1),
        )
        .filter(write_lock::Column::EntryKind.eq(kind))
        .exec(txn)
        .await?;
    if locked.rows_affected == 1 {
        Ok(())
    } else {
        Err(DbErr::Custom(format!(
            "the write lock of {kind:?} is missing"
        )))
    }
}

/// Refuses `key` when a live (not retired) entry other than `except` already has it.
async fn ensure_unique<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    key: &str,
    except: Option<i64>,
) -> Result<(), ServiceError> {
    let mut query = E::find()
        .filter(E::dedup_key_column().eq(key))
        .filter(E::status_column().ne(EntryStatus::Retired));
    if let Some(id) = except {
        query = query.filter(E::id_column().ne(id));
    }
    match query.one(txn).await? {
        None => Ok(()),
        Some(existing) => Err(ServiceError::Duplicate {
            kind: E::KIND,
            existing: existing.into(),
        }),
    }
}

/// Stores a new entry with dedup key `dedup_key` at version 1 and records revision 1.
/// `txn` must come from [`begin_write`] for `E::KIND`.
pub async fn create<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    context: &ChangeContext,
    dedup_key: &str,
    new: impl FnOnce(DateTime<Utc>) -> E::ActiveModel,
) -> Result<E::Model, ServiceError> {
    ensure_unique::<E>(txn, dedup_key, None).await?;
    let at = Utc::now();
    let saved = create_many::<E>(txn, context, at, vec![new(at)]).await?;
    saved
        .into_iter()
        .next()
        .ok_or(ServiceError::Database(DbErr::RecordNotInserted))
}

/// The ids of the live entries whose dedup key is one of `keys`: the duplicate check of
/// [`create`] for many keys in one query (`keys` must fit in one statement's parameters).
pub async fn live_with_keys<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    keys: &[&str],
) -> Result<HashMap<String, i64>, DbErr> {
    let rows: Vec<(i64, Option<String>)> = E::find()
        .select_only()
        .columns([E::id_column(), E::dedup_key_column()])
        .filter(E::dedup_key_column().is_in(keys.iter().copied()))
        .filter(E::status_column().ne(EntryStatus::Retired))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, key)| key.map(|key| (key, id)))
        .collect())
}

/// Stores new entries (at version 1, created at `at`) with one multi-row insert and records
/// their first revisions with another; returns them as stored, in no promised order. The
/// caller has checked their dedup keys (see [`live_with_keys`]), and `new` must fit in one
/// statement's parameters (a thousand rows of up to 16 columns). `txn` must come from [`begin_write`].
pub async fn create_many<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    context: &ChangeContext,
    at: DateTime<Utc>,
    new: Vec<E::ActiveModel>,
) -> Result<Vec<E::Model>, ServiceError> {
    let saved = E::insert_many(new).exec_with_returning(txn).await?;
    let changes = saved.iter().map(|entry| {
        let change = Change {
            entry_kind: E::KIND,
            entry_id: entry.id(),
            number: entry.version(),
            action: RevisionAction::Created,
            at,
            context,
        };
        (change, entry)
    });
    revisions::record_many(txn, changes).await?;
    Ok(saved)
}

/// Reads one entry.
pub async fn get<E: VersionedEntity>(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
) -> Result<E::Model, ServiceError> {
    E::find()
        .filter(E::id_column().eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound { kind: E::KIND, id })
}

/// Reads one page of `select` in id order; returns the entries and the cursor of the next
/// page, if there is one.
pub async fn list_page<E: VersionedEntity>(
    db: &DatabaseConnection,
    select: Select<E>,
    page: PageRequest,
) -> Result<(Vec<E::Model>, Option<String>), ServiceError> {
    Ok(keyset_page(db, select, E::id_column(), VersionedModel::id, page).await?)
}

/// Applies `edit` to entry `id` if its current version matches `expected_version`, checks the
/// edited entry's dedup key when it changed, and records the revision. `edit` returns the
/// entry as it should become; when that equals the current entry nothing is written and the
/// current entry is returned. `txn` must come from [`begin_write`] for `E::KIND`.
pub async fn edit<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    edit: impl FnOnce(&E::Model) -> Result<E::Model, ServiceError>,
) -> Result<E::Model, ServiceError> {
    apply::<E>(txn, id, expected_version, context, false, edit).await
}

/// Like [`edit`], for review decisions: `decide` may also bring a retired entry back, whose
/// dedup key must then be unique among live entries again.
pub async fn transition<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    decide: impl FnOnce(&E::Model) -> Result<E::Model, ServiceError>,
) -> Result<E::Model, ServiceError> {
    apply::<E>(txn, id, expected_version, context, true, decide).await
}

async fn apply<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    may_revive: bool,
    change: impl FnOnce(&E::Model) -> Result<E::Model, ServiceError>,
) -> Result<E::Model, ServiceError> {
    let current = get::<E>(txn, id).await?;
    if !expected_version.matches(current.version()) {
        return Err(ServiceError::VersionMismatch {
            current: current.version(),
        });
    }
    let retired = current.status() == EntryStatus::Retired;
    if retired && !may_revive {
        return Err(ServiceError::Retired { kind: E::KIND, id });
    }
    let mut next = change(&current)?;
    if next == current {
        return Ok(current);
    }
    let revived = retired && next.status() != EntryStatus::Retired;
    if let Some(key) = next
        .dedup_key()
        .filter(|key| revived || Some(*key) != current.dedup_key())
    {
        ensure_unique::<E>(txn, key, Some(id)).await?;
    }
    let action = classify(&current, &next);
    let at = Utc::now();
    next.stamp(current.version() + 1, at);
    let saved = next.into_active_model().reset_all().update(txn).await?;
    let change = Change {
        entry_kind: E::KIND,
        entry_id: id,
        number: saved.version(),
        action,
        at,
        context,
    };
    revisions::record(txn, change, &saved).await?;
    Ok(saved)
}

/// An edit of a reviewed (approved or rejected) entry sends it back to review: `next`, the
/// edited `current`, becomes a draft when its content differs.
pub fn back_to_review<M: VersionedModel>(current: &M, next: &mut M) {
    let reviewed = matches!(
        current.status(),
        EntryStatus::Approved | EntryStatus::Rejected
    );
    if reviewed && next != current {
        next.set_status(EntryStatus::Draft);
    }
}

/// Retires entry `id` (kept with its history, frozen from then on) in its own transaction.
pub async fn retire<E: VersionedEntity>(
    db: &DatabaseConnection,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
) -> Result<E::Model, ServiceError> {
    let txn = begin_write(db, E::KIND).await?;
    let retired = edit::<E>(&txn, id, expected_version, context, |current| {
        let mut next = current.clone();
        next.set_status(EntryStatus::Retired);
        Ok(next)
    })
    .await?;
    super::audit::commit(txn, context.audit.as_ref(), None).await?;
    Ok(retired)
}

/// Names what changed between two different states of an entry.
fn classify<M: VersionedModel>(current: &M, next: &M) -> RevisionAction {
    if next.status() == EntryStatus::Retired {
        return RevisionAction::Retired;
    }
    let mut content_only = next.clone();
    content_only.set_status(current.status());
    if content_only == *current {
        RevisionAction::StatusChanged
    } else {
        RevisionAction::Updated
    }
}
