//! The refresh rule, as a pure decision over what the store holds at one moment.
//!
//! Refresh tokens rotate at every use (RFC 6749 §6, RFC 9700 §4.14.2): the presented token
//! dies and a successor is issued in the same family (the grant). A rotated token coming
//! back means two parties hold it, so the family is revoked — except a retry: a client whose
//! answer was lost (timeout, proxy reset, crash after commit) can only retry with the token
//! it has. Within `tokens.refresh_reuse_grace` seconds of the rotation, the same client
//! presenting the just-rotated token gets a new successor and the earlier successor dies, so
//! exactly one token of the family is alive at every moment (as Okta's and Auth0's grace
//! periods do). If that successor was already used, the client moved on and the retry is a
//! real reuse.

use crate::domain::ScopeSet;
use crate::oauth::OAuthError;

/// The presented token and its family, as read under the token's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Presented {
    /// The presenting client is the one the token was issued to.
    pub same_client: bool,
    pub expires_at: i64,
    /// When it was rotated (or superseded).
    pub used_at: Option<i64>,
    /// A retry of its predecessor killed it before it was used.
    pub superseded: bool,
    /// The successor it was last exchanged for has not been used (nor superseded).
    pub successor_alive: bool,
    /// The grant (the family) is revoked or gone.
    pub grant_revoked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A live token: it dies, a successor is issued.
    Rotate,
    /// A retry of the just-rotated token: its successor dies, a new one is issued.
    Retry,
    /// A rotated token presented again outside the rule: revoke the family.
    Reuse,
    /// Refused with nothing to do: unknown to this client, expired, or already dead.
    Refuse,
}

pub fn decide(token: &Presented, grace: i64, now: i64) -> Decision {
    // Nothing is left to protect in a revoked family; a superseded token's answer was lost
    // and retried, so presenting it shows no theft (the family's live token is elsewhere).
    if token.grant_revoked || token.superseded {
        return Decision::Refuse;
    }
    match token.used_at {
        Some(rotated_at)
            if token.same_client
                && token.successor_alive
                && grace > 0
                && now < rotated_at.saturating_add(grace) =>
        {
            Decision::Retry
        }
        // RFC 9700 §4.14.2: whoever presents it — the token leaked.
        Some(_) => Decision::Reuse,
        // RFC 6749 §6: bound to its client; another client learns nothing, changes nothing.
        None if !token.same_client || token.expires_at <= now => Decision::Refuse,
        None => Decision::Rotate,
    }
}

/// RFC 6749 §6: a narrower scope may be asked for, never a wider one; none asked is the
/// scope held.
pub fn narrowed(held: ScopeSet, asked: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let Some(raw) = asked.filter(|s| !s.is_empty()) else {
        return Ok(held);
    };
    let asked = ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    if !asked.is_subset(&held) {
        return Err(OAuthError::invalid_scope(
            "the requested scope exceeds the original grant",
        ));
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const GRACE: i64 = 30;

    fn fresh() -> Presented {
        Presented {
            same_client: true,
            expires_at: NOW + 3600,
            used_at: None,
            superseded: false,
            successor_alive: false,
            grant_revoked: false,
        }
    }

    /// Rotated `ago` seconds before NOW; its successor unused.
    fn rotated(ago: i64) -> Presented {
        Presented {
            used_at: Some(NOW - ago),
            successor_alive: true,
            ..fresh()
        }
    }

    #[test]
    fn the_refresh_rule() {
        let other_client = |p: Presented| Presented {
            same_client: false,
            ..p
        };
        let expired = Presented {
            expires_at: NOW,
            ..fresh()
        };
        let revoked = |p: Presented| Presented {
            grant_revoked: true,
            ..p
        };
        let moved_on = Presented {
            successor_alive: false,
            ..rotated(1)
        };
        let superseded = Presented {
            superseded: true,
            successor_alive: false,
            ..rotated(1)
        };
        let rotated_then_expired = Presented {
            expires_at: NOW - 1,
            ..rotated(3600)
        };
        use Decision::*;
        #[rustfmt::skip]
        let cases: &[(&str, Presented, i64, Decision)] = &[
            ("RFC 6749 §6 a live token of its client rotates", fresh(), GRACE, Rotate),
            ("§6 ... also with the grace off", fresh(), 0, Rotate),
            ("RFC 9700 §4.14.2 grace: rotated just now, same client, successor unused", rotated(0), GRACE, Retry),
            ("§4.14.2 grace: a retry within it", rotated(29), GRACE, Retry),
            ("RFC 9700 §4.14.2 reuse at the end of the grace", rotated(30), GRACE, Reuse),
            ("§4.14.2 reuse after the grace", rotated(31), GRACE, Reuse),
            ("§4.14.2 reuse, grace off", rotated(0), 0, Reuse),
            ("§4.14.2 within the grace, but another client", other_client(rotated(1)), GRACE, Reuse),
            ("§4.14.2 within the grace, successor already used: the client moved on", moved_on, GRACE, Reuse),
            ("§4.14.2 after the grace, another client", other_client(rotated(3600)), GRACE, Reuse),
            ("§4.14.2 rotated, and expired since", rotated_then_expired, GRACE, Reuse),
            ("RFC 6749 §6 expired: refused, nothing changes", expired, GRACE, Refuse),
            ("§6 bound to its client: another's is refused, nothing changes", other_client(fresh()), GRACE, Refuse),
            ("RFC 7009 §2.1 a revoked family stays revoked", revoked(fresh()), GRACE, Refuse),
            ("§2.1 revoked family, rotated within the grace", revoked(rotated(1)), GRACE, Refuse),
            ("§4.14.2 superseded by a retry: dead, but no sign of theft", superseded, GRACE, Refuse),
        ];
        for (name, token, grace, expected) in cases {
            assert_eq!(decide(token, *grace, NOW), *expected, "{name}");
        }
    }

    #[test]
    fn the_scope_of_a_refresh() {
        let held = || ScopeSet::parse("openid email offline_access").unwrap();
        // (case, scope asked, the scope of the new tokens or the refusal)
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>, Result<&str, &str>)] = &[
            ("RFC 6749 §6 omitted: the scope held", None, Ok("openid email offline_access")),
            ("§6 empty counts as omitted", Some(""), Ok("openid email offline_access")),
            ("§6 narrower", Some("openid"), Ok("openid")),
            ("§6 the same, in another order", Some("email openid offline_access"), Ok("email openid offline_access")),
            ("§6 wider than the grant", Some("openid phone"), Err("invalid_scope")),
            ("§3.3 malformed", Some("openid \"x\""), Err("invalid_scope")),
        ];
        for (case, asked, expected) in cases {
            let outcome = narrowed(held(), *asked)
                .map(|s| s.to_string())
                .map_err(|e| e.code.as_str());
            assert_eq!(outcome.as_deref().map_err(|e| *e), *expected, "{case}");
        }
    }
}
