//! `quai`: the command line. `quai serve` runs the server until Ctrl-C or SIGTERM, then
//! keeps its sessions for the next start or ends them (`--on-shutdown`); `quai sessions`
//! lists and ends the sessions a stopped server keeps; `quai instructors` adds instructors
//! and prints their sign-in links; `quai class create` makes a class (while the server runs
//! too: both work on its database).

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
    /// The lessons students follow.
    #[command(subcommand)]
    Lessons(LessonsCommand),
    /// The sessions a stopped server keeps for its next start.
    Sessions(SessionsArgs),
    /// Instructor accounts: add one, list them, issue a new sign-in link.
    Instructors(InstructorsArgs),
    /// Classes: create one for an instructor.
    Class(ClassArgs),
}

/// Where the server keeps its database and how its links are written.
#[derive(clap::Args)]
struct ServerArgs {
    /// The database `quai serve` uses.
    #[arg(long, env = "QUAI_DATABASE", default_value = "quai.db", global = true)]
    database: std::path::PathBuf,
    /// The server instance the classes belong to.
    #[arg(long, env = "QUAI_INSTANCE", default_value = "default", global = true)]
    instance: String,
    /// Quai's public address, for the links printed (the first one, as `quai serve` reads it).
    #[arg(
        long = "public-url",
        env = "QUAI_PUBLIC_URL",
        value_delimiter = ',',
        global = true
    )]
    public_urls: Vec<String>,
    /// Where `quai serve` listens, for the links when there is no public address.
    #[arg(
        long,
        env = "QUAI_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    listen: std::net::SocketAddr,
}

impl ServerArgs {
    fn base_url(&self) -> String {
        quai::classes::base_url(&self.public_urls, self.listen)
    }
}

#[derive(clap::Args)]
struct InstructorsArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: InstructorsCommand,
}

#[derive(Subcommand)]
enum InstructorsCommand {
    /// Add an instructor and print a one-time sign-in link, valid 24 hours, through which
    /// they choose their password.
    Add {
        /// Letters, digits, dots, dashes or underscores.
        name: String,
    },
    /// Show every instructor.
    List,
    /// Print a new sign-in link for an instructor (a lost password); older links stop
    /// working.
    Link { name: String },
}

#[derive(clap::Args)]
struct ClassArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ClassCommand,
}

#[derive(Subcommand)]
enum ClassCommand {
    /// Create a class and print its join code and links.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long)]
        seats: u32,
        /// The lesson each seat starts (its profile and nodes); a blank playground without.
        #[arg(long)]
        lesson: Option<String>,
        /// The profile of a blank playground's nodes.
        #[arg(long, value_parser = ["shell", "docker"])]
        profile: Option<String>,
        /// Nodes of a blank playground.
        #[arg(long)]
        nodes: Option<u8>,
        /// Minutes until the class opens (its seats are prepared from
        /// --class-prepare-minutes before); now without.
        #[arg(long)]
        starts_in: Option<u32>,
        /// How long the class lasts, in minutes.
        #[arg(long, default_value_t = quai::classes::DEFAULT_MINUTES)]
        minutes: u32,
        /// Single-use codes to make (each opens one seat once); with them, the class's
        /// shared code opens nothing.
        #[arg(long)]
        single_use_codes: Option<u32>,
        /// The instructor who owns the class; may be left out when there is only one.
        #[arg(long)]
        instructor: Option<String>,
        /// The lessons folder, to check --lesson.
        #[arg(long, env = "QUAI_LESSONS_DIR", default_value = "lessons")]
        lessons_dir: std::path::PathBuf,
        /// Print one JSON line: id, code, join_url, instructor_url, roster_url,
        /// instructor_token.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct SessionsArgs {
    /// The database `quai serve` keeps its sessions in.
    #[arg(long, env = "QUAI_DATABASE", default_value = "quai.db", global = true)]
    database: std::path::PathBuf,
    /// The server instance whose sessions these are.
    #[arg(long, env = "QUAI_INSTANCE", default_value = "default", global = true)]
    instance: String,
    #[command(subcommand)]
    command: SessionsCommand,
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// Show every kept session: id, nodes, lesson, time left.
    List,
    /// End kept sessions, removing their containers: the ones named, or every one with
    /// `--all`. Run it while the server is stopped.
    End {
        /// Session ids.
        ids: Vec<String>,
        /// Every kept session of the instance.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Subcommand)]
enum LessonsCommand {
    /// Validate every lesson: files, scripts, TOML, translations, images (file:line errors).
    Check {
        /// The lessons folder.
        #[arg(long, env = "QUAI_LESSONS_DIR", default_value = "lessons")]
        dir: std::path::PathBuf,
    },
    /// Convert a Killercoda or Katacoda scenario folder (index.json) into a Quai lesson.
    Import {
        /// The scenario folder.
        scenario: std::path::PathBuf,
        /// Where the lesson folder is written.
        #[arg(long, env = "QUAI_LESSONS_DIR", default_value = "lessons")]
        into: std::path::PathBuf,
    },
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
        // Logs on stderr: stdout carries what commands print (`--json` lines).
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
        Command::Images(command) => images(command).await,
        Command::Lessons(command) => lessons(command).await,
        Command::Sessions(args) => sessions(args).await,
        Command::Instructors(args) => instructors(args).await,
        Command::Class(args) => class(args).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    config.check_dind_mode()?;
    quai::edge::Edge::from_config(&config)?;
    if config.dind_mode.gives_host_root() {
        tracing::warn!(
            mode = ?config.dind_mode,
            "--allow-host-root: every student in a docker node can become root on this host"
        );
    }
    let listen = config.listen;
    let runtime = DockerRuntime::connect(&config.instance)
        .context("cannot set up the Docker client")?
        .with_dind_mode(config.dind_mode)
        .with_iptables(&config.iptables, &config.ip6tables)
        .with_subnets(config.subnet_range())
        .context("invalid --session-subnets")?;
    let runtime = Arc::new(runtime);
    match quai::runtime::Runtime::ping(runtime.as_ref()).await {
        Ok(version) => tracing::info!(%version, "Docker Engine reachable"),
        Err(err) => {
            tracing::warn!(error = %err, "Docker Engine not reachable yet; sessions will fail until it is")
        }
    }
    let server = Server::start(config, quai::runtime::Engine::of(runtime))
        .await
        .with_context(|| format!("cannot start serving on {listen}"))?;
    println!("Quai is listening on http://{}/", server.addr);
    println!(
        "Port previews are served on http://{}/",
        server.preview_addr
    );
    shutdown_signal().await;
    tracing::info!(policy = ?server.state.config.on_shutdown, "shutting down");
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

async fn lessons(command: LessonsCommand) -> anyhow::Result<()> {
    match command {
        LessonsCommand::Check { dir } => {
            let names = match bollard::Docker::connect_with_defaults() {
                Ok(docker) => quai::images::list(&docker)
                    .await
                    .map(|entries| entries.into_iter().map(|e| e.name).collect::<Vec<_>>())
                    .map_err(|err| format!("{err}")),
                Err(err) => Err(format!("the Docker client cannot be set up: {err}")),
            };
            let available = match &names {
                Ok(names) => Ok(names.as_slice()),
                Err(why) => Err(why.as_str()),
            };
            let (lessons, problems) = quai::lessons::check::check(&dir, available);
            for problem in &problems {
                eprintln!("{problem}");
            }
            let broken = lessons.iter().filter(|(_, ok)| !ok).count();
            let errors = problems
                .iter()
                .filter(|p| p.severity == quai::lessons::Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            println!(
                "{} lessons checked in {}: {} ready, {broken} with errors; {errors} errors, {warnings} warnings",
                lessons.len(),
                dir.display(),
                lessons.len() - broken,
            );
            if errors > 0 {
                anyhow::bail!("{errors} errors in the lessons");
            }
        }
        LessonsCommand::Import { scenario, into } => {
            let out = quai::lessons::killercoda::import(&scenario, &into)?;
            println!(
                "Imported {} into {}. Write each step's solution.sh, add French pages, then run `quai lessons check`.",
                scenario.display(),
                out.display()
            );
        }
    }
    Ok(())
}

async fn sessions(args: SessionsArgs) -> anyhow::Result<()> {
    let store = quai::store::Store::open(&args.database)?;
    match args.command {
        SessionsCommand::List => {
            let kept = quai::session::kept::list(&store, &args.instance).await?;
            let now = quai::session::unix_now();
            println!(
                "{:<34} {:<8} {:>5} {:>9}  LESSON",
                "ID", "PROFILE", "NODES", "LEFT"
            );
            for record in &kept {
                let left = record.expires_at.saturating_sub(now);
                println!(
                    "{:<34} {:<8} {:>5} {:>6} min  {}",
                    record.id,
                    record.profile.as_str(),
                    record.nodes.len(),
                    left / 60,
                    record.lesson.as_deref().unwrap_or("-")
                );
            }
            println!(
                "{} sessions kept for instance {}",
                kept.len(),
                args.instance
            );
        }
        SessionsCommand::End { ids, all } => {
            if ids.is_empty() && !all {
                anyhow::bail!("name the sessions to end, or pass --all to end every one");
            }
            let runtime = DockerRuntime::connect(&args.instance)
                .context("cannot set up the Docker client")?;
            let chosen = (!all).then_some(ids.as_slice());
            let (ended, failed) =
                quai::session::kept::end(&store, &runtime, &args.instance, chosen).await?;
            for (id, why) in &failed {
                eprintln!("quai: session {id} could not be ended: {why}");
            }
            println!("{ended} sessions ended");
            if !failed.is_empty() {
                anyhow::bail!(
                    "{} sessions could not be ended; run the command again",
                    failed.len()
                );
            }
        }
    }
    Ok(())
}

async fn instructors(args: InstructorsArgs) -> anyhow::Result<()> {
    let store = quai::store::Store::open(&args.server.database)?;
    let instructors = quai::instructors::Instructors::new(store);
    let base = args.server.base_url();
    let print_link = |name: &str, link: &quai::instructors::Link| {
        println!(
            "Sign-in link for {name} (valid 24 hours, works once; it sets the password):\n{base}/teach/welcome#{}",
            link.token
        );
    };
    match args.command {
        InstructorsCommand::Add { name } => {
            let link = instructors.add(&name).await?;
            print_link(&name, &link);
        }
        InstructorsCommand::Link { name } => {
            let link = instructors.link(&name).await?;
            print_link(&name, &link);
        }
        InstructorsCommand::List => {
            let all = instructors.list().await?;
            println!("{:<24} {:<9} {:>7}", "NAME", "PASSWORD", "CLASSES");
            for instructor in &all {
                println!(
                    "{:<24} {:<9} {:>7}",
                    instructor.name,
                    if instructor.has_password {
                        "set"
                    } else {
                        "not yet"
                    },
                    instructor.classes
                );
            }
            println!("{} instructors", all.len());
        }
    }
    Ok(())
}

async fn class(args: ClassArgs) -> anyhow::Result<()> {
    let store = quai::store::Store::open(&args.server.database)?;
    let base = args.server.base_url();
    match args.command {
        ClassCommand::Create {
            title,
            seats,
            lesson,
            profile,
            nodes,
            starts_in,
            minutes,
            single_use_codes,
            instructor,
            lessons_dir,
            json,
        } => {
            let instructors = quai::instructors::Instructors::new(store.clone());
            let owner = match &instructor {
                Some(name) => instructors
                    .named(name)
                    .await?
                    .with_context(|| format!("there is no instructor named {name}"))?,
                None => instructors.only().await?.context(
                    "name the class's instructor with --instructor (there is none, or more than one; add one with `quai instructors add NAME`)",
                )?,
            };
            let lessons = quai::lessons::Lessons::load(&lessons_dir);
            let shape = |slug: &str| lessons.get(slug).map(|l| (l.profile, l.nodes));
            let profile = profile.map(|p| match p.as_str() {
                "shell" => quai_protocol::Profile::Shell,
                _ => quai_protocol::Profile::Docker,
            });
            let new = quai_protocol::NewClass {
                title,
                seats,
                lesson,
                profile,
                nodes,
                starts_in_minutes: starts_in,
                duration_minutes: Some(minutes),
                single_use_codes,
            };
            let created =
                quai::classes::create(&store, &args.server.instance, &owner, new, &shape).await?;
            let class = &created.class;
            let join_url = quai::classes::join_url(&base, &class.code);
            if json {
                let mut line = serde_json::json!({
                    "id": class.id,
                    "code": class.code,
                    "join_url": join_url,
                    "instructor_url": quai::classes::instructor_url(&base),
                    "roster_url": quai::classes::roster_url(&base, &class.id),
                    "instructor_token": created.token,
                });
                if !created.codes.is_empty() {
                    line["codes"] = serde_json::json!(created.codes);
                }
                println!("{line}");
            } else {
                println!("Class {:?} created for {}.", class.title, owner.name);
                println!("Join code: {}   ({} seats)", class.code, class.seats);
                println!("Students join at {join_url}");
                println!("Instructor page: {}", quai::classes::instructor_url(&base));
                println!(
                    "Roster API: {} (Authorization: Bearer {})",
                    quai::classes::roster_url(&base, &class.id),
                    created.token
                );
                if !created.codes.is_empty() {
                    println!("Single-use codes: {}", created.codes.join(" "));
                }
            }
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
