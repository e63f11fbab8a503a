//! The address a request comes from. It is the connection's peer, unless that peer is a
//! `--trusted-proxy`: then `X-Forwarded-For` is read from its end, skipping the trusted
//! proxies, and the first address no trusted proxy vouches for is the client. A header sent
//! by anyone else is ignored, so no client can pick the address it is counted under.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::api::AppError;
use crate::session::admission::Admission;
use crate::AppState;

/// The client of `peer`'s request, given the trusted proxies.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|hop| hop.parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    hops.into_iter()
        .rev()
        .find(|hop| !is_trusted(hop))
        .unwrap_or(peer)
}

/// The request's client and how its new playgrounds are counted.
pub struct Client {
    pub ip: IpAddr,
    pub admission: Admission,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let ip = client_ip(peer, &parts.headers, &state.edge.trusted_proxies);
        Ok(Client {
            ip,
            admission: Admission::of(ip, &state.edge.exempt_networks),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse::<IpNet>().unwrap()];
        let spoofed = forwarded("198.51.100.1");
        // Straight from the client: its header is ignored.
        assert_eq!(
            client_ip(ip("192.0.2.9"), &spoofed, &trusted),
            ip("192.0.2.9")
        );
        // Through the proxy: the last hop it did not add itself.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &forwarded("198.51.100.1, 192.0.2.9, 10.0.0.5"),
                &trusted
            ),
            ip("192.0.2.9")
        );
        // Nothing trusted: the peer, whatever the header says.
        assert_eq!(client_ip(ip("10.0.0.2"), &spoofed, &[]), ip("10.0.0.2"));
        // A malformed header counts as no header.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &forwarded("evil, 192.0.2.9"), &trusted),
            ip("10.0.0.2")
        );
    }
}
