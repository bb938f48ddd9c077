//! A judge model's verdict on each answer of a run, beside refusal detection's: refused,
//! passed and its reason, or why the judge gave none. A later judge call asks again where
//! there is an error, and replaces that.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModelJudgments {
    Table,
    RunId,
    QuestionId,
    CallId,
    /// The judge model's name, as the call's settings give it.
    Model,
    Refused,
    Passed,
    Reason,
    /// Why there is no verdict (the call failed, or the reply held none).
    Error,
    RecordedAt,
}

#[derive(DeriveIden)]
enum TestRuns {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModelJudgments::Table)
                    .col(big_integer(ModelJudgments::RunId))
                    .col(big_integer(ModelJudgments::QuestionId))
                    .col(big_integer(ModelJudgments::CallId))
                    .col(string_len(ModelJudgments::Model, 200))
                    .col(boolean_null(ModelJudgments::Refused))
                    .col(boolean_null(ModelJudgments::Passed))
                    .col(text_null(ModelJudgments::Reason))
                    .col(text_null(ModelJudgments::Error))
                    .col(timestamp_with_time_zone(ModelJudgments::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(ModelJudgments::RunId)
                            .col(ModelJudgments::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelJudgments::Table, ModelJudgments::RunId)
                            .to(TestRuns::Table, TestRuns::Id),
                    )
                    .to_owned(),
            )
            .await
    }
}
