//! The instructor and class routes. Instructors: `POST /api/instructor/link` (a one-time
//! link's token and a new password), `POST /api/instructor/sign-in`, `POST
//! /api/instructor/sign-out`, `GET /api/instructor`; their classes: `GET|POST /api/classes`,
//! `GET /api/classes/{id}`, `GET /api/classes/{id}/roster`, `POST /api/classes/{id}/end`,
//! `POST /api/classes/{id}/extend`, `GET /api/classes/{id}/progress` (CSV), `POST
//! /api/classes/{id}/seats/{seat}/reset`, `DELETE /api/classes/{id}/seats/{seat}/hand`;
//! students: `POST /api/join`, `GET|PUT /api/sessions/{id}/hand` (their seat's own hand,
//! through `Owned`). `SignedIn` is the instructor of the request's cookie (401
//! without); `ClassAccess` the class of the path when the signed-in instructor owns it or
//! the request bears its instructor token (404 otherwise, whatever the reason).

use axum::extract::{FromRequestParts, Path, RawPathParams, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use quai_protocol::{
    ClassCreated, ErrorCode, ExtendClass, Hand, InstructorInfo, JoinClass, NewClass, SetPassword,
    SignIn,
};

use super::error::store_failed;
use super::owner::Owned;
use super::{AppError, JsonBody};
use crate::classes::{self, Class};
use crate::edge::client::Client;
use crate::instructors::{self, Instructor};
use crate::session::admission::ClientKey;
use crate::AppState;

/// The cookie of a signed-in instructor's browser.
pub const INSTRUCTOR_COOKIE: &str = "quai_instructor";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/instructor", get(whoami))
        .route("/api/instructor/link", post(redeem_link))
        .route("/api/instructor/sign-in", post(sign_in))
        .route("/api/instructor/sign-out", post(sign_out))
        .route("/api/classes", get(list_classes).post(create_class))
        .route("/api/classes/{id}", get(class_info))
        .route("/api/classes/{id}/roster", get(roster))
        .route("/api/classes/{id}/end", post(end_class))
        .route("/api/classes/{id}/extend", post(extend_class))
        .route("/api/classes/{id}/progress", get(progress_csv))
        .route("/api/classes/{id}/seats/{seat}/reset", post(reset_seat))
        .route("/api/classes/{id}/seats/{seat}/hand", delete(lower_hand))
        .route("/api/sessions/{id}/hand", get(hand).put(set_hand))
        .route("/api/join", post(join))
}

/// The instructor cookie's token, if the request has one.
fn instructor_token(state: &AppState, parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(&state.edge.cookie_name(INSTRUCTOR_COOKIE))
        .map(|c| c.value().to_string())
}

async fn signed_in(state: &AppState, parts: &Parts) -> Result<Option<Instructor>, AppError> {
    match instructor_token(state, parts) {
        Some(token) => state
            .instructors
            .session(&token)
            .await
            .map_err(store_failed),
        None => Ok(None),
    }
}

/// The signed-in instructor.
pub struct SignedIn(pub Instructor);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        signed_in(state, parts).await?.map(SignedIn).ok_or_else(|| {
            AppError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SignIn,
                "Sign in as an instructor first.",
            )
        })
    }
}

/// The class of the path, reached by its instructor or with its instructor token.
pub struct ClassAccess(pub Class);

impl FromRequestParts<AppState> for ClassAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| no_class())?;
        let id = params
            .iter()
            .find(|(key, _)| *key == "id")
            .map(|(_, value)| value.to_string())
            .ok_or_else(no_class)?;
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let instructor = signed_in(state, parts).await?;
        state
            .classes
            .authorize(&id, instructor.as_ref(), bearer.as_deref())
            .await
            .map_err(store_failed)?
            .map(ClassAccess)
            .ok_or_else(no_class)
    }
}

fn no_class() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such class.",
    )
}

/// 200 with the instructor, and the cookie of its new session.
fn signed_in_answer(state: &AppState, instructor: Instructor, token: &str) -> Response {
    let cookie =
        state
            .edge
            .set_cookie(INSTRUCTOR_COOKIE, token, "Strict", instructors::SESSION_TTL);
    (
        [(header::SET_COOKIE, cookie)],
        axum::Json(InstructorInfo {
            name: instructor.name,
        }),
    )
        .into_response()
}

async fn whoami(SignedIn(instructor): SignedIn) -> Response {
    axum::Json(InstructorInfo {
        name: instructor.name,
    })
    .into_response()
}

async fn redeem_link(
    State(state): State<AppState>,
    client: Client,
    JsonBody(body): JsonBody<SetPassword>,
) -> Result<Response, AppError> {
    let (instructor, token) = state
        .instructors
        .redeem(&body.token, &body.password, Some(ClientKey::of(client.ip)))
        .await?;
    Ok(signed_in_answer(&state, instructor, &token))
}

async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, AppError> {
    let (instructor, token) = state
        .instructors
        .sign_in(&body.name, &body.password, Some(ClientKey::of(client.ip)))
        .await?;
    Ok(signed_in_answer(&state, instructor, &token))
}

async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AppError> {
    if let Some(cookie) = jar.get(&state.edge.cookie_name(INSTRUCTOR_COOKIE)) {
        state
            .instructors
            .sign_out(cookie.value())
            .await
            .map_err(store_failed)?;
    }
    let expired = state.edge.set_cookie(INSTRUCTOR_COOKIE, "", "Strict", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

async fn list_classes(
    State(state): State<AppState>,
    SignedIn(instructor): SignedIn,
) -> Result<Response, AppError> {
    let classes = state
        .classes
        .list(&instructor)
        .await
        .map_err(store_failed)?;
    Ok(axum::Json(classes).into_response())
}

async fn create_class(
    State(state): State<AppState>,
    SignedIn(instructor): SignedIn,
    JsonBody(body): JsonBody<NewClass>,
) -> Result<Response, AppError> {
    let (class, instructor_token) = state.classes.create(&instructor, body).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ClassCreated {
            class,
            instructor_token,
        }),
    )
        .into_response())
}

async fn class_info(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    let info = state.classes.info(&class).await.map_err(store_failed)?;
    Ok(axum::Json(info).into_response())
}

async fn roster(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    let roster = state.classes.roster(&class).await.map_err(store_failed)?;
    Ok(axum::Json(roster).into_response())
}

async fn end_class(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    state.classes.end(&class).await.map_err(store_failed)?;
    state.live.close(&class).await.map_err(store_failed)?;
    let now = crate::session::unix_now();
    let class = Class {
        ended_at: Some(now),
        ends_at: class.ends_at.min(now),
        ..class
    };
    let info = state.classes.info(&class).await.map_err(store_failed)?;
    Ok(axum::Json(info).into_response())
}

async fn extend_class(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
    JsonBody(body): JsonBody<ExtendClass>,
) -> Result<Response, AppError> {
    let info = state.classes.extend(&class, body.minutes).await?;
    Ok(axum::Json(info).into_response())
}

/// The class's progress as a CSV download.
async fn progress_csv(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    let csv = state
        .classes
        .progress_csv(&class)
        .await
        .map_err(store_failed)?;
    let file = format!("attachment; filename=\"class-{}-progress.csv\"", class.code);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response())
}

async fn reset_seat(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
    Path((_, seat)): Path<(String, String)>,
) -> Result<Response, AppError> {
    state.classes.reset(&class, &seat).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn lower_hand(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
    Path((_, seat)): Path<(String, String)>,
) -> Result<Response, AppError> {
    state.classes.lower_hand(&class, &seat).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A class seat's hand, as its student sees it.
async fn hand(State(state): State<AppState>, Owned(session): Owned) -> Result<Response, AppError> {
    let raised = state.classes.hand(&session.id).await?;
    Ok(axum::Json(Hand { raised }).into_response())
}

async fn set_hand(
    State(state): State<AppState>,
    Owned(session): Owned,
    JsonBody(body): JsonBody<Hand>,
) -> Result<Response, AppError> {
    let raised = state.classes.set_hand(&session.id, body.raised).await?;
    Ok(axum::Json(Hand { raised }).into_response())
}

async fn join(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    JsonBody(body): JsonBody<JoinClass>,
) -> Result<Response, AppError> {
    let edge = state.edge.clone();
    let kept = |class: &str| {
        jar.get(&edge.cookie_name(&classes::seat_cookie(class)))
            .map(|c| c.value().to_string())
    };
    let joined = state
        .classes
        .join(&body.code, &body.name, kept, ClientKey::of(client.ip))
        .await?;
    let max_age = state.config.max_lifetime;
    let session_cookie = state
        .edge
        .session_cookie(&joined.session.id, &joined.token, max_age);
    let seat_cookie = state.edge.set_cookie(
        &classes::seat_cookie(&joined.class),
        &format!("{}.{}", joined.session.id, joined.token),
        "Strict",
        max_age,
    );
    let body = quai_protocol::SessionCreated {
        session: joined.session.info().await,
        token: joined.token,
    };
    Ok((
        StatusCode::CREATED,
        // Appended: an array of headers would keep only the last cookie.
        AppendHeaders([
            (header::SET_COOKIE, session_cookie),
            (header::SET_COOKIE, seat_cookie),
        ]),
        axum::Json(body),
    )
        .into_response())
}
