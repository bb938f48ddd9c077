use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// Long work (builds) run in the background, with progress clients poll.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `build`.
    pub kind: String,
    /// `enqueued`, `processing`, `succeeded` or `failed`.
    pub status: String,
    /// What the task is doing now.
    pub stage: String,
    pub done: i32,
    pub total: i32,
    /// JSON result when succeeded.
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The replica running the task (`LEXSET_REPLICA_ID`).
    pub owner: Option<String>,
    /// When the owner last said it is still running the task.
    pub heartbeat_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
