//! The refusal phrases as data: each proposed list is a version (the whole phrase file),
//! reviewed like an entry; the approved one is in force.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefusalPhraseVersions {
    Table,
    Id,
    /// The phrase file (TOML).
    Text,
    /// `draft`, `approved`, `rejected` or `retired`.
    Status,
    CreatedBy,
    CreatedAt,
    DecidedBy,
    DecidedAt,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefusalPhraseVersions::Table)
                    .col(big_pk_auto(RefusalPhraseVersions::Id))
                    .col(text(RefusalPhraseVersions::Text))
                    .col(string_len(RefusalPhraseVersions::Status, 16))
                    .col(string_len(RefusalPhraseVersions::CreatedBy, 64))
                    .col(timestamp_with_time_zone(RefusalPhraseVersions::CreatedAt))
                    .col(string_len_null(RefusalPhraseVersions::DecidedBy, 64))
                    .col(timestamp_with_time_zone_null(
                        RefusalPhraseVersions::DecidedAt,
                    ))
                    .col(text_null(RefusalPhraseVersions::Reason))
                    .to_owned(),
            )
            .await?;
        // One approved version at most, however approvals race.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX refusal_phrase_versions_one_approved \
                 ON refusal_phrase_versions (status) WHERE status = 'approved'",
            )
            .await?;
        Ok(())
    }
}
