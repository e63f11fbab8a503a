//! The reverse proxy of the port preview: one request from the browser, one TCP connection
//! to the node's port, the request forwarded over HTTP/1.1 with its body streamed both ways.
//! A WebSocket (any `Upgrade`) is handed over: once the app answers 101, bytes flow between
//! the two sides until either closes. Quai's own cookies and the browser's `Authorization`
//! never reach the app, and the app cannot set a cookie named like Quai's (`quai_…`) nor one
//! for a whole domain: cookies ignore ports, so one would reach Quai itself.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// Longest wait for a node's port to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Headers that describe one hop, not the message (RFC 9110, 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Where the request goes and how the browser addressed it.
pub struct Target<'a> {
    pub addr: SocketAddr,
    /// `/p/{session}/{node}/{port}`: what the app's absolute redirects are put under.
    pub prefix: &'a str,
    /// The path below the prefix, without its leading slash, percent-encoded as the browser
    /// sent it.
    pub rest: &'a str,
    /// `https` when browsers reach the preview over HTTPS, else `http`.
    pub proto: &'static str,
    /// Longest the app may take to start answering (its headers); the body may then stream
    /// for as long as it lasts.
    pub answer_timeout: Duration,
}

/// Whether a cookie name is one of Quai's (`quai_…`, with or without a `__Host-` or
/// `__Secure-` prefix).
pub fn is_quai_cookie(name: &str) -> bool {
    let name = name.trim();
    let bare = name
        .strip_prefix("__Host-")
        .or_else(|| name.strip_prefix("__Secure-"))
        .unwrap_or(name);
    bare.to_ascii_lowercase()
        .starts_with(crate::edge::cookies::PREFIX)
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        })
        && headers.contains_key(header::UPGRADE)
}

/// The Cookie header without Quai's own cookies (`None` when nothing is left).
fn app_cookies(headers: &HeaderMap) -> Option<HeaderValue> {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !is_quai_cookie(name)
        })
        .map(String::from)
        .collect();
    if kept.is_empty() {
        None
    } else {
        HeaderValue::from_str(&kept.join("; ")).ok()
    }
}

/// The app's `Set-Cookie` headers without those named like Quai's, and without any
/// `Domain` attribute (a cookie then stays with the exact host that set it).
fn app_set_cookies(headers: &mut HeaderMap) {
    let set: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for value in set {
        let Ok(text) = value.to_str() else { continue };
        let mut parts = text.split(';');
        let pair = parts.next().unwrap_or("");
        let name = pair.split('=').next().unwrap_or("");
        if name.trim().is_empty() || is_quai_cookie(name) {
            continue;
        }
        let kept: Vec<&str> = std::iter::once(pair)
            .chain(parts.filter(|attr| {
                !attr
                    .trim()
                    .get(..6)
                    .is_some_and(|a| a.eq_ignore_ascii_case("domain"))
            }))
            .collect();
        if let Ok(value) = HeaderValue::from_str(&kept.join(";")) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    let named_in_connection: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in named_in_connection {
        if !(keep_upgrade && name == header::UPGRADE) {
            headers.remove(name);
        }
    }
    for name in HOP_BY_HOP {
        if keep_upgrade && (name == "connection" || name == "upgrade") {
            continue;
        }
        headers.remove(name);
    }
}

/// The page shown when nothing accepts connections on the port (yet).
pub fn nothing_answers(node: &str, port: u16) -> Response<Body> {
    let page = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Nothing answers on port {port} yet</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1d2733}}code{{background:#eef1f5;padding:.1rem .3rem;border-radius:3px}}</style>
</head><body>
<h1>Nothing answers on port {port} of {node} yet</h1>
<p>No program accepts connections on this port right now. Start one in the terminal (for
example <code>python3 -m http.server {port}</code>), or wait until it has finished starting:
this page tries again every two seconds.</p>
<p lang="fr">Aucun programme n'accepte encore de connexion sur le port {port} de {node}. Lancez-en
un dans le terminal, ou attendez qu'il ait fini de démarrer : cette page réessaie toutes les
deux secondes.</p>
</body></html>"#
    );
    let mut response = Response::new(Body::from(page));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_gateway(message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("Quai's port preview: {message}\n")));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}

/// Forwards `request` to `target`, streaming both ways.
pub async fn forward(mut request: Request<Body>, target: Target<'_>, node: &str) -> Response<Body> {
    let port = target.addr.port();
    let stream =
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(target.addr))
            .await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(_)) | Err(_) => return nothing_answers(node, port),
        };
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(err) => return bad_gateway(&format!("the app's connection failed: {err}")),
        };
    tokio::spawn(async move {
        if let Err(err) = connection.with_upgrades().await {
            tracing::debug!(error = %err, "preview connection ended");
        }
    });

    let upgrade = is_upgrade(request.headers());
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
    let (mut parts, body) = request.into_parts();
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let path_and_query = format!("/{}{query}", target.rest);
    parts.uri = match path_and_query.parse() {
        Ok(uri) => uri,
        Err(_) => return bad_gateway("the address is not a valid path"),
    };
    parts.version = axum::http::Version::HTTP_11;
    let cookies = app_cookies(&parts.headers);
    parts.headers.remove(header::COOKIE);
    parts.headers.remove(header::AUTHORIZATION);
    if let Some(cookies) = cookies {
        parts.headers.insert(header::COOKIE, cookies);
    }
    strip_hop_by_hop(&mut parts.headers, upgrade);
    if let Some(host) = parts.headers.get(header::HOST).cloned() {
        parts.headers.insert("x-forwarded-host", host);
    }
    if !target.prefix.is_empty() {
        if let Ok(prefix) = HeaderValue::from_str(target.prefix) {
            parts.headers.insert("x-forwarded-prefix", prefix);
        }
    }
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static(target.proto));

    let answer = sender.send_request(Request::from_parts(parts, body));
    let mut response = match tokio::time::timeout(target.answer_timeout, answer).await {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => return bad_gateway(&format!("the app closed the connection: {err}")),
        Err(_) => {
            let mut response = bad_gateway(&format!(
                "the app on port {port} of {node} did not answer within {} s",
                target.answer_timeout.as_secs()
            ));
            *response.status_mut() = StatusCode::GATEWAY_TIMEOUT;
            return response;
        }
    };

    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_upgrade) = client_upgrade else {
            return bad_gateway("the app switched protocols unasked");
        };
        let app_upgrade = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            match tokio::try_join!(client_upgrade, app_upgrade) {
                Ok((client, app)) => {
                    let mut client = TokioIo::new(client);
                    let mut app = TokioIo::new(app);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut app).await;
                }
                Err(err) => tracing::debug!(error = %err, "preview upgrade failed"),
            }
        });
        let (mut parts, _) = response.into_parts();
        app_set_cookies(&mut parts.headers);
        return Response::from_parts(parts, Body::empty());
    }

    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers, false);
    app_set_cookies(&mut parts.headers);
    // An app that redirects to `/login` means its own `/login`, under the prefix.
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        if location.starts_with('/')
            && !location.starts_with("//")
            && !location.starts_with(target.prefix)
        {
            if let Ok(value) = HeaderValue::from_str(&format!("{}{location}", target.prefix)) {
                parts.headers.insert(header::LOCATION, value);
            }
        }
    }
    Response::from_parts(parts, Body::new(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quai_cookies_stay_with_quai() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("quai_abc=secret; app=1; quai_student=me"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-quai_abc=secret; quai_preview=t"),
        );
        let kept = app_cookies(&headers).unwrap();
        assert_eq!(kept.to_str().unwrap(), "app=1; theme=dark");
        let mut only_ours = HeaderMap::new();
        only_ours.insert(header::COOKIE, HeaderValue::from_static("quai_abc=secret"));
        assert!(app_cookies(&only_ours).is_none());
    }

    #[test]
    fn an_app_cannot_set_quai_cookies_nor_cookies_for_a_domain() {
        let mut headers = HeaderMap::new();
        for cookie in [
            "quai_student=forged; Path=/",
            "__Host-quai_abc=x; Path=/; Secure",
            "QUAI_x=1",
            "app=1; Domain=example.test; Path=/",
            "theme=dark; HttpOnly; domain=.example.test",
        ] {
            headers.append(header::SET_COOKIE, HeaderValue::from_static(cookie));
        }
        app_set_cookies(&mut headers);
        let kept: Vec<&str> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(kept, ["app=1; Path=/", "theme=dark; HttpOnly"]);
    }

    #[test]
    fn hop_by_hop_headers_are_dropped_but_an_upgrade_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("Upgrade, x-private"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("5"));
        assert!(is_upgrade(&headers));
        let mut upgrade = headers.clone();
        strip_hop_by_hop(&mut upgrade, true);
        assert!(upgrade.contains_key(header::UPGRADE) && upgrade.contains_key(header::CONNECTION));
        assert!(!upgrade.contains_key("x-private") && !upgrade.contains_key("keep-alive"));
        strip_hop_by_hop(&mut headers, false);
        assert!(headers.is_empty(), "{headers:?}");
    }
}
