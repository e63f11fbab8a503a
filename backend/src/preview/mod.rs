//! The port preview: what nodes listen on (`ports`), and the reverse proxy (`proxy`) that
//! serves `/p/{session}/{node}/{port}/…` to the session's owner.
//!
//! The proxy answers on a listener of its own (`--preview-listen`), so that an app running in
//! a node never shares an origin with Quai's pages: its scripts cannot read Quai's storage,
//! drive its pages, or call its API with the student's cookies (the API refuses writes from
//! other origins). Quai's cookies are host-wide, so the owner's browser presents them to the
//! preview listener as well; the proxy strips them before the app sees the request. The main
//! listener redirects `/p/…` there.

pub mod hosts;
pub mod ports;
pub mod proxy;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;
use axum::Router;

use crate::api::{AppError, Owned};
use crate::AppState;

/// The router of the preview listener: per-port host names first (when configured), then
/// `/p/…` paths.
pub fn preview_app(state: AppState) -> Router {
    Router::new()
        .route("/p/{id}/{node}/{port}", any(add_slash))
        .route("/p/{id}/{node}/{port}/", any(proxy_root))
        .route("/p/{id}/{node}/{port}/{*rest}", any(proxy_path))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "Quai's port preview serves /p/{session}/{node}/{port}/ only.\n",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), by_host))
        .with_state(state)
}

/// Requests for `P-N-S.<--preview-domain>` go to that port, whatever their path.
async fn by_host(
    State(state): State<AppState>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let port_host = state.config.preview_domain.as_deref().and_then(|domain| {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())?;
        hosts::parse_host(host, domain)
    });
    match port_host {
        Some(target) => hosts::serve(state, target, request).await,
        None => next.run(request).await,
    }
}

/// The address a port's chip opens: its own host name (with a ticket) when
/// `--preview-domain` is set, else its path on the preview listener.
pub fn chip_url(
    state: &AppState,
    host: Option<&str>,
    session: &crate::session::Session,
    node: &str,
    port: u16,
) -> String {
    match &state.config.preview_domain {
        Some(domain) => {
            let ticket =
                state
                    .preview_keys
                    .ticket(&session.id, node, port, session.max_expires_at());
            let base = state.config.preview_url.clone().unwrap_or_else(|| {
                let port = state.config.preview_listen.map(|a| a.port()).unwrap_or(80);
                format!("{}://{domain}:{port}", state.edge.scheme())
            });
            hosts::url(&base, domain, &session.id, node, port, &ticket)
        }
        None => url(state, host, &session.id, node, port),
    }
}

/// Routes of the main listener: `/p/…` is redirected to the preview listener.
pub fn redirects() -> Router<AppState> {
    Router::new().route("/p/{*rest}", any(redirect))
}

/// Where the browser reaches port `port` of `node`: `--preview-url` if set, else this host
/// (as the browser named it in `host`) on the preview listener's port.
pub fn url(state: &AppState, host: Option<&str>, id: &str, node: &str, port: u16) -> String {
    let path = format!("/p/{id}/{node}/{port}/");
    if let Some(base) = &state.config.preview_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let preview_port = state
        .config
        .preview_listen
        .map(|a| a.port())
        .unwrap_or_default();
    let hostname = host
        .map(|h| match h.rsplit_once(':') {
            // `[::1]:8080` and `example:8080` lose their port; `[::1]` keeps its brackets.
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => h,
        })
        .filter(|h| !h.is_empty())
        .map(String::from)
        .unwrap_or_else(|| {
            state
                .config
                .preview_listen
                .map(|a| a.ip().to_string())
                .unwrap_or_else(|| "127.0.0.1".into())
        });
    format!("{}://{hostname}:{preview_port}{path}", state.edge.scheme())
}

async fn redirect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(rest): Path<String>,
) -> Response {
    let mut parts = rest.splitn(4, '/');
    let (Some(id), Some(node), Some(port)) = (parts.next(), parts.next(), parts.next()) else {
        return AppError::not_found().into_response();
    };
    let Ok(port) = port.parse::<u16>() else {
        return AppError::not_found().into_response();
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let mut to = url(&state, host, id, node, port);
    if let Some(below) = parts.next() {
        to.push_str(below);
    }
    Redirect::temporary(&to).into_response()
}

async fn add_slash(Path((id, node, port)): Path<(String, String, String)>) -> Response {
    Redirect::permanent(&format!("/p/{id}/{node}/{port}/")).into_response()
}

async fn proxy_root(
    State(state): State<AppState>,
    owned: Owned,
    Path((_, node, port)): Path<(String, String, String)>,
    request: Request<Body>,
) -> Response {
    serve(state, owned, node, port, String::new(), request).await
}

async fn proxy_path(
    State(state): State<AppState>,
    owned: Owned,
    Path((_, node, port, _)): Path<(String, String, String, String)>,
    request: Request<Body>,
) -> Response {
    let rest = below_prefix(request.uri().path()).to_string();
    serve(state, owned, node, port, rest, request).await
}

/// The part of `/p/{session}/{node}/{port}/{rest}` after the port, as the browser sent it:
/// still percent-encoded, unlike the router's `{rest}`, so that the app gets `a%20b` and
/// `%3F` as they are (decoded, a space makes no valid path and a `?` starts a query).
fn below_prefix(path: &str) -> &str {
    path.splitn(6, '/').nth(5).unwrap_or("")
}

async fn serve(
    state: AppState,
    Owned(session): Owned,
    node: String,
    port: String,
    rest: String,
    request: Request<Body>,
) -> Response {
    let port = match port.parse::<u16>() {
        Ok(port) if port > 0 => port,
        _ => return AppError::not_found().into_response(),
    };
    let Some(found) = session.node(&node) else {
        return AppError::not_found().into_response();
    };
    let ip = match state.sessions.runtime().node_address(&found).await {
        Ok(ip) => ip,
        Err(err) => return AppError::from(err).into_response(),
    };
    let prefix = format!("/p/{}/{node}/{port}", session.id);
    let target = proxy::Target {
        addr: SocketAddr::new(ip, port),
        prefix: &prefix,
        rest: &rest,
        proto: state.edge.scheme(),
        answer_timeout: Duration::from_secs(state.config.preview_answer_timeout),
    };
    proxy::forward(request, target, &node).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_host_is_the_host_the_browser_used() {
        let mut config = crate::Config::for_tests("preview-url");
        config.preview_listen = Some("0.0.0.0:8081".parse().unwrap());
        let runtime = std::sync::Arc::new(
            crate::runtime::DockerRuntime::connect("preview-url").expect("client"),
        );
        let state = AppState::new(config, runtime, crate::store::Store::in_memory()).unwrap();
        assert_eq!(
            url(&state, Some("quai.example:8080"), "ab", "node1", 80),
            "http://quai.example:8081/p/ab/node1/80/"
        );
        assert_eq!(
            url(&state, Some("[::1]:8080"), "ab", "node2", 8888),
            "http://[::1]:8081/p/ab/node2/8888/"
        );
        assert_eq!(
            url(&state, None, "ab", "node1", 80),
            "http://0.0.0.0:8081/p/ab/node1/80/"
        );
    }

    #[test]
    fn the_path_below_the_prefix_stays_as_the_browser_encoded_it() {
        assert_eq!(
            below_prefix("/p/ab/node1/8888/notebooks/My%20work/a%3Fb.ipynb"),
            "notebooks/My%20work/a%3Fb.ipynb"
        );
        assert_eq!(below_prefix("/p/ab/node1/8888/"), "");
        assert_eq!(below_prefix("/p/ab/node1/8888/a//b/"), "a//b/");
    }

    #[test]
    fn behind_https_preview_links_are_https() {
        let mut config = crate::Config::for_tests("preview-https");
        config.preview_listen = Some("0.0.0.0:8443".parse().unwrap());
        config.public_urls = vec!["https://quai.example".into()];
        let runtime = std::sync::Arc::new(
            crate::runtime::DockerRuntime::connect("preview-https").expect("client"),
        );
        let state = AppState::new(config, runtime, crate::store::Store::in_memory()).unwrap();
        assert_eq!(
            url(&state, Some("quai.example"), "ab", "node1", 80),
            "https://quai.example:8443/p/ab/node1/80/"
        );
    }
}
