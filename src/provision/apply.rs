//! Carrying out a plan: each change through the function the CLI uses for it, each in its
//! own transaction (a failure part-way leaves what was done, and the next run does the
//! rest), then one `provision_applied` audit event when anything changed.
use super::file::Desired;
use super::plan::{plan, Change, Current};
use super::ProvisionError;
use crate::accounts::{self, AccountError, Channel, NewAccount, PreparedAccount, ValidAccount};
use crate::crypto::password::PasswordHasher;
use crate::domain::PasswordPolicy;
use crate::store::audit::{self, Event, EventKind};
use crate::store::{clients, users, write_transaction, DbConn, StoreError};

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Report what would change, write nothing.
    pub dry_run: bool,
    /// Delete clients the file does not name, and make admins it does not name plain users.
    pub prune: bool,
}

/// What changed (or, in a dry run, would), one line per change.
#[derive(Debug, Default)]
pub struct Report {
    pub changes: Vec<String>,
}

/// The audit detail is a summary; a long list is cut.
const MAX_DETAIL: usize = 1000;

/// Brings the database to what `desired` says. Every new user's password is checked
/// against the policy before anything is written, in a dry run too.
pub fn provision(
    conn: &mut DbConn,
    desired: &Desired,
    options: Options,
    hasher: &PasswordHasher,
    policy: &PasswordPolicy,
    now: i64,
) -> Result<Report, ProvisionError> {
    let current = current(conn, desired)?;
    let changes = plan(desired, &current, options.prune)?;
    let report = Report {
        changes: changes.iter().map(ToString::to_string).collect(),
    };
    let accounts = check_new_users(desired, &changes, policy)?;
    if options.dry_run || changes.is_empty() {
        return Ok(report);
    }
    // argon2 runs here, before any transaction holds the write lock.
    let accounts: Vec<PreparedAccount> = accounts.into_iter().map(|a| a.hash(hasher)).collect();
    for change in &changes {
        write(conn, change, &accounts, now)?;
    }
    let mut detail = format!("{} changes: {}", changes.len(), report.changes.join("; "));
    if detail.len() > MAX_DETAIL {
        let cut = (0..=MAX_DETAIL)
            .rev()
            .find(|i| detail.is_char_boundary(*i))
            .unwrap_or(0);
        detail.truncate(cut);
        detail.push('…');
    }
    write_transaction(conn, |conn| {
        audit::record(
            conn,
            &Event::new(EventKind::ProvisionApplied).detail(&detail),
            now,
        )
    })?;
    Ok(report)
}

/// The clients, the users the file names, and every administrator.
fn current(conn: &mut DbConn, desired: &Desired) -> Result<Current, StoreError> {
    let mut found = users::list_admins(conn)?;
    for wanted in &desired.users {
        if let Some(user) = users::find_by_email(conn, &wanted.email)? {
            if !found.iter().any(|u| u.id == user.id) {
                found.push(user);
            }
        }
    }
    Ok(Current {
        clients: clients::list(conn)?,
        users: found,
    })
}

fn check_new_users(
    desired: &Desired,
    changes: &[Change],
    policy: &PasswordPolicy,
) -> Result<Vec<ValidAccount>, ProvisionError> {
    let mut accounts = Vec::new();
    for change in changes {
        let Change::CreateUser { email, name, role } = change else {
            continue;
        };
        let password = desired
            .users
            .iter()
            .find(|u| &u.email == email)
            .and_then(|u| u.password.as_ref())
            .ok_or_else(|| {
                ProvisionError::Refused(format!("user {}: no password given", email.as_str()))
            })?;
        let account = NewAccount {
            email: email.as_str(),
            name,
            password: password.expose(),
            role: *role,
        }
        .check(policy)
        .map_err(|e| ProvisionError::Refused(format!("user {}: {e}", email.as_str())))?;
        accounts.push(account);
    }
    Ok(accounts)
}

fn write(
    conn: &mut DbConn,
    change: &Change,
    accounts: &[PreparedAccount],
    now: i64,
) -> Result<(), ProvisionError> {
    match change {
        Change::CreateClient(client) => {
            let mut client = client.clone();
            client.created_at = now;
            write_transaction(conn, |conn| clients::insert(conn, &client))?;
        }
        Change::UpdateClient { client, .. } => {
            write_transaction(conn, |conn| clients::replace(conn, client, now))?;
        }
        Change::DeleteClient { client_id, .. } => {
            write_transaction(conn, |conn| clients::delete(conn, client_id))?;
        }
        Change::CreateUser { email, .. } => {
            let account = accounts
                .iter()
                .find(|a| a.email() == email)
                .ok_or_else(|| {
                    ProvisionError::Refused(format!("user {}: not prepared", email.as_str()))
                })?;
            match accounts::create_user(conn, account, Channel::Provision, now) {
                Err(AccountError::EmailTaken) => {
                    return Err(ProvisionError::Refused(format!(
                    "user {}: the address (or one that looks like it) belongs to another account",
                    email.as_str()
                )))
                }
                other => {
                    other?;
                }
            }
        }
        Change::SetRole { email, to, .. } => {
            let user = users::find_by_email(conn, email)?.ok_or(AccountError::NoSuchUser)?;
            accounts::admin::set_role(conn, &user.id, *to, accounts::admin::Actor::Provision, now)?;
        }
    }
    Ok(())
}
