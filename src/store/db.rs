use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness as _};

use super::startup_lock::StartupLock;
use super::StoreError;
use crate::config::{DatabaseKind, SqliteSynchronous};
use crate::metrics::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// The pool's checkout wait; PostgreSQL's connect timeout follows it.
    wait: Duration,
    /// `database.sqlite_synchronous`: a per-connection pragma.
    synchronous: SqliteSynchronous,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.kind {
            DatabaseKind::Postgres(url) => PgConnection::establish(&with_timeouts(url, self.wait))
                .map(DbConn::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseKind::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first: concurrent writers then wait instead of failing.
                // SQLite leaves foreign keys off by default. (WAL is set once, in `connect`:
                // it is a property of the file, and switching it takes a write lock.)
                // synchronous: FULL syncs the WAL at each commit (durable on power loss);
                // NORMAL only at checkpoints (see README, Backups, for what it costs).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = {};",
                    self.synchronous.as_str()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection whose transaction state broke (the server went away mid-transaction) is
    /// dropped instead of returned to the pool; `is_valid` on checkout catches the rest, so
    /// the pool heals by itself once the database is back.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// libpq waits for a connection as long as the OS lets it unless told otherwise, and a
/// black-holed server then holds a pool thread for minutes: bound the connect to the pool's
/// wait (whole seconds, at least 1), and let unacknowledged writes on an open connection
/// fail after a few seconds instead of TCP's ~15 minutes. Settings already in the URL win.
fn with_timeouts(url: &str, wait: Duration) -> String {
    let connect = wait.as_millis().div_ceil(1000).max(1);
    let user_timeout = wait.as_millis().max(5000);
    let mut out = url.to_string();
    for (key, value) in [
        ("connect_timeout", connect),
        ("tcp_user_timeout", user_timeout),
    ] {
        if !out.contains(&format!("{key}=")) {
            let sep = if out.contains('?') { '&' } else { '?' };
            out.push_str(&format!("{sep}{key}={value}"));
        }
    }
    out
}

/// How long the start waits for its first connection (the database may be starting too).
const STARTUP_WAIT: Duration = Duration::from_secs(10);

/// Opens the pool (creating the SQLite file and its directory if needed) and runs the
/// embedded migrations of the backend. `wait` is how long a request waits for a connection
/// before it fails with `StoreError::Pool` (answered 503): short, since while the database
/// is down every request waits that long.
pub fn connect(kind: &DatabaseKind, pool_size: u32, wait: Duration) -> Result<Pool, StoreError> {
    connect_with(kind, pool_size, wait, SqliteSynchronous::default())
}

/// [`connect`] with SQLite's `synchronous` setting (`database.sqlite_synchronous`).
pub fn connect_with(
    kind: &DatabaseKind,
    pool_size: u32,
    wait: Duration,
    synchronous: SqliteSynchronous,
) -> Result<Pool, StoreError> {
    let (pool, lock) = connect_locked(kind, pool_size, wait, synchronous)?;
    lock.release();
    Ok(pool)
}

/// [`connect_with`], returning the startup lock the migrations ran under: the caller holds
/// it while it finishes what every start would otherwise race to do (the first keys), then
/// releases it for the next replica.
pub fn connect_locked(
    kind: &DatabaseKind,
    pool_size: u32,
    wait: Duration,
    synchronous: SqliteSynchronous,
) -> Result<(Pool, StartupLock), StoreError> {
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
    // Checked on checkout (`is_valid`): a connection the server dropped is replaced.
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        .connection_timeout(wait)
        .test_on_check_out(true)
        .error_handler(Box::new(QuietErrors::default()))
        .event_handler(Box::new(PoolEvents))
        .build_unchecked(Manager {
            kind: kind.clone(),
            wait,
            synchronous,
        });
    // The first connection waits for a database that is starting too.
    let mut conn = pool.get_timeout(STARTUP_WAIT.max(wait))?;
    let lock = match kind {
        DatabaseKind::Postgres(url) => StartupLock::postgres(&with_timeouts(url, wait))?,
        DatabaseKind::Sqlite(path) => StartupLock::sqlite(path)?,
    };
    run_migrations(&mut conn)?;
    Ok((pool, lock))
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

/// `/readyz` with its own short wait for a connection, shorter than requests get, so the
/// answer comes within about a second even while the database is down.
pub fn check_ready(pool: &Pool, wait: Duration) -> Result<(), StoreError> {
    let mut conn = pool.get_timeout(wait)?;
    ping(&mut conn)
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

/// Runs `f` in a savepoint of the caller's transaction and keeps what it wrote only when
/// `keep`: otherwise it is rolled back, and `f`'s success is all that remains. For the account
/// flows that must not reveal whether an address has an account: the unknown address's path
/// runs the same statements on a decoy and discards them, so the database does the same work
/// either way (which a fixed response delay, tuned to one machine, would not ensure).
pub fn savepoint<E>(
    conn: &mut DbConn,
    keep: bool,
    f: impl FnOnce(&mut DbConn) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection as _;
    /// Why the savepoint ended without being kept.
    enum Ended<E> {
        Discarded,
        Failed(E),
    }
    impl<E: From<diesel::result::Error>> From<diesel::result::Error> for Ended<E> {
        fn from(e: diesel::result::Error) -> Self {
            Ended::Failed(e.into())
        }
    }
    // Nested in the caller's transaction, diesel makes this a SAVEPOINT.
    let ended = conn.transaction(|conn| {
        f(conn).map_err(Ended::Failed)?;
        if keep {
            Ok(())
        } else {
            Err(Ended::Discarded)
        }
    });
    match ended {
        Ok(()) | Err(Ended::Discarded) => Ok(()),
        Err(Ended::Failed(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_bounded_timeouts_unless_they_set_their_own() {
        let ms = Duration::from_millis;
        assert_eq!(
            with_timeouts("postgres://u@h/db", ms(1000)),
            "postgres://u@h/db?connect_timeout=1&tcp_user_timeout=5000"
        );
        assert_eq!(
            with_timeouts("postgres://u@h/db?options=-csearch_path%3Dx", ms(1500)),
            "postgres://u@h/db?options=-csearch_path%3Dx&connect_timeout=2&tcp_user_timeout=5000"
        );
        assert_eq!(
            with_timeouts("postgres://u@h/db?connect_timeout=7", ms(50)),
            "postgres://u@h/db?connect_timeout=7&tcp_user_timeout=5000"
        );
    }
}

/// How long requests waited for a pooled connection, and how many gave up waiting: the
/// `ferrid_db_pool_wait_seconds` histogram and `ferrid_db_pool_timeouts_total`.
/// Process-wide, like the pool itself in production (tests open several pools in one
/// process and see their sum).
static POOL_WAIT: Histogram = Histogram::new();
static POOL_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

pub fn db_pool_wait() -> &'static Histogram {
    &POOL_WAIT
}

pub fn db_pool_timeouts() -> u64 {
    POOL_TIMEOUTS.load(Ordering::Relaxed)
}

#[derive(Debug)]
struct PoolEvents;

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        POOL_WAIT.observe(event.duration());
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        POOL_WAIT.observe(event.timeout());
        POOL_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
    }
}

/// r2d2 logs every failed connection attempt at ERROR, several a second per pool slot while
/// the database is down. Requests already answer 503 and say so; one warning per
/// `QUIET_PERIOD` is enough to tell an operator the database is unreachable.
#[derive(Debug, Default)]
struct QuietErrors {
    last_logged: std::sync::Mutex<Option<std::time::Instant>>,
}

const QUIET_PERIOD: Duration = Duration::from_secs(10);

impl<E: std::fmt::Display> r2d2::HandleError<E> for QuietErrors {
    fn handle_error(&self, error: E) {
        let Ok(mut last) = self.last_logged.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < QUIET_PERIOD) {
            log::debug!("database connection failed: {error}");
            return;
        }
        *last = Some(std::time::Instant::now());
        log::warn!("database connection failed (repeats logged at debug for 10 s): {error}");
    }
}
