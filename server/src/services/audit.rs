//! The audit log: one row per authenticated write request and command-line write, read by
//! admins; nothing updates or deletes it.
//!
//! A change and its row are stored together: the service making the change commits its
//! transaction through [`commit`], which writes the row of the change's [`AuditStamp`] inside
//! it, so a crash cannot leave a change without its row or a row without its change. Attempts
//! that do not succeed (refused, failed) are recorded after the fact by the HTTP layer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
};

use super::ServiceError;
use super::page::{PageRequest, keyset_page};
use crate::domain::role::Role;
use crate::store::entities::audit_entry::{self, Column, Entity, Model};

/// One write to record.
#[derive(Debug, Clone, Copy)]
pub struct AuditRecord<'a> {
    pub request_id: Option<&'a str>,
    pub actor: &'a str,
    pub role: Option<Role>,
    pub action: &'a str,
    pub target: &'a str,
    pub status: u16,
}

/// The first `max` characters of `text`: the columns are bounded, paths are not.
fn bounded(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Who asks for a change, through which request, for what, and what the request answers when
/// the change commits: the audit row a service writes in the change's transaction.
#[derive(Debug, Clone)]
pub struct AuditStamp {
    pub request_id: Option<String>,
    pub actor: String,
    pub role: Option<Role>,
    /// `POST /v1/keywords/{id}/approve`, `lexset token create`, …
    pub action: String,
    /// The path written; for a create, where new resources go, followed by the new id.
    pub target: String,
    /// Whether the target names a collection the created resource's id is appended to.
    pub creates: bool,
    /// The HTTP status answered on success (0 for the command line).
    pub status: u16,
    /// Set once the row is committed with its change.
    recorded: Arc<AtomicBool>,
}

impl AuditStamp {
    pub fn new(actor: &str, role: Option<Role>, action: &str, target: &str) -> Self {
        Self {
            request_id: None,
            actor: actor.to_owned(),
            role,
            action: action.to_owned(),
            target: target.to_owned(),
            creates: false,
            status: 0,
            recorded: Arc::default(),
        }
    }

    /// The stamp of a change that creates a resource under `collection` (its new id is
    /// appended to the target).
    pub fn creating(mut self, collection: &str) -> Self {
        collection.clone_into(&mut self.target);
        self.creates = true;
        self
    }

    /// Records this stamp's row on `target` through `db`: inside a change's transaction for a
    /// second resource the same request created (a token's new user), or on its own for an
    /// attempt that stored nothing.
    pub async fn record_on<C: ConnectionTrait>(&self, db: &C, target: &str) -> Result<(), DbErr> {
        record(db, self.row(target)).await
    }

    /// The row of this stamp on `target`.
    fn row<'a>(&'a self, target: &'a str) -> AuditRecord<'a> {
        AuditRecord {
            request_id: self.request_id.as_deref(),
            actor: &self.actor,
            role: self.role,
            action: &self.action,
            target,
            status: self.status,
        }
    }

    /// Whether the row was committed with its change.
    pub fn recorded(&self) -> bool {
        self.recorded.load(Ordering::Acquire)
    }

    /// The target recorded for a change that created resource `created` (if any).
    fn target(&self, created: Option<i64>) -> String {
        match created {
            Some(id) if self.creates => format!("{}/{id}", self.target.trim_end_matches('/')),
            _ => self.target.clone(),
        }
    }
}

/// Writes the audit row of `stamp` (if any) inside `txn`, then commits `txn`: the change and
/// its row are stored together or not at all. `created` is the id of the resource the change
/// created, for stamps whose target is a collection.
pub async fn commit(
    txn: DatabaseTransaction,
    stamp: Option<&AuditStamp>,
    created: Option<i64>,
) -> Result<(), DbErr> {
    if let Some(stamp) = stamp {
        let target = stamp.target(created);
        record(&txn, stamp.row(&target)).await?;
    }
    txn.commit().await?;
    if let Some(stamp) = stamp {
        stamp.recorded.store(true, Ordering::Release);
    }
    Ok(())
}

pub async fn record<C: ConnectionTrait>(db: &C, record: AuditRecord<'_>) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        at: Set(Utc::now()),
        request_id: Set(record.request_id.map(|id| bounded(id, 64))),
        actor: Set(bounded(record.actor, 64)),
        role: Set(record.role.map(|role| role.as_str().to_owned())),
        action: Set(bounded(record.action, 128)),
        target: Set(bounded(record.target, 512)),
        status: Set(i32::from(record.status)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries a read returns.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Entries whose action starts with this (`POST /v1/keywords` also matches its
    /// sub-routes).
    pub action: Option<String>,
    /// Entries on this target or below it (`/v1/keywords/12` and `/v1/keywords/12/approve`,
    /// not `/v1/keywords/123`).
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One page of the log in id (= time) order.
pub async fn list(
    db: &DatabaseConnection,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<(Vec<Model>, Option<String>), ServiceError> {
    let mut select = Entity::find();
    if let Some(actor) = filter.actor {
        select = select.filter(Column::Actor.eq(actor));
    }
    if let Some(action) = filter.action {
        select = select.filter(super::keywords::starts_with(Column::Action, action));
    }
    if let Some(target) = filter.target {
        let below = format!("{}/", target.trim_end_matches('/'));
        select = select.filter(
            Condition::any()
                .add(Column::Target.eq(target))
                .add(super::keywords::starts_with(Column::Target, below)),
        );
    }
    if let Some(since) = filter.since {
        select = select.filter(Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(Column::At.lt(until));
    }
    Ok(keyset_page(db, select, Column::Id, |entry| entry.id, page).await?)
}
