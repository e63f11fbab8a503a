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
use quai_protocol::{
    CheckResult, CheckStep, CreateSession, ErrorCode, Lang, LessonStarted, SessionCreated, Student,
    Unlock,
};
use serde::Deserialize;

use super::{session_cookie, AppError, Owned};
use crate::edge::client::Client;
use crate::lessons::{self, runner, Lesson};
use crate::progress::{ProgressError, StudentId, MAX_NAME};
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

impl From<ProgressError> for AppError {
    fn from(err: ProgressError) -> Self {
        tracing::error!(error = %err, "progress database");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Progress could not be read or saved; the check itself still ran.",
        )
    }
}

fn lesson_error(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::CONFLICT, ErrorCode::Lesson, message)
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
    let lesson = state.lessons.get(&slug).ok_or_else(no_lesson)?;
    if lesson.profile == quai_protocol::Profile::Docker {
        let names = state
            .images
            .names(state.sessions.runtime().as_ref())
            .await?;
        let missing = lessons::missing_images(&lesson, &names);
        if !missing.is_empty() {
            return Err(lesson_error(format!(
                "This lesson needs the image{} {}, which this playground does not have. The operator can add {} with `cargo xtask images` or `quai images import`.",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                if missing.len() > 1 { "them" } else { "it" },
            )));
        }
    }
    let request = CreateSession {
        nodes: Some(lesson.nodes),
        profile: Some(lesson.profile),
    };
    let (session, token) = state.sessions.create(&request, client.admission).await?;
    session.set_lesson(&lesson.slug).await;
    let runtime = state.sessions.runtime().clone();
    if let Err(err) = runner::prepare(runtime.as_ref(), &session, &lesson).await {
        tracing::warn!(lesson = %lesson.slug, error = %err, "lesson setup failed");
        let _ = state
            .sessions
            .end(&session.id, quai_protocol::EndReason::Ended)
            .await;
        return Err(AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Lesson,
            format!("The lesson could not be prepared: {err}. Tell its author; nothing was kept."),
        ));
    }
    let cookie = session_cookie(&state, &session.id, &token);
    let body = LessonStarted {
        created: SessionCreated {
            session: session.info().await,
            token,
        },
    };
    let mut response = caller.respond((StatusCode::CREATED, axum::Json(body)));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn check(
    State(state): State<AppState>,
    Owned(session): Owned,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let lang = language(&query, &headers);
    let CheckStep { step } = serde_json::from_slice(&body).map_err(|err| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON for a check: {err}."),
        )
    })?;
    let slug = session
        .lesson()
        .ok_or_else(|| {
            lesson_error("This playground runs no lesson, so there is nothing to check.")
        })?
        .to_string();
    let lesson = state.lessons.get(&slug).ok_or_else(no_lesson)?;
    let Some(script) = lesson.step(step).map(|s| s.verify.as_ref()) else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!(
                "This lesson has steps 1 to {}, not {step}.",
                lesson.steps.len()
            ),
        ));
    };
    let Some(script) = script else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("Step {step} has nothing to check: go on to the next one."),
        ));
    };
    let passed_before = state.progress.passed(&caller.id, &slug).await?;
    if lesson.unlock == Unlock::InOrder {
        let locked_by = lesson
            .steps
            .iter()
            .filter(|s| s.number < step && s.verify.is_some())
            .find(|s| !passed_before.contains(&s.number));
        if let Some(earlier) = locked_by {
            return Err(lesson_error(match lang {
                Lang::En => format!("Step {step} opens once step {} passes.", earlier.number),
                Lang::Fr => format!(
                    "L'étape {step} s'ouvre quand l'étape {} est validée.",
                    earlier.number
                ),
            }));
        }
    }
    let _work = state
        .sessions
        .begin(&session, crate::session::Work::Check)
        .await?;
    let runtime = state.sessions.runtime().clone();
    let outcome = runner::check(runtime.as_ref(), &session, &lesson, script, lang)
        .await
        .map_err(|err| match err {
            runner::RunError::Runtime(err) => AppError::from(err),
            other => lesson_error(format!("The check could not run: {other}.")),
        })?;
    state
        .progress
        .record(&caller.id, &slug, step, outcome.passed)
        .await?;
    if outcome.passed && !passed_before.contains(&step) {
        if let Err(err) = runner::open_step(runtime.as_ref(), &session, &lesson, step + 1).await {
            tracing::warn!(lesson = %slug, step = step + 1, error = %err, "step setup failed");
        }
    }
    let body = CheckResult {
        step,
        passed: outcome.passed,
        output: outcome.output,
        timed_out: outcome.timed_out,
        passed_steps: state.progress.passed(&caller.id, &slug).await?,
    };
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
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let caller = Caller::of(&state.edge, &jar);
    let student: Student = serde_json::from_slice(&body).map_err(|err| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON for a student: {err}."),
        )
    })?;
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
