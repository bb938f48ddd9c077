use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::status::{EntryStatus, KeywordKind};

/// A keyword of the interception lexicon.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "keywords")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub term: String,
    /// `block` (default), `allow` (an allow-list entry) or `all_of` (`A+B` rule).
    pub kind: KeywordKind,
    /// Primary risk code, e.g. `A.1.f`.
    pub risk: String,
    pub note: Option<String>,
    pub source: Option<String>,
    pub status: EntryStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one with every change; the `ETag` is `"<version>"`.
    pub version: i32,
    /// Exact dedup key under the current fold profile (see `dedup::keys`); `None` only for
    /// rows that predate it, until the start-up refold fills it in.
    #[serde(skip)]
    pub dedup_key: Option<String>,
    /// How many error lints the entry has (see `lint`); kept for coverage to count.
    #[serde(skip)]
    pub lint_errors: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
