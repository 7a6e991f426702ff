//! Authorizations given (oxide-auth's "Authorizer"): consents, authorization codes and the
//! grants they turn into. Requests still in progress live in `store::pending`.
use std::collections::BTreeSet;

use diesel::prelude::*;

use super::schema::{authorization_codes, consents, grants};
use super::{DbConn, StoreError};
use crate::domain::{ClientId, ScopeSet, TokenHash};

// ---- consent -------------------------------------------------------------------------

/// What a user allowed a client: scopes, and claims asked for by name (OIDC Core §5.5)
/// beyond those the scopes carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub scope: ScopeSet,
    pub claims: BTreeSet<String>,
}

/// The user's consent to this client, if any.
pub fn find_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
) -> Result<Option<Consent>, StoreError> {
    let row: Option<(String, String)> = consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id.as_str()))
        .select((consents::scope, consents::claims))
        .first(conn)
        .optional()?;
    Ok(row.map(|(scope, claims)| consent_of(&scope, &claims)))
}

/// The scopes this user already allowed this client, if any.
pub fn consented_scope(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
) -> Result<Option<ScopeSet>, StoreError> {
    Ok(find_consent(conn, user_id, client_id)?.map(|c| c.scope))
}

/// Adds `scope` and `claims` to the user's consent for this client and returns the result.
/// The union is computed inside the transaction, on a locked row: two concurrent consents
/// (two tabs, two replicas) neither fail on the primary key nor lose each other's scopes.
pub fn add_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
    scope: &ScopeSet,
    claims: &BTreeSet<String>,
    now: i64,
) -> Result<Consent, StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        let (old_scope, old_claims) = lock_consent_row(conn, user_id, client_id.as_str(), now)?;
        let old = consent_of(&old_scope, &old_claims);
        let union = Consent {
            scope: ScopeSet::parse_all([old.scope.to_string().as_str(), &scope.to_string()])
                .unwrap_or_else(|_| scope.clone()),
            claims: old.claims.union(claims).cloned().collect(),
        };
        let claims_json = serde_json::to_string(&union.claims)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        diesel::update(
            consents::table
                .filter(consents::user_id.eq(user_id))
                .filter(consents::client_id.eq(client_id.as_str())),
        )
        .set((
            consents::scope.eq(union.scope.to_string()),
            consents::claims.eq(claims_json),
            consents::granted_at.eq(now),
        ))
        .execute(conn)?;
        Ok(union)
    })
}

/// Makes sure the consent row exists (`INSERT … ON CONFLICT DO NOTHING`, a write, so SQLite
/// takes its write lock first) and reads it; on PostgreSQL `FOR UPDATE` holds the row until
/// commit, so a concurrent consent waits and then reads this one's result. The multi
/// backend compiles neither clause, hence the inner connections.
fn lock_consent_row(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<(String, String), diesel::result::Error> {
    let empty = (
        consents::user_id.eq(user_id),
        consents::client_id.eq(client_id),
        consents::scope.eq(""),
        consents::claims.eq("[]"),
        consents::granted_at.eq(now),
    );
    let row = consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id))
        .select((consents::scope, consents::claims));
    match conn {
        DbConn::Postgresql(c) => {
            diesel::insert_into(consents::table)
                .values(empty)
                .on_conflict_do_nothing()
                .execute(c)?;
            row.for_update().first(c)
        }
        DbConn::Sqlite(c) => {
            diesel::insert_into(consents::table)
                .values(empty)
                .on_conflict_do_nothing()
                .execute(c)?;
            row.first(c)
        }
    }
}

/// A stored row; values that no longer parse count as nothing consented.
fn consent_of(scope: &str, claims: &str) -> Consent {
    Consent {
        scope: ScopeSet::parse(scope).unwrap_or_else(|_| ScopeSet::empty()),
        claims: serde_json::from_str(claims).unwrap_or_default(),
    }
}

/// Withdraws consent (refresh then fails: RFC 9700 §4.14).
pub fn withdraw_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
) -> Result<(), StoreError> {
    diesel::delete(
        consents::table
            .filter(consents::user_id.eq(user_id))
            .filter(consents::client_id.eq(client_id.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

// ---- authorization codes ---------------------------------------------------------------

/// Everything a code is bound to (RFC 6749 §4.1.2, RFC 7636 §4.4, OIDC Core §3.1.2.5).
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect_uri (then the token request
    /// must repeat it: RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// The OIDC `claims` request parameter, as JSON text.
    pub claims: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A code as found at the token endpoint.
#[derive(Clone, Debug)]
pub struct StoredCode {
    pub grant: CodeGrant,
    pub used_at: Option<i64>,
    /// The grant created by its redemption.
    pub grant_id: Option<String>,
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
            authorization_codes::client_id.eq(&code.client_id),
            authorization_codes::user_id.eq(&code.user_id),
            authorization_codes::redirect_uri.eq(&code.redirect_uri),
            authorization_codes::redirect_uri_given.eq(code.redirect_uri_given),
            authorization_codes::scope.eq(&code.scope),
            authorization_codes::nonce.eq(&code.nonce),
            authorization_codes::code_challenge.eq(&code.code_challenge),
            authorization_codes::claims.eq(&code.claims),
            authorization_codes::auth_time.eq(code.auth_time),
            authorization_codes::created_at.eq(now),
            authorization_codes::expires_at.eq(code.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

type CodeColumns = (
    String,
    String,
    String,
    bool,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

pub fn find_code(
    conn: &mut DbConn,
    code_hash: &TokenHash,
) -> Result<Option<StoredCode>, StoreError> {
    let row: Option<CodeColumns> = authorization_codes::table
        .filter(authorization_codes::code_hash.eq(code_hash.as_str()))
        .select((
            authorization_codes::client_id,
            authorization_codes::user_id,
            authorization_codes::redirect_uri,
            authorization_codes::redirect_uri_given,
            authorization_codes::scope,
            authorization_codes::nonce,
            authorization_codes::code_challenge,
            authorization_codes::claims,
            authorization_codes::auth_time,
            authorization_codes::expires_at,
            authorization_codes::used_at,
            authorization_codes::grant_id,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| StoredCode {
        grant: CodeGrant {
            client_id: r.0,
            user_id: r.1,
            redirect_uri: r.2,
            redirect_uri_given: r.3,
            scope: r.4,
            nonce: r.5,
            code_challenge: r.6,
            claims: r.7,
            auth_time: r.8,
            expires_at: r.9,
        },
        used_at: r.10,
        grant_id: r.11,
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

// ---- grants ----------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub claims: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn insert_grant(conn: &mut DbConn, grant: &Grant, now: i64) -> Result<(), StoreError> {
    diesel::insert_into(grants::table)
        .values((
            grants::id.eq(&grant.id),
            grants::client_id.eq(&grant.client_id),
            grants::user_id.eq(&grant.user_id),
            grants::scope.eq(&grant.scope),
            grants::claims.eq(&grant.claims),
            grants::auth_time.eq(grant.auth_time),
            grants::created_at.eq(now),
            grants::expires_at.eq(grant.expires_at),
            grants::revoked_at.eq(grant.revoked_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_grant(conn: &mut DbConn, id: &str) -> Result<Option<Grant>, StoreError> {
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        i64,
        Option<i64>,
    );
    let row: Option<Row> = grants::table
        .find(id)
        .select((
            grants::id,
            grants::client_id,
            grants::user_id,
            grants::scope,
            grants::claims,
            grants::auth_time,
            grants::expires_at,
            grants::revoked_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| Grant {
        id: r.0,
        client_id: r.1,
        user_id: r.2,
        scope: r.3,
        claims: r.4,
        auth_time: r.5,
        expires_at: r.6,
        revoked_at: r.7,
    }))
}

/// Revokes a grant: every token descended from it stops working.
pub fn revoke_grant(conn: &mut DbConn, id: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(grants::table.find(id).filter(grants::revoked_at.is_null()))
        .set(grants::revoked_at.eq(Some(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Pushes a grant's expiry out (a refresh issued a longer-lived token).
pub fn extend_grant(conn: &mut DbConn, id: &str, expires_at: i64) -> Result<(), StoreError> {
    diesel::update(
        grants::table
            .find(id)
            .filter(grants::expires_at.lt(expires_at)),
    )
    .set(grants::expires_at.eq(expires_at))
    .execute(conn)?;
    Ok(())
}

/// Every client this user consented to, with the scope.
pub fn consents_of(conn: &mut DbConn, user_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::granted_at.desc())
        .select((consents::client_id, consents::scope))
        .load(conn)?)
}

/// Revokes every live grant of this user to this client (and so every token from them).
pub fn revoke_grants_of(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::user_id.eq(user_id))
            .filter(grants::client_id.eq(client_id.as_str()))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}
