//! What administrators do to other people's accounts: the one implementation behind the web
//! console (`web::admin`) and the `ferrid user` and `ferrid session` commands. Every change
//! is audited, naming the administrator (`Actor`) in the detail.
use super::credentials::{confirm_current, end_logins};
use super::mailing::{issue_link, queue};
use super::users::RoleChange;
use super::{list_connections, AccountError, Accounts, Connection, Flows};
use crate::domain::{Email, LineField, ProfileLine, Role, TokenHash};
use crate::mail::Mail;
use crate::store::audit::StoredEvent;
use crate::store::audit::{self, Event, EventKind};
use crate::store::console::SessionInfo;
use crate::store::one_time_tokens::Purpose;
use crate::store::users::{self, NewUser, User};
use crate::store::{consents, console, sessions, write_transaction, DbConn, Pool, StoreError};

/// Who makes an administrative change, as the audit log names them.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// An administrator in the web console.
    Console {
        admin_id: &'a str,
        email: &'a str,
        ip: Option<&'a str>,
    },
    /// `ferrid` on the command line (whoever can run it can read the database).
    Cli,
    /// Configuration as code (`ferrid apply`, `provision.file`).
    Provision,
}

impl Actor<'_> {
    pub fn ip(&self) -> Option<&str> {
        match self {
            Actor::Console { ip, .. } => *ip,
            Actor::Cli | Actor::Provision => None,
        }
    }

    /// The audit detail's prefix: "console, by admin@example.com" or "cli".
    pub fn describe(&self) -> String {
        match self {
            Actor::Console { email, .. } => format!("console, by {email}"),
            Actor::Cli => "cli".to_string(),
            Actor::Provision => "provision".to_string(),
        }
    }

    /// The event of a change to `subject`, with the actor and `what` in its detail.
    fn record(
        &self,
        conn: &mut DbConn,
        kind: EventKind,
        subject: &str,
        what: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let detail = match what {
            "" => self.describe(),
            what => format!("{}: {what}", self.describe()),
        };
        let event = Event::new(kind).user(subject).ip(self.ip()).detail(&detail);
        audit::record(conn, &event, now)
    }
}

/// The user with this id, or `NoSuchUser`.
fn existing(conn: &mut DbConn, user_id: &str) -> Result<User, AccountError> {
    users::find_by_id(conn, user_id)?.ok_or(AccountError::NoSuchUser)
}

/// Marks the user's address as theirs (an administrator checked it another way).
pub fn mark_email_verified(
    conn: &mut DbConn,
    user_id: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        if !user.email_verified {
            users::mark_email_verified(conn, &user.id, now)?;
            actor.record(conn, EventKind::EmailVerified, &user.id, "", now)?;
        }
        Ok(user)
    })
}

/// A logged-in user who is not an administrator asked for a console page: recorded, so an
/// administrator can see who probes the console.
pub fn record_permission_denied(
    conn: &mut DbConn,
    user_id: &str,
    path: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    // The path only, never the query: a query could carry anything.
    let path: String = path.chars().take(200).collect();
    let event = Event::new(EventKind::PermissionDenied)
        .user(user_id)
        .ip(ip)
        .detail(&path);
    audit::record(conn, &event, now)?;
    Ok(())
}

/// Sudo mode: the administrator typed their password again to make a console change. The
/// check is throttled and a wrong password audited like the current-password check on
/// /account (`WrongPassword`); a right one renews the session's `auth_time`, so the next
/// `admin.sudo_window` seconds of changes need no password, and is audited.
pub fn reauthenticate(
    pool: &Pool,
    accounts: &Accounts<'_>,
    user_id: &str,
    session: &TokenHash,
    password: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let purpose = "password re-entered for a console change (sudo mode)";
    let (user, _) = confirm_current(pool, accounts, user_id, password, purpose, ip, now)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    write_transaction(&mut conn, |conn| {
        sessions::reauthenticated(conn, session, now)?;
        let event = Event::new(EventKind::SudoReauthenticated)
            .user(&user.id)
            .ip(ip);
        audit::record(conn, &event, now)?;
        Ok::<_, AccountError>(())
    })
}

/// The user with this address (the CLI names users by address), or `NoSuchUser`.
pub fn find_user(conn: &mut DbConn, email: &str) -> Result<User, AccountError> {
    let email = Email::parse(email)?;
    users::find_by_email(conn, &email)?.ok_or(AccountError::NoSuchUser)
}

/// Refuses a change that would leave no enabled administrator (`LastAdmin`): demoting,
/// disabling or deleting `user` when they are the only one. Run first in the change's
/// transaction: it locks every administrator's row (on PostgreSQL; SQLite has one writer),
/// so two administrators removing each other at once cannot both pass.
fn ensure_not_last_admin(conn: &mut DbConn, user: &User) -> Result<(), AccountError> {
    console::lock_admins(conn)?;
    if user.role == Role::Admin && !user.disabled && console::enabled_admins(conn)? <= 1 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}

/// The new user an administrator makes: the address (verified: the administrator typed it),
/// an optional name, the role. They get no password: a link to choose one is mailed.
pub fn create_user(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    email: &str,
    name: &str,
    role: Role,
    actor: Actor<'_>,
    now: i64,
) -> Result<User, AccountError> {
    let email = Email::parse(email)?;
    let name = ProfileLine::parse(LineField::Name, name)?;
    let name = name.as_ref().map_or("", ProfileLine::as_str);
    write_transaction(conn, |conn| {
        let new = NewUser {
            email: &email,
            name,
            password_hash: "",
            role,
            email_verified: true,
        };
        let user = match users::insert(conn, &new, now) {
            Err(StoreError::Duplicate) => return Err(AccountError::EmailTaken),
            other => other?,
        };
        // No password until the owner chooses one (an unusable hash would be one more
        // thing a login must tell apart; none is checked against the dummy hash, as an
        // unknown address is).
        users::forget_password(conn, &user.id)?;
        let token = issue_link(conn, flows, Purpose::SetPassword, &user.id, None, now)?;
        let link = flows.links().reset_password(token.as_str());
        queue(
            conn,
            flows,
            Mail::SetPassword { link: &link },
            &user.email,
            now,
        )?;
        let what = format!(
            "{} {}, set-password link mailed",
            role.as_str(),
            user.email.as_str()
        );
        actor.record(conn, EventKind::UserCreated, &user.id, &what, now)?;
        Ok(user)
    })
}

/// What revoking a user's logins ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revoked {
    pub sessions: usize,
    /// Grants revoked: every refresh and access token issued under them stops working.
    pub grants: usize,
}

/// Ends everything that lets someone act as the user: sessions, grants (and so every
/// refresh and access token), unredeemed codes, and, when `consents`, their consents (an
/// application must ask again).
fn revoke_everything(
    conn: &mut DbConn,
    user_id: &str,
    with_consents: bool,
    now: i64,
) -> Result<Revoked, StoreError> {
    let ended = end_logins(conn, user_id, None, now)?;
    if with_consents {
        consents::withdraw_all_of(conn, user_id)?;
    }
    Ok(Revoked {
        sessions: ended.sessions,
        grants: ended.grants,
    })
}

/// Disables the user (they can neither log in nor refresh; their access tokens are refused
/// at /userinfo and inactive at /introspect) or enables them again. Disabling ends at once
/// their sessions, grants, unredeemed codes and consents. The last enabled administrator
/// cannot be disabled.
pub fn set_disabled(
    conn: &mut DbConn,
    user_id: &str,
    disabled: bool,
    actor: Actor<'_>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        if user.disabled == disabled {
            return Ok(user);
        }
        if disabled {
            ensure_not_last_admin(conn, &user)?;
        }
        console::set_disabled(conn, &user.id, disabled, now)?;
        if disabled {
            let r = revoke_everything(conn, &user.id, true, now)?;
            let what = format!(
                "{} session(s) ended, {} grant(s) revoked",
                r.sessions, r.grants
            );
            actor.record(conn, EventKind::UserDisabled, &user.id, &what, now)?;
        } else {
            actor.record(conn, EventKind::UserEnabled, &user.id, "", now)?;
        }
        Ok(User { disabled, ..user })
    })
}

/// Deletes the user and, with them, their sessions, grants and tokens, codes, consents and
/// links. The address can register again (as a new account, with a new `sub`). The audit
/// log keeps their events, and this one names the address. The last enabled administrator
/// cannot be deleted.
pub fn delete_user(
    conn: &mut DbConn,
    user_id: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        ensure_not_last_admin(conn, &user)?;
        // Revoked first, not only cascaded away: a replica's cached token check then
        // sees a revoked grant rather than an unknown one.
        let r = revoke_everything(conn, &user.id, true, now)?;
        console::delete_user(conn, &user.id)?;
        let what = format!(
            "{} ({}): {} session(s) ended, {} grant(s) revoked",
            user.email.as_str(),
            user.role.as_str(),
            r.sessions,
            r.grants
        );
        actor.record(conn, EventKind::UserDeleted, &user.id, &what, now)?;
        Ok(user)
    })
}

/// Makes the user an administrator, or a plain user again. The last enabled administrator
/// cannot be demoted.
pub fn set_role(
    conn: &mut DbConn,
    user_id: &str,
    role: Role,
    actor: Actor<'_>,
    now: i64,
) -> Result<RoleChange, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        if role != Role::Admin {
            ensure_not_last_admin(conn, &user)?;
        }
        users::set_role(conn, &user.email, role, now)?;
        let what = format!("{} -> {}", user.role.as_str(), role.as_str());
        actor.record(conn, EventKind::RoleChanged, &user.id, &what, now)?;
        Ok(RoleChange {
            from: user.role,
            to: role,
            user,
        })
    })
}

/// Ends every session of the user and revokes their grants (refresh and access tokens) and
/// unredeemed codes; consents stay (signing in again does not ask again).
pub fn revoke_all_logins(
    conn: &mut DbConn,
    user_id: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<Revoked, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        let r = revoke_everything(conn, &user.id, false, now)?;
        let what = format!(
            "all: {} session(s) ended, {} grant(s) revoked",
            r.sessions, r.grants
        );
        actor.record(conn, EventKind::SessionRevoked, &user.id, &what, now)?;
        Ok(r)
    })
}

/// Ends one login session (named by its stored id, as the console lists it). Returns false
/// when it had already ended.
pub fn revoke_session(
    conn: &mut DbConn,
    id_hash: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<bool, AccountError> {
    write_transaction(conn, |conn| {
        let Some(owner) = console::session_owner(conn, id_hash, now)? else {
            return Ok(false);
        };
        console::delete_session(conn, id_hash)?;
        actor.record(conn, EventKind::SessionRevoked, &owner, "one session", now)?;
        Ok(true)
    })
}

/// Mails the user a password reset link, as /forgot-password would.
pub fn send_password_reset(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    user_id: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| {
        let user = existing(conn, user_id)?;
        let token = issue_link(conn, flows, Purpose::PasswordReset, &user.id, None, now)?;
        let link = flows.links().reset_password(token.as_str());
        queue(
            conn,
            flows,
            Mail::PasswordReset { link: &link },
            &user.email,
            now,
        )?;
        let what = "reset link mailed";
        actor.record(conn, EventKind::PasswordResetRequested, &user.id, what, now)?;
        Ok(user)
    })
}

/// Everything the console's page of one user shows.
pub struct UserOverview {
    pub user: User,
    /// The last successful login (password or upstream) the audit log holds.
    pub last_login: Option<i64>,
    pub sessions: Vec<SessionInfo>,
    pub connections: Vec<Connection>,
    /// Upstream identities (Google, GitHub, …) the user logs in with (issue 12).
    pub identities: Vec<crate::store::federation::Identity>,
    /// The latest security events about the user, newest first.
    pub events: Vec<StoredEvent>,
}

/// Sessions and events shown on a user's page (the sessions list pages through the rest).
const OVERVIEW_ROWS: i64 = 20;

pub fn user_overview(
    conn: &mut DbConn,
    user_id: &str,
    now: i64,
) -> Result<Option<UserOverview>, AccountError> {
    let Some(user) = users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    let password_login =
        console::last_event_at(conn, &user.id, EventKind::LoginSucceeded.as_str())?;
    let upstream_login =
        console::last_event_at(conn, &user.id, EventKind::FederatedLogin.as_str())?;
    let last_login = password_login.max(upstream_login);
    let sessions = console::list_sessions(conn, Some(&user.id), "", None, OVERVIEW_ROWS, now)?.rows;
    let connections = list_connections(conn, &user.id)?;
    let identities = crate::store::federation::identities_of(conn, &user.id)?;
    let events = console::events_of(conn, &user.id, OVERVIEW_ROWS)?;
    Ok(Some(UserOverview {
        user,
        last_login,
        sessions,
        connections,
        identities,
        events,
    }))
}
