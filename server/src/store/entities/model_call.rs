use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A run's unanswered questions put to an OpenAI-compatible endpoint by lexset itself.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// The task running the call now: a call resumed after a restart gets a new one.
    pub task_id: i64,
    /// JSON of `crate::domain::model_call::CallSettings` (the key's variable name, never the
    /// key).
    pub settings: String,
    /// `calling`, `finished` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
