//! `cargo xtask fuzz`: installs nightly Rust and cargo-fuzz when missing, builds the fuzz
//! targets of `fuzz/` and runs each for a while, one at a time, growing and then minimizing
//! its corpus in `fuzz/corpus/<target>/`; writes what each did to the "Fuzzing" section of
//! docs/BENCHMARKS.md. `short` is the same run for a few seconds each, for `cargo xtask test`,
//! leaving the corpora as they are.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::shell::{self, find_program, step};

/// Every fuzz target, with the parser it feeds (as in fuzz/Cargo.toml and `quai::fuzzing`).
pub const TARGETS: [(&str, &str); 8] = [
    ("socket_frame", "binary frames of the session socket"),
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

const HEADING: &str = "## Fuzzing";

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

fn pick(only: Option<&str>) -> Result<Vec<&'static str>> {
    let all: Vec<&'static str> = TARGETS.iter().map(|(name, _)| *name).collect();
    match only {
        None => Ok(all),
        Some(name) => match all.iter().find(|t| **t == name) {
            Some(target) => Ok(vec![*target]),
            None => bail!("no fuzz target {name}; there are {}", all.join(", ")),
        },
    }
}

/// Builds the targets (sanitizer and coverage on), saying how long it took.
fn build(targets: &[&str]) -> Result<f64> {
    step("Building the fuzz targets (cargo +nightly fuzz build)");
    let begin = Instant::now();
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "build"]);
    if let [one] = targets {
        cmd.arg(one);
    }
    shell::run(&mut cmd)?;
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
    step(&format!("Fuzzing {target} for {seconds} s"));
    let corpus = Path::new("fuzz/corpus").join(target);
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(into)?;
    let log_path = Path::new("fuzz/artifacts").join(format!("{target}.log"));
    fs::create_dir_all("fuzz/artifacts")?;
    let log = fs::File::create(&log_path)?;
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "run", target]).arg(into);
    if into != corpus {
        cmd.arg(&corpus);
    }
    cmd.args([
        "--",
        &format!("-max_total_time={seconds}"),
        "-timeout=30",
        "-print_final_stats=1",
    ])
    .stdin(Stdio::null())
    .stdout(log.try_clone()?)
    .stderr(log);
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
        seconds,
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

/// Minimizes the corpus of `target` (`cargo fuzz cmin`).
fn minimize(target: &str) -> Result<()> {
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "cmin", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    shell::run(&mut cmd)
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
    fs::write(
        "docs/BENCHMARKS.md",
        crate::bench::with_section(&page, HEADING, &section),
    )
    .context("cannot write docs/BENCHMARKS.md")?;
    shell::ok("Wrote the Fuzzing section of docs/BENCHMARKS.md");
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
            "Building every target (nightly, AddressSanitizer, coverage) took {build_seconds:.0} s on this machine. "
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
