//! Local accounts, the business logic behind the pages people use and the user commands of
//! the CLI (and of the coming console), which share one implementation:
//!
//! - `users.rs`: creating a user ([`create_user`]);
//! - `login.rs`: password login (throttled, with device cookies), sessions, logout;
//! - `throttle.rs`: the per-IP and per-address limits of registration and reset requests;
//! - `registration.rs`, `setup.rs` (the first admin, through a one-time link);
//! - `verification.rs`: the mailed link that proves an address (a new account's, or the new
//!   one of an email change), and sending it again;
//! - `recovery.rs`: a forgotten password (/forgot-password, /reset-password, and the link
//!   `ferrid user reset-link` prints);
//! - `credentials.rs`: changing the password or the address on /account, and ending every
//!   login of an account;
//! - `mailing.rs`: the single-use links and the mail the flows queue;
//! - `profile.rs`: the /account profile form, parsed into the domain's profile types;
//! - `connections.rs`: the applications a user let in, and withdrawing that consent;
//! - `admin.rs`: what administrators do to other accounts (the console and the CLI).
//!
//! Flows that take an email address from anyone (registration, a forgotten password, a new
//! verification link) answer alike whether or not it has an account, and run the same
//! statements either way (`store::savepoint` discards the unknown address's decoy writes).
//!
//! Synchronous (argon2 and diesel block); handlers call these inside `web::block`. Each takes
//! a connection, or the pool when it checks input or hashes before it needs the database (so
//! no connection waits on that work), and, for what hashes passwords or counts logins, the
//! [`Accounts`] services. Nothing here knows HTTP or the application state.
use crate::crypto::device_cookie::DeviceKey;
use crate::crypto::password::PasswordHasher;
use crate::domain::{DomainError, PasswordError, PasswordPolicy};
use crate::mail::MailError;
use crate::security::rate_limit::{RateLimiter, Refusal};
use crate::store::StoreError;

pub mod admin;
mod audit_log;
mod connections;
mod credentials;
mod login;
mod mailing;
mod profile;
mod recovery;
mod registration;
mod setup;
mod throttle;
mod users;
mod verification;

pub use audit_log::{
    export_csv, filter as audit_filter, page as audit_page, AuditLogError, AuditPage, AuditQuery,
    ShownEvent, CSV_HEADER,
};
pub use connections::{list_connections, withdraw_consent, Connection};
pub use credentials::{change_password, request_email_change, PasswordChange};
pub use login::{
    begin_login, current_session, current_session_seen, finish_login, logout, LoginAttempt,
    NewSession, SeenFrom,
};
pub use profile::{parse_profile, profile, update_profile, ProfileForm};
pub use recovery::{
    request_password_reset, reset_link, reset_link_is_live, reset_password, NewPassword,
};
pub use registration::{register, register_prepared, Registered, Registration};
pub use setup::{create_first_admin, issue_setup_token, setup_link_is_usable, SETUP_LINK_LIFETIME};
pub use throttle::{throttle_form, throttle_registration, FormLimit};
pub use users::{create_user, Channel, NewAccount, PreparedAccount, RoleChange, ValidAccount};
pub use verification::{
    address_link, confirm_address, resend_verification, AddressLink, Confirmed,
};

/// The name of the device cookie a password login hands out (see `crypto::device_cookie`).
pub const DEVICE_COOKIE: &str = crate::crypto::device_cookie::COOKIE;

/// What account operations use from the running server besides a database connection:
/// the password hasher and policy, the rate limiter, the device-cookie key, how long a
/// session lasts, and the rules of the mailed flows.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub hasher: &'a PasswordHasher,
    pub password_policy: PasswordPolicy,
    pub limiter: &'a RateLimiter,
    pub devices: &'a DeviceKey,
    /// Seconds a device cookie is honoured.
    pub device_cookie_lifetime: i64,
    /// Seconds a login session lasts.
    pub session_lifetime: i64,
    pub flows: Flows<'a>,
}

/// The rules of registration and of the flows that mail a link (`[accounts]`), and what the
/// mail needs: the issuer its links sit under, the name it calls the service by.
#[derive(Clone, Copy, Debug)]
pub struct Flows<'a> {
    pub issuer: &'a str,
    /// `[ui]`: the product's name and colours in mail.
    pub ui: &'a crate::config::UiSettings,
    /// Self-registered accounts log in only once verified; registration reveals nothing.
    pub require_verified_email: bool,
    /// Anyone may register (else only administrators make accounts).
    pub registration_open: bool,
    /// Seconds a password reset link works.
    pub reset_token_lifetime: i64,
    /// Seconds a verification (or new-address confirmation) link works.
    pub verification_token_lifetime: i64,
}

/// Why an account operation did not happen. The first group is the user's to fix and is
/// shown on the form (see [`AccountError::form_message`]); `Store` keeps the typed cause.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field was refused; the message says which rule, and is shown as is.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// A new password was refused by the policy; the message says which rule.
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("An account with this email address already exists.")]
    EmailTaken,
    /// One message whether the email is unknown, the password wrong or the account disabled.
    #[error("The email or password is incorrect.")]
    BadCredentials,
    #[error("Too many attempts. Try again later.")]
    RateLimited(Refusal),
    #[error("This setup link is no longer valid.")]
    SetupLinkInvalid,
    /// A mailed link that is forged, spent or expired (or its account is gone or disabled).
    #[error("This link has expired or was already used.")]
    LinkInvalid,
    /// The password was right, but the account's address is not verified yet (said only
    /// after the password was checked, so it tells nothing a correct password does not).
    #[error("Your email address is not verified yet. Open the link we mailed to it, or have it sent again.")]
    EmailNotVerified,
    /// A logged-in user's current password, asked before a change, was wrong.
    #[error("The current password is incorrect.")]
    WrongPassword,
    #[error("The two new passwords do not match.")]
    PasswordsDiffer,
    #[error("This is already the address of your account.")]
    SameEmail,
    #[error("Registration is closed. Ask an administrator for an account.")]
    RegistrationClosed,
    #[error("no user has this email address")]
    NoSuchUser,
    /// The change would leave no enabled administrator (a demotion, disabling, deletion).
    #[error("This is the last administrator: make another user an administrator first.")]
    LastAdmin,
    /// A message could not be rendered (a template bug): nothing was queued or changed.
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountError {
    /// The message for the form the user filled in, when the error is theirs to fix (a
    /// refused field, a taken address, wrong credentials); `None` for the rest, which are
    /// error pages (a limit, a dead link, a failure on our side).
    pub fn form_message(&self) -> Option<String> {
        match self {
            AccountError::Invalid(_)
            | AccountError::Password(_)
            | AccountError::EmailTaken
            | AccountError::BadCredentials
            | AccountError::EmailNotVerified
            | AccountError::WrongPassword
            | AccountError::PasswordsDiffer
            | AccountError::SameEmail
            | AccountError::LastAdmin => Some(self.to_string()),
            AccountError::RateLimited(_)
            | AccountError::SetupLinkInvalid
            | AccountError::LinkInvalid
            | AccountError::RegistrationClosed
            | AccountError::NoSuchUser
            | AccountError::Mail(_)
            | AccountError::Store(_) => None,
        }
    }
}

/// For `store::write_transaction`, whose closures meet diesel's errors directly.
impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Store(StoreError::Database(e))
    }
}
