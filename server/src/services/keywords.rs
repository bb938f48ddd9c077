//! Keyword operations.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use super::page::PageRequest;
use super::revisions::ChangeContext;
use super::versioned_change::{self, ExpectedVersion, versioned_entity};
use super::{Checks, ServiceError};
use crate::dedup::keys::rule_key;
use crate::domain::keyword::{KeywordChanges, NewKeyword};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::domain::taxonomy_code::RiskCode;
use crate::lint;
use crate::store::entities::keyword::{self, Column, Entity, Model};

versioned_entity!(Entity, Model, Column, EntryKind::Keyword);

/// Which keywords a list returns.
#[derive(Debug, Clone, Default)]
pub struct KeywordFilter {
    pub kind: Option<KeywordKind>,
    pub risk: Option<RiskCode>,
    pub status: Option<EntryStatus>,
    /// Keep terms that start with this text (exact, case-sensitive).
    pub prefix: Option<String>,
}

pub async fn create(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    context: &ChangeContext,
    new: NewKeyword,
) -> Result<Model, ServiceError> {
    let (profile, lints) = (&*checks.dedup.profile, checks.lints);
    let key = rule_key(profile, new.kind, new.term.as_str())?;
    let errors = super::lints::error_count(
        &lint::keyword(lints, profile, new.term.as_str(), new.kind),
        new.status,
    )?;
    let row = NewKeywordRow {
        term: new.term.into_inner(),
        kind: new.kind,
        risk: new.risk.into_inner(),
        note: new.note.map(|n| n.into_inner()),
        source: new.source.map(|s| s.into_inner()),
        status: new.status,
        lint_errors: errors,
    };
    let txn = versioned_change::begin_write(db, EntryKind::Keyword).await?;
    let saved = insert(&txn, context, &key, row).await?;
    super::audit::commit(txn, context.audit.as_ref(), Some(saved.id)).await?;
    Ok(saved)
}

/// The stored columns of a keyword written for the first time, already checked.
pub(crate) struct NewKeywordRow {
    pub term: String,
    pub kind: KeywordKind,
    pub risk: String,
    pub note: Option<String>,
    pub source: Option<String>,
    pub status: EntryStatus,
    pub lint_errors: i32,
}

/// Writes a new keyword and its first revision inside `txn`, which holds the keyword write
/// lock.
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    context: &ChangeContext,
    key: &str,
    row: NewKeywordRow,
) -> Result<Model, ServiceError> {
    versioned_change::create::<Entity>(txn, context, key, |at| {
        row.into_active_model(key, context.actor.as_str(), at)
    })
    .await
}

impl NewKeywordRow {
    /// The stored row of this keyword, written first by `actor` at `at` with dedup key `key`.
    pub(crate) fn into_active_model(
        self,
        key: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> keyword::ActiveModel {
        keyword::ActiveModel {
            term: Set(self.term),
            kind: Set(self.kind),
            risk: Set(self.risk),
            note: Set(self.note),
            source: Set(self.source),
            status: Set(self.status),
            created_by: Set(actor.to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
            dedup_key: Set(Some(key.to_owned())),
            lint_errors: Set(self.lint_errors),
            ..Default::default()
        }
    }
}

pub async fn get(db: &DatabaseConnection, id: i64) -> Result<Model, ServiceError> {
    versioned_change::get::<Entity>(db, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    filter: KeywordFilter,
    page: PageRequest,
) -> Result<(Vec<Model>, Option<String>), ServiceError> {
    let mut select = Entity::find();
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind));
    }
    if let Some(risk) = filter.risk {
        select = select.filter(Column::Risk.eq(risk.into_inner()));
    }
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status));
    }
    if let Some(prefix) = filter.prefix {
        select = select.filter(starts_with(Column::Term, prefix));
    }
    versioned_change::list_page(db, select, page).await
}

/// `column` starts with `prefix`, compared character by character. Portable (`substr` counts
/// characters on SQLite and PostgreSQL alike) and free of `LIKE` wildcard escaping.
pub fn starts_with(column: impl ColumnTrait, prefix: String) -> Expr {
    // `integer`, not `bigint`: PostgreSQL has substr(text, integer, integer) only.
    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    let head = Func::cust(Alias::new("substr"))
        .arg(Expr::col(column.as_column_ref()))
        .arg(1)
        .arg(length);
    ExprTrait::eq(Expr::expr(head), prefix)
}

pub async fn update(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    changes: KeywordChanges,
) -> Result<Model, ServiceError> {
    let (profile, lints) = (&*checks.dedup.profile, checks.lints);
    let txn = versioned_change::begin_write(db, EntryKind::Keyword).await?;
    let saved = versioned_change::edit::<Entity>(&txn, id, expected_version, context, |current| {
        let mut next = current.clone();
        if let Some(term) = changes.term {
            next.term = term.into_inner();
        }
        if let Some(kind) = changes.kind {
            next.kind = kind;
        }
        if let Some(risk) = changes.risk {
            next.risk = risk.into_inner();
        }
        if let Some(note) = changes.note {
            next.note = note.map(|n| n.into_inner());
        }
        if let Some(source) = changes.source {
            next.source = source.map(|s| s.into_inner());
        }
        if next.term != current.term || next.kind != current.kind {
            next.dedup_key = Some(rule_key(profile, next.kind, &next.term)?);
        }
        versioned_change::back_to_review(current, &mut next);
        next.lint_errors = super::lints::error_count(
            &lint::keyword(lints, profile, &next.term, next.kind),
            next.status,
        )?;
        Ok(next)
    })
    .await?;
    super::audit::commit(txn, context.audit.as_ref(), None).await?;
    Ok(saved)
}

impl versioned_change::Editable for Entity {
    type Changes = KeywordChanges;

    fn update_entry(
        db: &DatabaseConnection,
        checks: Checks<'_>,
        id: i64,
        expected_version: &ExpectedVersion,
        context: &ChangeContext,
        changes: KeywordChanges,
    ) -> impl Future<Output = Result<Model, ServiceError>> {
        update(db, checks, id, expected_version, context, changes)
    }
}
