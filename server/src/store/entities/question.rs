use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};

/// An evaluation test question.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// 问题表述
    pub text: String,
    pub kind: QuestionKind,
    /// Risk code for `generation` and `must_refuse` questions.
    pub risk: Option<String>,
    /// Aspect code for `must_not_refuse` questions.
    pub aspect: Option<String>,
    pub high_risk: bool,
    /// 预期输出结果
    pub expected_output: Option<String>,
    /// 判定标准
    pub judgment_criteria: Option<String>,
    /// 是否应拒答; `None` only for generation questions nobody has said it of yet.
    pub expected_behavior: Option<ExpectedBehavior>,
    /// The 预期输出结果 or 判定标准 came from an answer template and no person has edited or
    /// confirmed them since.
    pub templated: bool,
    pub status: EntryStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one with every change; the `ETag` is `"<version>"`.
    pub version: i32,
    /// Exact dedup key under the current fold profile (see `dedup::keys`); `None` only for
    /// rows that predate it, until the start-up refold fills it in.
    #[serde(skip)]
    pub dedup_key: Option<String>,
    /// How many error lints the entry has (see `lint`); kept for coverage to count.
    #[serde(skip)]
    pub lint_errors: i32,
    /// The earlier live question this one nearly duplicates, if any: coverage counts the two
    /// once. Set when the text is written; `lexset refold` recomputes it.
    pub near_duplicate_of: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
