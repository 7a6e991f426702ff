//! The profile's fields (OpenID Connect Core §5.1), each a type that exists only once its
//! rules hold: names and the address's one-line parts ([`ProfileLine`]), the multi-line
//! street address and the whole [`PostalAddress`] (`address.rs`), and the phone number
//! ([`PhoneNumber`], `phone.rs`). An empty field means "not given" and parses to `None`.
//!
//! The bounds are generous for real names and addresses, and small enough that a profile
//! cannot bloat every ID token it goes into.
mod address;
mod phone;

pub use address::{AddressParts, PostalAddress, StreetAddress};
pub use phone::PhoneNumber;

use super::DomainError;

/// The single-line fields of the profile, each with its length bound (in characters) and
/// the message that explains its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineField {
    Name,
    GivenName,
    FamilyName,
    Locality,
    Region,
    PostalCode,
    Country,
}

impl LineField {
    pub const fn max_chars(self) -> usize {
        match self {
            LineField::Name => 200,
            LineField::GivenName | LineField::FamilyName => 100,
            LineField::Locality | LineField::Region => 100,
            LineField::PostalCode => 20,
            LineField::Country => 64,
        }
    }

    fn refusal(self) -> DomainError {
        DomainError(match self {
            LineField::Name => "The name must be at most 200 characters, on one line.",
            LineField::GivenName => "The given name must be at most 100 characters, on one line.",
            LineField::FamilyName => "The family name must be at most 100 characters, on one line.",
            LineField::Locality => "The city must be at most 100 characters, on one line.",
            LineField::Region => "The region must be at most 100 characters, on one line.",
            LineField::PostalCode => "The postal code must be at most 20 characters, on one line.",
            LineField::Country => "The country must be at most 64 characters, on one line.",
        })
    }
}

/// A non-empty, trimmed, single-line profile value within its field's bound, without
/// control characters: a newline or NUL in a claim would break the relying parties that
/// print or store it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileLine(String);

impl ProfileLine {
    /// `None` for an empty (or all-blank) field.
    pub fn parse(field: LineField, raw: &str) -> Result<Option<Self>, DomainError> {
        let value = raw.trim();
        if value.chars().count() > field.max_chars() || value.chars().any(char::is_control) {
            return Err(field.refusal());
        }
        Ok((!value.is_empty()).then(|| ProfileLine(value.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ProfileLine {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case: the field, the raw input, and the value it parses to (`Err` if refused).
    #[test]
    fn one_line_fields_are_trimmed_and_bounded() {
        use LineField::*;
        /// The value a field parses to; `Err` when it is refused.
        type Parsed = Result<Option<String>, ()>;
        let ok = |v: &str| Ok(Some(v.to_string()));
        let cases: &[(LineField, String, Parsed)] = &[
            (Name, " Ann Lee ".into(), ok("Ann Lee")),
            (Name, "   ".into(), Ok(None)),
            (Name, "x".repeat(200), ok(&"x".repeat(200))),
            (Name, "x".repeat(201), Err(())),
            (GivenName, "Ann\nLee".into(), Err(())),
            (FamilyName, "x".repeat(101), Err(())),
            // Bounds count characters, not bytes.
            (FamilyName, "é".repeat(100), ok(&"é".repeat(100))),
            (PostalCode, "12\u{7f}34".into(), Err(())),
            (PostalCode, "x".repeat(21), Err(())),
            (Country, "x".repeat(64), ok(&"x".repeat(64))),
            (Country, "x".repeat(65), Err(())),
            (Locality, "Springfield".into(), ok("Springfield")),
            (Region, "a\u{0}b".into(), Err(())),
        ];
        for (field, raw, expected) in cases {
            let got = ProfileLine::parse(*field, raw)
                .map(|v| v.map(|v| v.as_str().to_string()))
                .map_err(|_| ());
            assert_eq!(&got, expected, "{field:?} {raw:?}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let err = ProfileLine::parse(LineField::Locality, &"x".repeat(101)).unwrap_err();
        assert!(err.0.starts_with("The city"), "{err}");
    }
}
