use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A build evaluated against the test sets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub build_number: i64,
    pub task_id: i64,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// The question statuses evaluated, comma-separated.
    pub statuses: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// JSON `EvaluationReport`.
    pub result: Option<String>,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
