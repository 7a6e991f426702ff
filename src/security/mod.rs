//! Defences that sit beside the protocol: rate limiting and CORS (audit events live in
//! store::audit).
pub mod breaker;
pub mod connections;
pub mod cors;
pub mod rate_limit;
pub mod redis_counter;
