//! Web origins (RFC 6454), for CORS: the scheme, host and port of an http(s) URL.
use std::fmt;

use super::DomainError;

/// The ASCII serialization of an http(s) origin (RFC 6454 §6.2), e.g.
/// `https://app.example` or `http://127.0.0.1:3000`: no path, no default port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// The origin of an http(s) URL; other schemes (native apps' redirect URIs) have none
    /// a browser would send.
    pub fn of(uri: &str) -> Option<Origin> {
        let url = url::Url::parse(uri).ok()?;
        matches!(url.scheme(), "http" | "https").then(|| Origin(url.origin().ascii_serialization()))
    }

    /// An origin written as one: exactly its own serialization (so no path, no trailing
    /// slash, no default port, a lowercase host).
    pub fn parse(raw: &str) -> Result<Origin, DomainError> {
        match Origin::of(raw) {
            Some(origin) if origin.0 == raw => Ok(origin),
            _ => Err(DomainError(
                "An origin is written like https://app.example.",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Origin;

    #[test]
    fn origins_of_redirect_uris() {
        let of = |uri| Origin::of(uri).map(|o| o.as_str().to_string());
        assert_eq!(
            of("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            of("http://127.0.0.1:3000/cb").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            of("https://app.example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(of("com.example.app:/cb"), None);
    }

    #[test]
    fn an_origin_is_written_as_its_serialization() {
        for ok in ["https://app.example", "http://127.0.0.1:3000"] {
            assert_eq!(Origin::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "https://app.example/",
            "https://app.example/cb",
            "https://app.example:443",
            "HTTPS://app.example",
            "app.example",
            "ftp://app.example",
            "",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?}");
        }
    }
}
