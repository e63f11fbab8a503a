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

#[derive(Subcommand)]
enum Command {
    /// Serve the playground.
    Serve(Config),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "quai=info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
