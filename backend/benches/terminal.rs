//! `cargo bench -p quai-backend --bench terminal`: what a student feels, measured through
//! the real server and engine without a browser (`cargo xtask bench` adds the browser's
//! view): session start to prompt, cold and from the warm pool, for both profiles; keystroke
//! echo through Quai against a raw `docker exec` TTY on the same container; output
//! throughput; the first `docker run hello-world` and `docker pull nginx` in a new node; a
//! port announced after a server starts; starting a lesson and checking a step. Writes Markdown to
//! `target/bench/terminal.md` (or the path in QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use common::{TestServer, TestSocket};
use futures::StreamExt;
use quai_protocol::{ClientMsg, CreateSession, Profile};
use support::{ms, runs};
use tokio::io::AsyncWriteExt;

/// Sorted durations in milliseconds.
struct Sample(Vec<f64>);

impl Sample {
    fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        Sample(values)
    }
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i]
    }
    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            self.0.len(),
            self.0[0],
            self.pct(0.5),
            self.pct(0.99),
            self.0[self.0.len() - 1]
        )
    }
}

/// POST a session, open its socket and a terminal, until the prompt shows.
async fn to_prompt(server: &TestServer, profile: Profile) -> (f64, TestSocket) {
    let started = Instant::now();
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(profile),
        })
        .await;
    let socket = server.shell(&session).await;
    (ms(started.elapsed()), socket)
}

async fn wait_pool(server: &TestServer, profile: Profile) {
    let sessions = server
        .server
        .as_ref()
        .expect("running")
        .state
        .sessions
        .clone();
    while sessions.pool.len(profile) == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One keystroke at a time through Quai: time from sending a letter to seeing it echoed.
async fn echo_through_quai(socket: &mut TestSocket, keys: usize) -> Vec<f64> {
    socket.type_in(1, "cat >/dev/null\r").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        let letter = (b'a' + (i % 26) as u8) as char;
        let before = socket.output.get(&1).map_or(0, String::len);
        let sent = Instant::now();
        socket.type_in(1, &letter.to_string()).await;
        while socket.output.get(&1).map_or(0, String::len) <= before {
            socket.read_one().await.expect("socket open");
        }
        times.push(ms(sent.elapsed()));
    }
    socket.type_in(1, "\x03").await;
    times
}

/// The same through a raw `docker exec` TTY on a container, as the baseline.
async fn echo_through_docker_exec(container: &str, keys: usize) -> Vec<f64> {
    let docker = bollard::Docker::connect_with_defaults().expect("docker");
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                tty: Some(true),
                cmd: Some(vec!["cat"]),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = docker
        .start_exec(
            &exec.id,
            Some(StartExecOptions {
                tty: true,
                ..Default::default()
            }),
        )
        .await
        .expect("start")
    else {
        panic!("detached");
    };
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        let sent = Instant::now();
        input
            .write_all(&[b'a' + (i % 26) as u8])
            .await
            .expect("write");
        input.flush().await.expect("flush");
        output.next().await.expect("echo").expect("output");
        times.push(ms(sent.elapsed()));
    }
    times
}

/// MB/s of a terminal printing `bytes` of base64 through Quai, acknowledging as a browser does.
async fn throughput(socket: &mut TestSocket, bytes: u64) -> f64 {
    socket.send(&ClientMsg::Ack { term: 1, bytes: 0 }).await;
    let started = Instant::now();
    socket
        .type_in(
            1,
            &format!("head -c {bytes} /dev/zero | base64 -w 76; echo \"@@flood-$((20+22))@@\"\r"),
        )
        .await;
    let mut acked = 0u64;
    loop {
        socket.read_one().await.expect("socket open");
        let text = socket.output.get(&1).map_or(0, String::len) as u64;
        if text > acked + 64 * 1024 {
            acked = text;
            socket
                .send(&ClientMsg::Ack {
                    term: 1,
                    bytes: acked,
                })
                .await;
        }
        let tail = socket
            .output
            .get(&1)
            .map_or("", |t| t.get(t.len().saturating_sub(200)..).unwrap_or(t));
        if tail.contains("@@flood-42@@") {
            break;
        }
    }
    let printed = bytes as f64 * 4.0 / 3.0;
    printed / started.elapsed().as_secs_f64() / 1e6
}

#[tokio::main]
async fn main() {
    let n = runs();
    let mut out = String::new();
    out.push_str(&format!(
        "Measured with `cargo bench -p quai-backend --bench terminal` ({n} runs each; no browser), \
         on the machine that ran it: {} cores.\n\n",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    ));
    out.push_str("| measure (ms) | runs | min | p50 | p99 | max |\n|---|---|---|---|---|---|\n");

    let cold = TestServer::start_with("bench-cold", |c| c.pool_size = 0).await;
    let warm = TestServer::start_with("bench-warm", |c| {
        c.pool_size = 1;
        c.local_registry = true;
    })
    .await;
    for profile in [Profile::Shell, Profile::Docker] {
        let mut cold_times = Vec::new();
        let mut warm_times = Vec::new();
        for _ in 0..n {
            cold_times.push(to_prompt(&cold, profile).await.0);
            wait_pool(&warm, profile).await;
            warm_times.push(to_prompt(&warm, profile).await.0);
        }
        out.push_str(
            &Sample::new(cold_times)
                .row(&format!("start to prompt, {} node, cold", profile.as_str())),
        );
        out.push('\n');
        out.push_str(&Sample::new(warm_times).row(&format!(
            "start to prompt, {} node, warm pool",
            profile.as_str()
        )));
        out.push('\n');
    }

    // The first `docker run hello-world` in a fresh docker node, typed as soon as the prompt shows.
    let mut hello = Vec::new();
    for _ in 0..n {
        wait_pool(&warm, Profile::Docker).await;
        let (_, mut socket) = to_prompt(&warm, Profile::Docker).await;
        let started = Instant::now();
        socket
            .run(1, "docker run --rm hello-world >/dev/null")
            .await;
        hello.push(ms(started.elapsed()));
    }
    out.push_str(
        &Sample::new(hello).row("first `docker run hello-world` in a new docker node (warm)"),
    );
    out.push('\n');

    // The first `docker pull nginx` in a fresh docker node, from the local registry.
    let mut pulls = Vec::new();
    for _ in 0..n {
        wait_pool(&warm, Profile::Docker).await;
        let (_, mut socket) = to_prompt(&warm, Profile::Docker).await;
        socket.run(1, "docker version >/dev/null").await;
        let started = Instant::now();
        socket.run(1, "docker pull -q nginx >/dev/null").await;
        pulls.push(ms(started.elapsed()));
    }
    out.push_str(
        &Sample::new(pulls)
            .row("first `docker pull nginx` in a new docker node, from the local registry"),
    );
    out.push('\n');

    // Keystroke echo: through Quai, then a raw docker exec TTY on the same container.
    let keys = 200;
    let (_, mut socket) = to_prompt(&cold, Profile::Shell).await;
    let quai = echo_through_quai(&mut socket, keys).await;
    let container = common::containers_labelled("quai.instance", &cold.instance)
        .await
        .pop()
        .expect("a container");
    let raw = echo_through_docker_exec(&container, keys).await;
    out.push_str(&Sample::new(quai).row("keystroke echo through Quai (socket → exec → socket)"));
    out.push('\n');
    out.push_str(&Sample::new(raw).row("keystroke echo through a raw `docker exec` TTY"));
    out.push('\n');

    let mbps = throughput(&mut socket, 30_000_000).await;
    out.push_str(&format!(
        "\nTerminal output throughput through Quai, with acknowledgements as a browser sends them: \
         **{mbps:.1} MB/s** (40 MB of base64; the server's default output rate limit is {} MiB/s per terminal).\n",
        quai::config::DEFAULT_OUTPUT_RATE / (1024 * 1024)
    ));

    out.push_str("\n| measure (ms) | runs | min | p50 | p99 | max |\n|---|---|---|---|---|---|\n");
    // A server starts listening in a node: until the socket names its port (the chip).
    let mut chips = Vec::new();
    let (_, mut socket) = to_prompt(&cold, Profile::Shell).await;
    for i in 0..n {
        let port = 8100 + i as u16;
        let started = Instant::now();
        socket
            .type_in(
                1,
                &format!("python3 -m http.server {port} >/dev/null 2>&1 &\r"),
            )
            .await;
        socket
            .next_message(|m| matches!(m, quai_protocol::ServerMsg::Ports { ports, .. } if ports.iter().any(|p| p.port == port)))
            .await;
        chips.push(ms(started.elapsed()));
    }
    out.push_str(&Sample::new(chips).row("a server starts in a node → its port is announced"));
    out.push('\n');

    // A lesson: start it (session, assets, setup), then one Check (its script in the node).
    let mut starts = Vec::new();
    let mut checks = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let response = cold
            .http
            .post(cold.url("/api/lessons/first-container/start"))
            .send()
            .await
            .expect("lesson starts");
        assert_eq!(response.status(), 201);
        let lesson: quai_protocol::LessonStarted = response.json().await.expect("lesson body");
        starts.push(ms(started.elapsed()));
        let created = lesson.created;
        let started = Instant::now();
        let response = cold
            .http
            .post(cold.url(&format!("/api/sessions/{}/check", created.session.id)))
            .bearer_auth(&created.token)
            .json(&quai_protocol::CheckStep { step: 1 })
            .send()
            .await
            .expect("check answers");
        assert_eq!(response.status(), 200);
        checks.push(ms(started.elapsed()));
    }
    out.push_str(&Sample::new(starts).row("start a lesson (first-container: docker node, cold)"));
    out.push('\n');
    out.push_str(&Sample::new(checks).row("Check a step (its script run in the node)"));
    out.push('\n');

    cold.stop().await;
    warm.stop().await;
    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/terminal.md").to_string()
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {path}");
}
