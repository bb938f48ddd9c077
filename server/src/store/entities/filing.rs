use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A filing package: its zip archive and manifest, inserted once and never changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "filings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// JSON of `services::filings::Manifest`.
    pub manifest: String,
    pub archive: Vec<u8>,
    /// Of the archive.
    pub sha256: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
