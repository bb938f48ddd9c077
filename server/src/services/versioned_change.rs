//! The one write path of versioned entries (keywords and questions): create, edit and retire,
//! each in a single transaction that also writes the revision.
//!
//! Optimistic concurrency: every edit names the version it was based on (`If-Match`). The
//! transaction first takes the row's write lock with a no-op `UPDATE` (portable: a row lock on
//! PostgreSQL, the database write lock on SQLite, taken before any read so SQLite never has to
//! upgrade a read snapshot), then reads the row and compares versions. Two annotators editing
//! the same version therefore serialize, and the second gets `VersionMismatch`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Select, TransactionTrait,
};
use serde::Serialize;

use super::ServiceError;
use super::page::{PageRequest, cursor_after};
use super::revisions::{self, Change, ChangeContext};
use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::status::EntryStatus;

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

/// A stored entry with a version and a review status.
pub trait VersionedModel: Serialize + Clone + PartialEq + Send + Sync {
    fn id(&self) -> i64;
    fn version(&self) -> i32;
    fn status(&self) -> EntryStatus;
    fn set_status(&mut self, status: EntryStatus);
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
    fn version_column() -> Self::Column;
}

/// Implements [`VersionedModel`] and [`VersionedEntity`] for an entity module whose model has
/// `id`, `version`, `status` and `updated_at` columns.
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
            fn version_column() -> $column {
                <$column>::Version
            }
        }
    };
}
pub(crate) use versioned_entity;

/// Stores a new entry at version 1 and records revision 1.
pub async fn create<E: VersionedEntity>(
    db: &DatabaseConnection,
    context: &ChangeContext,
    new: impl FnOnce(DateTime<Utc>) -> E::ActiveModel,
) -> Result<E::Model, ServiceError> {
    let at = Utc::now();
    let txn = db.begin().await?;
    let saved = new(at).insert(&txn).await?;
    let change = Change {
        entry_kind: E::KIND,
        entry_id: saved.id(),
        number: saved.version(),
        action: RevisionAction::Created,
        at,
        context,
    };
    revisions::record(&txn, change, &saved).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Reads one entry.
pub async fn get<E: VersionedEntity>(
    db: &DatabaseConnection,
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
    let mut items = select
        .filter(E::id_column().gt(page.after))
        .order_by_asc(E::id_column())
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let next_cursor = if items.len() as u64 > page.limit {
        items.truncate(page.limit as usize);
        items.last().map(|last| cursor_after(last.id()))
    } else {
        None
    };
    Ok((items, next_cursor))
}

/// Applies `edit` to entry `id` if its current version matches `expected_version`, and records the
/// revision. `edit` returns the entry as it should become; when that equals the current entry
/// nothing is written and the current entry is returned.
pub async fn edit<E: VersionedEntity>(
    db: &DatabaseConnection,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    edit: impl FnOnce(&E::Model) -> Result<E::Model, ServiceError>,
) -> Result<E::Model, ServiceError> {
    let txn = db.begin().await?;
    let locked = E::update_many()
        .col_expr(E::version_column(), Expr::col(E::version_column()))
        .filter(E::id_column().eq(id))
        .exec(&txn)
        .await?;
    let not_found = ServiceError::NotFound { kind: E::KIND, id };
    if locked.rows_affected == 0 {
        return Err(not_found);
    }
    let current = E::find()
        .filter(E::id_column().eq(id))
        .one(&txn)
        .await?
        .ok_or(not_found)?;
    if !expected_version.matches(current.version()) {
        return Err(ServiceError::VersionMismatch {
            current: current.version(),
        });
    }
    if current.status() == EntryStatus::Retired {
        return Err(ServiceError::Retired { kind: E::KIND, id });
    }
    let mut next = edit(&current)?;
    if next == current {
        txn.commit().await?;
        return Ok(current);
    }
    let action = classify(&current, &next);
    let at = Utc::now();
    next.stamp(current.version() + 1, at);
    let saved = next.into_active_model().reset_all().update(&txn).await?;
    let change = Change {
        entry_kind: E::KIND,
        entry_id: id,
        number: saved.version(),
        action,
        at,
        context,
    };
    revisions::record(&txn, change, &saved).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Retires entry `id` (kept with its history, frozen from then on).
pub async fn retire<E: VersionedEntity>(
    db: &DatabaseConnection,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
) -> Result<E::Model, ServiceError> {
    edit::<E>(db, id, expected_version, context, |current| {
        let mut next = current.clone();
        next.set_status(EntryStatus::Retired);
        Ok(next)
    })
    .await
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
