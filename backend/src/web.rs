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

fn has_extension(uri: &Uri) -> bool {
    uri.path()
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}
