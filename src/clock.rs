//! The injected clock. Production reads the system time; tests hold a manual clock and move
//! it forward instead of sleeping. Everything that needs "now" reads it from the `Clock` in
//! the application state (or the one the CLI was given), once per request or command, and
//! passes the value down: the protocol itself never reads the time.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Unix seconds, from the system or from a hand-set source shared by clones.
#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The real time.
    pub fn system() -> Clock {
        Clock(Source::System)
    }

    /// A clock that stands still at `start` until `advance` or `set` moves it; clones share it.
    pub fn manual(start: i64) -> Clock {
        Clock(Source::Manual(Arc::new(AtomicI64::new(start))))
    }

    /// A manual clock starting at the real time (what test servers use: tokens they issue
    /// are checked by real relying-party libraries, which read the system time).
    pub fn manual_from_system() -> Clock {
        Clock::manual(system_now())
    }

    pub fn now(&self) -> i64 {
        match &self.0 {
            Source::System => system_now(),
            Source::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward by `secs`. The system clock cannot be moved: calling this
    /// on it is a programming error in a test, so it panics there.
    pub fn advance(&self, secs: i64) {
        match &self.0 {
            Source::System => panic!("the system clock cannot be advanced"),
            Source::Manual(t) => {
                t.fetch_add(secs, Ordering::SeqCst);
            }
        }
    }

    /// Sets a manual clock to `at` (see `advance`).
    pub fn set(&self, at: i64) {
        match &self.0 {
            Source::System => panic!("the system clock cannot be set"),
            Source::Manual(t) => t.store(at, Ordering::SeqCst),
        }
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let other = clock.clone();
        assert_eq!(clock.now(), 1_000);
        other.advance(30);
        assert_eq!(clock.now(), 1_030);
        clock.set(5);
        assert_eq!(other.now(), 5);
    }

    #[test]
    fn system_clock_is_near_the_real_time() {
        let now = Clock::system().now();
        assert!(now > 1_700_000_000, "{now}");
    }
}
