//! The client's address behind reverse proxies, and the key rate limits
//! count it under.
//!
//! `X-Forwarded-For` is written by every hop, left to right; only the
//! entries added by proxies we run can be believed (a client writes what it
//! likes in the rest). So the client is found from the right: past a
//! configured number of hops, or past the addresses of configured proxies.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// How far proxy headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyTrust {
    /// No proxy in front: the peer address, headers ignored.
    #[default]
    None,
    /// This many proxies in front, each appending to `X-Forwarded-For`: the
    /// client is the entry this many places from the right (the peer being
    /// the last proxy).
    Hops(u8),
    /// Proxies at these networks: the client is the right-most address (the
    /// peer included) that is not one of them.
    Networks(Vec<IpNet>),
}

impl ProxyTrust {
    /// Reads `GUICHET_TRUST_PROXY` (`0`/`false`, `1`/`true`, or a number of
    /// hops) and `GUICHET_TRUSTED_PROXIES` (addresses or networks separated
    /// by commas, which win). `Err` names what could not be read.
    pub fn parse(hops: Option<&str>, networks: Option<&str>) -> Result<ProxyTrust, String> {
        if let Some(list) = networks.map(str::trim).filter(|l| !l.is_empty()) {
            let mut nets = Vec::new();
            for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let net = item
                    .parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| item.to_owned())?;
                nets.push(net);
            }
            return Ok(ProxyTrust::Networks(nets));
        }
        match hops.map(str::trim) {
            None | Some("" | "0" | "false" | "no") => Ok(ProxyTrust::None),
            Some("true" | "yes") => Ok(ProxyTrust::Hops(1)),
            Some(n) => n
                .parse::<u8>()
                .map(ProxyTrust::Hops)
                .map_err(|_| n.to_owned()),
        }
    }

    /// The client's address, for a request from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if *self == ProxyTrust::None {
            return peer;
        }
        // Every X-Forwarded-For header, in order, then the peer: the chain
        // of addresses from the client to us.
        let mut chain: Vec<Option<IpAddr>> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|a| parse_forwarded(a.trim()))
            .collect();
        chain.push(Some(peer));
        match self {
            ProxyTrust::None => peer,
            ProxyTrust::Hops(n) => {
                let wanted = chain.len().saturating_sub(1 + usize::from(*n));
                // An unreadable entry where the client should be: the
                // closest readable one to its right (a proxy of ours).
                chain[wanted..]
                    .iter()
                    .flatten()
                    .next()
                    .copied()
                    .unwrap_or(peer)
            }
            ProxyTrust::Networks(nets) => {
                let mut last = peer;
                for addr in chain.iter().rev() {
                    match addr {
                        Some(a) if nets.iter().any(|n| n.contains(a)) => last = *a,
                        Some(a) => return *a,
                        None => return last,
                    }
                }
                last
            }
        }
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port or brackets.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(a) = entry.parse::<IpAddr>() {
        return Some(a);
    }
    if let Ok(sa) = entry.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .and_then(|e| e.parse().ok())
}

/// The key a client's attempts are counted under: its IPv4 address, or
/// the /64 network of its IPv6 address (one subscriber usually holds a whole
/// /64, and would otherwise get billions of fresh counters).
pub fn rate_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn without_trust_the_peer_whatever_the_headers() {
        let t = ProxyTrust::None;
        assert_eq!(
            t.client(ip("192.0.2.9"), &headers(&["1.2.3.4"])),
            ip("192.0.2.9")
        );
    }

    #[test]
    fn hops_count_from_the_right_so_a_forged_left_part_is_ignored() {
        let one = ProxyTrust::Hops(1);
        // The client wrote 6.6.6.6 itself; our proxy appended what it saw.
        let h = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(one.client(ip("10.0.0.2"), &h), ip("203.0.113.7"));
        // Two proxies: the second-to-last entry.
        let h = headers(&["6.6.6.6", "203.0.113.7, 10.0.0.1"]);
        assert_eq!(
            ProxyTrust::Hops(2).client(ip("10.0.0.2"), &h),
            ip("203.0.113.7")
        );
        // Fewer entries than hops: the left-most.
        assert_eq!(
            ProxyTrust::Hops(3).client(ip("10.0.0.2"), &h),
            ip("6.6.6.6")
        );
        // No header: the peer.
        assert_eq!(
            one.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
        // Garbage where the client should be: our proxy's entry to its right.
        let h = headers(&["203.0.113.7, n'importe quoi"]);
        assert_eq!(one.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn networks_skip_our_proxies_from_the_right() {
        let t = ProxyTrust::parse(None, Some("10.0.0.0/8, 192.168.1.1")).expect("parse");
        let h = headers(&["6.6.6.6, 203.0.113.7, 192.168.1.1"]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("203.0.113.7"));
        // A peer that is not a proxy of ours: itself, headers ignored.
        assert_eq!(t.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // Ports and brackets as some proxies write them.
        let h = headers(&["[2001:db8::1]:4711"]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("2001:db8::1"));
        let h = headers(&["203.0.113.7:1234"]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("203.0.113.7"));
    }

    #[test]
    fn configuration() {
        assert_eq!(ProxyTrust::parse(None, None), Ok(ProxyTrust::None));
        assert_eq!(ProxyTrust::parse(Some("1"), None), Ok(ProxyTrust::Hops(1)));
        assert_eq!(
            ProxyTrust::parse(Some("true"), None),
            Ok(ProxyTrust::Hops(1))
        );
        assert_eq!(
            ProxyTrust::parse(Some("2"), Some(" ")),
            Ok(ProxyTrust::Hops(2))
        );
        assert_eq!(ProxyTrust::parse(Some("false"), None), Ok(ProxyTrust::None));
        assert!(ProxyTrust::parse(Some("beaucoup"), None).is_err());
        assert_eq!(
            ProxyTrust::parse(Some("1"), Some("10.1.2.0/24,fd00::/8,127.0.0.1")).map(|t| match t {
                ProxyTrust::Networks(n) => n.len(),
                _ => 0,
            }),
            Ok(3)
        );
        assert!(ProxyTrust::parse(None, Some("10.0.0.0/33")).is_err());
    }

    #[test]
    fn ipv6_is_counted_per_64() {
        assert_eq!(rate_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            rate_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            rate_key(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:3::1")),
            rate_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(rate_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
