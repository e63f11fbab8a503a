//! A real `quai serve` process of a test's own instance, ports and database, to be killed
//! (SIGKILL), stopped (SIGTERM) and started again on the same ports and database, and the
//! sweep that removes what its instance left on the engine however the test ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{TestServer, PATIENCE};

/// What a `quai serve` is started with, kept to start it again the same way.
#[derive(Clone)]
pub struct Launch {
    /// Main and preview ports; `(0, 0)` for free ones.
    pub ports: (u16, u16),
    pub instance: String,
    pub database: PathBuf,
    pub lessons: PathBuf,
    /// Settings beyond the test defaults (`QUAI_…` variables, `DOCKER_HOST`).
    pub env: Vec<(String, String)>,
}

impl Launch {
    pub fn new(instance: &str, database: &Path, lessons: &Path) -> Launch {
        Launch {
            ports: (0, 0),
            instance: instance.to_string(),
            database: database.to_path_buf(),
            lessons: lessons.to_path_buf(),
            env: Vec::new(),
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Launch {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

/// A `quai serve` process of the test's own instance, port and database.
pub struct Served {
    child: Child,
    pub launch: Launch,
}

impl Served {
    /// Starts `quai serve` as `launch` says and waits until it says where it listens: the
    /// ports are its own, never another test's server's.
    pub fn spawn(launch: Launch) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quai"));
        command
            .arg("serve")
            .env("QUAI_LISTEN", format!("127.0.0.1:{}", launch.ports.0))
            .env(
                "QUAI_PREVIEW_LISTEN",
                format!("127.0.0.1:{}", launch.ports.1),
            )
            .env("QUAI_INSTANCE", &launch.instance)
            .env("QUAI_DATABASE", &launch.database)
            .env("QUAI_LESSONS_DIR", &launch.lessons)
            .env("QUAI_ON_SHUTDOWN", "keep")
            .env("QUAI_POOL_SIZE", "0")
            .env("QUAI_LOCAL_REGISTRY", "false")
            .env("QUAI_CREATE_PER_MINUTE", "100")
            .env("QUAI_MAX_SESSIONS_PER_CLIENT", "10")
            .env(
                "QUAI_STATIC_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../static"),
            )
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("quai serve starts");
        // Its first lines say where it listens; the rest is read and dropped.
        let stdout = child.stdout.take().unwrap();
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = said.send(line);
            }
        });
        let port_in = |line: &str| -> u16 {
            line.rsplit(':')
                .next()
                .unwrap()
                .trim_end_matches('/')
                .parse()
                .unwrap()
        };
        let (mut port, mut preview) = (None, None);
        while port.is_none() || preview.is_none() {
            let line = heard
                .recv_timeout(PATIENCE)
                .expect("quai serve said where it listens (it stopped, or a port was taken)");
            if line.starts_with("Quai is listening on") {
                port = Some(port_in(&line));
            } else if line.starts_with("Port previews are served on") {
                preview = Some(port_in(&line));
            }
        }
        let mut launch = launch;
        launch.ports = (port.unwrap(), preview.unwrap());
        Served { child, launch }
    }

    /// A client of this process, once it answers.
    pub async fn client(&self) -> TestServer {
        let server = TestServer {
            server: None,
            base: format!("http://127.0.0.1:{}", self.launch.ports.0),
            instance: self.launch.instance.clone(),
            http: super::http_client(),
        };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(response) = server.http.get(server.url("/healthz")).send().await {
                if response.status() == 200 {
                    return server;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "quai serve never answered"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process id, for the `/proc` figures of a bench.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL; returns how it was started, to start it again.
    pub fn kill_9(mut self) -> Launch {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.launch.clone()
    }

    /// SIGTERM, and a clean exit; returns how it was started, to start it again.
    pub fn terminate(mut self) -> Launch {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "quai serve stopped with {status}");
        self.launch.clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes what the test's instance left on the engine and its database, however the test
/// ends.
pub struct Cleanup {
    pub instance: String,
    pub database: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let instance = self.instance.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                if let Ok(runtime) = quai::runtime::DockerRuntime::connect(&instance) {
                    let _ = quai::runtime::HostSetup::remove_leftovers(&runtime).await;
                }
            });
        })
        .join()
        .ok();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.database.display()));
        }
    }
}

/// Runs `quai sessions ARGS` against `database` and `instance`.
pub fn sessions_command(instance: &str, database: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_quai"))
        .arg("sessions")
        .args(args)
        .env("QUAI_INSTANCE", instance)
        .env("QUAI_DATABASE", database)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
