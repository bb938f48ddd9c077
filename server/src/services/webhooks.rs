//! Webhooks: receivers admins register, to which every published build is POSTed (the same
//! metadata as the build event stream, signed with the hook's secret; see
//! [`crate::webhook_client`]).
//!
//! A build's deliveries are written in the transaction that publishes it, one per registered
//! hook, so none is lost to a crash. Every replica delivers: each round it claims due
//! deliveries (a conditional update: one replica wins each), POSTs them, and records the
//! attempt. A failed attempt is retried after [`FIRST_BACKOFF`], doubling each time up to
//! [`MAX_BACKOFF`], until [`MAX_ATTEMPTS`]; then the delivery is `failed`. Every attempt is
//! kept: the delivery log.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::ServiceError;
use super::audit::AuditStamp;
use super::build_events::{EVENT, PublishedBuild};
use super::periodic::{self, Periodic};
use crate::domain::webhook::WebhookUrl;
use crate::store::entities::{build, webhook, webhook_attempt, webhook_delivery};
use crate::webhook_client::{Attempt, WebhookClient};

/// How often each replica looks for deliveries that are due.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The wait after a delivery's first failed attempt; it doubles after each further one.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Attempts before a delivery is given up: waits of 1, 2, 4 … 256 s between them, about
/// 8.5 minutes of trying.
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a replica holds a delivery it is attempting (the receiver's timeout is 10 s).
/// Replicas' clocks must agree within it (NTP), or one may take over a claim still held.
const CLAIM: Duration = Duration::from_secs(60);
/// Deliveries attempted at once per round and replica.
const BATCH: u64 = 16;

/// A registered webhook with its secret (what its creator is shown, once).
pub async fn register(
    db: &DatabaseConnection,
    url: WebhookUrl,
    audit: &AuditStamp,
) -> Result<webhook::Model, ServiceError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| DbErr::Custom(format!("no randomness: {e}")))?;
    let txn = db.begin().await?;
    let created = webhook::ActiveModel {
        url: Set(url.as_str().to_owned()),
        secret: Set(secret.iter().map(|byte| format!("{byte:02x}")).collect()),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        removed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(created.id)).await?;
    Ok(created)
}

/// Every webhook, removed ones too, newest first.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .order_by_desc(webhook::Column::Id)
        .all(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<webhook::Model, ServiceError> {
    webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::WebhookNotFound(id))
}

/// Removes webhook `id`: no new deliveries, and those pending are not attempted again; its
/// log stays. Removing a removed hook changes nothing.
pub async fn remove(
    db: &DatabaseConnection,
    id: i64,
    audit: &AuditStamp,
) -> Result<webhook::Model, ServiceError> {
    let txn = db.begin().await?;
    let hook = get(&txn, id).await?;
    let hook = if hook.removed_at.is_some() {
        hook
    } else {
        let mut active: webhook::ActiveModel = hook.into();
        active.removed_at = Set(Some(Utc::now()));
        active.update(&txn).await?
    };
    super::audit::commit(txn, Some(audit), None).await?;
    Ok(hook)
}

/// A delivery with its attempts, oldest first.
pub struct DeliveryLog {
    pub delivery: webhook_delivery::Model,
    pub attempts: Vec<webhook_attempt::Model>,
}

/// Webhook `id`'s newest `limit` deliveries, newest first, each with its attempts.
pub async fn deliveries(
    db: &DatabaseConnection,
    id: i64,
    limit: u64,
) -> Result<Vec<DeliveryLog>, ServiceError> {
    get(db, id).await?;
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.iter().map(|d| d.id)))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await?;
    Ok(deliveries
        .into_iter()
        .map(|delivery| {
            let (own, rest) = attempts
                .drain(..)
                .partition(|attempt| attempt.delivery_id == delivery.id);
            attempts = rest;
            DeliveryLog {
                delivery,
                attempts: own,
            }
        })
        .collect())
}

/// Queues build `number` for every webhook not removed, in the transaction `txn` that
/// publishes it.
pub async fn enqueue(txn: &impl ConnectionTrait, number: i64) -> Result<(), DbErr> {
    let hooks: Vec<i64> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::RemovedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    webhook_delivery::Entity::insert_many(hooks.into_iter().map(|hook| {
        webhook_delivery::ActiveModel {
            webhook_id: Set(hook),
            build_number: Set(number),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        }
    }))
    .exec(txn)
    .await
    .map(|_| ())
}

/// The wait before the attempt after `failed` failed attempts.
fn backoff(failed: i32) -> Duration {
    let doublings = u32::try_from(failed.saturating_sub(1)).unwrap_or(0).min(20);
    (FIRST_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
}

/// Starts delivering, every [`POLL_INTERVAL`], on this replica: due deliveries are looked
/// for on `reads` (on SQLite, not queued behind the writer), then claimed and recorded on `db`.
pub fn keep_delivering(
    db: DatabaseConnection,
    reads: DatabaseConnection,
) -> Result<Periodic, String> {
    let client = WebhookClient::new()?;
    Ok(periodic::every(
        "webhook deliveries",
        POLL_INTERVAL,
        (),
        move |()| {
            let (db, reads, client) = (db.clone(), reads.clone(), client.clone());
            async move {
                if let Err(error) = deliver_due(&db, &reads, &client).await {
                    tracing::warn!(%error, "webhook deliveries: retrying");
                }
            }
        },
    ))
}

async fn deliver_due(
    db: &DatabaseConnection,
    reads: &DatabaseConnection,
    client: &WebhookClient,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(unclaimed(now))
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(BATCH)
        .all(reads)
        .await?;
    let mut claimed = Vec::new();
    for mut delivery in due {
        if let Some(until) = claim(db, &delivery, now).await? {
            delivery.claimed_until = Some(until);
            claimed.push(delivery);
        }
    }
    let attempts = claimed
        .into_iter()
        .map(|delivery| attempt(db, client, delivery));
    for outcome in futures_util::future::join_all(attempts).await {
        outcome?;
    }
    Ok(())
}

fn unclaimed(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(webhook_delivery::Column::ClaimedUntil.is_null())
        .add(webhook_delivery::Column::ClaimedUntil.lt(now))
}

/// Takes `delivery`, as it was read, for this replica, unless another one took it first or
/// attempted it since; returns the claim's end, which also identifies the claim.
async fn claim(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    // Whole milliseconds: PostgreSQL keeps microseconds, and the value is compared again.
    let until = (now + CLAIM).trunc_subsecs(3);
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::value(until))
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(unclaimed(now))
        .exec(db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(until))
}

/// One attempt of a claimed delivery, recorded with the delivery's new state.
async fn attempt(
    db: &DatabaseConnection,
    client: &WebhookClient,
    delivery: webhook_delivery::Model,
) -> Result<(), DbErr> {
    let hook = webhook::Entity::find_by_id(delivery.webhook_id)
        .one(db)
        .await?;
    let row = build::Entity::find_by_id(delivery.build_number)
        .one(db)
        .await?;
    // Not sent: the hook was removed (give up), or the event cannot be made (try again).
    let not_sent = |error: String| Attempt {
        status_code: None,
        error: Some(error),
        duration: Duration::ZERO,
    };
    let (outcome, give_up) = match (hook, row) {
        (Some(hook), Some(row)) if hook.removed_at.is_none() => {
            match PublishedBuild::of(&row).map(|event| serde_json::to_vec(&event)) {
                Ok(Ok(body)) => {
                    let sent = client
                        .post(&hook.url, &hook.secret, EVENT, delivery.id, body)
                        .await;
                    (sent, false)
                }
                Ok(Err(error)) => (not_sent(error.to_string()), false),
                Err(error) => (not_sent(error.to_string()), false),
            }
        }
        _ => (not_sent("the webhook was removed".to_owned()), true),
    };
    record(db, delivery, outcome, give_up).await
}

/// Records an attempt; the delivery is then `delivered`, `failed` (given up, or out of
/// attempts) or `pending` again after its backoff.
async fn record(
    db: &DatabaseConnection,
    delivery: webhook_delivery::Model,
    outcome: Attempt,
    give_up: bool,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let attempts = delivery.attempts + 1;
    let txn = db.begin().await?;
    webhook_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        attempt: Set(attempts),
        attempted_at: Set(now),
        status_code: Set(outcome.status_code.map(i32::from)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let status = if outcome.delivered() {
        "delivered"
    } else if give_up || attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "pending"
    };
    // Only under this attempt's own claim: if another replica took the delivery over
    // meanwhile (the claim lapsed), its record stands, and this attempt is only logged.
    let recorded = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(webhook_delivery::Column::Status, Expr::value(status))
        .col_expr(
            webhook_delivery::Column::ClaimedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(now + backoff(attempts)),
        )
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(outcome.delivered().then_some(now)),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::ClaimedUntil.eq(delivery.claimed_until))
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if recorded.rows_affected != 1 {
        tracing::warn!(
            delivery = delivery.id,
            "a webhook delivery was taken over while this replica attempted it (its claim lapsed)"
        );
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_a_second_up_to_ten_minutes() {
        let waits: Vec<u64> = (1..=MAX_ATTEMPTS).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
