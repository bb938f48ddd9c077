//! Test runs: a frozen question set put to the model under filing, and its answers. An answer
//! is stored once per run and question, at the revision the set pinned, with what refusal
//! detection made of it; a re-run is a new run, so nothing recorded is overwritten.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TestRuns {
    Table,
    Id,
    SetId,
    ModelName,
    ModelVersion,
    /// Free text: where and how the model was reached (a description, never a key).
    ModelEndpoint,
    BuildNumber,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TestAnswers {
    Table,
    RunId,
    QuestionId,
    /// The member's pinned revision: the question text the answer answers.
    Revision,
    Answer,
    Refused,
    RefusalRule,
    /// JSON of the phrase that decided or was found, with its span; null without one.
    RefusalEvidence,
    RefusalConfidence,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum QuestionSets {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TestRuns::Table)
                    .col(big_pk_auto(TestRuns::Id))
                    .col(big_integer(TestRuns::SetId))
                    .col(string_len(TestRuns::ModelName, 128))
                    .col(string_len(TestRuns::ModelVersion, 128))
                    .col(text_null(TestRuns::ModelEndpoint))
                    .col(big_integer_null(TestRuns::BuildNumber))
                    .col(string_len(TestRuns::CreatedBy, 64))
                    .col(timestamp_with_time_zone(TestRuns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestRuns::Table, TestRuns::SetId)
                            .to(QuestionSets::Table, QuestionSets::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TestAnswers::Table)
                    .col(big_integer(TestAnswers::RunId))
                    .col(big_integer(TestAnswers::QuestionId))
                    .col(integer(TestAnswers::Revision))
                    .col(text(TestAnswers::Answer))
                    .col(boolean(TestAnswers::Refused))
                    .col(string_len(TestAnswers::RefusalRule, 32))
                    .col(text_null(TestAnswers::RefusalEvidence))
                    .col(double(TestAnswers::RefusalConfidence))
                    .col(string_len(TestAnswers::RecordedBy, 64))
                    .col(timestamp_with_time_zone(TestAnswers::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(TestAnswers::RunId)
                            .col(TestAnswers::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestAnswers::Table, TestAnswers::RunId)
                            .to(TestRuns::Table, TestRuns::Id),
                    )
                    .to_owned(),
            )
            .await
    }
}
