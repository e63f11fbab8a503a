//! Sessions against the real Docker Engine: a shell in a fresh container answers through
//! the socket, follows resizes, keeps its scrollback across reconnects, and everything a
//! session made is gone when it ends, expires, or the server stops.

mod common;

use reqwest::Method;

use common::{containers_labelled, networks_labelled, TestServer};
use quai_protocol::{ClientMsg, EndReason, ServerMsg};

#[tokio::test]
async fn a_shell_in_a_fresh_container_runs_commands_and_prints_their_output() {
    let server = TestServer::start("shell").await;
    let session = server.create_session().await;
    assert_eq!(session.session.nodes.len(), 1);
    let mut socket = server.socket(&session).await;
    let hello = socket.hello().await;
    assert!(
        matches!(hello, ServerMsg::Hello { ref session, .. } if session.nodes[0].name == "node1"),
        "{hello:?}"
    );
    socket.open_shell(1).await;
    socket.type_in(1, "echo quai-$((6*7))\r").await;
    socket.wait_for_output(1, "quai-42").await;
    socket
        .type_in(
            1,
            "uname -s; hostname; . /etc/os-release; echo codename-$VERSION_CODENAME\r",
        )
        .await;
    let text = socket.wait_for_output(1, "codename-bookworm").await;
    assert!(text.contains("Linux") && text.contains("node1"), "{text}");
    server.stop().await;
}

/// The page asks for its first terminal right behind `Hello`, without waiting for the answer:
/// the answer comes first, then the terminal.
#[tokio::test]
async fn a_terminal_asked_for_right_behind_hello_opens_after_its_answer() {
    let server = TestServer::start("pipelined").await;
    let session = server.create_session().await;
    let mut socket = server.socket(&session).await;
    socket
        .send(&ClientMsg::Hello {
            version: quai_protocol::PROTOCOL_VERSION,
        })
        .await;
    socket.ask_terminal(1, 80, 24).await;
    socket.wait_for_prompt(1).await;
    let order: Vec<&str> = socket
        .messages
        .iter()
        .filter_map(|m| match m {
            ServerMsg::Hello { .. } => Some("hello"),
            ServerMsg::TerminalOpened { term: 1, .. } => Some("opened"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["hello", "opened"]);
    socket.type_in(1, "echo piped-$((6*7))\r").await;
    socket.wait_for_output(1, "piped-42").await;
    server.stop().await;
}

#[tokio::test]
async fn the_terminal_follows_resizes() {
    let server = TestServer::start("resize").await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;
    socket.type_in(1, "stty size\r").await;
    socket.wait_for_output(1, "24 80").await;
    socket.resize(1, 132, 43).await;
    socket.type_in(1, "stty size\r").await;
    socket.wait_for_output(1, "43 132").await;
    server.stop().await;
}

/// A page attaching to a running shell has it resized behind its screen; a resize sent right
/// after still wins, whatever the engine's pace.
#[tokio::test]
async fn a_shell_reattached_at_a_new_size_and_resized_at_once_keeps_the_last_size() {
    let server = TestServer::start("resize-order").await;
    let session = server.create_session().await;
    let first = server.shell(&session).await;
    drop(first);
    let mut second = server.socket(&session).await;
    second.hello().await;
    for _ in 0..3 {
        second.ask_terminal(1, 100, 30).await;
        second.resize(1, 132, 43).await;
    }
    // The terminal keeper passes a burst of resizes on to the shell a moment later: the size
    // is read until it settles, which it must do on the last one.
    let mut sizes = Vec::new();
    for round in 0..20 {
        second
            .type_in(
                1,
                &format!("printf 'size-%s-%s-end\\n' {round} \"$(stty size | tr ' ' x)\"\r"),
            )
            .await;
        let text = second.wait_for_output(1, &format!("size-{round}-")).await;
        let size = text
            .rsplit(&format!("size-{round}-"))
            .next()
            .and_then(|rest| rest.split("-end").next())
            .unwrap_or_default()
            .to_string();
        if size.starts_with("43x132") {
            break;
        }
        sizes.push(size);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        sizes.len() < 20,
        "the shell never took the last size, 132×43: it read {sizes:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_reconnect_replays_the_scrollback_and_the_same_shell_goes_on() {
    let server = TestServer::start("reconnect").await;
    let session = server.create_session().await;
    let mut first = server.shell(&session).await;
    first
        .type_in(1, "export MARK=kept; echo before-$((1+1))\r")
        .await;
    first.wait_for_output(1, "before-2").await;
    drop(first);

    let mut second = server.socket(&session).await;
    let hello = second.hello().await;
    assert!(
        matches!(hello, ServerMsg::Hello { ref session, .. } if session.terminals.len() == 1),
        "{hello:?}"
    );
    second
        .send(&ClientMsg::OpenTerminal {
            term: 1,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    let opened = second
        .next_message(|m| matches!(m, ServerMsg::TerminalOpened { .. }))
        .await;
    assert!(
        matches!(opened, ServerMsg::TerminalOpened { replay, .. } if replay > 0),
        "{opened:?}"
    );
    second.wait_for_output(1, "before-2").await;
    second.type_in(1, "echo still-$MARK\r").await;
    second.wait_for_output(1, "still-kept").await;
    server.stop().await;
}

#[tokio::test]
async fn ending_a_session_removes_its_containers_and_network_and_tells_its_sockets() {
    let server = TestServer::start("end").await;
    let session = server.create_session().await;
    let id = session.session.id.clone();
    assert_eq!(containers_labelled("quai.session", &id).await.len(), 1);
    assert_eq!(networks_labelled("quai.session", &id).await.len(), 1);
    let mut socket = server.shell(&session).await;

    let response = server.as_owner(Method::DELETE, &session, "").await;
    assert_eq!(response.status(), 204);
    let ended = socket
        .next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMsg::SessionEnded {
            reason: EndReason::Ended
        }
    );
    socket.until_closed().await;
    assert!(containers_labelled("quai.session", &id).await.is_empty());
    assert!(networks_labelled("quai.session", &id).await.is_empty());
    let gone = server.as_owner(Method::GET, &session, "").await;
    assert_eq!(gone.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_session_is_ended_and_removed() {
    let server = TestServer::start_with("expiry", |c| c.session_ttl = 8).await;
    let session = server.create_session().await;
    let id = session.session.id.clone();
    let mut socket = server.shell(&session).await;
    let warned = socket
        .next_message(|m| matches!(m, ServerMsg::Expiring { .. }))
        .await;
    assert!(
        matches!(warned, ServerMsg::Expiring { seconds_left } if seconds_left <= 60),
        "{warned:?}"
    );
    let ended = socket
        .next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMsg::SessionEnded {
            reason: EndReason::Expired
        }
    );
    assert!(containers_labelled("quai.session", &id).await.is_empty());
    assert!(networks_labelled("quai.session", &id).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn stopping_the_server_removes_every_container_it_started() {
    let server = TestServer::start("shutdown").await;
    let instance = server.instance.clone();
    let a = server.create_session().await;
    let _b = server.create_session().await;
    let mut socket = server.socket(&a).await;
    socket.hello().await;
    assert_eq!(
        containers_labelled("quai.instance", &instance).await.len(),
        2
    );
    server.stop().await;
    let ended = socket
        .next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMsg::SessionEnded {
            reason: EndReason::ServerShutdown
        }
    );
    assert!(containers_labelled("quai.instance", &instance)
        .await
        .is_empty());
    assert!(networks_labelled("quai.instance", &instance)
        .await
        .is_empty());
}

#[tokio::test]
async fn leftovers_of_a_crashed_run_are_removed_when_the_server_starts_again() {
    let crashed = TestServer::start("leftovers").await;
    let instance = crashed.instance.clone();
    crashed.create_session().await;
    assert_eq!(
        containers_labelled("quai.instance", &instance).await.len(),
        1
    );
    // A crash: the server vanishes without ending its sessions.
    let mut crashed = crashed;
    std::mem::forget(crashed.server.take());
    drop(crashed);

    let restarted = TestServer::start_with("leftovers", |c| c.instance = instance.clone()).await;
    assert!(containers_labelled("quai.instance", &instance)
        .await
        .is_empty());
    assert!(networks_labelled("quai.instance", &instance)
        .await
        .is_empty());
    restarted.stop().await;
}

#[tokio::test]
async fn a_shell_that_exits_is_reported_and_opening_it_again_starts_a_new_one() {
    let server = TestServer::start("exit").await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;
    socket.type_in(1, "exit 3\r").await;
    let exited = socket
        .next_message(|m| matches!(m, ServerMsg::TerminalExited { .. }))
        .await;
    assert_eq!(
        exited,
        ServerMsg::TerminalExited {
            term: 1,
            exit_code: Some(3)
        }
    );
    socket.open_shell(1).await;
    socket.type_in(1, "echo again-$((2*4))\r").await;
    socket.wait_for_output(1, "again-8").await;
    server.stop().await;
}

#[tokio::test]
async fn two_terminals_of_one_node_are_independent_shells() {
    let server = TestServer::start("twoterms").await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;
    socket.open_shell(2).await;
    socket.type_in(2, "echo only-in-$((1+1))\r").await;
    socket.wait_for_output(2, "only-in-2").await;
    socket.type_in(1, "echo first-$((0+1))\r").await;
    let first = socket.wait_for_output(1, "first-1").await;
    assert!(!first.contains("only-in-2"), "{first}");
    server.stop().await;
}

#[tokio::test]
async fn a_terminal_an_earlier_quai_kept_in_the_nodes_one_tmux_server_is_taken_back() {
    // Quai once kept every terminal of a node in one tmux server (socket `quai`); a node it
    // started then and kept across an upgrade still has its shells there.
    let server = TestServer::start_with("legacykeeper", |config| {
        config.terminal_keeper = quai::config::TerminalKeeper::Tmux;
    })
    .await;
    let session = server.create_session().await;
    let mut socket = server.shell(&session).await;
    let (code, out) = common::exec_in_node(
        &server,
        &session,
        "node1",
        "tmux -L quai new-session -d -s t3 'bash -l' && sleep 0.5 && \
         tmux -L quai send-keys -t =t3: 'echo kept-by-$((6*7))' Enter",
        b"",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    socket.open_shell(3).await;
    socket.wait_for_output(3, "kept-by-42").await;
    socket.type_in(3, "echo still-$((2+3))\r").await;
    socket.wait_for_output(3, "still-5").await;
    server.stop().await;
}

#[tokio::test]
async fn forty_sessions_run_at_once_each_on_a_subnet_of_its_own() {
    let server = common::TestServer::start("forty").await;
    // More networks than Docker's default address pools hold (about thirty).
    let mut sessions = Vec::new();
    for _ in 0..5 {
        let batch = futures::future::join_all((0..8).map(|_| server.create_session())).await;
        sessions.extend(batch);
    }
    assert_eq!(sessions.len(), 40);
    let mut subnets = Vec::new();
    for session in &sessions {
        let out = std::process::Command::new("docker")
            .args([
                "network",
                "inspect",
                "-f",
                "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
                &format!("quai-{}", session.session.id),
            ])
            .output()
            .unwrap();
        let subnet = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            subnet.starts_with("10.213.") && subnet.ends_with("/28"),
            "{subnet}"
        );
        subnets.push(subnet);
    }
    subnets.sort();
    subnets.dedup();
    assert_eq!(subnets.len(), 40);
    server.stop().await;
}
