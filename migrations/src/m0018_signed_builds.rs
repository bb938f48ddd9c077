//! Signed builds: each build's manifest envelope (its payload and signatures, as published),
//! and the public keys builds were signed with, kept after a rotation so clients can fetch
//! every key they may meet. Private keys never enter the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Builds {
    Table,
    /// JSON: the manifest envelope; null for builds published before manifests.
    Manifest,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    KeyId,
    /// Base64 of the 32-byte ed25519 public key.
    PublicKey,
    /// When a replica first signed with it.
    FirstUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Builds::Table)
                    .add_column(text_null(Builds::Manifest))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(string_len(SigningKeys::KeyId, 40).primary_key())
                    .col(string_len(SigningKeys::PublicKey, 64))
                    .col(timestamp_with_time_zone(SigningKeys::FirstUsedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Builds::Table)
                    .drop_column(Builds::Manifest)
                    .to_owned(),
            )
            .await
    }
}
