//! Local accounts: registration, password login, logout, first-admin setup. Synchronous
//! (argon2 and diesel block); handlers call these inside `web::block`.
use crate::crypto::token::SecretToken;
use crate::domain::{DomainError, Email, Password, Role};
use crate::security::rate_limit::Refusal;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::sessions::{self, Session};
use crate::store::setup::{self, SetupError};
use crate::store::users::{self, NewUser, User};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(#[from] DomainError),
    #[error("An account with this email address already exists.")]
    EmailTaken,
    /// One message whether the email is unknown, the password wrong or the account disabled.
    #[error("The email or password is incorrect.")]
    BadCredentials,
    #[error("Too many attempts. Try again later.")]
    RateLimited(Refusal),
    #[error("This setup link is no longer valid.")]
    SetupLinkInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh login session: the secret goes into the cookie, only its hash is stored.
pub struct NewSession {
    pub user: User,
    pub secret: SecretToken,
}

pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
}

/// Checks a registration form: email, password 8..128 characters, a name of sane length.
fn parse_registration<'a>(
    form: &Registration<'a>,
) -> Result<(Email, Password, &'a str), DomainError> {
    let email = Email::parse(form.email)?;
    let password = Password::parse(form.password)?;
    let name = form.name.trim();
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(DomainError(
            "The name must be at most 200 characters, on one line.",
        ));
    }
    Ok((email, password, name))
}

pub fn register(
    state: &AppState,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let (email, password, name) = parse_registration(form)?;
    let hash = state.hasher.hash(&password);
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let new = NewUser {
        email: &email,
        name,
        password_hash: &hash,
        role: Role::User,
    };
    let user = match users::insert(&mut conn, &new, now) {
        Err(StoreError::Duplicate) => return Err(AccountError::EmailTaken),
        other => other?,
    };
    audit::record(
        &mut conn,
        &Event::new(EventKind::UserRegistered).user(&user.id).ip(ip),
        now,
    )?;
    start_session(state, &mut conn, user, ip, now)
}

/// Password login. An unknown email is checked against a dummy hash, so the time taken and
/// the message are the same as for a wrong password (no user enumeration).
pub fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let password = Password::attempt(password)?;
    let email = Email::parse(email).map_err(|_| AccountError::BadCredentials)?;
    state
        .login_limiter
        .check(email.normalized(), ip, now)
        .map_err(AccountError::RateLimited)?;
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let found = users::find_for_login(&mut conn, &email)?;
    let stored_hash = found.as_ref().and_then(|(_, h)| h.as_deref());
    let password_ok = state.hasher.verify(&password, stored_hash);
    match found {
        Some((user, _)) if password_ok && !user.disabled => {
            state.login_limiter.succeeded(email.normalized());
            audit::record(
                &mut conn,
                &Event::new(EventKind::LoginSucceeded).user(&user.id).ip(ip),
                now,
            )?;
            start_session(state, &mut conn, user, ip, now)
        }
        found => {
            let locked = state.login_limiter.failed(email.normalized(), ip, now);
            let mut event = Event::new(EventKind::LoginFailed).ip(ip);
            if let Some((user, _)) = &found {
                event = event.user(&user.id);
            }
            audit::record(&mut conn, &event.detail("password"), now)?;
            if locked {
                let mut lock = Event::new(EventKind::LoginLocked).ip(ip);
                if let Some((user, _)) = &found {
                    lock = lock.user(&user.id);
                }
                audit::record(&mut conn, &lock, now)?;
            }
            Err(AccountError::BadCredentials)
        }
    }
}

/// A new random session id at every login (no session fixation).
fn start_session(
    state: &AppState,
    conn: &mut crate::store::DbConn,
    user: User,
    _ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let secret = SecretToken::generate();
    sessions::create(
        conn,
        &secret.hash(),
        &user.id,
        now,
        state.settings.session.lifetime,
    )?;
    Ok(NewSession { user, secret })
}

pub fn current_session(
    state: &AppState,
    secret: &SecretToken,
    now: i64,
) -> Result<Option<Session>, AccountError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    Ok(sessions::find_live(&mut conn, &secret.hash(), now)?)
}

/// Ends the session server-side: the old cookie stops working even if someone kept it.
pub fn logout(
    state: &AppState,
    secret: &SecretToken,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let hash = secret.hash();
    if let Some(session) = sessions::find_live(&mut conn, &hash, now)? {
        audit::record(
            &mut conn,
            &Event::new(EventKind::Logout).user(&session.user.id).ip(ip),
            now,
        )?;
    }
    sessions::delete(&mut conn, &hash)?;
    Ok(())
}

/// How long a printed setup link stays valid.
pub const SETUP_LINK_LIFETIME: i64 = 24 * 3600;

/// On a database with no admin, makes a new one-time setup token (replacing older ones)
/// and returns it; `None` once an admin exists.
pub fn issue_setup_token(state: &AppState, now: i64) -> Result<Option<SecretToken>, AccountError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    if users::admin_exists(&mut conn)? {
        return Ok(None);
    }
    let token = SecretToken::generate();
    setup::replace_token(&mut conn, &token.hash(), now, SETUP_LINK_LIFETIME)?;
    Ok(Some(token))
}

pub fn setup_link_is_usable(
    state: &AppState,
    token: &SecretToken,
    now: i64,
) -> Result<bool, AccountError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    Ok(setup::token_is_usable(&mut conn, &token.hash(), now)?)
}

/// Creates the first admin through the setup link, consuming it, and logs them in.
pub fn create_first_admin(
    state: &AppState,
    token: &SecretToken,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let (email, password, name) = parse_registration(form)?;
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    // Refuse a dead link before spending a hash on it.
    if !setup::token_is_usable(&mut conn, &token.hash(), now)? {
        return Err(AccountError::SetupLinkInvalid);
    }
    let hash = state.hasher.hash(&password);
    let new = NewUser {
        email: &email,
        name,
        password_hash: &hash,
        role: Role::Admin,
    };
    let user = match setup::create_first_admin(&mut conn, &token.hash(), &new, now) {
        Ok(user) => user,
        Err(SetupError::LinkInvalid) => return Err(AccountError::SetupLinkInvalid),
        Err(SetupError::Store(StoreError::Duplicate)) => return Err(AccountError::EmailTaken),
        Err(SetupError::Store(e)) => return Err(e.into()),
    };
    audit::record(
        &mut conn,
        &Event::new(EventKind::FirstAdminCreated)
            .user(&user.id)
            .ip(ip),
        now,
    )?;
    start_session(state, &mut conn, user, ip, now)
}
