//! Password hashing takes turns. argon2 holds a core for tens of milliseconds per hash, and
//! it runs on the same blocking threads as database and signing work; unbounded, a flood of
//! logins or registrations would take every one of them and every core, and /token would
//! queue behind it. So a handler that hashes first takes a turn (one of
//! `password.max_concurrent_hashes` permits, by default one fewer than the cores), waiting
//! for it without holding a thread, and only then starts its blocking call. The flood
//! queues for the hasher; the token endpoints keep the other threads and cores.
use actix_web::web;

use super::error::PageError;
use crate::state::AppState;

/// Runs `f`, which hashes or verifies a password, on a blocking thread once a turn at the
/// hasher is free. The turn is held until `f` ends, even if the client goes away first.
pub async fn block<F, R>(state: &web::Data<AppState>, f: F) -> Result<R, PageError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let permit = state
        .hash_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(PageError::internal)?;
    Ok(web::block(move || {
        let result = f();
        drop(permit);
        result
    })
    .await?)
}
