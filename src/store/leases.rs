//! Leases on background jobs shared by replicas: a job runs where its lease was taken, and
//! nowhere else until the lease expires, so N replicas purge (or maintain keys, or poll the
//! mail queue) once per interval rather than N times.
use diesel::prelude::*;

use super::schema::job_leases;
use super::{DbConn, StoreError};

/// Takes the lease on `job` for `holder` until `now + ttl` when it is free (never taken, or
/// expired); `false` while anyone holds it, the caller included, so a job runs at most once
/// per `ttl` however many replicas ask.
pub fn try_take(
    conn: &mut DbConn,
    job: &str,
    holder: &str,
    now: i64,
    ttl: i64,
) -> Result<bool, StoreError> {
    take(conn, job, holder, now, ttl, false)
}

/// Like [`try_take`], but the holder may also extend its own lease before it ends: for a job
/// one replica should keep doing (polling the mail queue) until it stops, when the lease
/// runs out and another takes over.
pub fn take_or_renew(
    conn: &mut DbConn,
    job: &str,
    holder: &str,
    now: i64,
    ttl: i64,
) -> Result<bool, StoreError> {
    take(conn, job, holder, now, ttl, true)
}

/// One statement decides each case: the conditional UPDATE for an existing row (row-locked
/// on PostgreSQL, under the writer lock on SQLite), an INSERT that does nothing on conflict
/// for the first time. A plain read first spares the write while someone else holds it,
/// which is the common case on every replica but one.
fn take(
    conn: &mut DbConn,
    job: &str,
    holder: &str,
    now: i64,
    ttl: i64,
    renew: bool,
) -> Result<bool, StoreError> {
    let mine = |h: &str| renew && h == holder;
    if let Some((current, until)) = self::holder(conn, job)? {
        if until > now && !mine(&current) {
            return Ok(false);
        }
    }
    let until = now.saturating_add(ttl.max(1));
    super::write_transaction::<_, StoreError>(conn, |conn| {
        let free = job_leases::expires_at.le(now);
        let taken = if renew {
            diesel::update(
                job_leases::table
                    .filter(job_leases::job.eq(job))
                    .filter(free.or(job_leases::holder.eq(holder))),
            )
            .set((
                job_leases::holder.eq(holder),
                job_leases::expires_at.eq(until),
            ))
            .execute(conn)?
        } else {
            diesel::update(
                job_leases::table
                    .filter(job_leases::job.eq(job))
                    .filter(free),
            )
            .set((
                job_leases::holder.eq(holder),
                job_leases::expires_at.eq(until),
            ))
            .execute(conn)?
        };
        if taken == 1 {
            return Ok(true);
        }
        let values = || {
            (
                job_leases::job.eq(job),
                job_leases::holder.eq(holder),
                job_leases::expires_at.eq(until),
            )
        };
        // ON CONFLICT is spelled per backend (see consents.rs).
        let inserted = match conn {
            DbConn::Postgresql(c) => diesel::insert_into(job_leases::table)
                .values(values())
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_into(job_leases::table)
                .values(values())
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        Ok(inserted == 1)
    })
}

/// Who holds `job`'s lease and until when (the last holder, if it expired).
pub fn holder(conn: &mut DbConn, job: &str) -> Result<Option<(String, i64)>, StoreError> {
    Ok(job_leases::table
        .find(job)
        .select((job_leases::holder, job_leases::expires_at))
        .first(conn)
        .optional()?)
}
