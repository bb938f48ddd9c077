use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A frozen question set put to one model: rows are inserted once and never change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub set_id: i64,
    pub model_name: String,
    pub model_version: String,
    /// Where and how the model was reached, as people describe it.
    pub model_endpoint: Option<String>,
    /// The filter build the run is measured with, if any.
    pub build_number: Option<i64>,
    /// Judges whose latest verdicts on an answer must agree: 1, or 2 (four eyes).
    pub judges: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
