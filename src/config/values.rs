//! Reading typed values out of configuration text, with refusals that say what was expected
//! (the loader adds the key). Used through `#[serde(deserialize_with = "…")]`.
use std::net::SocketAddr;
use std::num::NonZeroU64;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use crate::domain::{Color, Origin, SigningAlg};

pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let raw = String::deserialize(d)?;
    raw.parse()
        .map_err(|_| D::Error::custom(format!("'{raw}' is not an address like 127.0.0.1:8080")))
}

pub fn signing_alg<'de, D: Deserializer<'de>>(d: D) -> Result<SigningAlg, D::Error> {
    let raw = String::deserialize(d)?;
    raw.parse()
        .map_err(|_| D::Error::custom(format!("'{raw}' must be RS256 or ES256")))
}

/// A colour written `#rgb` or `#rrggbb`.
pub fn color<'de, D: Deserializer<'de>>(d: D) -> Result<Color, D::Error> {
    let raw = String::deserialize(d)?;
    Color::parse(&raw)
        .map_err(|_| D::Error::custom(format!("'{raw}' must be a colour like #b7410e or #b41")))
}

/// A count or an interval for which 0 means nothing (a pool of no connections, a poll that
/// never waits), as any non-zero integer type.
pub fn at_least_one<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<NonZeroU64>,
{
    let n = i64::deserialize(d)?;
    let at_least_one = u64::try_from(n).ok().and_then(NonZeroU64::new);
    let n = at_least_one.ok_or_else(|| D::Error::custom(format!("{n} must be at least 1")))?;
    T::try_from(n).map_err(|_| D::Error::custom(format!("{n} is too large")))
}

/// A list of origins, from a TOML array or, in the environment, one comma-separated value
/// (`FERRID__SERVER__CORS_ORIGINS="https://a.example,https://b.example"`). Blank entries
/// are skipped, so an empty variable means none.
pub fn origins<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Origin>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|raw| raw.trim())
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            Origin::parse(raw).map_err(|_| {
                D::Error::custom(format!("'{raw}' is not an origin like https://app.example"))
            })
        })
        .collect()
}

/// Networks, from a TOML array or one comma-separated value in the environment
/// (`FERRID__SERVER__TRUSTED_PROXIES="10.0.0.0/8,192.0.2.7"`): CIDR blocks, or single
/// addresses (a /32 or /128).
pub fn networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|raw| raw.trim())
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            raw.parse::<ipnet::IpNet>()
                .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    D::Error::custom(format!(
                        "'{raw}' is not an IP address or a CIDR block like 10.0.0.0/8"
                    ))
                })
        })
        .collect()
}
