//! The rotating signing-key store: what every relying party's trust rests on.
//!
//! Lifecycle per algorithm (RS256 and ES256 are both kept, so a client can be set to
//! receive ES256 ID tokens): a *next* key is published in the JWKS at once but signs nothing
//! until `publish_ahead` has passed (longer than the JWKS max-age, so relying parties have
//! fetched it before they meet it); then it becomes *active* and the old one *retired*. A
//! retired key stays published until every token it signed has expired, then it is dropped.
//!
//! Replicas sharing one database agree through it: maintenance runs in one transaction that
//! starts by taking a lock (`store::keys::lock_for_maintenance`), a partial unique index
//! refuses a second active key of one algorithm, and every change bumps a version that each
//! replica polls to reload its in-memory [`KeySet`].
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::jwt::{JwtError, KeySet, Signer};
use super::master_key::{KeyError, MasterKey};
use super::signing_key::{self, SigningAlg};
use crate::config::Settings;
use crate::store::audit::{self, Event, EventKind};
use crate::store::keys::{self, KeyState, StoredKey};
use crate::store::{write_transaction, DbConn, StoreError};

/// Every algorithm the store keeps a key for.
pub const ALGORITHMS: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::ES256];

/// Extra time a retired key stays published beyond the longest token lifetime, for clock
/// skew between us and relying parties.
const DROP_MARGIN: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error(
        "the master key does not decrypt signing key {kid} stored in the database. \
         Start with the master key the keys were created under (FERRID__SECRETS__MASTER_KEY \
         or secrets.master_key_file); no key was changed"
    )]
    WrongMasterKey { kid: String },
    #[error("master key: {0}")]
    MasterKey(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key generation failed: {0}")]
    Key(#[from] KeyError),
    #[error("key set: {0}")]
    Jwt(#[from] JwtError),
}

impl From<diesel::result::Error> for KeyStoreError {
    fn from(e: diesel::result::Error) -> Self {
        KeyStoreError::Store(StoreError::Database(e))
    }
}

/// The timing and algorithm choices of the lifecycle, from config.
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    pub rsa_bits: u32,
    pub rotation_interval: i64,
    pub publish_ahead: i64,
    /// How long after retirement a key leaves the JWKS: the longest JWT lifetime plus a margin.
    pub retired_lifetime: i64,
}

impl KeyPolicy {
    pub fn from_settings(settings: &Settings) -> Self {
        let longest = settings
            .tokens
            .access_token_lifetime
            .max(settings.tokens.id_token_lifetime);
        KeyPolicy {
            rsa_bits: settings.keys.rsa_bits,
            rotation_interval: settings.keys.rotation_interval,
            publish_ahead: settings.keys.publish_ahead,
            retired_lifetime: longest + DROP_MARGIN,
        }
    }
}

/// The master key from `secrets.master_key`, `secrets.master_key_file`, or — in development
/// only, when neither is given — a key generated once into `<data_dir>/master.key`. The
/// boolean tells whether it was just generated (the caller prints a warning).
pub fn load_master_key(settings: &Settings) -> Result<(MasterKey, bool), KeyStoreError> {
    let bad = |e: KeyError| KeyStoreError::MasterKey(e.to_string());
    if let Some(secret) = &settings.secrets.master_key {
        return Ok((MasterKey::from_base64(secret.expose()).map_err(bad)?, false));
    }
    if let Some(path) = &settings.secrets.master_key_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            KeyStoreError::MasterKey(format!("secrets.master_key_file {}: {e}", path.display()))
        })?;
        return Ok((MasterKey::from_base64(&text).map_err(bad)?, false));
    }
    if settings.is_production() {
        // Settings::validate refuses this too; never fall back to a generated key here.
        return Err(KeyStoreError::MasterKey(
            "production needs FERRID__SECRETS__MASTER_KEY or secrets.master_key_file".into(),
        ));
    }
    let path = settings.server.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KeyStoreError::MasterKey(format!("{}: {e}", path.display())))?;
        return Ok((MasterKey::from_base64(&text).map_err(bad)?, false));
    }
    let key = MasterKey::generate();
    write_private_file(&path, key.to_base64().as_bytes())
        .map_err(|e| KeyStoreError::MasterKey(format!("{}: {e}", path.display())))?;
    Ok((key, true))
}

/// Creates a file readable by its owner only.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

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
        if now >= self.next_due.load(Ordering::Relaxed) {
            self.maintain(conn, now)?;
        }
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
        self.next_due
            .store(next_due(&stored, &self.policy), Ordering::Relaxed);
        Ok(())
    }

    /// Runs the lifecycle once, in one transaction. Returns whether anything changed (and
    /// reloads the key set if so).
    pub fn maintain(&self, conn: &mut DbConn, now: i64) -> Result<bool, KeyStoreError> {
        let changed = write_transaction(conn, |conn| {
            keys::lock_for_maintenance(conn, now)?;
            let stored = keys::all(conn)?;
            let mut changed = false;
            for alg in ALGORITHMS {
                changed |= self.maintain_alg(conn, &stored, alg, now)?;
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
            Ok::<_, KeyStoreError>(changed)
        })?;
        if changed {
            self.reload(conn)?;
        }
        Ok(changed)
    }

    fn maintain_alg(
        &self,
        conn: &mut DbConn,
        stored: &[StoredKey],
        alg: SigningAlg,
        now: i64,
    ) -> Result<bool, KeyStoreError> {
        let active = stored
            .iter()
            .find(|k| k.alg == alg && k.state == KeyState::Active);
        let next = stored
            .iter()
            .find(|k| k.alg == alg && k.state == KeyState::Next);
        match (active, next) {
            // The next key has been published long enough: it takes over.
            (active, Some(next)) if next.activate_after <= now || active.is_none() => {
                if let Some(old) = active {
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
            // First start: nothing to publish ahead of, the key is active at once.
            (None, None) => {
                let key = self.create(conn, alg, KeyState::Active, now, now)?;
                record(conn, EventKind::KeyCreated, &key, now)?;
                record(conn, EventKind::KeyActivated, &key, now)?;
                Ok(true)
            }
            // The rotation schedule: time for a successor.
            (Some(active), None)
                if active.activated_at.unwrap_or(active.created_at)
                    + self.policy.rotation_interval
                    <= now =>
            {
                let key = self.create(
                    conn,
                    alg,
                    KeyState::Next,
                    now + self.policy.publish_ahead,
                    now,
                )?;
                record(conn, EventKind::KeyCreated, &key, now)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `ferrid keys rotate`: a next key for every algorithm that has none, published at once
    /// and active after `publish_ahead`. Returns the new kids (empty when a rotation is
    /// already under way).
    pub fn rotate(&self, conn: &mut DbConn, now: i64) -> Result<Vec<String>, KeyStoreError> {
        let created = write_transaction(conn, |conn| {
            keys::lock_for_maintenance(conn, now)?;
            let stored = keys::all(conn)?;
            let mut created = Vec::new();
            for alg in ALGORITHMS {
                if stored
                    .iter()
                    .any(|k| k.alg == alg && k.state == KeyState::Next)
                {
                    continue;
                }
                let key = self.create(
                    conn,
                    alg,
                    KeyState::Next,
                    now + self.policy.publish_ahead,
                    now,
                )?;
                audit::record(
                    conn,
                    &Event::new(EventKind::KeyCreated).detail(&format!(
                        "{} {} (manual rotation)",
                        key.alg.as_str(),
                        key.kid
                    )),
                    now,
                )?;
                created.push(key.kid);
            }
            if !created.is_empty() {
                keys::bump_version(conn)?;
            }
            Ok::<_, KeyStoreError>(created)
        })?;
        self.reload(conn)?;
        Ok(created)
    }

    fn create(
        &self,
        conn: &mut DbConn,
        alg: SigningAlg,
        state: KeyState,
        activate_after: i64,
        now: i64,
    ) -> Result<StoredKey, KeyStoreError> {
        let material = signing_key::generate(alg, self.policy.rsa_bits)?;
        // The kid is the associated data: a sealed key copied onto another row won't open.
        let sealed = self
            .master
            .seal(&material.private_pem, material.kid.as_bytes());
        let key = StoredKey {
            kid: material.kid,
            alg,
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

/// When maintenance next has work: a next key to activate, a rotation due, a key to drop.
fn next_due(stored: &[StoredKey], policy: &KeyPolicy) -> i64 {
    let mut due = i64::MAX;
    for key in stored {
        let t = match key.state {
            KeyState::Next => key.activate_after,
            KeyState::Active => {
                key.activated_at.unwrap_or(key.created_at) + policy.rotation_interval
            }
            KeyState::Retired => key.drop_after.unwrap_or(i64::MAX),
        };
        due = due.min(t);
    }
    // A store missing a key for some algorithm needs maintenance at once.
    let complete = ALGORITHMS.iter().all(|alg| {
        stored
            .iter()
            .any(|k| k.alg == *alg && k.state == KeyState::Active)
    });
    if complete {
        due
    } else {
        i64::MIN
    }
}
