//! HTTP calls to the Quai REST API (same origin, the session cookie rides along) and the
//! sentences the user reads when one fails.

use gloo::net::http::{Request, Response};
use quai_protocol::{
    ApiError, CreateSession, ErrorCode, NodeInfo, Profile, SessionCreated, SessionInfo,
};
use serde::de::DeserializeOwned;

use crate::state::plural;

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

    /// The playground is full: `Some(seconds until a place frees up, if known)`.
    pub fn capacity(&self) -> Option<Option<u64>> {
        match self {
            ApiFailure::Status { error: Some(e), .. } if e.code == ErrorCode::Capacity => {
                Some(e.retry_after_secs)
            }
            _ => None,
        }
    }

    /// One clear sentence for a banner.
    pub fn sentence(&self) -> String {
        match self {
            ApiFailure::Network => {
                "The Quai server cannot be reached. Check your connection and retry.".to_string()
            }
            ApiFailure::BadBody => {
                "The Quai server sent an answer this page does not understand. Reload the page and retry.".to_string()
            }
            ApiFailure::Status { error: Some(error), .. } => api_error_sentence(error),
            ApiFailure::Status { status, error: None } => {
                format!("The Quai server answered with an unexpected error (HTTP {status}). Retry in a moment.")
            }
        }
    }
}

/// The sentence for an `ApiError` body: ours where we can say more, the server's otherwise.
pub fn api_error_sentence(error: &ApiError) -> String {
    match (error.code, error.retry_after_secs) {
        (ErrorCode::Capacity, retry_after) => capacity_sentence(retry_after),
        (ErrorCode::RateLimited, _) if !error.message.trim().is_empty() => error.message.clone(),
        (ErrorCode::RateLimited, Some(secs)) => {
            format!(
                "Too many requests from your address; retry in {}.",
                plural(secs.max(1), "second")
            )
        }
        _ if !error.message.trim().is_empty() => error.message.clone(),
        _ => "The Quai server could not do that. Retry in a moment.".to_string(),
    }
}

/// "The playground is full — about 3 minutes until a place frees up."
pub fn capacity_sentence(retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) => format!(
            "The playground is full — about {} until a place frees up.",
            plural(secs.div_ceil(60).max(1), "minute")
        ),
        None => "The playground is full — retry in a few minutes.".to_string(),
    }
}

/// `POST /api/sessions {profile}`: a new playground.
pub async fn create_session(profile: Profile) -> Result<SessionCreated, ApiFailure> {
    let body = CreateSession {
        nodes: None,
        profile: Some(profile),
    };
    let request = Request::post("/api/sessions")
        .json(&body)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
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

/// `GET /api/sessions/{id}`.
pub async fn get_session(id: &str) -> Result<SessionInfo, ApiFailure> {
    parse(Request::get(&session_path(id)).send().await).await
}

/// `DELETE /api/sessions/{id}`: ends the session and removes its containers.
pub async fn end_session(id: &str) -> Result<(), ApiFailure> {
    no_content(Request::delete(&session_path(id)).send().await).await
}

/// `/api/sessions/{id}`, with the id kept to the characters ids are made of.
pub fn session_path(id: &str) -> String {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("/api/sessions/{id}")
}

async fn parse<T: DeserializeOwned>(
    sent: Result<Response, gloo::net::Error>,
) -> Result<T, ApiFailure> {
    let response = sent.map_err(|_| ApiFailure::Network)?;
    if !response.ok() {
        return Err(failure(&response).await);
    }
    response.json::<T>().await.map_err(|_| ApiFailure::BadBody)
}

async fn no_content(sent: Result<Response, gloo::net::Error>) -> Result<(), ApiFailure> {
    let response = sent.map_err(|_| ApiFailure::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(&response).await)
    }
}

async fn failure(response: &Response) -> ApiFailure {
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
            status(ErrorCode::Capacity, "full", Some(121)).sentence(),
            "The playground is full — about 3 minutes until a place frees up."
        );
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(20)).sentence(),
            "The playground is full — about 1 minute until a place frees up."
        );
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(600)).sentence(),
            "The playground is full — about 10 minutes until a place frees up."
        );
    }

    #[test]
    fn network_failures_and_server_messages_read_as_sentences() {
        assert_eq!(
            ApiFailure::Network.sentence(),
            "The Quai server cannot be reached. Check your connection and retry."
        );
        let msg = "The container engine cannot be reached; ask the administrator to start Docker.";
        assert_eq!(
            status(ErrorCode::RuntimeUnavailable, msg, None).sentence(),
            msg
        );
        assert_eq!(
            status(ErrorCode::RateLimited, "slow down", Some(30)).sentence(),
            "slow down"
        );
        assert!(status(ErrorCode::RateLimited, "", Some(30))
            .sentence()
            .contains("retry in 30 seconds"));
        assert_eq!(
            status(ErrorCode::Capacity, "full", Some(90)).capacity(),
            Some(Some(90))
        );
        assert_eq!(ApiFailure::Network.capacity(), None);
        assert!(capacity_sentence(None).contains("retry in a few minutes"));
        let bare = ApiFailure::Status {
            status: 502,
            error: None,
        };
        assert!(bare.sentence().contains("HTTP 502"));
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
    }
}
