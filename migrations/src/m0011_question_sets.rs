//! Question sets: named, versioned, frozen collections of questions, each member pinned at the
//! revision it had when the set was frozen (its content copied, so later edits and retirements
//! change nothing a filing attached).
//!
//! It also indexes revisions by `(entry_kind, created_at)`: freshness rules ask for the newest
//! change of a kind that people made (added, approved, retired), which then walks the newest
//! revisions first instead of every revision of the kind. Freshness no longer reads
//! `updated_at`, and coverage counts questions by expected behaviour: the keyword index of
//! per-group `MAX(updated_at)` seeks goes, and the questions' covering index gains the
//! behaviour in place of `updated_at`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuestionSets {
    Table,
    Id,
    Name,
    Version,
    Description,
    /// JSON: how the members were chosen (filter, ids, sampler with its seed, composer).
    Recipe,
    MemberCount,
    CreatedBy,
    CreatedAt,
    RetiredBy,
    RetiredAt,
}

#[derive(DeriveIden)]
enum QuestionSetMembers {
    Table,
    SetId,
    QuestionId,
    /// The question's version (= revision number) when the set was frozen.
    Revision,
    Position,
    Text,
    Kind,
    Risk,
    Aspect,
    HighRisk,
    ExpectedBehavior,
    ExpectedOutput,
    JudgmentCriteria,
    Status,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Kind,
    Risk,
    Aspect,
    HighRisk,
    ExpectedBehavior,
    Status,
    LintErrors,
}

#[derive(DeriveIden)]
enum Keywords {
    Table,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
    EntryKind,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuestionSets::Table)
                    .col(big_pk_auto(QuestionSets::Id))
                    .col(string_len(QuestionSets::Name, 128))
                    .col(integer(QuestionSets::Version))
                    .col(text_null(QuestionSets::Description))
                    .col(text(QuestionSets::Recipe))
                    .col(big_integer(QuestionSets::MemberCount))
                    .col(string_len(QuestionSets::CreatedBy, 64))
                    .col(timestamp_with_time_zone(QuestionSets::CreatedAt))
                    .col(string_len_null(QuestionSets::RetiredBy, 64))
                    .col(timestamp_with_time_zone_null(QuestionSets::RetiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_question_sets_name_version")
                    .table(QuestionSets::Table)
                    .col(QuestionSets::Name)
                    .col(QuestionSets::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuestionSetMembers::Table)
                    .col(big_integer(QuestionSetMembers::SetId))
                    .col(big_integer(QuestionSetMembers::QuestionId))
                    .col(integer(QuestionSetMembers::Revision))
                    .col(integer(QuestionSetMembers::Position))
                    .col(text(QuestionSetMembers::Text))
                    .col(string_len(QuestionSetMembers::Kind, 32))
                    .col(string_len_null(QuestionSetMembers::Risk, 16))
                    .col(string_len_null(QuestionSetMembers::Aspect, 32))
                    .col(boolean(QuestionSetMembers::HighRisk))
                    .col(string_len_null(QuestionSetMembers::ExpectedBehavior, 16))
                    .col(text_null(QuestionSetMembers::ExpectedOutput))
                    .col(text_null(QuestionSetMembers::JudgmentCriteria))
                    .col(string_len(QuestionSetMembers::Status, 16))
                    .primary_key(
                        Index::create()
                            .col(QuestionSetMembers::SetId)
                            .col(QuestionSetMembers::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuestionSetMembers::Table, QuestionSetMembers::SetId)
                            .to(QuestionSets::Table, QuestionSets::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Which sets hold a question: samplers exclude earlier sets' members by it.
        manager
            .create_index(
                Index::create()
                    .name("idx_question_set_members_question")
                    .table(QuestionSetMembers::Table)
                    .col(QuestionSetMembers::QuestionId)
                    .col(QuestionSetMembers::SetId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revisions_kind_created")
                    .table(Revisions::Table)
                    .col(Revisions::EntryKind)
                    .col(Revisions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_keywords_coverage")
                    .table(Keywords::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_questions_coverage")
                    .table(Questions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questions_counts")
                    .table(Questions::Table)
                    .col(Questions::Kind)
                    .col(Questions::Risk)
                    .col(Questions::Aspect)
                    .col(Questions::HighRisk)
                    .col(Questions::ExpectedBehavior)
                    .col(Questions::Status)
                    .col(Questions::LintErrors)
                    .to_owned(),
            )
            .await
    }
}
