use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
use unicode_security::general_security_profile::IdentifierType;
use unicode_security::GeneralSecurityProfile as _;

use super::DomainError;

/// An email address, normalised so that two addresses a person cannot tell apart are one:
/// NFKC (a fullwidth `ａ` is `a`), the domain in lowercase ASCII (IDNA, UTS #46: `BÜCHER.de`
/// is `xn--bcher-kva.de`), and no invisible or formatting characters at all. The local part
/// keeps its letter case for display; `normalized()` folds it, so `Ann@Example.com` and
/// `ann@example.com` are one account, and `skeleton()` maps look-alikes (a Cyrillic `а`, a
/// digit `0` for `o`) onto one key (UTS #39 §4), so one cannot pose as the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

const INVALID: DomainError = DomainError("Enter a valid email address, like name@example.com.");
const INVISIBLE: DomainError = DomainError(
    "The email address contains an invisible or formatting character (such as a zero-width space, a soft hyphen or a text direction mark). Type it again without it.",
);
const CONTROL: DomainError = DomainError(
    "The email address contains a control character or line break. Type it again on one line.",
);
const UNASSIGNED: DomainError = DomainError(
    "The email address contains a character that is not allowed (unassigned or private use).",
);

impl Email {
    /// A deliberately plain check (RFC 5321 lengths, one `@`, a dotted domain, no spaces or
    /// control characters): the real proof of an address is a verification mail.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(DomainError("Enter an email address."));
        }
        // Refused before NFKC and IDNA: both silently drop some of these (UTS #46 maps a
        // soft hyphen or a zero-width joiner to nothing), and an address must be what was
        // typed, not what remains after invisible parts vanish.
        check_characters(value)?;
        let value: String = value.nfkc().collect();
        check_characters(&value)?;
        if value.len() > 254 {
            return Err(DomainError("That email address is too long."));
        }
        let (local, domain) = value.rsplit_once('@').ok_or(INVALID)?;
        let bad_char = |c: char| c.is_whitespace() || "<>()[]\\,;:\"@".contains(c);
        if local.is_empty() || local.len() > 64 || local.chars().any(bad_char) {
            return Err(INVALID);
        }
        let domain = ascii_domain(domain)?;
        let display = format!("{local}@{domain}");
        if display.len() > 254 {
            return Err(DomainError("That email address is too long."));
        }
        Ok(Email {
            normalized: normalize(&display),
            display,
        })
    }

    /// Rebuilds an email read back from the database (already checked when stored).
    pub fn from_trusted(display: String) -> Self {
        let normalized = normalize(&display);
        Email {
            display,
            normalized,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The address with its local part case-folded: what uniqueness and login compare.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The part before the `@`, as typed (after NFKC).
    pub fn local_part(&self) -> &str {
        self.display
            .rsplit_once('@')
            .map_or(self.display.as_str(), |(local, _)| local)
    }

    /// The UTS #39 §4 confusable skeleton of the normalised address, lower-cased: addresses
    /// that look alike share it (`аlice@example.com` with a Cyrillic `а`, `alice@example.com`,
    /// `alice@exаmple.com`). The domain is compared in its Unicode form, where a look-alike
    /// domain still looks alike (its punycode does not).
    pub fn skeleton(&self) -> String {
        let (local, domain) = self
            .normalized
            .rsplit_once('@')
            .unwrap_or((self.normalized.as_str(), ""));
        let (unicode_domain, _) = idna::domain_to_unicode(domain);
        let joined = fold_case(&format!("{local}@{unicode_domain}"));
        fold_case(&unicode_security::skeleton(&joined).collect::<String>())
    }
}

/// Lower case, plus the two foldings `to_lowercase` leaves apart although upper case joins
/// them: a final sigma (`ς`, whose upper case `Σ` lower-cases to `σ`) and the sharp s (`ß`,
/// whose upper case is `SS`). Without them `ς@…` and `Σ@…` would be two accounts.
fn fold_case(text: &str) -> String {
    text.to_lowercase().replace('ς', "σ").replace('ß', "ss")
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.display
    }
}

fn normalize(display: &str) -> String {
    display.to_lowercase()
}

/// Refuses, with a message saying which, characters that do not show or that change how the
/// rest shows: controls (Cc), format characters (Cf: zero-width space and joiners, soft
/// hyphen, bidi marks, embeddings and isolates, tags), other default-ignorable code points
/// (variation selectors, the combining grapheme joiner, Hangul fillers), separators other than
/// the space (which the structural check refuses), and unassigned or private-use code points
/// (their appearance is not defined).
fn check_characters(value: &str) -> Result<(), DomainError> {
    for c in value.chars() {
        match c.general_category() {
            GeneralCategory::Control => return Err(CONTROL),
            GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => return Err(INVISIBLE),
            GeneralCategory::SpaceSeparator if c != ' ' => return Err(INVISIBLE),
            GeneralCategory::Unassigned
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate => return Err(UNASSIGNED),
            _ => {}
        }
        // U+2800 BRAILLE PATTERN BLANK is a symbol that draws nothing.
        if c.identifier_type() == Some(IdentifierType::Default_Ignorable) || c == '\u{2800}' {
            return Err(INVISIBLE);
        }
    }
    Ok(())
}

/// The domain in lowercase ASCII (IDNA, UTS #46 §4.2 ToASCII with STD3 rules and DNS length
/// checks), with at least two labels and no leading or trailing hyphen or dot.
fn ascii_domain(domain: &str) -> Result<String, DomainError> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    let ascii: Cow<'_, str> = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| INVALID)?;
    let labels_ok = ascii.split('.').all(|label| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if ascii.len() < 3 || !ascii.contains('.') || !labels_ok {
        return Err(INVALID);
    }
    Ok(ascii.into_owned())
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
            "o'brien@example.ie",
            "josé@example.com",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse("Ann@Example.COM").unwrap().normalized(),
            "ann@example.com"
        );
    }

    #[test]
    fn display_keeps_local_case_and_lowercases_the_domain() {
        let email = Email::parse("Ann.Lee@Example.COM").unwrap();
        assert_eq!(email.as_str(), "Ann.Lee@example.com");
        assert_eq!(email.local_part(), "Ann.Lee");
        assert_eq!(email.normalized(), "ann.lee@example.com");
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
            "a@example.com.",
            "a@-example.com",
            "a@exa_mple.com",
            "a@b@example.com",
            "x'); DROP TABLE users;--@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert!(Email::parse(&format!("a@{}.com", "b".repeat(64))).is_err());
    }

    /// Each case: input, display form, normalised form.
    #[test]
    fn nfkc_and_idna_normalise_on_input() {
        for (raw, display, normalized) in [
            // NFKC folds fullwidth letters and compatibility forms.
            (
                "ａlice@example.com",
                "alice@example.com",
                "alice@example.com",
            ),
            (
                "ALICE@ＥＸＡＭＰＬＥ.COM",
                "ALICE@example.com",
                "alice@example.com",
            ),
            ("ﬁle@example.com", "file@example.com", "file@example.com"),
            // A composed and a decomposed é are one address.
            (
                "jose\u{301}@example.com",
                "josé@example.com",
                "josé@example.com",
            ),
            // IDNA: the domain becomes lowercase punycode.
            (
                "hans@BÜCHER.de",
                "hans@xn--bcher-kva.de",
                "hans@xn--bcher-kva.de",
            ),
            (
                "hans@xn--bcher-kva.de",
                "hans@xn--bcher-kva.de",
                "hans@xn--bcher-kva.de",
            ),
        ] {
            let email = Email::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(email.as_str(), display, "{raw:?}");
            assert_eq!(email.normalized(), normalized, "{raw:?}");
        }
    }

    /// Each class of character that does not show, or changes how the rest shows, is refused
    /// with a message naming it.
    #[test]
    fn invisible_format_and_control_characters_are_refused() {
        for (c, expected) in [
            ('\u{200b}', INVISIBLE),  // zero-width space
            ('\u{200c}', INVISIBLE),  // zero-width non-joiner
            ('\u{200d}', INVISIBLE),  // zero-width joiner
            ('\u{2060}', INVISIBLE),  // word joiner
            ('\u{feff}', INVISIBLE),  // zero-width no-break space (BOM)
            ('\u{ad}', INVISIBLE),    // soft hyphen
            ('\u{200e}', INVISIBLE),  // left-to-right mark
            ('\u{200f}', INVISIBLE),  // right-to-left mark
            ('\u{61c}', INVISIBLE),   // Arabic letter mark
            ('\u{202a}', INVISIBLE),  // left-to-right embedding
            ('\u{202e}', INVISIBLE),  // right-to-left override
            ('\u{2066}', INVISIBLE),  // left-to-right isolate
            ('\u{fe0f}', INVISIBLE),  // variation selector 16
            ('\u{e0100}', INVISIBLE), // variation selector 17
            ('\u{34f}', INVISIBLE),   // combining grapheme joiner
            ('\u{3164}', INVISIBLE),  // Hangul filler
            ('\u{115f}', INVISIBLE),  // Hangul choseong filler
            ('\u{180e}', INVISIBLE),  // Mongolian vowel separator
            ('\u{e0041}', INVISIBLE), // tag latin capital A
            ('\u{fff9}', INVISIBLE),  // interlinear annotation anchor (Cf, not ignorable)
            ('\u{600}', INVISIBLE),   // Arabic number sign (Cf)
            ('\u{2028}', INVISIBLE),  // line separator
            ('\u{a0}', INVISIBLE),    // no-break space
            ('\u{3000}', INVISIBLE),  // ideographic space
            ('\u{2800}', INVISIBLE),  // Braille pattern blank
            ('\u{0}', CONTROL),
            ('\u{7}', CONTROL),
            ('\u{1b}', CONTROL),
            ('\u{85}', CONTROL),
            ('\u{e000}', UNASSIGNED),   // private use
            ('\u{10ffff}', UNASSIGNED), // noncharacter
        ] {
            for raw in [
                format!("alice{c}@example.com"),
                format!("al{c}ice@example.com"),
                format!("alice@exam{c}ple.com"),
            ] {
                assert_eq!(
                    Email::parse(&raw),
                    Err(expected.clone()),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    /// UTS #39: addresses a person cannot tell apart share a skeleton; different ones do not.
    #[test]
    fn case_never_separates_skeletons() {
        for (a, b) in [
            ("ς@example.com", "Σ@example.com"),
            ("straße@example.com", "STRASSE@example.com"),
        ] {
            let (a, b) = (Email::parse(a).unwrap(), Email::parse(b).unwrap());
            assert_eq!(a.skeleton(), b.skeleton());
        }
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        let alice = Email::parse("alice@example.com").unwrap().skeleton();
        for look_alike in [
            "Alice@Example.com",
            "\u{430}lice@example.com",   // Cyrillic а
            "ａlice@example.com",        // fullwidth a (NFKC folds it)
            "alic\u{435}@example.com",   // Cyrillic е
            "al\u{131}ce@example.com",   // dotless ı
            "alice@ex\u{430}mple.com",   // Cyrillic а in the domain
            "alice@xn--exmple-4nf.com",  // the same domain, as punycode
            "\u{1d41a}lice@example.com", // mathematical bold a (NFKC folds it)
        ] {
            let email = Email::parse(look_alike).unwrap_or_else(|e| panic!("{look_alike}: {e}"));
            assert_eq!(email.skeleton(), alice, "{look_alike}");
        }
        for different in ["alicia@example.com", "alice@example.org", "bob@example.com"] {
            assert_ne!(
                Email::parse(different).unwrap().skeleton(),
                alice,
                "{different}"
            );
        }
    }

    #[test]
    fn stored_addresses_get_the_same_skeleton_and_normal_form() {
        let parsed = Email::parse("Ann@Example.com").unwrap();
        let stored = Email::from_trusted(parsed.as_str().to_string());
        assert_eq!(stored, parsed);
        assert_eq!(stored.skeleton(), parsed.skeleton());
    }
}
