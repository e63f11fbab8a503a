//! `Owned`: the extractor of every route under `/api/sessions/{id}`. It yields the session
//! when the request holds its token (the HttpOnly cookie `quai_<id>`, `__Host-quai_<id>` over HTTPS, or
//! `Authorization: Bearer <token>`), and a 404 otherwise, whatever the reason, so nobody can
//! tell an unknown session from somebody else's.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::{header, request::Parts, HeaderMap};
use axum_extra::extract::CookieJar;

use super::AppError;
use crate::session::{token, Session};
use crate::AppState;

/// The session whose id is in the path, owned by whoever sent the request.
pub struct Owned(pub Arc<Session>);

impl FromRequestParts<AppState> for Owned {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found())?;
        let id = params
            .iter()
            .find(|(key, _)| *key == "id")
            .map(|(_, value)| value.to_string());
        let id = id.ok_or_else(AppError::not_found)?;
        let jar = CookieJar::from_headers(&parts.headers);
        let session = authorize(state, &id, &parts.headers, &jar)?;
        session.claim().await;
        Ok(Owned(session))
    }
}

fn authorize(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    jar: &CookieJar,
) -> Result<Arc<Session>, AppError> {
    if !token::is_session_id(id) {
        return Err(AppError::not_found());
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let presented = bearer.or_else(|| {
        jar.get(&state.edge.session_cookie_name(id))
            .map(|c| c.value().to_string())
    });
    let presented = presented.ok_or_else(AppError::not_found)?;
    Ok(state.sessions.get(id, &presented)?)
}
