//! A circuit breaker for a shared dependency (Redis, for login counts): after a few
//! consecutive failures it opens, and callers stop waiting on the dependency and use their
//! fallback; after a cool-down one probe (half-open) tries the dependency again, and only a
//! probe that succeeds closes the breaker. A pure state machine over `now` (unix seconds from
//! the injected clock); the caller does the I/O and reports what happened.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The dependency is used; `failures` consecutive failures so far.
    Closed { failures: u32 },
    /// The dependency is left alone until `retry_at`.
    Open { retry_at: i64 },
    /// A probe is in flight; callers still use the fallback.
    HalfOpen,
}

/// What a report changed, so the caller can log transitions (once) rather than every call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    None,
    Opened,
    Closed,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    state: State,
    /// Consecutive failures that open a closed breaker.
    threshold: u32,
    /// Seconds an open breaker waits before a probe.
    cool_down: i64,
}

impl Breaker {
    pub fn new(threshold: u32, cool_down: i64) -> Breaker {
        Breaker {
            state: State::Closed { failures: 0 },
            threshold: threshold.max(1),
            cool_down: cool_down.max(1),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Whether callers may use the dependency now (only while closed).
    pub fn allows_calls(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// A call (or probe) succeeded. A closed breaker forgets earlier failures; a half-open one
    /// closes. An open one stays open: the success came from a call that started before it
    /// opened, and only a probe decides.
    pub fn succeeded(&mut self) -> Transition {
        match self.state {
            State::Closed { .. } => {
                self.state = State::Closed { failures: 0 };
                Transition::None
            }
            State::HalfOpen => {
                self.state = State::Closed { failures: 0 };
                Transition::Closed
            }
            State::Open { .. } => Transition::None,
        }
    }

    /// A call (or probe) failed at `now`.
    pub fn failed(&mut self, now: i64) -> Transition {
        match self.state {
            State::Closed { failures } if failures + 1 < self.threshold => {
                self.state = State::Closed {
                    failures: failures + 1,
                };
                Transition::None
            }
            State::Closed { .. } => self.open(now),
            State::HalfOpen => {
                self.state = State::Open {
                    retry_at: now + self.cool_down,
                };
                Transition::None
            }
            State::Open { .. } => Transition::None,
        }
    }

    /// Opens at once (the dependency was found unreachable at start).
    pub fn open(&mut self, now: i64) -> Transition {
        let was_open = !self.allows_calls();
        self.state = State::Open {
            retry_at: now + self.cool_down,
        };
        if was_open {
            Transition::None
        } else {
            Transition::Opened
        }
    }

    /// Whether to probe now: true once the cool-down is over, and the breaker is half-open
    /// until the probe is reported.
    pub fn begin_probe(&mut self, now: i64) -> bool {
        match self.state {
            State::Open { retry_at } if now >= retry_at => {
                self.state = State::HalfOpen;
                true
            }
            State::Open { .. } | State::Closed { .. } | State::HalfOpen => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_opens_after_consecutive_failures_only() {
        let mut b = Breaker::new(2, 5);
        assert_eq!(b.failed(100), Transition::None);
        assert!(b.allows_calls(), "one failure is tolerated");
        b.succeeded();
        assert_eq!(b.failed(101), Transition::None, "the count was reset");
        assert_eq!(b.failed(102), Transition::Opened);
        assert_eq!(b.state(), State::Open { retry_at: 107 });
        assert!(!b.allows_calls());
    }

    #[test]
    fn closed_to_open_to_half_open_to_closed() {
        let mut b = Breaker::new(1, 5);
        assert_eq!(b.failed(100), Transition::Opened);
        assert!(!b.begin_probe(104), "cool-down not over");
        assert!(b.begin_probe(105));
        assert_eq!(b.state(), State::HalfOpen);
        assert!(!b.allows_calls(), "callers wait for the probe's verdict");
        assert!(!b.begin_probe(105), "one probe at a time");
        assert_eq!(b.succeeded(), Transition::Closed);
        assert!(b.allows_calls());
    }

    #[test]
    fn a_failed_probe_opens_for_another_cool_down() {
        let mut b = Breaker::new(1, 5);
        b.failed(100);
        assert!(b.begin_probe(110));
        assert_eq!(b.failed(110), Transition::None);
        assert_eq!(b.state(), State::Open { retry_at: 115 });
        assert!(!b.begin_probe(114));
        assert!(b.begin_probe(115));
    }

    #[test]
    fn late_reports_do_not_close_an_open_breaker() {
        let mut b = Breaker::new(1, 5);
        b.failed(100);
        assert_eq!(b.succeeded(), Transition::None);
        assert_eq!(b.failed(101), Transition::None);
        assert_eq!(b.state(), State::Open { retry_at: 105 });
    }

    #[test]
    fn opening_at_start_needs_no_failures() {
        let mut b = Breaker::new(3, 2);
        assert_eq!(b.open(50), Transition::Opened);
        assert_eq!(b.open(51), Transition::None, "already open");
        assert!(b.begin_probe(53));
    }
}
