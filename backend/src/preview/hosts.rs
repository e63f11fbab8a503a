//! Per-port host names (`--preview-domain`): with a wildcard DNS name pointing at the preview
//! listener, port P of node N of session S is served at `P-N-S.<domain>`, at `/`, for apps
//! that cannot live under a path prefix. Each port is then an origin of its own.
//!
//! Quai's cookies do not reach those hosts, so the address handed to the owner carries a
//! ticket: `/__quai/enter?ticket=…`, an HMAC by this server of the session, node, port and an
//! expiry. The host turns it into its own HttpOnly cookie and redirects to `/`; every request
//! is then checked against that cookie. Whoever holds the address holds that one port, which
//! is how the owner shares it.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AppState;

/// The cookie a preview host keeps its ticket in.
pub const TICKET_COOKIE: &str = "quai_preview";

/// How long the browser keeps a port's ticket cookie (the ticket itself expires with its
/// session).
const PREVIEW_COOKIE_AGE: u64 = 24 * 3600;
/// The path that turns a ticket into the cookie.
pub const ENTER: &str = "/__quai/enter";

/// The signing key of this server's tickets (random at each start: sessions do not outlive
/// their server either).
pub struct Keys([u8; 32]);

impl Default for Keys {
    fn default() -> Self {
        Keys(rand::random())
    }
}

impl Keys {
    fn mac(&self, id: &str, node: &str, port: u16, expires: u64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(format!("{id}/{node}/{port}/{expires}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A ticket for port `port` of `node` of session `id`, valid until `expires`.
    pub fn ticket(&self, id: &str, node: &str, port: u16, expires: u64) -> String {
        format!("{expires}.{}", self.mac(id, node, port, expires))
    }

    /// Whether `ticket` opens that port now.
    pub fn check(&self, ticket: &str, id: &str, node: &str, port: u16) -> bool {
        let Some((expires, mac)) = ticket.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<u64>() else {
            return false;
        };
        if expires < crate::session::unix_now() {
            return false;
        }
        let Ok(presented) = hex::decode(mac) else {
            return false;
        };
        let mut expected = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        expected.update(format!("{id}/{node}/{port}/{expires}").as_bytes());
        expected.verify_slice(&presented).is_ok()
    }
}

/// `8000-node1-<id>.<domain>` → (id, node, port).
pub fn parse_host(host: &str, domain: &str) -> Option<(String, String, u16)> {
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let label = host.strip_suffix(domain)?.strip_suffix('.')?;
    let mut parts = label.splitn(3, '-');
    let port = parts.next()?.parse::<u16>().ok().filter(|p| *p > 0)?;
    let node = parts.next()?.to_string();
    let id = parts.next()?.to_string();
    crate::session::token::is_session_id(&id).then_some((id, node, port))
}

/// The address of a port on its own host: `base` (the preview listener's public URL) with the
/// port's label in front of its host name.
pub fn url(base: &str, domain: &str, id: &str, node: &str, port: u16, ticket: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let rest = rest.trim_end_matches('/');
    let port_part = rest
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, p)| format!(":{p}"))
        .unwrap_or_default();
    format!("{scheme}://{port}-{node}-{id}.{domain}{port_part}{ENTER}?ticket={ticket}")
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "Nothing here: this preview address is unknown, expired, or not yours.\n",
    )
        .into_response()
}

/// Every ticket cookie the request carries: an app of another port may have set one with
/// the same name, so the right one is not always the first.
fn cookie_tickets<'a>(request: &'a Request<Body>, name: &'a str) -> impl Iterator<Item = &'a str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Serves a request addressed to a port's own host.
pub async fn serve(
    state: AppState,
    (id, node, port): (String, String, u16),
    request: Request<Body>,
) -> Response {
    let keys = &state.preview_keys;
    if request.uri().path() == ENTER {
        let ticket = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("ticket="))
            .unwrap_or("")
            .to_string();
        if !keys.check(&ticket, &id, &node, port) {
            return not_found();
        }
        let mut response = Redirect::to("/").into_response();
        if let Ok(cookie) = HeaderValue::from_str(&state.edge.set_cookie(
            TICKET_COOKIE,
            &ticket,
            "Lax",
            PREVIEW_COOKIE_AGE,
        )) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return response;
    }
    let name = state.edge.cookie_name(TICKET_COOKIE);
    let allowed = cookie_tickets(&request, &name).any(|t| keys.check(t, &id, &node, port));
    if !allowed {
        return not_found();
    }
    let Some(session) = state.sessions.find(&id) else {
        return not_found();
    };
    let Some(found) = session.node(&node) else {
        return not_found();
    };
    let ip = match state.sessions.runtime().node_address(&found).await {
        Ok(ip) => ip,
        Err(_) => return not_found(),
    };
    let rest = request.uri().path().trim_start_matches('/').to_string();
    let target = super::proxy::Target {
        addr: SocketAddr::new(ip, port),
        prefix: "",
        rest: &rest,
        proto: state.edge.scheme(),
        answer_timeout: Duration::from_secs(state.config.preview_answer_timeout),
    };
    super::proxy::forward(request, target, &node).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_open_their_port_only_until_they_expire() {
        let keys = Keys::default();
        let later = crate::session::unix_now() + 60;
        let ticket = keys.ticket("ab", "node1", 8000, later);
        assert!(keys.check(&ticket, "ab", "node1", 8000));
        assert!(!keys.check(&ticket, "ab", "node1", 8001));
        assert!(!keys.check(&ticket, "ab", "node2", 8000));
        assert!(!keys.check(&ticket, "cd", "node1", 8000));
        assert!(
            !Keys::default().check(&ticket, "ab", "node1", 8000),
            "another server's"
        );
        let old = keys.ticket("ab", "node1", 8000, 10);
        assert!(!keys.check(&old, "ab", "node1", 8000));
        assert!(!keys.check("garbage", "ab", "node1", 8000));
    }

    #[test]
    fn port_hosts_are_read_and_written() {
        let id = "0123456789abcdef0123456789abcdef";
        let host = format!("8000-node1-{id}.preview.example:8081");
        assert_eq!(
            parse_host(&host, "preview.example"),
            Some((id.to_string(), "node1".to_string(), 8000))
        );
        assert_eq!(parse_host("preview.example", "preview.example"), None);
        assert_eq!(
            parse_host(&format!("x-node1-{id}.preview.example"), "preview.example"),
            None
        );
        assert_eq!(
            parse_host(&format!("80-node1-{id}.evil.example"), "preview.example"),
            None
        );
        assert_eq!(
            url(
                "https://preview.example",
                "preview.example",
                id,
                "node1",
                80,
                "t"
            ),
            format!("https://80-node1-{id}.preview.example/__quai/enter?ticket=t")
        );
        assert_eq!(
            url(
                "http://127.0.0.1:8081/",
                "preview.test",
                id,
                "node2",
                5000,
                "t"
            ),
            format!("http://5000-node2-{id}.preview.test:8081/__quai/enter?ticket=t")
        );
    }
}
