use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A judge model's verdict on one answer of a run, or why it gave none (which a later judge
/// call replaces).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_judgments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    pub call_id: i64,
    pub model: String,
    pub refused: Option<bool>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub error: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
