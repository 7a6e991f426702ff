//! Password hashing, keys at rest and JWT signing. (Random tokens and their hashes are
//! domain types: `domain::{SecretToken, TokenHash}`.)
//! Everything here is synchronous and CPU-bound: callers run it inside `web::block`.
pub mod jwt;
pub mod key_plan;
pub mod key_store;
pub mod master_key;
mod master_key_source;
pub mod password;
pub mod signing_key;
