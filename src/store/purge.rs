//! The periodic clean-up: rows that can no longer matter are deleted, so tables stay the
//! size of what is live.
use diesel::prelude::*;

use super::schema::{
    access_tokens, authorization_codes, authorization_requests, grants, refresh_tokens, sessions,
    setup_tokens,
};
use super::{DbConn, StoreError};

/// Used codes are kept this long past their expiry, so a late replay is still recognised
/// and revokes what the code issued (RFC 6749 §4.1.2).
pub const CODE_REPLAY_WINDOW: i64 = 3600;

/// Sent messages are kept a day, for an administrator tracing a delivery.
pub const SENT_MAIL_KEPT: i64 = 86400;

/// Deletes what expired before `now`; returns how many rows went.
pub fn purge_expired(conn: &mut DbConn, now: i64) -> Result<usize, StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        let mut n = 0;
        n += diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
        n += diesel::delete(
            authorization_requests::table.filter(authorization_requests::expires_at.le(now)),
        )
        .execute(conn)?;
        n += diesel::delete(
            authorization_codes::table
                .filter(authorization_codes::expires_at.le(now - CODE_REPLAY_WINDOW)),
        )
        .execute(conn)?;
        // Used refresh tokens stay until they expire: a reuse must still be recognised.
        n += diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
            .execute(conn)?;
        // The revocation list only needs a jti while its JWT could still verify.
        n += diesel::delete(access_tokens::table.filter(access_tokens::expires_at.le(now)))
            .execute(conn)?;
        n += diesel::delete(grants::table.filter(grants::expires_at.le(now))).execute(conn)?;
        n += diesel::delete(setup_tokens::table.filter(setup_tokens::expires_at.le(now)))
            .execute(conn)?;
        // Used links stay until their expiry, so a second click says "already used".
        n += super::one_time_tokens::purge_expired(conn, now)?;
        n += super::federation::purge_expired(conn, now)?;
        // Sent mail holds links (reset, verification) that must not linger in the database.
        n += super::mail_queue::purge_sent(conn, now - SENT_MAIL_KEPT)?;
        Ok(n)
    })
}

/// Deletes audit events older than the retention (`audit.retention_days`, in seconds);
/// run beside [`purge_expired`] by the maintenance job. Returns how many went.
pub fn purge_audit(conn: &mut DbConn, now: i64, retention: i64) -> Result<usize, StoreError> {
    super::audit::purge_before(conn, now - retention)
}
