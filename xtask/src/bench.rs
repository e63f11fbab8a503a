//! `cargo xtask bench`: sets up and builds like `test`, then measures a playground as a user
//! feels it (click to prompt, echo round trip, an output flood, end to containers gone) with
//! `node e2e/bench.mjs`, the home page loaded cold (bytes, first paint, the start button
//! clickable; its files sent as-is, gzip and brotli) with `node e2e/bench-load.mjs` beside the
//! page's file sizes from the build, and the server without a browser (start to prompt cold and warm for
//! both profiles, keystroke echo against a raw `docker exec` TTY, output throughput, the
//! first `docker run hello-world`) with `cargo bench -p quai-backend --bench terminal`, and
//! docker nodes rootless beside caps mode with `cargo bench -p quai-backend --bench dind`,
//! and many pages coming back after the server restarts (killed, or stopped with SIGTERM)
//! with `node e2e/bench-restart.mjs`, and stopping a server that holds 500 sessions (each
//! shutdown policy beside `docker rm -f`) with `cargo bench -p quai-backend --bench shutdown`,
//! and a classroom (50 joins at once beside 50 playgrounds started at once, a broadcast to
//! 200 viewers) with `cargo bench -p quai-backend --bench classroom`, and a terminal's
//! transport beside a raw `docker exec` TTY and terminado (installed from PyPI into
//! target/bench/terminado) on one container with `cargo bench -p quai-backend --bench
//! transport`, and the sessions one server holds and starts at once with `cargo bench -p
//! quai-backend --bench scale`, and faults while another session types (a `yes` flood, a fork
//! bomb, a full disk, the local registry and the server killed) with `cargo bench -p
//! quai-backend --bench faults`. Writes them all to docs/BENCHMARKS.md, keeping the fuzzing
//! and soak sections (which `cargo xtask fuzz` and `cargo xtask soak` write); `--only
//! transport`, `--only scale`, `--only faults` or `--only browser` measures that part alone and
//! rewrites only its section. Numbers are printed, never asserted.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::images::{self, Images};
use crate::run::prepare;
use crate::setup;
use crate::shell::{self, step};
use crate::{backend, frontend, glance};

/// A part of the benchmarks that can be measured on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// A terminal's transport beside a raw `docker exec` TTY and terminado.
    Transport,
    /// Sessions held and requested at once by one server, and its memory per session.
    Scale,
    /// Faults (a flood, a fork bomb, a full disk, the registry or the server killed) while
    /// another session types.
    Faults,
    /// A playground in headless Chromium (click to prompt, echo, output, Ctrl-C) beside
    /// terminado's page.
    Browser,
}

/// The page every figure is written to.
const PAGE: &str = "docs/BENCHMARKS.md";
const TRANSPORT: &str = "## Terminal transport, side by side";
const SCALE: &str = "## Scale";
const SOAK: &str = "## Soak";
const FAULTS: &str = "## Faults";
const BROWSER: &str = "## In the browser";

/// Only the engine and the session images: no page, no browser.
fn engine_only() -> Result<Images> {
    setup::install_tools(&[setup::Tool::Docker])?;
    setup::docker_daemon()?;
    images::ensure_all(false)
}

/// Rewrites one section of docs/BENCHMARKS.md, and its glance.
pub(crate) fn write_section(heading: &str, section: &str) -> Result<()> {
    let page = fs::read_to_string(PAGE).unwrap_or_default();
    write_page(&with_section(&page, heading, section))?;
    shell::ok(&format!("Wrote its section of {PAGE} ({heading})"));
    Ok(())
}

/// Writes docs/BENCHMARKS.md with its glance rebuilt from its sections.
fn write_page(page: &str) -> Result<()> {
    fs::write(PAGE, glance::with_glance(page)).with_context(|| format!("cannot write {PAGE}"))
}

/// `cargo xtask bench [--runs N] [--only PART]`.
pub fn bench(runs: u32, only: Option<Part>) -> Result<()> {
    match only {
        Some(Part::Transport) => return write_section(TRANSPORT, &transport(&engine_only()?)?),
        Some(Part::Scale) => return write_section(SCALE, &scale(&engine_only()?)?),
        Some(Part::Faults) => return write_section(FAULTS, &faults(&engine_only()?)?),
        Some(Part::Browser) | None => {}
    }
    let ready = prepare(true)?;
    frontend::build(&ready.wasm_bindgen)?;
    let binary = backend::build()?;
    setup::npm_packages(Path::new("e2e"), "the browser tests")?;
    let chromium = setup::chromium_binary().context("Chromium is not installed")?;
    if only == Some(Part::Browser) {
        return write_section(BROWSER, &browser(runs, &binary, &chromium, &ready.images)?);
    }
    let browser = browser(runs, &binary, &chromium, &ready.images)?;
    step(&format!(
        "Loading the home page cold, {runs} runs per encoding and link (node e2e/bench-load.mjs)"
    ));
    shell::run(
        Command::new("node")
            .arg("e2e/bench-load.mjs")
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BIN", &binary)
            .envs(ready.images.server_env())
            .env("QUAI_E2E_CHROMIUM", &chromium),
    )?;
    step(&format!("Measuring the server and terminals, {runs} runs (cargo bench -p quai-backend --bench terminal)"));
    // cargo runs a bench from its package's folder: give it a path that holds from anywhere.
    let terminal = std::env::current_dir()?.join("target/bench/terminal.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "terminal"])
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BENCH_OUT", &terminal)
            .envs(ready.images.server_env()),
    )?;
    step(&format!("Measuring docker nodes rootless beside caps mode, {runs} runs (cargo bench -p quai-backend --bench dind)"));
    let dind = std::env::current_dir()?.join("target/bench/dind.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "dind"])
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BENCH_OUT", &dind)
            .envs(ready.images.server_env()),
    )?;
    step(&format!(
        "Measuring pages coming back after a server restart, {runs} runs (node e2e/bench-restart.mjs)"
    ));
    shell::run(
        Command::new("node")
            .arg("e2e/bench-restart.mjs")
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BIN", binary)
            .envs(ready.images.server_env())
            .env("QUAI_E2E_CHROMIUM", chromium),
    )?;
    step("Measuring a server stopping with 500 sessions (cargo bench -p quai-backend --bench shutdown)");
    let shutdown = std::env::current_dir()?.join("target/bench/shutdown.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "shutdown"])
            .env("QUAI_BENCH_OUT", &shutdown)
            .envs(ready.images.server_env()),
    )?;
    step("Measuring a classroom: 50 joins at once, a broadcast to 200 viewers (cargo bench -p quai-backend --bench classroom)");
    let classroom = std::env::current_dir()?.join("target/bench/classroom.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "classroom"])
            .env("QUAI_BENCH_OUT", &classroom)
            .envs(ready.images.server_env()),
    )?;
    let transport = transport(&ready.images)?;
    let scale = scale(&ready.images)?;
    let faults = faults(&ready.images)?;
    let load = fs::read_to_string("e2e/artifacts/bench-load.md")
        .context("the page load bench wrote no table")?;
    let sizes = fs::read_to_string(frontend::SIZES).context("the frontend build wrote no sizes")?;
    let restart = fs::read_to_string("e2e/artifacts/bench-restart.md")
        .context("the restart bench wrote no table")?;
    let server = fs::read_to_string(&terminal).context("the terminal bench wrote no table")?;
    let dind = fs::read_to_string(&dind).context("the dind bench wrote no table")?;
    let shutdown = fs::read_to_string(&shutdown).context("the shutdown bench wrote no table")?;
    let classroom = fs::read_to_string(&classroom).context("the classroom bench wrote no table")?;
    let report = format!(
        "# Benchmarks\n\nWritten by `cargo xtask bench` (rerun it to refresh this page). Timing lives here, \
         never in tests.\n\n{browser}\n## Loading the page\n\nWhat a student's browser downloads before the home page \
         works. The page's files as built (`wasm-opt -Oz` on a wasm of the `wasm` profile; each \
         file precompressed at the best levels, sent by the browser's `Accept-Encoding`):\n\n{sizes}\n\
         Before this build (a `--release` wasm at `opt-level = \"s\"`, no wasm-opt, every file sent \
         uncompressed and uncached), the wasm alone was 2913 KiB (756 KiB as gzip, 529 KiB as \
         brotli), and every load fetched all 4 MB again.\n\nThe home page loaded cold in headless \
         Chromium (a fresh profile each time), its files sent as-is (the browser sends \
         `Accept-Encoding: identity`), as gzip or as brotli (Chromium's own choice); over the \
         loopback, and over a 20 Mbit/s link with 20 ms of latency emulated by Chromium. Paint \
         timings are the browser's (the \"Loading…\" line); the start button is clickable once the \
         wasm is fetched, compiled and run. Rows \"earlier build\" are the page served from the \
         static folder `QUAI_BENCH_BEFORE` names, when set.\n\n{load}\n## The server and its terminals\n\n{server}\n{transport}\n## Docker inside a node: rootless beside caps\n\n\
         Rootless (the default: the node runs as an unprivileged user, Docker Engine inside it rootless) \
         beside caps mode (Docker Engine as root with nearly every capability: root on the host in all \
         but name, what docker nodes were before rootless). Caps is run with `--allow-host-root`, for \
         this comparison only.\n\n{dind}\n## Restarting the server\n\nSessions outlive the server \
         (`--on-shutdown keep`): many people's pages, each with a shell playground open in its own \
         browser profile of one headless Chromium, while the server is killed with SIGKILL, or \
         stopped with SIGTERM, and started again on the same port, database and instance. Times \
         run from the spawn of the new process; the pages reconnect by themselves, after \
         their reconnect delay, and a page has answered once its terminal, attached again, \
         printed the output of an `echo` typed into it.\n\n{restart}\n## Stopping a server that holds \
         many sessions\n\nRemoving sessions runs a bounded number at a time (16); keeping them \
         (the default) leaves them running for the next start.\n\n{shutdown}\n## A classroom\n\n{classroom}\n{scale}\n{faults}"
    );
    // Fuzzing and the soak are run on their own (`cargo xtask fuzz`, `cargo xtask soak`):
    // their sections are kept.
    let before = fs::read_to_string(PAGE).unwrap_or_default();
    let mut report = report.trim_end().to_string();
    for heading in [crate::fuzz::HEADING, SOAK] {
        if let Some(kept) = section_of(&before, heading) {
            report = format!("{report}\n\n{}", kept.trim_end());
        }
    }
    report.push('\n');
    write_page(&report)?;
    shell::ok(&format!("Wrote {PAGE}"));
    Ok(())
}

/// Measures playgrounds in headless Chromium beside terminado's page (`node e2e/bench.mjs`);
/// returns its section of the page, heading included.
fn browser(runs: u32, binary: &Path, chromium: &Path, images: &Images) -> Result<String> {
    let root = std::env::current_dir()?;
    let python = setup::terminado_venv(&root.join("target/bench/terminado"))?;
    step(&format!(
        "Measuring {runs} playgrounds in headless Chromium beside terminado (node e2e/bench.mjs)"
    ));
    shell::run(
        Command::new("node")
            .arg("e2e/bench.mjs")
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BIN", binary)
            .env("QUAI_BENCH_TERMINADO", python)
            .envs(images.server_env())
            .env("QUAI_E2E_CHROMIUM", chromium),
    )?;
    let tables =
        fs::read_to_string("e2e/artifacts/bench.md").context("the browser bench wrote no table")?;
    Ok(format!(
        "{BROWSER}\n\nA person's view: headless Chromium clicks \"Start a playground\" (a `docker` \
         node from the warm pool), types, and reads the terminal. Times come from the page itself: \
         run with `window.__quaiBench` set, it hands every write xterm.js has finished (its write \
         callback) to the bench, which times it from the key event's own time stamp or the click's \
         `quai:click` performance mark; rows marked \"polled\" read the screen every 50 ms \
         instead and are rounded up by up to that much.\n\n{tables}"
    ))
}

/// Measures a terminal's transport on one container, Quai beside a raw `docker exec` TTY and
/// terminado; returns its section of the page, heading included.
fn transport(images: &Images) -> Result<String> {
    let root = std::env::current_dir()?;
    let python = setup::terminado_venv(&root.join("target/bench/terminado"))?;
    step("Measuring a terminal's transport beside a raw docker exec TTY and terminado (cargo bench -p quai-backend --bench transport)");
    let out = root.join("target/bench/transport.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "transport"])
            .env("QUAI_BENCH_OUT", &out)
            .env("QUAI_BENCH_TERMINADO", python)
            .envs(images.server_env()),
    )?;
    let table = fs::read_to_string(&out).context("the transport bench wrote no table")?;
    Ok(format!("{TRANSPORT}\n\n{table}"))
}

/// Measures the sessions one server holds and starts at once, and its memory per session;
/// returns its section of the page, heading included.
fn scale(images: &Images) -> Result<String> {
    step(
        "Measuring sessions held and requested at once (cargo bench -p quai-backend --bench scale)",
    );
    let out = std::env::current_dir()?.join("target/bench/scale.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "scale"])
            .env("QUAI_BENCH_OUT", &out)
            .envs(images.server_env()),
    )?;
    let table = fs::read_to_string(&out).context("the scale bench wrote no table")?;
    Ok(format!(
        "{SCALE}\n\n{table}\nBefore the server's changes for this bench (the same bench on \
         the same machine, loaded alike): every open page had the server ask the engine for \
         its node's first process once a second (to read its listening ports), and every \
         open terminal and socket took about 200 KiB at once (a 1024-chunk output channel, \
         64 KiB of scrollback reserved, a 128 KiB socket read buffer zero-filled). With 100 \
         shell sessions held the server used 351 KiB more per idle session and the typist's \
         echo p99 was 3340 ms (0.82 ms with none).\n\nWhat remains per open page: its \
         node's listening ports are read once a second from `/proc/<pid>/net/tcp` and \
         `tcp6`, which the kernel answers by walking the host's whole TCP table, about 1.5 \
         ms of system time each: about 0.3 % of a core per open page, the server's CPU in the \
         table above.\n"
    ))
}

/// Runs the soak: `sessions` typing bots for `minutes` against one server, writing its
/// report to `out`; fails when a bot saw a failure or the server left something behind.
pub fn run_soak(images: &Images, minutes: u32, sessions: u32, out: &Path) -> Result<()> {
    step(&format!(
        "Soaking: {sessions} sessions typing for {minutes} minutes (cargo bench -p quai-backend --bench soak)"
    ));
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "soak"])
            .env("QUAI_SOAK_MINUTES", minutes.to_string())
            .env("QUAI_SOAK_SESSIONS", sessions.to_string())
            .env("QUAI_BENCH_OUT", out)
            .envs(images.server_env()),
    )
}

/// `cargo xtask soak --minutes N [--sessions 200]`: the soak, its report written as the
/// "Soak" section of docs/BENCHMARKS.md (also when it failed, which it then says).
pub fn soak(minutes: u32, sessions: u32) -> Result<()> {
    let images = engine_only()?;
    let out = std::env::current_dir()?.join("target/bench/soak.md");
    let _ = fs::remove_file(&out);
    let outcome = run_soak(&images, minutes, sessions, &out);
    if let Ok(report) = fs::read_to_string(&out) {
        write_section(SOAK, &format!("{SOAK}\n\n{report}"))?;
    }
    outcome
}

/// The section under `heading` in `page` (up to the next `## `), heading included.
fn section_of(page: &str, heading: &str) -> Option<String> {
    let start = page.find(&format!("{heading}\n"))?;
    let rest = &page[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .map_or(page.len(), |next| start + heading.len() + next + 1);
    Some(page[start..end].to_string())
}

/// Measures faults while another session types (`cargo bench -p quai-backend --bench
/// faults`); returns its section of the page, heading included.
fn faults(images: &Images) -> Result<String> {
    step(
        "Measuring faults while another session types (cargo bench -p quai-backend --bench faults)",
    );
    let out = std::env::current_dir()?.join("target/bench/faults.md");
    shell::run(
        Command::new("cargo")
            .args(["bench", "-p", "quai-backend", "--bench", "faults"])
            .env("QUAI_BENCH_OUT", &out)
            .envs(images.server_env()),
    )?;
    let table = fs::read_to_string(&out).context("the faults bench wrote no table")?;
    Ok(format!("{FAULTS}\n\n{table}"))
}

/// `page` with the section under `heading` (up to the next `## `) replaced by `section`, or
/// with `section` added at the end when it has none.
pub(crate) fn with_section(page: &str, heading: &str, section: &str) -> String {
    let Some(start) = page.find(&format!("{heading}\n")) else {
        return format!("{}\n\n{section}", page.trim_end());
    };
    let rest = &page[start + heading.len()..];
    match rest.find("\n## ") {
        Some(next) => format!("{}{section}\n{}", &page[..start], &rest[next + 1..]),
        None => format!("{}{section}", &page[..start]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_up_to_the_next_heading() {
        let page = "# B\n\n## One\n\nold\n\n## Two\n\nkept\n";
        assert_eq!(
            with_section(page, "## One", "## One\n\nnew\n"),
            "# B\n\n## One\n\nnew\n\n## Two\n\nkept\n"
        );
    }

    #[test]
    fn a_last_section_is_replaced_to_the_end() {
        let page = "# B\n\n## One\n\nold\n";
        assert_eq!(
            with_section(page, "## One", "## One\n\nnew\n"),
            "# B\n\n## One\n\nnew\n"
        );
    }

    #[test]
    fn a_section_is_read_up_to_the_next_heading() {
        let page = "# B\n\n## One\n\nold\n\n## Two\n\nkept\n";
        assert_eq!(section_of(page, "## One").unwrap(), "## One\n\nold\n\n");
        assert_eq!(section_of(page, "## Two").unwrap(), "## Two\n\nkept\n");
        assert_eq!(section_of(page, "## Three"), None);
    }

    #[test]
    fn a_missing_section_is_added_at_the_end() {
        assert_eq!(
            with_section("# B\n\n## Two\n\nkept\n", "## One", "## One\n\nnew\n"),
            "# B\n\n## Two\n\nkept\n\n## One\n\nnew\n"
        );
    }
}
