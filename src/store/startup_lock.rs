//! The lock every start holds while it migrates the schema and creates the first keys, so
//! replicas started at the same moment on a fresh database take turns: one migrates, the
//! others then find nothing to do. Without it PostgreSQL runs the same `CREATE TABLE` from
//! several sessions, and the losers fail on its catalog (`duplicate key value violates unique
//! constraint "pg_type_typname_nsp_index"`), since DDL takes no lock on a name that does not
//! exist yet.
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection};

use super::StoreError;

/// The first key of the two-key advisory lock; the second is the schema's hash, so tests
/// (one schema each, one database) do not wait for one another.
const ADVISORY_CLASS: i32 = 0x4665_7264; // "Ferd"

/// Held until dropped. On PostgreSQL a session-level advisory lock on a connection of its
/// own, outside the pool: a replica that dies holding it loses the session, and with it the
/// lock. On SQLite an exclusive `flock` on a file beside the database (the database file's
/// own locks belong to SQLite); the kernel drops it with the process.
pub struct StartupLock {
    held: Held,
}

enum Held {
    Postgres(PgConnection),
    /// Held for its lock only: closing the file releases it.
    #[allow(dead_code)]
    Sqlite(File),
}

impl StartupLock {
    /// Waits for the lock (a replica migrating holds it for a second or two).
    pub fn postgres(url: &str) -> Result<StartupLock, StoreError> {
        let mut conn = PgConnection::establish(url).map_err(|e| StoreError::Open(e.to_string()))?;
        conn.batch_execute(&format!(
            "SELECT pg_advisory_lock({ADVISORY_CLASS}, hashtext(coalesce(current_schema(), '')))"
        ))?;
        Ok(StartupLock {
            held: Held::Postgres(conn),
        })
    }

    /// Waits for the lock file of the database at `database`.
    pub fn sqlite(database: &Path) -> Result<StartupLock, StoreError> {
        let path = lock_path(database);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        file.lock()
            .map_err(|e| StoreError::Open(format!("{}: cannot lock: {e}", path.display())))?;
        Ok(StartupLock {
            held: Held::Sqlite(file),
        })
    }

    /// Lets the next replica in; dropping the lock does the same, less politely.
    pub fn release(mut self) {
        if let Held::Postgres(conn) = &mut self.held {
            // Closing the connection (on drop) would release it too.
            if let Err(e) = conn.batch_execute("SELECT pg_advisory_unlock_all()") {
                log::debug!("startup lock: {e}");
            }
        }
    }
}

impl std::fmt::Debug for StartupLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.held {
            Held::Postgres(_) => "StartupLock(postgres)",
            Held::Sqlite(_) => "StartupLock(sqlite)",
        })
    }
}

/// `ferrid.db` → `ferrid.db.startup-lock`.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".startup-lock");
    PathBuf::from(name)
}
