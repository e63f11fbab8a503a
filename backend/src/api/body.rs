//! `JsonBody<T>`: a request body read as the JSON of `T`. A body that is not gets a 400 whose
//! sentence names what it was meant to be (`Described`); a body past the size limit gets the
//! limit's own status, and a type that allows it reads an empty body as its default.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use quai_protocol::{
    CheckStep, CreateSession, ErrorCode, ExtendClass, Hand, JoinClass, NewClass, SetPassword,
    SignIn, Student, TextFile, TryImage,
};
use serde::de::DeserializeOwned;

use super::AppError;

/// A request body type, as an error sentence names it.
pub trait Described: Sized {
    /// "a new session", "a check", …
    const WHAT: &'static str;

    /// What an empty body means, when it means something.
    fn when_empty() -> Option<Self> {
        None
    }
}

impl Described for CreateSession {
    const WHAT: &'static str = "a new session";

    fn when_empty() -> Option<Self> {
        Some(CreateSession::default())
    }
}

impl Described for CheckStep {
    const WHAT: &'static str = "a check";
}

impl Described for Student {
    const WHAT: &'static str = "a student";
}

impl Described for TryImage {
    const WHAT: &'static str = "an image to try";
}

impl Described for TextFile {
    const WHAT: &'static str = "a file";
}

impl Described for SignIn {
    const WHAT: &'static str = "a sign-in";
}

impl Described for SetPassword {
    const WHAT: &'static str = "a new password";
}

impl Described for NewClass {
    const WHAT: &'static str = "a new class";
}

impl Described for JoinClass {
    const WHAT: &'static str = "joining a class";
}

impl Described for quai_protocol::HelpPolicySet {
    const WHAT: &'static str = "a help policy";
}

impl Described for quai_protocol::SetBroadcast {
    const WHAT: &'static str = "a broadcast";
}

impl Described for ExtendClass {
    const WHAT: &'static str = "an extension of the class";
}

impl Described for Hand {
    const WHAT: &'static str = "a raised or lowered hand";
}

/// The body of a request, read as `T`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Described,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                AppError::new(
                    rejection.status(),
                    ErrorCode::BadRequest,
                    format!(
                        "The request body for {} could not be read: {}.",
                        T::WHAT,
                        rejection.body_text()
                    ),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            if let Some(empty) = T::when_empty() {
                return Ok(JsonBody(empty));
            }
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|err| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("The request body is not valid JSON for {}: {err}.", T::WHAT),
            )
        })
    }
}
