//! Profile fields (OIDC Core §5.1): no panic; an accepted value parses again to itself.
#![no_main]

use ferrid::domain::{LineField, PhoneNumber, ProfileLine, StreetAddress};
use libfuzzer_sys::fuzz_target;

const FIELDS: [LineField; 7] = [
    LineField::Name,
    LineField::GivenName,
    LineField::FamilyName,
    LineField::Locality,
    LineField::Region,
    LineField::PostalCode,
    LineField::Country,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let field = FIELDS[usize::from(selector) % FIELDS.len()];
    if let Ok(Some(line)) = ProfileLine::parse(field, raw) {
        assert_eq!(ProfileLine::parse(field, line.as_str()), Ok(Some(line.clone())));
        assert!(line.as_str().chars().count() <= field.max_chars());
        assert!(!line.as_str().chars().any(char::is_control));
    }
    if let Ok(Some(street)) = StreetAddress::parse(raw) {
        assert_eq!(StreetAddress::parse(street.as_str()), Ok(Some(street.clone())));
    }
    if let Ok(Some(phone)) = PhoneNumber::parse(raw) {
        assert_eq!(PhoneNumber::parse(phone.as_str()), Ok(Some(phone.clone())));
    }
});
