//! Coverage: each question may point at the earlier live question it nearly duplicates (so
//! coverage counts the pair once), and covering indexes for the grouped question counts
//! coverage runs (see `services::coverage` and docs/benchmarks.md; the keyword index follows
//! in m0004, once keywords have a kind).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Questions {
    Table,
    NearDuplicateOf,
    Kind,
    Risk,
    Aspect,
    HighRisk,
    Status,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(big_integer_null(Questions::NearDuplicateOf))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questions_near_duplicate_of")
                    .table(Questions::Table)
                    .col(Questions::NearDuplicateOf)
                    .col(Questions::Kind)
                    .col(Questions::Risk)
                    .col(Questions::Aspect)
                    .col(Questions::HighRisk)
                    .col(Questions::Status)
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
                    .col(Questions::UpdatedAt)
                    .to_owned(),
            )
            .await
    }
}
