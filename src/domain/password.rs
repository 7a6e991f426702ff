use super::DomainError;

/// A candidate password: 8 to 128 characters. It has no `Display`, and its `Debug` hides it,
/// so it cannot end up in a log line by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// For a new password (registration, setup, CLI): length rules apply.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(DomainError("The password must have at least 8 characters."));
        }
        if chars > Self::MAX_CHARS {
            return Err(DomainError(
                "The password must have at most 128 characters.",
            ));
        }
        Ok(Password(raw.to_string()))
    }

    /// For a login attempt: any non-empty input up to a bound is checked against the stored
    /// hash, so a user whose password predates a rule change can still log in; the bound keeps
    /// an attacker from making us hash megabytes.
    pub fn attempt(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() {
            return Err(DomainError("Enter your password."));
        }
        if raw.len() > 4 * Self::MAX_CHARS {
            return Err(DomainError("The password is too long."));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(!format!("{:?}", Password::parse("secret-password").unwrap()).contains("secret"));
    }
}
