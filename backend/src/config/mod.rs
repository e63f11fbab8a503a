//! The server's typed configuration: command-line flags with `QUAI_*` environment fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How `docker` nodes get Docker Engine inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DindMode {
    /// sysbox-runc when the engine has it, else rootless; never a mode that gives root on
    /// the host.
    Auto,
    /// The node runs as an unprivileged user and Docker Engine inside it runs rootless, in a
    /// user namespace of its own: no privilege on the host.
    Rootless,
    /// The sysbox-runc runtime: no privileges on the host at all.
    Sysbox,
    /// `--privileged` with a private cgroup namespace: root on the host in all but name,
    /// only with `--allow-host-root`.
    Privileged,
    /// Every capability but a few, unconfined seccomp and AppArmor (hosts where
    /// `--privileged` fails with "unable to apply caps"): root on the host in all but name,
    /// only with `--allow-host-root`.
    Caps,
}

impl DindMode {
    /// Whether a student in a node of this mode can become root on the host.
    pub fn gives_host_root(self) -> bool {
        matches!(self, DindMode::Privileged | DindMode::Caps)
    }
}

/// Why `quai serve` refuses its configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("--dind-mode {mode} lets every student become root on this host; pass --allow-host-root as well to run it anyway, or use --dind-mode rootless (the default)")]
    HostRootNotAllowed { mode: String },
}

/// Where session nodes may open connections, beyond their own session network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Egress {
    /// Nowhere but the registry (`--registry-address`).
    None,
    /// Only the registry; the same as `none` plus the registry, named for clarity.
    Registry,
    /// The internet, but never the host, cloud metadata or private address ranges.
    Open,
}

/// What keeps a terminal's shell alive inside its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TerminalKeeper {
    /// `quai-keeper`, Quai's own, mounted read-only in every node: shells and running
    /// programs survive a restart of the server, and output passes through untouched (the
    /// keeper keeps its last 256 KiB for the next server); nodes where it cannot run get a
    /// plain shell.
    Quai,
    /// tmux, its interface hidden: shells, running programs and the screen survive a
    /// restart of the server, with slower output than quai-keeper's (tmux parses what
    /// programs print and draws it again); nodes whose image lacks tmux get a plain shell.
    Tmux,
    /// A plain login shell, which ends with the server's connection to it.
    None,
}

/// What a stopping server (Ctrl-C, SIGTERM) does with its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnShutdown {
    /// Leave them running: the next start adopts them, and students see a short reconnect.
    Keep,
    /// End every session and remove its containers.
    End,
}

/// Bytes a terminal may print per second by default (`--output-rate`): 64 MiB/s, chosen from
/// the figures of docs/BENCHMARKS.md ("Terminal transport, side by side"). At 8 MiB/s a
/// flood printed at a third of a raw `docker exec` TTY's speed. With quai-keeper, which
/// passes output through, one flood in a node of 1 CPU reaches 24–30 MB/s and a raw TTY on
/// this machine up to about 49 MB/s: 32 MiB/s (33.5 MB/s) would be within a flood's reach,
/// 64 MiB/s stays above it while it still bounds what one terminal costs the server. With
/// many floods at once (20 `yes`), the server's CPU was the same at every limit from 8 MiB/s
/// up: flow control by the browser's acknowledgements and the node's CPU limit (the keeper
/// shares it with the floods) bound that case, not this rate.
pub const DEFAULT_OUTPUT_RATE: u64 = 64 * 1024 * 1024;

/// Bytes of output each terminal keeps for replay, unless `--scrollback-bytes` says otherwise:
/// the server's memory grows by up to this much per terminal as its output comes.
pub const DEFAULT_SCROLLBACK: usize = 256 * 1024;

/// Everything `quai serve` can be told. Each flag also reads the `QUAI_*` variable named beside it.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "QUAI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder with the built frontend in `dist/` (the page is `dist/index.html`, revalidated on
    /// each load; the files it names carry their hash and are cached for a year).
    #[arg(long, env = "QUAI_STATIC_DIR", default_value = "static")]
    pub static_dir: PathBuf,

    /// Image of `shell` nodes (built by `cargo xtask images`).
    #[arg(long, env = "QUAI_BASE_IMAGE", default_value = "quai/base:latest")]
    pub base_image: String,

    /// Image of `docker` nodes: the base image with Docker Engine inside.
    #[arg(long, env = "QUAI_DOCKER_IMAGE", default_value = "quai/dind:latest")]
    pub docker_image: String,

    /// How `docker` nodes run Docker Engine.
    #[arg(long, env = "QUAI_DIND_MODE", value_enum, default_value_t = DindMode::Auto)]
    pub dind_mode: DindMode,

    /// Accept a `--dind-mode` (`privileged`, `caps`) in which every student can become root
    /// on this host. Logged as a warning at every start.
    #[arg(long, env = "QUAI_ALLOW_HOST_ROOT", default_value_t = false)]
    pub allow_host_root: bool,

    /// Name of this server among others sharing one engine: its containers carry it as a
    /// label, and only its own leftovers are removed at start-up.
    #[arg(long, env = "QUAI_INSTANCE", default_value = "default")]
    pub instance: String,

    /// Lifetime of a new session in seconds.
    #[arg(long, env = "QUAI_SESSION_TTL", default_value_t = 7200)]
    pub session_ttl: u64,

    /// Seconds one "extend" adds.
    #[arg(long, env = "QUAI_EXTEND_STEP", default_value_t = 1800)]
    pub extend_step: u64,

    /// Longest a session may live, extensions included, in seconds.
    #[arg(long, env = "QUAI_MAX_LIFETIME", default_value_t = 4 * 3600)]
    pub max_lifetime: u64,

    /// A session with no open socket for this many seconds is ended.
    #[arg(long, env = "QUAI_IDLE_TIMEOUT", default_value_t = 1800)]
    pub idle_timeout: u64,

    /// Most sessions running at once; more get "the playground is full".
    #[arg(long, env = "QUAI_MAX_SESSIONS", default_value_t = 50)]
    pub max_sessions: usize,

    /// Most nodes running at once, over all sessions.
    #[arg(long, env = "QUAI_MAX_NODES", default_value_t = 100)]
    pub max_nodes: usize,

    /// Sessions one client (an IPv4 address, an IPv6 /64) may create per minute.
    #[arg(long, env = "QUAI_CREATE_PER_MINUTE", default_value_t = 10)]
    pub create_per_minute: u32,

    /// Sessions one client (an IPv4 address, an IPv6 /64) may hold at once.
    #[arg(long, env = "QUAI_MAX_SESSIONS_PER_CLIENT", default_value_t = 3)]
    pub max_sessions_per_client: usize,

    /// Networks exempt from the per-client limits (a school's own, whose room shares one NAT
    /// address), comma separated: `198.51.100.0/24,2001:db8::/48`.
    #[arg(
        long = "exempt-network",
        env = "QUAI_EXEMPT_NETWORKS",
        value_delimiter = ','
    )]
    pub exempt_networks: Vec<String>,

    /// Reverse proxies in front of Quai whose `X-Forwarded-For` names the client, comma
    /// separated (addresses or networks); from anyone else the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "QUAI_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// A session that nobody opened (no socket, no request with its token) this many seconds
    /// after it was made is ended: a client that left halfway holds nothing.
    #[arg(long, env = "QUAI_UNCLAIMED_TIMEOUT", default_value_t = 120)]
    pub unclaimed_timeout: u64,

    /// Seconds between two sweeps of the engine for containers, networks and volumes of this
    /// instance that belong to no session it knows.
    #[arg(long, env = "QUAI_SWEEP_EVERY", default_value_t = 60)]
    pub sweep_every: u64,

    /// Ready nodes kept per profile, so a click gets a prompt at once (0 disables the pool).
    #[arg(long, env = "QUAI_POOL_SIZE", default_value_t = 2)]
    pub pool_size: usize,

    /// Terminals one session may have open at once, over all its nodes.
    #[arg(long, env = "QUAI_MAX_TERMINALS", default_value_t = 12)]
    pub max_terminals: usize,

    /// Bytes of terminal output kept per terminal and replayed on reconnect.
    #[arg(long, env = "QUAI_SCROLLBACK_BYTES", default_value_t = DEFAULT_SCROLLBACK)]
    pub scrollback_bytes: usize,

    /// Bytes a terminal may print per second; a flood beyond it is slowed down.
    #[arg(long, env = "QUAI_OUTPUT_RATE", default_value_t = DEFAULT_OUTPUT_RATE)]
    pub output_rate: u64,

    /// Memory limit of a node, in MiB.
    #[arg(long, env = "QUAI_NODE_MEMORY_MB", default_value_t = 1024)]
    pub node_memory_mb: u64,

    /// Most processes in a node.
    #[arg(long, env = "QUAI_NODE_PIDS", default_value_t = 512)]
    pub node_pids: i64,

    /// CPUs a node may use (fractions allowed).
    #[arg(long, env = "QUAI_NODE_CPUS", default_value_t = 1.0)]
    pub node_cpus: f64,

    /// Size of each writable folder of a `shell` node (/root, /tmp, …), in MiB.
    #[arg(long, env = "QUAI_NODE_DISK_MB", default_value_t = 512)]
    pub node_disk_mb: u64,

    /// Run the local registry that serves the image catalog to `docker` nodes.
    #[arg(long, env = "QUAI_LOCAL_REGISTRY", default_value_t = true, action = clap::ArgAction::Set)]
    pub local_registry: bool,

    /// Image of the local registry (Debian's docker-registry inside).
    #[arg(
        long,
        env = "QUAI_REGISTRY_IMAGE",
        default_value = "quai/registry:latest"
    )]
    pub registry_image: String,

    /// A registry the local one caches (`https://registry-1.docker.io`, an in-house mirror):
    /// nodes then pull through it, the catalog still served when the upstream is out of reach.
    #[arg(long, env = "QUAI_REGISTRY_UPSTREAM")]
    pub registry_upstream: Option<String>,

    /// An outside registry nodes pull from (`IP:PORT`); reachable whatever the egress policy.
    #[arg(long, env = "QUAI_REGISTRY_ADDRESS")]
    pub registry_address: Option<std::net::SocketAddrV4>,

    /// The operator keeps nodes away from this host with a firewall of their own (an engine on
    /// another host): Quai then sets no iptables rules, and starts sessions without them.
    #[arg(long, env = "QUAI_EXTERNAL_FIREWALL", default_value_t = false)]
    pub external_firewall: bool,

    /// The command that sets IPv4 firewall rules on the engine's host (`iptables-legacy`
    /// where the engine uses the legacy tables).
    #[arg(long, env = "QUAI_IPTABLES", default_value = "iptables")]
    pub iptables: String,

    /// The IPv6 counterpart of `--iptables`.
    #[arg(long, env = "QUAI_IP6TABLES", default_value = "ip6tables")]
    pub ip6tables: String,

    /// Where nodes may connect beyond their session.
    #[arg(long, env = "QUAI_EGRESS", value_enum, default_value_t = Egress::Open)]
    pub egress: Egress,

    /// Extra origins (scheme://host:port) whose pages may open session sockets, comma separated.
    /// The server's own origin is always allowed.
    #[arg(
        long = "allowed-origin",
        env = "QUAI_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// A public address of Quai as browsers reach it (`https://quai.example`), repeated or
    /// comma separated. Quai answers only Host names listed here, IP addresses and
    /// `localhost` (no DNS rebinding), and pages of these origins may use its API. When one is
    /// https, cookies are `Secure` (`__Host-` names) and preview links are https.
    #[arg(long = "public-url", env = "QUAI_PUBLIC_URL", value_delimiter = ',')]
    pub public_urls: Vec<String>,

    /// A token that shows the engine's details on `/healthz` to a request bearing it
    /// (`Authorization: Bearer …`); without it only loopback clients see them.
    #[arg(long, env = "QUAI_OPERATOR_TOKEN")]
    pub operator_token: Option<String>,

    /// Seconds a client may take to send a request's headers before its connection is
    /// closed (slow clients hold no connection for long).
    #[arg(long, env = "QUAI_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,

    /// Connections each listener keeps open at once; more wait until one closes.
    #[arg(long, env = "QUAI_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Address of the port preview's own listener (apps in nodes never share Quai's origin);
    /// by default the port after `--listen`'s (a random one when that is 0).
    #[arg(long, env = "QUAI_PREVIEW_LISTEN")]
    pub preview_listen: Option<SocketAddr>,

    /// Seconds an app in a node may take to start answering a request through the preview
    /// (504 after); a streaming body may then last as long as it needs.
    #[arg(long, env = "QUAI_PREVIEW_ANSWER_TIMEOUT", default_value_t = 60)]
    pub preview_answer_timeout: u64,

    /// Public URL of the preview listener as browsers reach it (behind a reverse proxy);
    /// by default the host the page came from, on the preview listener's port.
    #[arg(long, env = "QUAI_PREVIEW_URL")]
    pub preview_url: Option<String>,

    /// Wildcard domain for per-port preview hosts (`8000-node1-<session>.DOMAIN` must reach
    /// the preview listener): apps are then served at `/` on an origin per port.
    #[arg(long, env = "QUAI_PREVIEW_DOMAIN")]
    pub preview_domain: Option<String>,

    /// IPv4 range that session networks take /28 subnets from (4096 sessions in a /16);
    /// `docker` leaves it to Docker's default address pools (about 30 networks per host).
    #[arg(long, env = "QUAI_SESSION_SUBNETS", default_value = "10.213.0.0/16")]
    pub session_subnets: String,

    /// Uploads, downloads and workspace exports or imports running at once on the server
    /// (each holds its archive in memory); a session runs one at a time.
    #[arg(long, env = "QUAI_MAX_TRANSFERS", default_value_t = 4)]
    pub max_transfers: usize,

    /// Lesson checks running at once on the server; a session runs one at a time.
    #[arg(long, env = "QUAI_MAX_CHECKS", default_value_t = 16)]
    pub max_checks: usize,

    /// Largest upload, download or workspace archive, in MB.
    #[arg(long, env = "QUAI_TRANSFER_LIMIT_MB", default_value_t = 100)]
    pub transfer_limit_mb: u64,

    /// Folder of lessons, one sub-folder each (lessons/README.md).
    #[arg(long, env = "QUAI_LESSONS_DIR", default_value = "lessons")]
    pub lessons_dir: PathBuf,

    /// Reload a lesson as soon as one of its files changes (for authors).
    #[arg(long, env = "QUAI_WATCH_LESSONS")]
    pub watch_lessons: bool,

    /// SQLite file keeping students' progress and names, and live sessions; created if
    /// missing.
    #[arg(long, env = "QUAI_DATABASE", default_value = "quai.db")]
    pub database: PathBuf,

    /// Folder of terminal recordings (asciicast files); `recordings` beside the database
    /// when not given.
    #[arg(long, env = "QUAI_RECORDINGS_DIR")]
    pub recordings_dir: Option<PathBuf>,

    /// Largest terminal recording, in MB: a recording stops when it reaches it.
    #[arg(long, env = "QUAI_RECORDING_LIMIT_MB", default_value_t = 20)]
    pub recording_limit_mb: u64,

    /// What keeps terminals' shells alive in their node across server restarts.
    #[arg(long, env = "QUAI_TERMINAL_KEEPER", value_enum, default_value_t = TerminalKeeper::Quai)]
    pub terminal_keeper: TerminalKeeper,

    /// The `quai-keeper` program mounted read-only in nodes (`--terminal-keeper quai`, the
    /// default); the one beside the server's own program when not given.
    #[arg(long, env = "QUAI_KEEPER_BINARY")]
    pub keeper_binary: Option<PathBuf>,

    /// What a stopping server does with its sessions: `keep` them for the next start to
    /// adopt, or `end` them.
    #[arg(long, env = "QUAI_ON_SHUTDOWN", value_enum, default_value_t = OnShutdown::Keep)]
    pub on_shutdown: OnShutdown,
    /// Minutes before a class starts from which its seats are kept prepared (sessions made,
    /// lesson set up, waiting for students); a class created without a start time prepares
    /// them at once.
    #[arg(long, env = "QUAI_CLASS_PREPARE_MINUTES", default_value_t = 10)]
    pub class_prepare_minutes: u64,
}

impl Config {
    /// The `quai-keeper` program to mount in nodes: the one given, else the one beside the
    /// server's program (cargo builds both into one folder; its test programs sit one
    /// folder below, in `deps`).
    pub fn keeper_binary(&self) -> PathBuf {
        if let Some(given) = &self.keeper_binary {
            return given.clone();
        }
        let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
        else {
            return PathBuf::from("quai-keeper");
        };
        let beside = dir.join("quai-keeper");
        match dir.parent() {
            Some(up) if !beside.exists() && dir.file_name() == Some("deps".as_ref()) => {
                up.join("quai-keeper")
            }
            _ => beside,
        }
    }

    /// Where terminal recordings are written.
    pub fn recordings_dir(&self) -> PathBuf {
        self.recordings_dir.clone().unwrap_or_else(|| {
            self.database
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .join("recordings")
        })
    }

    /// Refuses a DinD mode that gives students root on the host unless the operator said
    /// so with `--allow-host-root`.
    pub fn check_dind_mode(&self) -> Result<(), ConfigError> {
        if self.dind_mode.gives_host_root() && !self.allow_host_root {
            return Err(ConfigError::HostRootNotAllowed {
                mode: format!("{:?}", self.dind_mode).to_lowercase(),
            });
        }
        Ok(())
    }

    /// The range for session subnets, or `None` for Docker's default pools.
    pub fn subnet_range(&self) -> Option<&str> {
        Some(self.session_subnets.as_str()).filter(|r| *r != "docker")
    }

    /// A configuration for tests: port 0 on loopback, images from `QUAI_BASE_IMAGE` and
    /// `QUAI_DOCKER_IMAGE`, no warm pool, small nodes.
    pub fn for_tests(instance: &str) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../static")),
            base_image: std::env::var("QUAI_BASE_IMAGE")
                .unwrap_or_else(|_| "quai/base:latest".into()),
            docker_image: std::env::var("QUAI_DOCKER_IMAGE")
                .unwrap_or_else(|_| "quai/dind:latest".into()),
            dind_mode: DindMode::Auto,
            allow_host_root: false,
            instance: instance.into(),
            session_ttl: 7200,
            extend_step: 1800,
            max_lifetime: 4 * 3600,
            idle_timeout: 1800,
            max_sessions: 50,
            max_nodes: 100,
            create_per_minute: 1000,
            max_sessions_per_client: 1000,
            exempt_networks: Vec::new(),
            trusted_proxies: Vec::new(),
            unclaimed_timeout: 600,
            sweep_every: 60,
            pool_size: 0,
            max_terminals: 12,
            scrollback_bytes: DEFAULT_SCROLLBACK,
            output_rate: DEFAULT_OUTPUT_RATE,
            node_memory_mb: 512,
            node_pids: 256,
            node_cpus: 1.0,
            node_disk_mb: 256,
            egress: Egress::Open,
            external_firewall: false,
            iptables: "iptables".into(),
            ip6tables: "ip6tables".into(),
            registry_address: None,
            local_registry: false,
            registry_upstream: None,
            registry_image: std::env::var("QUAI_REGISTRY_IMAGE")
                .unwrap_or_else(|_| "quai/registry:latest".into()),
            allowed_origins: Vec::new(),
            public_urls: Vec::new(),
            operator_token: None,
            session_subnets: "10.213.0.0/16".into(),
            max_transfers: 4,
            max_checks: 16,
            transfer_limit_mb: 100,
            header_timeout: 10,
            max_connections: 1024,
            preview_listen: None,
            preview_answer_timeout: 60,
            preview_url: None,
            preview_domain: None,
            lessons_dir: std::env::var_os("QUAI_LESSONS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons").into()),
            watch_lessons: false,
            class_prepare_minutes: 10,
            database: std::env::temp_dir().join(format!("quai-test-{instance}.db")),
            recordings_dir: Some(
                std::env::temp_dir().join(format!("quai-test-{instance}-recordings")),
            ),
            recording_limit_mb: 20,
            terminal_keeper: TerminalKeeper::Quai,
            keeper_binary: None,
            on_shutdown: OnShutdown::End,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_mode(mode: DindMode, allow_host_root: bool) -> Config {
        let mut config = Config::for_tests("config");
        config.dind_mode = mode;
        config.allow_host_root = allow_host_root;
        config
    }

    #[test]
    fn modes_that_give_root_on_the_host_are_refused_without_allow_host_root() {
        for mode in [DindMode::Privileged, DindMode::Caps] {
            let refused = with_mode(mode, false).check_dind_mode().unwrap_err();
            assert!(
                refused.to_string().contains("--allow-host-root"),
                "{refused}"
            );
            assert!(with_mode(mode, true).check_dind_mode().is_ok());
        }
    }

    #[test]
    fn rootless_sysbox_and_auto_need_no_opt_in() {
        for mode in [DindMode::Auto, DindMode::Rootless, DindMode::Sysbox] {
            assert!(!mode.gives_host_root());
            assert!(with_mode(mode, false).check_dind_mode().is_ok());
        }
    }
}
