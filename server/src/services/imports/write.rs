//! Writing checked rows: one transaction holding the kind's write lock, every row with its
//! revision, rows written by someone else meanwhile reported as duplicates.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{ImportKind, ImportOptions, RowReport};
use crate::domain::revision::EntryKind;
use crate::domain::status::EntryStatus;
use crate::services::keywords::{self, NewKeywordRow};
use crate::services::questions::{self, NewQuestionRow};
use crate::services::revisions::ChangeContext;
use crate::services::{Checks, ServiceError, versioned_change};
use crate::store::entities::{keyword, question};

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

/// Writes every pending row in one transaction holding the kind's write lock.
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
    for (written, (item, row)) in pending.into_iter().enumerate() {
        if written % 1000 == 0 {
            progress(super::STAGE_WRITE, written, total);
        }
        let created = match row {
            Pending::Keyword { row, key } => keywords::insert(&txn, context, &key, row)
                .await
                .map(|saved| saved.id),
            Pending::Question { row, key } => {
                questions::insert(&txn, checks.dedup, context, &key, row)
                    .await
                    .map(|(saved, _)| saved.id)
            }
        };
        match created {
            Ok(id) => items[item].entry_id = Some(id),
            // Written by someone else since the rows were checked: this row is a duplicate.
            Err(ServiceError::Duplicate { existing, .. }) => {
                items[item].outcome = "duplicate";
                items[item].duplicate_of_entry = Some(existing.id());
            }
            Err(other) => return Err(other),
        }
    }
    txn.commit().await?;
    Ok(())
}
