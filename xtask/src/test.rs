//! `cargo xtask test`: sets up the machine like `run` (plus Chromium), then runs every check
//! CI runs as a stage — formatting, lints, builds, unit and Docker tests, image checks, browser
//! tests, a short run of every fuzz target — and keeps going after a failure so one run
//! reports them all.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};

use crate::images::Images;
use crate::run::{prepare, Ready};
use crate::setup;
use crate::shell::{self, cargo, step};
use crate::{backend, disk, failures, frontend};

/// The result of one stage.
struct Stage {
    name: &'static str,
    outcome: Result<()>,
    elapsed: Duration,
    /// Free disk when the stage ended, as [`disk::describe`] says it.
    free_after: Vec<(String, u64)>,
}

fn stage(stages: &mut Vec<Stage>, name: &'static str, body: impl FnOnce() -> Result<()>) -> bool {
    step(&format!("Stage: {name}"));
    let begin = Instant::now();
    let outcome = body();
    if let Err(err) = &outcome {
        shell::error(&format!("{name} failed: {err:#}"));
    }
    let passed = outcome.is_ok();
    stages.push(Stage {
        name,
        outcome,
        elapsed: begin.elapsed(),
        free_after: disk::free(),
    });
    passed
}

/// `cargo xtask test`.
pub fn test() -> Result<()> {
    let free = disk::free();
    step(&format!("Disk: {}", disk::describe(&free)));
    if disk::least(&free)
        .is_some_and(|least| (least as f64) < disk::SUITE_NEEDS_GIB * f64::from(1u32 << 30))
    {
        shell::warn(&format!(
            "a fresh run of the suite writes about {} GiB (builds, images, sessions): with less \
             free, its tests fail on a full disk",
            disk::SUITE_NEEDS_GIB
        ));
    }
    let ready = prepare(true)?;
    let mut stages = Vec::new();
    run_stages(&ready, &mut stages);

    // The summary goes to the error output too, where a log's tail is read first.
    eprintln!("==> Summary");
    let failed = stages.iter().filter(|stage| stage.outcome.is_err()).count();
    for stage in &stages {
        let time = shell::seconds(stage.elapsed);
        let free = disk::least(&stage.free_after)
            .map(disk::gib)
            .unwrap_or_default();
        match &stage.outcome {
            Ok(()) => eprintln!("  passed  {} ({time}, {free} free after)", stage.name),
            Err(err) => eprintln!(
                "  FAILED  {} ({time}, {free} free after): {}",
                stage.name,
                first_line(err)
            ),
        }
    }
    eprintln!("xtask: {} passed, {failed} failed", stages.len() - failed);
    eprintln!("disk at the end: {}", disk::describe(&disk::free()));
    // The failing tests' own reports, again, below the whole log.
    for stage in &stages {
        if let Err(err) = &stage.outcome {
            let report = format!("{err:#}");
            let details: Vec<&str> = report.lines().skip(1).collect();
            if !details.is_empty() {
                eprintln!("==> What failed in {}", stage.name);
                for line in details {
                    eprintln!("{line}");
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} test stages failed", stages.len());
    }
    Ok(())
}

fn first_line(err: &anyhow::Error) -> String {
    format!("{err:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn run_stages(ready: &Ready, stages: &mut Vec<Stage>) {
    stage(stages, "formatting (cargo fmt --check)", || {
        shell::run(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    stage(stages, "lints (cargo clippy)", || {
        shell::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    stage(
        stages,
        "frontend lints (cargo clippy --target wasm32-unknown-unknown)",
        || {
            shell::run(cargo().args([
                "clippy",
                "-p",
                "quai-frontend",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        },
    );
    let frontend_built = stage(stages, "frontend build", || {
        frontend::build(&ready.wasm_bindgen)
    });
    let mut binary = None;
    let backend_built = stage(stages, "server build", || {
        binary = Some(backend::build()?);
        Ok(())
    });
    stage(stages, "unit and Docker tests (cargo test)", || {
        // Every test binary runs, so one failing binary does not hide the others' failures.
        shell::run_reporting(
            cargo()
                .args(["test", "--workspace", "--no-fail-fast"])
                .envs(ready.images.server_env()),
            failures::cargo_tests,
        )
    });
    stage(stages, "fuzzing (20 s per target)", || {
        crate::fuzz::short(20)
    });
    stage(stages, "soak (20 sessions typing for 1 minute)", || {
        let out = std::env::current_dir()?.join("target/bench/soak-test.md");
        crate::bench::run_soak(&ready.images, 1, 20, &out)
    });
    stage(stages, "image checks", || {
        crate::images::check(&ready.images)
    });
    stage(
        stages,
        "lesson checks (quai lessons check)",
        || match &binary {
            Some(binary) => shell::run(
                Command::new(binary)
                    .args(["lessons", "check", "--dir", "lessons"])
                    .envs(ready.images.server_env()),
            ),
            None => Err(anyhow!("not run because the server build failed")),
        },
    );
    stage(
        stages,
        "browser tests (node --test e2e/)",
        || match binary {
            Some(binary) if frontend_built && backend_built => {
                browser_tests(&binary, &ready.images)
            }
            _ => Err(anyhow!("not run because the build failed")),
        },
    );
}

/// Installs the e2e packages and runs every `e2e/*.test.mjs` with Node's test runner.
fn browser_tests(binary: &Path, images: &Images) -> Result<()> {
    let dir = Path::new("e2e");
    setup::npm_packages(dir, "the browser tests")?;
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("e2e/ holds no *.test.mjs file");
    }
    let chromium = setup::chromium_binary().ok_or_else(|| anyhow!("Chromium is not installed"))?;
    shell::run_reporting(
        Command::new("node")
            .arg("--test")
            // TAP, whether or not the output is a terminal: its failure blocks are picked out.
            .arg("--test-reporter=tap")
            .args(&files)
            .env("QUAI_BIN", binary)
            .envs(images.server_env())
            .env("QUAI_E2E_CHROMIUM", chromium),
        failures::node_tests,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_documents_every_server_setting() {
        crate::shell::enter_project_root().unwrap();
        let config = std::fs::read_to_string("backend/src/config/mod.rs").unwrap();
        let readme = std::fs::read_to_string("README.md").unwrap();
        let missing: Vec<&str> = config
            .split("env = \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|var| !readme.contains(&format!("`{var}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md's configuration table lacks {}",
            missing.join(", ")
        );
    }
}
