//! The HTTP edge of recordings, for a session's owner: start and stop recording a terminal,
//! list the session's recordings, and fetch one (`?download` saves it as a file; without
//! it the page's player reads it).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use quai_protocol::ASCIICAST;
use serde::Deserialize;

use crate::api::{AppError, Owned};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/sessions/{id}/terminals/{term}/recording",
            post(start).delete(stop),
        )
        .route("/api/sessions/{id}/recordings", get(list))
        .route("/api/sessions/{id}/recordings/{recording}", get(fetch))
}

async fn start(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, term)): Path<(String, u16)>,
) -> Result<Response, AppError> {
    let info = state.recordings.start(&session, term).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

async fn stop(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, term)): Path<(String, u16)>,
) -> Result<Response, AppError> {
    Ok(Json(state.recordings.stop(&session, term).await?).into_response())
}

async fn list(State(state): State<AppState>, Owned(session): Owned) -> Result<Response, AppError> {
    Ok(Json(state.recordings.list(&session).await?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct FetchQuery {
    pub download: Option<String>,
}

async fn fetch(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, recording)): Path<(String, String)>,
    Query(query): Query<FetchQuery>,
) -> Result<Response, AppError> {
    let (info, file) = state.recordings.open(&session, &recording).await?;
    Ok(cast(&info, file, query.download.is_some()))
}

/// A recording's file as an answer: read by the page's player, or saved when `download`.
pub fn cast(
    info: &quai_protocol::RecordingInfo,
    file: tokio::fs::File,
    download: bool,
) -> Response {
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ASCIICAST));
    if download {
        let name = format!("quai-terminal-{}-{}.cast", info.term, info.id);
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}
