//! The names Quai answers to and the page origins that may use its API. A request's Host
//! must be an IP address, `localhost`, or the host of a `--public-url`: a DNS name that
//! rebinds to this server's address is refused, so a page on it cannot drive Quai with the
//! visitor's network position. An Origin must be the request's own (already checked) host,
//! a public URL or an `--allowed-origin`.

use std::net::IpAddr;

use axum::http::{header, HeaderMap, StatusCode, Uri};
use quai_protocol::ErrorCode;

use super::EdgeConfigError;
use crate::api::AppError;

/// One `--public-url`: how browsers reach Quai.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub https: bool,
    /// Lower-cased, IPv6 in brackets as in a Host header.
    pub host: String,
    pub port: u16,
}

impl PublicUrl {
    pub fn parse(url: &str) -> Result<PublicUrl, EdgeConfigError> {
        let refuse = |why| EdgeConfigError::PublicUrl {
            url: url.to_string(),
            why,
        };
        let uri: Uri = url.trim().parse().map_err(|_| refuse("it is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(refuse("it must start with http:// or https://")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| refuse("it names no host"))?
            .to_ascii_lowercase();
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(refuse(
                "Quai is served at the root of its address, without a path",
            ));
        }
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(PublicUrl { https, host, port })
    }

    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            format!("{scheme}://{}", self.host)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// `host[:port]` split, IPv6 kept in brackets; `None` when malformed.
fn split_host(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._[]:".contains(c))
    {
        return None;
    }
    Some((host.to_ascii_lowercase(), port))
}

/// Whether a name cannot be rebound by a DNS answer: an IP address, or `localhost`.
fn is_fixed(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok() || host == "localhost" || host.ends_with(".localhost")
}

fn misdirected(host: &str) -> AppError {
    AppError::new(
        StatusCode::MISDIRECTED_REQUEST,
        ErrorCode::Forbidden,
        format!(
            "This Quai server does not answer to the name {host:?}. Its operator can add it with --public-url (for example --public-url https://{host})."
        ),
    )
}

/// The host the request names: its Host header, else the authority of its URI (HTTP/2).
fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
}

pub fn check_host(headers: &HeaderMap, uri: &Uri, public: &[PublicUrl]) -> Result<(), AppError> {
    let Some(named) = request_host(headers, uri) else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "The request names no host (Host header).",
        ));
    };
    let Some((host, port)) = split_host(named) else {
        return Err(misdirected(named));
    };
    if is_fixed(&host) {
        return Ok(());
    }
    let listed = public
        .iter()
        .any(|p| p.host == host && port.unwrap_or(if p.https { 443 } else { 80 }) == p.port);
    if listed {
        Ok(())
    } else {
        Err(misdirected(named))
    }
}

pub fn check_origin(
    headers: &HeaderMap,
    uri: &Uri,
    public: &[PublicUrl],
    allowed: &[String],
) -> Result<(), AppError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let own = request_host(headers, uri)
        .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
        .map(|a| a.as_str().to_ascii_lowercase());
    let same_host = origin.split_once("://").is_some_and(|(scheme, rest)| {
        (scheme == "http" || scheme == "https") && own.as_deref() == Some(rest)
    });
    if same_host || public.iter().any(|p| p.origin() == origin) || allowed.contains(&origin) {
        return Ok(());
    }
    Err(AppError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "This page's origin may not use this Quai server.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    fn public(urls: &[&str]) -> Vec<PublicUrl> {
        urls.iter().map(|u| PublicUrl::parse(u).unwrap()).collect()
    }

    fn host_ok(host: &str, urls: &[&str]) -> bool {
        check_host(&headers(host, None), &Uri::from_static("/"), &public(urls)).is_ok()
    }

    #[test]
    fn addresses_and_localhost_are_answered_and_other_names_only_when_listed() {
        assert!(host_ok("127.0.0.1:8080", &[]));
        assert!(host_ok("192.0.2.7", &[]));
        assert!(host_ok("[::1]:8080", &[]));
        assert!(host_ok("localhost:8080", &[]));
        assert!(!host_ok("rebind.example:8080", &[]));
        assert!(!host_ok("127.0.0.1.rebind.example", &[]));
        assert!(host_ok("quai.example", &["https://quai.example"]));
        assert!(host_ok("quai.example:443", &["https://quai.example"]));
        assert!(host_ok("QUAI.example", &["https://quai.example/"]));
        assert!(!host_ok("quai.example:8080", &["https://quai.example"]));
        assert!(host_ok(
            "lab.school.example:8080",
            &["http://lab.school.example:8080"]
        ));
        assert!(!host_ok("evil\"name", &[]));
    }

    #[test]
    fn malformed_public_urls_are_refused_with_the_reason() {
        for (url, why) in [
            ("quai.example", "http"),
            ("ftp://quai.example", "http"),
            ("https://quai.example/quai", "path"),
        ] {
            let err = PublicUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    fn origin_ok(host: &str, origin: &str, urls: &[&str], allowed: &[&str]) -> bool {
        let allowed: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        check_origin(
            &headers(host, Some(origin)),
            &Uri::from_static("/"),
            &public(urls),
            &allowed,
        )
        .is_ok()
    }

    #[test]
    fn pages_of_this_server_its_public_urls_and_allowed_origins_may_write() {
        assert!(origin_ok(
            "127.0.0.1:8080",
            "http://127.0.0.1:8080",
            &[],
            &[]
        ));
        assert!(!origin_ok(
            "127.0.0.1:8080",
            "http://127.0.0.1:8081",
            &[],
            &[]
        ));
        assert!(!origin_ok(
            "127.0.0.1:8080",
            "http://evil.example",
            &[],
            &[]
        ));
        assert!(!origin_ok("127.0.0.1:8080", "null", &[], &[]));
        assert!(origin_ok(
            "127.0.0.1:8080",
            "https://quai.example",
            &["https://quai.example"],
            &[]
        ));
        assert!(origin_ok(
            "127.0.0.1:8080",
            "http://lab.example",
            &[],
            &["http://lab.example"]
        ));
    }
}
