//! `[server]`: where Ferrid listens, what it calls itself, and the limits of each request.
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

use super::values;
use crate::domain::Origin;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    #[serde(deserialize_with = "values::socket_addr")]
    pub bind: SocketAddr,
    /// Unset: `http://<the address actually bound>`.
    #[serde(default)]
    pub issuer: Option<Issuer>,
    pub environment: Environment,
    pub data_dir: PathBuf,
    pub form_limit: usize,
    pub json_limit: usize,
    /// Threads per worker for blocking work (database, argon2, signing).
    #[serde(deserialize_with = "values::at_least_one")]
    pub blocking_threads: NonZeroUsize,
    /// Browser origins allowed on the protocol endpoints besides those of redirect URIs.
    /// From the environment as one comma-separated list.
    #[serde(default, deserialize_with = "values::origins")]
    pub cors_origins: Vec<Origin>,
    /// Deadline for reading a request's headers, and then its whole body (milliseconds).
    pub request_timeout_ms: u64,
    /// Open connections per client IP; 0 means no cap.
    pub max_connections_per_ip: u32,
    /// Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR blocks); empty:
    /// the socket's peer is the client. From the environment as one comma-separated list.
    #[serde(default, deserialize_with = "values::networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `server.environment`. An https issuer also counts as production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Environment {
    Development,
    Production,
}

impl TryFrom<String> for Environment {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "development" => Ok(Environment::Development),
            "production" => Ok(Environment::Production),
            _ => Err(format!("'{raw}' must be development or production")),
        }
    }
}

/// The issuer identifier (OpenID Connect Discovery §3): an absolute http (development) or
/// https URL with no query or fragment. It is compared as a string and URLs are built by
/// appending paths to it, so a trailing slash is refused rather than normalised.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Issuer(String);

impl Issuer {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl FromStr for Issuer {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let refuse = |why: &str| Err(format!("'{raw}' {why}"));
        let Ok(url) = url::Url::parse(raw) else {
            return refuse("is not an absolute URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("must be an http or https URL");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return refuse("must not have a query or fragment");
        }
        if raw.ends_with('/') {
            return refuse("must not end with a slash");
        }
        Ok(Issuer(raw.to_string()))
    }
}

impl TryFrom<String> for Issuer {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse()
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
