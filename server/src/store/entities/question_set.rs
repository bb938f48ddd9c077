use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A frozen question set: what a filing attaches. Rows are inserted once; only `retired_*`
/// ever change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_sets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// 1 for the first set of a name, then one more for each later set of the same name.
    pub version: i32,
    pub description: Option<String>,
    /// JSON of how the members were chosen (`services::question_sets::Recipe`).
    pub recipe: String,
    pub member_count: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub retired_by: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
