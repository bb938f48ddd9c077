//! Several replicas on one database: artefacts stored in the database (no replica's disk holds
//! anything shared), and task leases (the replica running a task and its last heartbeat), so a
//! task whose replica died is marked failed by the others.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BuildArtifacts {
    Table,
    BuildNumber,
    Bytes,
}

#[derive(DeriveIden)]
enum Builds {
    Table,
    Number,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Owner,
    HeartbeatAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BuildArtifacts::Table)
                    .col(big_integer(BuildArtifacts::BuildNumber).primary_key())
                    .col(blob(BuildArtifacts::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BuildArtifacts::Table, BuildArtifacts::BuildNumber)
                            .to(Builds::Table, Builds::Number),
                    )
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Tasks::Table)
                    .add_column(string_len_null(Tasks::Owner, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tasks::Table)
                    .add_column(timestamp_with_time_zone_null(Tasks::HeartbeatAt))
                    .to_owned(),
            )
            .await
    }
}
