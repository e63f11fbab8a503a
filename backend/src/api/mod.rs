//! The REST routes under `/api` and `/healthz`: create, inspect and end sessions, and report
//! whether the container engine answers, extend sessions, add and remove nodes. Routes of
//! one session take `Owned` (see `owner`): only the holder of its token reaches it.

pub mod body;
pub mod classes;
pub mod error;
pub mod lessons;
pub mod owner;
pub mod teaching;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use quai_protocol::{CreateSession, DockerHealth, EndReason, ErrorCode, Health};

use crate::edge::client::Client;
use crate::playground::{Purpose, Started};
use crate::AppState;
pub use body::JsonBody;
pub use error::AppError;
pub use owner::Owned;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sessions", post(create_session))
        .route("/api/sessions/{id}", get(session_info).delete(end_session))
        .route("/api/sessions/{id}/extend", post(extend_session))
        .route("/api/sessions/{id}/nodes", post(add_node))
        .route(
            "/api/sessions/{id}/nodes/{node}",
            axum::routing::delete(remove_node),
        )
        .route("/api/sessions/{id}/ws", get(crate::ws::upgrade))
        .merge(lessons::routes())
        .route("/api/{*rest}", axum::routing::any(unknown_api))
        .route("/healthz", get(health))
}

async fn create_session(
    State(state): State<AppState>,
    client: Client,
    JsonBody(request): JsonBody<CreateSession>,
) -> Result<Response, AppError> {
    crate::timing::step("create received", "");
    let started = state
        .playgrounds
        .start(Purpose::Blank(request), client.admission)
        .await?;
    let body = started.created().await;
    crate::timing::step("create answered", &started.session.id);
    Ok(created(&state, &started, body))
}

/// The answer to a playground started: 201, the cookie that lets this browser reach it, and
/// `body`.
pub(crate) fn created(
    state: &AppState,
    started: &Started,
    body: impl serde::Serialize,
) -> Response {
    let cookie = state.edge.session_cookie(
        &started.session.id,
        &started.token,
        state.config.max_lifetime,
    );
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(body),
    )
        .into_response()
}

async fn session_info(Owned(session): Owned) -> Result<Response, AppError> {
    Ok(axum::Json(session.info().await).into_response())
}

async fn end_session(
    State(state): State<AppState>,
    Owned(session): Owned,
) -> Result<Response, AppError> {
    state.sessions.end(&session.id, EndReason::Ended).await?;
    let expired = state.edge.session_cookie(&session.id, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

async fn extend_session(
    State(state): State<AppState>,
    Owned(session): Owned,
) -> Result<Response, AppError> {
    state.sessions.extend(&session).await?;
    Ok(axum::Json(session.info().await).into_response())
}

async fn add_node(
    State(state): State<AppState>,
    Owned(session): Owned,
) -> Result<Response, AppError> {
    let node = state.sessions.add_node(&session).await?;
    Ok((StatusCode::CREATED, axum::Json(node)).into_response())
}

async fn remove_node(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, node)): Path<(String, String)>,
) -> Result<Response, AppError> {
    // A lesson's own nodes stay: its steps and checks run in them.
    if let Some(lesson) = session.lesson().and_then(|slug| state.lessons.get(slug)) {
        let number = node.strip_prefix("node").and_then(|n| n.parse::<u8>().ok());
        if number.is_some_and(|n| n <= lesson.nodes) {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                ErrorCode::Lesson,
                format!(
                    "This lesson runs in {node}: it cannot be removed while the lesson goes on."
                ),
            ));
        }
    }
    state.sessions.remove_node(&session, &node).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn unknown_api() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such API route.",
    )
}

/// Whether a `/healthz` request may read the engine's details: a loopback client that no
/// proxy forwarded, or the bearer of `--operator-token`.
fn sees_details(state: &AppState, client: SocketAddr, headers: &HeaderMap) -> bool {
    let forwarded =
        headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    if client.ip().is_loopback() && !forwarded {
        return true;
    }
    let Some(expected) = state.config.operator_token.as_deref() else {
        return false;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    use sha2::Digest;
    // Compared as digests, so the time taken tells nothing about the token.
    sha2::Sha256::digest(presented.as_bytes()) == sha2::Sha256::digest(expected.as_bytes())
}

async fn health(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let details = sees_details(&state, client, &headers);
    let ping = tokio::time::timeout(Duration::from_secs(3), state.sessions.runtime().ping()).await;
    let docker = match ping {
        Ok(Ok(version)) => DockerHealth {
            reachable: true,
            detail: Some(version),
        },
        Ok(Err(err)) => DockerHealth {
            reachable: false,
            detail: Some(err.to_string()),
        },
        Err(_) => DockerHealth {
            reachable: false,
            detail: Some("the container engine did not answer within 3 s".into()),
        },
    };
    let docker = DockerHealth {
        detail: docker.detail.filter(|_| details),
        ..docker
    };
    let status = if docker.reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if docker.reachable { "ok" } else { "degraded" }.into(),
        docker,
        sessions: state.sessions.count(),
        warm: details.then(|| state.sessions.pool.ids().len()),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    (status, axum::Json(body)).into_response()
}
