//! `[keys]` (the signing keys' algorithm, size and rotation) and `[secrets]` (the master key
//! that seals them at rest).
use std::num::NonZeroU64;
use std::path::PathBuf;

use serde::Deserialize;

use super::{values, Secret};
use crate::domain::SigningAlg;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSettings {
    #[serde(default)]
    pub master_key: Option<Secret>,
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    #[serde(deserialize_with = "values::signing_alg")]
    pub algorithm: SigningAlg,
    pub rsa_bits: u32,
    pub rotation_interval: i64,
    pub publish_ahead: i64,
    pub jwks_max_age: i64,
    /// Seconds between two looks at whether another replica changed the keys.
    #[serde(deserialize_with = "values::at_least_one")]
    pub poll_interval: NonZeroU64,
}
