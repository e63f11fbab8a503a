//! `cargo xtask fuzz`: installs nightly Rust and cargo-fuzz when missing, builds the fuzz
//! targets of `fuzz/` and runs each for a while, one at a time, from its hand-made seeds
//! (`fuzz/seeds/<target>/`) and its corpus (`fuzz/corpus/<target>/`), growing and then
//! minimizing the corpus; writes what each did to the "Fuzzing" section of
//! docs/BENCHMARKS.md. `short` is the same run for a few seconds each, for `cargo xtask test`,
//! leaving the corpora as they are.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::shell::{self, find_program, step};

/// Every fuzz target, with the parser it feeds (as in fuzz/Cargo.toml and `quai::fuzzing`).
pub const TARGETS: [(&str, &str); 9] = [
    ("socket_frame", "binary frames of the session socket"),
    ("keeper_frames", "keeper frames read by `quai-keeper`"),
    ("client_msg", "JSON control messages of the session socket"),
    ("upload_tar", "upload archives (tar, tar.gz)"),
    (
        "workspace_archive",
        "workspace archives and their manifest.json",
    ),
    ("lesson_toml", "lesson.toml"),
    (
        "lesson_markdown",
        "lesson Markdown rendered to sanitized HTML",
    ),
    (
        "killercoda_index",
        "Killercoda index.json, loaded and imported",
    ),
    ("image_archive", "image archives of `quai images import`"),
];

pub const HEADING: &str = "## Fuzzing";

/// What one target's run did.
struct Figures {
    target: &'static str,
    seconds: u64,
    executions: u64,
    per_second: u64,
    corpus: usize,
    crashed: bool,
    fixed: usize,
}

/// `cargo` of the nightly toolchain, without what the stable cargo running xtask set.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly");
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Installs the nightly toolchain and cargo-fuzz when missing.
fn tools() -> Result<()> {
    let toolchains = shell::output(Command::new("rustup").args(["toolchain", "list"]))
        .context("fuzzing needs rustup, to install nightly Rust")?;
    if toolchains.lines().any(|l| l.starts_with("nightly")) {
        shell::ok("Rust nightly is installed");
    } else {
        step("Installing Rust nightly (rustup toolchain install nightly --profile minimal)");
        shell::run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    if find_program("cargo-fuzz").is_some() {
        shell::ok("cargo-fuzz is installed");
    } else {
        step("Installing cargo-fuzz (cargo install cargo-fuzz --locked)");
        shell::run(shell::cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// The targets named in `only` (comma-separated), or all of them.
fn pick(only: Option<&str>) -> Result<Vec<&'static str>> {
    let all: Vec<&'static str> = TARGETS.iter().map(|(name, _)| *name).collect();
    let Some(only) = only else {
        return Ok(all);
    };
    only.split(',')
        .map(str::trim)
        .map(|name| match all.iter().find(|t| **t == name) {
            Some(target) => Ok(*target),
            None => bail!("no fuzz target {name}; there are {}", all.join(", ")),
        })
        .collect()
}

/// The libFuzzer binary `cargo fuzz build -O` makes of `target`.
fn binary(target: &str) -> PathBuf {
    Path::new("fuzz/target/x86_64-unknown-linux-gnu/release").join(target)
}

/// Builds the targets (sanitizer and coverage on, optimized, without debug assertions: `-a`
/// would be another full build of the server), saying how long it took.
fn build(targets: &[&str]) -> Result<f64> {
    step("Building the fuzz targets (cargo +nightly fuzz build)");
    let begin = Instant::now();
    if targets.len() == TARGETS.len() {
        shell::run(nightly_cargo().args(["fuzz", "build", "-O"]))?;
    } else {
        for target in targets {
            shell::run(nightly_cargo().args(["fuzz", "build", "-O", target]))?;
        }
    }
    let took = begin.elapsed().as_secs_f64();
    shell::ok(&format!("built in {took:.0} s"));
    Ok(took)
}

/// The figure `stat::<name>:` of libFuzzer's final stats.
fn stat(log: &str, name: &str) -> u64 {
    let key = format!("stat::{name}:");
    log.lines()
        .filter_map(|line| line.trim().strip_prefix(&key))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

fn files_in(dir: &Path) -> usize {
    fs::read_dir(dir).map(|d| d.flatten().count()).unwrap_or(0)
}

/// Runs `target` for `seconds` in one process; new inputs go to `into` (its corpus or a
/// scratch folder), its corpus is read too.
fn run(target: &'static str, seconds: u64, into: &Path) -> Result<Figures> {
    let seconds = seconds.max(1);
    step(&format!("Fuzzing {target} for {seconds} s"));
    let corpus = Path::new("fuzz/corpus").join(target);
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(into)?;
    let log_path = Path::new("fuzz/artifacts").join(format!("{target}.log"));
    fs::create_dir_all(Path::new("fuzz/artifacts").join(target))?;
    let log = fs::File::create(&log_path)?;
    // The binary itself: `cargo fuzz run` would build again first.
    let mut cmd = Command::new(binary(target));
    cmd.arg(into);
    if into != corpus {
        cmd.arg(&corpus);
    }
    // The hand-made inputs, read but never rewritten.
    let seeds = Path::new("fuzz/seeds").join(target);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.args([
        &format!("-artifact_prefix=fuzz/artifacts/{target}/"),
        &format!("-max_total_time={seconds}"),
        "-timeout=30",
        "-print_final_stats=1",
    ])
    .stdin(Stdio::null())
    .stdout(log.try_clone()?)
    .stderr(log);
    let begin = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{}`", shell::display(&cmd)))?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let crashed = !status.success();
    if crashed {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for line in tail.into_iter().rev() {
            println!("    {line}");
        }
        shell::error(&format!(
            "{target} failed: the input is in fuzz/artifacts/{target}/, the log in {}",
            log_path.display()
        ));
    }
    let figures = Figures {
        target,
        // A run that fails stops early.
        seconds: begin.elapsed().as_secs(),
        executions: stat(&text, "number_of_executed_units"),
        per_second: stat(&text, "average_exec_per_sec"),
        corpus: files_in(&corpus),
        crashed,
        fixed: files_in(&Path::new("fuzz/regressions").join(target)),
    };
    shell::ok(&format!(
        "{target}: {} executions ({}/s)",
        figures.executions, figures.per_second
    ));
    Ok(figures)
}

/// Minimizes the corpus of `target`: libFuzzer's merge into a fresh folder, which replaces it.
fn minimize(target: &str) -> Result<()> {
    let corpus = Path::new("fuzz/corpus").join(target);
    let fresh = Path::new("fuzz/corpus").join(format!("{target}.min"));
    let _ = fs::remove_dir_all(&fresh);
    fs::create_dir_all(&fresh)?;
    let mut cmd = Command::new(binary(target));
    cmd.arg("-merge=1")
        .arg(&fresh)
        .arg(&corpus)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    shell::run(&mut cmd)?;
    fs::remove_dir_all(&corpus)?;
    fs::rename(&fresh, &corpus)?;
    Ok(())
}

/// `cargo xtask fuzz`: every target (or `only`) for `seconds` each; writes the section.
pub fn fuzz(seconds: u64, only: Option<&str>) -> Result<()> {
    tools()?;
    let targets = pick(only)?;
    let build_seconds = build(&targets)?;
    let mut all = Vec::new();
    for target in targets {
        let corpus = Path::new("fuzz/corpus").join(target);
        let figures = run(target, seconds, &corpus)?;
        minimize(target)?;
        all.push(Figures {
            corpus: files_in(&corpus),
            ..figures
        });
    }
    let page = fs::read_to_string("docs/BENCHMARKS.md").unwrap_or_default();
    let section = section(&page, &all, build_seconds, only.is_none());
    crate::bench::write_section(HEADING, &section)?;
    let crashed: Vec<&str> = all.iter().filter(|f| f.crashed).map(|f| f.target).collect();
    if !crashed.is_empty() {
        bail!("fuzzing found failures in {}", crashed.join(", "));
    }
    Ok(())
}

/// `cargo xtask test`'s stage: every target for `seconds`, new inputs kept in a scratch folder.
pub fn short(seconds: u64) -> Result<()> {
    tools()?;
    let targets = pick(None)?;
    build(&targets)?;
    let scratch = std::env::temp_dir().join(format!("quai-fuzz-{}", std::process::id()));
    let mut crashed = Vec::new();
    for target in targets {
        let figures = run(target, seconds, &scratch.join(target))?;
        if figures.crashed {
            crashed.push(target);
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    if !crashed.is_empty() {
        bail!("fuzzing found failures in {}", crashed.join(", "));
    }
    Ok(())
}

fn row(f: &Figures) -> String {
    let parser = TARGETS
        .iter()
        .find(|(name, _)| *name == f.target)
        .map(|(_, parser)| *parser)
        .unwrap_or_default();
    format!(
        "| `{}` | {parser} | {} | {} | {} | {} | {} | {} |",
        f.target,
        f.seconds,
        f.executions,
        f.per_second,
        f.corpus,
        if f.crashed { "1" } else { "0" },
        f.fixed
    )
}

/// The section: the rows of this run, and those of targets not run this time as they were.
fn section(page: &str, run: &[Figures], build_seconds: f64, every_target: bool) -> String {
    let old_rows: Vec<&str> = page
        .find(HEADING)
        .map(|at| &page[at..])
        .map(|s| s.lines().filter(|l| l.starts_with("| `")).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (name, _) in TARGETS {
        if let Some(f) = run.iter().find(|f| f.target == name) {
            rows.push(row(f));
        } else if let Some(old) = old_rows
            .iter()
            .find(|r| r.starts_with(&format!("| `{name}` ")))
        {
            rows.push(old.to_string());
        }
    }
    let build = if every_target {
        format!(
            "This run's build of every target took {build_seconds:.0} s (a few seconds when nothing \
             changed; a first build compiles the whole server with AddressSanitizer and coverage). "
        )
    } else {
        String::new()
    };
    format!(
        "{HEADING}\n\n\
         `cargo xtask fuzz` runs each libFuzzer target of `fuzz/` alone, one process at a time, \
         then minimizes its corpus (`fuzz/corpus/<target>/`). {build}Crashes are those of the \
         last run; fixed ones are the inputs kept in `fuzz/regressions/<target>/`, which \
         `cargo test` replays with the corpora.\n\n\
         | Target | Parser | Seconds | Executions | Exec/s | Corpus (files) | Crashes | Fixed |\n\
         |---|---|---|---|---|---|---|---|\n\
         {}\n",
        rows.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_a_binary_of_the_fuzz_crate() {
        let manifest = fs::read_to_string(shell::project_root().join("fuzz/Cargo.toml")).unwrap();
        for (name, _) in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "{name} is not in fuzz/Cargo.toml"
            );
        }
    }

    #[test]
    fn final_stats_are_read() {
        let log = "#2\tINITED\nstat::number_of_executed_units: 1234\nstat::average_exec_per_sec:     56\n";
        assert_eq!(stat(log, "number_of_executed_units"), 1234);
        assert_eq!(stat(log, "average_exec_per_sec"), 56);
        assert_eq!(stat(log, "new_units_added"), 0);
    }

    #[test]
    fn rows_of_targets_not_run_are_kept() {
        let page =
            "# B\n\n## Fuzzing\n\n| `lesson_toml` | lesson.toml | 600 | 10 | 1 | 5 | 0 | 0 |\n";
        let run = [Figures {
            target: "socket_frame",
            seconds: 10,
            executions: 100,
            per_second: 10,
            corpus: 3,
            crashed: false,
            fixed: 0,
        }];
        let section = section(page, &run, 0.0, false);
        assert!(section.contains(
            "| `socket_frame` | binary frames of the session socket | 10 | 100 | 10 | 3 | 0 | 0 |"
        ));
        assert!(section.contains("| `lesson_toml` | lesson.toml | 600 | 10 | 1 | 5 | 0 | 0 |"));
        assert!(section.find("socket_frame") < section.find("lesson_toml"));
    }
}
