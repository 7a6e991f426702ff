//! `ferrid apply FILE [--dry-run] [--prune]`: configuration as code (see `provision/`).
use std::collections::HashMap;
use std::path::Path;

use super::{open_pool, CliError};
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::provision::{self, Options, ProvisionError};
use crate::store::StoreError;

pub fn apply(
    settings: &Settings,
    file: &Path,
    options: Options,
    vars: HashMap<String, String>,
    now: i64,
) -> Result<(), CliError> {
    // The file is read and checked before the database is opened (or, for SQLite, made).
    let desired = provision::load(file, &vars, now).map_err(refused)?;
    let hasher = PasswordHasher::new(settings.password.argon2())
        .map_err(|e| CliError::Usage(format!("password settings: {e}")))?;
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let report = provision::provision(
        &mut conn,
        &desired,
        options,
        &hasher,
        &settings.password.policy(),
        now,
    )
    .map_err(refused)?;
    let verb = if options.dry_run { "would " } else { "" };
    for change in &report.changes {
        println!("{verb}{change}");
    }
    if report.changes.is_empty() {
        println!("nothing to change: the database matches {}", file.display());
    }
    Ok(())
}

fn refused(e: ProvisionError) -> CliError {
    match e {
        ProvisionError::File(_) | ProvisionError::Refused(_) => CliError::Usage(e.to_string()),
        ProvisionError::Account(_) | ProvisionError::Store(_) => CliError::Failed(e.to_string()),
    }
}
