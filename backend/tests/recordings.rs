//! Terminal recordings against the real engine: a student records a terminal, types,
//! resizes and stops; the recording downloads as asciicast v2 (parsed: header with the
//! terminal's size and start time, what was typed in `o` events, the resize as an `r`
//! event); a terminal that exits closes its recording; nobody else can list or fetch it; a
//! second start or a stop with nothing recording says why; and an ended session's
//! recordings leave the disk.

mod common;

use common::{plain, TestServer};
use quai::recording::asciicast;
use quai_protocol::{ApiError, RecordingInfo, ASCIICAST};
use reqwest::Method;

#[tokio::test]
async fn a_recorded_terminal_downloads_as_asciicast_and_goes_with_its_session() {
    let server = TestServer::start("recordings").await;
    let session = server.create_session().await;
    let other = server.create_session().await;
    let mut socket = server.socket(&session).await;
    socket.hello().await;
    socket.open_shell(1).await;

    let started = server
        .as_owner(Method::POST, &session, "/terminals/1/recording")
        .await;
    assert_eq!(started.status(), 201);
    let started: RecordingInfo = started.json().await.unwrap();
    assert_eq!((started.term, started.node.as_str()), (1, "node1"));
    assert_eq!(started.ended_at, None);
    let again = server
        .as_owner(Method::POST, &session, "/terminals/1/recording")
        .await;
    assert_eq!(again.status(), 409);
    let said: ApiError = again.json().await.unwrap();
    assert_eq!(said.message, "Terminal 1 is being recorded already.");

    let seen = socket.run(1, "echo recorded-$((6*7))").await;
    assert!(seen.contains("recorded-42"), "{seen}");
    socket.resize(1, 100, 30).await;
    socket.run(1, "stty size").await;
    // While it records, the recording is listed and cannot be fetched yet.
    let listed: Vec<RecordingInfo> = server
        .as_owner(Method::GET, &session, "/recordings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let path = format!("/recordings/{}", started.id);
    assert_eq!(
        server.as_owner(Method::GET, &session, &path).await.status(),
        409
    );

    let stopped = server
        .as_owner(Method::DELETE, &session, "/terminals/1/recording")
        .await;
    assert_eq!(stopped.status(), 200);
    let stopped: RecordingInfo = stopped.json().await.unwrap();
    assert!(
        stopped.ended_at.is_some() && stopped.bytes > 0,
        "{stopped:?}"
    );
    let nothing = server
        .as_owner(Method::DELETE, &session, "/terminals/1/recording")
        .await;
    assert_eq!(nothing.status(), 409);

    let fetched = server
        .as_owner(Method::GET, &session, &format!("{path}?download=1"))
        .await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], ASCIICAST);
    assert!(fetched.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = fetched.text().await.unwrap();
    assert_eq!(text.len() as u64, stopped.bytes);
    let cast = asciicast::parse(&text).unwrap();
    assert_eq!((cast.header.width, cast.header.height), (80, 24));
    assert_eq!(cast.header.timestamp, started.started_at);
    let typed = plain(&cast.output());
    assert!(typed.contains("recorded-42"), "{typed}");
    assert!(typed.contains("30 100"), "stty saw the new size: {typed}");
    assert!(
        cast.events
            .iter()
            .any(|(_, kind, data)| kind == "r" && data == "100x30"),
        "{:?}",
        cast.events
    );

    // Another session's owner, a made-up id: nothing.
    let foreign = server
        .http
        .get(server.url(&format!("/api/sessions/{}{path}", session.session.id)))
        .header(
            "cookie",
            format!("quai_{}={}", other.session.id, other.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let theirs: Vec<RecordingInfo> = server
        .as_owner(Method::GET, &other, "/recordings")
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    let wrong = server.as_owner(Method::GET, &other, &path).await;
    assert_eq!(wrong.status(), 404);
    let made_up = server
        .as_owner(Method::GET, &session, "/recordings/..%2F..%2Fetc%2Fpasswd")
        .await;
    assert_eq!(made_up.status(), 404);

    // A terminal that exits closes its recording by itself.
    socket.open_shell(2).await;
    let second: RecordingInfo = server
        .as_owner(Method::POST, &session, "/terminals/2/recording")
        .await
        .json()
        .await
        .unwrap();
    socket.type_in(2, "echo last-words; exit\r").await;
    socket
        .next_message(|m| matches!(m, quai_protocol::ServerMsg::TerminalExited { term: 2, .. }))
        .await;
    let closed = server
        .as_owner(Method::DELETE, &session, "/terminals/2/recording")
        .await;
    assert_eq!(closed.status(), 200, "{:?}", closed.text().await);
    let text = server
        .as_owner(Method::GET, &session, &format!("/recordings/{}", second.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(asciicast::parse(&text)
        .unwrap()
        .output()
        .contains("last-words"));

    // The session ends: its recordings leave the disk at the next sweep.
    let state = server.server.as_ref().unwrap().state.clone();
    let dir = state.config.recordings_dir();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    assert_eq!(
        server.as_owner(Method::DELETE, &session, "").await.status(),
        204
    );
    state.recordings.sweep(false).await.unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    drop(state);
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
