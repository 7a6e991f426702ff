//! Registration: a new user account, logged in at once.
use super::login::{start_session, NewSession};
use super::users::{create_user, Channel, NewAccount};
use super::{AccountError, Accounts};
use crate::domain::Role;
use crate::store::DbConn;

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

/// Creates a plain user from the form and starts their session.
pub fn register(
    conn: &mut DbConn,
    accounts: &Accounts<'_>,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let account = form
        .account(Role::User)
        .check(&accounts.password_policy)?
        .hash(accounts.hasher);
    let user = create_user(conn, &account, Channel::Registration { ip }, now)?;
    start_session(conn, accounts.session_lifetime, user, now)
}
