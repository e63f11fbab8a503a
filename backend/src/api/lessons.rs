//! The lesson routes: the catalog and a lesson's pages in a language, starting a lesson (a
//! session prepared for it), checking a step of the session's lesson, and the anonymous
//! student behind the browser (`quai_student` cookie) with their optional display name.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use quai_protocol::{CheckStep, ErrorCode, Lang, LessonStarted, Student};
use serde::Deserialize;

use super::{created, AppError, JsonBody, Owned};
use crate::edge::client::Client;
use crate::lessons::{self, Lesson};
use crate::playground::Purpose;
use crate::progress::{StudentId, MAX_NAME};
use crate::AppState;

use crate::edge::{cookies::STUDENT, Edge};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lessons", get(catalog))
        .route("/api/lessons/{slug}", get(lesson))
        .route("/api/lessons/{slug}/start", post(start))
        .route("/api/sessions/{id}/check", post(check))
        .route("/api/me", get(me).put(set_me))
}

/// The student behind a request, and the cookie to set when they are new.
struct Caller {
    id: StudentId,
    new_cookie: Option<HeaderValue>,
}

impl Caller {
    fn of(edge: &Edge, jar: &CookieJar) -> Caller {
        let existing = jar
            .get(&edge.cookie_name(STUDENT))
            .map(|c| c.value().to_string())
            .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()));
        match existing {
            Some(value) => Caller {
                id: StudentId::from_cookie(&value),
                new_cookie: None,
            },
            None => {
                let value = crate::session::token::new_session_id();
                let cookie = edge.set_cookie(STUDENT, &value, "Lax", 365 * 24 * 3600);
                Caller {
                    id: StudentId::from_cookie(&value),
                    new_cookie: HeaderValue::from_str(&cookie).ok(),
                }
            }
        }
    }

    /// `response` with the student cookie set when it is new.
    fn respond(&self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        if let Some(cookie) = &self.new_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// `?lang=`, else the browser's Accept-Language, else English.
fn language(query: &LangQuery, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query.lang.as_deref().and_then(Lang::parse) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
                .next()
        })
        .unwrap_or_default()
}

fn no_lesson() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such lesson.",
    )
}

/// Catalog image names, or `None` while the engine cannot say (nothing is then "missing").
async fn available(state: &AppState) -> Option<Arc<Vec<String>>> {
    state
        .images
        .names(state.sessions.runtime().as_ref())
        .await
        .ok()
}

fn missing(lesson: &Lesson, available: &Option<Arc<Vec<String>>>) -> Vec<String> {
    match available {
        Some(names) => lessons::missing_images(lesson, names),
        None => Vec::new(),
    }
}

async fn catalog(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let lang = language(&query, &headers);
    let available = available(&state).await;
    let mut out = Vec::new();
    for lesson in &state.lessons.catalog().lessons {
        let passed = state.progress.passed(&caller.id, &lesson.slug).await?;
        let count = passed.iter().filter(|n| lesson.step(**n).is_some()).count() as u16;
        let mut summary = lessons::summary(lesson, lang, count, &[]);
        summary.missing_images = missing(lesson, &available);
        out.push(summary);
    }
    Ok(caller.respond(axum::Json(out)))
}

async fn lesson(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<LangQuery>,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let lesson = state.lessons.get(&slug).ok_or_else(no_lesson)?;
    let lang = language(&query, &headers);
    let passed = state.progress.passed(&caller.id, &slug).await?;
    let available = available(&state).await;
    let mut view = lessons::view(&lesson, lang, passed, &[]);
    view.summary.missing_images = missing(&lesson, &available);
    Ok(caller.respond(axum::Json(view)))
}

async fn start(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let started = state
        .playgrounds
        .start(Purpose::Lesson(slug), client.admission)
        .await?;
    let body = LessonStarted {
        created: started.created().await,
    };
    Ok(caller.respond(created(&state, &started, body)))
}

async fn check(
    State(state): State<AppState>,
    Owned(session): Owned,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
    JsonBody(CheckStep { step }): JsonBody<CheckStep>,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let lang = language(&query, &headers);
    let body = state.steps.check(&session, &caller.id, step, lang).await?;
    Ok(caller.respond(axum::Json(body)))
}

async fn me(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let name = state.progress.name(&caller.id).await?;
    Ok(caller.respond(axum::Json(Student { name })))
}

async fn set_me(
    State(state): State<AppState>,
    jar: CookieJar,
    JsonBody(student): JsonBody<Student>,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let name = student
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(name) = name {
        if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("A display name is 1 to {MAX_NAME} printable characters."),
            ));
        }
    }
    state.progress.set_name(&caller.id, name).await?;
    Ok(caller.respond(axum::Json(Student {
        name: name.map(String::from),
    })))
}
