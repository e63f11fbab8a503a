//! `cargo xtask`: sets up a machine for Quai, builds it, runs it and tests it.
//!
//! Every subcommand first installs what is missing (saying so on a `==>` line), then acts:
//! `run` serves Quai, `test` runs every check CI runs, `images` builds the session images,
//! `bench` measures a playground in a browser, the server, its terminals and their transport,
//! `build` builds the page and the server alone, `fuzz` runs the fuzz targets of Quai's
//! parsers, `soak` has many sessions typing against one server for a while.

mod backend;
mod bench;
mod disk;
mod failures;
mod frontend;
mod fuzz;
mod glance;
mod images;
mod run;
mod setup;
mod shell;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Builds, runs and tests Quai; installs what is missing on a Debian machine first.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up what is missing, build everything and serve Quai on port 8080.
    Run {
        /// Extra arguments for `quai serve`, after `--` (for example `-- --listen 127.0.0.1:9000`).
        #[arg(last = true)]
        serve_args: Vec<String>,
    },
    /// Set up what is missing, then run formatting, lints, unit, Docker and browser tests.
    Test,
    /// Build the session and catalog images from the recipes in images/ when a recipe changed.
    Images {
        /// Rebuild even when an image for the current recipe exists.
        #[arg(long)]
        force: bool,
        /// Then run each catalog image and check it does its job (as `test` does).
        #[arg(long)]
        check: bool,
    },
    /// Build the page and the server only (no images, no tests): what `run` builds.
    Build,
    /// Set up and build like `test`, then measure playgrounds in headless Chromium.
    Bench {
        /// How many playgrounds to measure.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Measure only this part and rewrite only its section of docs/BENCHMARKS.md.
        #[arg(long, value_enum)]
        only: Option<bench::Part>,
    },
    /// Run every fuzz target of fuzz/ (nightly, cargo-fuzz) for a while each, keeping its
    /// minimized corpus, and write the "Fuzzing" section of docs/BENCHMARKS.md.
    Fuzz {
        /// How long each target runs.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// Run only these targets (comma-separated) and rewrite only their rows.
        #[arg(long)]
        only: Option<String>,
    },
    /// Many sessions typing through their sockets against one server for a while; writes
    /// the "Soak" section of docs/BENCHMARKS.md and fails on any error or leftover.
    Soak {
        /// How long the bots type.
        #[arg(long, default_value_t = 10)]
        minutes: u32,
        /// How many sessions, each with a typing bot.
        #[arg(long, default_value_t = 200)]
        sessions: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = shell::enter_project_root().and_then(|()| match cli.command {
        Command::Run { serve_args } => run::run(&serve_args),
        Command::Test => test::test(),
        Command::Build => run::build(),
        Command::Images { force, check } => images::images(force, check),
        Command::Bench { runs, only } => bench::bench(runs, only),
        Command::Fuzz { seconds, only } => fuzz::fuzz(seconds, only.as_deref()),
        Command::Soak { minutes, sessions } => bench::soak(minutes, sessions),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            shell::error(&format!("{err:#}"));
            ExitCode::FAILURE
        }
    }
}
