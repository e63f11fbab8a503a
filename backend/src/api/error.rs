//! `AppError`: every failure of the HTTP edge as a status and a JSON `ApiError` body whose
//! message is one readable sentence with no internals.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quai_protocol::{ApiError, ErrorCode};

use crate::classes::controls::{ExtendError, HandError, ResetError};
use crate::classes::{CreateError, JoinError};
use crate::files::{FileError, WorkspaceError};
use crate::instructors::{LinkError, SignInError};
use crate::lessons::steps::CheckError;
use crate::playground::StartError;
use crate::progress::ProgressError;
use crate::recording::RecordingError;
use crate::runtime::RuntimeError;
use crate::session::SessionError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub body: ApiError,
}

impl AppError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            status,
            body: ApiError {
                code,
                message: message.into(),
                retry_after_secs: None,
            },
        }
    }

    pub fn not_found() -> Self {
        AppError::from(SessionError::NotFound)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry = self.body.retry_after_secs;
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = retry {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl From<SessionError> for AppError {
    fn from(err: SessionError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            SessionError::Capacity { retry_after_secs } => AppError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: ApiError {
                    code: ErrorCode::Capacity,
                    message,
                    retry_after_secs: Some(retry_after_secs),
                },
            },
            SessionError::NotFound => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            SessionError::NodeLimit => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::NodeLimit, message)
            }
            SessionError::ExtendLimit => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::ExtendLimit, message)
            }
            SessionError::TerminalLimit(_) => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::Terminal, message)
            }
            SessionError::RateLimited { retry_after_secs } => AppError {
                status: StatusCode::TOO_MANY_REQUESTS,
                body: ApiError {
                    code: ErrorCode::RateLimited,
                    message,
                    retry_after_secs: Some(retry_after_secs),
                },
            },
            SessionError::Busy(_) => AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                message,
            ),
            SessionError::Firewall(_) => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RuntimeUnavailable,
                message,
            ),
            SessionError::ClientLimit(_) => AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                message,
            ),
            SessionError::BadRequest(_) => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
            SessionError::Runtime(err) => AppError::from(err),
        }
    }
}

impl From<StartError> for AppError {
    fn from(err: StartError) -> Self {
        let message = err.to_string();
        match err {
            StartError::Session(err) => AppError::from(err),
            StartError::Runtime(err) => AppError::from(err),
            StartError::NoLesson | StartError::UnknownImage { .. } => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            StartError::MissingImages(_) => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::Lesson, message)
            }
            StartError::LessonSetup(_) => AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Lesson,
                message,
            ),
            StartError::ImageSetup { .. } => AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                message,
            ),
        }
    }
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

impl From<CheckError> for AppError {
    fn from(err: CheckError) -> Self {
        let message = err.to_string();
        match err {
            CheckError::Session(err) => AppError::from(err),
            CheckError::Runtime(err) => AppError::from(err),
            CheckError::Progress(err) => AppError::from(err),
            CheckError::UnknownLesson => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            CheckError::NoSuchStep { .. } | CheckError::NothingToCheck(_) => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
            CheckError::NoLesson | CheckError::Locked { .. } | CheckError::Script(_) => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::Lesson, message)
            }
        }
    }
}

impl From<FileError> for AppError {
    fn from(err: FileError) -> Self {
        let message = err.to_string();
        let bad = |message| AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message);
        let large = |message| {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                message,
            )
        };
        match err {
            FileError::Busy(err) => err.into(),
            FileError::Engine(err) => err.into(),
            FileError::NoSuchPlace => AppError::not_found(),
            FileError::Missing(_) => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            FileError::TooLargeToOpen { .. }
            | FileError::TooLargeToSave(_)
            | FileError::TooLarge(_) => large(message),
            FileError::NotText(_) => AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::BadRequest,
                message,
            ),
            FileError::Disk(_) => AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                message,
            ),
            FileError::BadPath(_)
            | FileError::Refused(_)
            | FileError::Failed(_)
            | FileError::Timeout
            | FileError::EmptyUpload
            | FileError::BadArchive(_)
            | FileError::Unreadable(_) => bad(message),
        }
    }
}

impl From<WorkspaceError> for AppError {
    fn from(err: WorkspaceError) -> Self {
        let message = err.to_string();
        match err {
            WorkspaceError::Files(err) => err.into(),
            WorkspaceError::TooLarge(_) => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                message,
            ),
            WorkspaceError::NotAllowed(_)
            | WorkspaceError::NoFolder
            | WorkspaceError::NodeUnreadable { .. }
            | WorkspaceError::Pack(_)
            | WorkspaceError::Refused(_) => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
        }
    }
}

impl From<RecordingError> for AppError {
    fn from(err: RecordingError) -> Self {
        let message = err.to_string();
        match err {
            RecordingError::NoTerminal(_) | RecordingError::NotFound => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            RecordingError::Already(_)
            | RecordingError::NotRecording(_)
            | RecordingError::StillRecording => {
                AppError::new(StatusCode::CONFLICT, ErrorCode::Terminal, message)
            }
            RecordingError::Disk(ref cause) => {
                tracing::error!(error = %cause, "cannot write a recording");
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    message,
                )
            }
            RecordingError::Store(ref cause) => {
                tracing::error!(error = %cause, "cannot keep a recording");
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    message,
                )
            }
        }
    }
}

impl From<RuntimeError> for AppError {
    fn from(err: RuntimeError) -> Self {
        tracing::error!(error = %err, "container engine error");
        match err {
            RuntimeError::Unavailable(_) => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RuntimeUnavailable,
                "The container engine is not reachable right now; please retry in a minute.",
            ),
            RuntimeError::MissingImage(_) => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RuntimeUnavailable,
                "The session image is missing on this server; the operator must build it (cargo xtask images).",
            ),
            RuntimeError::TooLarge(limit) => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                format!(
                    "That is more than this playground transfers at once ({} MB).",
                    limit / (1024 * 1024)
                ),
            ),
            RuntimeError::Engine(_) | RuntimeError::Timeout(_) => AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "The container engine could not start your playground; please retry.",
            ),
        }
    }
}

/// A database failure of the class routes.
pub(crate) fn store_failed(err: StoreError) -> AppError {
    tracing::error!(error = %err, "database");
    AppError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "The database could not be read or written; please retry.",
    )
}

fn retry_later(code: ErrorCode, message: String, secs: u64) -> AppError {
    AppError {
        status: StatusCode::TOO_MANY_REQUESTS,
        body: ApiError {
            code,
            message,
            retry_after_secs: Some(secs),
        },
    }
}

impl From<LinkError> for AppError {
    fn from(err: LinkError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            LinkError::Invalid => AppError::new(StatusCode::GONE, ErrorCode::SignIn, message),
            LinkError::WeakPassword(_) => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
            LinkError::RateLimited(secs) => retry_later(ErrorCode::RateLimited, message, secs),
            LinkError::Store(err) => store_failed(err),
        }
    }
}

impl From<SignInError> for AppError {
    fn from(err: SignInError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            SignInError::Mismatch => {
                AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::SignIn, message)
            }
            SignInError::RateLimited(secs) => retry_later(ErrorCode::RateLimited, message, secs),
            SignInError::Store(err) => store_failed(err),
        }
    }
}

impl From<CreateError> for AppError {
    fn from(err: CreateError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            CreateError::NoLesson(_) => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            CreateError::Store(err) => store_failed(err),
            _ => AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message),
        }
    }
}

impl From<JoinError> for AppError {
    fn from(err: JoinError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            JoinError::Name => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
            JoinError::WrongCode => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::WrongCode, message)
            }
            JoinError::RateLimited(secs) => retry_later(ErrorCode::RateLimited, message, secs),
            JoinError::NotStarted(secs) => AppError {
                status: StatusCode::CONFLICT,
                body: ApiError {
                    code: ErrorCode::ClassNotStarted,
                    message,
                    retry_after_secs: Some(secs),
                },
            },
            JoinError::Ended => AppError::new(StatusCode::GONE, ErrorCode::ClassEnded, message),
            JoinError::Full => AppError::new(StatusCode::CONFLICT, ErrorCode::ClassFull, message),
            JoinError::Start(err) => AppError::from(err),
            JoinError::Store(err) => store_failed(err),
        }
    }
}

impl From<ExtendError> for AppError {
    fn from(err: ExtendError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            ExtendError::Minutes => {
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
            }
            ExtendError::Ended => AppError::new(StatusCode::GONE, ErrorCode::ClassEnded, message),
            ExtendError::Store(err) => store_failed(err),
        }
    }
}

impl From<ResetError> for AppError {
    fn from(err: ResetError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            ResetError::NoSeat => {
                AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
            }
            ResetError::Gone => AppError::new(StatusCode::GONE, ErrorCode::SessionEnded, message),
            ResetError::Start(err) => AppError::from(err),
            ResetError::Store(err) => store_failed(err),
        }
    }
}

impl From<HandError> for AppError {
    fn from(err: HandError) -> Self {
        let message = sentence(&err.to_string());
        match err {
            HandError::NoSeat => AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message),
            HandError::Store(err) => store_failed(err),
        }
    }
}

/// "the playground is full" → "The playground is full."
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
