//! Keeping the search index in step with the database, and the searches themselves.
//!
//! The index is a cache. [`Indexer::open`] checks it at start against the database — the last
//! revision of each entry kind and the number of entries — replays the revisions it missed
//! (a crash between a database commit and the index commit heals here) and rebuilds it when it
//! cannot be brought in step: missing, unreadable, of another format or fold profile, ahead of
//! the database, or holding another number of entries. [`keep_in_step`] then replays new
//! revisions every [`POLL_INTERVAL`], whoever wrote them (this server, another replica, the
//! CLI).
//!
//! Replaying by revision id per entry kind is sound because writers of one kind serialize on
//! their `write_locks` row before they insert a revision (`versioned_change::begin_write`):
//! within a kind, revision ids become visible in increasing order, so no revision can appear
//! below a watermark after the watermark passed it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::periodic::{self, Periodic};
use super::versioned_change::VersionedEntity;
use super::{ServiceError, blocking};
use crate::dedup::Dedup;
use crate::dedup::near_duplicates::{jaccard, words};
use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;
use crate::fold::FoldProfile;
use crate::messages::msg;
use crate::search::{
    EntryFilter, Hit, IndexedEntry, Opened, RevisionMark, SearchError, SearchIndex, SearchWriter,
    Snippet, Watermark,
};
use crate::store::entities::{keyword, question, revision};

/// How often new revisions are looked for; a write is searchable within about this long.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Revisions (or entries, when rebuilding) read per query.
const BATCH: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("database error while indexing: {0}")]
    Database(#[from] DbErr),
}

/// An entry table whose rows the index holds.
trait Searchable: VersionedEntity {
    fn indexed(model: &Self::Model) -> IndexedEntry;
}

impl Searchable for keyword::Entity {
    fn indexed(model: &keyword::Model) -> IndexedEntry {
        IndexedEntry {
            entry: EntryKind::Keyword,
            id: model.id,
            text: model.term.clone(),
            kind: model.kind.as_str().to_owned(),
            risk: Some(model.risk.clone()),
            status: model.status,
            aspect: None,
            high_risk: None,
            version: model.version,
        }
    }
}

impl Searchable for question::Entity {
    fn indexed(model: &question::Model) -> IndexedEntry {
        IndexedEntry {
            entry: EntryKind::Question,
            id: model.id,
            text: model.text.clone(),
            kind: model.kind.as_str().to_owned(),
            risk: model.risk.clone(),
            status: model.status,
            aspect: model.aspect.clone(),
            high_risk: Some(model.high_risk),
            version: model.version,
        }
    }
}

/// What the start-up check found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCheck {
    /// The index was current, after replaying this many entries' changes.
    InStep { replayed: usize },
    /// The index was rebuilt with this many entries, for this reason.
    Rebuilt { reason: String, entries: usize },
}

/// The index's one writer and what it reflects.
pub struct Indexer {
    writer: SearchWriter,
    watermark: Watermark,
}

impl Indexer {
    /// Opens the index in `directory` and brings it in step with the database (see the module
    /// documentation).
    pub async fn open(
        db: &DatabaseConnection,
        directory: &Path,
        profile: Arc<FoldProfile>,
    ) -> Result<(Indexer, StartCheck), SyncError> {
        let (index, opened) = SearchIndex::open(directory, profile)?;
        let writer = index.writer()?;
        let (mut indexer, stale) = match opened {
            Opened::Current(watermark) => (Indexer { writer, watermark }, None),
            Opened::Empty { discarded } => {
                let watermark = index.empty_watermark();
                let reason = discarded.map_or("there was none".to_owned(), |why| {
                    format!("the old one was discarded: {why}")
                });
                (Indexer { writer, watermark }, Some(reason))
            }
        };
        let reason = match stale {
            Some(reason) => Some(reason),
            None => indexer.check(db).await?,
        };
        let check = match reason {
            None => StartCheck::InStep {
                replayed: indexer.catch_up(db).await?,
            },
            Some(reason) => StartCheck::Rebuilt {
                entries: indexer.rebuild(db).await?,
                reason,
            },
        };
        Ok((indexer, check))
    }

    /// Rebuilds the index in `directory` from the database, whatever state it is in
    /// (`lexset reindex`); returns the number of entries.
    pub async fn reindex(
        db: &DatabaseConnection,
        directory: &Path,
        profile: Arc<FoldProfile>,
    ) -> Result<usize, SyncError> {
        let (index, _) = SearchIndex::open(directory, profile)?;
        let mut indexer = Indexer {
            writer: index.writer()?,
            watermark: index.empty_watermark(),
        };
        indexer.rebuild(db).await
    }

    /// The index the writer fills.
    pub fn index(&self) -> Arc<SearchIndex> {
        self.writer.index().clone()
    }

    /// Why the index cannot be brought in step by replaying revisions, if it cannot.
    async fn check(&mut self, db: &DatabaseConnection) -> Result<Option<String>, SyncError> {
        for kind in EntryKind::ALL {
            let seen = self.watermark.mark(kind);
            if seen.id > 0 && revision_mark(db, kind, seen.id).await? != Some(seen.clone()) {
                return Ok(Some(format!(
                    "the {kind:?} revision {} it has seen is not in the database as it was (was the database restored?)",
                    seen.id
                )));
            }
        }
        // Another replica may write between the replay and the count: replay once more before
        // concluding that the counts really differ.
        for attempt in 0..2 {
            self.catch_up(db).await?;
            let mut differs = None;
            for kind in EntryKind::ALL {
                let (indexed, stored) = (self.writer.index().count(kind)?, count(db, kind).await?);
                if indexed != stored {
                    differs = Some(format!(
                        "it holds {indexed} {kind:?} entries, the database {stored}"
                    ));
                }
            }
            match differs {
                None => return Ok(None),
                Some(reason) if attempt == 1 => return Ok(Some(reason)),
                Some(_) => {}
            }
        }
        Ok(None)
    }

    /// Replaces the index's contents with every entry in the database, in one commit (searches
    /// meanwhile see the old contents). Returns the number of entries.
    pub async fn rebuild(&mut self, db: &DatabaseConnection) -> Result<usize, SyncError> {
        let mut watermark = self.writer.index().empty_watermark();
        // Read before the rows: changes made while they are read are replayed afterwards.
        for kind in EntryKind::ALL {
            watermark.set_mark(kind, latest_mark(db, kind).await?);
        }
        self.writer.clear()?;
        let entries = self.add_all::<keyword::Entity>(db).await?
            + self.add_all::<question::Entity>(db).await?;
        self.writer.commit(&watermark)?;
        self.watermark = watermark;
        self.catch_up(db).await?;
        Ok(entries)
    }

    async fn add_all<E: Searchable>(
        &mut self,
        db: &DatabaseConnection,
    ) -> Result<usize, SyncError> {
        let (mut after, mut added) = (0, 0);
        loop {
            let rows = E::find()
                .filter(E::id_column().gt(after))
                .order_by_asc(E::id_column())
                .limit(BATCH)
                .all(db)
                .await?;
            for row in &rows {
                self.writer.upsert(&E::indexed(row))?;
            }
            added += rows.len();
            match rows.last() {
                Some(last) if rows.len() as u64 == BATCH => after = E::indexed(last).id,
                _ => return Ok(added),
            }
        }
    }

    /// Applies the revisions written since the watermark; returns how many entries changed.
    pub async fn catch_up(&mut self, db: &DatabaseConnection) -> Result<usize, SyncError> {
        let mut watermark = self.watermark.clone();
        let changed = self.replay::<keyword::Entity>(db, &mut watermark).await?
            + self.replay::<question::Entity>(db, &mut watermark).await?;
        if watermark != self.watermark {
            self.writer.commit(&watermark)?;
            self.watermark = watermark;
        }
        Ok(changed)
    }

    async fn replay<E: Searchable>(
        &mut self,
        db: &DatabaseConnection,
        watermark: &mut Watermark,
    ) -> Result<usize, SyncError> {
        let mut changed = 0;
        loop {
            let revisions: Vec<(i64, i64, DateTime<Utc>)> = revision::Entity::find()
                .select_only()
                .column(revision::Column::Id)
                .column(revision::Column::EntryId)
                .column(revision::Column::CreatedAt)
                .filter(revision::Column::EntryKind.eq(E::KIND))
                .filter(revision::Column::Id.gt(watermark.mark(E::KIND).id))
                .order_by_asc(revision::Column::Id)
                .limit(BATCH)
                .into_tuple()
                .all(db)
                .await?;
            let Some(&(last, _, at)) = revisions.last() else {
                return Ok(changed);
            };
            let ids: BTreeSet<i64> = revisions.iter().map(|(_, entry, _)| *entry).collect();
            let rows: BTreeMap<i64, IndexedEntry> = E::find()
                .filter(E::id_column().is_in(ids.iter().copied()))
                .all(db)
                .await?
                .iter()
                .map(|row| (E::indexed(row).id, E::indexed(row)))
                .collect();
            for id in &ids {
                match rows.get(id) {
                    Some(entry) => self.writer.upsert(entry)?,
                    None => self.writer.remove(E::KIND, *id),
                }
            }
            changed += ids.len();
            watermark.set_mark(
                E::KIND,
                RevisionMark {
                    id: last,
                    at: Some(at),
                },
            );
            if (revisions.len() as u64) < BATCH {
                return Ok(changed);
            }
        }
    }
}

/// The mark of the last revision of `kind` (id 0 without any).
async fn latest_mark(db: &DatabaseConnection, kind: EntryKind) -> Result<RevisionMark, DbErr> {
    Ok(revision::Entity::find()
        .filter(revision::Column::EntryKind.eq(kind))
        .order_by_desc(revision::Column::Id)
        .one(db)
        .await?
        .map(|revision| RevisionMark {
            id: revision.id,
            at: Some(revision.created_at),
        })
        .unwrap_or_default())
}

/// The mark of revision `id` of `kind`, if the database has it.
async fn revision_mark(
    db: &DatabaseConnection,
    kind: EntryKind,
    id: i64,
) -> Result<Option<RevisionMark>, DbErr> {
    Ok(revision::Entity::find_by_id(id)
        .filter(revision::Column::EntryKind.eq(kind))
        .one(db)
        .await?
        .map(|revision| RevisionMark {
            id,
            at: Some(revision.created_at),
        }))
}

async fn count(db: &DatabaseConnection, kind: EntryKind) -> Result<usize, DbErr> {
    let stored = match kind {
        EntryKind::Keyword => keyword::Entity::find().count(db).await?,
        EntryKind::Question => question::Entity::find().count(db).await?,
    };
    Ok(usize::try_from(stored).unwrap_or(usize::MAX))
}

/// Replays new revisions into the index every [`POLL_INTERVAL`] until stopped (stopping
/// releases the index writer). Errors are logged and retried at the next poll: search lags,
/// writes never fail because of it.
pub fn keep_in_step(indexer: Indexer, db: DatabaseConnection) -> Periodic {
    periodic::every(
        "search indexer",
        POLL_INTERVAL,
        indexer,
        move |mut indexer| {
            let db = db.clone();
            async move {
                if let Err(error) = indexer.catch_up(&db).await {
                    tracing::warn!(%error, "the search index could not catch up; retrying");
                }
                indexer
            }
        },
    )
}

/// One search result as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `keyword` or `question`.
    pub entry: &'static str,
    pub id: i64,
    /// The keyword's term or the question's text.
    pub text: String,
    /// The keyword or question kind.
    pub kind: String,
    pub risk: Option<String>,
    pub status: String,
    pub aspect: Option<String>,
    pub high_risk: Option<bool>,
    pub version: i32,
    /// BM25 relevance; higher is better.
    pub score: f32,
    pub snippet: Snippet,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> Self {
        let entry = hit.entry;
        SearchHit {
            entry: entry.entry.as_str(),
            id: entry.id,
            text: entry.text,
            kind: entry.kind,
            risk: entry.risk,
            status: entry.status.as_str().to_owned(),
            aspect: entry.aspect,
            high_risk: entry.high_risk,
            version: entry.version,
            score: hit.score,
            snippet: hit.snippet,
        }
    }
}

/// A question near another one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimilarQuestion {
    #[serde(flatten)]
    pub hit: SearchHit,
    /// Jaccard similarity of the two questions' word sets, as the near-duplicate detector
    /// measures it.
    pub similarity: f64,
    /// `similarity` reaches the near-duplicate threshold.
    pub near_duplicate: bool,
}

/// The entries matching every word of query `q` under `filter`, ranked: `limit` hits from
/// `offset` on, and how many match in all. Searching runs off the async workers.
pub async fn search(
    index: Arc<SearchIndex>,
    q: String,
    filter: EntryFilter,
    offset: usize,
    limit: usize,
) -> Result<(Vec<SearchHit>, usize), ServiceError> {
    let words = index.query_words(&q);
    if words.is_empty() {
        return Err(FieldError::unprocessable("q", msg!("q_no_letters")).into());
    }
    let (hits, total) =
        blocking::off_workers(move || index.search(&words, &filter, offset, limit)).await??;
    Ok((hits.into_iter().map(SearchHit::from).collect(), total))
}

/// The questions most like question `id`, by BM25 over its words (the near-duplicate
/// detector's words: folded, segmented, without stopwords), with their Jaccard similarity.
/// Segmenting and searching run off the async workers (a few milliseconds each).
pub async fn similar_questions(
    db: &DatabaseConnection,
    dedup: Arc<Dedup>,
    index: Arc<SearchIndex>,
    id: i64,
    mut filter: EntryFilter,
    limit: usize,
) -> Result<Vec<SimilarQuestion>, ServiceError> {
    let question = super::questions::get(db, id).await?;
    filter.entry = Some(EntryKind::Question);
    filter.except = Some((EntryKind::Question, id));
    let nearest = move || -> Result<Vec<SimilarQuestion>, ServiceError> {
        let own_words = words(&dedup.profile, &dedup.near_duplicates, &question.text);
        let query: Vec<String> = own_words.iter().cloned().collect();
        let hits = index.search_any(&query, &filter, limit)?;
        Ok(hits
            .into_iter()
            .map(|hit| {
                let similarity = jaccard(
                    &own_words,
                    &words(&dedup.profile, &dedup.near_duplicates, &hit.entry.text),
                );
                SimilarQuestion {
                    hit: hit.into(),
                    similarity,
                    near_duplicate: similarity >= dedup.near_duplicates.threshold,
                }
            })
            .collect())
    };
    blocking::off_workers(nearest).await?
}
