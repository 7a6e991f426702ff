//! Password login, the session it starts, and logout.
use super::{AccountError, Accounts};
use crate::domain::{Email, Password, SecretToken};
use crate::store::audit::{self, Event, EventKind};
use crate::store::sessions::{self, Session};
use crate::store::users::{self, User};
use crate::store::{DbConn, Pool, StoreError};

/// A fresh login session: the secret goes into the cookie, only its hash is stored.
pub struct NewSession {
    pub user: User,
    pub secret: SecretToken,
}

/// Password login. An unknown email is checked against a dummy hash, so the time taken and
/// the message are the same as for a wrong password (no user enumeration). The input and
/// the limits are checked before a connection is taken from the pool.
pub fn login(
    pool: &Pool,
    accounts: &Accounts<'_>,
    email: &str,
    password: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let password = Password::attempt(password)?;
    let email = Email::parse(email).map_err(|_| AccountError::BadCredentials)?;
    let limiter = accounts.login_limiter;
    limiter
        .check(email.normalized(), ip, now)
        .map_err(AccountError::RateLimited)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let conn = &mut conn;
    let found = users::find_for_login(conn, &email)?;
    let stored_hash = found.as_ref().and_then(|(_, h)| h.as_deref());
    let password_ok = accounts.hasher.verify(&password, stored_hash);
    match found {
        Some((user, stored)) if password_ok && !user.disabled => {
            limiter.succeeded(email.normalized(), now);
            // Said only now that the password is proven right: it reveals nothing more.
            if accounts.flows.require_verified_email && !user.email_verified {
                let event = Event::new(EventKind::LoginFailed)
                    .user(&user.id)
                    .ip(ip)
                    .detail("email not verified");
                audit::record(conn, &event, now)?;
                return Err(AccountError::EmailNotVerified);
            }
            rehash_if_outdated(conn, accounts, &user.id, stored.as_deref(), &password)?;
            let event = Event::new(EventKind::LoginSucceeded).user(&user.id).ip(ip);
            audit::record(conn, &event, now)?;
            start_session(conn, accounts.session_lifetime, user, now)
        }
        found => {
            let locked = limiter.failed(email.normalized(), ip, now);
            record_failure(conn, found.map(|(user, _)| user), locked, ip, now)?;
            Err(AccountError::BadCredentials)
        }
    }
}

/// After a login that verified `stored`: a hash made with other argon2 parameters than the
/// configured ones (raised since) is replaced by a new hash of the same password, unless the
/// password changed meanwhile (a conditional update).
fn rehash_if_outdated(
    conn: &mut DbConn,
    accounts: &Accounts<'_>,
    user_id: &str,
    stored: Option<&str>,
    password: &Password,
) -> Result<(), AccountError> {
    let Some(stored) = stored.filter(|h| accounts.hasher.needs_rehash(h)) else {
        return Ok(());
    };
    let fresh = accounts.hasher.hash(password);
    if users::replace_password_hash(conn, user_id, stored, &fresh, None)? {
        log::info!("user {user_id}: password re-hashed with the configured argon2 parameters");
    }
    Ok(())
}

/// A failed login, and the lockout it caused, if any.
fn record_failure(
    conn: &mut DbConn,
    user: Option<User>,
    locked: bool,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let user_id = user.as_ref().map(|u| u.id.as_str());
    let event = |kind| {
        let event = Event::new(kind).ip(ip);
        match user_id {
            Some(id) => event.user(id),
            None => event,
        }
    };
    audit::record(conn, &event(EventKind::LoginFailed).detail("password"), now)?;
    if locked {
        audit::record(conn, &event(EventKind::LoginLocked), now)?;
    }
    Ok(())
}

/// A new random session id at every login (no session fixation).
pub(super) fn start_session(
    conn: &mut DbConn,
    lifetime: i64,
    user: User,
    now: i64,
) -> Result<NewSession, AccountError> {
    let secret = SecretToken::generate();
    sessions::create(conn, &secret.hash(), &user.id, now, lifetime)?;
    Ok(NewSession { user, secret })
}

/// The live session whose cookie this is: unknown, expired and disabled users' sessions
/// are not.
pub fn current_session(
    conn: &mut DbConn,
    secret: &SecretToken,
    now: i64,
) -> Result<Option<Session>, AccountError> {
    Ok(sessions::find_live(conn, &secret.hash(), now)?)
}

/// Ends the session server-side: the old cookie stops working even if someone kept it.
pub fn logout(
    conn: &mut DbConn,
    secret: &SecretToken,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let hash = secret.hash();
    if let Some(session) = sessions::find_live(conn, &hash, now)? {
        let event = Event::new(EventKind::Logout).user(&session.user.id).ip(ip);
        audit::record(conn, &event, now)?;
    }
    sessions::delete(conn, &hash)?;
    Ok(())
}
