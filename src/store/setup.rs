//! The one-time setup link that creates the first admin on a fresh install.
use diesel::prelude::*;

use super::schema::setup_tokens;
use super::users::{self, NewUser, User};
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

/// Replaces any earlier setup token (only the newest printed link works).
pub fn replace_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
    lifetime: i64,
) -> Result<(), StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        diesel::delete(setup_tokens::table).execute(conn)?;
        diesel::insert_into(setup_tokens::table)
            .values((
                setup_tokens::token_hash.eq(hash.as_str()),
                setup_tokens::created_at.eq(now),
                setup_tokens::expires_at.eq(now + lifetime),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Is this link usable: token known and unexpired, and still no admin?
pub fn token_is_usable(conn: &mut DbConn, hash: &TokenHash, now: i64) -> Result<bool, StoreError> {
    let n: i64 = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(hash.as_str()))
        .filter(setup_tokens::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(n == 1 && !users::admin_exists(conn)?)
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the setup link is no longer valid")]
    LinkInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SetupError {
    fn from(e: diesel::result::Error) -> Self {
        SetupError::Store(StoreError::Database(e))
    }
}

/// Consumes the token and creates the admin in one transaction: the delete must remove
/// exactly one unexpired row, so two concurrent submissions cannot both succeed.
pub fn create_first_admin(
    conn: &mut DbConn,
    hash: &TokenHash,
    new: &NewUser<'_>,
    now: i64,
) -> Result<User, SetupError> {
    super::write_transaction(conn, |conn| {
        let consumed = diesel::delete(
            setup_tokens::table
                .filter(setup_tokens::token_hash.eq(hash.as_str()))
                .filter(setup_tokens::expires_at.gt(now)),
        )
        .execute(conn)
        .map_err(StoreError::from)?;
        if consumed != 1 || users::admin_exists(conn)? {
            return Err(SetupError::LinkInvalid);
        }
        diesel::delete(setup_tokens::table)
            .execute(conn)
            .map_err(StoreError::from)?;
        Ok(users::insert(conn, new, now)?)
    })
}
