//! Builds and lints: keyword kinds (block, allow, all_of), the number of error lints of each
//! entry (coverage counts them), numbered builds and the task log that reports their progress.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Keywords {
    Table,
    Kind,
    Risk,
    Status,
    UpdatedAt,
    LintErrors,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    LintErrors,
    Kind,
    Risk,
    Aspect,
    HighRisk,
    Status,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Builds {
    Table,
    Number,
    Status,
    TaskId,
    CreatedBy,
    CreatedAt,
    PublishedAt,
    FoldProfileId,
    FoldProfileHash,
    Sha256,
    Size,
    Counts,
    Coverage,
    Error,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Kind,
    Status,
    Stage,
    Done,
    Total,
    Result,
    Error,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Keywords::Table)
                    .add_column(string_len(Keywords::Kind, 16).default("block"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Keywords::Table)
                    .add_column(integer(Keywords::LintErrors).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(integer(Questions::LintErrors).default(0))
                    .to_owned(),
            )
            .await?;
        // Covering indexes of coverage's grouped counts (see services::coverage): keywords by
        // (risk, status, kind) counting flagged entries in the same scan, questions likewise
        // with their newest change.
        manager
            .create_index(
                Index::create()
                    .name("idx_keywords_counts")
                    .table(Keywords::Table)
                    .col(Keywords::Risk)
                    .col(Keywords::Status)
                    .col(Keywords::Kind)
                    .col(Keywords::LintErrors)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questions_coverage")
                    .table(Questions::Table)
                    .col(Questions::Kind)
                    .col(Questions::Risk)
                    .col(Questions::Aspect)
                    .col(Questions::HighRisk)
                    .col(Questions::Status)
                    .col(Questions::LintErrors)
                    .col(Questions::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        // Covers coverage's per-group MAX(updated_at) seeks on keywords.
        manager
            .create_index(
                Index::create()
                    .name("idx_keywords_coverage")
                    .table(Keywords::Table)
                    .col(Keywords::Risk)
                    .col(Keywords::Status)
                    .col(Keywords::Kind)
                    .col(Keywords::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(big_pk_auto(Tasks::Id))
                    .col(string_len(Tasks::Kind, 16))
                    .col(string_len(Tasks::Status, 16))
                    .col(string_len(Tasks::Stage, 32))
                    .col(integer(Tasks::Done))
                    .col(integer(Tasks::Total))
                    .col(text_null(Tasks::Result))
                    .col(text_null(Tasks::Error))
                    .col(string_len(Tasks::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Builds::Table)
                    .col(big_pk_auto(Builds::Number))
                    .col(string_len(Builds::Status, 16))
                    .col(big_integer(Builds::TaskId))
                    .col(string_len(Builds::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Builds::CreatedAt))
                    .col(timestamp_with_time_zone_null(Builds::PublishedAt))
                    .col(string_len(Builds::FoldProfileId, 64))
                    .col(string_len(Builds::FoldProfileHash, 64))
                    .col(string_len_null(Builds::Sha256, 64))
                    .col(big_integer_null(Builds::Size))
                    .col(text_null(Builds::Counts))
                    .col(text_null(Builds::Coverage))
                    .col(text_null(Builds::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Builds::Table, Builds::TaskId)
                            .to(Tasks::Table, Tasks::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_builds_status")
                    .table(Builds::Table)
                    .col(Builds::Status)
                    .to_owned(),
            )
            .await
    }
}
