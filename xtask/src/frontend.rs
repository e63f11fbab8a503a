//! Builds the browser side into `static/dist/`: the Yew app compiled to wasm32 and bound by
//! wasm-bindgen (`quai.js`, `quai_bg.wasm`), and xterm.js with its addons copied from npm into
//! `static/dist/vendor/`, and asciinema-player (recordings) likewise.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::shell::{self, cargo, ok, step};

const WASM: &str = "target/wasm32-unknown-unknown/release/quai_frontend.wasm";
const DIST: &str = "static/dist";

/// Files of `static/node_modules` the page loads, copied flat into `static/dist/vendor/`.
const VENDOR: &[&str] = &[
    "@xterm/xterm/lib/xterm.js",
    "@xterm/xterm/css/xterm.css",
    "@xterm/addon-fit/lib/addon-fit.js",
    "@xterm/addon-webgl/lib/addon-webgl.js",
    "asciinema-player/dist/bundle/asciinema-player.min.js",
    "asciinema-player/dist/bundle/asciinema-player.css",
];

/// Compiles the frontend, runs wasm-bindgen with the CLI at `wasm_bindgen`, copies the vendor files.
pub fn build(wasm_bindgen: &Path) -> Result<()> {
    let begin = Instant::now();
    step("Building the frontend (cargo build -p quai-frontend --target wasm32-unknown-unknown --release)");
    shell::run(cargo().args([
        "build",
        "-p",
        "quai-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--release",
    ]))?;
    step(&format!(
        "Binding the frontend for the browser (wasm-bindgen --target web into {DIST})"
    ));
    shell::run(
        Command::new(wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-dir",
                DIST,
                "--out-name",
                "quai",
            ])
            .arg(WASM),
    )?;
    let vendor = Path::new(DIST).join("vendor");
    fs::create_dir_all(&vendor).with_context(|| format!("cannot create {}", vendor.display()))?;
    for file in VENDOR {
        let source = Path::new("static/node_modules").join(file);
        let name = source.file_name().expect("vendor files have names");
        fs::copy(&source, vendor.join(name)).with_context(|| {
            format!(
                "cannot copy {} (is the npm package installed?)",
                source.display()
            )
        })?;
    }
    ok(&format!(
        "Frontend built into {DIST} in {}",
        shell::seconds(begin.elapsed())
    ));
    Ok(())
}
