//! `ferrid user list|show|disable|enable|delete` and `ferrid session list|revoke`: the
//! console's user and session actions on the command line, through the same functions
//! (`accounts::admin`). `--json` names fields as the console does.
use serde_json::json;

use super::{open_pool, CliError};
use crate::accounts::admin::{self, Actor};
use crate::accounts::AccountError;
use crate::config::Settings;
use crate::store::console::{self, SessionCursor, UserCursor, UserOrder};
use crate::store::users::User;
use crate::store::{DbConn, StoreError};

/// Rows read per query while listing everything (keyset pages, as the console's).
const BATCH: i64 = 500;

fn connect(settings: &Settings) -> Result<crate::store::PooledConn, CliError> {
    let pool = open_pool(settings)?;
    Ok(pool.get().map_err(StoreError::from)?)
}

/// An account error as the CLI reports it: bad input is a usage error (exit 2), the rest
/// failed (exit 1).
fn failed(email: &str) -> impl Fn(AccountError) -> CliError + '_ {
    move |e| match e {
        AccountError::Invalid(e) => CliError::Usage(format!("--email: {e}")),
        AccountError::NoSuchUser => CliError::Failed(format!("no user has the email {email}")),
        other => CliError::Failed(other.to_string()),
    }
}

fn user_json(u: &User) -> serde_json::Value {
    json!({
        "id": u.id,
        "email": u.email.as_str(),
        "name": u.name,
        "role": u.role.as_str(),
        "disabled": u.disabled,
        "email_verified": u.email_verified,
        "created_at": u.created_at,
    })
}

fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Failed(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Every user whose address or name contains `search`, by address.
pub fn list(settings: &Settings, search: &str, json: bool) -> Result<(), CliError> {
    let mut conn = connect(settings)?;
    let mut all = Vec::new();
    let mut after: Option<UserCursor> = None;
    loop {
        let page = console::list_users(&mut conn, search, UserOrder::Email, after.as_ref(), BATCH)?;
        all.extend(page.rows);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if json {
        return print_json(&serde_json::Value::Array(
            all.iter().map(user_json).collect(),
        ));
    }
    for u in &all {
        let status = if u.disabled { "disabled" } else { "active" };
        let verified = if u.email_verified {
            "verified"
        } else {
            "unverified"
        };
        println!(
            "{}\t{}\t{status}\t{verified}\t{}",
            u.email.as_str(),
            u.role.as_str(),
            u.name
        );
    }
    Ok(())
}

pub fn show(settings: &Settings, email: &str, json: bool, now: i64) -> Result<(), CliError> {
    let mut conn = connect(settings)?;
    let user = admin::find_user(&mut conn, email).map_err(failed(email))?;
    let o = admin::user_overview(&mut conn, &user.id, now)
        .map_err(failed(email))?
        .ok_or_else(|| CliError::Failed(format!("no user has the email {email}")))?;
    if json {
        let mut value = user_json(&o.user);
        value["last_login"] = json!(o.last_login);
        value["sessions"] = json!(o.sessions.len());
        value["applications"] = json!(o
            .connections
            .iter()
            .map(|c| c.client_id.to_string())
            .collect::<Vec<_>>());
        return print_json(&value);
    }
    let u = &o.user;
    println!("email:          {}", u.email.as_str());
    println!("name:           {}", u.name);
    println!("role:           {}", u.role.as_str());
    println!("disabled:       {}", u.disabled);
    println!("email_verified: {}", u.email_verified);
    println!("created_at:     {}", u.created_at);
    match o.last_login {
        Some(t) => println!("last_login:     {t}"),
        None => println!("last_login:     -"),
    }
    println!("sessions:       {}", o.sessions.len());
    for c in &o.connections {
        println!(
            "application:    {} ({}): {}",
            c.client_name, c.client_id, c.scope
        );
    }
    Ok(())
}

/// Runs a change on the user with this address, as the CLI actor.
fn change<T>(
    settings: &Settings,
    email: &str,
    f: impl FnOnce(&mut DbConn, &str) -> Result<T, AccountError>,
) -> Result<T, CliError> {
    let mut conn = connect(settings)?;
    let user = admin::find_user(&mut conn, email).map_err(failed(email))?;
    f(&mut conn, &user.id).map_err(failed(email))
}

pub fn disable(settings: &Settings, email: &str, now: i64) -> Result<(), CliError> {
    change(settings, email, |c, id| {
        admin::set_disabled(c, id, true, Actor::Cli, now)
    })?;
    println!("{email} is disabled; their sessions, tokens and consents were revoked");
    Ok(())
}

pub fn enable(settings: &Settings, email: &str, now: i64) -> Result<(), CliError> {
    change(settings, email, |c, id| {
        admin::set_disabled(c, id, false, Actor::Cli, now)
    })?;
    println!("{email} is enabled");
    Ok(())
}

pub fn delete(settings: &Settings, email: &str, now: i64) -> Result<(), CliError> {
    change(settings, email, |c, id| {
        admin::delete_user(c, id, Actor::Cli, now)
    })?;
    println!("{email} is deleted");
    Ok(())
}

/// Live sessions, newest first, of one user or of everyone.
pub fn sessions(
    settings: &Settings,
    email: Option<&str>,
    json: bool,
    now: i64,
) -> Result<(), CliError> {
    let mut conn = connect(settings)?;
    let user_id = match email {
        Some(email) => Some(
            admin::find_user(&mut conn, email)
                .map_err(failed(email))?
                .id,
        ),
        None => None,
    };
    let mut all = Vec::new();
    let mut after: Option<SessionCursor> = None;
    loop {
        let page = console::list_sessions(
            &mut conn,
            user_id.as_deref(),
            "",
            after.as_ref(),
            BATCH,
            now,
        )?;
        all.extend(page.rows);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if json {
        let rows = all
            .iter()
            .map(|s| {
                json!({
                    "id": s.id_hash,
                    "email": s.email,
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                    "created_at": s.created_at,
                    "last_seen_at": s.last_seen_at,
                    "expires_at": s.expires_at,
                })
            })
            .collect();
        return print_json(&serde_json::Value::Array(rows));
    }
    for s in &all {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            s.id_hash,
            s.email,
            s.ip.as_deref().unwrap_or("-"),
            s.created_at,
            s.user_agent.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// Ends one session (`--id`, as `session list` prints it) or every login of a user
/// (`--email`: sessions, and their tokens at every application).
pub fn revoke(
    settings: &Settings,
    id: Option<&str>,
    email: Option<&str>,
    now: i64,
) -> Result<(), CliError> {
    match (id, email) {
        (Some(id), None) => {
            let mut conn = connect(settings)?;
            let ended = admin::revoke_session(&mut conn, id, Actor::Cli, now)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            if !ended {
                return Err(CliError::Failed(format!("no live session has the id {id}")));
            }
            println!("session revoked");
            Ok(())
        }
        (None, Some(email)) => {
            let r = change(settings, email, |c, id| {
                admin::revoke_all_logins(c, id, Actor::Cli, now)
            })?;
            println!(
                "{} session(s) of {email} ended, {} grant(s) revoked",
                r.sessions, r.grants
            );
            Ok(())
        }
        _ => Err(CliError::Usage(
            "give either --id ID (one session) or --email E (every session of a user)".into(),
        )),
    }
}
