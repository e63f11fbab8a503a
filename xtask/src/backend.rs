//! Builds the server: the `quai` binary in release mode at `target/release/quai`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::shell::{self, cargo, ok, step};

/// Where `cargo build -p quai-backend --release` puts the server.
pub const BINARY: &str = "target/release/quai";

/// Compiles the server and returns the path of its binary.
pub fn build() -> Result<PathBuf> {
    let begin = Instant::now();
    step("Building the server (cargo build -p quai-backend --release)");
    shell::run(cargo().args(["build", "-p", "quai-backend", "--release"]))?;
    ok(&format!(
        "Server built at {BINARY} in {}",
        shell::seconds(begin.elapsed())
    ));
    Ok(std::env::current_dir()?.join(BINARY))
}
