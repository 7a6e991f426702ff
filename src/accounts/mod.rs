//! Local accounts, the business logic behind the pages people use and the user commands of
//! the CLI (and of the coming console), which share one implementation:
//!
//! - `users.rs`: creating a user ([`create_user`]) and changing a role ([`set_role`]);
//! - `login.rs`: password login, sessions, logout;
//! - `registration.rs`, `setup.rs` (the first admin, through a one-time link);
//! - `profile.rs`: the /account profile form, parsed into the domain's profile types;
//! - `connections.rs`: the applications a user let in, and withdrawing that consent.
//!
//! Synchronous (argon2 and diesel block); handlers call these inside `web::block`. Each takes
//! a connection, or the pool when it checks input or hashes before it needs the database (so
//! no connection waits on that work), and, for what hashes passwords or counts logins, the
//! [`Accounts`] services. Nothing here knows HTTP or the application state.
use crate::crypto::password::PasswordHasher;
use crate::domain::{DomainError, PasswordError, PasswordPolicy};
use crate::security::rate_limit::{LoginLimiter, Refusal};
use crate::store::StoreError;

mod connections;
mod login;
mod profile;
mod registration;
mod setup;
mod users;

pub use connections::{list_connections, withdraw_consent, Connection};
pub use login::{current_session, login, logout, NewSession};
pub use profile::{parse_profile, profile, update_profile, ProfileForm};
pub use registration::{register, Registration};
pub use setup::{create_first_admin, issue_setup_token, setup_link_is_usable, SETUP_LINK_LIFETIME};
pub use users::{
    create_user, set_role, Channel, NewAccount, PreparedAccount, RoleChange, ValidAccount,
};

/// What account operations use from the running server besides a database connection:
/// the password hasher and policy, the login limiter, and how long a session lasts.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub hasher: &'a PasswordHasher,
    pub password_policy: PasswordPolicy,
    pub login_limiter: &'a LoginLimiter,
    /// Seconds a login session lasts.
    pub session_lifetime: i64,
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
    #[error("no user has this email address")]
    NoSuchUser,
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
            | AccountError::BadCredentials => Some(self.to_string()),
            AccountError::RateLimited(_)
            | AccountError::SetupLinkInvalid
            | AccountError::NoSuchUser
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
