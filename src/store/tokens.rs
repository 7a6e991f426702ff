//! Issued tokens: access tokens by jti (and their revocation list), refresh tokens by hash.
use diesel::prelude::*;

use super::schema::{access_tokens, grants, refresh_tokens};
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

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
///
/// One statement, an upsert: with an UPDATE-else-INSERT two concurrent revocations of one
/// unrecorded token both found nothing to update and both inserted, and the loser hit the
/// primary key (a 500 on PostgreSQL). `on_conflict` is only built for a concrete backend,
/// so the same statement is written for each variant.
pub fn revoke_access_token(
    conn: &mut DbConn,
    jti: &str,
    client_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    macro_rules! upsert {
        ($conn:expr) => {
            diesel::insert_into(access_tokens::table)
                .values((
                    access_tokens::jti.eq(jti),
                    access_tokens::grant_id.eq(None::<String>),
                    access_tokens::client_id.eq(client_id),
                    access_tokens::expires_at.eq(expires_at),
                    access_tokens::revoked_at.eq(Some(now)),
                ))
                .on_conflict(access_tokens::jti)
                .do_update()
                .set(access_tokens::revoked_at.eq(Some(now)))
                .execute($conn)
        };
    }
    match conn {
        DbConn::Postgresql(c) => upsert!(c),
        DbConn::Sqlite(c) => upsert!(c),
    }?;
    Ok(())
}

// ---- refresh tokens --------------------------------------------------------------------

/// A refresh token row. Alive while `used_at` is unset (and the grant stands and it has not
/// expired); at most one token of a family is alive at any moment.
#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When it was rotated (or superseded).
    pub used_at: Option<i64>,
    /// The token it was last exchanged for: what a retry within the grace replaces.
    pub successor: Option<TokenHash>,
    /// Set when a retry of its predecessor killed it before it was ever used.
    pub superseded_at: Option<i64>,
}

impl RefreshToken {
    /// A new, live token of a family.
    pub fn issue(
        grant_id: &str,
        client_id: &str,
        user_id: &str,
        scope: &str,
        now: i64,
        lifetime: i64,
    ) -> Self {
        RefreshToken {
            grant_id: grant_id.to_string(),
            client_id: client_id.to_string(),
            user_id: user_id.to_string(),
            scope: scope.to_string(),
            created_at: now,
            expires_at: now + lifetime,
            used_at: None,
            successor: None,
            superseded_at: None,
        }
    }
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
            refresh_tokens::successor_hash.eq(token.successor.as_ref().map(TokenHash::as_str)),
            refresh_tokens::superseded_at.eq(token.superseded_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
) -> Result<Option<RefreshToken>, StoreError> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );
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
            refresh_tokens::successor_hash,
            refresh_tokens::superseded_at,
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
        successor: r.7.map(TokenHash::from_stored),
        superseded_at: r.8,
    }))
}

/// Called first in a refresh's write transaction: a write to the presented token's row, so
/// every request presenting the same token runs after the previous one committed (the row
/// lock on PostgreSQL, the writer lock on SQLite) and reads what it did. Returns false for
/// an unknown token.
pub fn lock_refresh_token(conn: &mut DbConn, hash: &TokenHash) -> Result<bool, StoreError> {
    let n = diesel::update(refresh_tokens::table.find(hash.as_str()))
        .set(refresh_tokens::used_at.eq(refresh_tokens::used_at))
        .execute(conn)?;
    Ok(n == 1)
}

/// Rotation: marks a live token used and names its successor. One conditional update, so of
/// two writers only one sees `true`.
pub fn rotate_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    successor: &TokenHash,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        refresh_tokens::table
            .find(hash.as_str())
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set((
        refresh_tokens::used_at.eq(Some(now)),
        refresh_tokens::successor_hash.eq(Some(successor.as_str())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Kills a successor nobody has used yet (its predecessor is being retried). Returns false
/// when it was used meanwhile: then the retry is a real reuse.
pub fn supersede_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        refresh_tokens::table
            .find(hash.as_str())
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set((
        refresh_tokens::used_at.eq(Some(now)),
        refresh_tokens::superseded_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Points a rotated token at the successor that replaced `from`.
pub fn replace_successor(
    conn: &mut DbConn,
    hash: &TokenHash,
    from: &TokenHash,
    to: &TokenHash,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        refresh_tokens::table
            .find(hash.as_str())
            .filter(refresh_tokens::successor_hash.eq(from.as_str())),
    )
    .set(refresh_tokens::successor_hash.eq(Some(to.as_str())))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many tokens of a family are alive (unused): at most one, by construction.
pub fn live_refresh_tokens(conn: &mut DbConn, grant_id: &str) -> Result<i64, StoreError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::grant_id.eq(grant_id))
        .filter(refresh_tokens::used_at.is_null())
        .count()
        .get_result(conn)?)
}
