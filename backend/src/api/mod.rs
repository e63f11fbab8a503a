//! The REST routes under `/api` and `/healthz`: create, inspect and end sessions, and report
//! whether the container engine answers, extend sessions, add and remove nodes. Routes of
//! one session take `Owned` (see `owner`): only the holder of its token reaches it.

pub mod error;
pub mod lessons;
pub mod limiter;
pub mod owner;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use quai_protocol::{CreateSession, DockerHealth, EndReason, ErrorCode, Health, SessionCreated};

use crate::AppState;
pub use error::AppError;
pub use owner::{cookie_name, Owned};

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
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    rate_limit(&state, client)?;
    let request: CreateSession = if body.iter().all(u8::is_ascii_whitespace) {
        CreateSession::default()
    } else {
        serde_json::from_slice(&body).map_err(|err| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("The request body is not valid JSON for a new session: {err}."),
            )
        })?
    };
    let (session, token) = state.sessions.create(&request).await?;
    let cookie = session_cookie(&state, &session.id, &token);
    let body = SessionCreated {
        session: session.info().await,
        token,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(body),
    )
        .into_response())
}

/// Refuses a client that started too many playgrounds in a short time.
pub(crate) fn rate_limit(state: &AppState, client: SocketAddr) -> Result<(), AppError> {
    if let Err(retry_after_secs) = state.limiter.check(client.ip()) {
        return Err(AppError {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: quai_protocol::ApiError {
                code: ErrorCode::RateLimited,
                message: format!(
                    "You started too many playgrounds in a short time; try again in {retry_after_secs} seconds."
                ),
                retry_after_secs: Some(retry_after_secs),
            },
        });
    }
    Ok(())
}

/// The cookie that lets the browser that created session `id` reach it.
pub(crate) fn session_cookie(state: &AppState, id: &str, token: &str) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        cookie_name(id),
        state.config.max_lifetime
    )
}

async fn session_info(Owned(session): Owned) -> Result<Response, AppError> {
    Ok(axum::Json(session.info().await).into_response())
}

async fn end_session(
    State(state): State<AppState>,
    Owned(session): Owned,
) -> Result<Response, AppError> {
    state.sessions.end(&session.id, EndReason::Ended).await?;
    let expired = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        cookie_name(&session.id)
    );
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

async fn extend_session(
    State(state): State<AppState>,
    Owned(session): Owned,
) -> Result<Response, AppError> {
    state.sessions.extend(&session)?;
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

/// Refuses writes to the API (anything but GET and HEAD) from pages of another origin, such as
/// an app served by the port preview: browsers send their cookies to every port of a host.
pub async fn guard_origin(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let write = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if write && request.uri().path().starts_with("/api/") {
        if let Err(err) = crate::ws::origin::check(request.headers(), &state.config.allowed_origins)
        {
            return err.into_response();
        }
    }
    next.run(request).await
}

async fn unknown_api() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such API route.",
    )
}

async fn health(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(Duration::from_secs(3), state.sessions.runtime().ping()).await;
    let docker = match ping {
        Ok(Ok(version)) => DockerHealth {
            reachable: true,
            detail: version,
        },
        Ok(Err(err)) => DockerHealth {
            reachable: false,
            detail: err.to_string(),
        },
        Err(_) => DockerHealth {
            reachable: false,
            detail: "the container engine did not answer within 3 s".into(),
        },
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
        version: env!("CARGO_PKG_VERSION").into(),
    };
    (status, axum::Json(body)).into_response()
}
