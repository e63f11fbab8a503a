//! A class going on, over the REST API: the seats to peek at, the instructor's demo, the
//! broadcast, the help log, the class's recordings; a seat's class for its student; and the
//! paths of the viewer sockets.

use gloo::net::http::Request;
use quai_protocol::{BroadcastState, HelpRecord, PeekSeat, RecordingInfo, SeatClass, SetBroadcast};

use super::api::{parse, session_path, ApiFailure};

/// `/api/classes/{id}` with only id characters kept.
pub fn class_path(id: &str) -> String {
    let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("/api/classes/{id}")
}

fn plain(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

pub async fn peek(class: &str) -> Result<Vec<PeekSeat>, ApiFailure> {
    parse(
        Request::get(&format!("{}/peek", class_path(class)))
            .send()
            .await,
    )
    .await
}

/// The socket path of terminal `term` of seat `seat`.
pub fn watch_path(class: &str, seat: &str, term: u16) -> String {
    format!(
        "{}/seats/{}/terminals/{term}/watch",
        class_path(class),
        plain(seat)
    )
}

/// `POST …/demo`: the demo playground's id (new or running).
pub async fn demo(class: &str) -> Result<String, ApiFailure> {
    let sent = Request::post(&format!("{}/demo", class_path(class)))
        .send()
        .await;
    let value: serde_json::Value = parse(sent).await?;
    value
        .get("id")
        .or_else(|| value.get("demo"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or(ApiFailure::BadBody)
}

pub async fn broadcast(class: &str) -> Result<BroadcastState, ApiFailure> {
    parse(
        Request::get(&format!("{}/broadcast", class_path(class)))
            .send()
            .await,
    )
    .await
}

pub async fn set_broadcast(class: &str, on: bool) -> Result<BroadcastState, ApiFailure> {
    let request = Request::post(&format!("{}/broadcast", class_path(class)))
        .json(&SetBroadcast { on, term: None })
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `POST …/help`: help without asking the student first, or not.
pub async fn set_help_up_front(class: &str, up_front: bool) -> Result<(), ApiFailure> {
    let request = Request::post(&format!("{}/help", class_path(class)))
        .json(&quai_protocol::HelpPolicySet { up_front })
        .map_err(|_| ApiFailure::BadBody)?;
    let _: quai_protocol::HelpPolicySet = parse(request.send().await).await?;
    Ok(())
}

pub async fn help_log(class: &str) -> Result<Vec<HelpRecord>, ApiFailure> {
    parse(
        Request::get(&format!("{}/help", class_path(class)))
            .send()
            .await,
    )
    .await
}

pub async fn recordings(class: &str) -> Result<Vec<RecordingInfo>, ApiFailure> {
    parse(
        Request::get(&format!("{}/recordings", class_path(class)))
            .send()
            .await,
    )
    .await
}

/// Where the class's recording `recording` is read; saved as a file with `download`.
pub fn recording_url(class: &str, recording: &str, download: bool) -> String {
    let query = if download { "?download=1" } else { "" };
    format!(
        "{}/recordings/{}{query}",
        class_path(class),
        plain(recording)
    )
}

/// The class of seat `session`; `Err` (404) for a playground that is no seat.
pub async fn seat_class(session: &str) -> Result<SeatClass, ApiFailure> {
    parse(
        Request::get(&format!("{}/class", session_path(session)))
            .send()
            .await,
    )
    .await
}

/// The socket path of a seat's broadcast.
pub fn on_air_path(session: &str) -> String {
    format!("{}/broadcast", session_path(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_only_id_characters() {
        assert_eq!(class_path("ab/../c"), "/api/classes/abc");
        assert_eq!(
            watch_path("c1", "s/1?", 2),
            "/api/classes/c1/seats/s1/terminals/2/watch"
        );
        assert_eq!(
            recording_url("c1", "r-1", true),
            "/api/classes/c1/recordings/r1?download=1"
        );
    }
}
