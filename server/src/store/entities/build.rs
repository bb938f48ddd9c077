use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A numbered build of the approved lexicon.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "builds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub number: i64,
    /// `compiling`, `published` or `failed`.
    pub status: String,
    pub task_id: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub fold_profile_id: String,
    pub fold_profile_hash: String,
    /// Hex SHA-256 of the artefact file.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    /// JSON: entries per risk and per kind.
    pub counts: Option<String>,
    /// JSON: the coverage report of the default profile at build time.
    pub coverage: Option<String>,
    pub error: Option<String>,
    /// JSON: the manifest envelope as published (`lexset_filter::SignedManifest`); `None`
    /// for builds published before manifests.
    pub manifest: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
