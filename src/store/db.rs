use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness as _};

use super::StoreError;
use crate::config::DatabaseKind;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type for both backends; queries written once against it run on either.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Opens connections of the configured backend only. (The derived `DbConn::establish` tries
/// each backend in turn, and SQLite would happily create a file named like a postgres URL
/// whenever PostgreSQL is down.)
#[derive(Debug)]
pub struct Manager {
    kind: DatabaseKind,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.kind {
            DatabaseKind::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseKind::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first: concurrent writers then wait instead of failing.
                // SQLite leaves foreign keys off by default. (WAL is set once, in `connect`:
                // it is a property of the file, and switching it takes a write lock.)
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Opens the pool (creating the SQLite file and its directory if needed) and runs the
/// embedded migrations of the backend.
pub fn connect(kind: &DatabaseKind, pool_size: u32) -> Result<Pool, StoreError> {
    if let DatabaseKind::Sqlite(path) = kind {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Open(format!("{}: {e}", dir.display())))?;
        }
        // WAL lets readers run beside the one writer.
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|e| StoreError::Open(e.to_string()))?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")?;
    }
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        .connection_timeout(Duration::from_secs(10))
        .build(Manager { kind: kind.clone() })
        .map_err(|e| StoreError::Open(e.to_string()))?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;
    Ok(pool)
}

pub fn run_migrations(conn: &mut DbConn) -> Result<(), StoreError> {
    let result = match conn {
        DbConn::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| StoreError::Migration(e.to_string()))?;
    // Data that SQL cannot compute (UTS #39 skeletons) is filled in Rust, once per row.
    super::users::backfill_email_skeletons(conn)?;
    Ok(())
}

/// `/readyz`: can we run a query at all?
pub fn ping(conn: &mut DbConn) -> Result<(), StoreError> {
    conn.batch_execute("SELECT 1").map_err(StoreError::from)
}

/// SQLite has one writer per database. Writers of this process queue here instead of in
/// SQLite's busy handler, which sleeps 1–100 ms between retries and so sets the tail latency
/// of every write under load. Process-wide rather than per file: only tests open several
/// files in one process, and for them queueing costs nothing.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A transaction that writes. Callers start with a write statement (an UPDATE or DELETE), so
/// the transaction holds the write lock from its first statement and never has to upgrade a
/// read snapshot, which WAL refuses at once. PostgreSQL needs no queue: rows lock there.
pub fn write_transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection as _;
    let _queue = match conn {
        DbConn::Sqlite(_) => Some(SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner())),
        DbConn::Postgresql(_) => None,
    };
    conn.transaction(f)
}
