//! The client's address. Behind a reverse proxy the peer is the proxy; the client's own
//! address then comes from `Forwarded` / `X-Forwarded-For`, but only through hops listed
//! in `IW_TRUSTED_PROXIES`. A header from any other peer is ignored, so nobody can choose
//! the address the rate limit and the sign-in throttle count against.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::{web, HttpRequest};
use ipnet::IpNet;

/// `IW_TRUSTED_PROXIES`: CIDRs (or single addresses), comma- or space-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{p:?} is no CIDR such as 10.0.0.0/8"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Walks the forwarding chain from the nearest hop back while hops are trusted; the
    /// first untrusted one is the client. An unparsable entry ends the walk there.
    pub fn client(&self, peer: IpAddr, chain: &[Option<IpAddr>]) -> IpAddr {
        let mut client = peer;
        for hop in chain.iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match hop {
                Some(ip) => client = *ip,
                None => break,
            }
        }
        client
    }
}

/// The hops a request names, nearest last: `Forwarded: for=` if sent, else
/// `X-Forwarded-For`. An entry that is no address (`unknown`, obfuscated) is `None`.
fn forwarding_chain(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let headers = req.headers();
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.eq_ignore_ascii_case("for").then(|| parse_node(v))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// The client address of a request, as the rate limit and sign-in throttle count it.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) if trusted.trusts(peer) => trusted.client(peer, &forwarding_chain(req)),
        _ => peer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_through_trusted_hops() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        let chain = [Some(ip("203.0.113.9")), Some(ip("10.1.1.1"))];
        // Peer is a trusted proxy: walk back over trusted hops to the client.
        assert_eq!(trusted.client(ip("192.0.2.7"), &chain), ip("203.0.113.9"));
        // A spoofed first entry before the real client is not believed.
        let spoofed = [Some(ip("1.2.3.4")), Some(ip("203.0.113.9"))];
        assert_eq!(trusted.client(ip("10.0.0.1"), &spoofed), ip("203.0.113.9"));
        // An untrusted peer's header is ignored.
        let none: TrustedProxies = "".parse().unwrap();
        assert_eq!(none.client(ip("198.51.100.1"), &chain), ip("198.51.100.1"));
        // An unknown hop stops the walk at the last trusted one.
        assert_eq!(trusted.client(ip("10.0.0.1"), &[None]), ip("10.0.0.1"));
    }

    #[test]
    fn nodes_and_bad_lists() {
        assert_eq!(
            parse_node("\"[2001:db8::1]:4711\""),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(parse_node("192.0.2.1:80"), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("unknown"), None);
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
    }
}
