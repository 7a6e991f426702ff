//! `ferrid backup FILE` and `ferrid restore FILE` (SQLite; PostgreSQL uses pg_dump and
//! pg_restore, see README, Backups).
use std::path::Path;

use super::{open_pool, CliError};
use crate::config::{DatabaseKind, Settings};
use crate::store::{backup, StoreError};

const USE_PG_DUMP: &str = "database.url is PostgreSQL: back it up with \
    `pg_dump --format=custom --file=ferrid.dump \"$DATABASE_URL\"` and restore into an empty \
    database with `pg_restore --no-owner --dbname=\"$DATABASE_URL\" ferrid.dump` (README, Backups)";

fn sqlite_path(settings: &Settings) -> Result<std::path::PathBuf, CliError> {
    match settings.database_kind() {
        Some(DatabaseKind::Sqlite(path)) => Ok(path),
        Some(DatabaseKind::Postgres(_)) => Err(CliError::Usage(USE_PG_DUMP.into())),
        None => Err(CliError::Usage(
            "database.url: unknown database scheme".into(),
        )),
    }
}

/// A consistent copy of the live database, taken while the server keeps running.
pub fn backup(settings: &Settings, dest: &Path) -> Result<(), CliError> {
    let source = sqlite_path(settings)?;
    if dest.exists() {
        return Err(CliError::Usage(format!(
            "{} already exists; choose a new file (a backup never overwrites)",
            dest.display()
        )));
    }
    if !source.is_file() {
        return Err(CliError::Failed(format!(
            "{}: no database to back up",
            source.display()
        )));
    }
    // The pool (which also brings the schema up to date) is not needed for a copy: one plain
    // connection to the file, like the running server's own.
    let mut conn = crate::store::DbConn::Sqlite(
        diesel::Connection::establish(&source.to_string_lossy())
            .map_err(|e| CliError::Failed(format!("{}: {e}", source.display())))?,
    );
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000;")
        .map_err(StoreError::from)?;
    // The copy holds what the database holds (password and secret hashes, sealed keys):
    // it is created readable by its owner only, and never over an existing file (SQLite
    // writes into an empty one).
    create_private(dest)?;
    if let Err(e) = backup::backup_sqlite(&mut conn, dest) {
        let _ = std::fs::remove_file(dest);
        return Err(e.into());
    }
    println!("backed up {} to {}", source.display(), dest.display());
    Ok(())
}

fn create_private(path: &Path) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Usage(format!(
                "{} already exists; choose a new file (a backup never overwrites)",
                path.display()
            ))
        } else {
            CliError::Failed(format!("{}: {e}", path.display()))
        }
    })
}

/// Puts a backup in place of an empty (or absent) database, then brings its schema up to
/// date. A database that holds users, clients or keys is refused: a restore replaces the
/// whole file, and nothing that happened since the backup should be lost by a typo.
pub fn restore(settings: &Settings, source: &Path) -> Result<(), CliError> {
    let target = sqlite_path(settings)?;
    backup::check_sqlite_backup(source).map_err(|e| CliError::Usage(e.to_string()))?;
    if target.exists() {
        let held = backup::sqlite_contents(&target)?;
        if !held.is_empty() {
            return Err(CliError::Failed(format!(
                "{} is not empty ({} users, {} clients, {} signing keys): restore only into \
                 an empty database; stop Ferrid and move the file away first",
                target.display(),
                held.users,
                held.clients,
                held.signing_keys
            )));
        }
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Failed(format!("{}: {e}", dir.display())))?;
    }
    // Copy beside the target and rename over it, so the database is never half written.
    let partial = target.with_extension("restoring");
    let io = |what: &Path, e: std::io::Error| CliError::Failed(format!("{}: {e}", what.display()));
    std::fs::copy(source, &partial).map_err(|e| io(&partial, e))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&partial, e))?;
    // The empty database's WAL and shared-memory files belong to the file being replaced.
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        let side = std::path::PathBuf::from(side);
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| io(&side, e))?;
        }
    }
    std::fs::rename(&partial, &target).map_err(|e| io(&target, e))?;
    open_pool(settings)?;
    println!("restored {} into {}", source.display(), target.display());
    Ok(())
}
