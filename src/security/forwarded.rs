//! Which address a request comes from. Behind a reverse proxy every socket peer is the
//! proxy, and the client is named in `X-Forwarded-For`; but anyone can send that header, and
//! a limiter keyed on a forged value is dodged by changing it. So the header is believed only
//! from peers in `server.trusted_proxies`, and only as far as it was written by trusted
//! proxies: reading it from the right (each proxy appends the address it received the
//! request from), the client is the first address that is not itself a trusted proxy. What
//! a client wrote to the left of that is ignored.
use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address: `peer` unless it is a trusted proxy, in which case the right-most
/// untrusted address of the `X-Forwarded-For` values (in the order the headers came; each
/// a comma-separated list). When every hop is trusted, the left-most one; when a hop cannot
/// be read, the trusted hop to its right (what wrote it).
pub fn client_ip<'a>(
    peer: IpAddr,
    trusted: &[IpNet],
    forwarded_for: impl IntoIterator<Item = &'a str>,
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// One entry: an address, optionally with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    /// What a case names: why, the peer, the trusted networks, the X-Forwarded-For headers
    /// and the client.
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str], &'a str);

    /// Each line: the peer, the trusted networks, the X-Forwarded-For headers, the client.
    #[test]
    fn client_ip_table() {
        let proxy = &["10.0.0.0/8"][..];
        let cases: &[Case] = &[
            (
                "no proxy trusted: the header is ignored",
                "198.51.100.9",
                &[],
                &["203.0.113.5"],
                "198.51.100.9",
            ),
            (
                "an untrusted peer's header is ignored",
                "198.51.100.9",
                proxy,
                &["203.0.113.5"],
                "198.51.100.9",
            ),
            (
                "a trusted proxy names the client",
                "10.0.0.2",
                proxy,
                &["203.0.113.5"],
                "203.0.113.5",
            ),
            (
                "what the client prepended is ignored",
                "10.0.0.2",
                proxy,
                &["1.1.1.1, 203.0.113.5"],
                "203.0.113.5",
            ),
            (
                "a chain of trusted proxies is walked",
                "10.0.0.2",
                proxy,
                &["203.0.113.5, 10.1.1.1, 10.2.2.2"],
                "203.0.113.5",
            ),
            (
                "several headers are one list, in order",
                "10.0.0.2",
                proxy,
                &["1.1.1.1", "203.0.113.5, 10.1.1.1"],
                "203.0.113.5",
            ),
            (
                "no header: the proxy itself",
                "10.0.0.2",
                proxy,
                &[],
                "10.0.0.2",
            ),
            (
                "every hop trusted: the left-most",
                "10.0.0.2",
                proxy,
                &["10.9.9.9, 10.1.1.1"],
                "10.9.9.9",
            ),
            (
                "an unreadable hop: the trusted hop that wrote it",
                "10.0.0.2",
                proxy,
                &["203.0.113.5, garbage"],
                "10.0.0.2",
            ),
            (
                "ports and IPv6",
                "10.0.0.2",
                proxy,
                &["[2001:db8::1]:4711"],
                "2001:db8::1",
            ),
            (
                "with a port",
                "10.0.0.2",
                proxy,
                &["203.0.113.5:4711"],
                "203.0.113.5",
            ),
            (
                "a mapped IPv4 peer is IPv4",
                "::ffff:10.0.0.2",
                proxy,
                &["203.0.113.5"],
                "203.0.113.5",
            ),
            (
                "a single trusted address",
                "127.0.0.1",
                &["127.0.0.1/32"],
                &["203.0.113.5"],
                "203.0.113.5",
            ),
        ];
        for (name, peer, trusted, headers, expected) in cases {
            let got = client_ip(
                peer.parse().unwrap(),
                &nets(trusted),
                headers.iter().copied(),
            );
            assert_eq!(got.to_string(), *expected, "{name}");
        }
    }
}
