//! Failed client authentication at /token, /introspect and /revoke is throttled per
//! (client_id, client IP): after `rate_limit.client_auth_failures` failures within
//! `rate_limit.client_auth_window` seconds, that client_id from that address is answered
//! 429 with Retry-After, even with the right secret, until the window has passed. Keyed by
//! address too, so an attacker who knows a client_id cannot shut the real client out from
//! its own servers (secrets are 256-bit random values: the limit bounds the work and the
//! noise of guessing, not its odds).
//!
//! RFC 6749 §5.2 defines no code for this. The answer is status 429 (RFC 6585 §4) with
//! Retry-After and the body `{"error": "invalid_client", ...}`: the request is refused for
//! its client authentication, and a client that reads only the body still sees why.
//!
//! Counting is check-then-count: a request looks at the bucket first (one read), and only
//! an `invalid_client` answer is counted. A race between concurrent failures can let a few
//! more guesses through than the limit, which is harmless against 256-bit secrets and spares
//! every successful token request a write.
use actix_web::web;

use super::oauth_error::OAuthErrorResponse;
use crate::oauth::client_auth::PresentedCredentials;
use crate::oauth::{self, ErrorCode, Provider};
use crate::security::rate_limit::Kind;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::{DbConn, StoreError};

/// The bucket of a request's client authentication: its client_id and the client IP.
/// `None` when no client_id was presented (that fails without touching the database).
pub fn subject(
    authorization: Option<&str>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    ip: Option<&str>,
) -> Option<String> {
    let presented = PresentedCredentials::parse(authorization, client_id, client_secret).ok()?;
    let client_id = presented.client_id()?;
    Some(format!("{client_id}|{}", ip.unwrap_or("-")))
}

/// Runs one client-authenticated protocol call on a blocking thread, under the limit.
pub async fn call<T, F>(
    state: &web::Data<AppState>,
    subject: Option<String>,
    ip: Option<String>,
    now: i64,
    f: F,
) -> Result<T, OAuthErrorResponse>
where
    T: Send + 'static,
    F: FnOnce(&Provider<'_>, &mut DbConn) -> Result<T, oauth::Error> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        if let Some(refusal) = subject
            .as_deref()
            .and_then(|s| state.limiter.refusal(Kind::ClientAuth, s, now))
        {
            return Err(OAuthErrorResponse::Throttled {
                retry_after: refusal.retry_after,
            });
        }
        let mut conn = state.pool.get().map_err(StoreError::from)?;
        let result = f(&state.provider(), &mut conn);
        if let (Some(subject), Err(oauth::Error::OAuth(e))) = (&subject, &result) {
            if e.code == ErrorCode::InvalidClient {
                count_failure(&state, &mut conn, subject, ip.as_deref(), now)?;
            }
        }
        Ok(result?)
    })
    .await?
}

/// Counts a failed client authentication; the one that reaches the limit is audited.
fn count_failure(
    state: &AppState,
    conn: &mut DbConn,
    subject: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let Ok(reservation) = state.limiter.reserve(Kind::ClientAuth, subject, now) else {
        return Ok(());
    };
    if reservation.next_wait > 0 {
        let client_id = subject.rsplit_once('|').map_or(subject, |(id, _)| id);
        let detail = format!(
            "client_id {client_id}; next attempt in {} s",
            reservation.next_wait
        );
        let event = Event::new(EventKind::ClientAuthThrottled)
            .ip(ip)
            .detail(&detail);
        audit::record(conn, &event, now)?;
    }
    Ok(())
}
