//! Announcing published builds to filter services: the events `GET /v1/builds/events` streams.
//!
//! Every replica announces every build, whichever replica published it: each one reads the
//! builds published in the last [`WINDOW`] every [`POLL_INTERVAL`] (at once when it published
//! one itself) and broadcasts those it has not announced yet to its subscribers. So a filter
//! service connected to any replica hears of a build within about a poll interval of its
//! publication, and nothing is kept outside the database. An event's id is its build number; a client resuming with
//! `Last-Event-ID: n` is sent the builds numbered above `n` ([`published_after`]).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast, watch};

use super::builds::BuildError;
use super::periodic::{self, Periodic};
use super::signing::{self, ManifestEnvelope};
use crate::store::entities::build;

/// How often a replica looks for newly published builds.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How far back a poll looks: a build is announced if it was published this recently (wide
/// enough for clocks of replicas that disagree by minutes).
const WINDOW: Duration = Duration::from_secs(600);
/// Events a slow subscriber may fall behind by; one further behind misses the oldest of them
/// (and learns of the newest build all the same).
const CAPACITY: usize = 64;
/// The most builds a resuming client is sent (the newest are what it needs).
const RESUME_LIMIT: u64 = 100;

/// What an event (and a webhook delivery) says of a published build: metadata only; the
/// artefact is fetched from `/v1/builds/{n}/artifact` (ETag and 304).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedBuild {
    pub build: i64,
    /// Hex SHA-256 of the artefact: its `ETag`.
    pub sha256: String,
    pub size: i64,
    pub published_at: DateTime<Utc>,
    /// The signed manifest envelope (`GET /v1/builds/{n}/manifest`).
    pub manifest: ManifestEnvelope,
}

impl PublishedBuild {
    pub(super) fn of(row: &build::Model) -> Result<Self, BuildError> {
        Ok(Self {
            build: row.number,
            sha256: row.sha256.clone().unwrap_or_default(),
            size: row.size.unwrap_or_default(),
            published_at: row.published_at.unwrap_or(row.created_at),
            manifest: signing::manifest_of_build(row)?,
        })
    }
}

/// This replica's subscribers to published builds.
pub struct BuildAnnouncer {
    sender: broadcast::Sender<Arc<PublishedBuild>>,
    /// Wakes the poll early: a build was published through this replica.
    published: Notify,
}

impl Default for BuildAnnouncer {
    fn default() -> Self {
        Self {
            sender: broadcast::Sender::new(CAPACITY),
            published: Notify::new(),
        }
    }
}

impl BuildAnnouncer {
    /// A receiver of the builds announced from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PublishedBuild>> {
        self.sender.subscribe()
    }

    /// Says that this replica just published a build: its subscribers hear of it at once,
    /// not at the next poll (other replicas' hear of it at theirs).
    pub fn published(&self) {
        self.published.notify_one();
    }
}

/// Published builds numbered above `after`, lowest first (at most [`RESUME_LIMIT`], the
/// newest of them).
async fn published_after(
    db: &DatabaseConnection,
    after: i64,
) -> Result<Vec<PublishedBuild>, BuildError> {
    let mut rows = build::Entity::find()
        .filter(build::Column::Status.eq("published"))
        .filter(build::Column::Number.gt(after))
        .order_by_desc(build::Column::Number)
        .limit(RESUME_LIMIT)
        .all(db)
        .await?;
    rows.reverse();
    rows.iter().map(PublishedBuild::of).collect()
}

/// The newest published build, if any.
async fn newest(db: &DatabaseConnection) -> Result<Option<PublishedBuild>, BuildError> {
    published_after(db, i64::MIN)
        .await
        .map(|mut builds| builds.pop())
}

/// What an event announces: a build was published.
pub const EVENT: &str = "build.published";

/// A new subscriber's builds: those numbered above `after` (a client resuming with
/// `Last-Event-ID`), or else the newest, then each one announced until `closing` is set.
/// Subscribed before the backlog is read, so nothing published in between is missed.
pub async fn subscribe(
    reads: &DatabaseConnection,
    announcer: &BuildAnnouncer,
    closing: watch::Receiver<bool>,
    after: Option<i64>,
) -> Result<impl Stream<Item = Arc<PublishedBuild>> + use<>, BuildError> {
    let live = announcer.subscribe();
    let backlog = match after {
        Some(after) => published_after(reads, after).await?,
        None => newest(reads).await?.into_iter().collect(),
    };
    Ok(stream(backlog, live, closing))
}

/// The numbers of the builds published within [`WINDOW`] (numbers only: this runs four
/// times a second, and a build's row carries its coverage report).
async fn recently_published(db: &DatabaseConnection) -> Result<Vec<i64>, DbErr> {
    let since = Utc::now() - WINDOW;
    build::Entity::find()
        .select_only()
        .column(build::Column::Number)
        .filter(build::Column::Status.eq("published"))
        .filter(build::Column::PublishedAt.gt(since))
        .order_by_asc(build::Column::Number)
        .into_tuple()
        .all(db)
        .await
}

/// Starts announcing the builds published from now on (those published before are not
/// announced: a client connecting is sent the newest anyway).
pub async fn keep_announcing(
    db: DatabaseConnection,
    announcer: Arc<BuildAnnouncer>,
) -> Result<Periodic, DbErr> {
    let announced: BTreeSet<i64> = recently_published(&db).await?.into_iter().collect();
    // The rounds run back to back, each waiting up to a poll interval for a local publication.
    Ok(periodic::every(
        "build events",
        Duration::from_millis(1),
        announced,
        move |mut announced| {
            let (db, announcer) = (db.clone(), announcer.clone());
            async move {
                let _ = tokio::time::timeout(POLL_INTERVAL, announcer.published.notified()).await;
                let numbers = match recently_published(&db).await {
                    Ok(numbers) => numbers,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read published builds; retrying");
                        return announced;
                    }
                };
                // What left the window can never come back into it: forget it.
                announced.retain(|number| numbers.contains(number));
                for number in numbers {
                    if announced.contains(&number) {
                        continue;
                    }
                    let event = match build::Entity::find_by_id(number).one(&db).await {
                        Ok(Some(row)) => PublishedBuild::of(&row),
                        Ok(None) => continue,
                        Err(error) => Err(error.into()),
                    };
                    match event {
                        // No subscriber is no error: nobody is listening yet.
                        Ok(event) => drop(announcer.sender.send(Arc::new(event))),
                        // Not marked announced: the next round tries again.
                        Err(error) => {
                            tracing::error!(build = number, %error, "cannot announce");
                            continue;
                        }
                    }
                    announced.insert(number);
                }
                announced
            }
        },
    ))
}

/// The builds a subscriber is sent: `backlog` first (what it missed, or the newest), then
/// each build announced, once each, until the server closes. A subscriber that falls more
/// than [`CAPACITY`] builds behind misses the oldest of them.
fn stream(
    backlog: Vec<PublishedBuild>,
    live: broadcast::Receiver<Arc<PublishedBuild>>,
    closing: watch::Receiver<bool>,
) -> impl Stream<Item = Arc<PublishedBuild>> {
    let sent: BTreeSet<i64> = backlog.iter().map(|b| b.build).collect();
    let backlog: VecDeque<Arc<PublishedBuild>> = backlog.into_iter().map(Arc::new).collect();
    futures_util::stream::unfold(
        (backlog, sent, live, closing),
        |(mut backlog, mut sent, mut live, mut closing)| async move {
            if let Some(next) = backlog.pop_front() {
                return Some((next, (backlog, sent, live, closing)));
            }
            loop {
                if *closing.borrow_and_update() {
                    return None;
                }
                tokio::select! {
                    changed = closing.changed() => {
                        // The sender gone: the server is gone too.
                        if changed.is_err() {
                            return None;
                        }
                    }
                    received = live.recv() => match received {
                        Ok(build) if sent.insert(build.build) => {
                            return Some((build, (backlog, sent, live, closing)));
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    )
}
