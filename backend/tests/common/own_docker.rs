//! A Docker daemon of the faults' own, beside the machine's: its own data and exec roots,
//! socket and pid file, a default bridge of its own (`quaifx0`: a daemon started with
//! `--bridge none` deletes `docker0`, the machine's engine's bridge) and no iptables rules,
//! so killing and restarting it disturbs no other test. Started when this process may (root, `dockerd` installed);
//! the images a server needs are copied into it from the machine's engine.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SOCKET: &str = "/run/quai-faults-docker.sock";
const PIDFILE: &str = "/run/quai-faults-docker.pid";
const LOG: &str = "/tmp/quai-faults-dockerd.log";
/// The daemon's default bridge, and its address.
const BRIDGE: &str = "quaifx0";
const BRIDGE_ADDRESS: &str = "10.215.255.1/24";
/// Subnets of the sessions of servers on this daemon: apart from the machine's engine's.
pub const SUBNETS: &str = "10.214.0.0/16";

pub struct OwnDocker;

impl OwnDocker {
    /// `DOCKER_HOST` of the daemon.
    pub fn host() -> String {
        format!("unix://{SOCKET}")
    }

    /// Whether this process can run a daemon of its own.
    pub fn possible() -> bool {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dockerd = Command::new("sh")
            .args(["-c", "command -v dockerd"])
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        root && dockerd
    }

    fn docker() -> Command {
        let mut command = Command::new("docker");
        command.env("DOCKER_HOST", Self::host());
        command
    }

    fn answers() -> bool {
        Self::docker()
            .args(["version", "-f", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// The daemon's pid, when it runs.
    fn pid() -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(PIDFILE).ok()?.trim().parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Alive: named dockerd, and not a zombie its parent has yet to reap.
        (stat.contains("(dockerd) ") && !stat.contains(") Z ")).then_some(pid)
    }

    /// Starts the daemon unless it runs, and waits until it answers; started again when it
    /// gives up (on a busy machine its containerd may start too slowly for it).
    pub fn start() -> OwnDocker {
        let begin = Instant::now();
        let mut spawned: Option<std::process::Child> = None;
        while !Self::answers() {
            assert!(
                begin.elapsed() < Duration::from_secs(90),
                "the faults' own dockerd did not answer; see {LOG}"
            );
            let exited = spawned
                .as_mut()
                .is_none_or(|child| child.try_wait().ok().flatten().is_some());
            if Self::pid().is_none() && exited {
                spawned = Some(Self::spawn());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        OwnDocker
    }

    fn spawn() -> std::process::Child {
        // A killed daemon leaves its pid file, and a new one refuses to start beside it.
        let _ = std::fs::remove_file(PIDFILE);
        for dir in ["/var/lib/quai-faults-docker", "/run/quai-faults-docker"] {
            std::fs::create_dir_all(dir).unwrap();
        }
        if !std::path::Path::new(&format!("/sys/class/net/{BRIDGE}")).exists() {
            for args in [
                vec!["link", "add", BRIDGE, "type", "bridge"],
                vec!["addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE],
                vec!["link", "set", BRIDGE, "up"],
            ] {
                assert!(Command::new("ip").args(args).status().unwrap().success());
            }
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(LOG)
            .unwrap();
        Command::new("setsid")
            .args([
                "dockerd",
                "--data-root",
                "/var/lib/quai-faults-docker",
                "--exec-root",
                "/run/quai-faults-docker",
                "--pidfile",
                PIDFILE,
                "-H",
                &Self::host(),
                "--bridge",
                BRIDGE,
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd starts")
    }

    /// Copies `image` from the machine's engine unless the daemon has it.
    pub fn ensure_image(&self, image: &str) {
        let has = Self::docker()
            .args(["image", "inspect", image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        if has {
            return;
        }
        let mut save = Command::new("docker")
            .args(["save", image])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let loaded = Self::docker()
            .arg("load")
            .stdin(save.stdout.take().unwrap())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(
            save.wait().unwrap().success() && loaded.success(),
            "copying {image}"
        );
    }

    /// SIGKILL to the daemon (its containers die with it: no live restore); waits until it
    /// is gone.
    pub fn kill_9(&self) {
        let Some(pid) = Self::pid() else { return };
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        while Self::pid().is_some() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ids of the containers and networks of `instance` on the daemon.
    pub fn objects_of(&self, label: &str, value: &str) -> Vec<String> {
        let filter = format!("label={label}={value}");
        let mut ids = Vec::new();
        for args in [
            vec!["ps", "-aq", "--no-trunc", "--filter", &filter],
            vec!["network", "ls", "-q", "--no-trunc", "--filter", &filter],
        ] {
            let out = Self::docker().args(args).output().unwrap();
            ids.extend(
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(str::to_string),
            );
        }
        ids
    }

    /// Removes what `instance` left on the daemon.
    pub fn remove_instance(&self, instance: &str) {
        let filter = format!("label=quai.instance={instance}");
        let out = Self::docker()
            .args(["ps", "-aq", "--filter", &filter])
            .output()
            .unwrap();
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Self::docker().args(["rm", "-f", "-v", id]).output();
        }
        let out = Self::docker()
            .args(["network", "ls", "-q", "--filter", &filter])
            .output()
            .unwrap();
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Self::docker().args(["network", "rm", id]).output();
        }
    }

    /// Stops the daemon (SIGTERM), leaving its data for the next start.
    pub fn stop(self) {
        if let Some(pid) = Self::pid() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            let begin = Instant::now();
            while Self::pid().is_some() && begin.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
