//! Who the client is, behind proxies we run: the address rate limits count, taken from the right
//! of `X-Forwarded-For`, past the hops we trust, never from what a client wrote itself.

use std::{net::IpAddr, str::FromStr};

/// Which proxies in front of this server may be believed about the client's address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// None: the socket's peer is the client.
    #[default]
    None,
    /// This many proxies, each appending the address it saw to `X-Forwarded-For`: the client is
    /// the entry that many places from the right.
    Hops(usize),
    /// Proxies at these addresses or networks: the client is the rightmost entry that is not one
    /// of them (and the peer itself must be one, or the header is ignored).
    Networks(Vec<Network>),
}

/// An address with a prefix length, `10.0.0.0/8` or `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V4(ip)) => {
                prefix_match(&net.octets(), &ip.to_ipv6_mapped().octets(), self.prefix)
            }
            (IpAddr::V4(net), IpAddr::V6(ip)) => ip
                .to_ipv4_mapped()
                .is_some_and(|ip| prefix_match(&net.octets(), &ip.octets(), self.prefix)),
        }
    }
}

fn prefix_match(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if net[..full] != ip[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xFFu8 << (8 - rest);
        net[full] & mask == ip[full] & mask
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("“{s}”不是 IP 地址或网段"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("“{s}”的前缀长度须在 0 到 {max} 之间"))?,
        };
        Ok(Self { address, prefix })
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// `0` or empty: none; a number: that many hops; else a comma-separated list of addresses and
    /// networks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s == "0" {
            return Ok(Self::None);
        }
        if let Ok(hops) = s.parse::<usize>() {
            return Ok(Self::Hops(hops));
        }
        s.split(',')
            .map(str::parse)
            .collect::<Result<Vec<Network>, _>>()
            .map(Self::Networks)
    }
}

impl TrustedProxies {
    /// The client's address given the socket's peer and the `X-Forwarded-For` header.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let entries = || {
            forwarded_for
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .collect::<Vec<_>>()
        };
        match self {
            Self::None | Self::Hops(0) => peer,
            Self::Hops(hops) => {
                let entries = entries();
                // Our nearest proxy is the peer; the one before it wrote the last entry, and so on.
                // Fewer entries than hops: the request skipped a proxy, and the peer is all we know.
                let Some(index) = entries.len().checked_sub(*hops) else {
                    return peer;
                };
                entries[index].parse().unwrap_or(peer)
            }
            Self::Networks(networks) => {
                let trusted = |ip: IpAddr| networks.iter().any(|n| n.contains(ip));
                if !trusted(peer) {
                    return peer;
                }
                let mut client = peer;
                for entry in entries().into_iter().rev() {
                    let Ok(ip) = entry.parse::<IpAddr>() else {
                        // Unreadable: nothing left of it can be believed.
                        return client;
                    };
                    client = ip;
                    if !trusted(ip) {
                        return ip;
                    }
                }
                client
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let proxies = TrustedProxies::None;
        assert_eq!(
            proxies.client(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn one_hop_takes_the_entry_the_proxy_wrote_not_what_the_client_wrote() {
        let proxies: TrustedProxies = "1".parse().unwrap();
        // The client sent `X-Forwarded-For: 6.6.6.6`; the proxy appended the address it saw.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7")),
            ip("198.51.100.7")
        );
        let two: TrustedProxies = "2".parse().unwrap();
        assert_eq!(
            two.client(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7, 10.0.0.3")),
            ip("198.51.100.7")
        );
        assert_eq!(two.client(ip("10.0.0.2"), Some("1.1.1.1")), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.2"), None), ip("10.0.0.2"));
    }

    #[test]
    fn listed_proxies_are_skipped_from_the_right() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.168.1.1".parse().unwrap();
        assert_eq!(
            proxies.client(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7, 192.168.1.1")),
            ip("198.51.100.7")
        );
        // A request that did not come through a listed proxy: its header is the client's own.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), Some("6.6.6.6")),
            ip("203.0.113.9")
        );
        // Garbage to the right stops the walk at the last address believed.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), Some("6.6.6.6, not-an-ip")),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn networks_match_by_prefix_for_both_families() {
        let net: Network = "10.1.0.0/15".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(net.contains(ip("10.0.0.1")));
        assert!(!net.contains(ip("10.2.0.1")));
        let v6: Network = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("nonsense".parse::<TrustedProxies>().is_err());
    }
}
