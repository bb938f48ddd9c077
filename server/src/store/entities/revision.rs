use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

use crate::domain::revision::{EntryKind, RevisionAction};

/// One recorded change of a keyword or question. Rows are only ever inserted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entry_kind: EntryKind,
    pub entry_id: i64,
    /// Equals the entry's `version` after the change.
    pub number: i32,
    pub action: RevisionAction,
    pub actor: String,
    pub reason: Option<String>,
    /// The entry's full JSON representation after the change.
    pub snapshot: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
