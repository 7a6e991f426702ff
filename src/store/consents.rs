//! What a user allowed a client (OIDC Core §3.1.2.4), remembered so the consent page is not
//! shown again for what it already covers; withdrawn from the account page.
use std::collections::BTreeSet;

use diesel::prelude::*;

use super::schema::consents;
use super::{DbConn, StoreError};
use crate::domain::{ClientId, ScopeSet};

/// What a user allowed a client: scopes, and claims asked for by name (OIDC Core §5.5)
/// beyond those the scopes carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub scope: ScopeSet,
    pub claims: BTreeSet<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = consents)]
struct ConsentRow {
    scope: String,
    claims: String,
}

impl ConsentRow {
    /// A consent that does not parse is an error: read as "nothing consented" it would
    /// silently ask again, read as anything else it could release what was never allowed.
    fn into_consent(self) -> Result<Consent, StoreError> {
        Ok(Consent {
            scope: ScopeSet::parse(&self.scope)
                .map_err(StoreError::corrupt("consents", "scope"))?,
            claims: serde_json::from_str(&self.claims)
                .map_err(StoreError::corrupt("consents", "claims"))?,
        })
    }
}

/// The user's consent to this client, if any.
pub fn find_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &ClientId,
) -> Result<Option<Consent>, StoreError> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id.as_str()))
        .select(ConsentRow::as_select())
        .first(conn)
        .optional()?
        .map(ConsentRow::into_consent)
        .transpose()
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
        let old = lock_consent_row(conn, user_id, client_id.as_str(), now)?.into_consent()?;
        let union = Consent {
            scope: old.scope.union(scope),
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
) -> Result<ConsentRow, diesel::result::Error> {
    let empty = (
        consents::user_id.eq(user_id),
        consents::client_id.eq(client_id),
        consents::scope.eq(""),
        consents::claims.eq("[]"),
        consents::granted_at.eq(now),
    );
    // `as_select` is built per backend: its type names the backend.
    let row = || {
        consents::table
            .filter(consents::user_id.eq(user_id))
            .filter(consents::client_id.eq(client_id))
    };
    match conn {
        DbConn::Postgresql(c) => {
            diesel::insert_into(consents::table)
                .values(empty)
                .on_conflict_do_nothing()
                .execute(c)?;
            row().select(ConsentRow::as_select()).for_update().first(c)
        }
        DbConn::Sqlite(c) => {
            diesel::insert_into(consents::table)
                .values(empty)
                .on_conflict_do_nothing()
                .execute(c)?;
            row().select(ConsentRow::as_select()).first(c)
        }
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

/// Withdraws every consent of the user (disabled or deleted by an administrator).
pub fn withdraw_all_of(conn: &mut DbConn, user_id: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(consents::table.filter(consents::user_id.eq(user_id))).execute(conn)?)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = consents)]
struct ConsentedClientRow {
    client_id: String,
    scope: String,
}

/// Every client this user consented to, with the scope, most recent first.
pub fn consents_of(
    conn: &mut DbConn,
    user_id: &str,
) -> Result<Vec<(ClientId, ScopeSet)>, StoreError> {
    let corrupt = |column| StoreError::corrupt("consents", column);
    consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::granted_at.desc())
        .select(ConsentedClientRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            Ok((
                ClientId::parse(&row.client_id).map_err(corrupt("client_id"))?,
                ScopeSet::parse(&row.scope).map_err(corrupt("scope"))?,
            ))
        })
        .collect()
}
