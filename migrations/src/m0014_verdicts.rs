//! Judging a run's answers: each verdict (是否拒答, 是否合格, 判定理由) is a row of its own, so
//! verdicts keep their history; a run says how many judges must agree (two: four eyes).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TestRuns {
    Table,
    Id,
    /// Judges whose latest verdicts must agree: 1, or 2 (four eyes).
    Judges,
}

#[derive(DeriveIden)]
enum AnswerVerdicts {
    Table,
    Id,
    RunId,
    QuestionId,
    Refused,
    Passed,
    Reason,
    JudgedBy,
    JudgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TestRuns::Table)
                    .add_column(integer(TestRuns::Judges).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnswerVerdicts::Table)
                    .col(big_pk_auto(AnswerVerdicts::Id))
                    .col(big_integer(AnswerVerdicts::RunId))
                    .col(big_integer(AnswerVerdicts::QuestionId))
                    .col(boolean(AnswerVerdicts::Refused))
                    .col(boolean(AnswerVerdicts::Passed))
                    .col(text_null(AnswerVerdicts::Reason))
                    .col(string_len(AnswerVerdicts::JudgedBy, 64))
                    .col(timestamp_with_time_zone(AnswerVerdicts::JudgedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AnswerVerdicts::Table, AnswerVerdicts::RunId)
                            .to(TestRuns::Table, TestRuns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("answer_verdicts_by_answer")
                    .table(AnswerVerdicts::Table)
                    .col(AnswerVerdicts::RunId)
                    .col(AnswerVerdicts::QuestionId)
                    .to_owned(),
            )
            .await
    }
}
