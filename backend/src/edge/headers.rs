//! The security headers of every answer of the main listener: a Content-Security-Policy the
//! Yew/wasm app runs under (its scripts and WebAssembly from Quai only, nothing inline, no
//! framing), no MIME sniffing, no referrer, and HSTS when Quai is reached over HTTPS.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

/// Scripts and wasm from Quai only (`'wasm-unsafe-eval'` compiles WebAssembly, it allows no
/// `eval`); inline styles stay allowed, as the app sets `style` attributes (bar widths,
/// menu positions); sockets and fetches to Quai only; no page may frame Quai.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const FIXED: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
];

/// `response` with the security headers, those it already has kept.
pub fn secure(mut response: Response, https: bool) -> Response {
    let headers = response.headers_mut();
    for (name, value) in FIXED {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// API answers hold tokens and private state: no cache keeps them.
pub fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
