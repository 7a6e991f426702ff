//! Defences that sit beside the protocol: rate limiting (audit events live in store::audit).
pub mod rate_limit;
