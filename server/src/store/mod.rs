//! The store: sea-orm entities and the database connection.

pub mod entities;

use lexset_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to `url`, prepares the connection and brings the schema up to date.
///
/// SQLite gets write-ahead logging (a property of the database file, so setting it once is
/// enough); concurrent writers then wait for each other within sqlx's busy timeout. Every
/// other statement is portable SQL.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
