//! `phone_number` (OpenID Connect Core §5.1).
use crate::domain::DomainError;

/// A phone number in international format. OIDC Core §5.1 recommends E.164
/// ("+1 (425) 555-1212"), with an extension in RFC 3966 syntax ("+1 (604) 555-1234;ext=5678").
/// Accepted: "+", a country code not starting with 0, 7 to 15 digits in all (E.164's
/// maximum) separated by single spaces, hyphens, dots or parentheses, then optionally
/// ";ext=" and 1 to 10 digits; at most 40 characters. Kept as typed (trimmed), since that is
/// how the user wants it shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber(String);

const REFUSAL: DomainError = DomainError("Enter the phone number in international format: + and the country code, then the number, for example +1 425 555 1212.");

impl PhoneNumber {
    pub const MAX_CHARS: usize = 40;

    /// `None` for an empty field ("no phone number").
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(REFUSAL);
        }
        let (number, extension) = match value.split_once(";ext=") {
            Some((number, ext)) => (number, Some(ext)),
            None => (value, None),
        };
        let number_ok = number
            .strip_prefix('+')
            .is_some_and(is_international_number);
        let extension_ok = extension
            .is_none_or(|e| (1..=10).contains(&e.len()) && e.chars().all(|c| c.is_ascii_digit()));
        if number_ok && extension_ok {
            Ok(Some(PhoneNumber(value.to_string())))
        } else {
            Err(REFUSAL)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The part after "+": digits and single separators, 7 to 15 digits, no leading 0.
fn is_international_number(rest: &str) -> bool {
    let separator = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')');
    let digits: Vec<char> = rest.chars().filter(char::is_ascii_digit).collect();
    rest.chars().all(|c| c.is_ascii_digit() || separator(c))
        && !rest.contains("  ")
        && (7..=15).contains(&digits.len())
        && digits[0] != '0'
}

#[cfg(test)]
mod tests {
    use super::PhoneNumber;

    #[test]
    fn phone_numbers_in_international_format_are_accepted() {
        for ok in [
            "+14255551212",
            "+1 (425) 555-1212",
            "+56 (2) 687 2400",
            "+1 (604) 555-1234;ext=5678",
            "+44 20.7946.0958",
            "  +49 30 1234567  ",
        ] {
            assert!(PhoneNumber::parse(ok).unwrap().is_some(), "{ok:?}");
        }
        assert_eq!(PhoneNumber::parse("  ").unwrap(), None);
        assert_eq!(
            PhoneNumber::parse(" +1 555 0100 ")
                .unwrap()
                .unwrap()
                .as_str(),
            "+1 555 0100"
        );
    }

    #[test]
    fn implausible_phone_numbers_are_refused() {
        for bad in [
            "555-1212",            // no country code
            "+0 123 456 789",      // country codes do not start with 0
            "+1 555",              // too few digits
            "+1234567890123456",   // 16 digits: longer than E.164 allows
            "+1 555 0100 x12",     // letters
            "+1  555  0100",       // doubled spaces
            "+1 555 0100;ext=",    // empty extension
            "+1 555 0100;ext=12a", // non-digit extension
            "+1 555\n0100",        // control character
            "tel:+15550100",       // a URI, not a number
            "+",                   // no digits at all
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }
}
