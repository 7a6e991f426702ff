//! Property tests of `X-Forwarded-For` reading (`forwarded`), which any client can write:
//! no header panics, the answer is the peer or an address the header names, and what a
//! client writes to the left of the trusted proxies' entries never changes it.
use std::net::IpAddr;

use ipnet::IpNet;
use proptest::prelude::*;

use super::forwarded::client_ip;
use crate::domain::proptests::strategies::text;

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        prop::sample::select(vec![
            "10.0.0.1",
            "10.9.8.7",
            "203.0.113.5",
            "::ffff:10.0.0.2",
            "2001:db8::1",
            "::1"
        ])
        .prop_map(|s| s.parse::<IpAddr>().unwrap()),
        any::<IpAddr>(),
    ]
}

/// One hop as a proxy writes it (maybe with a port), or junk.
fn hop() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ip().prop_map(|ip| ip.to_string()),
        1 => (ip(), any::<u16>()).prop_map(|(ip, port)| std::net::SocketAddr::new(ip, port).to_string()),
        1 => text(12),
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop::collection::vec(hop(), 0..5).prop_map(|hops| hops.join(", "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn forwarded_for_is_read_safely(
        peer in ip(),
        trusts_proxies in any::<bool>(),
        headers in prop::collection::vec(header(), 0..3),
        forged in prop::collection::vec(hop(), 1..4),
    ) {
        let trusted: Vec<IpNet> = match trusts_proxies {
            true => vec!["10.0.0.0/8".parse().unwrap()],
            false => vec![],
        };
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
        let client = client_ip(peer, &trusted, headers.iter().map(String::as_str));
        if !is_trusted(&peer.to_canonical()) {
            prop_assert_eq!(client, peer.to_canonical());
        }
        let parse = |hop: &str| {
            let hop = hop.trim();
            hop.parse::<IpAddr>()
                .ok()
                .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
                .map(|ip| ip.to_canonical())
        };
        let named = client == peer.to_canonical()
            || headers.iter().flat_map(|h| h.split(',')).any(|hop| parse(hop) == Some(client));
        prop_assert!(named, "{} from {:?}", client, headers);
        // A client prepending its own entries changes nothing once an untrusted hop was found.
        if !is_trusted(&client) {
            let mut with_forged = headers.clone();
            let first = with_forged.first().cloned().unwrap_or_default();
            let prefix = forged.join(", ");
            let forged_first = if first.is_empty() { prefix } else { format!("{prefix}, {first}") };
            match with_forged.first_mut() {
                Some(h) => *h = forged_first,
                None => with_forged.push(forged_first),
            }
            prop_assert_eq!(client_ip(peer, &trusted, with_forged.iter().map(String::as_str)), client);
        }
    }
}
