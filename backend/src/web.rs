//! The frontend's files from the static folder, with the single-page-app fallback: a path
//! without a file extension that names no file gets index.html (the router runs in the
//! browser); a missing asset stays a 404.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::AppState;

pub async fn static_files(State(state): State<AppState>, request: Request) -> Response {
    let uri = request.uri().clone();
    let dir = ServeDir::new(&state.config.static_dir);
    let response = match dir.clone().oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status() != StatusCode::NOT_FOUND || has_extension(&uri) {
        return response;
    }
    let index = Request::builder()
        .uri("/index.html")
        .body(Body::empty())
        .expect("static request");
    match dir.oneshot(index).await {
        Ok(response) if response.status().is_success() => response.map(Body::new),
        _ => (
            StatusCode::NOT_FOUND,
            "The Quai frontend is not built; run `cargo xtask run`.",
        )
            .into_response(),
    }
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
}
