//! The HTTP edge of the files service: routes, the owner's session from its cookie, query
//! strings and bodies turned into calls of `Files`, and its answers into responses (a JSON
//! document, or an attachment streamed as the node or the spool sends it).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use quai_protocol::TextFile;
use serde::Deserialize;

use super::MAX_TEXT;
use crate::api::{AppError, JsonBody, Owned};
use crate::AppState;

/// The routes of files and workspaces. Uploads and imports are read as they arrive (see
/// `spool`), so no body limit applies to them here.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/nodes/{node}/files", get(list))
        .route(
            "/api/sessions/{id}/nodes/{node}/files/download",
            get(download),
        )
        .route("/api/sessions/{id}/nodes/{node}/files/upload", post(upload))
        .route(
            "/api/sessions/{id}/nodes/{node}/files/text",
            get(read_text)
                .put(write_text)
                .layer(DefaultBodyLimit::max(MAX_TEXT * 2)),
        )
        .route("/api/sessions/{id}/terminals/{term}/cwd", get(cwd))
        .route("/api/sessions/{id}/workspace", get(export).post(import))
}

#[derive(Debug, Deserialize)]
struct PathQuery {
    path: Option<String>,
    dir: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    /// Comma-separated folders; `/root` when absent.
    dirs: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    let listing = state
        .files
        .list(&session, &node, query.path.as_deref())
        .await?;
    Ok(Json(listing).into_response())
}

async fn download(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    let download = state
        .files
        .download(&session, &node, query.path.as_deref())
        .await?;
    // The transfer counts until its last byte is sent (or the browser goes away).
    let permit = download.permit;
    let body = Body::from_stream(download.bytes.map(move |chunk| {
        let _running = &permit;
        chunk
    }));
    let kind = if download.archive {
        "application/gzip"
    } else {
        "application/octet-stream"
    };
    Ok(attachment(&download.name, kind, body))
}

async fn upload(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
    body: Body,
) -> Result<Response, AppError> {
    let uploaded = state
        .files
        .upload(
            &session,
            &node,
            query.dir.as_deref(),
            body.into_data_stream(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(uploaded)).into_response())
}

async fn read_text(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    let file = state
        .files
        .read_text(&session, &node, query.path.as_deref())
        .await?;
    Ok(Json(file).into_response())
}

async fn write_text(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
    JsonBody(file): JsonBody<TextFile>,
) -> Result<Response, AppError> {
    let saved = state.files.write_text(&session, &node, file).await?;
    Ok(Json(saved).into_response())
}

async fn cwd(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, term)): Path<(String, u16)>,
) -> Result<Response, AppError> {
    Ok(Json(state.files.cwd(&session, term).await?).into_response())
}

async fn export(
    State(state): State<AppState>,
    Owned(session): Owned,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let exported = state.files.export(&session, query.dirs.as_deref()).await?;
    let body = super::spool::stream(exported.archive, exported.permit)
        .await
        .map_err(|err| AppError::from(super::error::FileError::Disk(err)))?;
    Ok(attachment(
        "quai-workspace.tar.gz",
        "application/gzip",
        body,
    ))
}

async fn import(
    State(state): State<AppState>,
    Owned(session): Owned,
    body: Body,
) -> Result<Response, AppError> {
    let restored = state
        .files
        .import(&session, body.into_data_stream())
        .await?;
    Ok((StatusCode::CREATED, Json(restored)).into_response())
}

/// A response that the browser saves as `name`.
fn attachment(name: &str, content_type: &'static str, data: impl Into<Body>) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = Response::new(data.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The ASCII name for every browser, the real one (RFC 8187) for those that read it.
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{safe}\"; filename*=UTF-8''{encoded}"
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
