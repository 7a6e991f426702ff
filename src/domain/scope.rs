use std::fmt;

use super::DomainError;

/// A set of scope tokens (RFC 6749 §3.3): `scope = scope-token *( SP scope-token )`,
/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. Order of first appearance is kept so that
/// what we echo back reads like what was asked for; duplicates are dropped (the scope is "a
/// list of … strings" whose order does not matter, i.e. a set).
/// Serialized as its `scope` string, parsed again when read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// Bounds what a request can make us parse and store.
    pub const MAX_LEN: usize = 2000;

    pub fn empty() -> Self {
        ScopeSet(Vec::new())
    }

    /// Parses a space-delimited `scope` value. An empty string is the empty set (an absent or
    /// empty parameter; the caller decides whether that is allowed). Exactly one space
    /// separates tokens, as the grammar says, so `"a  b"` and `" a"` are refused.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() > Self::MAX_LEN {
            return Err(DomainError("The scope is too long."));
        }
        if raw.is_empty() {
            return Ok(Self::empty());
        }
        let mut set = Self::empty();
        for token in raw.split(' ') {
            set.insert(token)?;
        }
        Ok(set)
    }

    /// Several scope values (e.g. repeated command-line options), each space-delimited.
    pub fn parse_all<'a>(raws: impl IntoIterator<Item = &'a str>) -> Result<Self, DomainError> {
        let mut set = Self::empty();
        for raw in raws {
            for token in Self::parse(raw)?.0 {
                set.insert(&token)?;
            }
        }
        Ok(set)
    }

    fn insert(&mut self, token: &str) -> Result<(), DomainError> {
        if !is_scope_token(token) {
            return Err(DomainError(
                "A scope must be space-separated tokens of visible ASCII characters, \
                 without \" or \\ (RFC 6749 §3.3).",
            ));
        }
        if !self.contains(token) {
            if self.0.iter().map(|t| t.len() + 1).sum::<usize>() + token.len() > Self::MAX_LEN {
                return Err(DomainError("The scope is too long."));
            }
            self.0.push(token.to_string());
        }
        Ok(())
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// Every token of `self` is in `other` (e.g. a refresh request may only narrow the
    /// original grant, RFC 6749 §6).
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|t| other.contains(t))
    }

    /// The tokens of `self` that are also in `other`, in `self`'s order (e.g. a request
    /// narrowed to what the client is allowed).
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(
            self.0
                .iter()
                .filter(|t| other.contains(t))
                .cloned()
                .collect(),
        )
    }

    /// Every token of either, `self`'s first (e.g. a consent growing by what was just
    /// allowed). Both sides were checked when parsed, so this cannot fail.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut out = self.clone();
        for token in other.iter() {
            if !out.contains(token) {
                out.0.push(token.to_string());
            }
        }
        out
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

impl TryFrom<String> for ScopeSet {
    type Error = DomainError;

    fn try_from(raw: String) -> Result<Self, DomainError> {
        ScopeSet::parse(&raw)
    }
}

impl From<ScopeSet> for String {
    fn from(set: ScopeSet) -> String {
        set.to_string()
    }
}

/// The `scope` parameter form: tokens joined by single spaces.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(raw: &str) -> ScopeSet {
        ScopeSet::parse(raw).unwrap()
    }

    #[test]
    fn parses_tokens_in_order_without_duplicates() {
        let s = set("openid profile email profile");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["openid", "profile", "email"]);
        assert_eq!(s.to_string(), "openid profile email");
        assert_eq!(s.len(), 3);
        assert!(set("").is_empty());
        // The whole token alphabet: %x21 / %x23-5B / %x5D-7E.
        assert!(ScopeSet::parse("!#$%&'()*+,-./:;<=>?@[]^_`{|}~ api:read https://x/y").is_ok());
    }

    #[test]
    fn refuses_what_the_grammar_refuses() {
        for bad in [
            " openid",
            "openid ",
            "openid  profile",
            "a\"b",
            "a\\b",
            "a\tb",
            "é",
            "a\u{7f}",
        ] {
            assert!(ScopeSet::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ScopeSet::parse(&"a ".repeat(1500)).is_err());
    }

    #[test]
    fn set_operations() {
        let allowed = set("openid profile email offline_access");
        let asked = set("email openid admin");
        assert!(allowed.contains("openid"));
        assert!(!allowed.contains("open"));
        assert!(!asked.is_subset(&allowed));
        assert!(set("email openid").is_subset(&allowed));
        assert!(ScopeSet::empty().is_subset(&allowed));
        assert_eq!(asked.intersection(&allowed).to_string(), "email openid");
        assert_eq!(
            set("openid email").union(&set("phone openid")).to_string(),
            "openid email phone"
        );
    }

    #[test]
    fn parse_all_unions_values() {
        let s = ScopeSet::parse_all(["openid profile", "email", "openid"]).unwrap();
        assert_eq!(s.to_string(), "openid profile email");
        assert!(ScopeSet::parse_all(["openid", "bad\"one"]).is_err());
    }
}
