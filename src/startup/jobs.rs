//! The background jobs of a replica, run once per interval across all replicas sharing the
//! database: each replica's maintenance thread asks for a job's lease (store::leases) and
//! runs the job only when it got it. Reloading the key set and the CORS origins is not a job:
//! every replica needs its own copy current.
use crate::state::AppState;
use crate::store::{self, leases};

/// How often expired rows are purged, in seconds.
pub const PURGE_INTERVAL: i64 = 600;

/// Lease names in `job_leases`.
pub const PURGE: &str = "purge";
pub const KEY_MAINTENANCE: &str = "key_maintenance";
pub const MAIL_DELIVERY: &str = crate::mail::worker::LEASE;

/// This process's name in the lease table: unique per start (a restarted replica is a new
/// holder), and readable enough to match a log line.
pub fn holder_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "ferrid".into());
    let nonce = crate::domain::SecretToken::generate();
    format!("{host}:{}:{}", std::process::id(), &nonce.as_str()[..8])
}

/// Which jobs one round ran here (the others were not due, or another replica holds them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ran {
    pub key_maintenance: bool,
    pub purge: bool,
}

/// One round of the maintenance thread at `now`, as replica `holder`: key maintenance when
/// due and leased (for `keys.poll_interval`), the key set reloaded when any replica changed
/// it, the CORS origins refreshed, and the purge when its lease (for `PURGE_INTERVAL`) is
/// free.
pub fn run_round(state: &AppState, holder: &str, now: i64) -> anyhow::Result<Ran> {
    let mut conn = state.pool.get()?;
    let mut ran = Ran::default();
    let poll = i64::try_from(state.settings.keys.poll_interval.get()).unwrap_or(i64::MAX);
    if state.keys.is_due(now) && leases::try_take(&mut conn, KEY_MAINTENANCE, holder, now, poll)? {
        state.keys.maintain(&mut conn, now)?;
        ran.key_maintenance = true;
    }
    state.keys.reload_if_changed(&mut conn)?;
    state.cors_origins.refresh(&mut conn)?;
    if leases::try_take(&mut conn, PURGE, holder, now, PURGE_INTERVAL)? {
        ran.purge = true;
        let mut purged = store::purge::purge_expired(&mut conn, now)?;
        // Audit events older than `audit.retention_days` go with the expired rows.
        let retention = state.settings.audit.retention_seconds();
        purged += store::purge::purge_audit(&mut conn, now, retention)?;
        if purged > 0 {
            log::info!("purged {purged} expired rows");
        }
    }
    Ok(ran)
}
