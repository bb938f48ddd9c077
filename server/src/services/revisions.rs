//! The revision log: one row per change of an entry, never updated or deleted.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use super::audit::AuditStamp;
use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::text::{Actor, Reason};
use crate::store::entities::revision;

/// Who made a change and why; recorded with every revision.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub actor: Actor,
    pub reason: Option<Reason>,
    /// The audit row committed with the change (none for a change whose request was
    /// recorded when it started, such as an import task's write).
    pub audit: Option<AuditStamp>,
}

/// One change of one entry, about to be recorded.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub entry_kind: EntryKind,
    pub entry_id: i64,
    /// The entry's version after the change.
    pub number: i32,
    pub action: RevisionAction,
    pub at: DateTime<Utc>,
    pub context: &'a ChangeContext,
}

/// Records `change` with the entry's full state after it.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    change: Change<'_>,
    snapshot: &impl Serialize,
) -> Result<(), DbErr> {
    record_many(db, [(change, snapshot)]).await
}

/// Records each change with the entry's full state after it, in one multi-row insert
/// (`changes` must fit in one statement's parameters: a thousand rows).
pub async fn record_many<'a, C: ConnectionTrait, S: Serialize + 'a>(
    db: &C,
    changes: impl IntoIterator<Item = (Change<'a>, &'a S)>,
) -> Result<(), DbErr> {
    let rows = changes
        .into_iter()
        .map(|(change, snapshot)| row(change, snapshot))
        .collect::<Result<Vec<_>, _>>()?;
    revision::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The stored row of `change`.
fn row(change: Change<'_>, snapshot: &impl Serialize) -> Result<revision::ActiveModel, DbErr> {
    let Change {
        entry_kind,
        entry_id,
        number,
        action,
        at,
        context,
    } = change;
    let snapshot =
        serde_json::to_string(snapshot).map_err(|e| DbErr::Custom(format!("snapshot: {e}")))?;
    Ok(revision::ActiveModel {
        entry_kind: Set(entry_kind),
        entry_id: Set(entry_id),
        number: Set(number),
        action: Set(action),
        actor: Set(context.actor.as_str().to_owned()),
        reason: Set(context.reason.as_ref().map(|r| r.as_str().to_owned())),
        snapshot: Set(snapshot),
        created_at: Set(at),
        ..Default::default()
    })
}

/// All revisions of one entry, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    entry_kind: EntryKind,
    entry_id: i64,
) -> Result<Vec<revision::Model>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::EntryKind.eq(entry_kind))
        .filter(revision::Column::EntryId.eq(entry_id))
        .order_by_asc(revision::Column::Number)
        .all(db)
        .await
}
