//! Who is on the other end of a connection, as far as throttling can tell: the client's
//! address behind the proxies the operator trusts, and the part of it that one client
//! controls (a whole IPv4 address, an IPv6 /64).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::HeaderMap;

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// Why a range does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address range such as 10.0.0.0/8, fd00::/8 or 192.0.2.1")]
pub struct BadRange(String);

impl std::str::FromStr for IpRange {
    type Err = BadRange;

    fn from_str(text: &str) -> Result<Self, BadRange> {
        let bad = || BadRange(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
            None => width,
        };
        if prefix > width {
            return Err(bad());
        }
        Ok(Self { network, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl IpRange {
    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(net.to_bits()),
                u128::from(ip.to_bits()),
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(net.to_bits(), ip.to_bits(), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `width` bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, prefix: u8, width: u32) -> bool {
    let drop = width.saturating_sub(u32::from(prefix));
    a.checked_shr(drop).unwrap_or(0) == b.checked_shr(drop).unwrap_or(0)
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is; others unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The client's address: the socket peer, unless the peer is a proxy the operator
/// trusts; then `X-Forwarded-For` read from the right (each trusted proxy appends the
/// address it received from), skipping the trusted proxies, and the first address that
/// is not one of them is the client. The left-most entries are whatever the client chose
/// to send, so they are never believed. Unparseable entries stop the walk at the last
/// address known.
pub fn client_ip(
    trusted: &[IpRange],
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let peer = peer.map(|addr| canonical(addr.ip()))?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// The part of an address one client controls, as throttling counts it: a whole IPv4
/// address, but an IPv6 /64 (one customer line or host usually gets a /64, and can pick
/// any address in it).
pub fn throttled_prefix(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from_bits(v6.to_bits() & !(u128::MAX >> 64));
            format!("{network}/64")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 443))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn ranges_parse_strictly() {
        for good in [
            "10.0.0.0/8",
            "192.0.2.1",
            "fd00::/8",
            "::1/128",
            "0.0.0.0/0",
        ] {
            good.parse::<IpRange>().unwrap();
        }
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "x",
            "",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
        let range: IpRange = "10.1.0.0/16".parse().unwrap();
        assert!(range.contains("10.1.255.3".parse().unwrap()));
        assert!(!range.contains("10.2.0.1".parse().unwrap()));
        assert!(
            range.contains("::ffff:10.1.0.9".parse().unwrap()),
            "IPv4-mapped"
        );
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        assert!(!all.contains("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(
            client_ip(&[], &headers, peer("203.0.113.9")),
            ip("203.0.113.9")
        );
        let trusted = ranges(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(&trusted, &headers, peer("203.0.113.9")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = ranges(&["10.0.0.0/8", "fd00::/8"]);
        // The client sent a made-up first hop; the proxy appended the real address.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            client_ip(&trusted, &headers, peer("10.0.0.2")),
            ip("203.0.113.9")
        );
        // Two proxies, over two headers.
        let headers = forwarded(&["1.2.3.4", "203.0.113.9, 10.0.0.5"]);
        assert_eq!(
            client_ip(&trusted, &headers, peer("10.0.0.2")),
            ip("203.0.113.9")
        );
        // Nothing forwarded: the proxy itself.
        assert_eq!(
            client_ip(&trusted, &HeaderMap::new(), peer("10.0.0.2")),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the last address known.
        let headers = forwarded(&["203.0.113.9, nonsense, 10.0.0.5"]);
        assert_eq!(
            client_ip(&trusted, &headers, peer("fd00::1")),
            ip("10.0.0.5")
        );
        // Every hop trusted: the left-most is all there is.
        let headers = forwarded(&["10.9.9.9"]);
        assert_eq!(
            client_ip(&trusted, &headers, peer("10.0.0.2")),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn ipv6_addresses_count_by_64_and_mapped_ipv4_as_ipv4() {
        let a = throttled_prefix("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = throttled_prefix("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let c = throttled_prefix("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            throttled_prefix("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7"
        );
        assert_eq!(throttled_prefix("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
