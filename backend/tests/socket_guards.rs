//! What the socket and the API refuse, against the real engine: another session's token,
//! a foreign page, malformed frames, absurd sizes, a full playground, a dead engine. Each
//! refusal is a clear error, and nothing that was running is lost.

mod common;

use std::sync::Arc;

use common::TestServer;
use quai::runtime::{DockerRuntime, Engine};
use quai::Config;
use quai_protocol::{ApiError, ClientMsg, ErrorCode, Health};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_session_cannot_open_another_sessions_socket_with_its_own_token() {
    let server = TestServer::start("tokens").await;
    let mine = server.create_session().await;
    let theirs = server.create_session().await;
    assert_eq!(
        server
            .socket_with(&theirs.session.id, &mine.token, None)
            .await
            .err(),
        Some(404)
    );
    assert_eq!(
        server.socket_with(&theirs.session.id, "", None).await.err(),
        Some(404)
    );
    let info = server
        .http
        .get(server.url(&format!("/api/sessions/{}", theirs.session.id)))
        .header(
            "cookie",
            format!("quai_{}={}", theirs.session.id, mine.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 404);
    let end = server
        .http
        .delete(server.url(&format!("/api/sessions/{}", theirs.session.id)))
        .bearer_auth(&mine.token)
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), 404);
    assert!(server
        .socket_with(&theirs.session.id, &theirs.token, None)
        .await
        .is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_page_from_another_origin_cannot_open_a_session_socket() {
    let server = TestServer::start("origin").await;
    let session = server.create_session().await;
    let refused = server
        .socket_with(
            &session.session.id,
            &session.token,
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(refused.err(), Some(403));
    let own = server.base.clone();
    assert!(server
        .socket_with(&session.session.id, &session.token, Some(&own))
        .await
        .is_ok());
    server.stop().await;
}

#[tokio::test]
async fn malformed_messages_and_absurd_sizes_get_errors_and_the_shell_goes_on() {
    let server = TestServer::start("malformed").await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;

    socket.send_raw(Message::Text("{not json".into())).await;
    let (code, message, term) = socket.next_error_naming().await;
    assert_eq!(code, ErrorCode::BadRequest, "{message}");
    assert_eq!(
        term, None,
        "a message no one could read is about no terminal"
    );

    socket.send_raw(Message::Binary(vec![0u8].into())).await;
    let (code, message) = socket.next_error().await;
    assert!(
        code == ErrorCode::BadRequest && message.contains("shorter"),
        "{code:?}: {message}"
    );

    socket.resize(1, 65000, 0).await;
    let (code, message, term) = socket.next_error_naming().await;
    assert!(
        code == ErrorCode::BadRequest && message.contains("out of range"),
        "{code:?}: {message}"
    );
    assert_eq!(term, Some(1), "the refused resize names its terminal");

    socket.type_in(9, "ls\r").await;
    let (code, message, term) = socket.next_error_naming().await;
    assert_eq!(code, ErrorCode::Terminal, "{message}");
    assert_eq!(
        term,
        Some(9),
        "input to a terminal that is not open names it"
    );

    socket
        .send(&ClientMsg::OpenTerminal {
            term: 2,
            node: "node7".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    let (code, message, term) = socket.next_error_naming().await;
    assert!(
        code == ErrorCode::Terminal && message.contains("node7"),
        "{code:?}: {message}"
    );
    assert_eq!(term, Some(2), "the terminal that could not open is named");

    socket.type_in(1, "stty size; echo alive-$((40+2))\r").await;
    let text = socket.wait_for_output(1, "alive-42").await;
    assert!(
        text.contains("24 80"),
        "the absurd resize must not have been applied: {text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_socket_that_skips_hello_or_speaks_another_version_is_told_and_closed() {
    let server = TestServer::start("hello").await;
    let session = server.create_session().await;
    let mut skipped = server.socket(&session).await;
    skipped.send(&ClientMsg::Ping { nonce: 1 }).await;
    let (code, message) = skipped.next_error().await;
    assert_eq!(code, ErrorCode::ProtocolVersion, "{message}");
    skipped.until_closed().await;

    let mut old = server.socket(&session).await;
    old.send(&ClientMsg::Hello { version: 999 }).await;
    let (code, message) = old.next_error().await;
    assert!(
        code == ErrorCode::ProtocolVersion && message.contains("reload"),
        "{code:?}: {message}"
    );
    old.until_closed().await;
    server.stop().await;
}

#[tokio::test]
async fn a_full_playground_says_when_a_place_frees_up() {
    let server = TestServer::start_with("capacity", |c| {
        c.max_sessions = 1;
        c.session_ttl = 600;
    })
    .await;
    server.create_session().await;
    let response = server
        .http
        .post(server.url("/api/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    let body: ApiError = response.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::Capacity);
    let retry = body.retry_after_secs.expect("a retry time");
    assert!((1..=600).contains(&retry), "{retry}");
    assert!(
        body.message.contains("full") && body.message.contains("minute"),
        "{}",
        body.message
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_session_requests_get_clear_errors() {
    let server = TestServer::start("badrequest").await;
    let too_many = server
        .http
        .post(server.url("/api/sessions"))
        .json(&serde_json::json!({"nodes": 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 400);
    let body: ApiError = too_many.json().await.unwrap();
    assert!(body.message.contains("1 to 5"), "{}", body.message);
    let garbage = server
        .http
        .post(server.url("/api/sessions"))
        .body("{{{")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let traversal = server
        .http
        .get(server.url("/api/sessions/..%2F..%2Fetc"))
        .send()
        .await
        .unwrap();
    assert_eq!(traversal.status(), 404);
    let unknown = server
        .http
        .get(server.url("/api/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: ApiError = unknown.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn health_reports_a_reachable_engine() {
    let server = TestServer::start("health").await;
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let health: Health = response.json().await.unwrap();
    assert!(health.docker.reachable, "{health:?}");
    assert_eq!(health.status, "ok");
    server.stop().await;
}

#[tokio::test]
async fn a_dead_engine_is_reported_and_sessions_are_refused_with_a_clear_message() {
    let instance = common::unique_instance("dead");
    let config = Config::for_tests(&instance);
    // A path that exists but where no engine listens, as after the daemon died.
    let socket = std::env::temp_dir().join(format!("{instance}.sock"));
    std::fs::write(&socket, b"").unwrap();
    let dead =
        Arc::new(DockerRuntime::connect_socket(socket.to_str().unwrap(), &instance).unwrap());
    let server = TestServer::start_on(config, Engine::of(dead)).await;
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let health: Health = response.json().await.unwrap();
    assert!(
        !health.docker.reachable && health.status == "degraded",
        "{health:?}"
    );
    let refused = server
        .http
        .post(server.url("/api/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    let body: ApiError = refused.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::RuntimeUnavailable);
    assert!(body.message.contains("not reachable"), "{}", body.message);
    server.stop().await;
    std::fs::remove_file(socket).ok();
}

#[tokio::test]
async fn the_frontend_is_served_with_a_fallback_for_its_routes() {
    let dir = std::env::temp_dir().join(common::unique_instance("static"));
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("index.html"), "<title>Quai</title>").unwrap();
    std::fs::write(dir.join("dist/app.js"), "console.log(1)").unwrap();
    let server = TestServer::start_with("static", |c| c.static_dir = dir.clone()).await;
    let page = server
        .http
        .get(server.url("/s/0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<title>Quai</title>"));
    let asset = server
        .http
        .get(server.url("/dist/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    let missing = server
        .http
        .get(server.url("/dist/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_session_opens_at_most_its_allowance_of_terminals() {
    let server = TestServer::start_with("terminal-cap", |c| c.max_terminals = 3).await;
    let session = server.create_session().await;
    let mut socket = server.socket(&session).await;
    socket.hello().await;
    for term in 1..=3 {
        socket.open_shell(term).await;
    }
    socket
        .send(&ClientMsg::OpenTerminal {
            term: 4,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    let (code, message, term) = socket.next_error_naming().await;
    assert_eq!(code, ErrorCode::Terminal);
    assert!(
        message.contains("3 terminals open") && message.contains("close one"),
        "{message}"
    );
    assert_eq!(term, Some(4), "the terminal over the limit is named");
    // Closing one makes room, and the others still answer.
    socket.send(&ClientMsg::CloseTerminal { term: 1 }).await;
    socket.open_shell(4).await;
    let out = socket.run(2, "echo still-here").await;
    assert!(out.contains("still-here"), "{out}");
    server.stop().await;
}

#[tokio::test]
async fn a_terminal_being_opened_holds_up_no_other_terminal_of_the_session() {
    use common::{Stall, Stalled};
    let instance = common::unique_instance("slow-open");
    let config = Config::for_tests(&instance);
    // The first terminal opens at once; the next one waits on a slow engine.
    let stalled = Arc::new(Stalled::new(
        DockerRuntime::connect(&instance)
            .unwrap()
            .with_subnets(config.subnet_range())
            .unwrap(),
        Stall::OpenTerminal,
        1,
    ));
    let (entered, gate) = (stalled.entered.clone(), stalled.gate.clone());
    let server = TestServer::start_on(config, stalled.engine()).await;
    let session = server.create_session().await;
    let mut typing = server.shell(&session).await;
    // Another page of the same session asks for a second terminal; the engine is slow.
    let mut opening = server.socket(&session).await;
    opening.hello().await;
    opening
        .send(&ClientMsg::OpenTerminal {
            term: 2,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    entered.notified().await;
    // Meanwhile the first terminal answers as usual.
    let out = typing.run(1, "echo not-held-up").await;
    assert!(out.contains("not-held-up"), "{out}");
    gate.add_permits(1);
    opening.wait_for_prompt(2).await;
    server.stop().await;
}
