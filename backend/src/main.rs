//! `quai`: the command line. `quai serve` runs the server until Ctrl-C or SIGTERM, then
//! removes every container it started.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use quai::runtime::DockerRuntime;
use quai::{Config, Server};

#[derive(Parser)]
#[command(
    name = "quai",
    version,
    about = "A self-hosted Docker playground and teaching platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the playground.
    Serve(Config),
    /// The image catalog that docker nodes pull from.
    #[command(subcommand)]
    Images(ImagesCommand),
}

#[derive(Subcommand)]
enum ImagesCommand {
    /// Show every catalog image: name, digest, size.
    List,
    /// Add a `docker save` or OCI archive to the catalog, after checking every digest in it.
    Import {
        /// The archive (.tar).
        file: std::path::PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One readable paragraph: the error and its causes, no backtrace.
            eprintln!("quai: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "quai=info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
        Command::Images(command) => images(command).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let runtime = DockerRuntime::connect(&config.instance)
        .context("cannot set up the Docker client")?
        .with_dind_mode(config.dind_mode);
    let runtime = Arc::new(runtime);
    match quai::runtime::Runtime::ping(runtime.as_ref()).await {
        Ok(version) => tracing::info!(%version, "Docker Engine reachable"),
        Err(err) => {
            tracing::warn!(error = %err, "Docker Engine not reachable yet; sessions will fail until it is")
        }
    }
    let server = Server::start(config, runtime)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!("Quai is listening on http://{}/", server.addr);
    shutdown_signal().await;
    tracing::info!("shutting down: ending sessions and removing their containers");
    server.shutdown().await;
    Ok(())
}

async fn images(command: ImagesCommand) -> anyhow::Result<()> {
    let docker =
        bollard::Docker::connect_with_defaults().context("cannot set up the Docker client")?;
    match command {
        ImagesCommand::List => {
            let entries = quai::images::list(&docker).await?;
            println!("{:<32} {:<20} {:>10}", "NAME", "DIGEST", "SIZE");
            for entry in entries {
                let digest = entry.id.trim_start_matches("sha256:");
                let size = format!("{:.1} MB", entry.size as f64 / 1e6);
                println!(
                    "{:<32} sha256:{:<13} {:>10}",
                    entry.name,
                    &digest[..digest.len().min(12)],
                    size
                );
            }
        }
        ImagesCommand::Import { file } => {
            let added = quai::images::import(&docker, &file).await?;
            println!(
                "Imported {} into the catalog: {}",
                file.display(),
                added.join(", ")
            );
            println!("A running `quai serve` serves it to new docker nodes after its next start.");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
