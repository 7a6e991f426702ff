//! Device cookies, after OWASP's "Slow down online guessing attacks with device cookies"
//! (<https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies>).
//!
//! Throttling failed logins per account would let anyone lock the owner out by failing on
//! purpose. Instead, a browser that has logged in to an account gets a device cookie naming
//! that account, signed by the server; a later login presenting a valid one for the account
//! typed is counted in a bucket of its own (per device), so failures from browsers without
//! it (the attacker's) never delay the owner's. Only a successful login yields a cookie, so
//! an attacker cannot get one without the password; one stolen from a browser is limited
//! like any other device.
//!
//! The value is `v1.<account tag>.<issued at>.<nonce>.<mac>`, base64url without padding:
//! the account tag is HMAC(key, "account:" + normalised email) cut to 16 bytes (the cookie
//! names the account without showing the address), `issued at` is unix seconds (the cookie
//! is honoured for `rate_limit.device_cookie_lifetime` after it), the nonce is 16 random
//! bytes that name the device, and the MAC is HMAC-SHA256 over everything before it. The key
//! is derived from the master key (HKDF), so every replica recognises every replica's
//! cookies. A browser holds one device cookie, for the last account it logged in to.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use super::master_key::MasterKey;
use crate::domain::constant_time_eq;

/// The cookie's name.
pub const COOKIE: &str = "ferrid_device";

const VERSION: &str = "v1";
/// Seconds a cookie may claim to be from the future (clocks of replicas differ a little).
const CLOCK_SKEW: i64 = 300;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// The signing key of device cookies.
pub struct DeviceKey(hmac::Key);

/// A device recognised for an account: the throttling key of its own bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceId(String);

impl DeviceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(<redacted>)")
    }
}

impl DeviceKey {
    /// The key every replica sharing `master` derives alike.
    pub fn derive(master: &MasterKey) -> Self {
        DeviceKey(master.derive_hmac_key(b"ferrid device cookie v1"))
    }

    /// A random key, for tools and tests that have no master key.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the operating system's random source failed");
        DeviceKey(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }

    fn tag(&self, account: &str) -> String {
        let tag = hmac::sign(&self.0, format!("account:{account}").as_bytes());
        URL_SAFE_NO_PAD.encode(&tag.as_ref()[..TAG_LEN])
    }

    /// A new cookie value for `account` (a normalised email), issued at `now`.
    pub fn issue(&self, account: &str, now: i64) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the operating system's random source failed");
        let signed = format!(
            "{VERSION}.{}.{now}.{}",
            self.tag(account),
            URL_SAFE_NO_PAD.encode(nonce)
        );
        let mac = hmac::sign(&self.0, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()))
    }

    /// The device, when `cookie` is a cookie of ours for `account`, issued less than
    /// `lifetime` seconds before `now`. Anything else (forged, altered, for another
    /// account, expired, malformed) is `None`: an unknown device.
    pub fn recognise(
        &self,
        cookie: &str,
        account: &str,
        now: i64,
        lifetime: i64,
    ) -> Option<DeviceId> {
        let (signed, mac) = cookie.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        hmac::verify(&self.0, signed.as_bytes(), &mac).ok()?;
        let mut parts = signed.split('.');
        let (version, tag, issued_at, nonce) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION || parts.next().is_some() {
            return None;
        }
        if !constant_time_eq(tag.as_bytes(), self.tag(account).as_bytes()) {
            return None;
        }
        let issued_at: i64 = issued_at.parse().ok()?;
        // Saturating: a signed field is ours, but no time, however far off, may overflow.
        let fresh =
            now.saturating_sub(issued_at) < lifetime && issued_at <= now.saturating_add(CLOCK_SKEW);
        fresh.then(|| DeviceId(nonce.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const LIFETIME: i64 = 180 * DAY;

    #[test]
    fn a_cookie_names_its_account_and_device() {
        let key = DeviceKey::random();
        let cookie = key.issue("alice@example.com", 1000);
        assert!(!cookie.contains("alice"), "{cookie}");
        let device = key.recognise(&cookie, "alice@example.com", 2000, LIFETIME);
        assert!(device.is_some());
        let other = key.issue("alice@example.com", 1000);
        assert_ne!(
            key.recognise(&other, "alice@example.com", 2000, LIFETIME),
            device,
            "each cookie is its own device"
        );
    }

    /// Each line: why the cookie is not recognised for alice at `now`.
    #[test]
    fn refusals() {
        let key = DeviceKey::random();
        let cookie = key.issue("alice@example.com", 1000);
        let (signed, mac) = cookie.rsplit_once('.').unwrap();
        let foreign = DeviceKey::random().issue("alice@example.com", 1000);
        let bob = key.issue("bob@example.com", 1000);
        let altered_time = signed.replace(".1000.", ".2000.") + "." + mac;
        let future = key.issue("alice@example.com", 1000 + CLOCK_SKEW + 1);
        let cases: &[(&str, &str, i64)] = &[
            ("another server's key", &foreign, 2000),
            ("another account's cookie", &bob, 2000),
            ("an altered field", &altered_time, 2000),
            ("a truncated MAC", &cookie[..cookie.len() - 2], 2000),
            ("no MAC", signed, 2000),
            ("garbage", "not.a.cookie", 2000),
            ("empty", "", 2000),
            ("expired", &cookie, 1000 + LIFETIME),
            ("issued in the future", &future, 1000),
        ];
        for (name, presented, now) in cases {
            assert_eq!(
                key.recognise(presented, "alice@example.com", *now, LIFETIME),
                None,
                "{name}"
            );
        }
        assert!(key
            .recognise(&cookie, "alice@example.com", 1000 + LIFETIME - 1, LIFETIME)
            .is_some());
    }

    /// Replicas derive one key from one master key; another master key gives another.
    #[test]
    fn keys_derive_from_the_master_key() {
        let master = MasterKey::generate();
        let again = MasterKey::from_base64(&master.to_base64()).unwrap();
        let cookie = DeviceKey::derive(&master).issue("a@example.com", 0);
        assert!(DeviceKey::derive(&again)
            .recognise(&cookie, "a@example.com", 1, LIFETIME)
            .is_some());
        assert!(DeviceKey::derive(&MasterKey::generate())
            .recognise(&cookie, "a@example.com", 1, LIFETIME)
            .is_none());
    }
}
