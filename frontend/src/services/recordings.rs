//! Terminal recordings over the REST API: start and stop recording a terminal, list the
//! session's recordings, and where one is read (by the player) or downloaded.

use gloo::net::http::Request;
use quai_protocol::RecordingInfo;

use super::api::{parse, session_path, ApiFailure};

/// `POST …/terminals/{term}/recording`.
pub async fn start(id: &str, term: u16) -> Result<RecordingInfo, ApiFailure> {
    let path = format!("{}/terminals/{term}/recording", session_path(id));
    parse(Request::post(&path).send().await).await
}

/// `DELETE …/terminals/{term}/recording`: answers once the file is complete.
pub async fn stop(id: &str, term: u16) -> Result<RecordingInfo, ApiFailure> {
    let path = format!("{}/terminals/{term}/recording", session_path(id));
    parse(Request::delete(&path).send().await).await
}

/// `GET …/recordings`, newest first.
pub async fn list(id: &str) -> Result<Vec<RecordingInfo>, ApiFailure> {
    let path = format!("{}/recordings", session_path(id));
    parse(Request::get(&path).send().await).await
}

/// Where recording `recording` of session `id` is read; saved as a file with `download`.
pub fn url(id: &str, recording: &str, download: bool) -> String {
    let recording: String = recording
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let query = if download { "?download=1" } else { "" };
    format!("{}/recordings/{recording}{query}", session_path(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_urls_keep_only_id_characters() {
        assert_eq!(url("ab", "0f1e", false), "/api/sessions/ab/recordings/0f1e");
        assert_eq!(
            url("ab", "../x", true),
            "/api/sessions/ab/recordings/x?download=1"
        );
    }
}
