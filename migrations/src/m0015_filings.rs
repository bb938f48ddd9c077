//! Filing packages: one archive of everything a filing attaches, with its manifest, stored
//! whole and never changed, so downloading it later yields the same bytes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Filings {
    Table,
    Id,
    /// JSON: the files with their sha256 and size, the build, sets, runs, profiles, who, when.
    Manifest,
    /// The zip archive.
    Archive,
    Sha256,
    Size,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Filings::Table)
                    .col(big_pk_auto(Filings::Id))
                    .col(text(Filings::Manifest))
                    .col(blob(Filings::Archive))
                    .col(string_len(Filings::Sha256, 64))
                    .col(big_integer(Filings::Size))
                    .col(string_len(Filings::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Filings::CreatedAt))
                    .to_owned(),
            )
            .await
    }
}
