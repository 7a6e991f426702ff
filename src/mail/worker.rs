//! The delivery worker: claims due messages from the queue, sends each (network I/O, outside
//! any database transaction), and records the outcome. Failures are retried with exponential
//! backoff until `MAX_ATTEMPTS`, then given up with their last error kept. Delivery is at
//! least once: a worker that sends a message and then cannot record it (database gone, process
//! killed) leaves it to be sent again when its lease ends.
use std::sync::Weak;
use std::time::Duration;

use super::Mailer;
use crate::clock::Clock;
use crate::store::{leases, mail_queue, Pool, StoreError};

/// Messages claimed per round (each claim leases its messages for the whole round).
pub const BATCH: i64 = 10;
/// The first retry waits this long (seconds); each further one twice as long ...
pub const FIRST_RETRY: i64 = 30;
/// ... up to this (an hour) ...
pub const MAX_RETRY: i64 = 3600;
/// ... for this many attempts in all (about a day), then the message is given up.
pub const MAX_ATTEMPTS: i32 = 30;

/// When to try again after the `attempts`-th attempt failed at `now`: 30 s × 2^(attempts−1),
/// capped at an hour; `None` once `MAX_ATTEMPTS` attempts have failed.
pub fn retry_at(attempts: i32, now: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let delay = FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY);
    Some(now + delay)
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Failed this time, to be tried again.
    pub retrying: usize,
    /// Failed for good: permanently, or for the last allowed time.
    pub gave_up: usize,
}

impl DeliveryReport {
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.gave_up
    }
}

/// One round: claims up to `BATCH` due messages and delivers them. The database connection
/// is returned to the pool while the network is used.
pub fn deliver_due(pool: &Pool, mailer: &Mailer, now: i64) -> Result<DeliveryReport, StoreError> {
    let lease = BATCH * mailer.lease_per_message();
    let claimed = mail_queue::claim_due(&mut *pool.get()?, now, BATCH, lease)?;
    let mut report = DeliveryReport::default();
    for mail in claimed {
        let outcome = mailer.send(&mail.message);
        let mut conn = pool.get()?;
        match outcome {
            Ok(()) => {
                mail_queue::mark_sent(&mut conn, mail.id, now)?;
                report.sent += 1;
            }
            Err(e) => {
                let next = if e.is_permanent() {
                    None
                } else {
                    retry_at(mail.attempts, now)
                };
                // The error only: the body holds links that must not reach a log.
                match next {
                    Some(at) => log::warn!(
                        "mail {}: delivery attempt {} failed, next at {at}: {e}",
                        mail.id,
                        mail.attempts
                    ),
                    None => log::warn!(
                        "mail {}: delivery attempt {} failed, giving up: {e}",
                        mail.id,
                        mail.attempts
                    ),
                }
                mail_queue::mark_failed(&mut conn, mail.id, &e.to_string(), next)?;
                match next {
                    Some(_) => report.retrying += 1,
                    None => report.gave_up += 1,
                }
            }
        }
    }
    Ok(report)
}

/// The lease (store::leases) of the replica that polls the queue: one replica delivers, the
/// others wait until it stops renewing.
pub const LEASE: &str = "mail_delivery";

/// How many poll intervals a polling replica may be silent before another takes over.
const LEASE_INTERVALS: i64 = 3;

/// One round of replica `holder`: when it holds (or can take) the queue's lease, renewed for
/// `ttl` seconds, `deliver_due`; `None` while another replica polls.
pub fn deliver_if_leader(
    pool: &Pool,
    mailer: &Mailer,
    holder: &str,
    now: i64,
    ttl: i64,
) -> Result<Option<DeliveryReport>, StoreError> {
    if !leases::take_or_renew(&mut *pool.get()?, LEASE, holder, now, ttl)? {
        return Ok(None);
    }
    deliver_due(pool, mailer, now).map(Some)
}

/// Runs `deliver_if_leader` on its own thread every `interval` (at once again after a full
/// batch, so a backlog drains), until `alive` can no longer be upgraded: pass a `Weak` of the
/// application state, and the worker ends with it. Across replicas one polls at a time
/// (several would only contend for the same rows; each message is claimed by one anyway).
pub fn spawn<T: Send + Sync + 'static>(
    pool: Pool,
    mailer: Mailer,
    clock: Clock,
    interval: Duration,
    holder: String,
    alive: Weak<T>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let ttl = i64::try_from(interval.as_secs().max(1))
        .unwrap_or(i64::MAX / LEASE_INTERVALS)
        .saturating_mul(LEASE_INTERVALS);
    std::thread::Builder::new()
        .name("ferrid-mail".into())
        .spawn(move || loop {
            if !nap(interval, &alive) {
                return;
            }
            loop {
                if alive.strong_count() == 0 {
                    return;
                }
                match deliver_if_leader(&pool, &mailer, &holder, clock.now(), ttl) {
                    Ok(Some(report)) if report.claimed() as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        log::warn!("mail delivery: {e}");
                        break;
                    }
                }
            }
        })
}

/// Sleeps `interval`, looking every second whether `alive` still stands: the thread holds
/// the pool, whose connections must not outlive the application by a whole interval. False
/// once it is gone.
fn nap<T>(interval: Duration, alive: &Weak<T>) -> bool {
    let deadline = std::time::Instant::now() + interval;
    loop {
        if alive.strong_count() == 0 {
            return false;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_secs(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    /// Each case: attempts made so far (all failed), and the wait before the next.
    #[test]
    fn backoff_doubles_from_30_seconds_up_to_an_hour() {
        for (attempts, wait) in [
            (0, Some(30)),
            (1, Some(30)),
            (2, Some(60)),
            (3, Some(120)),
            (4, Some(240)),
            (7, Some(1920)),
            (8, Some(3600)),
            (9, Some(3600)),
            (29, Some(3600)),
            (30, None),
            (31, None),
            (i32::MAX, None),
        ] {
            assert_eq!(
                retry_at(attempts, NOW),
                wait.map(|w| NOW + w),
                "after {attempts} attempts"
            );
        }
    }

    #[test]
    fn retries_span_about_a_day_before_giving_up() {
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_at(a, 0).unwrap()).sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total}");
    }
}
