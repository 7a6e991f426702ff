//! Defences that sit beside the protocol: throttling (`rate_limit`, with its rule in
//! `bucket` and its stores in `counter` and `redis_counter`), which client IP to believe
//! (`forwarded`), the per-IP connection cap and CORS (audit events live in store::audit).
pub mod breaker;
pub mod bucket;
pub mod connections;
pub mod cors;
pub mod counter;
pub mod forwarded;
pub mod rate_limit;
pub mod redis_counter;

#[cfg(test)]
mod proptests;
