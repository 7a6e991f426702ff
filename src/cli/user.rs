//! `ferrid user add`, `ferrid user set-role` and `ferrid user reset-link`: the same account
//! operations as registration, the console and /forgot-password (`accounts::create_user`,
//! `accounts::set_role`, `accounts::reset_link`).
use std::io::BufRead as _;

use super::{open_pool, CliError};
use crate::accounts::admin::Actor;
use crate::accounts::{self, AccountError, Channel, Flows, NewAccount};
use crate::config::{RegistrationMode, Settings};
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
    let changed = accounts::admin::find_user(&mut conn, email.as_str())
        .and_then(|user| accounts::admin::set_role(&mut conn, &user.id, role, Actor::Cli, now));
    match changed {
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

/// Prints a reset link for the user with this address (exit 1 when there is none). The
/// link sits under `server.issuer`; without one, under the bind address, as `serve` would
/// derive it.
pub fn reset_link(settings: &Settings, email: &str, now: i64) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    let issuer = match &settings.server.issuer {
        Some(issuer) => issuer.to_string(),
        None => {
            let bind = settings.server.bind;
            eprintln!(
                "server.issuer is not set: the link assumes the server answers at http://{bind}"
            );
            format!("http://{bind}")
        }
    };
    let accounts = &settings.accounts;
    let flows = Flows {
        issuer: &issuer,
        ui: &settings.ui,
        require_verified_email: accounts.require_verified_email,
        registration_open: accounts.registration == RegistrationMode::Open,
        reset_token_lifetime: accounts.reset_token_lifetime,
        verification_token_lifetime: accounts.verification_token_lifetime,
    };
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    match accounts::reset_link(&mut conn, &flows, &email, now) {
        Ok(link) => {
            println!("{link}");
            eprintln!(
                "it works once, for {} minutes; hand it only to the account's owner",
                flows.reset_token_lifetime / 60
            );
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
