//! The rotating signing-key store: what every relying party's trust rests on. It joins the
//! database (`store::keys`), the audit log and the pure cryptography of `crypto/` (key
//! generation, sealing under the master key, the in-memory [`KeySet`]); `crypto/` itself
//! touches neither the database nor the audit log.
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
//!
//! [`KeySet`]: crate::crypto::jwt::KeySet
use std::path::PathBuf;

use crate::config::Settings;
use crate::crypto::jwt::JwtError;
use crate::crypto::master_key::KeyError;
use crate::store::StoreError;

mod master_key_source;
pub mod plan;
mod store;

pub use master_key_source::load_master_key;
pub use plan::ALGORITHMS;
pub use store::KeyStore;

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
    /// The configured or stored master key is not 32 bytes of base64.
    #[error("master key: {0}")]
    MasterKey(#[source] KeyError),
    /// A master key file could not be read or written; `setting` names the key that
    /// pointed at it, if any.
    #[error("{}{}: {source}", setting.map(|s| format!("{s} ")).unwrap_or_default(), path.display())]
    MasterKeyFile {
        setting: Option<&'static str>,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("master key: production needs FERRID__SECRETS__MASTER_KEY or secrets.master_key_file")]
    NoMasterKey,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key generation failed: {0}")]
    Key(#[from] KeyError),
    #[error("key set: {0}")]
    Jwt(#[from] JwtError),
    #[error("the key set kept changing during maintenance; it will be tried again")]
    Busy,
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
