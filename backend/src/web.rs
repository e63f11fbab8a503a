//! The page and its files, from the static folder (`--static-dir`), as `cargo xtask` builds
//! them into its `dist/` folder (xtask/src/frontend.rs):
//!
//! - `/dist/…` are the built files. A name that carries its content's hash
//!   (`quai-0123456789abcdef.js`) never changes content, so it is cached for a year
//!   (`immutable`); the `.br` or `.gz` copy the build wrote beside a file is sent to a browser
//!   that accepts it. A file that is not there is a 404, never the page.
//! - `/`, `/index.html` and every path without a file extension is a page of the app (the
//!   router runs in the browser): `dist/index.html`, which names the hashed files, or the
//!   static folder's own `index.html` when no build wrote one. It is revalidated on every load
//!   (`no-cache`), so browsers pick up a new build at once.
//! - The static folder's own top-level files (`/favicon.svg`) as they are, revalidated.
//!
//! Answers the server makes up (the API's JSON, recordings) are compressed as they are sent
//! (`compression`).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;

use crate::AppState;

/// For files whose name carries their content's hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the page and unhashed files: kept, but asked about again before each use.
pub const REVALIDATE: &str = "no-cache";

/// Hex digits of the content hash in a built file's name (`quai-0123456789abcdef.js`).
pub const HASH_DIGITS: usize = 16;

pub async fn static_files(State(state): State<AppState>, request: Request) -> Response {
    let root = &state.config.static_dir;
    let uri = request.uri().clone();
    let path = uri.path();
    if let Some(file) = path.strip_prefix("/dist/") {
        let immutable = is_hashed(file);
        let response = serve(&root.join("dist"), request, &path["/dist".len()..]).await;
        return cached(response, immutable);
    }
    if path != "/" && path != "/index.html" {
        if is_top_level(path) {
            let response = serve(root, copy(&request), path).await;
            if response.status() != StatusCode::NOT_FOUND || has_extension(&uri) {
                return cached(response, false);
            }
        }
        if has_extension(&uri) {
            return StatusCode::NOT_FOUND.into_response();
        }
    }
    page(root, request).await
}

/// The app's page for `request` (its method, `Accept-Encoding` and conditional headers kept).
async fn page(root: &Path, request: Request) -> Response {
    let built = root.join("dist");
    let dir: PathBuf = if tokio::fs::metadata(built.join("index.html"))
        .await
        .is_ok_and(|meta| meta.is_file())
    {
        built
    } else {
        root.to_path_buf()
    };
    let response = serve(&dir, request, "/index.html").await;
    if response.status() == StatusCode::NOT_FOUND {
        return (
            StatusCode::NOT_FOUND,
            "The Quai frontend is not built; run `cargo xtask run`.",
        )
            .into_response();
    }
    cached(response, false)
}

/// A bodiless copy of `request` (method, URI, headers): static files are read with GET or HEAD.
fn copy(request: &Request) -> Request {
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Compresses JSON answers and recordings (asciicast: JSON lines) over 1 KiB, brotli or gzip by
/// the request's `Accept-Encoding`, at a quality cheap enough to run on every answer. Nothing
/// else: built files are sent as the build compressed them, and socket upgrades, downloads
/// (archives, a node's files) and redirects have no such type. The port preview is served by
/// its own listener, without this layer.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(SizeAbove::new(1024).and(compressible))
}

fn compressible(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    let Some(kind) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = kind.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case(quai_protocol::ASCIICAST)
}

/// `request` answered with the file at `path` under `dir`, or its precompressed copy.
/// ServeDir refuses any path that would leave `dir` (`..`, encoded or not) with a 404.
async fn serve(dir: &Path, mut request: Request, path: &str) -> Response {
    let uri = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    match uri.parse::<Uri>() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    }
    let files = ServeDir::new(dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    match files.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// `response` with its caching: a year for a hashed file, revalidation otherwise; errors
/// are left as they are (a missing file must not be kept).
fn cached(mut response: Response, immutable: bool) -> Response {
    let status = response.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let headers = response.headers_mut();
    let policy = if immutable { IMMUTABLE } else { REVALIDATE };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // The same URL answers brotli, gzip or plain bytes by the request's Accept-Encoding.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether a file under `/dist/` names its content's hash: `<stem>-<16 hex digits>.<ext>`.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((base, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    !base.is_empty()
        && !ext.is_empty()
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && hash.len() == HASH_DIGITS
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the path is one segment (`/favicon.svg`): files of the static folder itself, not
/// of its subfolders (its npm packages).
fn is_top_level(path: &str) -> bool {
    path.len() > 1 && !path[1..].contains('/')
}

/// Whether the path names a file (`quai.js`) rather than a page of the app (`/try/nginx:1.22`,
/// `/lessons/first-container`): a last segment with an extension and no `:`, outside `/try/`.
fn has_extension(uri: &Uri) -> bool {
    let path = uri.path();
    if path.starts_with("/try/") {
        return false;
    }
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.') && !last.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_have_extensions_and_image_names_do_not() {
        let file = |p: &str| has_extension(&p.parse::<Uri>().unwrap());
        assert!(file("/dist/quai.js"));
        assert!(file("/favicon.svg"));
        assert!(!file("/try/nginx:1.22"));
        assert!(!file("/try/python3.11"));
        assert!(!file("/lessons/first-container"));
        assert!(!file("/s/0123"));
    }

    #[test]
    fn only_names_ending_in_a_content_hash_are_hashed() {
        assert!(is_hashed("quai-0123456789abcdef.js"));
        assert!(is_hashed("quai_bg-0123456789abcdef.wasm"));
        assert!(is_hashed("vendor/asciinema-player.min-0123456789abcdef.js"));
        assert!(!is_hashed("quai.js"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("quai-0123456789ABCDEF.js"));
        assert!(!is_hashed("quai-0123456789abcde.js"));
        assert!(!is_hashed("-0123456789abcdef.js"));
        assert!(!is_hashed("quai-0123456789abcdef.js.br"));
        assert!(!is_hashed("quai-0123456789abcdef"));
    }
}
