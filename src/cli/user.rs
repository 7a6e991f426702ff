//! `ferrid user add` and `ferrid user set-role`.
use std::io::BufRead as _;

use super::{open_pool, CliError};
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::domain::{Email, Password, PasswordContext, Role};
use crate::store::audit::{self, Event, EventKind};
use crate::store::users::{self, NewUser};
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
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    let name = name.trim();
    let context = PasswordContext::new(&email, name);
    let password = Password::new(&read_password()?, &settings.password.policy(), &context)
        .map_err(|e| CliError::Usage(format!("password: {e}")))?;
    let hasher = PasswordHasher::new(settings.password.argon2())
        .map_err(|e| CliError::Usage(format!("password settings: {e}")))?;
    let hash = hasher.hash(&password);
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let role = if admin { Role::Admin } else { Role::User };
    let new = NewUser {
        email: &email,
        name,
        password_hash: &hash,
        role,
    };
    let user = match users::insert(&mut conn, &new, now) {
        Err(StoreError::Duplicate) => {
            return Err(CliError::Failed(format!(
                "a user with the email {} already exists; nothing was changed",
                email.as_str()
            )))
        }
        other => other?,
    };
    audit::record(
        &mut conn,
        &Event::new(EventKind::UserRegistered)
            .user(&user.id)
            .detail("cli"),
        now,
    )?;
    println!("created {} {} ({})", role.as_str(), email.as_str(), user.id);
    Ok(())
}

pub fn set_role(settings: &Settings, email: &str, role: &str, now: i64) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    let role = Role::parse(role).map_err(|e| CliError::Usage(format!("--role: {e}")))?;
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let Some(user) = users::find_by_email(&mut conn, &email)? else {
        return Err(CliError::Failed(format!(
            "no user has the email {}",
            email.as_str()
        )));
    };
    users::set_role(&mut conn, &email, role, now)?;
    let detail = format!("cli: {} -> {}", user.role.as_str(), role.as_str());
    audit::record(
        &mut conn,
        &Event::new(EventKind::RoleChanged)
            .user(&user.id)
            .detail(&detail),
        now,
    )?;
    println!("{} is now {}", email.as_str(), role.as_str());
    Ok(())
}
