//! Writing checked rows: one transaction holding the kind's write lock; entries, their first
//! revisions and question bands go in multi-row inserts of [`CHUNK_ROWS`] rows, and rows
//! written by someone else since the check are reported as duplicates.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::{ImportKind, ImportOptions, RowReport};
use crate::dedup::Dedup;
use crate::dedup::near_duplicates::{band_hashes, jaccard, words};
use crate::domain::revision::EntryKind;
use crate::domain::status::EntryStatus;
use crate::services::keywords::NewKeywordRow;
use crate::services::questions::{self, NearDuplicates, NewQuestionRow};
use crate::services::revisions::ChangeContext;
use crate::services::{Checks, ServiceError, versioned_change};
use crate::store::entities::{keyword, question};

/// Rows per multi-row insert. At about 15 parameters a row this stays far below SQLite's
/// (32 766) and PostgreSQL's (65 535) parameter limits, and every full chunk has the same SQL,
/// so the driver's per-connection statement cache prepares it once per import.
const CHUNK_ROWS: usize = 1_000;

/// A row ready to be written.
pub(super) enum Pending {
    Keyword { row: NewKeywordRow, key: String },
    Question { row: NewQuestionRow, key: String },
}

impl Pending {
    /// The dedup key of the entry to write.
    pub fn key(&self) -> &str {
        match self {
            Self::Keyword { key, .. } | Self::Question { key, .. } => key,
        }
    }
}

/// The dedup keys of live entries of `kind`, with their ids.
pub(super) async fn live_keys(
    db: &DatabaseConnection,
    kind: ImportKind,
) -> Result<HashMap<String, i64>, ServiceError> {
    let rows: Vec<(i64, Option<String>)> = match kind {
        ImportKind::Keyword => {
            keyword::Entity::find()
                .select_only()
                .columns([keyword::Column::Id, keyword::Column::DedupKey])
                .filter(keyword::Column::Status.ne(EntryStatus::Retired))
                .into_tuple()
                .all(db)
                .await?
        }
        ImportKind::Question => {
            question::Entity::find()
                .select_only()
                .columns([question::Column::Id, question::Column::DedupKey])
                .filter(question::Column::Status.ne(EntryStatus::Retired))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, key)| key.map(|k| (k, id)))
        .collect())
}

/// What writing a batch needs.
pub(super) struct Batch<'a> {
    pub checks: Checks<'a>,
    pub context: &'a ChangeContext,
    pub options: &'a ImportOptions,
    pub total: usize,
}

/// Writes every pending row in one transaction holding the kind's write lock, a chunk of
/// [`CHUNK_ROWS`] at a time, telling `progress` after each chunk.
pub(super) async fn write(
    db: &DatabaseConnection,
    batch: &Batch<'_>,
    pending: Vec<(usize, Pending)>,
    items: &mut [RowReport],
    progress: &(dyn Fn(&'static str, usize, usize) + Send + Sync),
) -> Result<(), ServiceError> {
    let Batch {
        checks,
        context,
        options,
        total,
    } = *batch;
    let kind = match options.kind {
        ImportKind::Keyword => EntryKind::Keyword,
        ImportKind::Question => EntryKind::Question,
    };
    let txn = versioned_change::begin_write(db, kind).await?;
    progress(super::STAGE_WRITE, 0, total);
    let mut written = 0;
    let mut near_duplicates = NearDuplicates::default();
    let mut rows = pending.into_iter().peekable();
    while rows.peek().is_some() {
        let (mut keywords, mut questions) = (Vec::new(), Vec::new());
        for (item, row) in rows.by_ref().take(CHUNK_ROWS) {
            match row {
                Pending::Keyword { row, key } => keywords.push((item, row, key)),
                Pending::Question { row, key } => questions.push((item, row, key)),
            }
        }
        written += keywords.len() + questions.len();
        write_keywords(&txn, context, keywords, items).await?;
        write_questions(
            &txn,
            checks.dedup,
            context,
            &mut near_duplicates,
            questions,
            items,
        )
        .await?;
        progress(super::STAGE_WRITE, written, total);
    }
    crate::services::audit::commit(txn, context.audit.as_ref(), None).await?;
    Ok(())
}

/// Marks the row as a duplicate of live entry `existing`: written by someone else since the
/// rows were checked.
fn written_meanwhile(item: &mut RowReport, existing: i64) {
    item.outcome = "duplicate";
    item.duplicate_of_entry = Some(existing);
}

/// Records the ids of the saved entries in their rows' reports, found by dedup key.
fn record_ids<'a>(
    items: &mut [RowReport],
    item_of_key: &HashMap<String, usize>,
    saved: impl IntoIterator<Item = (Option<&'a str>, i64)>,
) {
    for (key, id) in saved {
        if let Some(&item) = key.and_then(|key| item_of_key.get(key)) {
            items[item].entry_id = Some(id);
        }
    }
}

/// The live entries already holding the keys of a chunk's rows (item, row, key), by key.
async fn taken_keys<E: versioned_change::VersionedEntity, Row>(
    txn: &DatabaseTransaction,
    rows: &[(usize, Row, String)],
) -> Result<HashMap<String, i64>, sea_orm::DbErr> {
    let keys: Vec<&str> = rows.iter().map(|(_, _, key)| key.as_str()).collect();
    versioned_change::live_with_keys::<E>(txn, &keys).await
}

/// Writes one chunk of keywords: the duplicate check as one query, the entries and their
/// revisions as one multi-row insert each.
async fn write_keywords(
    txn: &DatabaseTransaction,
    context: &ChangeContext,
    rows: Vec<(usize, NewKeywordRow, String)>,
    items: &mut [RowReport],
) -> Result<(), ServiceError> {
    if rows.is_empty() {
        return Ok(());
    }
    let taken = taken_keys::<keyword::Entity, _>(txn, &rows).await?;
    let at = Utc::now();
    let actor = context.actor.as_str();
    let mut item_of_key = HashMap::with_capacity(rows.len());
    let mut fresh = Vec::with_capacity(rows.len());
    for (item, row, key) in rows {
        if let Some(&existing) = taken.get(&key) {
            written_meanwhile(&mut items[item], existing);
            continue;
        }
        fresh.push(row.into_active_model(&key, actor, at));
        item_of_key.insert(key, item);
    }
    let saved = versioned_change::create_many::<keyword::Entity>(txn, context, at, fresh).await?;
    record_ids(
        items,
        &item_of_key,
        saved
            .iter()
            .map(|entry| (entry.dedup_key.as_deref(), entry.id)),
    );
    Ok(())
}

/// A question checked against the store, waiting for the chunk's insert.
struct UnsavedQuestion {
    item: usize,
    key: String,
    row: NewQuestionRow,
    near_duplicate_of: Option<i64>,
    words: BTreeSet<String>,
    bands: Vec<i64>,
}

/// Writes one chunk of questions as [`questions::insert`] would one by one: each is linked to
/// the lowest id among its possible duplicates ([`NearDuplicates::find`]),
/// questions written before it in this import included. A
/// question whose only near duplicates are still unsaved in this chunk first has those
/// written, so the link names a stored id; otherwise the chunk's entries, revisions and bands
/// go in one multi-row insert each.
async fn write_questions(
    txn: &DatabaseTransaction,
    dedup: &Dedup,
    context: &ChangeContext,
    near_duplicates: &mut NearDuplicates,
    rows: Vec<(usize, NewQuestionRow, String)>,
    items: &mut [RowReport],
) -> Result<(), ServiceError> {
    if rows.is_empty() {
        return Ok(());
    }
    let taken = taken_keys::<question::Entity, _>(txn, &rows).await?;
    let threshold = dedup.near_duplicates.threshold;
    let mut fresh = Vec::with_capacity(rows.len());
    for (item, row, key) in rows {
        match taken.get(&key) {
            Some(&existing) => written_meanwhile(&mut items[item], existing),
            None => {
                let words = words(&dedup.profile, &dedup.near_duplicates, &row.text);
                let bands = band_hashes(&words);
                fresh.push((item, row, key, words, bands));
            }
        }
    }
    // The chunk's new bands in a few queries, instead of a query per question.
    near_duplicates.forget_bands_if_full();
    near_duplicates
        .load_bands(
            txn,
            fresh.iter().flat_map(|(.., bands)| bands.iter().copied()),
        )
        .await?;
    let mut unsaved: Vec<UnsavedQuestion> = Vec::new();
    // The unsaved questions holding each band, so a question is compared only with those
    // sharing a band with it.
    let mut unsaved_by_band: HashMap<i64, Vec<usize>> = HashMap::new();
    for (item, row, key, words, bands) in fresh {
        let mut stored = near_duplicates
            .find(txn, dedup, None, &words, &bands)
            .await?;
        let near_unsaved = bands
            .iter()
            .filter_map(|band| unsaved_by_band.get(band))
            .flatten()
            .any(|&other| jaccard(&words, &unsaved[other].words) >= threshold);
        if stored.is_empty() && near_unsaved {
            save_questions(
                txn,
                context,
                near_duplicates,
                std::mem::take(&mut unsaved),
                items,
            )
            .await?;
            unsaved_by_band.clear();
            stored = near_duplicates
                .find(txn, dedup, None, &words, &bands)
                .await?;
        }
        for &band in &bands {
            unsaved_by_band.entry(band).or_default().push(unsaved.len());
        }
        unsaved.push(UnsavedQuestion {
            item,
            key,
            row,
            near_duplicate_of: stored.iter().map(|possible| possible.id).min(),
            words,
            bands,
        });
    }
    save_questions(txn, context, near_duplicates, unsaved, items).await
}

/// Inserts checked questions with their revisions and bands; `near_duplicates` remembers
/// their words for the questions after them.
async fn save_questions(
    txn: &DatabaseTransaction,
    context: &ChangeContext,
    near_duplicates: &mut NearDuplicates,
    unsaved: Vec<UnsavedQuestion>,
    items: &mut [RowReport],
) -> Result<(), ServiceError> {
    if unsaved.is_empty() {
        return Ok(());
    }
    let at = Utc::now();
    let actor = context.actor.as_str();
    let mut item_of_key = HashMap::with_capacity(unsaved.len());
    let mut bands_of_key = HashMap::with_capacity(unsaved.len());
    let mut words_of_key = HashMap::with_capacity(unsaved.len());
    let mut fresh = Vec::with_capacity(unsaved.len());
    for question in unsaved {
        fresh.push(question.row.into_active_model(
            &question.key,
            actor,
            at,
            question.near_duplicate_of,
        ));
        item_of_key.insert(question.key.clone(), question.item);
        bands_of_key.insert(question.key.clone(), question.bands);
        words_of_key.insert(question.key, question.words);
    }
    let saved = versioned_change::create_many::<question::Entity>(txn, context, at, fresh).await?;
    let bands = saved.iter().filter_map(|entry| {
        let bands = bands_of_key.get(entry.dedup_key.as_deref()?)?;
        Some((entry.id, bands.as_slice()))
    });
    questions::insert_bands(txn, bands).await?;
    for entry in &saved {
        let key = entry.dedup_key.as_deref();
        if let (Some(words), Some(bands)) = (
            key.and_then(|key| words_of_key.remove(key)),
            key.and_then(|key| bands_of_key.get(key)),
        ) {
            near_duplicates.remember(entry.id, words, bands);
        }
    }
    record_ids(
        items,
        &item_of_key,
        saved
            .iter()
            .map(|entry| (entry.dedup_key.as_deref(), entry.id)),
    );
    Ok(())
}
