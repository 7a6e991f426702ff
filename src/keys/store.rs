//! [`KeyStore`]: the in-memory key set of one replica, and the maintenance and rotation
//! transactions that change the stored keys (see the module above for the lifecycle).
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::plan::{self as key_plan, Step, ALGORITHMS};
use super::{KeyPolicy, KeyStoreError};
use crate::crypto::jwt::{KeySet, Signer};
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing_key::{self, KeyMaterial};
use crate::domain::{KeyState, SigningAlg};
use crate::store::audit::{self, Actor, Event, EventKind};
use crate::store::keys::{self, StoredKey};
use crate::store::{write_transaction, DbConn};

/// The in-memory view of the key store that signs and verifies, kept current by [`tick`].
///
/// [`tick`]: KeyStore::tick
pub struct KeyStore {
    master: MasterKey,
    policy: KeyPolicy,
    current: RwLock<Arc<KeySet>>,
    loaded_version: AtomicI64,
    /// The earliest time at which maintenance has something to do.
    next_due: AtomicI64,
}

impl KeyStore {
    /// Checks that the master key opens every stored key *before* changing anything (a wrong
    /// master key must not lead to keys being replaced), then runs maintenance (the first
    /// start creates the active keys) and loads the key set.
    pub fn open(
        conn: &mut DbConn,
        master: MasterKey,
        policy: KeyPolicy,
        now: i64,
    ) -> Result<KeyStore, KeyStoreError> {
        for key in keys::all(conn)? {
            unseal(&master, &key)?;
        }
        let store = KeyStore {
            master,
            policy,
            current: RwLock::new(Arc::new(KeySet::new(Vec::new(), Vec::new())?)),
            loaded_version: AtomicI64::new(-1),
            next_due: AtomicI64::new(i64::MIN),
        };
        store.maintain(conn, now)?;
        store.reload(conn)?;
        Ok(store)
    }

    /// The current key set: sign with it, verify with it, serve its JWKS bytes.
    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The periodic step of each replica: reload when another replica or the CLI changed
    /// the keys, and run maintenance when something is due.
    pub fn tick(&self, conn: &mut DbConn, now: i64) -> Result<(), KeyStoreError> {
        if self.is_due(now) {
            self.maintain(conn, now)?;
        }
        self.reload_if_changed(conn)
    }

    /// Has the lifecycle something to do at `now` (as of the last load)?
    pub fn is_due(&self, now: i64) -> bool {
        now >= self.next_due.load(Ordering::Relaxed)
    }

    /// Reloads when another replica or the CLI changed the stored keys.
    pub fn reload_if_changed(&self, conn: &mut DbConn) -> Result<(), KeyStoreError> {
        if keys::version(conn)? != self.loaded_version.load(Ordering::Relaxed) {
            self.reload(conn)?;
        }
        Ok(())
    }

    /// Rebuilds the in-memory key set from the database.
    pub fn reload(&self, conn: &mut DbConn) -> Result<(), KeyStoreError> {
        // Read the version first: a change landing in between makes the next tick reload again.
        let version = keys::version(conn)?;
        let stored = keys::all(conn)?;
        let mut signers = Vec::new();
        for key in stored.iter().filter(|k| k.state == KeyState::Active) {
            let pem = unseal(&self.master, key)?;
            signers.push(Signer::from_pem(key.kid.clone(), key.alg, &pem)?);
        }
        let published = stored.iter().map(|k| k.public_jwk.clone()).collect();
        let set = Arc::new(KeySet::new(signers, published)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = set;
        self.loaded_version.store(version, Ordering::Relaxed);
        self.next_due.store(
            key_plan::next_due(&stored, self.policy.rotation_interval),
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// Runs the lifecycle once, in one transaction. Returns whether anything changed (and
    /// reloads the key set if so).
    ///
    /// Keys are generated before the transaction: an RSA key takes from tens of
    /// milliseconds to seconds, and inside the transaction that would hold SQLite's writer
    /// lock (or the maintenance row lock on PostgreSQL) and stall every other write. An
    /// unlocked read says which keys will be needed; under the lock the plan is made again
    /// and uses them, or, when another maintainer got there first, drops them.
    pub fn maintain(&self, conn: &mut DbConn, now: i64) -> Result<bool, KeyStoreError> {
        let mut fresh = Vec::new();
        for _ in 0..ATTEMPTS {
            let stored = keys::all(conn)?;
            let needed = ALGORITHMS
                .into_iter()
                .filter(|alg| self.plan(&stored, *alg, now).creates());
            self.generate(&mut fresh, needed)?;
            let Some(changed) =
                write_transaction(conn, |conn| self.maintain_locked(conn, &mut fresh, now))?
            else {
                continue;
            };
            if changed {
                self.reload(conn)?;
            }
            return Ok(changed);
        }
        Err(KeyStoreError::Busy)
    }

    fn plan<'a>(&self, stored: &'a [StoredKey], alg: SigningAlg, now: i64) -> Step<'a> {
        key_plan::plan(stored, alg, self.policy.rotation_interval, now)
    }

    /// The maintenance transaction. `None`: a key it needs was not generated (the store
    /// changed since the unlocked read); nothing was changed.
    fn maintain_locked(
        &self,
        conn: &mut DbConn,
        fresh: &mut Vec<KeyMaterial>,
        now: i64,
    ) -> Result<Option<bool>, KeyStoreError> {
        keys::lock_for_maintenance(conn, now)?;
        let stored = keys::all(conn)?;
        let steps: Vec<(SigningAlg, Step<'_>)> = ALGORITHMS
            .into_iter()
            .map(|alg| (alg, self.plan(&stored, alg, now)))
            .collect();
        if steps
            .iter()
            .any(|(alg, step)| step.creates() && !fresh.iter().any(|m| m.alg == *alg))
        {
            return Ok(None);
        }
        let mut changed = false;
        for (alg, step) in steps {
            changed |= self.apply(conn, fresh, alg, step, now)?;
        }
        for key in stored.iter().filter(|k| k.state == KeyState::Retired) {
            if key.drop_after.is_some_and(|t| t <= now) && keys::delete(conn, &key.kid)? {
                record(conn, EventKind::KeyDropped, key, now)?;
                changed = true;
            }
        }
        if changed {
            keys::bump_version(conn)?;
        }
        Ok(Some(changed))
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        fresh: &mut Vec<KeyMaterial>,
        alg: SigningAlg,
        step: Step<'_>,
        now: i64,
    ) -> Result<bool, KeyStoreError> {
        match step {
            Step::Nothing => Ok(false),
            Step::Activate { next, old } => {
                if let Some(old) = old {
                    let drop_after = now + self.policy.retired_lifetime;
                    if keys::retire(conn, &old.kid, now, drop_after)? {
                        record(conn, EventKind::KeyRetired, old, now)?;
                    }
                }
                if keys::activate(conn, &next.kid, now)? {
                    record(conn, EventKind::KeyActivated, next, now)?;
                }
                Ok(true)
            }
            Step::CreateActive => {
                let key = self.store(conn, take(fresh, alg)?, KeyState::Active, now, now)?;
                record(conn, EventKind::KeyCreated, &key, now)?;
                record(conn, EventKind::KeyActivated, &key, now)?;
                Ok(true)
            }
            Step::CreateNext => {
                let activate_after = now + self.policy.publish_ahead;
                let key =
                    self.store(conn, take(fresh, alg)?, KeyState::Next, activate_after, now)?;
                record(conn, EventKind::KeyCreated, &key, now)?;
                Ok(true)
            }
        }
    }

    /// `ferrid keys rotate`: a next key for every algorithm that has none, published at once
    /// and active after `publish_ahead`. Returns the new kids (empty when a rotation is
    /// already under way). Keys are generated before the transaction, as in [`maintain`].
    ///
    /// [`maintain`]: KeyStore::maintain
    pub fn rotate(&self, conn: &mut DbConn, now: i64) -> Result<Vec<String>, KeyStoreError> {
        self.rotate_by(conn, Actor::CLI, now)
    }

    /// [`rotate`](KeyStore::rotate) by an administrator (the console's "rotate now"), who
    /// is named in the key_rotated event it records when it creates keys.
    pub fn rotate_by(
        &self,
        conn: &mut DbConn,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<Vec<String>, KeyStoreError> {
        let mut fresh = Vec::new();
        for _ in 0..ATTEMPTS {
            let stored = keys::all(conn)?;
            self.generate(&mut fresh, key_plan::without_next(&stored))?;
            if let Some(created) = write_transaction(conn, |conn| {
                self.rotate_locked(conn, &mut fresh, actor, now)
            })? {
                self.reload(conn)?;
                return Ok(created);
            }
        }
        Err(KeyStoreError::Busy)
    }

    /// The rotation transaction; `None` when a key it needs was not generated.
    fn rotate_locked(
        &self,
        conn: &mut DbConn,
        fresh: &mut Vec<KeyMaterial>,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<Option<Vec<String>>, KeyStoreError> {
        keys::lock_for_maintenance(conn, now)?;
        let needed = key_plan::without_next(&keys::all(conn)?);
        if needed
            .iter()
            .any(|alg| !fresh.iter().any(|m| m.alg == *alg))
        {
            return Ok(None);
        }
        let mut created = Vec::new();
        for alg in needed {
            let activate_after = now + self.policy.publish_ahead;
            let key = self.store(conn, take(fresh, alg)?, KeyState::Next, activate_after, now)?;
            let detail = format!("{} {} (manual rotation)", key.alg.as_str(), key.kid);
            audit::record(
                conn,
                &Event::new(EventKind::KeyCreated).detail(&detail),
                now,
            )?;
            created.push(key.kid);
        }
        if !created.is_empty() {
            keys::bump_version(conn)?;
            let detail = created.join(" ");
            let event = actor.event(EventKind::KeyRotated).detail(&detail);
            audit::record(conn, &event, now)?;
        }
        Ok(Some(created))
    }

    /// Generates a key for each of `algs` that has none waiting in `fresh`. No database
    /// work happens meanwhile.
    fn generate(
        &self,
        fresh: &mut Vec<KeyMaterial>,
        algs: impl IntoIterator<Item = SigningAlg>,
    ) -> Result<(), KeyStoreError> {
        for alg in algs {
            if !fresh.iter().any(|m| m.alg == alg) {
                fresh.push(signing_key::generate(alg, self.policy.rsa_bits)?);
            }
        }
        Ok(())
    }

    /// Seals a generated key under the master key and inserts it.
    fn store(
        &self,
        conn: &mut DbConn,
        material: KeyMaterial,
        state: KeyState,
        activate_after: i64,
        now: i64,
    ) -> Result<StoredKey, KeyStoreError> {
        // The kid is the associated data: a sealed key copied onto another row won't open.
        let sealed = self
            .master
            .seal(&material.private_pem, material.kid.as_bytes());
        let key = StoredKey {
            kid: material.kid,
            alg: material.alg,
            public_jwk: material.public_jwk,
            sealed_private_key: STANDARD.encode(sealed),
            state,
            created_at: now,
            activate_after,
            activated_at: (state == KeyState::Active).then_some(now),
            retired_at: None,
            drop_after: None,
        };
        keys::insert(conn, &key)?;
        Ok(key)
    }
}

/// How many times maintenance re-plans when the store changed between its unlocked read
/// and its lock. Plans only shrink as other maintainers work, so two rounds suffice.
const ATTEMPTS: usize = 3;

/// The generated key for `alg` (checked to be there before anything was changed).
fn take(fresh: &mut Vec<KeyMaterial>, alg: SigningAlg) -> Result<KeyMaterial, KeyStoreError> {
    let at = fresh
        .iter()
        .position(|m| m.alg == alg)
        .ok_or(KeyStoreError::Busy)?;
    Ok(fresh.swap_remove(at))
}

fn unseal(master: &MasterKey, key: &StoredKey) -> Result<Vec<u8>, KeyStoreError> {
    let wrong = || KeyStoreError::WrongMasterKey {
        kid: key.kid.clone(),
    };
    let sealed = STANDARD
        .decode(&key.sealed_private_key)
        .map_err(|_| wrong())?;
    master
        .open(&sealed, key.kid.as_bytes())
        .map_err(|_| wrong())
}

fn record(
    conn: &mut DbConn,
    kind: EventKind,
    key: &StoredKey,
    now: i64,
) -> Result<(), KeyStoreError> {
    let detail = format!("{} {}", key.alg.as_str(), key.kid);
    audit::record(conn, &Event::new(kind).detail(&detail), now)?;
    Ok(())
}
