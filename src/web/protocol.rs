//! Running one protocol call from a handler: on a blocking thread (diesel and signing block
//! the thread), with a connection checked out of the pool and the provider for this request.
//! A pool that gives no connection is a storage failure like any other: the error mapping
//! answers it 503 when the database is unreachable.
use actix_web::error::BlockingError;
use actix_web::web;

use crate::oauth::{self, Provider};
use crate::state::AppState;
use crate::store::{DbConn, StoreError};

pub async fn call<T, F>(
    state: &web::Data<AppState>,
    f: F,
) -> Result<Result<T, oauth::Error>, BlockingError>
where
    T: Send + 'static,
    F: FnOnce(&Provider<'_>, &mut DbConn) -> Result<T, oauth::Error> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        let mut conn = state.pool.get().map_err(StoreError::from)?;
        f(&state.provider(), &mut conn)
    })
    .await
}
