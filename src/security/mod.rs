//! Defences that sit beside the protocol: rate limiting and CORS (audit events live in
//! store::audit).
pub mod cors;
pub mod rate_limit;
