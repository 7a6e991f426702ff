use super::DomainError;

/// An email address as the user typed it (trimmed), with a case-folded form used for
/// uniqueness, so `Ann@Example.com` and `ann@example.com` are one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    /// A deliberately plain check (RFC 5321 lengths, one `@`, a dotted domain, no spaces or
    /// control characters): the real proof of an address is a verification mail.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(DomainError("Enter an email address."));
        }
        if value.len() > 254 {
            return Err(DomainError("That email address is too long."));
        }
        let invalid = DomainError("Enter a valid email address, like name@example.com.");
        let (local, domain) = value.rsplit_once('@').ok_or(invalid.clone())?;
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.chars().any(bad_char)
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with(['.', '-'])
            || domain.ends_with(['.', '-'])
            || domain.contains("..")
            || !domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        {
            return Err(invalid);
        }
        Ok(Email {
            display: value.to_string(),
            normalized: value.to_lowercase(),
        })
    }

    /// Rebuilds an email read back from the database (already checked when stored).
    pub fn from_trusted(display: String) -> Self {
        let normalized = display.to_lowercase();
        Email {
            display,
            normalized,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.display
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.org",
            " Ann@Example.COM ",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse("Ann@Example.COM").unwrap().normalized(),
            "ann@example.com"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@.example.com",
            "a@example..com",
            "x'); DROP TABLE users;--@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }
}
