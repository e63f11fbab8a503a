//! HTTP calls to the Quai REST API (same origin, the session cookie rides along) and the
//! sentences the user reads when one fails.

use gloo::net::http::{Request, Response};
use quai_protocol::{
    ApiError, CheckResult, CheckStep, CreateSession, ErrorCode, LessonStarted, LessonSummary,
    LessonView, NodeInfo, Profile, SessionCreated, SessionInfo, Student,
};
use serde::de::DeserializeOwned;

use crate::i18n::{self, t, Lang, Msg};
use crate::services::clock;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// No answer: the server is down or the network is.
    Network,
    /// A non-2xx answer; `error` is its `ApiError` body when it had one.
    Status {
        status: u16,
        error: Option<ApiError>,
    },
    /// A 2xx answer whose body is not what the protocol says.
    BadBody,
}

impl ApiFailure {
    /// The session is unknown, expired, or not ours.
    pub fn is_not_found(&self) -> bool {
        match self {
            ApiFailure::Status { error: Some(e), .. } => e.code == ErrorCode::NotFound,
            ApiFailure::Status { status, .. } => *status == 404,
            _ => false,
        }
    }

    /// The lesson cannot start here, or the step is locked (409 `lesson`).
    pub fn is_lesson_refusal(&self) -> bool {
        matches!(self, ApiFailure::Status { error: Some(e), .. } if e.code == ErrorCode::Lesson)
    }

    /// The playground is full: `Some(seconds until a place frees up, if known)`.
    pub fn capacity(&self) -> Option<Option<u64>> {
        match self {
            ApiFailure::Status { error: Some(e), .. } if e.code == ErrorCode::Capacity => {
                Some(e.retry_after_secs)
            }
            _ => None,
        }
    }

    /// The server's own sentence when it gave one that names what went wrong (a path, an
    /// image), else `sentence`: for files, where a 404 is about a path, not the session.
    pub fn detail(&self, lang: Lang) -> String {
        match self {
            ApiFailure::Status {
                error: Some(error), ..
            } if matches!(error.code, ErrorCode::BadRequest | ErrorCode::NotFound)
                && !error.message.trim().is_empty() =>
            {
                error.message.trim().to_string()
            }
            ApiFailure::Status {
                status: 413,
                error: None,
            } => t(lang, Msg::TooLarge).to_string(),
            _ => self.sentence(lang),
        }
    }

    /// One clear sentence for a banner, in `lang`.
    pub fn sentence(&self, lang: Lang) -> String {
        match self {
            ApiFailure::Network => t(lang, Msg::Unreachable).to_string(),
            ApiFailure::BadBody => t(lang, Msg::BadBody).to_string(),
            ApiFailure::Status {
                error: Some(error), ..
            } => api_error_sentence(lang, error),
            ApiFailure::Status {
                status,
                error: None,
            } => i18n::http_error(lang, *status),
        }
    }
}

/// The sentence for an `ApiError` body: ours where the code says it all, the server's
/// otherwise (the server speaks English; its messages name things, such as an image).
pub fn api_error_sentence(lang: Lang, error: &ApiError) -> String {
    let message = error.message.trim();
    match (error.code, error.retry_after_secs, lang) {
        (ErrorCode::Capacity, retry_after, _) => i18n::capacity(lang, retry_after),
        (ErrorCode::RateLimited, _, Lang::En) if !message.is_empty() => message.to_string(),
        (ErrorCode::RateLimited, Some(secs), _) => i18n::rate_limited(lang, secs),
        (ErrorCode::RuntimeUnavailable, _, Lang::Fr) => t(lang, Msg::RuntimeDown).to_string(),
        (ErrorCode::NotFound | ErrorCode::SessionEnded, _, Lang::Fr) => {
            t(lang, Msg::EndedNotFound).to_string()
        }
        (ErrorCode::ExtendLimit, _, Lang::Fr) => t(lang, Msg::MaxReached).to_string(),
        _ if !message.is_empty() => message.to_string(),
        _ => t(lang, Msg::CouldNot).to_string(),
    }
}

/// `POST /api/sessions {profile}`: a new playground. Its answer is kept for the playground's
/// page, which then shows it without asking for it again (`session`).
pub async fn create_session(profile: Profile) -> Result<SessionCreated, ApiFailure> {
    let body = CreateSession {
        nodes: None,
        profile: Some(profile),
    };
    let request = Request::post("/api/sessions")
        .json(&body)
        .map_err(|_| ApiFailure::BadBody)?;
    let created: SessionCreated = parse(request.send().await).await?;
    JUST_CREATED.with(|kept| kept.replace(Some(created.session.clone())));
    Ok(created)
}

thread_local! {
    /// The session this page has just created, until its playground's page takes it.
    static JUST_CREATED: std::cell::RefCell<Option<SessionInfo>> = const { std::cell::RefCell::new(None) };
}

/// Waits before each new try of a read the network failed (a server restarting, a connection
/// the browser reused just as the server closed it), before the page says it failed.
const RETRY_AFTER_MS: [i32; 3] = [250, 1000, 2000];

/// Session `id`: as this page has just created it, or else `GET /api/sessions/{id}`.
pub async fn session(id: &str) -> Result<SessionInfo, ApiFailure> {
    let kept = JUST_CREATED.with(|kept| kept.borrow_mut().take());
    match kept {
        Some(info) if info.id == id => Ok(info),
        _ => get_session(id).await,
    }
}

/// `POST /api/sessions/{id}/extend`: more time, up to the session's maximum.
pub async fn extend_session(id: &str) -> Result<SessionInfo, ApiFailure> {
    let path = format!("{}/extend", session_path(id));
    parse(Request::post(&path).send().await).await
}

/// `POST /api/sessions/{id}/nodes`: one more node (the lowest free `nodeN`).
pub async fn add_node(id: &str) -> Result<NodeInfo, ApiFailure> {
    let path = format!("{}/nodes", session_path(id));
    parse(Request::post(&path).send().await).await
}

/// `DELETE /api/sessions/{id}/nodes/{name}`: removes a node and its terminals.
pub async fn remove_node(id: &str, name: &str) -> Result<(), ApiFailure> {
    let name: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let path = format!("{}/nodes/{name}", session_path(id));
    no_content(Request::delete(&path).send().await).await
}

/// `GET /api/sessions/{id}`, tried again a few times when the network fails.
pub async fn get_session(id: &str) -> Result<SessionInfo, ApiFailure> {
    let read = || async { parse(Request::get(&session_path(id)).send().await).await };
    let mut result = read().await;
    for ms in RETRY_AFTER_MS {
        if !matches!(result, Err(ApiFailure::Network)) {
            break;
        }
        clock::pause(ms).await;
        result = read().await;
    }
    result
}

/// `DELETE /api/sessions/{id}`: ends the session and removes its containers.
pub async fn end_session(id: &str) -> Result<(), ApiFailure> {
    no_content(Request::delete(&session_path(id)).send().await).await
}

/// `GET /api/lessons?lang=xx`: the catalog, with this student's progress.
pub async fn lessons(lang: Lang) -> Result<Vec<LessonSummary>, ApiFailure> {
    let path = format!("/api/lessons?lang={}", lang.code());
    parse(Request::get(&path).send().await).await
}

/// `GET /api/lessons/{slug}?lang=xx`: every page of a lesson and this student's progress.
pub async fn lesson(slug: &str, lang: Lang) -> Result<LessonView, ApiFailure> {
    let path = format!("{}?lang={}", lesson_path(slug), lang.code());
    parse(Request::get(&path).send().await).await
}

/// `POST /api/lessons/{slug}/start`: a session prepared for the lesson.
pub async fn start_lesson(slug: &str) -> Result<LessonStarted, ApiFailure> {
    let path = format!("{}/start", lesson_path(slug));
    parse(Request::post(&path).send().await).await
}

/// `POST /api/sessions/{id}/check?lang=xx {step}`: runs the step's check in the session's
/// node (the server says why a step is locked in `lang`).
pub async fn check_step(id: &str, step: u16, lang: Lang) -> Result<CheckResult, ApiFailure> {
    let path = format!("{}/check?lang={}", session_path(id), lang.code());
    let request = Request::post(&path)
        .json(&CheckStep { step })
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `GET /api/me`: the student behind this browser.
pub async fn me() -> Result<Student, ApiFailure> {
    parse(Request::get("/api/me").send().await).await
}

/// `PUT /api/me`: sets (or, with `None`, clears) the display name.
pub async fn set_me(student: &Student) -> Result<Student, ApiFailure> {
    let request = Request::put("/api/me")
        .json(student)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `/api/lessons/{slug}`, with the slug kept to the characters slugs are made of.
pub fn lesson_path(slug: &str) -> String {
    let slug: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("/api/lessons/{slug}")
}

/// `/api/sessions/{id}`, with the id kept to the characters ids are made of.
pub fn session_path(id: &str) -> String {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("/api/sessions/{id}")
}

pub(crate) async fn parse<T: DeserializeOwned>(
    sent: Result<Response, gloo::net::Error>,
) -> Result<T, ApiFailure> {
    let response = sent.map_err(|_| ApiFailure::Network)?;
    if !response.ok() {
        return Err(failure(&response).await);
    }
    response.json::<T>().await.map_err(|_| ApiFailure::BadBody)
}

pub(crate) async fn no_content(sent: Result<Response, gloo::net::Error>) -> Result<(), ApiFailure> {
    let response = sent.map_err(|_| ApiFailure::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(&response).await)
    }
}

pub(crate) async fn failure(response: &Response) -> ApiFailure {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    ApiFailure::Status {
        status,
        error: serde_json::from_str::<ApiError>(&body).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: ErrorCode, message: &str, retry: Option<u64>) -> ApiFailure {
        let status = if code == ErrorCode::RateLimited {
            429
        } else {
            503
        };
        ApiFailure::Status {
            status,
            error: Some(ApiError {
                code,
                message: message.into(),
                retry_after_secs: retry,
            }),
        }
    }

    #[test]
    fn capacity_says_how_many_minutes_rounded_up() {
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(121)).sentence(Lang::En),
            "The playground is full — about 3 minutes until a place frees up."
        );
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(20)).sentence(Lang::En),
            "The playground is full — about 1 minute until a place frees up."
        );
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(600)).sentence(Lang::En),
            "The playground is full — about 10 minutes until a place frees up."
        );
    }

    #[test]
    fn network_failures_and_server_messages_read_as_sentences() {
        assert_eq!(
            ApiFailure::Network.sentence(Lang::En),
            "The Quai server cannot be reached. Check your connection and retry."
        );
        let msg = "The container engine cannot be reached; ask the administrator to start Docker.";
        assert_eq!(
            status(ErrorCode::RuntimeUnavailable, msg, None).sentence(Lang::En),
            msg
        );
        assert_eq!(
            status(ErrorCode::RateLimited, "slow down", Some(30)).sentence(Lang::En),
            "slow down"
        );
        assert!(status(ErrorCode::RateLimited, "", Some(30))
            .sentence(Lang::En)
            .contains("retry in 30 seconds"));
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(90)).capacity(),
            Some(Some(90))
        );
        assert_eq!(ApiFailure::Network.capacity(), None);
        assert!(i18n::capacity(Lang::En, None).contains("retry in a few minutes"));
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(121)).sentence(Lang::Fr),
            "Le bac à sable est plein — une place se libère dans 3 minutes environ."
        );
        assert!(status(ErrorCode::RuntimeUnavailable, msg, None)
            .sentence(Lang::Fr)
            .starts_with("Le moteur de conteneurs"));
        let bare = ApiFailure::Status {
            status: 502,
            error: None,
        };
        assert!(bare.sentence(Lang::En).contains("HTTP 502"));
    }

    #[test]
    fn not_found_is_recognised_by_code_or_status() {
        assert!(ApiFailure::Status {
            status: 404,
            error: None
        }
        .is_not_found());
        assert!(status(ErrorCode::NotFound, "gone", None).is_not_found());
        assert!(!ApiFailure::Network.is_not_found());
        assert!(!status(ErrorCode::Capacity, "full", None).is_not_found());
    }

    #[test]
    fn session_paths_keep_only_id_characters() {
        assert_eq!(session_path("ab12"), "/api/sessions/ab12");
        assert_eq!(session_path("../x?y"), "/api/sessions/xy");
        assert_eq!(
            lesson_path("first-container"),
            "/api/lessons/first-container"
        );
        assert_eq!(lesson_path("../a b"), "/api/lessons/ab");
    }
}
