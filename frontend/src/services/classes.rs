//! HTTP calls of the class pages: a student joining (`join`), an instructor signing in
//! (`whoami`, `sign_in`, `set_password`, `sign_out`), their classes (`classes`,
//! `create_class`, `class_info`, `end_class`), a class's roster and controls (`roster`,
//! `extend_class`, `reset_seat`, `lower_hand`, `progress_url`) and a student's hand (`hand`,
//! `set_hand`). The instructor's cookie rides along (same origin).

use gloo::net::http::Request;
use quai_protocol::{
    ClassCreated, ClassInfo, ExtendClass, Hand, InstructorInfo, JoinClass, NewClass, Roster,
    SessionCreated, SetPassword, SignIn,
};

use super::api::{no_content, parse, ApiFailure};

/// `POST /api/join`: a seat of the class of `code` for `name`.
pub async fn join(code: &str, name: &str) -> Result<SessionCreated, ApiFailure> {
    let body = JoinClass {
        code: code.into(),
        name: name.into(),
    };
    let request = Request::post("/api/join")
        .json(&body)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `GET /api/instructor`: who is signed in (401 when nobody).
pub async fn whoami() -> Result<InstructorInfo, ApiFailure> {
    parse(Request::get("/api/instructor").send().await).await
}

/// `POST /api/instructor/sign-in`.
pub async fn sign_in(name: &str, password: &str) -> Result<InstructorInfo, ApiFailure> {
    let body = SignIn {
        name: name.into(),
        password: password.into(),
    };
    let request = Request::post("/api/instructor/sign-in")
        .json(&body)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `POST /api/instructor/link`: the password chosen through a one-time link.
pub async fn set_password(token: &str, password: &str) -> Result<InstructorInfo, ApiFailure> {
    let body = SetPassword {
        token: token.into(),
        password: password.into(),
    };
    let request = Request::post("/api/instructor/link")
        .json(&body)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `POST /api/instructor/sign-out`.
pub async fn sign_out() -> Result<(), ApiFailure> {
    no_content(Request::post("/api/instructor/sign-out").send().await).await
}

/// `GET /api/classes`: the signed-in instructor's classes.
pub async fn classes() -> Result<Vec<ClassInfo>, ApiFailure> {
    parse(Request::get("/api/classes").send().await).await
}

/// `POST /api/classes`.
pub async fn create_class(new: &NewClass) -> Result<ClassCreated, ApiFailure> {
    let request = Request::post("/api/classes")
        .json(new)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `POST /api/classes/{id}/end`.
pub async fn end_class(id: &str) -> Result<ClassInfo, ApiFailure> {
    let id = hex_only(id);
    parse(
        Request::post(&format!("/api/classes/{id}/end"))
            .send()
            .await,
    )
    .await
}

/// Only the hex digits of an id from a URL, so it cannot leave its path segment.
fn hex_only(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_hexdigit()).collect()
}

/// `GET /api/classes/{id}/roster`.
pub async fn roster(id: &str) -> Result<Roster, ApiFailure> {
    let id = hex_only(id);
    parse(
        Request::get(&format!("/api/classes/{id}/roster"))
            .send()
            .await,
    )
    .await
}

/// `POST /api/classes/{id}/extend`.
pub async fn extend_class(id: &str, minutes: u32) -> Result<ClassInfo, ApiFailure> {
    let id = hex_only(id);
    let request = Request::post(&format!("/api/classes/{id}/extend"))
        .json(&ExtendClass { minutes })
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `POST /api/classes/{id}/seats/{seat}/reset`.
pub async fn reset_seat(id: &str, seat: &str) -> Result<(), ApiFailure> {
    let (id, seat) = (hex_only(id), hex_only(seat));
    no_content(
        Request::post(&format!("/api/classes/{id}/seats/{seat}/reset"))
            .send()
            .await,
    )
    .await
}

/// `DELETE /api/classes/{id}/seats/{seat}/hand`.
pub async fn lower_hand(id: &str, seat: &str) -> Result<(), ApiFailure> {
    let (id, seat) = (hex_only(id), hex_only(seat));
    no_content(
        Request::delete(&format!("/api/classes/{id}/seats/{seat}/hand"))
            .send()
            .await,
    )
    .await
}

/// Where the class's progress downloads as CSV.
pub fn progress_url(id: &str) -> String {
    format!("/api/classes/{}/progress", hex_only(id))
}

/// `GET /api/sessions/{id}/hand`: the seat's hand (404 when the session is no class seat).
pub async fn hand(session: &str) -> Result<Hand, ApiFailure> {
    let session = hex_only(session);
    parse(
        Request::get(&format!("/api/sessions/{session}/hand"))
            .send()
            .await,
    )
    .await
}

/// `PUT /api/sessions/{id}/hand`.
pub async fn set_hand(session: &str, raised: bool) -> Result<Hand, ApiFailure> {
    let session = hex_only(session);
    let request = Request::put(&format!("/api/sessions/{session}/hand"))
        .json(&Hand { raised })
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}
