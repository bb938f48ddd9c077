//! The foundation schema: risk taxonomy, must-not-refuse aspects, keywords, questions and the
//! revision log shared by both entry kinds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Risks {
    Table,
    Code,
    NameZh,
    NameEn,
    GroupCode,
    GroupNameZh,
    GroupNameEn,
    Position,
}

#[derive(DeriveIden)]
enum Aspects {
    Table,
    Code,
    NameZh,
    NameEn,
    Scope,
    Position,
}

#[derive(DeriveIden)]
enum Keywords {
    Table,
    Id,
    Term,
    Risk,
    Note,
    Source,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    Text,
    Kind,
    Risk,
    Aspect,
    HighRisk,
    ExpectedOutput,
    JudgmentCriteria,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Id,
    EntryKind,
    EntryId,
    Number,
    Action,
    Actor,
    Reason,
    Snapshot,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Risks::Table)
                    .col(string_len(Risks::Code, 16).primary_key())
                    .col(string(Risks::NameZh))
                    .col(string(Risks::NameEn))
                    .col(string_len(Risks::GroupCode, 8))
                    .col(string(Risks::GroupNameZh))
                    .col(string(Risks::GroupNameEn))
                    .col(integer(Risks::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Aspects::Table)
                    .col(string_len(Aspects::Code, 32).primary_key())
                    .col(string(Aspects::NameZh))
                    .col(string(Aspects::NameEn))
                    .col(string_len(Aspects::Scope, 16))
                    .col(integer(Aspects::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Keywords::Table)
                    .col(big_pk_auto(Keywords::Id))
                    .col(string_len(Keywords::Term, 400))
                    .col(string_len(Keywords::Risk, 16))
                    .col(text_null(Keywords::Note))
                    .col(text_null(Keywords::Source))
                    .col(string_len(Keywords::Status, 16))
                    .col(string_len(Keywords::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Keywords::CreatedAt))
                    .col(timestamp_with_time_zone(Keywords::UpdatedAt))
                    .col(integer(Keywords::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Keywords::Table, Keywords::Risk)
                            .to(Risks::Table, Risks::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_keywords_risk", Keywords::Risk),
            ("idx_keywords_status", Keywords::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Keywords::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    .col(big_pk_auto(Questions::Id))
                    .col(text(Questions::Text))
                    .col(string_len(Questions::Kind, 16))
                    .col(string_len_null(Questions::Risk, 16))
                    .col(string_len_null(Questions::Aspect, 32))
                    .col(boolean(Questions::HighRisk))
                    .col(text_null(Questions::ExpectedOutput))
                    .col(text_null(Questions::JudgmentCriteria))
                    .col(string_len(Questions::Status, 16))
                    .col(string_len(Questions::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Questions::CreatedAt))
                    .col(timestamp_with_time_zone(Questions::UpdatedAt))
                    .col(integer(Questions::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Questions::Table, Questions::Risk)
                            .to(Risks::Table, Risks::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Questions::Table, Questions::Aspect)
                            .to(Aspects::Table, Aspects::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_questions_kind", Questions::Kind),
            ("idx_questions_risk", Questions::Risk),
            ("idx_questions_status", Questions::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Questions::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Revisions::Table)
                    .col(big_pk_auto(Revisions::Id))
                    .col(string_len(Revisions::EntryKind, 16))
                    .col(big_integer(Revisions::EntryId))
                    .col(integer(Revisions::Number))
                    .col(string_len(Revisions::Action, 16))
                    .col(string_len(Revisions::Actor, 64))
                    .col(text_null(Revisions::Reason))
                    .col(text(Revisions::Snapshot))
                    .col(timestamp_with_time_zone(Revisions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revisions_entry_number")
                    .table(Revisions::Table)
                    .col(Revisions::EntryKind)
                    .col(Revisions::EntryId)
                    .col(Revisions::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
