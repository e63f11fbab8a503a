//! Terminals kept by `quai-keeper` (`--terminal-keeper quai`), against the real engine: the
//! program is mounted in each node, output reaches the page byte for byte, sizes reach the
//! shell in order with the keys, keys that look like the keeper's own frames stay keys, the
//! shell's exit status comes back, and a killed server's successor takes the same shell
//! back with what it printed, less the questions to the terminal in it (tmux, the other
//! keeper, too). A node where the keeper cannot run gets a plain shell.

mod common;

use common::served::{Cleanup, Launch, Served};
use common::{unique_instance, TestServer};
use quai::config::TerminalKeeper;
use quai_protocol::ServerMsg;

fn with_quai_keeper(config: &mut quai::Config) {
    config.terminal_keeper = TerminalKeeper::Quai;
    config.keeper_binary = Some(env!("CARGO_BIN_EXE_quai-keeper").into());
}

#[tokio::test]
async fn a_kept_terminal_passes_output_untouched_and_takes_its_size_in_band() {
    let server = TestServer::start_with("quai-keeper", with_quai_keeper).await;
    let created = server.create_session().await;
    let mut socket = server.socket(&created).await;
    socket.hello().await;
    socket.open_shell(1).await;

    // The shell runs under the keeper, not as the exec's own process.
    let parent = socket.run(1, "cat /proc/$PPID/comm").await;
    assert!(parent.contains("quai-keeper"), "{parent}");

    // Colours as the program wrote them: no keeper re-encodes them on the way.
    socket
        .type_in(1, "printf 'a\\033[38;5;208mb\\033[0mc-%s\\n' $((40+2))\r")
        .await;
    let raw = socket.wait_for_output(1, "c-42").await;
    assert!(raw.contains("a\x1b[38;5;208mb\x1b[0mc-42"), "{raw:?}");

    assert!(socket.run(1, "stty size").await.contains("24 80"));
    socket.resize(1, 132, 43).await;
    let size = socket.run(1, "stty size").await;
    assert!(size.contains("43 132"), "{size}");

    // A student typing the bytes of a size frame types keys: the size stays.
    socket.type_in(1, "echo \x01\x00\x04\x00\x09\x00\x09").await;
    socket.type_in(1, "\x15").await;
    let size = socket.run(1, "stty size").await;
    assert!(size.contains("43 132"), "{size}");

    // The shell's exit status is the terminal's.
    socket.type_in(1, "exit 7\r").await;
    let exited = socket
        .next_message(|m| matches!(m, ServerMsg::TerminalExited { term: 1, .. }))
        .await;
    let ServerMsg::TerminalExited { exit_code, .. } = exited else {
        unreachable!()
    };
    assert_eq!(exit_code, Some(7));

    // Opening it again starts a new shell.
    socket.output.remove(&1);
    socket.open_shell(1).await;
    let again = socket.run(1, "echo again-$((6*7))").await;
    assert!(again.contains("again-42"), "{again}");
    server.stop().await;
}

#[tokio::test]
async fn a_node_where_the_keeper_cannot_run_gets_a_plain_shell() {
    let not_a_program = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_a_program.path(), "not a program\n").unwrap();
    let path = not_a_program.path().to_path_buf();
    let server = TestServer::start_with("quai-keeper-unfit", |config| {
        config.terminal_keeper = TerminalKeeper::Quai;
        config.keeper_binary = Some(path);
    })
    .await;
    let created = server.create_session().await;
    let mut socket = server.socket(&created).await;
    socket.hello().await;
    socket.open_shell(1).await;
    let out = socket.run(1, "echo plain-$((6*7)); stty size").await;
    assert!(out.contains("plain-42"), "{out}");
    assert!(out.contains("24 80"), "{out}");
    server.stop().await;
}

#[tokio::test]
async fn a_killed_servers_successor_takes_the_same_shell_back_with_what_it_printed() {
    same_shell_after_a_kill("quai").await;
}

#[tokio::test]
async fn with_tmux_as_the_keeper_a_killed_servers_successor_takes_the_same_shell_back() {
    same_shell_after_a_kill("tmux").await;
}

/// A server with `keeper` killed with SIGKILL, and its successor: the same shell (pid,
/// background job), what it printed before (scrolled off included), the new size.
async fn same_shell_after_a_kill(keeper: &str) {
    let lessons = tempfile::tempdir().unwrap();
    let instance = unique_instance(&format!("{keeper}-keeper-restart"));
    let database = std::env::temp_dir().join(format!("quai-keeper-{instance}.db"));
    let _cleanup = Cleanup {
        instance: instance.clone(),
        database: database.clone(),
    };
    let launch = Launch::new(&instance, &database, lessons.path())
        .with("QUAI_TERMINAL_KEEPER", keeper)
        .with("QUAI_KEEPER_BINARY", env!("CARGO_BIN_EXE_quai-keeper"));
    let served = Served::spawn(launch);
    let server = served.client().await;
    let shell = server.create_session().await;
    let mut socket = server.socket(&shell).await;
    socket.hello().await;
    socket.open_shell(1).await;
    let pid = socket.run(1, "echo pid=$$").await;
    // With quai-keeper, a program asks the terminal a question (device attributes) that
    // nobody answers here; tmux would answer it itself, into the shell, as a terminal does.
    let asks = if keeper == "quai" {
        "printf 'asks-\\033[c-done\\n'; "
    } else {
        ""
    };
    socket
        .run(
            1,
            &format!("echo scrolled-$((40+2)); seq 1 60; {asks}sleep 4242 & echo before-the-kill"),
        )
        .await;
    drop(socket);

    let served = Served::spawn(served.kill_9());
    let server = served.client().await;
    let mut socket = server.socket(&shell).await;
    socket.hello().await;
    socket.ask_terminal(1, 100, 30).await;
    let replayed = socket.wait_for_output(1, "before-the-kill").await;
    socket.wait_for_output(1, "scrolled-42").await;
    // A question the shell's program asked the terminal before the restart (device
    // attributes) was answered then; replayed to a page, the page would answer again, into
    // the shell. quai-keeper's replay leaves it out.
    if keeper == "quai" {
        assert!(replayed.contains("asks--done"), "{replayed:?}");
        assert!(!replayed.contains("\x1b[c"), "{replayed:?}");
    }
    let now = socket.run(1, "jobs; echo pid=$$; stty size").await;
    assert!(now.contains("sleep 4242"), "{now}");
    let pid: String = pid[pid.find("pid=").expect("the shell's pid")..]
        .chars()
        .take_while(|c| *c == '=' || c.is_ascii_alphanumeric())
        .collect();
    assert!(now.contains(&pid), "not the same shell: {pid} then {now}");
    // quai-keeper takes the size in band, before the keys; tmux takes it from its client's
    // terminal, which it may read after the first command ran.
    if keeper == "quai" {
        assert!(now.contains("30 100"), "{now}");
    }
    let mut size = now;
    for _ in 0..50 {
        if size.contains("30 100") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        size = socket.run(1, "stty size").await;
    }
    assert!(size.contains("30 100"), "{size}");
    drop(served);
}
