//! `cargo bench -p quai-backend --bench dind`: docker nodes in rootless mode (the default,
//! no privilege on the host) beside caps mode (root on the host in all but name, the mode
//! rootless replaced), measured in one run, interleaved run by run: node start to prompt,
//! the first `docker run hello-world`, the first `docker pull nginx` from the local
//! registry, a small `docker build` (BuildKit, the default, and the classic builder), HTTP
//! throughput of a container's published port through the port preview, and the memory of
//! an idle node. Writes Markdown to
//! `target/bench/dind.md` (or the path in QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::container::{MemoryStatsStats, StatsOptions};
use common::{TestServer, TestSocket};
use futures::StreamExt;
use quai::config::DindMode;
use quai::runtime::{DockerRuntime, Engine};
use quai::Config;
use quai_protocol::{CreateSession, Profile, SessionCreated};
use support::{ms, runs};

/// A server whose docker nodes run in `mode`, with the local registry, no warm pool.
async fn server(mode: DindMode) -> TestServer {
    let mut config = Config::for_tests(&common::unique_instance(&format!(
        "bench-{}",
        format!("{mode:?}").to_lowercase()
    )));
    config.dind_mode = mode;
    config.allow_host_root = mode.gives_host_root();
    config.local_registry = true;
    config.pool_size = 0;
    config.node_memory_mb = 1024;
    let runtime = DockerRuntime::connect(&config.instance)
        .expect("docker client")
        .with_subnets(config.subnet_range())
        .expect("session subnets")
        .with_dind_mode(mode);
    TestServer::start_on(config, Engine::of(Arc::new(runtime))).await
}

/// What one fresh node gave, in one mode.
#[derive(Default)]
struct Run {
    prompt: f64,
    hello: f64,
    pull: f64,
    build: f64,
    classic: f64,
    /// MB/s through the preview.
    http: f64,
    /// MiB, the node idle after its engine started.
    memory: f64,
}

async fn one_run(server: &TestServer) -> Run {
    let mut run = Run::default();
    let started = Instant::now();
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;
    run.prompt = ms(started.elapsed());

    let started = Instant::now();
    socket
        .run(1, "docker run --rm hello-world >/dev/null")
        .await;
    run.hello = ms(started.elapsed());

    run.memory = idle_memory(&session).await;

    let started = Instant::now();
    socket.run(1, "docker pull -q nginx >/dev/null").await;
    run.pull = ms(started.elapsed());

    socket.run(1, "docker pull -q busybox >/dev/null; mkdir -p /root/b && printf 'FROM busybox\\nRUN echo built > /built\\nCMD cat /built\\n' > /root/b/Dockerfile").await;
    let started = Instant::now();
    let built = socket
        .run(
            1,
            "docker build -q --no-cache -t small /root/b >/dev/null 2>&1 && docker run --rm small",
        )
        .await;
    assert!(built.contains("built"), "{built}");
    run.build = ms(started.elapsed());
    let started = Instant::now();
    let built = socket
        .run(1, "DOCKER_BUILDKIT=0 docker build -q --no-cache -t small2 /root/b >/dev/null 2>&1 && docker run --rm small2")
        .await;
    assert!(built.contains("built"), "{built}");
    run.classic = ms(started.elapsed());

    run.http = preview_throughput(server, &session, &mut socket).await;
    server.as_owner(reqwest::Method::DELETE, &session, "").await;
    run
}

/// The node's memory once its engine idles: what the engine of the host counts, less the
/// page cache it could drop.
async fn idle_memory(session: &SessionCreated) -> f64 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let container = common::containers_labelled("quai.session", &session.session.id)
        .await
        .pop()
        .expect("the node's container");
    let stats = docker
        .stats(
            &container,
            Some(StatsOptions {
                stream: false,
                one_shot: false,
            }),
        )
        .next()
        .await
        .expect("stats")
        .expect("stats answer");
    let usage = stats.memory_stats.usage.unwrap_or(0);
    let cache = match stats.memory_stats.stats {
        Some(MemoryStatsStats::V1(v1)) => v1.total_inactive_file,
        Some(MemoryStatsStats::V2(v2)) => v2.inactive_file,
        None => 0,
    };
    usage.saturating_sub(cache) as f64 / (1024.0 * 1024.0)
}

/// nginx in a container of the node, published on 8080, serving 64 MB, fetched four times
/// through `/p/{session}/node1/8080/`.
async fn preview_throughput(
    server: &TestServer,
    session: &SessionCreated,
    socket: &mut TestSocket,
) -> f64 {
    let ready = socket
        .run(
            1,
            "mkdir -p /root/www && head -c 67108864 /dev/zero > /root/www/big.bin && docker run -d -p 8080:80 -v /root/www:/usr/share/nginx/html:ro nginx >/dev/null && for i in $(seq 100); do curl -sf -o /dev/null localhost:8080/big.bin && echo served && break; sleep 0.2; done",
        )
        .await;
    assert!(ready.contains("served"), "{ready}");
    let started = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..4 {
        let body = server
            .preview_get(session, "node1", 8080, "/big.bin")
            .await
            .bytes()
            .await
            .unwrap();
        bytes += body.len();
    }
    assert_eq!(bytes, 4 * 67_108_864);
    bytes as f64 / 1e6 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}

#[tokio::main]
async fn main() {
    let n = runs();
    let modes = [DindMode::Rootless, DindMode::Caps];
    let servers = [server(modes[0]).await, server(modes[1]).await];
    let mut results: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..n {
        for (i, server) in servers.iter().enumerate() {
            results[i].push(one_run(server).await);
        }
    }
    for server in servers {
        server.stop().await;
    }
    type Pick = fn(&Run) -> f64;
    let rows: [(&str, Pick, &str); 7] = [
        ("node start → prompt (ms)", |r| r.prompt, "lower"),
        (
            "first `docker run hello-world`, typed at the prompt (ms)",
            |r| r.hello,
            "lower",
        ),
        (
            "first `docker pull nginx`, from the local registry (ms)",
            |r| r.pull,
            "lower",
        ),
        (
            "small `docker build` (BuildKit, the nodes' default; FROM busybox, one RUN, no cache) and run (ms)",
            |r| r.build,
            "lower",
        ),
        (
            "the same build with the classic builder (`DOCKER_BUILDKIT=0`) and run (ms)",
            |r| r.classic,
            "lower",
        ),
        (
            "HTTP through the preview from a published port (MB/s)",
            |r| r.http,
            "higher",
        ),
        (
            "idle node memory, engine started (MiB)",
            |r| r.memory,
            "lower",
        ),
    ];
    let mut out = format!(
        "Measured with `cargo bench -p quai-backend --bench dind` ({n} fresh nodes per mode, \
         the two modes taking turns), on the machine that ran it: {} cores. Each cell is \
         min / median / max.\n\n\
         | measure | rootless (default) | caps (root on the host) | rootless ÷ caps, median |\n|---|---|---|---|\n",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    for (name, pick, better) in rows {
        let rootless = median(results[0].iter().map(pick).collect());
        let caps = median(results[1].iter().map(pick).collect());
        out.push_str(&format!(
            "| {name} | {:.1} / **{:.1}** / {:.1} | {:.1} / **{:.1}** / {:.1} | {:.2} ({better} is better) |\n",
            rootless.0,
            rootless.1,
            rootless.2,
            caps.0,
            caps.1,
            caps.2,
            rootless.1 / caps.1
        ));
    }
    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/dind.md").to_string()
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {path}");
}
