use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// The last failure of a model call to get an answer to one question of a run, after its
/// retries. Replaced by a later call's failure; removed when a call answers the question.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_answer_errors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    pub call_id: i64,
    /// `crate::chat_client::FailureKind`, snake case.
    pub kind: String,
    pub message: String,
    pub attempts: i32,
    pub latency_ms: i64,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
