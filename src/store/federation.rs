//! Upstream logins: linked identities, flows waiting for their callback, identities waiting
//! for a proof of the account they would be linked to, and mailed proofs. Secrets (`state`,
//! the browser's federation cookie, a mailed link) are found by their SHA-256; each is
//! redeemed by one conditional update, so two replicas (or two tabs) cannot both use one.
use diesel::prelude::*;

use super::schema::{
    federated_identities as fi, federation_flows as ff, federation_link_proofs as lp,
    federation_pending_links as pl,
};
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

/// Who an upstream says someone is: the key of a linked identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityKey {
    /// The `[federation.<name>]` the login came through.
    pub provider: String,
    /// The upstream's issuer (OIDC `iss`; GitHub's API URL).
    pub issuer: String,
    /// The upstream's stable identifier (OIDC `sub`; GitHub's numeric id).
    pub subject: String,
}

/// A linked identity.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = fi)]
pub struct Identity {
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub user_id: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_login_at: i64,
}

impl Identity {
    pub fn key(&self) -> IdentityKey {
        IdentityKey {
            provider: self.provider.clone(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
        }
    }
}

pub fn find_identity(conn: &mut DbConn, key: &IdentityKey) -> Result<Option<Identity>, StoreError> {
    Ok(fi::table
        .find((&key.provider, &key.issuer, &key.subject))
        .select(Identity::as_select())
        .first(conn)
        .optional()?)
}

pub fn identities_of(conn: &mut DbConn, user_id: &str) -> Result<Vec<Identity>, StoreError> {
    Ok(fi::table
        .filter(fi::user_id.eq(user_id))
        .order((fi::provider, fi::created_at))
        .select(Identity::as_select())
        .load(conn)?)
}

/// Links `key` to `user_id`. An identity already linked (to anyone) is
/// `StoreError::Duplicate`: one upstream account belongs to one local account.
pub fn link(
    conn: &mut DbConn,
    key: &IdentityKey,
    user_id: &str,
    email: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(fi::table)
        .values((
            fi::provider.eq(&key.provider),
            fi::issuer.eq(&key.issuer),
            fi::subject.eq(&key.subject),
            fi::user_id.eq(user_id),
            fi::email.eq(email),
            fi::created_at.eq(now),
            fi::last_login_at.eq(now),
        ))
        .execute(conn)
        .map_err(StoreError::from_insert)?;
    Ok(())
}

pub fn touch(
    conn: &mut DbConn,
    key: &IdentityKey,
    email: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(fi::table.find((&key.provider, &key.issuer, &key.subject)))
        .set((fi::last_login_at.eq(now), fi::email.eq(email)))
        .execute(conn)?;
    Ok(())
}

/// Removes `user_id`'s link of `key`; false when there was none.
pub fn unlink(conn: &mut DbConn, key: &IdentityKey, user_id: &str) -> Result<bool, StoreError> {
    let removed = diesel::delete(
        fi::table
            .find((&key.provider, &key.issuer, &key.subject))
            .filter(fi::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(removed == 1)
}

/// A login started at an upstream, as stored.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = ff)]
pub struct Flow {
    pub provider: String,
    pub browser_hash: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub return_to: String,
    pub link_user_id: Option<String>,
}

pub struct NewFlow<'a> {
    pub state_hash: &'a TokenHash,
    pub flow: &'a Flow,
    pub lifetime: i64,
}

pub fn insert_flow(conn: &mut DbConn, new: &NewFlow<'_>, now: i64) -> Result<(), StoreError> {
    let flow = new.flow;
    diesel::insert_into(ff::table)
        .values((
            ff::state_hash.eq(new.state_hash.as_str()),
            ff::provider.eq(&flow.provider),
            ff::browser_hash.eq(&flow.browser_hash),
            ff::pkce_verifier.eq(&flow.pkce_verifier),
            ff::nonce.eq(&flow.nonce),
            ff::return_to.eq(&flow.return_to),
            ff::link_user_id.eq(&flow.link_user_id),
            ff::created_at.eq(now),
            ff::expires_at.eq(now + new.lifetime),
            ff::used_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Redeems the flow whose state hashes to `state_hash`, for `provider`, started by the
/// browser whose cookie hashes to `browser_hash`: one conditional update, so a state works
/// once. `None` for a forged, spent, expired or foreign one.
pub fn redeem_flow(
    conn: &mut DbConn,
    state_hash: &TokenHash,
    provider: &str,
    browser_hash: &TokenHash,
    now: i64,
) -> Result<Option<Flow>, StoreError> {
    let changed = diesel::update(
        ff::table
            .find(state_hash.as_str())
            .filter(ff::provider.eq(provider))
            .filter(ff::browser_hash.eq(browser_hash.as_str()))
            .filter(ff::used_at.is_null())
            .filter(ff::expires_at.gt(now)),
    )
    .set(ff::used_at.eq(Some(now)))
    .execute(conn)?;
    if changed != 1 {
        return Ok(None);
    }
    Ok(ff::table
        .find(state_hash.as_str())
        .select(Flow::as_select())
        .first(conn)
        .optional()?)
}

/// An identity waiting for the proof of the account with its address.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pl)]
pub struct PendingLink {
    pub id: String,
    pub browser_hash: String,
    pub user_id: String,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub return_to: String,
    pub expires_at: i64,
}

impl PendingLink {
    pub fn key(&self) -> IdentityKey {
        IdentityKey {
            provider: self.provider.clone(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
        }
    }
}

/// Stores `pending`, replacing what the browser had waiting (one at a time per browser).
pub fn insert_pending(
    conn: &mut DbConn,
    pending: &PendingLink,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(
        pl::table
            .filter(pl::browser_hash.eq(&pending.browser_hash))
            .filter(pl::used_at.is_null()),
    )
    .set(pl::used_at.eq(Some(now)))
    .execute(conn)?;
    diesel::insert_into(pl::table)
        .values((
            pl::id.eq(&pending.id),
            pl::browser_hash.eq(&pending.browser_hash),
            pl::user_id.eq(&pending.user_id),
            pl::provider.eq(&pending.provider),
            pl::issuer.eq(&pending.issuer),
            pl::subject.eq(&pending.subject),
            pl::email.eq(&pending.email),
            pl::return_to.eq(&pending.return_to),
            pl::created_at.eq(now),
            pl::expires_at.eq(pending.expires_at),
            pl::used_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live pending link of the browser whose cookie hashes to `browser_hash`.
pub fn find_pending(
    conn: &mut DbConn,
    browser_hash: &TokenHash,
    now: i64,
) -> Result<Option<PendingLink>, StoreError> {
    Ok(pl::table
        .filter(pl::browser_hash.eq(browser_hash.as_str()))
        .filter(pl::used_at.is_null())
        .filter(pl::expires_at.gt(now))
        .order(pl::created_at.desc())
        .select(PendingLink::as_select())
        .first(conn)
        .optional()?)
}

/// Spends the pending link `id` if it is still live: true when this call spent it.
pub fn spend_pending(conn: &mut DbConn, id: &str, now: i64) -> Result<bool, StoreError> {
    let changed = diesel::update(
        pl::table
            .find(id)
            .filter(pl::used_at.is_null())
            .filter(pl::expires_at.gt(now)),
    )
    .set(pl::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A mailed proof, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = lp)]
pub struct LinkProof {
    pub pending_id: String,
    pub user_id: String,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
}

pub fn insert_proof(
    conn: &mut DbConn,
    hash: &TokenHash,
    pending: &PendingLink,
    lifetime: i64,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(lp::table)
        .values((
            lp::token_hash.eq(hash.as_str()),
            lp::pending_id.eq(&pending.id),
            lp::user_id.eq(&pending.user_id),
            lp::provider.eq(&pending.provider),
            lp::issuer.eq(&pending.issuer),
            lp::subject.eq(&pending.subject),
            lp::created_at.eq(now),
            lp::expires_at.eq(now + lifetime),
            lp::used_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many proofs mailed for the pending link `pending_id` can still be used.
pub fn live_proofs_of(conn: &mut DbConn, pending_id: &str, now: i64) -> Result<i64, StoreError> {
    Ok(lp::table
        .filter(lp::pending_id.eq(pending_id))
        .filter(lp::used_at.is_null())
        .filter(lp::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// The proof with this hash if it can still be used (reads only).
pub fn find_live_proof(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
) -> Result<Option<LinkProof>, StoreError> {
    Ok(lp::table
        .find(hash.as_str())
        .filter(lp::used_at.is_null())
        .filter(lp::expires_at.gt(now))
        .select(LinkProof::as_select())
        .first(conn)
        .optional()?)
}

/// Redeems a mailed proof: one conditional update; `None` when forged, spent or expired.
pub fn redeem_proof(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: i64,
) -> Result<Option<LinkProof>, StoreError> {
    let changed = diesel::update(
        lp::table
            .find(hash.as_str())
            .filter(lp::used_at.is_null())
            .filter(lp::expires_at.gt(now)),
    )
    .set(lp::used_at.eq(Some(now)))
    .execute(conn)?;
    if changed != 1 {
        return Ok(None);
    }
    Ok(lp::table
        .find(hash.as_str())
        .select(LinkProof::as_select())
        .first(conn)
        .optional()?)
}

/// Spends every live proof and pending link of `user_id` or of the identity `key`: after
/// an unlink no proof mailed before it may link again.
pub fn spend_proofs(
    conn: &mut DbConn,
    user_id: &str,
    key: &IdentityKey,
    now: i64,
) -> Result<usize, StoreError> {
    let proofs = diesel::update(
        lp::table
            .filter(
                lp::user_id.eq(user_id).or(lp::provider
                    .eq(&key.provider)
                    .and(lp::issuer.eq(&key.issuer))
                    .and(lp::subject.eq(&key.subject))),
            )
            .filter(lp::used_at.is_null()),
    )
    .set(lp::used_at.eq(Some(now)))
    .execute(conn)?;
    let pending = diesel::update(
        pl::table
            .filter(
                pl::user_id.eq(user_id).or(pl::provider
                    .eq(&key.provider)
                    .and(pl::issuer.eq(&key.issuer))
                    .and(pl::subject.eq(&key.subject))),
            )
            .filter(pl::used_at.is_null()),
    )
    .set(pl::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(proofs + pending)
}

/// Deletes flows, pending links and proofs that expired before `now` (the purge job).
pub fn purge_expired(conn: &mut DbConn, now: i64) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(ff::table.filter(ff::expires_at.le(now))).execute(conn)?
            + diesel::delete(lp::table.filter(lp::expires_at.le(now))).execute(conn)?
            + diesel::delete(pl::table.filter(pl::expires_at.le(now))).execute(conn)?,
    )
}
