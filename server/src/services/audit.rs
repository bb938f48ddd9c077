//! The audit log: appended after every authenticated write request (and by command-line
//! writes), read by admins; nothing updates or deletes it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, Set,
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
