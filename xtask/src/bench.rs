//! `cargo xtask bench`: sets up and builds like `test`, then measures a playground as a user
//! feels it (click to prompt, echo round trip, an output flood, end to containers gone) with
//! `node e2e/bench.mjs`. Numbers are printed, never asserted.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::run::prepare;
use crate::setup;
use crate::shell::{self, step};
use crate::{backend, frontend};

/// `cargo xtask bench [--runs N]`.
pub fn bench(runs: u32) -> Result<()> {
    let ready = prepare(true)?;
    frontend::build(&ready.wasm_bindgen)?;
    let binary = backend::build()?;
    setup::npm_packages(Path::new("e2e"), "the browser tests")?;
    let chromium = setup::chromium_binary().context("Chromium is not installed")?;
    step(&format!(
        "Measuring {runs} playgrounds in headless Chromium (node e2e/bench.mjs)"
    ));
    shell::run(
        Command::new("node")
            .arg("e2e/bench.mjs")
            .env("QUAI_BENCH_RUNS", runs.to_string())
            .env("QUAI_BIN", binary)
            .envs(ready.images.server_env())
            .env("QUAI_E2E_CHROMIUM", chromium),
    )
}
