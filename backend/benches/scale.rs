//! `cargo bench -p quai-backend --bench scale`: how many sessions one `quai serve` holds on
//! the machine that runs it.
//!
//! - **Held at once**: one typist (a shell session, keys into `cat` one at a time over the
//!   socket) while K other sessions sit idle, each with its terminal open on a socket as a
//!   page keeps it, left alone for over a minute (`ws::ports::QUICK_FOR`); K grows in steps (QUAI_BENCH_HOLD, `0,50,100,200,300` shell sessions;
//!   QUAI_BENCH_HOLD_DOCKER, `0,4,8,16` docker sessions). At each step: the server's
//!   resident memory (its slope is the memory per idle session), the machine's memory and
//!   CPU, and the typist's echo beside its echo with none held.
//! - **Requested at once** (QUAI_BENCH_AT_ONCE, `50,200`): that many shell sessions
//!   started at the same moment (`POST /api/sessions`, limits lifted), each until a prompt
//!   in its terminal; side by side, an administrator's script starting 50 containers of the
//!   same image at once (`docker run -d` then `docker exec`).
//!
//! Writes Markdown to `target/bench/scale.md` (or QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use quai_protocol::Profile;
use support::bot::{self, slope, Bot, Failure, Sample};
use support::served::{self, room_for, Served};

/// The aims.
const KIB_PER_SESSION: f64 = 100.0;
const ECHO_OVER_IDLE: f64 = 2.0;
/// Sessions started at once while filling a step.
const FILLING: usize = 16;
/// The peer script's containers carry this instance label (no server owns it).
const PEER_INSTANCE: &str = "bench-scale-peer";

fn steps(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn keys() -> usize {
    std::env::var("QUAI_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// The machine's memory in all, MiB.
fn machine_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn read_number(path: &str) -> f64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// What the sessions of `instance` use outside the server, as the engine's cgroups (v1,
/// cgroupfs) and /proc show it: their containers and each one's containerd shim, memory
/// (MiB) and CPU seconds so far; and the CPU seconds of the engine itself (dockerd and
/// containerd, which other users of the machine share).
struct Footprint {
    memory: f64,
    cpu: f64,
    engine_cpu: f64,
}

fn footprint(instance: &str) -> Footprint {
    let ids = Command::new("docker")
        .args(["ps", "-q", "--no-trunc", "--filter"])
        .arg(format!(
            "label={}={instance}",
            quai::runtime::labels::INSTANCE
        ))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let ids: Vec<&str> = ids.lines().collect();
    let (mut memory, mut cpu, mut engine_cpu) = (0.0, 0.0, 0.0);
    for id in &ids {
        let stat =
            std::fs::read_to_string(format!("/sys/fs/cgroup/memory/docker/{id}/memory.stat"))
                .unwrap_or_default();
        let inactive = stat
            .lines()
            .find_map(|l| l.strip_prefix("total_inactive_file "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        memory += read_number(&format!(
            "/sys/fs/cgroup/memory/docker/{id}/memory.usage_in_bytes"
        )) - inactive;
        cpu += read_number(&format!("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage")) / 1e9;
    }
    memory /= 1024.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let program = cmdline.split(' ').next().unwrap_or_default();
        if program.ends_with("dockerd") || program.ends_with("containerd") {
            engine_cpu += served::cpu_of(pid);
        } else if program.contains("containerd-shim") && ids.iter().any(|id| cmdline.contains(id)) {
            memory += served::rss_kib_of(pid);
            cpu += served::cpu_of(pid);
        }
    }
    Footprint {
        memory: memory / 1024.0,
        cpu,
        engine_cpu,
    }
}

/// One step of sessions held.
struct Held {
    sessions: usize,
    rss_kib: f64,
    /// The sessions' containers and shims, MiB.
    containers_mib: f64,
    /// CPU in percent of one core while they sat idle: the server's, the containers' and
    /// shims', the engine's.
    server_cpu: f64,
    containers_cpu: f64,
    engine_cpu: f64,
    echo: Sample,
    /// Sessions that failed to start and messages of failure the typist saw, so far.
    failures: usize,
}

/// Holds idle sessions of `profile` in `steps`, timing the typist's echo at each.
async fn hold(profile: Profile, steps: &[usize]) -> (Vec<Held>, served::Leftovers) {
    let most = steps.iter().copied().max().unwrap_or(0);
    let served = Served::start("scale-hold", &room_for(most + 8));
    let http = reqwest::Client::new();
    let (_, mut typist) = bot::start(&http, &served.base, Profile::Shell)
        .await
        .expect("the typist's session starts");
    typist.quiet_cat().await.expect("cat runs");
    let mut idle: Vec<Bot> = Vec::new();
    let mut rows = Vec::new();
    let mut failures = 0;
    for &k in steps {
        let wanted = k.saturating_sub(idle.len());
        let started: Vec<_> = futures::stream::iter(0..wanted)
            .map(|_| bot::start(&http, &served.base, profile))
            .buffer_unordered(FILLING)
            .collect()
            .await;
        for result in started {
            match result {
                Ok((_, bot)) => idle.push(bot),
                Err(failure) => {
                    failures += 1;
                    eprintln!("a held session failed: {}", failure.kind());
                }
            }
        }
        // Idle means left alone: what starting them set going settles, and the minute after
        // each socket opened, in which its page's ports are looked at every second (as while
        // a student types; `quai::ws::ports`), passes first.
        tokio::time::sleep(quai::ws::ports::QUICK_FOR + Duration::from_secs(5)).await;
        let (cpu_before, _) = served.usage();
        let before = footprint(&served.instance);
        let window = Instant::now();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (cpu_after, _) = served.usage();
        let after = footprint(&served.instance);
        let seconds = window.elapsed().as_secs_f64();
        let rss_kib = served.rss_kib();
        let mut echoes = Vec::new();
        for i in 0..keys() {
            let key = ((b'a' + (i % 26) as u8) as char).to_string();
            match typist.key_echo(&key).await {
                Ok(took) => echoes.push(support::ms(took)),
                // A message from the server (the engine slow to answer) is not the echo.
                Err(failure @ Failure::Server(_)) => {
                    failures += 1;
                    eprintln!("the typist saw: {}", failure.kind());
                }
                Err(failure) => panic!("the typist failed: {}", failure.kind()),
            }
        }
        let row = Held {
            sessions: idle.len(),
            rss_kib,
            containers_mib: after.memory,
            server_cpu: (cpu_after - cpu_before) / seconds * 100.0,
            containers_cpu: (after.cpu - before.cpu) / seconds * 100.0,
            engine_cpu: (after.engine_cpu - before.engine_cpu) / seconds * 100.0,
            echo: Sample::new(echoes),
            failures,
        };
        println!(
            "{profile:?}: {} held, RSS {:.1} MiB, containers {:.0} MiB, echo p99 {:.2} ms, CPU server {:.0} % containers {:.0} % engine {:.0} %",
            row.sessions,
            row.rss_kib / 1024.0,
            row.containers_mib,
            row.echo.pct(0.99),
            row.server_cpu,
            row.containers_cpu,
            row.engine_cpu,
        );
        rows.push(row);
    }
    for bot in idle {
        bot.close().await;
    }
    typist.close().await;
    (rows, served.stop())
}

/// `n` shell sessions started at once until each shows a prompt: the times (ms), and the
/// failures by kind.
async fn at_once(n: usize) -> (Sample, Vec<String>, served::Leftovers) {
    let served = Served::start("scale-once", &room_for(n + 8));
    let http = reqwest::Client::new();
    let start = Instant::now();
    let results = futures::future::join_all((0..n).map(|_| {
        let (http, base) = (http.clone(), served.base.clone());
        async move {
            let result = bot::start(&http, &base, Profile::Shell).await;
            (start.elapsed(), result)
        }
    }))
    .await;
    let mut times = Vec::new();
    let mut failures = Vec::new();
    let mut bots = Vec::new();
    for (took, result) in results {
        match result {
            Ok((_, bot)) => {
                times.push(support::ms(took));
                bots.push(bot);
            }
            Err(failure) => failures.push(failure.kind()),
        }
    }
    for bot in bots {
        bot.close().await;
    }
    (Sample::new(times), failures, served.stop())
}

/// An administrator's script: `n` × (`docker run -d IMAGE sleep infinity`, then `docker
/// exec` of a login shell printing a line) at once; each one's time (ms) and the failures.
async fn peer_at_once(n: usize, image: &str) -> (Sample, usize) {
    let script = format!(
        "id=$(docker run -d --label quai.managed=true --label quai.instance={PEER_INSTANCE} \
         {image} sleep infinity) && docker exec \"$id\" bash -lc 'echo ready'"
    );
    let start = Instant::now();
    let results = futures::future::join_all((0..n).map(|_| {
        let script = script.clone();
        async move {
            let out = tokio::process::Command::new("sh")
                .args(["-c", &script])
                .output()
                .await;
            let ok = out.is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).contains("ready")
            });
            (start.elapsed(), ok)
        }
    }))
    .await;
    let failures = results.iter().filter(|(_, ok)| !ok).count();
    let times = results
        .into_iter()
        .filter(|(_, ok)| *ok)
        .map(|(took, _)| support::ms(took))
        .collect();
    let ids = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!(
            "label={}={PEER_INSTANCE}",
            quai::runtime::labels::INSTANCE
        ))
        .output()
        .expect("docker runs");
    let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .map(String::from)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .stdout(std::process::Stdio::null())
            .status();
    }
    (Sample::new(times), failures)
}

fn held_table(profile: &str, rows: &[Held]) -> String {
    let idle = rows.first().map(|r| r.echo.pct(0.99)).unwrap_or(0.0);
    let mut out = format!(
        "| {profile} sessions held idle | server RSS (MiB) | their containers and shims (MiB) | CPU of the server / containers and shims / engine (% of a core) | typist echo p50 (ms) | typist echo p99 (ms) | p99 against none held |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.1} | {:.0} | {:.1} / {:.1} / {:.1} | {:.2} | {:.2} | {:.2}× |\n",
            r.sessions,
            r.rss_kib / 1024.0,
            r.containers_mib,
            r.server_cpu,
            r.containers_cpu,
            r.engine_cpu,
            r.echo.pct(0.5),
            r.echo.pct(0.99),
            r.echo.pct(0.99) / idle.max(f64::MIN_POSITIVE)
        ));
    }
    out
}

fn slope_of(rows: &[Held], y: impl Fn(&Held) -> f64) -> f64 {
    slope(
        &rows
            .iter()
            .map(|r| (r.sessions as f64, y(r)))
            .collect::<Vec<_>>(),
    )
}

/// The memory per idle session (the server's and the containers'), the largest number held
/// with the echo p99 under the aim, and what the machine would run out of first.
fn held_summary(profile: &str, rows: &[Held]) -> String {
    let server = slope_of(rows, |r| r.rss_kib);
    let containers = slope_of(rows, |r| r.containers_mib * 1024.0);
    let cpu = slope_of(rows, |r| r.server_cpu + r.containers_cpu + r.engine_cpu);
    let idle = rows.first().map(|r| r.echo.pct(0.99)).unwrap_or(0.0);
    let under = rows
        .iter()
        .filter(|r| r.echo.pct(0.99) < ECHO_OVER_IDLE * idle)
        .map(|r| r.sessions)
        .max()
        .unwrap_or(0);
    let most = rows.last().map(|r| r.sessions).unwrap_or(0);
    let memory_room = machine_memory() * 1024.0 / (server + containers).max(1.0);
    let cpu_room = served::cores() as f64 * 100.0 / cpu.max(1e-6);
    let failures = rows.last().map(|r| r.failures).unwrap_or(0);
    format!(
        "- memory per idle {profile} session: the server's **{server:.0} KiB** (the slope of \
         its resident memory over the steps), its container's and shim's {:.1} MiB\n\
         - CPU per idle {profile} session (server, container and shim, engine): {cpu:.2} % of a \
         core\n\
         - the largest number held with the typist's echo p99 under {ECHO_OVER_IDLE}× its p99 \
         with none: **{under}**{} ({failures} sessions failed to start or errors the typist saw)\n\
         - what the machine runs out of first, extrapolated from these slopes: its memory \
         after about {memory_room:.0} such sessions, its CPU (all {} cores busy with idle \
         sessions) after about {cpu_room:.0}: **{}**\n",
        containers / 1024.0,
        if under == most {
            format!(" (the most measured: the limit lies beyond {most})")
        } else {
            String::new()
        },
        served::cores(),
        if memory_room < cpu_room {
            "memory"
        } else {
            "CPU"
        }
    )
}

#[tokio::main]
async fn main() {
    let settled = served::settle();
    let load = served::load_average();
    let image = std::env::var("QUAI_BASE_IMAGE").unwrap_or_else(|_| "quai/base:latest".into());

    println!("shell sessions held…");
    let (shell, shell_left) = hold(
        Profile::Shell,
        &steps("QUAI_BENCH_HOLD", "0,50,100,200,300"),
    )
    .await;
    println!("docker sessions held…");
    let (docker, docker_left) = hold(
        Profile::Docker,
        &steps("QUAI_BENCH_HOLD_DOCKER", "0,4,8,16"),
    )
    .await;
    let mut once = Vec::new();
    for n in steps("QUAI_BENCH_AT_ONCE", "50,200") {
        println!("{n} sessions at once…");
        once.push((n, at_once(n).await));
    }
    let peer_n = 50;
    println!("{peer_n} × docker run + docker exec at once…");
    let peer = peer_at_once(peer_n, &image).await;

    let server_slope = slope(
        &shell
            .iter()
            .map(|r| (r.sessions as f64, r.rss_kib))
            .collect::<Vec<_>>(),
    );
    let mut out = format!(
        "Measured with `cargo bench -p quai-backend --bench scale` against a `quai serve` \
         process (its memory and CPU from /proc), on the machine that ran it: {} cores, \
         {:.0} GiB of memory, load average {load} when it started, {settled} (the machine is shared: \
         figures are noisy). Sessions are of one node each, started through `POST \
         /api/sessions` with the per-client limits lifted; each held session keeps its \
         terminal open on a socket of its own, as an open page does, and types nothing. The \
         typist is one more shell session typing {} keys into `cat`, one at a time, each \
         timed to its echo.\n\n",
        served::cores(),
        machine_memory() / 1024.0,
        keys(),
    );
    out.push_str(&held_table("shell", &shell));
    out.push('\n');
    out.push_str(&held_summary("shell", &shell));
    out.push_str(&format!(
        "- the aim of at most {KIB_PER_SESSION:.0} KiB of server memory per idle session: {server_slope:.0} KiB, {}\n\n",
        if server_slope <= KIB_PER_SESSION {
            "**met**"
        } else {
            "**not met**"
        }
    ));
    out.push_str(&held_table("docker", &docker));
    out.push('\n');
    out.push_str(&held_summary("docker", &docker));
    out.push_str(&format!(
        "\nLeft in the engine after each server stopped: {shell_left} (shell), {docker_left} \
         (docker).\n\nRequested at once: every session's time from the common start to a \
         prompt in its terminal (ms); beside them, an administrator's script doing \
         `docker run -d {image} sleep infinity` then `docker exec` of a login shell printing a \
         line, {peer_n} at once (no session network, no limits, no terminal keeper).\n\n\
         | at once | done | min | median | p99 | last | errors |\n|---|---|---|---|---|---|---|\n"
    ));
    for (n, (times, failures, left)) in &once {
        let mut kinds: Vec<String> = failures.clone();
        kinds.sort();
        kinds.dedup();
        out.push_str(&format!(
            "| {n} Quai shell sessions | {} | {:.0} | **{:.0}** | {:.0} | **{:.0}** | {}{} |\n",
            times.len(),
            times.pct(0.0),
            times.pct(0.5),
            times.pct(0.99),
            times.last(),
            failures.len(),
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", kinds.join("; "))
            },
        ));
        if !left.none() {
            out.push_str(&format!("| (left after: {left}) | | | | | | |\n"));
        }
    }
    let (times, failures) = peer;
    out.push_str(&format!(
        "| {peer_n} × `docker run -d` + `docker exec` | {} | {:.0} | **{:.0}** | {:.0} | **{:.0}** | {failures} |\n",
        times.len(),
        times.pct(0.0),
        times.pct(0.5),
        times.pct(0.99),
        times.last(),
    ));

    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/scale.md").to_string()
    });
    if let Some(dir) = Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {path}");
}
