//! Pure cryptography: password hashing, JWT signing and verification, signing-key
//! generation, sealing keys at rest under the master key, and signed device cookies. No database and no audit log
//! here (the rotating key store that joins them is `keys/`); random tokens and their hashes
//! are domain types (`domain::{SecretToken, TokenHash}`).
//! Everything here is synchronous and CPU-bound: callers run it inside `web::block`.
pub mod device_cookie;
pub mod jwt;
pub mod master_key;
pub mod password;
pub mod signing_key;

#[cfg(test)]
mod proptests;
