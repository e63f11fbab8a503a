//! The page and its files as a browser gets them, over a static folder laid out as
//! `cargo xtask` builds it (hashed names, a brotli and a gzip copy beside each file) and an
//! engine held in memory: which copy is sent for which `Accept-Encoding`, how long each answer
//! may be cached, that paths out of the folder are refused, and which API answers are
//! compressed on the way out.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use quai::runtime::fake::FakeRuntime;
use quai::store::Store;
use quai::{app, AppState, Config};
use tower::ServiceExt;

const APP: &str = "/dist/quai-0123456789abcdef.js";
const PAGE: &str =
    "<!doctype html><title>Quai</title><script src=\"/dist/quai-0123456789abcdef.js\">";

struct Site {
    state: AppState,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A built static folder: `dist/` with the page and hashed files, the page and a script
/// with `.br` and `.gz` copies (their bytes say which copy they are), a top-level file, the
/// page's template; and beside the folder, a file that must never be reached.
fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, body: &[u8]| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    };
    write("secret.txt", b"not for the web");
    write("static/index.html", b"<title>the template</title>");
    write("static/favicon.svg", b"<svg/>");
    write("static/dist/index.html", PAGE.as_bytes());
    write("static/dist/index.html.br", b"page in brotli");
    write("static/dist/index.html.gz", b"page in gzip");
    write(
        "static/dist/quai-0123456789abcdef.js",
        b"console.log('plain')",
    );
    write(
        "static/dist/quai-0123456789abcdef.js.br",
        b"script in brotli",
    );
    write("static/dist/quai-0123456789abcdef.js.gz", b"script in gzip");
    write(
        "static/dist/vendor/xterm-fedcba9876543210.css",
        b".xterm {}",
    );
    let mut config = Config::for_tests("static");
    config.static_dir = dir.path().join("static");
    let state = AppState::new(config, Arc::new(FakeRuntime::new()), Store::in_memory()).unwrap();
    Site { state, _dir: dir }
}

impl Site {
    async fn get(&self, uri: &str, accept: Option<&str>) -> Answer {
        self.send(Method::GET, uri, accept, &[]).await
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        accept: Option<&str>,
        extra: &[(header::HeaderName, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "localhost");
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        for (name, value) in extra {
            request = request.header(name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        let peer: SocketAddr = "192.0.2.10:50000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = app(self.state.clone()).oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: axum::body::to_bytes(body, usize::MAX).await.unwrap(),
        }
    }
}

fn varies_by_encoding(answer: &Answer) -> bool {
    answer.headers.get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    })
}

#[tokio::test]
async fn a_built_file_is_sent_in_the_encoding_the_browser_accepts() {
    let site = site();
    for (accept, encoding, body) in [
        (
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            "script in brotli",
        ),
        (Some("br;q=1.0, gzip;q=0.8"), Some("br"), "script in brotli"),
        (Some("gzip"), Some("gzip"), "script in gzip"),
        (Some("identity"), None, "console.log('plain')"),
        (None, None, "console.log('plain')"),
    ] {
        let answer = site.get(APP, accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        assert_eq!(
            answer.header(header::CONTENT_ENCODING),
            encoding,
            "{accept:?}"
        );
        assert_eq!(answer.body, body.as_bytes(), "{accept:?}");
        assert!(
            answer
                .header(header::CONTENT_TYPE)
                .unwrap()
                .contains("javascript"),
            "{accept:?}: the type of the file, not of its compressed copy"
        );
        assert!(varies_by_encoding(&answer), "{accept:?}");
    }
}

#[tokio::test]
async fn hashed_files_are_cached_for_a_year_and_the_page_is_revalidated() {
    let site = site();
    for uri in [APP, "/dist/vendor/xterm-fedcba9876543210.css"] {
        let answer = site.get(uri, Some("br")).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(
            answer.header(header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable"),
            "{uri}"
        );
    }
    for uri in [
        "/",
        "/index.html",
        "/s/0123456789abcdef",
        "/lessons/first-container",
    ] {
        let answer = site.get(uri, Some("br")).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(
            answer.header(header::CACHE_CONTROL),
            Some("no-cache"),
            "{uri}"
        );
        assert_eq!(answer.header(header::CONTENT_ENCODING), Some("br"), "{uri}");
        assert_eq!(answer.body, "page in brotli".as_bytes(), "{uri}");
        assert!(varies_by_encoding(&answer), "{uri}");
        let plain = site.get(uri, None).await;
        assert_eq!(plain.body, PAGE.as_bytes(), "{uri}: the built page");
        assert!(
            answer.header(header::CONTENT_SECURITY_POLICY).is_some(),
            "{uri}: the page keeps its security headers"
        );
    }
    let favicon = site.get("/favicon.svg", None).await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(favicon.header(header::CACHE_CONTROL), Some("no-cache"));
}

#[tokio::test]
async fn the_page_asked_again_is_not_sent_again_when_unchanged() {
    let site = site();
    let first = site.get("/", Some("br")).await;
    let modified = first.header(header::LAST_MODIFIED).unwrap().to_string();
    let again = site
        .send(
            Method::GET,
            "/lessons/first-container",
            Some("br"),
            &[(header::IF_MODIFIED_SINCE, &modified)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::CACHE_CONTROL), Some("no-cache"));
}

#[tokio::test]
async fn an_unknown_built_file_is_a_404_that_no_cache_keeps() {
    let site = site();
    for uri in [
        "/dist/quai-ffffffffffffffff.js",
        "/dist/quai_bg-0000000000000000.wasm",
        "/dist/quai.js",
        "/dist/vendor",
        "/dist/no-extension",
        "/style.css",
        "/node_modules/@xterm/xterm/lib/xterm.js",
    ] {
        let answer = site.get(uri, Some("br, gzip")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.header(header::CACHE_CONTROL), None, "{uri}");
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("<title>"),
            "{uri}: the page instead of a 404"
        );
    }
}

#[tokio::test]
async fn paths_out_of_the_static_folder_are_refused() {
    let site = site();
    for uri in [
        "/dist/../../secret.txt",
        "/dist/../../../../etc/passwd",
        "/dist/%2e%2e/%2e%2e/secret.txt",
        "/dist/%2E%2E/%2E%2E/etc/passwd",
        "/dist/..%2f..%2fsecret.txt",
        "/dist/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/dist/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/../secret.txt",
        "/dist//etc/passwd",
        "/dist/%5c..%5c..%5csecret.txt",
    ] {
        let answer = site.get(uri, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        let body = String::from_utf8_lossy(&answer.body);
        assert!(!body.contains("not for the web"), "{uri}: {body}");
        assert!(!body.contains("root:"), "{uri}: {body}");
        assert_eq!(answer.header(header::CACHE_CONTROL), None, "{uri}");
    }
}

#[tokio::test]
async fn json_answers_are_compressed_for_browsers_that_accept_it() {
    let site = site();
    // The lesson catalog: JSON over 1 KiB.
    let plain = site.get("/api/lessons", None).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.body.len() > 1024, "{}", plain.body.len());
    assert_eq!(plain.header(header::CONTENT_ENCODING), None);
    let brotli = site.get("/api/lessons", Some("br, gzip")).await;
    assert_eq!(brotli.header(header::CONTENT_ENCODING), Some("br"));
    assert!(varies_by_encoding(&brotli));
    assert!(brotli.body.len() < plain.body.len());
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(&mut &brotli.body[..], &mut unpacked).unwrap();
    assert_eq!(unpacked, plain.body);
    let gzip = site.get("/api/lessons", Some("gzip")).await;
    assert_eq!(gzip.header(header::CONTENT_ENCODING), Some("gzip"));
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzip.body[..]),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, plain.body);
    // Small answers go as they are.
    let health = site.get("/healthz", Some("br, gzip")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.header(header::CONTENT_ENCODING), None);
}

#[test]
fn the_secret_file_lies_beside_the_static_folder() {
    let site = site();
    let root: &Path = &site.state.config.static_dir;
    assert!(root.join("dist/index.html").is_file());
    assert!(root.parent().unwrap().join("secret.txt").is_file());
}
