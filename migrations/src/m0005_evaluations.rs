//! Evaluations: a build run over the test sets (and a benign corpus), stored with the build.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Evaluations {
    Table,
    Id,
    BuildNumber,
    TaskId,
    Status,
    Statuses,
    CreatedBy,
    CreatedAt,
    FinishedAt,
    Result,
    Error,
}

#[derive(DeriveIden)]
enum Builds {
    Table,
    Number,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Evaluations::Table)
                    .col(big_pk_auto(Evaluations::Id))
                    .col(big_integer(Evaluations::BuildNumber))
                    .col(big_integer(Evaluations::TaskId))
                    .col(string_len(Evaluations::Status, 16))
                    .col(string_len(Evaluations::Statuses, 64))
                    .col(string_len(Evaluations::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Evaluations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Evaluations::FinishedAt))
                    .col(text_null(Evaluations::Result))
                    .col(text_null(Evaluations::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Evaluations::Table, Evaluations::BuildNumber)
                            .to(Builds::Table, Builds::Number),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Evaluations::Table, Evaluations::TaskId)
                            .to(Tasks::Table, Tasks::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evaluations_build")
                    .table(Evaluations::Table)
                    .col(Evaluations::BuildNumber)
                    .to_owned(),
            )
            .await
    }
}
