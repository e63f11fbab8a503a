//! `cargo bench -p quai-backend --bench soak` (run by `cargo xtask soak`): many students
//! typing for a while against one `quai serve` process. QUAI_SOAK_SESSIONS (200) shell
//! sessions, each with a bot on its terminal's socket that types a command every few seconds
//! (some lines of `seq`, then a sum only the shell prints), reads its output and checks the
//! sum appears; for QUAI_SOAK_MINUTES (10). A bot whose socket breaks opens it again, as the
//! page does.
//!
//! Reports the failures by kind, the echo (typed line to its first output) and the command
//! (Enter to the sum shown) per minute, the server's resident memory over time and its
//! slope, and what of the server's instance is left in the engine after it stopped. Writes
//! Markdown to `target/bench/soak.md` (or QUAI_BENCH_OUT); exits with 1 when a bot saw a
//! failure or something was left.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use quai::config::DEFAULT_SCROLLBACK;
use quai_protocol::{Profile, SessionCreated};
use support::bot::{self, slope, Bot, Failure, Sample};
use support::served::{self, room_for, Served};

/// Sessions started at once while the room fills.
const FILLING: usize = 16;
/// How often the server's memory is read.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the bots saw, shared.
#[derive(Default)]
struct Seen {
    /// Per minute of the soak: echoes and commands (ms), failures.
    minutes: BTreeMap<u64, Minute>,
    failures: BTreeMap<String, usize>,
    /// Bytes of terminal output the bots read, all together.
    output: u64,
}

#[derive(Default)]
struct Minute {
    echo: Vec<f64>,
    command: Vec<f64>,
    failures: usize,
}

impl Seen {
    fn minute(&mut self, start: Instant) -> &mut Minute {
        self.minutes
            .entry(start.elapsed().as_secs() / 60)
            .or_default()
    }

    fn failed(&mut self, start: Instant, failure: &Failure) {
        *self.failures.entry(failure.kind()).or_default() += 1;
        self.minute(start).failures += 1;
    }
}

/// A small random number generator per bot, so bots do not type in step.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below.max(1)
    }
}

/// One student: types until `until`, opening the socket again when it breaks.
async fn student(
    base: String,
    session: SessionCreated,
    mut bot: Option<Bot>,
    seed: u64,
    start: Instant,
    until: Instant,
    seen: Arc<Mutex<Seen>>,
) {
    let mut dice = Dice(seed * 2_654_435_761 + 1);
    while Instant::now() < until {
        let Some(current) = bot.as_mut() else {
            match Bot::open(&base, &session).await {
                Ok(opened) => bot = Some(opened),
                Err(failure) => {
                    seen.lock().unwrap().failed(start, &failure);
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
            continue;
        };
        // A few seconds of reading, then a command.
        let pause = Duration::from_millis(2000 + dice.roll(3000));
        let result = match current.idle(pause).await {
            Ok(()) if Instant::now() < until => current.command(dice.roll(200) as u32).await,
            Ok(()) => break,
            Err(failure) => Err(failure),
        };
        match result {
            Ok((echo, command)) => {
                let mut seen = seen.lock().unwrap();
                let minute = seen.minute(start);
                minute.echo.push(support::ms(echo));
                minute.command.push(support::ms(command));
            }
            Err(failure) => {
                seen.lock().unwrap().failed(start, &failure);
                // The page connects again; so does the bot.
                if let Some(broken) = bot.take() {
                    seen.lock().unwrap().output += broken.read;
                    broken.close().await;
                }
            }
        }
    }
    if let Some(bot) = bot {
        seen.lock().unwrap().output += bot.read;
        bot.close().await;
    }
}

#[tokio::main]
async fn main() {
    let minutes = env_or("QUAI_SOAK_MINUTES", 10);
    let sessions = env_or("QUAI_SOAK_SESSIONS", 200) as usize;
    let load = served::load_average();
    let served = Served::start("soak", &room_for(sessions + 8));
    let pid = served.child.id();
    let http = reqwest::Client::new();
    let seen = Arc::new(Mutex::new(Seen::default()));

    println!("starting {sessions} sessions…");
    let filling = Instant::now();
    let started: Vec<_> = futures::stream::iter(0..sessions)
        .map(|_| bot::start(&http, &served.base, Profile::Shell))
        .buffer_unordered(FILLING)
        .collect()
        .await;
    let filled = filling.elapsed();
    let mut students = Vec::new();
    let mut not_started = BTreeMap::<String, usize>::new();
    for result in started {
        match result {
            Ok(pair) => students.push(pair),
            Err(failure) => *not_started.entry(failure.kind()).or_default() += 1,
        }
    }

    println!("{} students typing for {minutes} minutes…", students.len());
    let start = Instant::now();
    let until = start + Duration::from_secs(minutes * 60);
    let memory = tokio::spawn(async move {
        let mut samples = Vec::new();
        while Instant::now() < until {
            samples.push((start.elapsed().as_secs_f64(), served::rss_kib_of(pid)));
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
        samples.push((start.elapsed().as_secs_f64(), served::rss_kib_of(pid)));
        samples
    });
    let cpu_before = served.usage().0;
    let tasks: Vec<_> = students
        .into_iter()
        .enumerate()
        .map(|(i, (session, bot))| {
            tokio::spawn(student(
                served.base.clone(),
                session,
                Some(bot),
                i as u64 + 1,
                start,
                until,
                seen.clone(),
            ))
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let cpu = (served.usage().0 - cpu_before) / start.elapsed().as_secs_f64() * 100.0;
    let memory = memory.await.expect("the memory sampler ends");
    println!("stopping the server…");
    let stopping = Instant::now();
    let left = served.stop();
    let stopped = stopping.elapsed();

    let seen = seen.lock().unwrap();
    let mut failures = seen.failures.clone();
    for (kind, n) in &not_started {
        *failures.entry(kind.clone()).or_default() += n;
    }
    let failed: usize = failures.values().sum();
    let echo_all = Sample::new(
        seen.minutes
            .values()
            .flat_map(|m| m.echo.iter().copied())
            .collect(),
    );
    let command_all = Sample::new(
        seen.minutes
            .values()
            .flat_map(|m| m.command.iter().copied())
            .collect(),
    );
    let mib_per_hour = slope(&memory) * 3600.0 / 1024.0;
    // Late in a run long enough for the scrollbacks to fill, what is left of the slope is what
    // would leak; in a shorter one the last third still holds their filling.
    let last_third: Vec<(f64, f64)> = memory
        .iter()
        .filter(|s| s.0 >= minutes as f64 * 60.0 * 2.0 / 3.0)
        .copied()
        .collect();
    let late_mib_per_hour = slope(&last_third) * 3600.0 / 1024.0;
    let scrollbacks_mib = (sessions * DEFAULT_SCROLLBACK) as f64 / (1024.0 * 1024.0);
    let per_terminal = seen.output as f64 / sessions.max(1) as f64;
    let held_mib =
        sessions as f64 * per_terminal.min(DEFAULT_SCROLLBACK as f64) / (1024.0 * 1024.0);
    let rss_at = |second: f64| {
        memory
            .iter()
            .min_by(|a, b| (a.0 - second).abs().total_cmp(&(b.0 - second).abs()))
            .map_or(0.0, |s| s.1 / 1024.0)
    };

    let mut out = format!(
        "Measured with `cargo xtask soak --minutes {minutes} --sessions {sessions}` (`cargo \
         bench -p quai-backend --bench soak`) against a `quai serve` process, on the machine \
         that ran it: {} cores, load average {load} when it started (the machine is shared: \
         figures are noisy). {sessions} shell sessions were started through `POST \
         /api/sessions`, {FILLING} at a time ({:.0} s), each with a bot on its terminal's \
         socket acknowledging output as the page does; every 2 to 5 s each bot types a \
         command (`seq` of up to 200 lines, then a sum only the shell prints), reads the \
         output and checks the sum appears. Echo: from the typed line to its first output; \
         command: from Enter to the sum on screen.\n\n\
         | minute | commands | echo p50 (ms) | echo p99 (ms) | command p50 (ms) | command p99 (ms) | failures | server RSS (MiB) |\n\
         |---|---|---|---|---|---|---|---|\n",
        served::cores(),
        filled.as_secs_f64(),
    );
    for (minute, m) in &seen.minutes {
        let (echo, command) = (Sample::new(m.echo.clone()), Sample::new(m.command.clone()));
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {:.1} |\n",
            minute + 1,
            echo.len(),
            echo.pct(0.5),
            echo.pct(0.99),
            command.pct(0.5),
            command.pct(0.99),
            m.failures,
            rss_at((minute + 1) as f64 * 60.0),
        ));
    }
    out.push_str(&format!(
        "| all | **{}** | **{:.1}** | **{:.1}** | **{:.1}** | **{:.1}** | **{failed}** | |\n\n",
        echo_all.len(),
        echo_all.pct(0.5),
        echo_all.pct(0.99),
        command_all.pct(0.5),
        command_all.pct(0.99),
    ));
    out.push_str(&format!(
        "- failures by kind: {}\n\
         - the server's resident memory: {:.1} MiB at the start of the typing, {:.1} MiB at \
         the end; its slope over the run **{mib_per_hour:+.1} MiB/hour** and over its last \
         third **{late_mib_per_hour:+.1} MiB/hour** (least squares over a reading every {} s). \
         Each terminal keeps up to {} KiB of its output for replay, filled as the output \
         comes: the bots read {:.0} KiB per terminal over the run, so the scrollbacks hold \
         about {held_mib:.0} MiB at the end ({scrollbacks_mib:.0} MiB once all full).\n\
         - the server's CPU while they typed: {cpu:.0} % of a core\n\
         - stopping the server (every session ended): {:.1} s; left in the engine after: \
         **{left}**\n",
        if failures.is_empty() {
            "**none**".to_string()
        } else {
            failures
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}"))
                .collect::<Vec<_>>()
                .join("; ")
        },
        memory.first().map_or(0.0, |s| s.1 / 1024.0),
        memory.last().map_or(0.0, |s| s.1 / 1024.0),
        SAMPLE_EVERY.as_secs(),
        DEFAULT_SCROLLBACK / 1024,
        per_terminal / 1024.0,
        stopped.as_secs_f64(),
    ));

    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/soak.md").to_string()
    });
    if let Some(dir) = Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("{out}\nwritten to {path}");
    if failed > 0 || !left.none() {
        eprintln!("the soak saw {failed} failures; left in the engine: {left}");
        std::process::exit(1);
    }
}
