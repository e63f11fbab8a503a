//! The routes of a class going on, for its instructor (signed in, owning the class):
//! `GET /api/classes/{id}/peek` (the seats' terminals), the socket
//! `GET /api/classes/{id}/seats/{seat}/terminals/{term}/watch` (a terminal, live and
//! read-only, with help when the student says yes), `POST /api/classes/{id}/demo` (the
//! instructor's demo playground), `GET|POST /api/classes/{id}/broadcast` (a demo terminal
//! on air), `GET /api/classes/{id}/help` (the help log), `GET /api/classes/{id}/recordings`
//! and `…/recordings/{recording}` (the demo's recordings, kept with the class); and for a
//! student, `GET /api/sessions/{id}/class` (the class of their seat) and the socket
//! `GET /api/sessions/{id}/broadcast`: what the class has on air, as it changes.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use quai_protocol::{ErrorCode, ServerMsg, SetBroadcast};

use super::classes::{ClassAccess, SignedIn};
use super::{AppError, JsonBody, Owned};
use crate::classes::live::{LiveError, OnAir};
use crate::recording::http::{cast, FetchQuery};
use crate::session::viewers::ViewKind;
use crate::ws::close;
use crate::ws::view::{HelpPolicy, Link, Outcome, ViewContext};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/classes/{id}/peek", get(peek))
        .route(
            "/api/classes/{id}/seats/{seat}/terminals/{term}/watch",
            get(watch),
        )
        .route("/api/classes/{id}/demo", post(demo))
        .route(
            "/api/classes/{id}/broadcast",
            get(broadcast).post(set_broadcast),
        )
        .route("/api/classes/{id}/help", get(help_log).post(set_help))
        .route("/api/classes/{id}/recordings", get(recordings))
        .route("/api/classes/{id}/recordings/{recording}", get(recording))
        .route("/api/sessions/{id}/broadcast", get(on_air))
        .route("/api/sessions/{id}/class", get(seat_class))
}

impl From<LiveError> for AppError {
    fn from(err: LiveError) -> Self {
        let message = err.to_string();
        match err {
            LiveError::Start(err) => err.into(),
            LiveError::Store(err) => super::error::store_failed(err),
            LiveError::NoSeat => AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message),
            LiveError::NoDemo | LiveError::Over => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::BadRequest, message)
            }
        }
    }
}

async fn peek(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    Ok(Json(state.live.seats(&class).await?).into_response())
}

#[allow(clippy::too_many_arguments)]
async fn watch(
    State(state): State<AppState>,
    SignedIn(instructor): SignedIn,
    ClassAccess(class): ClassAccess,
    Path((_, seat, term)): Path<(String, String, u16)>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    state.edge.check_origin(&headers, &uri)?;
    let (session, student) = state.live.seat(&class, &seat).await?;
    let up_front = state
        .live
        .help_up_front(&class)
        .await
        .map_err(super::error::store_failed)?;
    let live = state.live.clone();
    let (class_id, name) = (class.id.clone(), instructor.name.clone());
    let context = ViewContext {
        name: instructor.name,
        kind: ViewKind::Peek,
        help: if up_front {
            HelpPolicy::UpFront
        } else {
            HelpPolicy::Ask
        },
        log: Some(Arc::new(move |change| {
            let (live, class_id, seat, student, name, change) = (
                live.clone(),
                class_id.clone(),
                seat.clone(),
                student.clone(),
                name.clone(),
                change.clone(),
            );
            tokio::spawn(async move {
                if let Err(err) = live
                    .log_help(&class_id, &seat, &student, &name, &change)
                    .await
                {
                    tracing::warn!(error = %err, "could not log a help session");
                }
            });
        })),
    };
    Ok(ws
        .read_buffer_size(crate::ws::READ_BUFFER)
        .on_upgrade(move |socket| crate::ws::view::run(session, term, socket, context)))
}

async fn demo(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    let (session, token) = state.live.demo(&class).await?;
    match token {
        Some(token) => {
            let cookie = state
                .edge
                .session_cookie(&session.id, &token, state.config.max_lifetime);
            let body = quai_protocol::SessionCreated {
                session: session.info().await,
                token,
            };
            Ok((
                StatusCode::CREATED,
                [(axum::http::header::SET_COOKIE, cookie)],
                Json(body),
            )
                .into_response())
        }
        None => Ok(Json(state.live.broadcast(&class).await?).into_response()),
    }
}

async fn broadcast(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    Ok(Json(state.live.broadcast(&class).await?).into_response())
}

async fn set_broadcast(
    State(state): State<AppState>,
    SignedIn(instructor): SignedIn,
    ClassAccess(class): ClassAccess,
    JsonBody(body): JsonBody<SetBroadcast>,
) -> Result<Response, AppError> {
    let term = body.term.unwrap_or(1);
    let on_air = state
        .live
        .set_broadcast(&class, &instructor, body.on, term)
        .await?;
    Ok(Json(on_air).into_response())
}

async fn help_log(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    let log = state
        .live
        .help_log(&class)
        .await
        .map_err(super::error::store_failed)?;
    Ok(Json(log).into_response())
}

/// `POST /api/classes/{id}/help {"up_front": bool}`: whether the instructor may type in a
/// student's terminal without asking first (the class allows it up front).
async fn set_help(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ClassAccess(class): ClassAccess,
    JsonBody(body): JsonBody<quai_protocol::HelpPolicySet>,
) -> Result<Response, AppError> {
    state
        .live
        .set_help_up_front(&class, body.up_front)
        .await
        .map_err(super::error::store_failed)?;
    Ok(Json(body).into_response())
}

async fn recordings(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
) -> Result<Response, AppError> {
    Ok(Json(state.recordings.list_class(&class.id).await?).into_response())
}

async fn recording(
    State(state): State<AppState>,
    ClassAccess(class): ClassAccess,
    Path((_, recording)): Path<(String, String)>,
    Query(query): Query<FetchQuery>,
) -> Result<Response, AppError> {
    let (info, file) = state.recordings.open_class(&class.id, &recording).await?;
    Ok(cast(&info, file, query.download.is_some()))
}

/// The class of a seat, for its student; 404 for a playground that is no seat.
async fn seat_class(
    State(state): State<AppState>,
    Owned(seat): Owned,
) -> Result<Response, AppError> {
    let class = state
        .live
        .class_of_seat(&seat.id)
        .await
        .map_err(super::error::store_failed)?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(quai_protocol::SeatClass { title: class.title }).into_response())
}

/// A seat's socket on its class's broadcast: `OnAir` says whether a terminal is on air,
/// then the terminal follows (`Viewing`, its output) until it goes off air, and so on.
async fn on_air(
    State(state): State<AppState>,
    Owned(seat): Owned,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    state.edge.check_origin(&headers, &uri)?;
    let class = state
        .live
        .class_of_seat(&seat.id)
        .await
        .map_err(super::error::store_failed)?
        .ok_or_else(AppError::not_found)?;
    let mut air = state.live.on_air(&class.id);
    let student = state
        .live
        .seat(&class, &crate::classes::live::seat_id(&seat.id))
        .await
        .map(|(_, name)| name)
        .unwrap_or_default();
    Ok(ws
        .read_buffer_size(crate::ws::READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let Some(mut link) = Link::open(socket).await else {
                return;
            };
            let context = ViewContext {
                name: student,
                kind: ViewKind::Broadcast,
                help: HelpPolicy::Never,
                log: None,
            };
            let mut seat_events = seat.subscribe();
            loop {
                if seat.is_ended() {
                    link.close(close::SESSION_ENDED, "session ended").await;
                    return;
                }
                let now: Option<OnAir> = air.borrow_and_update().clone();
                let changed = {
                    let mut air = air.clone();
                    async move {
                        let _ = air.changed().await;
                    }
                };
                let ended = async {
                    while let Ok(event) = seat_events.recv().await {
                        if matches!(event, crate::session::SessionEvent::Ended(_)) {
                            return;
                        }
                    }
                };
                let stop = async {
                    tokio::select! {
                        _ = changed => {},
                        _ = ended => {},
                    }
                };
                let gone = match now.filter(|a| !a.session.is_ended()) {
                    Some(on) => {
                        link.send(ServerMsg::OnAir {
                            live: true,
                            name: on.by.clone(),
                        })
                        .await;
                        matches!(
                            link.serve(&on.session, on.term, &context, stop).await,
                            Outcome::Gone
                        )
                    }
                    None => {
                        link.send(ServerMsg::OnAir {
                            live: false,
                            name: String::new(),
                        })
                        .await;
                        !link.idle(stop).await
                    }
                };
                if gone {
                    return;
                }
                // Off air (or moved): say so before what comes next.
                if air.borrow().is_none() {
                    continue;
                }
            }
        }))
}
