//! Refresh tokens, by hash. A token is alive while it is unused, unexpired and its grant (its
//! family) stands; at most one token of a family is alive at any moment. Live tokens are
//! found by `find_live_refresh_token`; the refresh grant, which must recognise a rotated
//! token coming back (RFC 9700 §4.14.2), reads any token by
//! `find_refresh_token_for_reuse_check`, and revocation the family of any token.
use diesel::prelude::*;

use super::schema::{grants, refresh_tokens};
use super::{DbConn, StoreError};
use crate::domain::{ClientId, ScopeSet, TokenHash};

/// A refresh token as issued.
#[derive(Clone, Debug)]
pub struct RefreshToken {
    /// Its family: the grant its first token was issued under.
    pub grant_id: String,
    pub client_id: ClientId,
    pub user_id: String,
    pub scope: ScopeSet,
    pub created_at: i64,
    pub expires_at: i64,
}

impl RefreshToken {
    /// A new, live token of a family.
    pub fn issue(
        grant_id: &str,
        client_id: &ClientId,
        user_id: &str,
        scope: &ScopeSet,
        now: i64,
        lifetime: i64,
    ) -> Self {
        RefreshToken {
            grant_id: grant_id.to_string(),
            client_id: client_id.clone(),
            user_id: user_id.to_string(),
            scope: scope.clone(),
            created_at: now,
            expires_at: now + lifetime,
        }
    }
}

/// A presented token in whatever state it is, for the refresh rule
/// (`oauth::token::refresh_rule`).
#[derive(Clone, Debug)]
pub struct PresentedRefreshToken {
    pub token: RefreshToken,
    /// When it was rotated (or superseded).
    pub used_at: Option<i64>,
    /// A retry of its predecessor killed it before it was ever used.
    pub superseded: bool,
    /// The token it was last exchanged for: what a retry within the grace replaces.
    pub successor: Option<TokenHash>,
    /// That successor has not been used (nor superseded) yet.
    pub successor_unused: bool,
}

/// Who a token belongs to, in whatever state it is: revoking any token of a family revokes
/// the family (RFC 7009 §2.1).
#[derive(Clone, Debug)]
pub struct RefreshFamily {
    pub grant_id: String,
    pub client_id: ClientId,
    pub user_id: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshRow {
    grant_id: String,
    client_id: String,
    user_id: String,
    scope: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    successor_hash: Option<String>,
    superseded_at: Option<i64>,
}

fn corrupt<E: std::fmt::Display>(column: &'static str) -> impl FnOnce(E) -> StoreError {
    StoreError::corrupt("refresh_tokens", column)
}

impl RefreshRow {
    fn token(&self) -> Result<RefreshToken, StoreError> {
        Ok(RefreshToken {
            grant_id: self.grant_id.clone(),
            client_id: ClientId::parse(&self.client_id).map_err(corrupt("client_id"))?,
            user_id: self.user_id.clone(),
            scope: ScopeSet::parse(&self.scope).map_err(corrupt("scope"))?,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
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
            refresh_tokens::client_id.eq(token.client_id.as_str()),
            refresh_tokens::user_id.eq(&token.user_id),
            refresh_tokens::scope.eq(token.scope.to_string()),
            refresh_tokens::created_at.eq(token.created_at),
            refresh_tokens::expires_at.eq(token.expires_at),
            refresh_tokens::used_at.eq(None::<i64>),
            refresh_tokens::successor_hash.eq(None::<String>),
            refresh_tokens::superseded_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The token, if it is alive: unused, unexpired, and its grant neither revoked nor expired.
pub fn find_live_refresh_token(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
) -> Result<Option<RefreshToken>, StoreError> {
    refresh_tokens::table
        .inner_join(grants::table)
        .filter(refresh_tokens::token_hash.eq(hash.as_str()))
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .filter(grants::revoked_at.is_null())
        .filter(grants::expires_at.gt(now))
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| row.token())
        .transpose()
}

/// The token in any state, and whether its successor is still unused: a rotated token is
/// not refused here, because presenting it again is the reuse the refresh rule must see.
pub fn find_refresh_token_for_reuse_check(
    conn: &mut DbConn,
    hash: &TokenHash,
) -> Result<Option<PresentedRefreshToken>, StoreError> {
    let Some(row) = refresh_tokens::table
        .find(hash.as_str())
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let successor = row.successor_hash.clone().map(TokenHash::from_stored);
    let successor_unused = match &successor {
        Some(next) => {
            refresh_tokens::table
                .find(next.as_str())
                .filter(refresh_tokens::used_at.is_null())
                .count()
                .get_result::<i64>(conn)?
                == 1
        }
        None => false,
    };
    Ok(Some(PresentedRefreshToken {
        token: row.token()?,
        used_at: row.used_at,
        superseded: row.superseded_at.is_some(),
        successor,
        successor_unused,
    }))
}

/// The family of a token in any state (revocation, RFC 7009 §2.1).
pub fn find_refresh_family(
    conn: &mut DbConn,
    hash: &TokenHash,
) -> Result<Option<RefreshFamily>, StoreError> {
    let Some(row) = refresh_tokens::table
        .find(hash.as_str())
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(RefreshFamily {
        client_id: ClientId::parse(&row.client_id).map_err(corrupt("client_id"))?,
        grant_id: row.grant_id,
        user_id: row.user_id,
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
