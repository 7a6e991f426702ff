//! Creating a user: the one implementation behind registration, the setup link and
//! `ferrid user add` (a role change is `admin::set_role`, shared by the console and the CLI).
use super::AccountError;
use crate::crypto::password::PasswordHasher;
use crate::domain::{
    random_id, Email, LineField, Password, PasswordContext, PasswordPolicy, ProfileLine, Role,
};
use crate::store::audit::{self, Event, EventKind};
use crate::store::users::{self, NewUser, User};
use crate::store::{write_transaction, DbConn, StoreError};

/// Where an account change came from, as the audit log records it.
#[derive(Clone, Copy, Debug)]
pub enum Channel<'a> {
    /// The person themselves, registering in a browser.
    Registration { ip: Option<&'a str> },
    /// The first-run setup link.
    SetupLink { ip: Option<&'a str> },
    /// `ferrid` on the command line.
    Cli,
}

/// A user to create, as typed (a form, command-line flags): nothing is checked yet.
#[derive(Clone, Copy, Debug)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    /// Optional: empty means no name.
    pub name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// A new account whose fields follow their rules; the password is not hashed yet.
pub struct ValidAccount {
    email: Email,
    name: Option<ProfileLine>,
    password: Password,
    role: Role,
}

/// A new account ready to insert: its password is hashed. Hashing (argon2, tens of
/// milliseconds) happens before any transaction, so it never holds a write lock.
pub struct PreparedAccount {
    email: Email,
    name: String,
    password_hash: String,
    role: Role,
}

impl NewAccount<'_> {
    /// The email address, a name of sane length, and a password meeting the policy, which
    /// knows the address and the name so the password cannot contain them.
    pub fn check(&self, policy: &PasswordPolicy) -> Result<ValidAccount, AccountError> {
        let email = Email::parse(self.email)?;
        let name = ProfileLine::parse(LineField::Name, self.name)?;
        let context = PasswordContext::new(&email, name.as_ref().map_or("", ProfileLine::as_str));
        let password = Password::new(self.password, policy, &context)?;
        Ok(ValidAccount {
            email,
            name,
            password,
            role: self.role,
        })
    }
}

impl ValidAccount {
    pub fn email(&self) -> &Email {
        &self.email
    }

    pub fn hash(self, hasher: &PasswordHasher) -> PreparedAccount {
        PreparedAccount {
            password_hash: hasher.hash(&self.password),
            email: self.email,
            name: self
                .name
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            role: self.role,
        }
    }
}

impl PreparedAccount {
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// An account no one will have (a random address under the reserved `.invalid` domain,
    /// RFC 2606) with this one's hash: what a registration inserts, and rolls back, when the
    /// address is taken, so that path does the same work as a new account's.
    pub(super) fn decoy(&self) -> PreparedAccount {
        PreparedAccount {
            email: Email::from_trusted(format!("{}@decoy.invalid", random_id())),
            name: self.name.clone(),
            password_hash: self.password_hash.clone(),
            role: self.role,
        }
    }
}

/// Creates the user and records how, in one transaction. An address taken in any letter
/// case, or one that looks like a taken one, is `EmailTaken`.
pub fn create_user(
    conn: &mut DbConn,
    account: &PreparedAccount,
    channel: Channel<'_>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| insert_user(conn, account, channel, now))
}

/// [`create_user`] inside a transaction the caller holds (the setup link consumes its token
/// in the same one).
pub(super) fn insert_user(
    conn: &mut DbConn,
    account: &PreparedAccount,
    channel: Channel<'_>,
    now: i64,
) -> Result<User, AccountError> {
    let new = NewUser {
        email: &account.email,
        name: &account.name,
        password_hash: &account.password_hash,
        role: account.role,
        // Made by an administrator (who typed the address): verified. Self-registered:
        // verified when the mailed link is opened.
        email_verified: !matches!(channel, Channel::Registration { .. }),
    };
    let user = match users::insert(conn, &new, now) {
        Err(StoreError::Duplicate) => return Err(AccountError::EmailTaken),
        other => other?,
    };
    let event = match channel {
        Channel::Registration { ip } => Event::new(EventKind::UserRegistered).ip(ip),
        Channel::SetupLink { ip } => Event::new(EventKind::FirstAdminCreated).ip(ip),
        Channel::Cli => Event::new(EventKind::UserRegistered).detail("cli"),
    };
    audit::record(conn, &event.user(&user.id), now)?;
    Ok(user)
}

/// A role change that happened: the user as they were, and the roles.
#[derive(Clone, Debug)]
pub struct RoleChange {
    pub user: User,
    pub from: Role,
    pub to: Role,
}
