//! `cargo bench -p quai-backend --bench shutdown`: stopping a server that holds many
//! sessions (QUAI_BENCH_SESSIONS, 500 by default, one shell node each), side by side: the
//! `end` policy (every session ended, containers and networks removed, a bounded number at
//! once), the `keep` policy (the default: sessions kept for the next start), and what an
//! operator would type instead, one `docker rm -f` of the same containers followed by one
//! `docker network rm` of their networks. Writes Markdown to `target/bench/shutdown.md` (or
//! the path in QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{containers_labelled, networks_labelled, TestServer};
use futures::StreamExt;
use quai::config::OnShutdown;
use quai::runtime::labels;

/// How many sessions one server holds when it stops.
fn sessions() -> usize {
    std::env::var("QUAI_BENCH_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500)
}

/// A server with room for `n` sessions from one client, and `n` shell sessions started on
/// it, 16 at a time; returns it and how long the starts took.
async fn full_server(name: &str, n: usize) -> (TestServer, Duration) {
    let server = TestServer::start_with(name, |config| {
        config.max_sessions = n + 8;
        config.max_nodes = n + 8;
        config.max_sessions_per_client = n + 8;
        config.create_per_minute = u32::MAX;
        config.pool_size = 0;
        config.idle_timeout = 3600;
    })
    .await;
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| server.create_session())
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let took = started.elapsed();
    let running = containers_labelled(labels::INSTANCE, &server.instance).await;
    assert_eq!(running.len(), n, "every session has its node");
    (server, took)
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

/// Runs `docker` with `args`, as an operator would at a shell.
fn docker(args: &[String]) {
    let status = Command::new("docker")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the docker command runs");
    assert!(status.success(), "docker {} failed", args[0]);
}

#[tokio::main]
async fn main() {
    let n = sessions();
    let mut rows = Vec::new();

    // The `end` policy.
    let (mut server, started) = full_server("bench-shutdown-end", n).await;
    let instance = server.instance.clone();
    let stopping = Instant::now();
    server
        .server
        .take()
        .expect("running")
        .shutdown_with(OnShutdown::End)
        .await;
    let ended = stopping.elapsed();
    let left = containers_labelled(labels::INSTANCE, &instance).await.len()
        + networks_labelled(labels::INSTANCE, &instance).await.len();
    rows.push((
        "`--on-shutdown end`: every session ended, its containers and network removed",
        ended,
        format!("{left} containers or networks left"),
    ));
    drop(server);

    // The `keep` policy, then the same containers removed by hand.
    let (mut server, started_again) = full_server("bench-shutdown-keep", n).await;
    let instance = server.instance.clone();
    let stopping = Instant::now();
    server
        .server
        .take()
        .expect("running")
        .shutdown_with(OnShutdown::Keep)
        .await;
    let kept = stopping.elapsed();
    let containers = containers_labelled(labels::INSTANCE, &instance).await;
    rows.push((
        "`--on-shutdown keep` (the default): sessions kept for the next start",
        kept,
        format!("{} containers still running", containers.len()),
    ));
    let removing = Instant::now();
    let mut args = vec!["rm".to_string(), "-f".to_string()];
    args.extend(containers.iter().cloned());
    docker(&args);
    let networks = networks_labelled(labels::INSTANCE, &instance).await;
    let mut args = vec!["network".to_string(), "rm".to_string()];
    args.extend(networks.iter().cloned());
    docker(&args);
    let by_hand = removing.elapsed();
    let left = containers_labelled(labels::INSTANCE, &instance).await.len()
        + networks_labelled(labels::INSTANCE, &instance).await.len();
    rows.push((
        "by hand: one `docker rm -f` of the same containers, one `docker network rm` of their networks",
        by_hand,
        format!("{left} containers or networks left"),
    ));
    drop(server);

    let mut out = format!(
        "Measured with `cargo bench -p quai-backend --bench shutdown`: a server holding {n} \
         sessions of one shell node each (started 16 at a time through the API: {} s, then {} s \
         again) stops, on the machine that ran it: {} cores. Times run from the stop until \
         it returned.\n\n| stopping {n} sessions | seconds | after |\n|---|---|---|\n",
        secs(started),
        secs(started_again),
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
    );
    for (what, took, after) in rows {
        out.push_str(&format!("| {what} | **{}** | {after} |\n", secs(took)));
    }
    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/shutdown.md").to_string()
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {path}");
}
