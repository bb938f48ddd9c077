use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// One judge's verdict on one answer of a run: inserted, never changed, so an answer's
/// verdicts are its history and a judge's latest one counts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "answer_verdicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub question_id: i64,
    /// 是否拒答: the judge confirms or corrects refusal detection.
    pub refused: bool,
    /// 是否合格.
    pub passed: bool,
    /// 判定理由.
    pub reason: Option<String>,
    pub judged_by: String,
    pub judged_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
