use std::fmt;

/// A registered redirection endpoint (RFC 6749 §3.1.2), or a post-logout redirect URI
/// (OpenID Connect RP-Initiated Logout §3), which follows the same rules.
///
/// Invariant: an absolute URI without a fragment (§3.1.2 "MUST be an absolute URI … MUST NOT
/// include a fragment component"), made only of characters RFC 3986 §2 allows. It is kept
/// exactly as registered and compared by exact string (OAuth 2.0 Security BCP, RFC 9700
/// §4.1.3): no wildcards, no normalisation of case, ports, dots or escapes, since every such
/// rule has been a source of open redirects and code theft.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

/// Why a redirect URI was refused. Each message reads after the value:
/// `redirect URI 'x' {error}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {} characters", RedirectUri::MAX_LEN)]
    TooLong,
    #[error("contains whitespace or a control character")]
    Whitespace,
    #[error("contains a character that is not allowed in a URI (RFC 3986 §2); percent-encode it")]
    BadCharacter,
    #[error(
        "is not absolute: give the full URI with its scheme, like https://app.example.com/callback"
    )]
    NotAbsolute,
    #[error("has a fragment (#...), which RFC 6749 §3.1.2 forbids in a redirect URI")]
    Fragment,
    #[error("uses a wildcard; register every redirect URI exactly")]
    Wildcard,
    #[error(
        "uses the scheme '{0}': use http, https, or a private-use scheme named after a domain you \
         control, like com.example.app:/callback (RFC 8252 §7.1)"
    )]
    Scheme(String),
    #[error("is not a valid URI: {0}")]
    Invalid(String),
}

impl RedirectUri {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, RedirectUriError> {
        if raw.is_empty() {
            return Err(RedirectUriError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(RedirectUriError::TooLong);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RedirectUriError::Whitespace);
        }
        // Checked before parsing: the `url` crate would quietly fix up a backslash ('\' is
        // read as '/' in http(s) URLs, a classic way to smuggle a different host past a
        // string comparison) or percent-encode non-ASCII characters.
        if !raw.bytes().all(is_uri_char) || !percent_escapes_are_valid(raw) {
            return Err(RedirectUriError::BadCharacter);
        }
        if raw.contains('#') {
            return Err(RedirectUriError::Fragment);
        }
        let url = match url::Url::parse(raw) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                return Err(RedirectUriError::NotAbsolute)
            }
            Err(e) => return Err(RedirectUriError::Invalid(e.to_string())),
        };
        match url.scheme() {
            "http" | "https" => {
                // The parser accepts `https:/host` and `https:host` and fixes them up; we keep
                // the raw string, so insist on the form it would have been normalised to.
                let after_scheme = &raw[url.scheme().len()..];
                if !after_scheme.starts_with("://") {
                    return Err(RedirectUriError::NotAbsolute);
                }
                // `https:///cb` would be read as host `cb`.
                if after_scheme[3..].starts_with('/') {
                    return Err(RedirectUriError::Invalid("it has no host".into()));
                }
                if url.host_str().is_some_and(|h| h.contains('*')) {
                    return Err(RedirectUriError::Wildcard);
                }
            }
            // RFC 8252 §7.1: a native app's private-use scheme MUST be a reverse domain name
            // it controls. Requiring the dot also shuts out javascript:, data:, file:,
            // vbscript: and the like, which must never receive a code.
            scheme if scheme.contains('.') => {}
            scheme => return Err(RedirectUriError::Scheme(scheme.to_string())),
        }
        Ok(RedirectUri(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Exact, case-sensitive, byte-for-byte comparison with a `redirect_uri` from a request.
    pub fn matches(&self, presented: &str) -> bool {
        self.0 == presented
    }
}

/// RFC 3986 §2: unreserved, reserved (gen-delims and sub-delims), and '%' for escapes.
fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

fn percent_escapes_are_valid(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

impl AsRef<str> for RedirectUri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = RedirectUriError;

    fn try_from(raw: String) -> Result<Self, RedirectUriError> {
        RedirectUri::parse(&raw)
    }
}

impl From<RedirectUri> for String {
    fn from(value: RedirectUri) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_absolute_uris_as_given() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=a&x=%20",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:3000/cb",
            "com.example.app:/oauth2redirect",
            "com.example.app://callback",
            // No normalisation: kept exactly, so it only ever matches itself.
            "HTTPS://App.Example.com:443/./cb/../cb",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn compares_by_exact_string() {
        let uri = RedirectUri::parse("https://app.example.com/cb").unwrap();
        assert!(uri.matches("https://app.example.com/cb"));
        for other in [
            "https://app.example.com/cb/",
            "https://APP.example.com/cb",
            "https://app.example.com:443/cb",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/CB",
            "https://app.example.com/cb#",
            "https://app.example.com.evil.com/cb",
        ] {
            assert!(!uri.matches(other), "{other}");
        }
    }

    #[test]
    fn refuses_relative_fragment_and_odd_uris() {
        use RedirectUriError::*;
        let cases: &[(&str, RedirectUriError)] = &[
            ("", Empty),
            ("/callback", NotAbsolute),
            ("callback", NotAbsolute),
            ("//app.example.com/cb", NotAbsolute),
            ("https:/app.example.com/cb", NotAbsolute),
            ("https://app.example.com/cb#frag", Fragment),
            ("https://app.example.com/cb#", Fragment),
            ("https://app.example.com/c b", Whitespace),
            ("https://app.example.com/cb\n", Whitespace),
            ("https://app.example.com/cb\u{0}", Whitespace),
            ("https://evil.com\\@app.example.com/cb", BadCharacter),
            ("https://app.example.com/ü", BadCharacter),
            ("https://app.example.com/<script>", BadCharacter),
            ("https://app.example.com/%zz", BadCharacter),
            ("https://*.example.com/cb", Wildcard),
            ("javascript:alert(1)", Scheme("javascript".into())),
            ("data:text/html,hi", Scheme("data".into())),
            ("file:///etc/passwd", Scheme("file".into())),
            ("myapp://cb", Scheme("myapp".into())),
        ];
        for (raw, expected) in cases {
            assert_eq!(RedirectUri::parse(raw).as_ref(), Err(expected), "{raw:?}");
        }
        assert!(matches!(
            RedirectUri::parse("https://exa mple.com"),
            Err(Whitespace)
        ));
        assert!(matches!(RedirectUri::parse("https:///cb"), Err(Invalid(_))));
        assert!(matches!(RedirectUri::parse("https://"), Err(Invalid(_))));
        let long = format!("https://app.example.com/{}", "a".repeat(2000));
        assert_eq!(RedirectUri::parse(&long), Err(TooLong));
    }

    #[test]
    fn messages_read_after_the_value() {
        let e = RedirectUri::parse("/cb").unwrap_err();
        assert!(format!("redirect URI '/cb' {e}").contains("is not absolute"));
    }
}
