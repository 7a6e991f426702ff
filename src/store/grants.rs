//! Grants (oxide-auth's "Authorizer" turns a redeemed code into one): the authorization a
//! refresh token family and its access tokens descend from. Codes live in `store::codes`,
//! consents in `store::consents`, requests still in progress in `store::pending`.
use diesel::prelude::*;

use super::columns::{claims_column, claims_of};
use super::schema::grants;
use super::{DbConn, StoreError};
use crate::domain::{ClaimsRequest, ClientId, ScopeSet};

/// A redeemed code's authorization: every refresh and access token issued from it names it,
/// so revoking it stops them all.
#[derive(Clone, Debug)]
pub struct Grant {
    pub id: String,
    pub client_id: ClientId,
    pub user_id: String,
    pub scope: ScopeSet,
    pub claims: ClaimsRequest,
    pub auth_time: i64,
    /// At or after the expiry of every token issued from it.
    pub expires_at: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = grants)]
struct GrantRow {
    id: String,
    client_id: String,
    user_id: String,
    scope: String,
    claims: Option<String>,
    auth_time: i64,
    expires_at: i64,
}

impl GrantRow {
    fn into_grant(self) -> Result<Grant, StoreError> {
        let corrupt = |column| StoreError::corrupt("grants", column);
        Ok(Grant {
            client_id: ClientId::parse(&self.client_id).map_err(corrupt("client_id"))?,
            scope: ScopeSet::parse(&self.scope).map_err(corrupt("scope"))?,
            claims: claims_of("grants", self.claims.as_deref())?,
            id: self.id,
            user_id: self.user_id,
            auth_time: self.auth_time,
            expires_at: self.expires_at,
        })
    }
}

pub fn insert_grant(conn: &mut DbConn, grant: &Grant, now: i64) -> Result<(), StoreError> {
    diesel::insert_into(grants::table)
        .values((
            grants::id.eq(&grant.id),
            grants::client_id.eq(grant.client_id.as_str()),
            grants::user_id.eq(&grant.user_id),
            grants::scope.eq(grant.scope.to_string()),
            grants::claims.eq(claims_column(&grant.claims)),
            grants::auth_time.eq(grant.auth_time),
            grants::created_at.eq(now),
            grants::expires_at.eq(grant.expires_at),
            grants::revoked_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The grant, if it still stands: neither revoked nor expired.
pub fn find_live_grant(conn: &mut DbConn, id: &str, now: i64) -> Result<Option<Grant>, StoreError> {
    grants::table
        .find(id)
        .filter(grants::revoked_at.is_null())
        .filter(grants::expires_at.gt(now))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?
        .map(GrantRow::into_grant)
        .transpose()
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

/// Revokes every live grant of this user, to any client: all their refresh and access tokens
/// stop working (a password reset).
pub fn revoke_all_grants_of(
    conn: &mut DbConn,
    user_id: &str,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::user_id.eq(user_id))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}
