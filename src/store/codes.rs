//! Authorization codes (oxide-auth's "Authorizer" turns a grant into a code and back): found
//! by the SHA-256 of the code, redeemed by one conditional update. Live codes and redeemed
//! ones are found by different queries, so no caller checks `used_at` or `expires_at` itself.
use diesel::prelude::*;

use super::columns::{claims_column, claims_of};
use super::schema::authorization_codes;
use super::{DbConn, StoreError};
use crate::domain::{ClaimsRequest, ClientId, CodeChallenge, RedirectUri, ScopeSet, TokenHash};

/// Everything a code is bound to (RFC 6749 §4.1.2, RFC 7636 §4.4, OIDC Core §3.1.2.5).
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub client_id: ClientId,
    pub user_id: String,
    pub redirect_uri: RedirectUri,
    /// Whether the authorization request named the redirect_uri (then the token request
    /// must repeat it: RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub scope: ScopeSet,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    /// The OIDC `claims` request parameter, narrowed to the client (empty: none).
    pub claims: ClaimsRequest,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A code that was redeemed (or burnt by a failed attempt): what a replay revokes.
#[derive(Clone, Debug)]
pub struct RedeemedCode {
    pub client_id: ClientId,
    /// The grant its redemption created; `None` when it was burnt instead.
    pub grant_id: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = authorization_codes)]
struct CodeRow {
    client_id: String,
    user_id: String,
    redirect_uri: String,
    redirect_uri_given: bool,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    claims: Option<String>,
    auth_time: i64,
    expires_at: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = authorization_codes)]
struct RedeemedRow {
    client_id: String,
    grant_id: Option<String>,
}

fn corrupt<E: std::fmt::Display>(column: &'static str) -> impl FnOnce(E) -> StoreError {
    StoreError::corrupt("authorization_codes", column)
}

impl CodeRow {
    fn into_grant(self) -> Result<CodeGrant, StoreError> {
        Ok(CodeGrant {
            client_id: ClientId::parse(&self.client_id).map_err(corrupt("client_id"))?,
            redirect_uri: RedirectUri::parse(&self.redirect_uri)
                .map_err(corrupt("redirect_uri"))?,
            scope: ScopeSet::parse(&self.scope).map_err(corrupt("scope"))?,
            code_challenge: self
                .code_challenge
                .map(|c| CodeChallenge::parse(&c, Some(CodeChallenge::METHOD)))
                .transpose()
                .map_err(corrupt("code_challenge"))?,
            claims: claims_of("authorization_codes", self.claims.as_deref())?,
            user_id: self.user_id,
            redirect_uri_given: self.redirect_uri_given,
            nonce: self.nonce,
            auth_time: self.auth_time,
            expires_at: self.expires_at,
        })
    }
}

pub fn insert_code(
    conn: &mut DbConn,
    code_hash: &TokenHash,
    code: &CodeGrant,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(authorization_codes::table)
        .values((
            authorization_codes::code_hash.eq(code_hash.as_str()),
            authorization_codes::client_id.eq(code.client_id.as_str()),
            authorization_codes::user_id.eq(&code.user_id),
            authorization_codes::redirect_uri.eq(code.redirect_uri.as_str()),
            authorization_codes::redirect_uri_given.eq(code.redirect_uri_given),
            authorization_codes::scope.eq(code.scope.to_string()),
            authorization_codes::nonce.eq(&code.nonce),
            authorization_codes::code_challenge
                .eq(code.code_challenge.as_ref().map(|c| c.as_str())),
            authorization_codes::claims.eq(claims_column(&code.claims)),
            authorization_codes::auth_time.eq(code.auth_time),
            authorization_codes::created_at.eq(now),
            authorization_codes::expires_at.eq(code.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The code, if it can still be redeemed: never used (nor burnt) and not expired.
pub fn find_live_code(
    conn: &mut DbConn,
    code_hash: &TokenHash,
    now: i64,
) -> Result<Option<CodeGrant>, StoreError> {
    authorization_codes::table
        .filter(authorization_codes::code_hash.eq(code_hash.as_str()))
        .filter(authorization_codes::used_at.is_null())
        .filter(authorization_codes::expires_at.gt(now))
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?
        .map(CodeRow::into_grant)
        .transpose()
}

/// The code, if it was already redeemed or burnt: a second use means it leaked, and what
/// its redemption issued is revoked (RFC 6749 §4.1.2). Expired ones count too, until the
/// purge drops them (`purge::CODE_REPLAY_WINDOW`).
pub fn find_redeemed_code_for_replay(
    conn: &mut DbConn,
    code_hash: &TokenHash,
) -> Result<Option<RedeemedCode>, StoreError> {
    let Some(row) = authorization_codes::table
        .filter(authorization_codes::code_hash.eq(code_hash.as_str()))
        .filter(authorization_codes::used_at.is_not_null())
        .select(RedeemedRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(RedeemedCode {
        client_id: ClientId::parse(&row.client_id).map_err(corrupt("client_id"))?,
        grant_id: row.grant_id,
    }))
}

/// Redeems a code: one conditional update, so of two concurrent redemptions (on any
/// replicas) exactly one sees `true`. Records the grant the redemption creates.
pub fn redeem_code(
    conn: &mut DbConn,
    code_hash: &TokenHash,
    grant_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        authorization_codes::table
            .filter(authorization_codes::code_hash.eq(code_hash.as_str()))
            .filter(authorization_codes::used_at.is_null())
            .filter(authorization_codes::expires_at.gt(now)),
    )
    .set((
        authorization_codes::used_at.eq(Some(now)),
        authorization_codes::grant_id.eq(Some(grant_id)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Burns a code without redeeming it (a failed redemption attempt).
pub fn burn_code(conn: &mut DbConn, code_hash: &TokenHash, now: i64) -> Result<(), StoreError> {
    diesel::update(
        authorization_codes::table
            .filter(authorization_codes::code_hash.eq(code_hash.as_str()))
            .filter(authorization_codes::used_at.is_null()),
    )
    .set(authorization_codes::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Deletes the user's unredeemed codes, for one client or (`None`) all of them: what
/// withdrawing consent and disabling the user do, so no code issued before can still be
/// exchanged. Redeemed codes stay, so a replay is still recognised.
pub fn delete_unredeemed_codes(
    conn: &mut DbConn,
    user_id: &str,
    client_id: Option<&ClientId>,
) -> Result<usize, StoreError> {
    let mut query = diesel::delete(authorization_codes::table)
        .filter(authorization_codes::user_id.eq(user_id))
        .filter(authorization_codes::used_at.is_null())
        .into_boxed();
    if let Some(client_id) = client_id {
        query = query.filter(authorization_codes::client_id.eq(client_id.as_str()));
    }
    Ok(query.execute(conn)?)
}
