//! Coverage: each question may point at the earlier live question it nearly duplicates (so
//! coverage counts the pair once), indexed for the collapsed-duplicates join. The covering
//! indexes of the grouped counts follow in m0004, once entries have a kind and lint counts.

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
            .await
    }
}
