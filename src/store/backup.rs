//! Backups of an SQLite database (`ferrid backup`, `ferrid restore`). PostgreSQL has its own
//! tools, pg_dump and pg_restore (README, Backups), which Ferrid does not wrap.
use std::path::Path;

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{sql_query, QueryableByName, SqliteConnection};

use super::{DbConn, StoreError};

/// Writes a consistent copy of the live database behind `conn` to `dest` with `VACUUM INTO`
/// (SQLite 3.27+). It reads one snapshot inside a read transaction, so in WAL mode writers
/// carry on meanwhile, and the copy holds every transaction committed before it began and
/// none after: no torn state, no -wal file to copy along. `dest` must not exist (SQLite
/// refuses to overwrite a non-empty file).
pub fn backup_sqlite(conn: &mut DbConn, dest: &Path) -> Result<(), StoreError> {
    let DbConn::Sqlite(conn) = conn else {
        return Err(StoreError::Open(
            "backup: this is a PostgreSQL database; use pg_dump".into(),
        ));
    };
    sql_query("VACUUM INTO ?")
        .bind::<Text, _>(dest.to_string_lossy().as_ref())
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A row of `PRAGMA integrity_check`.
#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text, column_name = integrity_check)]
    line: String,
}

/// What an SQLite file holds that a restore would overwrite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    pub users: i64,
    pub clients: i64,
    pub signing_keys: i64,
}

impl Contents {
    pub fn is_empty(&self) -> bool {
        *self == Contents::default()
    }
}

/// The rows of the tables that make an instance someone's (users, clients, signing keys) in
/// the SQLite file at `path`; a file without those tables counts as empty.
pub fn sqlite_contents(path: &Path) -> Result<Contents, StoreError> {
    let mut conn = open_existing(path)?;
    let mut count = |table: &str| -> Result<i64, StoreError> {
        let exists: Count =
            sql_query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
                .bind::<Text, _>(table)
                .get_result(&mut conn)?;
        if exists.n == 0 {
            return Ok(0);
        }
        // `table` is one of the names below, never input.
        let rows: Count =
            sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(&mut conn)?;
        Ok(rows.n)
    };
    Ok(Contents {
        users: count("users")?,
        clients: count("clients")?,
        signing_keys: count("signing_keys")?,
    })
}

/// Checks that `path` is an intact SQLite database written by Ferrid: `PRAGMA
/// integrity_check` passes and it has Ferrid's migration table.
pub fn check_sqlite_backup(path: &Path) -> Result<(), StoreError> {
    let mut conn = open_existing(path)?;
    let lines: Vec<Line> = sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| {
            StoreError::Open(format!("{}: not an SQLite database ({e})", path.display()))
        })?;
    if lines.len() != 1 || lines[0].line != "ok" {
        let found: Vec<&str> = lines.iter().take(3).map(|l| l.line.as_str()).collect();
        return Err(StoreError::Open(format!(
            "{}: damaged: {}",
            path.display(),
            found.join("; ")
        )));
    }
    let migrations: Count = sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' \
         AND name = '__diesel_schema_migrations'",
    )
    .get_result(&mut conn)?;
    if migrations.n == 0 {
        return Err(StoreError::Open(format!(
            "{}: not a Ferrid database (no migration table)",
            path.display()
        )));
    }
    Ok(())
}

/// Opens a file that must exist: SQLite would otherwise create an empty database there.
fn open_existing(path: &Path) -> Result<SqliteConnection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Open(format!(
            "{}: no such file",
            path.display()
        )));
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
    Ok(conn)
}
