//! Deduplication: folded keys on entries, LSH band hashes of questions, per-kind write locks
//! and the store's own state (which fold profile the keys were computed with).
//!
//! The keys are filled in by the service at start (it owns the fold profile): rows that
//! predate this migration get theirs then, and a changed profile recomputes all of them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Keywords {
    Table,
    DedupKey,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    DedupKey,
}

#[derive(DeriveIden)]
enum QuestionBands {
    Table,
    Id,
    QuestionId,
    Hash,
}

#[derive(DeriveIden)]
enum WriteLocks {
    Table,
    EntryKind,
    Generation,
}

#[derive(DeriveIden)]
enum StoreState {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Keywords::Table)
                    .add_column(string_len_null(Keywords::DedupKey, 1024))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(string_len_null(Questions::DedupKey, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_keywords_dedup_key")
                    .table(Keywords::Table)
                    .col(Keywords::DedupKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questions_dedup_key")
                    .table(Questions::Table)
                    .col(Questions::DedupKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuestionBands::Table)
                    .col(big_pk_auto(QuestionBands::Id))
                    .col(big_integer(QuestionBands::QuestionId))
                    .col(big_integer(QuestionBands::Hash))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuestionBands::Table, QuestionBands::QuestionId)
                            .to(Questions::Table, Questions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_question_bands_hash", QuestionBands::Hash),
            ("idx_question_bands_question", QuestionBands::QuestionId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(QuestionBands::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(WriteLocks::Table)
                    .col(string_len(WriteLocks::EntryKind, 16).primary_key())
                    .col(big_integer(WriteLocks::Generation))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(WriteLocks::Table)
                    .columns([WriteLocks::EntryKind, WriteLocks::Generation])
                    .values_panic(["keyword".into(), 0.into()])
                    .values_panic(["question".into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoreState::Table)
                    .col(string_len(StoreState::Name, 64).primary_key())
                    .col(text(StoreState::Value))
                    .to_owned(),
            )
            .await
    }
}
