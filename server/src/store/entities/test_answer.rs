use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// The model's answer to one question of a run, at the revision the run's set pinned, with
/// what refusal detection made of it. Inserted once; a re-run is a new run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "test_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    pub revision: i32,
    pub answer: String,
    pub refused: bool,
    /// `crate::refusal::RefusalRule`, snake case.
    pub refusal_rule: String,
    /// JSON of `crate::refusal::RefusalEvidence`.
    pub refusal_evidence: Option<String>,
    pub refusal_confidence: f64,
    /// The model call that asked for the answer; `None` for an uploaded one, as are the
    /// call's measures below.
    pub call_id: Option<i64>,
    /// Time to the answer, of the attempt that got it.
    pub latency_ms: Option<i64>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Requests it took (1 without retries).
    pub attempts: Option<i32>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
