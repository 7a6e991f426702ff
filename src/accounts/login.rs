//! Password login, the session it starts, and logout.
//!
//! A login runs in two steps, so throttling comes before the queue for the password hasher
//! and a refused attempt costs neither a hash nor a wait: [`begin_login`] checks the input
//! and reserves the attempt's places in its throttling buckets (an atomic increment and
//! compare, so concurrent guesses cannot all pass one check); [`finish_login`], once the
//! caller's turn to hash has come, checks the password, and on success clears the
//! attempt's buckets and hands out a device cookie.
//!
//! Buckets (see `security::rate_limit` and `crypto::device_cookie`): a browser presenting a
//! valid device cookie for the account typed counts only in its own device bucket; any
//! other counts per (account, client IP) and per client IP. So failures from elsewhere,
//! even from the owner's own network, never delay a browser the owner has logged in from.
use super::{AccountError, Accounts};
use crate::crypto::device_cookie::DeviceId;
use crate::domain::{Email, Password, SecretToken};
use crate::security::rate_limit::{Kind, Reservation};
use crate::store::audit::{self, Event, EventKind};
use crate::store::sessions::{self, Session};
use crate::store::users::{self, User};
use crate::store::{DbConn, Pool, StoreError};

/// A fresh login session: the secret goes into the cookie, only its hash is stored. A
/// password login also renews the browser's device cookie for the account.
pub struct NewSession {
    pub user: User,
    pub secret: SecretToken,
    pub device_cookie: Option<String>,
}

/// A login attempt that passed throttling, its places reserved; [`finish_login`] checks it.
pub struct LoginAttempt {
    email: Email,
    password: Password,
    ip: Option<String>,
    /// The browser's User-Agent, for the audit log only.
    user_agent: Option<String>,
    reservations: Vec<Reservation>,
    /// A known device let in while this bucket would have refused the attempt.
    recognised_past: Option<Kind>,
}

impl LoginAttempt {
    /// Records `user_agent` with the attempt's audit events.
    pub fn from_browser(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent;
        self
    }
}

/// The buckets of a login attempt, with their keys.
fn buckets(email: &Email, ip: &str, device: Option<&DeviceId>) -> Vec<(Kind, String)> {
    let account = email.normalized();
    match device {
        Some(device) => vec![(Kind::LoginDevice, format!("{account}|{}", device.as_str()))],
        None => vec![
            (Kind::LoginAccountIp, format!("{account}|{ip}")),
            (Kind::LoginIp, ip.to_string()),
        ],
    }
}

/// Checks the input and reserves the attempt in its buckets, or refuses it (429).
/// `device_cookie`: the browser's device cookie, if any.
pub fn begin_login(
    accounts: &Accounts<'_>,
    email: &str,
    password: &str,
    device_cookie: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<LoginAttempt, AccountError> {
    let password = Password::attempt(password)?;
    let email = Email::parse(email).map_err(|_| AccountError::BadCredentials)?;
    let device = device_cookie.and_then(|cookie| {
        let lifetime = accounts.device_cookie_lifetime;
        accounts
            .devices
            .recognise(cookie, email.normalized(), now, lifetime)
    });
    let limiter = accounts.limiter;
    let recognised_past = match device {
        Some(_) => buckets(&email, ip.unwrap_or("-"), None)
            .iter()
            .find_map(|(kind, key)| limiter.refusal(*kind, key, now))
            .map(|refusal| refusal.kind),
        None => None,
    };
    let wanted = buckets(&email, ip.unwrap_or("-"), device.as_ref());
    let wanted: Vec<(Kind, &str)> = wanted.iter().map(|(k, key)| (*k, key.as_str())).collect();
    let reservations = limiter
        .reserve_all(&wanted, now)
        .map_err(AccountError::RateLimited)?;
    Ok(LoginAttempt {
        email,
        password,
        ip: ip.map(str::to_string),
        user_agent: None,
        reservations,
        recognised_past,
    })
}

/// Checks the password of an attempt [`begin_login`] let through. An unknown email is
/// checked against a dummy hash, so the time taken and the message are the same as for a
/// wrong password (no user enumeration). A success clears the attempt's account or device
/// bucket and gives its place in the IP bucket back; a failure stays counted; a failure on
/// our side gives every place back.
pub fn finish_login(
    pool: &Pool,
    accounts: &Accounts<'_>,
    attempt: LoginAttempt,
    now: i64,
) -> Result<NewSession, AccountError> {
    let result = check_password(pool, accounts, &attempt, now);
    let limiter = accounts.limiter;
    for reservation in &attempt.reservations {
        // A right password for an unverified address is no guess: it clears as a success.
        let proven = matches!(&result, Ok(_) | Err(AccountError::EmailNotVerified));
        match (proven, &result, reservation.kind) {
            (true, _, Kind::LoginIp) | (_, Err(AccountError::Store(_)), _) => {
                limiter.release(reservation, now)
            }
            (true, _, _) => limiter.clear(reservation, now),
            (false, _, _) => {}
        }
    }
    result
}

fn check_password(
    pool: &Pool,
    accounts: &Accounts<'_>,
    attempt: &LoginAttempt,
    now: i64,
) -> Result<NewSession, AccountError> {
    let mut conn = pool.get().map_err(StoreError::from)?;
    let conn = &mut conn;
    let ip = attempt.ip.as_deref();
    let ua = attempt.user_agent.as_deref();
    let found = users::find_for_login(conn, &attempt.email)?;
    let user_id = found.as_ref().map(|(user, _)| user.id.as_str());
    if let Some(kind) = attempt.recognised_past {
        let detail = format!("{} throttled", kind.as_str());
        let event = with_user(Event::new(EventKind::LoginDeviceRecognised), user_id);
        audit::record(conn, &event.ip(ip).user_agent(ua).detail(&detail), now)?;
    }
    let stored_hash = found.as_ref().and_then(|(_, h)| h.as_deref());
    let password_ok = accounts.hasher.verify(&attempt.password, stored_hash);
    match found {
        Some((user, stored)) if password_ok && !user.disabled => {
            // Said only now that the password is proven right: it reveals nothing more.
            if accounts.flows.require_verified_email && !user.email_verified {
                let event = Event::new(EventKind::LoginFailed)
                    .user(&user.id)
                    .ip(ip)
                    .user_agent(ua)
                    .detail("email not verified");
                audit::record(conn, &event, now)?;
                return Err(AccountError::EmailNotVerified);
            }
            rehash_if_outdated(
                conn,
                accounts,
                &user.id,
                stored.as_deref(),
                &attempt.password,
            )?;
            let event = Event::new(EventKind::LoginSucceeded)
                .user(&user.id)
                .ip(ip)
                .user_agent(ua);
            audit::record(conn, &event, now)?;
            let mut session = start_session(conn, accounts.session_lifetime, user, now)?;
            let device = accounts.devices.issue(attempt.email.normalized(), now);
            session.device_cookie = Some(device);
            Ok(session)
        }
        found => {
            let user_id = found.as_ref().map(|(user, _)| user.id.as_str());
            let from = (ip, ua);
            record_failure(conn, user_id, &attempt.reservations, from, now)?;
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

fn with_user<'a>(event: Event<'a>, user_id: Option<&'a str>) -> Event<'a> {
    match user_id {
        Some(id) => event.user(id),
        None => event,
    }
}

/// A failed login, and each throttling limit it reached (the next attempt there waits).
fn record_failure(
    conn: &mut DbConn,
    user_id: Option<&str>,
    reservations: &[Reservation],
    (ip, user_agent): (Option<&str>, Option<&str>),
    now: i64,
) -> Result<(), AccountError> {
    let event = |kind| {
        with_user(Event::new(kind), user_id)
            .ip(ip)
            .user_agent(user_agent)
    };
    audit::record(conn, &event(EventKind::LoginFailed).detail("password"), now)?;
    for reached in reservations.iter().filter(|r| r.next_wait > 0) {
        let detail = format!(
            "{}; next attempt in {} s",
            reached.kind.as_str(),
            reached.next_wait
        );
        audit::record(conn, &event(EventKind::LoginThrottled).detail(&detail), now)?;
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
    Ok(NewSession {
        user,
        secret,
        device_cookie: None,
    })
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

/// Where a request came from, as the sessions list shows it.
#[derive(Clone, Debug, Default)]
pub struct SeenFrom {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How long a session's "last seen" may lag: it is written at most this often (and when the
/// address changes), not at every request.
const SEEN_GRANULARITY: i64 = 60;

/// [`current_session`], noting when and from where it was used.
pub fn current_session_seen(
    conn: &mut DbConn,
    secret: &SecretToken,
    from: &SeenFrom,
    now: i64,
) -> Result<Option<Session>, AccountError> {
    let hash = secret.hash();
    let Some(session) = sessions::find_live(conn, &hash, now)? else {
        return Ok(None);
    };
    let stale = session
        .last_seen_at
        .is_none_or(|at| now - at >= SEEN_GRANULARITY);
    if stale || session.ip != from.ip {
        let agent: Option<String> = from
            .user_agent
            .as_ref()
            .map(|a| a.chars().take(300).collect());
        sessions::seen(conn, &hash, from.ip.as_deref(), agent.as_deref(), now)?;
    }
    Ok(Some(session))
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
