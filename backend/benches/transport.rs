//! `cargo bench -p quai-backend --bench transport`: a terminal's transport side by side, on
//! one container in one run.
//!
//! - **Quai's socket**: a `quai serve` process at its default settings (only the terminals a
//!   session may open raised, for the flood below); its output acknowledged as a browser does
//!   (`Ack` every 64 KiB written).
//! - **A raw `docker exec` TTY**: bollard's exec with a TTY on the same container, read and
//!   written directly: Quai's own engine call with nothing around it.
//! - **terminado** (Jupyter's terminal server), running `docker exec -it <container> bash`
//!   under its pty, driven over its WebSocket (`["stdin", …]` / `["stdout", …]`); the Python
//!   with terminado installed comes from QUAI_BENCH_TERMINADO (`cargo xtask bench` makes it in
//!   `target/bench/terminado`); without it, its row is left out.
//!
//! For each: keystroke echo (one key at a time, each waiting for its echo, into `cat`) and
//! output throughput (`head -c 50M /dev/urandom | base64`, read to an end marker), the
//! median of `ROUNDS` floods with the transports taking turns, beside a server without the
//! terminal keeper, one whose nodes may use more CPU and one with tmux as the keeper
//! (`--terminal-keeper tmux`), each on a node of its own. Then 20 terminals printing `yes` at once while the echo of another is timed, for Quai (with the
//! server's CPU) and for the raw TTY. Last, Quai's output limit per terminal at several
//! values, each a `quai serve` of its own. Writes Markdown to `target/bench/transport.md`
//! (or QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use quai::config::DEFAULT_OUTPUT_RATE;
use quai_protocol::{CreateSession, Profile};
use support::served::Served;
use support::terminal::{drain, echo, QuaiTerm, RawTerm, Sample, Transport, Ws, KEYS, PATIENCE};
use tokio_tungstenite::tungstenite::Message;
/// Bytes of random data `head -c` reads; base64 prints 4/3 of it, in lines of 76.
const FLOOD: u64 = 50 * 1024 * 1024;
/// Rounds of echo and floods per transport, the transports taking turns: one flood's pace
/// varies from one to the next on this 2-core machine by up to half (the raw TTY's ran 17.8 to
/// 34.5 MB/s in one run of five), so each figure is the median of these.
const ROUNDS: usize = 9;
/// Floods per output limit in the sweep.
const LIMIT_ROUNDS: usize = 3;
/// Terminals printing `yes` at once beside the one whose echo is timed.
const FLOODERS: usize = 20;
/// What the shell prints once the flood is over (typed as arithmetic, so the echo of the
/// command line never holds it).
const MARK: &[u8] = b"@@flood-42@@";
/// The aims Quai's transport is held to, against the raw TTY and terminado.
const ECHO_P99_OVER_RAW_MS: f64 = 0.5;
const OUTPUT_OF_RAW: f64 = 0.8;
const OUTPUT_OF_TERMINADO: f64 = 1.5;

/// The terminado server: `python serve.py COMMAND…` prints the port it took, then serves a
/// terminal running COMMAND to each socket on `/websocket`.
const TERMINADO_SERVER: &str = r#"
import asyncio, sys
import tornado.httpserver, tornado.netutil, tornado.web
from terminado import TermSocket, UniqueTermManager

async def main():
    manager = UniqueTermManager(shell_command=sys.argv[1:])
    app = tornado.web.Application([(r"/websocket", TermSocket, {"term_manager": manager})])
    server = tornado.httpserver.HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    print(sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// A terminal of terminado, over its JSON WebSocket.
struct TerminadoTerm {
    ws: Ws,
}

impl TerminadoTerm {
    async fn open(port: u16) -> TerminadoTerm {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/websocket"))
            .await
            .expect("terminado's socket opens");
        let mut term = TerminadoTerm { ws };
        term.ws
            .send(Message::Text(
                serde_json::json!(["set_size", 24, 80]).to_string().into(),
            ))
            .await
            .expect("socket open");
        term.recv().await;
        drain(&mut term).await;
        term
    }
}

impl Transport for TerminadoTerm {
    async fn send(&mut self, keys: &str) {
        self.ws
            .send(Message::Text(
                serde_json::json!(["stdin", keys]).to_string().into(),
            ))
            .await
            .expect("socket open");
    }

    async fn recv(&mut self) -> Vec<u8> {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("terminado printed something within a minute")
                .expect("socket open")
                .expect("socket reads");
            if let Message::Text(text) = msg {
                let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                if value[0] == "stdout" {
                    return value[1].as_str().unwrap_or_default().as_bytes().to_vec();
                }
            }
        }
    }
}

/// Bytes `head -c FLOOD | base64` prints: 4 for every 3 (padded), a newline every 76.
fn printed() -> f64 {
    let text = FLOOD.div_ceil(3) * 4;
    (text + text.div_ceil(76)) as f64
}

/// MB/s of the flood, from typing its command to reading the end marker.
async fn flood(t: &mut impl Transport) -> f64 {
    drain(t).await;
    let started = Instant::now();
    t.send(&format!(
        "head -c {FLOOD} /dev/urandom | base64 -w 76; echo \"@@flood-$((20+22))@@\"\r"
    ))
    .await;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        tail.extend_from_slice(&t.recv().await);
        if tail.windows(MARK.len()).any(|w| w == MARK) {
            break;
        }
        let keep = tail.len().saturating_sub(MARK.len());
        tail.drain(..keep);
    }
    let mbps = printed() / started.elapsed().as_secs_f64() / 1e6;
    drain(t).await;
    mbps
}

/// The flood's MB/s through `t`, with how busy the machine's CPU was meanwhile (percent of
/// all its cores) and, for Quai, the server's CPU (percent of one core).
struct Output {
    mbps: f64,
    machine: f64,
    server: Option<f64>,
}

/// One transport's floods of a run.
#[derive(Default)]
struct Floods(Vec<Output>);

impl Floods {
    /// The flood of median pace, with the machine's and the server's CPU during it.
    fn median(&self) -> &Output {
        let mut floods: Vec<&Output> = self.0.iter().collect();
        floods.sort_by(|a, b| a.mbps.total_cmp(&b.mbps));
        floods[floods.len() / 2]
    }

    fn mbps(&self) -> f64 {
        self.median().mbps
    }

    /// The slowest and the fastest flood.
    fn range(&self) -> (f64, f64) {
        self.0.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), o| {
            (lo.min(o.mbps), hi.max(o.mbps))
        })
    }

    /// "**21.5** (18.0–24.1; machine 97 % busy, server 45 % of a core)", for the table.
    fn cell(&self) -> String {
        let m = self.median();
        let (lo, hi) = self.range();
        match m.server {
            Some(server) => format!(
                "**{:.1}** ({lo:.1}–{hi:.1}; machine {:.0} % busy, server {server:.0} % of a core)",
                m.mbps, m.machine
            ),
            None => format!(
                "**{:.1}** ({lo:.1}–{hi:.1}; machine {:.0} % busy)",
                m.mbps, m.machine
            ),
        }
    }
}

async fn output(t: &mut impl Transport, served: Option<&Served>) -> Output {
    let machine = support::served::cpu_times();
    let server = served.map(server_cpu);
    let started = Instant::now();
    let mbps = flood(t).await;
    let seconds = started.elapsed().as_secs_f64();
    Output {
        mbps,
        machine: support::served::busy_between(machine, support::served::cpu_times()) * 100.0,
        server: served
            .zip(server)
            .map(|(s, before)| (server_cpu(s) - before) / seconds * 100.0),
    }
}

/// Runs `yes` in each terminal, reading everything they print until `stop`, then Ctrl-C.
fn spawn_yes<T: Transport + Send + 'static>(
    terms: Vec<T>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    terms
        .into_iter()
        .map(|mut t| {
            let stop = stop.clone();
            tokio::spawn(async move {
                t.send("yes\r").await;
                while !stop.load(Ordering::Relaxed) {
                    t.recv_within(Duration::from_millis(200)).await;
                }
                t.send("\x03").await;
                drain(&mut t).await;
            })
        })
        .collect()
}

/// A server at its default settings but for `output_rate` (None: the default), `keeper`
/// (None: the default, quai-keeper) and the terminals a session may open (the flood needs one more
/// than `FLOODERS`).
fn serve(output_rate: Option<u64>, keeper: Option<&str>) -> Served {
    serve_with(output_rate, keeper, None)
}

/// The CPUs a node may use in the run beside the default one: enough for the flood and its
/// keeper both.
const WIDE_NODE_CPUS: u32 = 2;

/// `serve`, with nodes allowed `node_cpus` CPUs (None: the default).
fn serve_with(output_rate: Option<u64>, keeper: Option<&str>, node_cpus: Option<u32>) -> Served {
    let mut settings = vec![("QUAI_MAX_TERMINALS", (FLOODERS + 4).to_string())];
    if let Some(rate) = output_rate {
        settings.push(("QUAI_OUTPUT_RATE", rate.to_string()));
    }
    if let Some(keeper) = keeper {
        settings.push(("QUAI_TERMINAL_KEEPER", keeper.to_string()));
    }
    if let Some(cpus) = node_cpus {
        settings.push(("QUAI_NODE_CPUS", cpus.to_string()));
    }
    Served::start("transport", &settings)
}

/// A session of one shell node of `served`, and its container.
async fn shell_session(served: &Served) -> (quai_protocol::SessionCreated, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/sessions", served.base))
        .json(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Shell),
        })
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 201);
    let session: quai_protocol::SessionCreated = response.json().await.expect("session");
    let container = common::containers_labelled("quai.session", &session.session.id)
        .await
        .pop()
        .expect("the session's container");
    (session, container)
}

/// CPU seconds `served` has used.
fn server_cpu(served: &Served) -> f64 {
    served.usage().0
}

/// The echo of `quiet` while `FLOODERS` terminals print `yes`, as the 99th percentile; and the
/// server's CPU meanwhile in percent of one core, when it is Quai's.
async fn echo_beside_yes<T: Transport + Send + 'static>(
    quiet: &mut impl Transport,
    flooders: Vec<T>,
    served: Option<&Served>,
) -> (Sample, Option<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = spawn_yes(flooders, stop.clone());
    // Every flood under way before the first keystroke.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu = served.map(server_cpu);
    let started = Instant::now();
    let sample = echo(quiet).await;
    let cpu = served
        .zip(cpu)
        .map(|(s, before)| (server_cpu(s) - before) / started.elapsed().as_secs_f64() * 100.0);
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    (sample, cpu)
}

/// Quai's echo beside `FLOODERS` terminals of the same session printing `yes`, and the
/// server's CPU meanwhile (percent of a core).
async fn quai_beside_yes(
    quai: &mut QuaiTerm,
    served: &Served,
    session: &quai_protocol::SessionCreated,
) -> (Sample, f64) {
    let mut flooders = Vec::new();
    for term in 2..2 + FLOODERS as u16 {
        flooders.push(QuaiTerm::open(&served.base, session, term).await);
    }
    let (sample, cpu) = echo_beside_yes(quai, flooders, Some(served)).await;
    (sample, cpu.unwrap_or(0.0))
}

/// The floods and the echo beside 20 `yes` of one Quai server, for the output limit sweep.
struct LimitFigures {
    output: Floods,
    echo_beside_yes: Sample,
    cpu: f64,
}

async fn limit_at(served: &Served, session: &quai_protocol::SessionCreated) -> LimitFigures {
    let mut quai = QuaiTerm::open(&served.base, session, 1).await;
    let mut floods = Floods::default();
    for _ in 0..LIMIT_ROUNDS {
        floods.0.push(output(&mut quai, Some(served)).await);
    }
    let (echo_beside_yes, cpu) = quai_beside_yes(&mut quai, served, session).await;
    LimitFigures {
        output: floods,
        echo_beside_yes,
        cpu,
    }
}

/// The terminado server, on a port of its own, running `docker exec -it CONTAINER bash -l`
/// for each socket.
struct Terminado {
    child: Child,
    port: u16,
    version: String,
    script: PathBuf,
}

impl Terminado {
    fn start(python: &str, container: &str) -> Terminado {
        let script = std::env::temp_dir().join(format!("quai-terminado-{}.py", std::process::id()));
        std::fs::write(&script, TERMINADO_SERVER).expect("terminado server script");
        let version = Command::new(python)
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('terminado'))",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let mut child = Command::new(python)
            .arg(&script)
            .args(["docker", "exec", "-it", "-e", "TERM=xterm-256color"])
            .args(["-e", "LANG=C.UTF-8", container, "bash", "-l"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("terminado starts");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .expect("terminado says its port");
        let port = line.trim().parse().expect("a port");
        Terminado {
            child,
            port,
            version,
            script,
        }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.script);
    }
}

/// Prints the flood inside the node under a tmux of its own with nobody attached, as tmux
/// does for a terminal when it is the keeper; MB/s. What tmux alone can pass on, on the
/// node's CPU.
const TMUX_ALONE: &str = r#"tm() { tmux -L quai-bench -f /dev/null "$@"; }
tm new-session -d -x 120 -y 40 bash && tm set -g status off >/dev/null && tm set -g history-limit 5000 >/dev/null
sleep 0.3
s=$(date +%s%N)
tm send-keys "head -c 50M /dev/urandom | base64; tmux -L quai-bench wait -S done" Enter
tm wait done
e=$(date +%s%N)
tm kill-server
echo $(( (e - s) / 1000 ))
"#;

fn tmux_alone(container: &str) -> f64 {
    let out = Command::new("docker")
        .args(["exec", container, "bash", "-c", TMUX_ALONE])
        .output()
        .expect("docker exec runs");
    let micros: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the flood's time in the node");
    printed() / micros
}

fn yes_no(met: bool) -> &'static str {
    if met {
        "**met**"
    } else {
        "**not met**"
    }
}

fn mib(rate: u64) -> String {
    format!("{} MiB/s", rate / (1024 * 1024))
}

#[tokio::main]
async fn main() {
    let settled = support::served::settle();
    let load = support::served::load_average();
    let terminado_python = std::env::var("QUAI_BENCH_TERMINADO").ok();

    // One server at its defaults, one shell node: every transport on its container. Beside
    // it, a server without the terminal keeper and its own node: what the keeper costs.
    let served = serve(None, None);
    let (session, container) = shell_session(&served).await;
    let bare = serve(None, Some("none"));
    let (bare_session, _) = shell_session(&bare).await;
    // And one whose nodes may use more CPU: what bounds the keeper.
    let wide = serve_with(None, None, Some(WIDE_NODE_CPUS));
    let (wide_session, _) = shell_session(&wide).await;
    // And one with tmux as the keeper, the other keeper Quai offers.
    let tmuxed = serve(None, Some("tmux"));
    let (tmux_session, _) = shell_session(&tmuxed).await;
    let mut quai = QuaiTerm::open(&served.base, &session, 1).await;
    let mut keeperless = QuaiTerm::open(&bare.base, &bare_session, 1).await;
    let mut widened = QuaiTerm::open(&wide.base, &wide_session, 1).await;
    let mut under_tmux = QuaiTerm::open(&tmuxed.base, &tmux_session, 1).await;
    let mut raw = RawTerm::open(&container).await;
    let terminado = terminado_python
        .as_deref()
        .map(|python| Terminado::start(python, &container));
    let mut tnado = match &terminado {
        Some(t) => Some(TerminadoTerm::open(t.port).await),
        None => None,
    };

    let mut keys: [Vec<f64>; 6] = Default::default();
    let (mut quai_out, mut keeperless_out, mut raw_out, mut wide_out, mut tmux_out) = (
        Floods::default(),
        Floods::default(),
        Floods::default(),
        Floods::default(),
        Floods::default(),
    );
    let mut tnado_out = tnado.as_ref().map(|_| Floods::default());
    let mut alone = Vec::new();
    // The echoes first, on a quiet machine, then the floods.
    for round in 1..=ROUNDS {
        println!("echo, round {round} of {ROUNDS}…");
        keys[0].extend(echo(&mut quai).await.0);
        keys[1].extend(echo(&mut raw).await.0);
        keys[2].extend(echo(&mut keeperless).await.0);
        keys[3].extend(echo(&mut widened).await.0);
        keys[5].extend(echo(&mut under_tmux).await.0);
        if let Some(t) = tnado.as_mut() {
            keys[4].extend(echo(t).await.0);
        }
    }
    for round in 1..=ROUNDS {
        println!("output, round {round} of {ROUNDS}…");
        quai_out.0.push(output(&mut quai, Some(&served)).await);
        keeperless_out
            .0
            .push(output(&mut keeperless, Some(&bare)).await);
        raw_out.0.push(output(&mut raw, None).await);
        wide_out.0.push(output(&mut widened, Some(&wide)).await);
        tmux_out
            .0
            .push(output(&mut under_tmux, Some(&tmuxed)).await);
        if let (Some(t), Some(floods)) = (tnado.as_mut(), tnado_out.as_mut()) {
            floods.0.push(output(t, None).await);
        }
        alone.push(tmux_alone(&container));
        let last = |f: &Floods| f.0.last().map_or(0.0, |o| o.mbps);
        println!(
            "  MB/s: Quai {:.1}, raw TTY {:.1}, no keeper {:.1}, 2 CPUs {:.1}, tmux {:.1}, \
             terminado {:.1}",
            last(&quai_out),
            last(&raw_out),
            last(&keeperless_out),
            last(&wide_out),
            last(&tmux_out),
            tnado_out.as_ref().map_or(0.0, last),
        );
    }
    let [quai_echo, raw_echo, keeperless_echo, wide_echo, tnado_keys, tmux_echo] =
        keys.map(Sample::new);
    let tnado_echo = tnado_out.as_ref().map(|_| tnado_keys);
    let alone = Sample::new(alone).pct(0.5);
    drop(tnado);
    let terminado_version = terminado.map(|t| {
        let version = t.version.clone();
        t.stop();
        version
    });

    println!("{FLOODERS} × yes beside a raw TTY…");
    let mut flooders = Vec::new();
    for _ in 0..FLOODERS {
        flooders.push(RawTerm::open(&container).await);
    }
    let (raw_yes, _) = echo_beside_yes(&mut raw, flooders, None).await;
    println!("{FLOODERS} × yes beside Quai…");
    let mut flooders = Vec::new();
    for term in 2..2 + FLOODERS as u16 {
        flooders.push(QuaiTerm::open(&served.base, &session, term).await);
    }
    let (quai_yes, quai_cpu) = echo_beside_yes(&mut quai, flooders, Some(&served)).await;
    println!("{FLOODERS} × yes beside Quai without a terminal keeper…");
    let (keeperless_yes, keeperless_cpu) =
        quai_beside_yes(&mut keeperless, &bare, &bare_session).await;
    drop(raw);
    drop(quai);
    drop(keeperless);
    drop(widened);
    drop(under_tmux);
    served.stop();
    bare.stop();
    wide.stop();
    tmuxed.stop();

    // Quai's output limit per terminal: each value a server and a node of its own.
    let mut limits = Vec::new();
    for rate in [8, 16, 32, 64, 1024].map(|m: u64| m * 1024 * 1024) {
        println!("output limit {}…", mib(rate));
        let served = serve(Some(rate), None);
        let (session, _) = shell_session(&served).await;
        limits.push((rate, limit_at(&served, &session).await));
        served.stop();
    }

    let cores = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    let mut out = format!(
        "Measured with `cargo bench -p quai-backend --bench transport`, on one container (a shell \
         node of a `quai serve` at its default settings, output limit {}) in one run, on the \
         machine that ran it: {cores} cores, load average {} when it started, {settled}. Quai's terminal \
         is a `docker exec` attached to the node's quai-keeper (the terminal keeper, which \
         holds the shell on a pseudo-terminal of its own), pumped over the socket and \
         acknowledged as the page does; the raw TTY is bollard's exec of `bash -l` read \
         directly; terminado{} runs `docker exec -it` of the same container under its pty. \
         Echo: {KEYS} keystrokes into `cat` per round, one at a time, {ROUNDS} rounds before \
         the floods ({} keys in all); output: `head -c 50M /dev/urandom \
         | base64` ({:.1} MB) to the end marker, {ROUNDS} floods each, the transports taking \
         turns: the median in bold, the slowest and the fastest beside it, and the CPU during \
         the median one (a flood's pace varies by a third from one to the next here); beside \
         `yes`: the same echo while {FLOODERS} other terminals of the container print `yes`, \
         each read to the end as it comes. A server without the keeper, one whose nodes \
         may use {WIDE_NODE_CPUS} CPUs (1 is the default) and one with tmux as the keeper run \
         beside the first, each with a node of its own, and take their turns in the same \
         rounds.\n\n",
        mib(DEFAULT_OUTPUT_RATE),
        load,
        terminado_version
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        KEYS * ROUNDS,
        printed() / 1e6,
    );
    out.push_str(
        "| terminal transport | echo p50 (ms) | echo p99 (ms) | output (MB/s) | echo p99 beside 20 `yes` (ms) |\n\
         |---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| Quai's socket | {:.2} | {:.2} | {} | {:.1} (server CPU {:.0} % of a core) |\n",
        quai_echo.pct(0.5),
        quai_echo.pct(0.99),
        quai_out.cell(),
        quai_yes.pct(0.99),
        quai_cpu.unwrap_or(0.0),
    ));
    out.push_str(&format!(
        "| raw `docker exec` TTY | {:.2} | {:.2} | {} | {:.1} |\n",
        raw_echo.pct(0.5),
        raw_echo.pct(0.99),
        raw_out.cell(),
        raw_yes.pct(0.99),
    ));
    out.push_str(&format!(
        "| Quai's socket, no terminal keeper (`--terminal-keeper none`) | {:.2} | {:.2} | {} | {:.1} (server CPU {:.0} % of a core) |\n",
        keeperless_echo.pct(0.5),
        keeperless_echo.pct(0.99),
        keeperless_out.cell(),
        keeperless_yes.pct(0.99),
        keeperless_cpu,
    ));
    out.push_str(&format!(
        "| Quai's socket, its node allowed {WIDE_NODE_CPUS} CPUs (`--node-cpus {WIDE_NODE_CPUS}`) | {:.2} | {:.2} | {} | – |\n",
        wide_echo.pct(0.5),
        wide_echo.pct(0.99),
        wide_out.cell(),
    ));
    out.push_str(&format!(
        "| Quai's socket, tmux as the keeper (`--terminal-keeper tmux`) | {:.2} | {:.2} | {} | – |\n",
        tmux_echo.pct(0.5),
        tmux_echo.pct(0.99),
        tmux_out.cell(),
    ));
    if let (Some(e), Some(o)) = (&tnado_echo, &tnado_out) {
        let version = terminado_version.clone().unwrap_or_default();
        out.push_str(&format!(
            "| terminado {version} | {:.2} | {:.2} | {} | – |\n",
            e.pct(0.5),
            e.pct(0.99),
            o.cell(),
        ));
    }
    out.push_str(&format!(
        "\nThe same flood printed inside the node by a tmux of its own with nobody attached \
         (what tmux alone passes on as a keeper, sharing the node's CPU with the flood), in the \
         same rounds: **{alone:.1} MB/s** at the median.\n"
    ));
    out.push_str("\nThe aims, Quai against the others in this run:\n\n");
    let over = quai_echo.pct(0.99) - raw_echo.pct(0.99);
    out.push_str(&format!(
        "- echo p99 within {ECHO_P99_OVER_RAW_MS} ms of the raw TTY's: {:+.2} ms, {}\n",
        over,
        yes_no(over <= ECHO_P99_OVER_RAW_MS)
    ));
    out.push_str(&format!(
        "- output at least {OUTPUT_OF_RAW}× the raw TTY's: {:.2}×, {}\n",
        quai_out.mbps() / raw_out.mbps(),
        yes_no(quai_out.mbps() >= OUTPUT_OF_RAW * raw_out.mbps())
    ));
    match &tnado_out {
        Some(o) => out.push_str(&format!(
            "- output at least {OUTPUT_OF_TERMINADO}× terminado's: {:.2}×, {}\n",
            quai_out.mbps() / o.mbps(),
            yes_no(quai_out.mbps() >= OUTPUT_OF_TERMINADO * o.mbps())
        )),
        None => {
            out.push_str("- output against terminado: not measured (QUAI_BENCH_TERMINADO unset)\n")
        }
    }
    out.push_str(&format!(
        "\nQuai's output limit per terminal (`--output-rate`), each value a `quai serve` and a \
         shell node of its own, after the run above: the same output ({LIMIT_ROUNDS} floods, \
         the median), and the same echo beside 20 `yes` with the server's CPU meanwhile.\n\n",
    ));
    out.push_str(
        "| output limit | output (MB/s) | echo p50 beside 20 `yes` (ms) | echo p99 beside 20 `yes` (ms) | server CPU beside 20 `yes` (% of a core) |\n\
         |---|---|---|---|---|\n",
    );
    for (rate, f) in &limits {
        let name = if *rate == DEFAULT_OUTPUT_RATE {
            format!("{} (the default)", mib(*rate))
        } else if *rate >= 1024 * 1024 * 1024 {
            format!("{} (no limit in effect)", mib(*rate))
        } else {
            mib(*rate)
        };
        out.push_str(&format!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.0} |\n",
            f.output.mbps(),
            f.echo_beside_yes.pct(0.5),
            f.echo_beside_yes.pct(0.99),
            f.cpu
        ));
    }

    let wide_of_raw = wide_out.mbps() / raw_out.mbps();
    out.push_str(&format!(
        "\nWithout the keeper, Quai's own transport against the same aims: output {:.2}× the raw \
         TTY's ({}) and {} terminado's ({}). The keeper, quai-keeper, runs inside the node: it \
         holds the shell on a pseudo-terminal of its own, keeps its last 256 KiB for a later \
         server and writes the output straight into the engine's pipe, without parsing it; \
         it counts against the node's CPU limit, which the flood (`base64`, `head`) shares. \
         With the node allowed {WIDE_NODE_CPUS} CPUs, Quai with the keeper prints {:.1} MB/s, \
         {wide_of_raw:.2}× the raw TTY's against {:.2}× at 1 CPU. `--terminal-keeper none` \
         gives up shells surviving a server restart for the keeperless figures; `--node-cpus` \
         gives each node more of the machine.\n",
        keeperless_out.mbps() / raw_out.mbps(),
        yes_no(keeperless_out.mbps() >= OUTPUT_OF_RAW * raw_out.mbps()),
        tnado_out
            .as_ref()
            .map(|o| format!("{:.2}×", keeperless_out.mbps() / o.mbps()))
            .unwrap_or_else(|| "–".into()),
        yes_no(
            tnado_out
                .as_ref()
                .is_some_and(|o| keeperless_out.mbps() >= OUTPUT_OF_TERMINADO * o.mbps())
        ),
        wide_out.mbps(),
        quai_out.mbps() / raw_out.mbps(),
    ));
    let tmux_over = tmux_echo.pct(0.99) - raw_echo.pct(0.99);
    out.push_str(&format!(
        "\nWith tmux as the keeper (`--terminal-keeper tmux`, which gives a later server the \
         screen as drawn rather than the last bytes): echo p99 {tmux_over:+.2} ms over the raw \
         TTY's ({}), output {:.2}× the raw TTY's ({}) and {} terminado's ({}). tmux parses \
         every byte to keep the screen, and when its reader falls behind it skips to a redraw \
         rather than sending every line; alone in the node it passes {alone:.1} MB/s (above), \
         {:.2}× what Quai passes with quai-keeper.\n",
        yes_no(tmux_over <= ECHO_P99_OVER_RAW_MS),
        tmux_out.mbps() / raw_out.mbps(),
        yes_no(tmux_out.mbps() >= OUTPUT_OF_RAW * raw_out.mbps()),
        tnado_out
            .as_ref()
            .map(|o| format!("{:.2}×", tmux_out.mbps() / o.mbps()))
            .unwrap_or_else(|| "–".into()),
        yes_no(
            tnado_out
                .as_ref()
                .is_some_and(|o| tmux_out.mbps() >= OUTPUT_OF_TERMINADO * o.mbps())
        ),
        alone / quai_out.mbps(),
    ));
    out.push_str(&format!(
        "\nWhere the output's CPU goes: the flood (`base64` in the node), the container engine's \
         copy of it and its reader share this machine's {cores} cores, busy {:.0} % during the \
         raw TTY's flood, {:.0} % during Quai's and {:.0} % during Quai's without the keeper \
         (in the table). Quai's path adds the server's copy onto the socket and the reader's \
         WebSocket: {:.0} % of a core in the server with the keeper, {:.0} % without.\n",
        raw_out.median().machine,
        quai_out.median().machine,
        keeperless_out.median().machine,
        quai_out.median().server.unwrap_or(0.0),
        keeperless_out.median().server.unwrap_or(0.0),
    ));
    let (at_default, unlimited) = (
        limits.iter().find(|(rate, _)| *rate == DEFAULT_OUTPUT_RATE),
        limits.iter().max_by_key(|(rate, _)| *rate),
    );
    if let (Some((_, at_default)), Some((_, unlimited))) = (at_default, unlimited) {
        out.push_str(&format!(
            "\nWhy the default limit is {}: it sits above what one flood passes (at the default \
             {:.1} MB/s, with no limit in effect {:.1}, and the raw TTY {:.1} in the run above), \
             and still bounds what one terminal can cost the server. With 20 floods at once, \
             the sweep shows the server's CPU at every limit ({}): the browser's \
             acknowledgements hold each terminal to the page's pace, and the node's CPU limit, \
             which the keeper shares with the floods, holds them all.\n",
            mib(DEFAULT_OUTPUT_RATE),
            at_default.output.mbps(),
            unlimited.output.mbps(),
            raw_out.mbps(),
            limits
                .iter()
                .map(|(rate, f)| format!("{} {:.0} %", mib(*rate), f.cpu))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }

    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/transport.md").to_string()
    });
    let path = PathBuf::from(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {}", path.display());
}
