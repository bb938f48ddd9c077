use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A version of the refusal phrase file: proposed as a draft, approved (in force), rejected,
/// or retired by a later approval. Its text never changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refusal_phrase_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub text: String,
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
