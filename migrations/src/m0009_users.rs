//! Users: tokens belong to a user, and the user's name is the actor of every change, so two
//! tokens of one person are one reviewer for four eyes.
//!
//! Tokens made before this migration carry their holder's name: one user is created per
//! distinct token name (with the `created_by` and `created_at` of its oldest token), and every
//! token is linked to the user of its name, which stays the token's label. `api_tokens` gains
//! a non-null `user_id` referencing `users`: PostgreSQL adds the column, fills it and makes it
//! `NOT NULL`; SQLite, whose `ALTER TABLE` cannot add a non-null foreign key, copies the table
//! into one with the column and replaces it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Role,
    SecretHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    UserId,
}

/// The table SQLite copies `api_tokens` into before it takes its name.
#[derive(DeriveIden)]
enum ApiTokensWithUsers {
    Table,
}

/// The columns `api_tokens` had before this migration, in the order of m0007.
const TOKEN_COLUMNS: [ApiTokens; 8] = [
    ApiTokens::Id,
    ApiTokens::Name,
    ApiTokens::Role,
    ApiTokens::SecretHash,
    ApiTokens::CreatedBy,
    ApiTokens::CreatedAt,
    ApiTokens::ExpiresAt,
    ApiTokens::RevokedAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Name, 64))
                    .col(string_len(Users::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager.exec_stmt(users_of_existing_tokens()?).await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => link_by_copying(manager).await?,
            _ => link_in_place(manager).await?,
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_user_id")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await
    }
}

/// One user per distinct token name, made when and by whom its oldest token was.
fn users_of_existing_tokens() -> Result<InsertStatement, DbErr> {
    let oldest_of_each_name = Query::select()
        .expr(Expr::col(ApiTokens::Id).min())
        .from(ApiTokens::Table)
        .group_by_col(ApiTokens::Name)
        .to_owned();
    Query::insert()
        .into_table(Users::Table)
        .columns([Users::Name, Users::CreatedBy, Users::CreatedAt])
        .select_from(
            Query::select()
                .columns([ApiTokens::Name, ApiTokens::CreatedBy, ApiTokens::CreatedAt])
                .from(ApiTokens::Table)
                .and_where(Expr::col(ApiTokens::Id).in_subquery(oldest_of_each_name))
                .order_by(ApiTokens::Id, Order::Asc)
                .to_owned(),
        )
        .map_err(|e| DbErr::Migration(e.to_string()))
        .map(|insert| insert.to_owned())
}

/// The id of the user named like the token of the row being read (`api_tokens.name`).
fn user_of_token_name() -> SelectStatement {
    Query::select()
        .column((Users::Table, Users::Id))
        .from(Users::Table)
        .and_where(
            Expr::col((Users::Table, Users::Name)).equals((ApiTokens::Table, ApiTokens::Name)),
        )
        .to_owned()
}

fn user_reference() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk_api_tokens_user_id")
        .from(ApiTokens::Table, ApiTokens::UserId)
        .to(Users::Table, Users::Id)
        .to_owned()
}

/// PostgreSQL: add the column (nullable), fill it, then make it `NOT NULL`.
async fn link_in_place(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(ApiTokens::Table)
                .add_column(big_integer_null(ApiTokens::UserId))
                .add_foreign_key(user_reference().get_foreign_key())
                .to_owned(),
        )
        .await?;
    manager
        .exec_stmt(
            Query::update()
                .table(ApiTokens::Table)
                .value(
                    ApiTokens::UserId,
                    SimpleExpr::SubQuery(
                        None,
                        Box::new(user_of_token_name().into_sub_query_statement()),
                    ),
                )
                .to_owned(),
        )
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(ApiTokens::Table)
                .modify_column(ColumnDef::new(ApiTokens::UserId).big_integer().not_null())
                .to_owned(),
        )
        .await
}

/// SQLite: copy every token, with its user, into a table that has the column, and let that
/// table take the old one's name.
async fn link_by_copying(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ApiTokensWithUsers::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(string_len(ApiTokens::Name, 64))
                .col(string_len(ApiTokens::Role, 16))
                .col(string_len_uniq(ApiTokens::SecretHash, 64))
                .col(string_len(ApiTokens::CreatedBy, 64))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .col(big_integer(ApiTokens::UserId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_user_id")
                        .from(ApiTokensWithUsers::Table, ApiTokens::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
    let mut copied = Query::select();
    copied
        .columns(TOKEN_COLUMNS.map(|column| (ApiTokens::Table, column)))
        .expr(SimpleExpr::SubQuery(
            None,
            Box::new(user_of_token_name().into_sub_query_statement()),
        ))
        .from(ApiTokens::Table);
    let mut columns: Vec<ApiTokens> = TOKEN_COLUMNS.into();
    columns.push(ApiTokens::UserId);
    manager
        .exec_stmt(
            Query::insert()
                .into_table(ApiTokensWithUsers::Table)
                .columns(columns)
                .select_from(copied)
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned(),
        )
        .await?;
    manager
        .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(ApiTokensWithUsers::Table, ApiTokens::Table)
                .to_owned(),
        )
        .await
}
