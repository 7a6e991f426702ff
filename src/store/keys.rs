//! The signing-key rows and the key-set version that replicas poll.
use diesel::prelude::*;

use super::schema::{key_set_state, signing_keys};
use super::{DbConn, StoreError};
use crate::domain::{KeyState, SigningAlg};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub public_jwk: String,
    /// base64 of the AES-256-GCM sealed PKCS#8 PEM (see crypto::master_key).
    pub sealed_private_key: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activate_after: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub drop_after: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = signing_keys)]
struct KeyRow {
    kid: String,
    alg: String,
    public_jwk: String,
    private_key: String,
    state: String,
    created_at: i64,
    activate_after: i64,
    activated_at: Option<i64>,
    retired_at: Option<i64>,
    drop_after: Option<i64>,
}

impl KeyRow {
    /// A key that does not parse is an error, not a key left out: leaving it out would
    /// drop it from the JWKS while tokens it signed are still in use.
    fn into_key(self) -> Result<StoredKey, StoreError> {
        let corrupt = |column| StoreError::corrupt("signing_keys", column);
        Ok(StoredKey {
            alg: self.alg.parse().map_err(corrupt("alg"))?,
            state: KeyState::parse(&self.state).map_err(corrupt("state"))?,
            kid: self.kid,
            public_jwk: self.public_jwk,
            sealed_private_key: self.private_key,
            created_at: self.created_at,
            activate_after: self.activate_after,
            activated_at: self.activated_at,
            retired_at: self.retired_at,
            drop_after: self.drop_after,
        })
    }
}

/// Every stored key (all of them are published), oldest first.
pub fn all(conn: &mut DbConn) -> Result<Vec<StoredKey>, StoreError> {
    signing_keys::table
        .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
        .select(KeyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(KeyRow::into_key)
        .collect()
}

pub fn insert(conn: &mut DbConn, key: &StoredKey) -> Result<(), StoreError> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(&key.kid),
            signing_keys::alg.eq(key.alg.as_str()),
            signing_keys::public_jwk.eq(&key.public_jwk),
            signing_keys::private_key.eq(&key.sealed_private_key),
            signing_keys::state.eq(key.state.as_str()),
            signing_keys::created_at.eq(key.created_at),
            signing_keys::activate_after.eq(key.activate_after),
            signing_keys::activated_at.eq(key.activated_at),
            signing_keys::retired_at.eq(key.retired_at),
            signing_keys::drop_after.eq(key.drop_after),
        ))
        .execute(conn)
        .map_err(StoreError::from_insert)?;
    Ok(())
}

/// next → active. Returns false if the key was not `next` (someone else got there first).
pub fn activate(conn: &mut DbConn, kid: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        signing_keys::table
            .filter(signing_keys::kid.eq(kid))
            .filter(signing_keys::state.eq(KeyState::Next.as_str())),
    )
    .set((
        signing_keys::state.eq(KeyState::Active.as_str()),
        signing_keys::activated_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// active → retired, to be dropped after `drop_after`.
pub fn retire(conn: &mut DbConn, kid: &str, now: i64, drop_after: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        signing_keys::table
            .filter(signing_keys::kid.eq(kid))
            .filter(signing_keys::state.eq(KeyState::Active.as_str())),
    )
    .set((
        signing_keys::state.eq(KeyState::Retired.as_str()),
        signing_keys::retired_at.eq(Some(now)),
        signing_keys::drop_after.eq(Some(drop_after)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete(conn: &mut DbConn, kid: &str) -> Result<bool, StoreError> {
    let n = diesel::delete(signing_keys::table.filter(signing_keys::kid.eq(kid))).execute(conn)?;
    Ok(n == 1)
}

/// The key-set version: one indexed single-row read, cheap enough to poll every second.
pub fn version(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(key_set_state::table
        .find(1)
        .select(key_set_state::version)
        .first(conn)?)
}

/// Called first inside a maintenance transaction: the write takes the row lock (PostgreSQL)
/// or the database write lock (SQLite), so maintainers on different replicas run one after
/// another and each sees what the previous one did.
pub fn lock_for_maintenance(conn: &mut DbConn, now: i64) -> Result<(), StoreError> {
    diesel::update(key_set_state::table.find(1))
        .set(key_set_state::maintained_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Marks the key set changed, in the same transaction as the change.
pub fn bump_version(conn: &mut DbConn) -> Result<(), StoreError> {
    diesel::update(key_set_state::table.find(1))
        .set(key_set_state::version.eq(key_set_state::version + 1))
        .execute(conn)?;
    Ok(())
}
