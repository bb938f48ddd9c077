//! The store: sea-orm entities and the database connection.

pub mod entities;

use lexset_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to `url`, prepares the connection and brings the schema up to date.
///
/// SQLite gets write-ahead logging and a busy timeout so that concurrent writers wait for
/// each other instead of failing; every other statement is portable SQL.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
