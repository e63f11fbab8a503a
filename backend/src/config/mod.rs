//! The server's typed configuration: command-line flags with `QUAI_*` environment fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `quai serve` can be told. Each flag also reads the `QUAI_*` variable named beside it.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "QUAI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder with index.html and the built frontend (static/dist).
    #[arg(long, env = "QUAI_STATIC_DIR", default_value = "static")]
    pub static_dir: PathBuf,

    /// Image of the session nodes (built by `cargo xtask images`).
    #[arg(long, env = "QUAI_BASE_IMAGE", default_value = "quai/base:latest")]
    pub base_image: String,

    /// Name of this server among others sharing one engine: its containers carry it as a
    /// label, and only its own leftovers are removed at start-up.
    #[arg(long, env = "QUAI_INSTANCE", default_value = "default")]
    pub instance: String,

    /// Lifetime of a session in seconds.
    #[arg(long, env = "QUAI_SESSION_TTL", default_value_t = 7200)]
    pub session_ttl: u64,

    /// Most sessions running at once; more get "the playground is full".
    #[arg(long, env = "QUAI_MAX_SESSIONS", default_value_t = 50)]
    pub max_sessions: usize,

    /// Bytes of terminal output kept per terminal and replayed on reconnect.
    #[arg(long, env = "QUAI_SCROLLBACK_BYTES", default_value_t = 256 * 1024)]
    pub scrollback_bytes: usize,

    /// Memory limit of a node, in MiB.
    #[arg(long, env = "QUAI_NODE_MEMORY_MB", default_value_t = 1024)]
    pub node_memory_mb: u64,

    /// Most processes in a node.
    #[arg(long, env = "QUAI_NODE_PIDS", default_value_t = 512)]
    pub node_pids: i64,

    /// CPUs a node may use (fractions allowed).
    #[arg(long, env = "QUAI_NODE_CPUS", default_value_t = 1.0)]
    pub node_cpus: f64,

    /// Extra origins (scheme://host:port) whose pages may open session sockets, comma separated.
    /// The server's own origin is always allowed.
    #[arg(
        long = "allowed-origin",
        env = "QUAI_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
}

impl Config {
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl)
    }

    /// A configuration for tests: port 0 on loopback, the base image from `QUAI_BASE_IMAGE`.
    pub fn for_tests(instance: &str) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../static")),
            base_image: std::env::var("QUAI_BASE_IMAGE")
                .unwrap_or_else(|_| "quai/base:latest".into()),
            instance: instance.into(),
            session_ttl: 7200,
            max_sessions: 50,
            scrollback_bytes: 256 * 1024,
            node_memory_mb: 512,
            node_pids: 256,
            node_cpus: 1.0,
            allowed_origins: Vec::new(),
        }
    }
}
