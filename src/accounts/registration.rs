//! Registration: a new user account, logged in at once.
use super::login::{start_session, NewSession};
use super::users::{create_user, Channel, NewAccount};
use super::{AccountError, Accounts};
use crate::domain::Role;
use crate::store::{Pool, StoreError};

/// The registration form as typed.
#[derive(Clone, Copy, Debug)]
pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
}

impl<'a> Registration<'a> {
    pub(super) fn account(&self, role: Role) -> NewAccount<'a> {
        NewAccount {
            email: self.email,
            name: self.name,
            password: self.password,
            role,
        }
    }
}

/// Creates a plain user from the form and starts their session. Takes the pool rather than
/// a connection: the form is checked and the password hashed (argon2, tens of milliseconds)
/// before a connection is taken from it.
pub fn register(
    pool: &Pool,
    accounts: &Accounts<'_>,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let account = form
        .account(Role::User)
        .check(&accounts.password_policy)?
        .hash(accounts.hasher);
    let mut conn = pool.get().map_err(StoreError::from)?;
    let user = create_user(&mut conn, &account, Channel::Registration { ip }, now)?;
    start_session(&mut conn, accounts.session_lifetime, user, now)
}
