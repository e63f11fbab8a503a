//! A `quai serve` process a bench starts: its own instance, database and ports, sessions
//! ended when it stops; its CPU time and resident memory read from /proc; what it leaves in
//! the engine once stopped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quai::runtime::labels;

pub struct Served {
    pub child: Child,
    pub base: String,
    pub instance: String,
    pub database: PathBuf,
    _dir: tempfile::TempDir,
}

/// The settings that lift the server's limits for `room` sessions from one address.
pub fn room_for(room: usize) -> Vec<(&'static str, String)> {
    vec![
        ("QUAI_CREATE_PER_MINUTE", "100000".to_string()),
        ("QUAI_MAX_SESSIONS_PER_CLIENT", room.to_string()),
        ("QUAI_MAX_SESSIONS", room.to_string()),
        ("QUAI_MAX_NODES", room.to_string()),
    ]
}

impl Served {
    /// A server named `name` at the defaults benches use (no pool, no local registry,
    /// sessions ended at stop), with `settings` on top.
    pub fn start(name: &str, settings: &[(&str, String)]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("quai.db");
        let instance = format!(
            "bench-{name}-{}",
            &quai::session::token::new_session_id()[..8]
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_quai"));
        command
            .arg("serve")
            .env("QUAI_LISTEN", "127.0.0.1:0")
            .env("QUAI_PREVIEW_LISTEN", "127.0.0.1:0")
            .env("QUAI_INSTANCE", &instance)
            .env("QUAI_DATABASE", &database)
            .env("QUAI_ON_SHUTDOWN", "end")
            .env("QUAI_POOL_SIZE", "0")
            .env("QUAI_LOCAL_REGISTRY", "false")
            .env("RUST_LOG", "quai=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in settings {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("quai serve starts");
        let base = super::listening_url(&mut child);
        Served {
            child,
            base,
            instance,
            database,
            _dir: dir,
        }
    }

    /// `quai ARGS` on this server's database and instance; its standard output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_quai"))
            .args(args)
            .env("QUAI_DATABASE", &self.database)
            .env("QUAI_INSTANCE", &self.instance)
            .env("QUAI_PUBLIC_URL", &self.base)
            .output()
            .expect("quai runs");
        assert!(
            out.status.success(),
            "quai {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// CPU seconds the server has used, and its resident memory in MiB.
    pub fn usage(&self) -> (f64, f64) {
        (cpu_of(self.child.id()), self.rss_kib() / 1024.0)
    }

    /// The server's resident memory, KiB.
    pub fn rss_kib(&self) -> f64 {
        rss_kib_of(self.child.id())
    }

    /// Stops the server with SIGTERM (its sessions end: `QUAI_ON_SHUTDOWN=end`) and waits
    /// for it; returns what of its instance is left in the engine.
    pub fn stop(mut self) -> Leftovers {
        self.terminate();
        leftovers(&self.instance)
    }

    fn terminate(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Served {
    /// A bench that fails still ends the server's sessions.
    fn drop(&mut self) {
        self.terminate();
    }
}

/// CPU seconds used so far by process `pid`.
pub fn cpu_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The resident memory of process `pid`, KiB (0 once it is gone).
pub fn rss_kib_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Containers, networks and volumes of an instance still in the engine.
#[derive(Debug, Default, Clone)]
pub struct Leftovers {
    pub containers: usize,
    pub networks: usize,
    pub volumes: usize,
}

impl Leftovers {
    pub fn none(&self) -> bool {
        self.containers + self.networks + self.volumes == 0
    }
}

impl std::fmt::Display for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} containers, {} networks, {} volumes",
            self.containers, self.networks, self.volumes
        )
    }
}

/// What `docker {kind} ls` lists labelled with `instance`.
pub fn leftovers(instance: &str) -> Leftovers {
    let count = |kind: &str| {
        let mut args = vec![kind, "ls", "-q"];
        if kind == "container" {
            args.push("-a");
        }
        let filter = format!("label={}={instance}", labels::INSTANCE);
        let out = Command::new("docker")
            .args(&args)
            .args(["--filter", &filter])
            .output()
            .expect("docker runs");
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    Leftovers {
        containers: count("container"),
        networks: count("network"),
        volumes: count("volume"),
    }
}

/// The machine's CPU time so far, idle and in all, in clock ticks (from `/proc/stat`).
pub fn cpu_times() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (idle, fields.iter().sum())
}

/// The share of the machine's CPU time that was busy between two [`cpu_times`].
pub fn busy_between(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1).max(1) as f64;
    1.0 - after.0.saturating_sub(before.0) as f64 / total
}

/// The share of the machine's CPU time spent idle over `window`.
fn idle_share(window: Duration) -> f64 {
    let before = cpu_times();
    std::thread::sleep(window);
    1.0 - busy_between(before, cpu_times())
}

/// Waits until what ran before (an earlier bench's sessions being removed, a build) has
/// settled: at least 80 % of the CPU idle over 5 s, for at most 3 minutes. Says how long it
/// waited, for the report.
pub fn settle() -> String {
    const QUIET: f64 = 0.8;
    const LONGEST: Duration = Duration::from_secs(180);
    let began = Instant::now();
    loop {
        let idle = idle_share(Duration::from_secs(5));
        let waited = began.elapsed().as_secs();
        if idle >= QUIET {
            return format!(
                "measured once the CPU was {:.0} % idle over 5 s ({waited} s waited)",
                idle * 100.0
            );
        }
        if began.elapsed() >= LONGEST {
            return format!(
                "measured though the CPU was only {:.0} % idle after {waited} s of waiting",
                idle * 100.0
            );
        }
    }
}

/// The load average now, as `/proc/loadavg` gives it (1, 5 and 15 minutes).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
}
