//! Session lifecycle against the real engine: extending up to the maximum lifetime, idle
//! sessions reclaimed, the per-client rate limit, flow control of a flooding terminal, and
//! an engine that goes away and comes back (sessions that survived go on; lost ones end).

mod common;

use reqwest::Method;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::{containers_labelled, TestServer, PATIENCE};
use quai::runtime::{DockerRuntime, Engine};
use quai::Config;
use quai_protocol::{ApiError, ClientMsg, EndReason, ErrorCode, ServerMsg, SessionInfo};
use tokio::net::{UnixListener, UnixStream};

#[tokio::test]
async fn a_session_is_extended_up_to_its_maximum_lifetime() {
    let server = TestServer::start_with("extend", |c| {
        c.session_ttl = 600;
        c.extend_step = 300;
        c.max_lifetime = 1000;
    })
    .await;
    let session = server.create_session().await;
    assert_eq!(
        session.session.max_expires_at - session.session.created_at,
        1000
    );
    let extend = || async { server.as_owner(Method::POST, &session, "/extend").await };
    let first: SessionInfo = extend().await.json().await.unwrap();
    assert_eq!(first.expires_at, session.session.expires_at + 300);
    let second: SessionInfo = extend().await.json().await.unwrap();
    assert_eq!(second.expires_at, session.session.max_expires_at);
    let third = extend().await;
    assert_eq!(third.status(), 409);
    let body: ApiError = third.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::ExtendLimit);
    server.stop().await;
}

#[tokio::test]
async fn a_session_nobody_has_open_is_reclaimed_after_the_idle_timeout() {
    let server = TestServer::start_with("idle", |c| c.idle_timeout = 5).await;
    let watched = server.create_session().await;
    let mut socket = server.socket(&watched).await;
    socket.hello().await;
    let idle = server.create_session().await;
    let id = idle.session.id.clone();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !containers_labelled("quai.session", &id).await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle session was never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The session with an open socket is still there.
    assert_eq!(
        containers_labelled("quai.session", &watched.session.id)
            .await
            .len(),
        1
    );
    socket.send(&ClientMsg::Ping { nonce: 5 }).await;
    assert_eq!(
        socket
            .next_message(|m| matches!(m, ServerMsg::Pong { .. }))
            .await,
        ServerMsg::Pong { nonce: 5 }
    );
    server.stop().await;
}

#[tokio::test]
async fn one_client_cannot_create_sessions_faster_than_the_rate_limit() {
    let server = TestServer::start_with("ratelimit", |c| c.create_per_minute = 2).await;
    server.create_session().await;
    server.create_session().await;
    let third = server
        .http
        .post(server.url("/api/sessions"))
        .json(&serde_json::json!({"profile": "shell"}))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 429);
    let body: ApiError = third.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::RateLimited);
    assert!(body.retry_after_secs.is_some_and(|s| s <= 60), "{body:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_flooding_terminal_pauses_until_the_browser_catches_up_and_ctrl_c_stops_it() {
    let server = TestServer::start("flood").await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;
    // This browser acknowledges: it takes part in flow control from now on.
    socket.send(&ClientMsg::Ack { term: 1, bytes: 0 }).await;
    socket.type_in(1, "yes flood-line\r").await;
    // Read until the terminal goes quiet: it must stop near the high-water mark.
    let mut received = 0usize;
    loop {
        let before = socket.output.get(&1).map_or(0, String::len);
        match tokio::time::timeout(Duration::from_secs(2), socket.read_one()).await {
            Ok(Some(())) => {}
            Ok(None) => panic!("the socket closed"),
            Err(_) => break,
        }
        received += socket.output.get(&1).map_or(0, String::len) - before;
        assert!(
            received < 4 * 1024 * 1024,
            "the flood was not paused: {received} bytes without an ack"
        );
    }
    assert!(
        received > 64 * 1024,
        "the flood never started: {received} bytes"
    );
    socket.type_in(1, "\x03").await;
    // Acknowledge everything from now on, as the browser does while it writes.
    let mut acked = 0u64;
    let mut typed = None;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let opened = socket.output.get(&1).map_or(0, String::len) as u64;
        if opened > acked {
            acked = opened;
            socket
                .send(&ClientMsg::Ack {
                    term: 1,
                    bytes: acked,
                })
                .await;
        }
        if socket.output.get(&1).is_some_and(|t| t.contains("done-42")) {
            break;
        }
        // Typed until the shell answers: what is typed before the interrupt lands is
        // flushed with it.
        if typed.is_none_or(|at: tokio::time::Instant| at.elapsed() > Duration::from_secs(2)) {
            socket.type_in(1, "echo done-$((6*7))\r").await;
            typed = Some(tokio::time::Instant::now());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the shell never came back after Ctrl-C"
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.read_one()).await;
    }
    server.stop().await;
}

/// A stand-in for the engine's socket that forwards to the real one until it is stopped.
struct EngineProxy {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl EngineProxy {
    fn start(path: PathBuf) -> Self {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut engine) = UnixStream::connect("/var/run/docker.sock").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        EngineProxy { path, task }
    }

    fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
        // Connections refused from now on, as from a dead daemon.
        std::fs::write(&self.path, b"").unwrap();
    }
}

#[tokio::test]
async fn when_the_engine_comes_back_lost_sessions_end_and_the_others_go_on() {
    let instance = common::unique_instance("engine");
    let path = std::env::temp_dir().join(format!("{instance}.sock"));
    let proxy = EngineProxy::start(path.clone());
    let runtime =
        Arc::new(DockerRuntime::connect_socket(path.to_str().unwrap(), &instance).unwrap());
    let server = TestServer::start_on(Config::for_tests(&instance), Engine::of(runtime)).await;
    let kept = server.create_session().await;
    let lost = server.create_session().await;
    let mut kept_socket = server.shell(&kept).await;
    let mut lost_socket = server.socket(&lost).await;
    lost_socket.hello().await;

    proxy.stop();
    let (code, message) = kept_socket.next_error().await;
    assert_eq!(code, ErrorCode::RuntimeUnavailable, "{message}");
    // While the engine is out of reach, one session's container disappears.
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    for id in containers_labelled("quai.session", &lost.session.id).await {
        docker
            .remove_container(
                &id,
                Some(bollard::container::RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await
            .unwrap();
    }
    let proxy = EngineProxy::start(path.clone());

    let ended = lost_socket
        .next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMsg::SessionEnded {
            reason: EndReason::Lost
        }
    );
    let back = kept_socket
        .next_message(|m| matches!(m, ServerMsg::Notice { .. }))
        .await;
    assert!(
        matches!(back, ServerMsg::Notice { ref message } if message.contains("back")),
        "{back:?}"
    );
    kept_socket.type_in(1, "echo survived-$((3*3))\r").await;
    kept_socket.wait_for_output(1, "survived-9").await;
    server.stop().await;
    proxy.stop();
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_new_session_takes_a_ready_node_from_the_warm_pool_which_then_refills() {
    let server = TestServer::start_with("pool", |c| c.pool_size = 1).await;
    let sessions = server.server.as_ref().unwrap().state.sessions.clone();
    let ready = |profile| {
        let sessions = sessions.clone();
        async move {
            let deadline = tokio::time::Instant::now() + PATIENCE;
            while sessions.pool.len(profile) < 1 {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the pool never filled"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    ready(quai_protocol::Profile::Docker).await;
    ready(quai_protocol::Profile::Shell).await;
    let before = containers_labelled("quai.instance", &server.instance).await;
    assert_eq!(before.len(), 2, "one ready node per profile");

    let session = server
        .create(&quai_protocol::CreateSession {
            nodes: Some(1),
            profile: Some(quai_protocol::Profile::Docker),
        })
        .await;
    let mine = containers_labelled("quai.session", &session.session.id).await;
    assert_eq!(mine.len(), 1);
    assert!(
        before.contains(&mine[0]),
        "the session did not get the ready node"
    );
    let mut socket = server.shell(&session).await;
    let hello = socket
        .run(
            1,
            "hostname; docker run --rm hello-world | grep -c 'Hello from Docker'",
        )
        .await;
    assert!(hello.contains("node1") && hello.contains('1'), "{hello}");
    ready(quai_protocol::Profile::Docker).await;
    let instance = server.instance.clone();
    server.stop().await;
    assert!(
        containers_labelled("quai.instance", &instance)
            .await
            .is_empty(),
        "the pool was not emptied at shutdown"
    );
}

#[tokio::test]
async fn a_session_from_the_warm_pool_shows_the_prompt_its_shell_printed_before_the_click() {
    let server = TestServer::start_with("pool-shell", |c| c.pool_size = 1).await;
    let sessions = server.server.as_ref().unwrap().state.sessions.clone();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sessions.pool.len(quai_protocol::Profile::Shell) < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pool never filled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let session = server
        .create(&quai_protocol::CreateSession {
            nodes: Some(1),
            profile: Some(quai_protocol::Profile::Shell),
        })
        .await;
    let mut socket = server.socket(&session).await;
    socket.hello().await;
    socket.open_shell(1).await;
    // The shell was at its prompt before the page asked for it: the prompt comes back as
    // replayed output, with no shell to start.
    let replay = socket
        .messages
        .iter()
        .find_map(|m| match m {
            ServerMsg::TerminalOpened {
                term: 1, replay, ..
            } => Some(*replay),
            _ => None,
        })
        .expect("terminal 1 was opened");
    assert!(replay > 0, "the prompt was not waiting in the replay");
    let out = socket.run(1, "echo pooled-$((6*7)); tty").await;
    assert!(
        out.contains("pooled-42") && out.contains("/dev/pts/"),
        "{out}"
    );
    server.stop().await;
}
