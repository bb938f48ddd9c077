//! The audit log: one row per write request (and per write from the command line), appended
//! and never changed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    RequestId,
    Actor,
    Role,
    Action,
    Target,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string_len_null(AuditLog::RequestId, 64))
                    .col(string_len(AuditLog::Actor, 64))
                    .col(string_len_null(AuditLog::Role, 16))
                    .col(string_len(AuditLog::Action, 128))
                    .col(string_len(AuditLog::Target, 512))
                    .col(integer(AuditLog::Status))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_actor")
                    .table(AuditLog::Table)
                    .col(AuditLog::Actor)
                    .to_owned(),
            )
            .await
    }
}
