//! Local accounts: registration, password login, logout, first-admin setup, the profile.
//! Synchronous (argon2 and diesel block); handlers call these inside `web::block`.
use std::borrow::Cow;

use crate::domain::{
    DomainError, Email, Password, PasswordContext, PasswordError, PasswordPolicy, Role, SecretToken,
};
use crate::security::rate_limit::Refusal;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::sessions::{self, Session};
use crate::store::setup::{self, SetupError};
use crate::store::users::{self, NewUser, Profile, User};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field was refused; the message says which rule, and is shown as is.
    #[error("{0}")]
    Invalid(Cow<'static, str>),
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

impl From<DomainError> for AccountError {
    fn from(e: DomainError) -> Self {
        AccountError::Invalid(Cow::Borrowed(e.0))
    }
}

impl From<PasswordError> for AccountError {
    fn from(e: PasswordError) -> Self {
        AccountError::Invalid(Cow::Owned(e.to_string()))
    }
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

/// Checks a registration form: email, a name of sane length, and a password meeting the
/// policy (which knows the email and the name, so the password cannot contain them).
fn parse_registration<'a>(
    form: &Registration<'a>,
    policy: &PasswordPolicy,
) -> Result<(Email, Password, &'a str), AccountError> {
    let email = Email::parse(form.email)?;
    let name = form.name.trim();
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(DomainError("The name must be at most 200 characters, on one line.").into());
    }
    let password = Password::new(form.password, policy, &PasswordContext::new(&email, name))?;
    Ok((email, password, name))
}

pub fn register(
    state: &AppState,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let (email, password, name) = parse_registration(form, &state.settings.password.policy())?;
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
    start_session(state, &mut conn, user, now)
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
            state.login_limiter.succeeded(email.normalized(), now);
            audit::record(
                &mut conn,
                &Event::new(EventKind::LoginSucceeded).user(&user.id).ip(ip),
                now,
            )?;
            start_session(state, &mut conn, user, now)
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
    let (email, password, name) = parse_registration(form, &state.settings.password.policy())?;
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
    start_session(state, &mut conn, user, now)
}

/// Upper bounds, in characters, of the profile fields. Generous for real names and
/// addresses, small enough that a profile cannot bloat every ID token it goes into.
pub mod limits {
    pub const NAME: usize = 200;
    pub const GIVEN_NAME: usize = 100;
    pub const FAMILY_NAME: usize = 100;
    pub const PHONE_NUMBER: usize = 40;
    pub const STREET_ADDRESS: usize = 300;
    pub const LOCALITY: usize = 100;
    pub const REGION: usize = 100;
    pub const POSTAL_CODE: usize = 20;
    pub const COUNTRY: usize = 64;
}

/// The /account profile form as typed: unchecked until `parse_profile`.
#[derive(Clone, Debug, Default)]
pub struct ProfileForm {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub phone_number: String,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl From<Profile> for ProfileForm {
    fn from(p: Profile) -> Self {
        ProfileForm {
            name: p.name,
            given_name: p.given_name,
            family_name: p.family_name,
            phone_number: p.phone_number,
            street_address: p.street_address,
            locality: p.locality,
            region: p.region,
            postal_code: p.postal_code,
            country: p.country,
        }
    }
}

/// A single-line field: trimmed, at most `max` characters, no control characters (a
/// newline or NUL in a claim would break the relying parties that print or store it).
fn one_line(raw: &str, max: usize, message: &'static str) -> Result<String, DomainError> {
    let value = raw.trim();
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(DomainError(message));
    }
    Ok(value.to_string())
}

/// `street_address` may span lines (OIDC Core §5.1.1), joined by "\n". A browser sends a
/// textarea's line breaks as "\r\n", so those become "\n" and blank lines are dropped;
/// any other control character is refused.
fn street_address(raw: &str) -> Result<String, DomainError> {
    const MESSAGE: &str =
        "The street address must be at most 300 characters, without control characters.";
    let mut lines = Vec::new();
    for line in raw.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line).trim();
        if line.chars().any(char::is_control) {
            return Err(DomainError(MESSAGE));
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    let value = lines.join("\n");
    if value.chars().count() > limits::STREET_ADDRESS {
        return Err(DomainError(MESSAGE));
    }
    Ok(value)
}

/// OIDC Core §5.1 recommends E.164 for `phone_number` ("+1 (425) 555-1212"), with an
/// extension in RFC 3966 syntax ("+1 (604) 555-1234;ext=5678"). Accepted: "+", a country
/// code not starting with 0, 7 to 15 digits in all (E.164's maximum) separated by single
/// spaces, hyphens, dots or parentheses, then optionally ";ext=" and 1 to 10 digits. Empty
/// means "no phone number".
fn phone_number(raw: &str) -> Result<String, DomainError> {
    const MESSAGE: &str = "Enter the phone number in international format: + and the country code, then the number, for example +1 425 555 1212.";
    let value = raw.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.chars().count() > limits::PHONE_NUMBER {
        return Err(DomainError(MESSAGE));
    }
    let (number, extension) = match value.split_once(";ext=") {
        Some((number, ext)) => (number, Some(ext)),
        None => (value, None),
    };
    let Some(rest) = number.strip_prefix('+') else {
        return Err(DomainError(MESSAGE));
    };
    let separator = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')');
    let digits: Vec<char> = rest.chars().filter(char::is_ascii_digit).collect();
    let number_ok = rest.chars().all(|c| c.is_ascii_digit() || separator(c))
        && !rest.contains("  ")
        && (7..=15).contains(&digits.len())
        && digits[0] != '0';
    let extension_ok = extension
        .is_none_or(|e| (1..=10).contains(&e.len()) && e.chars().all(|c| c.is_ascii_digit()));
    if number_ok && extension_ok {
        Ok(value.to_string())
    } else {
        Err(DomainError(MESSAGE))
    }
}

/// Checks every field of the profile form; the first problem found is the message shown.
/// `phone_number_verified` is not the user's to set (and `users::update_profile` leaves it
/// alone).
pub fn parse_profile(form: &ProfileForm) -> Result<Profile, DomainError> {
    Ok(Profile {
        name: one_line(
            &form.name,
            limits::NAME,
            "The name must be at most 200 characters, on one line.",
        )?,
        given_name: one_line(
            &form.given_name,
            limits::GIVEN_NAME,
            "The given name must be at most 100 characters, on one line.",
        )?,
        family_name: one_line(
            &form.family_name,
            limits::FAMILY_NAME,
            "The family name must be at most 100 characters, on one line.",
        )?,
        phone_number: phone_number(&form.phone_number)?,
        phone_number_verified: false,
        street_address: street_address(&form.street_address)?,
        locality: one_line(
            &form.locality,
            limits::LOCALITY,
            "The city must be at most 100 characters, on one line.",
        )?,
        region: one_line(
            &form.region,
            limits::REGION,
            "The region must be at most 100 characters, on one line.",
        )?,
        postal_code: one_line(
            &form.postal_code,
            limits::POSTAL_CODE,
            "The postal code must be at most 20 characters, on one line.",
        )?,
        country: one_line(
            &form.country,
            limits::COUNTRY,
            "The country must be at most 64 characters, on one line.",
        )?,
    })
}

/// The profile of a user, for the account page; `None` if the user no longer exists.
pub fn profile(state: &AppState, user_id: &str) -> Result<Option<Profile>, AccountError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    Ok(users::find_with_profile(&mut conn, user_id)?.map(|(_, p)| p))
}

/// Saves the profile form of a logged-in user; nothing is written unless every field is
/// valid. Bumps `updated_at`, which the `updated_at` claim reports (OIDC Core §5.1).
pub fn update_profile(
    state: &AppState,
    user_id: &str,
    form: &ProfileForm,
    now: i64,
) -> Result<(), AccountError> {
    let profile = parse_profile(form)?;
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    users::update_profile(&mut conn, user_id, &profile, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_international_format_are_accepted() {
        for ok in [
            "",
            "+14255551212",
            "+1 (425) 555-1212",
            "+56 (2) 687 2400",
            "+1 (604) 555-1234;ext=5678",
            "+44 20.7946.0958",
            "  +49 30 1234567  ",
        ] {
            assert!(phone_number(ok).is_ok(), "{ok:?}");
        }
        assert_eq!(phone_number(" +1 555 0100 ").unwrap(), "+1 555 0100");
    }

    #[test]
    fn implausible_phone_numbers_are_refused() {
        for bad in [
            "555-1212",            // no country code
            "+0 123 456 789",      // country codes do not start with 0
            "+1 555",              // too few digits
            "+1234567890123456",   // 16 digits: longer than E.164 allows
            "+1 555 0100 x12",     // letters
            "+1  555  0100",       // doubled spaces
            "+1 555 0100;ext=",    // empty extension
            "+1 555 0100;ext=12a", // non-digit extension
            "+1 555\n0100",        // control character
            "tel:+15550100",       // a URI, not a number
        ] {
            assert!(phone_number(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn street_address_keeps_lines_and_normalises_breaks() {
        assert_eq!(
            street_address("  1 Main St\r\nApt 4 \r\n\r\n").unwrap(),
            "1 Main St\nApt 4"
        );
        assert!(street_address("1 Main St\tApt 4").is_err());
        assert!(street_address("1 Main St\u{0}").is_err());
        assert!(street_address(&"x".repeat(301)).is_err());
        assert!(street_address(&"x".repeat(300)).is_ok());
    }

    #[test]
    fn profile_fields_are_trimmed_and_bounded() {
        let form = ProfileForm {
            name: " Ann Lee ".into(),
            given_name: "Ann".into(),
            country: "x".repeat(64),
            ..ProfileForm::default()
        };
        let profile = parse_profile(&form).unwrap();
        assert_eq!(profile.name, "Ann Lee");
        assert_eq!(profile.country.len(), 64);

        for bad in [
            ProfileForm {
                country: "x".repeat(65),
                ..ProfileForm::default()
            },
            ProfileForm {
                given_name: "Ann\nLee".into(),
                ..ProfileForm::default()
            },
            ProfileForm {
                family_name: "x".repeat(101),
                ..ProfileForm::default()
            },
            ProfileForm {
                postal_code: "12\u{7f}34".into(),
                ..ProfileForm::default()
            },
        ] {
            assert!(parse_profile(&bad).is_err(), "{bad:?}");
        }
        // Limits count characters, not bytes.
        let form = ProfileForm {
            family_name: "é".repeat(100),
            ..ProfileForm::default()
        };
        assert!(parse_profile(&form).is_ok());
    }
}
