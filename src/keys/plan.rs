//! The signing-key lifecycle as pure decisions over the stored keys and `now`: what
//! maintenance does for each algorithm, and when it next has work. `KeyStore` reads, plans,
//! generates the keys a plan needs, and only then opens its write transaction.
use crate::domain::{KeyState, SigningAlg};
use crate::store::keys::StoredKey;

/// Every algorithm the store keeps a key for.
pub const ALGORITHMS: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::ES256];

/// What maintenance does for one algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Nothing,
    /// The next key has been published long enough (or there is no active key): it takes
    /// over, and the active one, if any, retires.
    Activate {
        next: &'a StoredKey,
        old: Option<&'a StoredKey>,
    },
    /// First start: nothing to publish ahead of, a new key is active at once.
    CreateActive,
    /// The rotation schedule: a successor, published now, active after `publish_ahead`.
    CreateNext,
}

impl Step<'_> {
    /// Whether this step needs a freshly generated key.
    pub fn creates(&self) -> bool {
        matches!(self, Step::CreateActive | Step::CreateNext)
    }
}

pub fn plan(stored: &[StoredKey], alg: SigningAlg, rotation_interval: i64, now: i64) -> Step<'_> {
    let active = stored
        .iter()
        .find(|k| k.alg == alg && k.state == KeyState::Active);
    let next = stored
        .iter()
        .find(|k| k.alg == alg && k.state == KeyState::Next);
    match (active, next) {
        (old, Some(next)) if next.activate_after <= now || old.is_none() => {
            Step::Activate { next, old }
        }
        (None, None) => Step::CreateActive,
        (Some(active), None)
            if active.activated_at.unwrap_or(active.created_at) + rotation_interval <= now =>
        {
            Step::CreateNext
        }
        _ => Step::Nothing,
    }
}

/// The algorithms for which `ferrid keys rotate` makes a next key: those without one.
pub fn without_next(stored: &[StoredKey]) -> Vec<SigningAlg> {
    ALGORITHMS
        .into_iter()
        .filter(|alg| {
            !stored
                .iter()
                .any(|k| k.alg == *alg && k.state == KeyState::Next)
        })
        .collect()
}

/// When maintenance next has work: a next key to activate, a rotation due, a key to drop.
pub fn next_due(stored: &[StoredKey], rotation_interval: i64) -> i64 {
    let mut due = i64::MAX;
    for key in stored {
        let t = match key.state {
            KeyState::Next => key.activate_after,
            KeyState::Active => key.activated_at.unwrap_or(key.created_at) + rotation_interval,
            KeyState::Retired => key.drop_after.unwrap_or(i64::MAX),
        };
        due = due.min(t);
    }
    // A store missing a key for some algorithm needs maintenance at once.
    let complete = ALGORITHMS.iter().all(|alg| {
        stored
            .iter()
            .any(|k| k.alg == *alg && k.state == KeyState::Active)
    });
    if complete {
        due
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const INTERVAL: i64 = 30 * 86400;

    fn key(kid: &str, alg: SigningAlg, state: KeyState, since: i64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg,
            public_jwk: String::new(),
            sealed_private_key: String::new(),
            state,
            created_at: since,
            activate_after: since,
            activated_at: (state == KeyState::Active).then_some(since),
            retired_at: None,
            drop_after: None,
        }
    }

    #[test]
    fn the_key_lifecycle() {
        use SigningAlg::RS256;
        let active = key("a", RS256, KeyState::Active, NOW - 10);
        let old = key("o", RS256, KeyState::Active, NOW - INTERVAL);
        let waiting = key("n", RS256, KeyState::Next, NOW + 60);
        let ready = key("r", RS256, KeyState::Next, NOW);
        let es = key("e", SigningAlg::ES256, KeyState::Active, NOW - INTERVAL);

        assert_eq!(plan(&[], RS256, INTERVAL, NOW), Step::CreateActive);
        assert_eq!(
            plan(std::slice::from_ref(&es), RS256, INTERVAL, NOW),
            Step::CreateActive,
            "another algorithm's key does not count"
        );
        assert_eq!(
            plan(std::slice::from_ref(&active), RS256, INTERVAL, NOW),
            Step::Nothing
        );
        assert_eq!(
            plan(std::slice::from_ref(&old), RS256, INTERVAL, NOW),
            Step::CreateNext
        );
        // Published ahead: signs nothing until its time.
        let stored = [old.clone(), waiting.clone()];
        assert_eq!(plan(&stored, RS256, INTERVAL, NOW), Step::Nothing);
        let stored = [old.clone(), ready.clone()];
        assert_eq!(
            plan(&stored, RS256, INTERVAL, NOW),
            Step::Activate {
                next: &ready,
                old: Some(&old)
            }
        );
        // No active key at all: the next one takes over at once.
        let stored = [waiting.clone()];
        assert_eq!(
            plan(&stored, RS256, INTERVAL, NOW),
            Step::Activate {
                next: &waiting,
                old: None
            }
        );
        assert!(Step::CreateNext.creates() && Step::CreateActive.creates());
        assert!(!Step::Nothing.creates());
    }

    #[test]
    fn rotation_makes_next_keys_only_where_none_is_waiting() {
        let stored = [
            key("a", SigningAlg::RS256, KeyState::Active, NOW),
            key("n", SigningAlg::RS256, KeyState::Next, NOW),
            key("e", SigningAlg::ES256, KeyState::Active, NOW),
        ];
        assert_eq!(without_next(&stored), [SigningAlg::ES256]);
        assert_eq!(without_next(&[]), ALGORITHMS);
    }

    #[test]
    fn maintenance_is_due_at_the_earliest_event() {
        let stored = [
            key("a", SigningAlg::RS256, KeyState::Active, NOW),
            key("e", SigningAlg::ES256, KeyState::Active, NOW - 10),
        ];
        assert_eq!(next_due(&stored, INTERVAL), NOW - 10 + INTERVAL);
        assert_eq!(next_due(&stored[..1], INTERVAL), i64::MIN, "ES256 missing");
        let mut retired = key("r", SigningAlg::RS256, KeyState::Retired, NOW);
        retired.drop_after = Some(NOW + 5);
        let stored = [stored[0].clone(), stored[1].clone(), retired];
        assert_eq!(next_due(&stored, INTERVAL), NOW + 5);
    }
}
