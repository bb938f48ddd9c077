//! The store: sea-orm entities and the database connection.

mod columns;
pub mod entities;

use lexset_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};

/// The SQLite writer's page cache, in KiB (a negative `cache_size` counts KiB).
const WRITER_CACHE_KIB: &str = "-65536";

/// sqlx pings a pooled connection before handing it out; for SQLite that is a message to the
/// connection's thread and back, as costly as a small query, and a connection to a local file
/// does not go stale.
const PING_SQLITE_BEFORE_USE: bool = false;

/// How many rows a SQLite connection's thread may hand over before the request reading them
/// takes any (sqlx's default is 50). A keyword page is 51 rows and an import chunk returns
/// 1 000 ids: with room for them all, the thread fills the channel in one go and the reader
/// wakes once or twice instead of once per row.
const SQLITE_ROWS_IN_FLIGHT: usize = 1024;

/// Opens a connection pool on `url`. `max_connections` sizes a PostgreSQL pool (default 10);
/// SQLite keeps sea-orm's single connection for writes, since its writers serialize anyway
/// (reads have their own pool: [`connect_readers`]). That connection is opened from the task
/// runtime and never closed for idleness or age, so the thread sqlx runs it on inherits the
/// task threads' lower CPU priority ([`crate::task_runtime`]): most of what it writes is
/// imports and builds, and reads come first. (Should it fail, sqlx reopens it from whichever
/// thread needs it, at that thread's priority.)
///
/// SQLite gets write-ahead logging (a property of the database file, so setting it once is
/// enough); concurrent writers then wait for each other within sqlx's busy timeout. Every
/// other statement is portable SQL.
pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if let Some(max) = max_connections.filter(|_| url.starts_with("postgres")) {
        options.max_connections(max);
    }
    if !is_sqlite(url) {
        return Database::connect(options).await;
    }
    keep_sqlite_connections(&mut options);
    // A large import's pages stay in the writer's cache until it commits instead of spilling
    // into the WAL early and being read back (the default cache is 2 MiB).
    options.map_sqlx_sqlite_opts(|sqlite| sqlite.pragma("cache_size", WRITER_CACHE_KIB));
    let db = crate::task_runtime::spawn(async move { Database::connect(options).await })
        .await
        .map_err(|error| DbErr::Custom(format!("opening the store stopped: {error}")))??;
    db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
    Ok(db)
}

/// The connections reads go through. SQLite: a pool of `readers` connections beside the one
/// writer, opened at once and kept; in WAL mode each reads the last committed state while the
/// writer holds its transaction, so no read waits for an import or a build. PostgreSQL: the
/// writer's pool, which serves reads and writes side by side already.
pub async fn connect_readers(
    url: &str,
    writer: &DatabaseConnection,
    readers: u32,
) -> Result<DatabaseConnection, DbErr> {
    if !is_sqlite(url) {
        return Ok(writer.clone());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    // All opened now, by the caller (the server's start, at its CPU priority), and kept: one
    // opened later by a task would run at the task threads' lower priority.
    let readers = readers.max(1);
    options
        .sqlx_logging(false)
        .max_connections(readers)
        .min_connections(readers);
    keep_sqlite_connections(&mut options);
    Database::connect(options).await
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// What the writer and the readers share on SQLite: connections kept for the life of the
/// process (never closed for idleness or age, so none is reopened at another thread's
/// priority), not pinged before use, and handing over up to [`SQLITE_ROWS_IN_FLIGHT`] rows.
fn keep_sqlite_connections(options: &mut ConnectOptions) {
    options
        .max_lifetime(None)
        .idle_timeout(None)
        .test_before_acquire(PING_SQLITE_BEFORE_USE)
        .map_sqlx_sqlite_opts(|sqlite| sqlite.row_buffer_size(SQLITE_ROWS_IN_FLIGHT));
}

/// How many connections of a pool are busy and idle now.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub busy: usize,
    pub idle: usize,
}

/// The pools behind `writer` and `readers`, named: on SQLite the one writer connection and
/// the readers' pool, elsewhere the one pool both use.
pub fn pool_usage(
    writer: &DatabaseConnection,
    readers: &DatabaseConnection,
) -> Vec<(&'static str, PoolUsage)> {
    let sqlite = |db: &DatabaseConnection| {
        let pool = db.get_sqlite_connection_pool();
        let idle = pool.num_idle();
        PoolUsage {
            busy: (pool.size() as usize).saturating_sub(idle),
            idle,
        }
    };
    match writer.get_database_backend() {
        DbBackend::Sqlite => vec![("writer", sqlite(writer)), ("readers", sqlite(readers))],
        DbBackend::Postgres => {
            let pool = writer.get_postgres_connection_pool();
            let idle = pool.num_idle();
            let busy = (pool.size() as usize).saturating_sub(idle);
            vec![("shared", PoolUsage { busy, idle })]
        }
        _ => Vec::new(),
    }
}

/// Brings the schema up to date in one transaction (both databases' DDL is transactional),
/// so a crash midway — say between copying a table and renaming the copy — leaves the schema
/// as it was. On PostgreSQL under an advisory lock as well: replicas starting together would
/// otherwise race on `CREATE TABLE`; the first migrates, the others wait and then find
/// nothing to do.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(5394613)")
            .await?;
    }
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// [`connect`] with the default pool size, then [`migrate`].
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url, None).await?;
    migrate(&db).await?;
    Ok(db)
}
