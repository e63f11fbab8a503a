//! HTTP calls of the class pages: a student joining (`join`), an instructor signing in
//! (`whoami`, `sign_in`, `set_password`, `sign_out`) and their classes (`classes`,
//! `create_class`, `end_class`). The instructor's cookie rides along (same origin).

use gloo::net::http::Request;
use quai_protocol::{
    ClassCreated, ClassInfo, InstructorInfo, JoinClass, NewClass, SessionCreated, SetPassword,
    SignIn,
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
    let id: String = id.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    parse(
        Request::post(&format!("/api/classes/{id}/end"))
            .send()
            .await,
    )
    .await
}
