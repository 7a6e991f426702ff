use super::DomainError;

/// Where a signing key is in its lifecycle (see `keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Published in the JWKS, signs nothing yet.
    Next,
    /// Signs new tokens; at most one per algorithm.
    Active,
    /// Signs nothing; published until the tokens it signed have expired.
    Retired,
}

impl KeyState {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "next" => Ok(KeyState::Next),
            "active" => Ok(KeyState::Active),
            "retired" => Ok(KeyState::Retired),
            _ => Err(DomainError(
                "The key state must be next, active or retired.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_others() {
        for state in [KeyState::Next, KeyState::Active, KeyState::Retired] {
            assert_eq!(KeyState::parse(state.as_str()), Ok(state));
        }
        for bad in ["", "bogus", "Active", "revoked"] {
            assert!(KeyState::parse(bad).is_err(), "{bad:?}");
        }
    }
}
