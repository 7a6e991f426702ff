//! The first-run setup link: on a database with no admin, `ferrid serve` prints a one-time
//! link that creates the first admin and then stops working.
use super::login::{start_session, NewSession};
use super::registration::Registration;
use super::users::{insert_user, Channel};
use super::{AccountError, Accounts};
use crate::domain::{Role, SecretToken};
use crate::store::setup;
use crate::store::users;
use crate::store::{write_transaction, DbConn, Pool, StoreError};

/// How long a printed setup link stays valid.
pub const SETUP_LINK_LIFETIME: i64 = 24 * 3600;

/// On a database with no admin, makes a new one-time setup token and returns it; `None`
/// once an admin exists. Earlier unexpired tokens stay valid (another replica may have
/// printed one); the first used makes the admin and ends them all.
pub fn issue_setup_token(conn: &mut DbConn, now: i64) -> Result<Option<SecretToken>, AccountError> {
    if users::admin_exists(conn)? {
        return Ok(None);
    }
    let token = SecretToken::generate();
    setup::add_token(conn, &token.hash(), now, SETUP_LINK_LIFETIME)?;
    Ok(Some(token))
}

pub fn setup_link_is_usable(
    conn: &mut DbConn,
    token: &SecretToken,
    now: i64,
) -> Result<bool, AccountError> {
    Ok(setup::token_is_usable(conn, &token.hash(), now)?)
}

/// Creates the first admin through the setup link, consuming it, and logs them in. The
/// token is consumed and the admin created in one transaction, so two concurrent
/// submissions cannot both succeed. The form is checked before a connection is taken.
pub fn create_first_admin(
    pool: &Pool,
    accounts: &Accounts<'_>,
    token: &SecretToken,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, AccountError> {
    let account = form.account(Role::Admin).check(&accounts.password_policy)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    // Refuse a dead link before spending a hash on it.
    if !setup::token_is_usable(&mut conn, &token.hash(), now)? {
        return Err(AccountError::SetupLinkInvalid);
    }
    let account = account.hash(accounts.hasher);
    let user = write_transaction(&mut conn, |conn| {
        if !setup::consume_token(conn, &token.hash(), now)? {
            return Err(AccountError::SetupLinkInvalid);
        }
        insert_user(conn, &account, Channel::SetupLink { ip }, now)
    })?;
    start_session(&mut conn, accounts.session_lifetime, user, now)
}
