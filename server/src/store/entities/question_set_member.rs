use sea_orm::entity::prelude::*;

use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};

/// A question of a frozen set as it was when the set was frozen: its revision number and a
/// copy of what filings show of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_set_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub set_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    /// The question's version when frozen (its revision of that number holds the same).
    pub revision: i32,
    /// Order in the set, from 0: exports list members in it.
    pub position: i32,
    pub text: String,
    pub kind: QuestionKind,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    pub expected_behavior: Option<ExpectedBehavior>,
    pub expected_output: Option<String>,
    pub judgment_criteria: Option<String>,
    pub status: EntryStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The question as it is now.
    #[sea_orm(
        belongs_to = "super::question::Entity",
        from = "Column::QuestionId",
        to = "super::question::Column::Id"
    )]
    Question,
}

impl Related<super::question::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Question.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
