//! The `address` claim's parts (OpenID Connect Core §5.1.1).
use super::{LineField, ProfileLine};
use crate::domain::DomainError;

/// `street_address`, which may span lines (OIDC Core §5.1.1), joined by "\n". A browser
/// sends a textarea's line breaks as "\r\n", so those become "\n" and blank lines are
/// dropped; any other control character is refused. At most 300 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreetAddress(String);

impl StreetAddress {
    pub const MAX_CHARS: usize = 300;

    /// `None` when no line has any text.
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        const REFUSAL: DomainError = DomainError(
            "The street address must be at most 300 characters, without control characters.",
        );
        let mut lines = Vec::new();
        for line in raw.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line).trim();
            if line.chars().any(char::is_control) {
                return Err(REFUSAL);
            }
            if !line.is_empty() {
                lines.push(line);
            }
        }
        let value = lines.join("\n");
        if value.chars().count() > Self::MAX_CHARS {
            return Err(REFUSAL);
        }
        Ok((!value.is_empty()).then_some(StreetAddress(value)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for StreetAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A postal address as the user typed it, every part checked; any part may be absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalAddress {
    pub street_address: Option<StreetAddress>,
    pub locality: Option<ProfileLine>,
    pub region: Option<ProfileLine>,
    pub postal_code: Option<ProfileLine>,
    pub country: Option<ProfileLine>,
}

/// The raw parts of an address form.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddressParts<'a> {
    pub street_address: &'a str,
    pub locality: &'a str,
    pub region: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
}

impl PostalAddress {
    /// Parses every part; the first refusal, in form order, is the error.
    pub fn parse(parts: AddressParts<'_>) -> Result<Self, DomainError> {
        Ok(PostalAddress {
            street_address: StreetAddress::parse(parts.street_address)?,
            locality: ProfileLine::parse(LineField::Locality, parts.locality)?,
            region: ProfileLine::parse(LineField::Region, parts.region)?,
            postal_code: ProfileLine::parse(LineField::PostalCode, parts.postal_code)?,
            country: ProfileLine::parse(LineField::Country, parts.country)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_address_keeps_lines_and_normalises_breaks() {
        let parsed = StreetAddress::parse("  1 Main St\r\nApt 4 \r\n\r\n").unwrap();
        assert_eq!(parsed.unwrap().as_str(), "1 Main St\nApt 4");
        assert_eq!(StreetAddress::parse("\r\n \r\n").unwrap(), None);
        assert!(StreetAddress::parse("1 Main St\tApt 4").is_err());
        assert!(StreetAddress::parse("1 Main St\u{0}").is_err());
        assert!(StreetAddress::parse(&"x".repeat(301)).is_err());
        assert!(StreetAddress::parse(&"x".repeat(300)).is_ok());
    }

    #[test]
    fn every_part_is_checked() {
        let parts = AddressParts {
            street_address: "1 Main St",
            locality: "Springfield",
            country: "x".repeat(65).leak(),
            ..AddressParts::default()
        };
        let err = PostalAddress::parse(parts).unwrap_err();
        assert!(err.0.starts_with("The country"), "{err}");
        let address = PostalAddress::parse(AddressParts {
            country: "US",
            ..parts
        })
        .unwrap();
        assert_eq!(address.locality.unwrap().as_str(), "Springfield");
        assert_eq!(address.region, None);
    }
}
