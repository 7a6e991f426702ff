//! Issued tokens: access tokens by jti (and their revocation list), refresh tokens by hash.
use diesel::prelude::*;

use super::schema::{access_tokens, grants, refresh_tokens};
use super::{DbConn, StoreError};
use crate::crypto::token::TokenHash;

/// Records a user access token under its grant, so revoking the grant stops it.
pub fn record_access_token(
    conn: &mut DbConn,
    jti: &str,
    grant_id: Option<&str>,
    client_id: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::jti.eq(jti),
            access_tokens::grant_id.eq(grant_id),
            access_tokens::client_id.eq(client_id),
            access_tokens::expires_at.eq(expires_at),
            access_tokens::revoked_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// What the database knows of an access token that verified cryptographically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessTokenStatus {
    /// Recorded and neither it nor its grant is revoked; carries its grant id.
    Active { grant_id: Option<String> },
    /// Revoked itself, or its grant was.
    Revoked,
    /// Never recorded: not a token of ours.
    Unknown,
}

pub fn access_token_status(conn: &mut DbConn, jti: &str) -> Result<AccessTokenStatus, StoreError> {
    let row: Option<(Option<i64>, Option<String>, Option<i64>)> = access_tokens::table
        .left_join(grants::table)
        .filter(access_tokens::jti.eq(jti))
        .select((
            access_tokens::revoked_at,
            access_tokens::grant_id,
            grants::revoked_at.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => AccessTokenStatus::Unknown,
        Some((Some(_), _, _)) | Some((_, _, Some(_))) => AccessTokenStatus::Revoked,
        Some((None, grant_id, _)) => AccessTokenStatus::Active { grant_id },
    })
}

/// Marks an access token revoked (RFC 7009), recording it if it was never recorded (a
/// client_credentials token), so /introspect and /userinfo refuse it until it expires.
pub fn revoke_access_token(
    conn: &mut DbConn,
    jti: &str,
    client_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        let updated = diesel::update(access_tokens::table.find(jti))
            .set(access_tokens::revoked_at.eq(Some(now)))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(access_tokens::table)
                .values((
                    access_tokens::jti.eq(jti),
                    access_tokens::grant_id.eq(None::<String>),
                    access_tokens::client_id.eq(client_id),
                    access_tokens::expires_at.eq(expires_at),
                    access_tokens::revoked_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

// ---- refresh tokens --------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub fn insert_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    token: &RefreshToken,
) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash.as_str()),
            refresh_tokens::grant_id.eq(&token.grant_id),
            refresh_tokens::client_id.eq(&token.client_id),
            refresh_tokens::user_id.eq(&token.user_id),
            refresh_tokens::scope.eq(&token.scope),
            refresh_tokens::created_at.eq(token.created_at),
            refresh_tokens::expires_at.eq(token.expires_at),
            refresh_tokens::used_at.eq(token.used_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
) -> Result<Option<RefreshToken>, StoreError> {
    type Row = (String, String, String, String, i64, i64, Option<i64>);
    let row: Option<Row> = refresh_tokens::table
        .find(hash.as_str())
        .select((
            refresh_tokens::grant_id,
            refresh_tokens::client_id,
            refresh_tokens::user_id,
            refresh_tokens::scope,
            refresh_tokens::created_at,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| RefreshToken {
        grant_id: r.0,
        client_id: r.1,
        user_id: r.2,
        scope: r.3,
        created_at: r.4,
        expires_at: r.5,
        used_at: r.6,
    }))
}

/// Rotation: one conditional update, so of two concurrent refreshes with one token (on any
/// replicas) exactly one sees `true`.
pub fn use_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        refresh_tokens::table
            .find(hash.as_str())
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}
