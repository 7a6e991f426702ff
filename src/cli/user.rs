//! `ferrid user add` and `ferrid user set-role`: the same account operations as
//! registration and the console (`accounts::create_user`, `accounts::set_role`).
use std::io::BufRead as _;

use super::{open_pool, CliError};
use crate::accounts::{self, AccountError, Channel, NewAccount};
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::domain::{Email, Role};
use crate::store::StoreError;

/// One line from standard input, without its line ending.
fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::Usage(format!("cannot read the password from standard input: {e}"))
    })?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn add(
    settings: &Settings,
    email: &str,
    name: &str,
    admin: bool,
    now: i64,
) -> Result<(), CliError> {
    // A bad address is said before waiting for a password on standard input.
    Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    let role = if admin { Role::Admin } else { Role::User };
    let password = read_password()?;
    let new = NewAccount {
        email,
        name,
        password: &password,
        role,
    };
    let account = new.check(&settings.password.policy()).map_err(refused)?;
    let email = account.email().clone();
    let hasher = PasswordHasher::new(settings.password.argon2())
        .map_err(|e| CliError::Usage(format!("password settings: {e}")))?;
    let account = account.hash(&hasher);
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let user = match accounts::create_user(&mut conn, &account, Channel::Cli, now) {
        Err(AccountError::EmailTaken) => {
            return Err(CliError::Failed(format!(
                "a user with the email {} already exists; nothing was changed",
                email.as_str()
            )))
        }
        other => other.map_err(refused)?,
    };
    println!("created {} {} ({})", role.as_str(), email.as_str(), user.id);
    Ok(())
}

pub fn set_role(settings: &Settings, email: &str, role: &str, now: i64) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    let role = Role::parse(role).map_err(|e| CliError::Usage(format!("--role: {e}")))?;
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    match accounts::set_role(&mut conn, &email, role, Channel::Cli, now) {
        Ok(_) => {
            println!("{} is now {}", email.as_str(), role.as_str());
            Ok(())
        }
        Err(AccountError::NoSuchUser) => Err(CliError::Failed(format!(
            "no user has the email {}",
            email.as_str()
        ))),
        Err(e) => Err(refused(e)),
    }
}

/// A refused field or password is a usage error (exit 2); anything else failed (exit 1).
fn refused(e: AccountError) -> CliError {
    match e {
        AccountError::Password(e) => CliError::Usage(format!("password: {e}")),
        AccountError::Invalid(e) => CliError::Usage(e.to_string()),
        other => CliError::Failed(other.to_string()),
    }
}
