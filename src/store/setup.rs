//! The one-time setup link that creates the first admin on a fresh install.
use diesel::prelude::*;

use super::schema::setup_tokens;
use super::users;
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

/// Adds a setup token beside the unexpired ones, dropping only expired ones: every replica
/// prints its own link at start, and a replica starting later must not break the link an
/// earlier one printed (each stays usable until it expires or an admin exists).
pub fn add_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
    lifetime: i64,
) -> Result<(), StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        diesel::delete(setup_tokens::table.filter(setup_tokens::expires_at.le(now)))
            .execute(conn)?;
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

/// Consumes the token inside the caller's transaction (the one that creates the admin):
/// the delete must remove exactly one unexpired row, so two concurrent submissions cannot
/// both succeed, and then every other token goes too. `false`, with nothing to commit,
/// when the link is dead or an admin exists.
pub fn consume_token(conn: &mut DbConn, hash: &TokenHash, now: i64) -> Result<bool, StoreError> {
    let consumed = diesel::delete(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(hash.as_str()))
            .filter(setup_tokens::expires_at.gt(now)),
    )
    .execute(conn)?;
    if consumed != 1 || users::admin_exists(conn)? {
        return Ok(false);
    }
    diesel::delete(setup_tokens::table).execute(conn)?;
    Ok(true)
}
