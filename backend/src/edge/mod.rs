//! The web edge of Quai's main listener: which Host names it answers and which page origins
//! may write to its API (`hosts`), the security headers of every answer (`headers`), how its
//! cookies are named and flagged (`cookies`), and which address a request comes from behind
//! trusted proxies (`client`). Built once from the configuration as `Edge`.

pub mod client;
pub mod cookies;
pub mod headers;
pub mod hosts;
pub mod listen;

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::api::AppError;
use crate::config::Config;
use crate::AppState;
pub use hosts::PublicUrl;

/// The edge's rules, from `--public-url` and `--allowed-origin`.
#[derive(Debug, Clone)]
pub struct Edge {
    public: Vec<PublicUrl>,
    /// Extra page origins allowed to use the API (`--allowed-origin`), lower-cased.
    allowed_origins: Vec<String>,
    /// Whether Quai is reached over HTTPS: cookies are then `Secure`, preview links https.
    pub secure: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Networks exempt from the per-client limits (`--exempt-network`).
    pub exempt_networks: Vec<ipnet::IpNet>,
}

/// Why the edge's configuration is refused at start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EdgeConfigError {
    #[error("--public-url {url:?} is not a public address of Quai: {why} (write it as https://quai.example or http://192.0.2.7:8080)")]
    PublicUrl { url: String, why: &'static str },
    #[error("--preview-domain {domain:?} shares the registrable domain {shared:?} with Quai's own address {host:?}: an app served there could set cookies for the whole domain, Quai's included; use a domain of its own (for example quai-apps.example)")]
    PreviewDomain {
        domain: String,
        host: String,
        shared: String,
    },
    #[error("{0}")]
    Network(String),
}

/// The registrable domain of a DNS name (`quai.example` for `a.b.quai.example`), per the
/// public suffix list; `None` for IP addresses and bare suffixes.
fn registrable(name: &str) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
    {
        return None;
    }
    psl::domain_str(&name).map(str::to_string)
}

impl Edge {
    pub fn from_config(config: &Config) -> Result<Edge, EdgeConfigError> {
        let public = config
            .public_urls
            .iter()
            .map(|url| PublicUrl::parse(url))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(domain) = &config.preview_domain {
            let preview = registrable(domain);
            for url in &public {
                if preview.is_some() && registrable(&url.host) == preview {
                    return Err(EdgeConfigError::PreviewDomain {
                        domain: domain.clone(),
                        host: url.host.clone(),
                        shared: preview.unwrap_or_default(),
                    });
                }
            }
        }
        let networks = |flag, values: &[String]| {
            crate::session::admission::parse_networks(flag, values)
                .map_err(EdgeConfigError::Network)
        };
        Ok(Edge {
            trusted_proxies: networks("--trusted-proxy", &config.trusted_proxies)?,
            exempt_networks: networks("--exempt-network", &config.exempt_networks)?,
            secure: public.iter().any(|p| p.https),
            public,
            allowed_origins: config
                .allowed_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        })
    }

    /// Refuses a request whose Host is no name of this server (421), so a page on a name
    /// that rebinds to this server's address gets nothing from it.
    pub fn check_host(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), AppError> {
        hosts::check_host(headers, uri, &self.public)
    }

    /// Refuses a request sent by a page of another origin than this server's own, its
    /// public URLs and the allowed ones (403). Requests without Origin (not browsers) pass.
    pub fn check_origin(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), AppError> {
        hosts::check_origin(headers, uri, &self.public, &self.allowed_origins)
    }

    /// The scheme of links to Quai's own listeners (the port preview).
    pub fn scheme(&self) -> &'static str {
        if self.secure {
            "https"
        } else {
            "http"
        }
    }
}

/// The edge middleware of the main listener: a foreign Host is refused before anything
/// else, writes to the API (anything but GET, HEAD and OPTIONS) must come from an allowed
/// origin (an app of the port preview is another origin, yet browsers send it Quai's
/// cookies, as cookies ignore ports), and every answer gets the security headers.
pub async fn guard(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let edge = &state.edge;
    if let Err(err) = edge.check_host(request.headers(), request.uri()) {
        return headers::secure(err.into_response(), edge.secure);
    }
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if write && request.uri().path().starts_with("/api/") {
        if let Err(err) = edge.check_origin(request.headers(), request.uri()) {
            return headers::secure(err.into_response(), edge.secure);
        }
    }
    let api = request.uri().path().starts_with("/api/");
    let mut response = headers::secure(next.run(request).await, edge.secure);
    if api {
        headers::no_store(&mut response);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public: &[&str], preview_domain: Option<&str>) -> Config {
        let mut config = Config::for_tests("edge");
        config.public_urls = public.iter().map(|u| u.to_string()).collect();
        config.preview_domain = preview_domain.map(String::from);
        config
    }

    #[test]
    fn a_preview_domain_under_quais_own_registrable_domain_is_refused_at_start() {
        for (public, domain) in [
            ("https://quai.school.example", "apps.school.example"),
            ("https://school.example", "preview.school.example"),
            ("https://quai.school.co.uk", "apps.school.co.uk"),
        ] {
            let err = Edge::from_config(&config(&[public], Some(domain))).unwrap_err();
            assert!(
                matches!(err, EdgeConfigError::PreviewDomain { .. }),
                "{public} {domain}: {err}"
            );
            assert!(err.to_string().contains("a domain of its own"), "{err}");
        }
        for (public, domain) in [
            ("https://quai.school.example", "quai-apps.example"),
            ("https://quai.school.co.uk", "apps.other.co.uk"),
            ("http://192.0.2.7:8080", "apps.school.example"),
        ] {
            assert!(
                Edge::from_config(&config(&[public], Some(domain))).is_ok(),
                "{public} {domain}"
            );
        }
    }
}
