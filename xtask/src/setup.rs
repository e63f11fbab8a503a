//! Installs and starts what Quai needs on a Debian machine, each step announced before it acts
//! and skipped when already in place: Debian packages (Docker Engine, debootstrap, Node.js,
//! Chromium, Python's venv), a running dockerd, the wasm32 target, wasm-bindgen-cli at the
//! pinned version, the npm packages of a folder, and terminado in a venv for the benchmarks.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::shell::{self, cargo, find_program, ok, step};

/// Where the dockerd started by xtask writes its log.
pub const DOCKERD_LOG: &str = "/var/log/quai-dockerd.log";
const DOCKERD_WAIT: Duration = Duration::from_secs(30);
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// A piece of the machine xtask can install from Debian packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Docker Engine: `docker` and `dockerd`.
    Docker,
    /// debootstrap, which builds the base image's root file system.
    Debootstrap,
    /// Node.js and npm, for xterm.js and the browser tests.
    Node,
    /// Chromium and chromedriver, for the browser tests.
    Chromium,
    /// Python 3 with venv and pip, for terminado, which the transport bench compares.
    PythonVenv,
}

impl Tool {
    fn describe(self) -> &'static str {
        match self {
            Tool::Docker => "Docker Engine",
            Tool::Debootstrap => "debootstrap",
            Tool::Node => "Node.js and npm",
            Tool::Chromium => "Chromium and chromedriver",
            Tool::PythonVenv => "Python 3 and its venv",
        }
    }

    fn packages(self) -> &'static [&'static str] {
        match self {
            Tool::Docker => &["docker.io"],
            Tool::Debootstrap => &["debootstrap"],
            Tool::Node => &["nodejs", "npm"],
            Tool::Chromium => &["chromium", "chromium-driver"],
            Tool::PythonVenv => &["python3", "python3-venv"],
        }
    }

    fn is_installed(self) -> bool {
        match self {
            // Any Docker Engine will do (docker.io, docker-ce, a remote DOCKER_HOST), so look
            // at the commands rather than at one package.
            Tool::Docker => {
                find_program("docker").is_some()
                    && (find_program("dockerd").is_some()
                        || std::env::var_os("DOCKER_HOST").is_some())
            }
            Tool::Debootstrap => find_program("debootstrap").is_some(),
            Tool::Node => find_program("node").is_some() && find_program("npm").is_some(),
            Tool::Chromium => chromium_binary().is_some() && find_program("chromedriver").is_some(),
            Tool::PythonVenv => {
                find_program("python3").is_some()
                    && shell::succeeds(
                        Command::new("python3").args(["-c", "import venv, ensurepip"]),
                    )
            }
        }
    }
}

/// The Chromium executable the browser tests drive.
pub fn chromium_binary() -> Option<PathBuf> {
    find_program("chromium").or_else(|| find_program("chromium-browser"))
}

/// Whether xtask runs as root (effective uid 0).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            // Uid: real effective saved filesystem
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// Fails with the advice to use sudo when xtask is not root and must `action`.
pub fn require_root(action: &str) -> Result<()> {
    if !is_root() {
        bail!(
            "cargo xtask must run as root to install packages and start dockerd; run it with sudo \
             (it needs to {action})"
        );
    }
    Ok(())
}

/// Installs the Debian packages of every missing tool with one `apt-get install`.
pub fn install_tools(tools: &[Tool]) -> Result<()> {
    let missing: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|tool| !tool.is_installed())
        .collect();
    for tool in tools.iter().filter(|tool| !missing.contains(tool)) {
        let verb = if tool.describe().contains(" and ") {
            "are"
        } else {
            "is"
        };
        ok(&format!("{} {verb} installed", tool.describe()));
    }
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|tool| tool.describe()).collect();
    let packages: Vec<&str> = missing
        .iter()
        .flat_map(|tool| tool.packages())
        .copied()
        .collect();
    require_root(&format!("install {}", names.join(", ")))?;
    if find_program("apt-get").is_none() {
        bail!(
            "apt-get was not found: cargo xtask installs {} from Debian packages; on this system \
             install them yourself ({}) and run it again",
            names.join(", "),
            packages.join(" ")
        );
    }
    step(&format!(
        "Installing {} (apt-get install {})",
        names.join(", "),
        packages.join(" ")
    ));
    let apt = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null());
        cmd
    };
    shell::run(&mut apt(&["update"]))
        .context("cannot read the Debian package lists (apt-get update)")?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(&packages);
    shell::run(&mut install).with_context(|| format!("cannot install {}", packages.join(" ")))?;
    for tool in missing {
        if !tool.is_installed() {
            bail!(
                "{} is still missing after installing {}",
                tool.describe(),
                tool.packages().join(" ")
            );
        }
    }
    Ok(())
}

/// The server version when the Docker daemon answers, or why it does not.
fn docker_server_version() -> std::result::Result<String, String> {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// Makes sure a Docker daemon answers, starting `dockerd` in the background when none runs.
///
/// The dockerd started here is detached from xtask (its own session, log in [`DOCKERD_LOG`]) so
/// it keeps running after `cargo xtask run` stops, like a service would.
pub fn docker_daemon() -> Result<()> {
    let why = match docker_server_version() {
        Ok(version) => {
            ok(&format!("Docker Engine {version} is running"));
            return Ok(());
        }
        Err(why) => why,
    };
    if why.contains("permission denied") {
        bail!(
            "the Docker socket is there but this user may not use it ({why}); run cargo xtask as \
             root or add the user to the docker group"
        );
    }
    // A daemon named by DOCKER_HOST is someone else's to start.
    if let Some(host) = std::env::var_os("DOCKER_HOST") {
        let host = host.to_string_lossy();
        if host != "unix:///var/run/docker.sock" && host != "unix:///run/docker.sock" {
            bail!("the Docker daemon at DOCKER_HOST={host} is not reachable: {why}");
        }
    }
    let Some(dockerd) = find_program("dockerd") else {
        bail!("the Docker daemon is not reachable ({why}) and dockerd is not installed");
    };
    if let Some(pid) = running_dockerd() {
        step(&format!(
            "Waiting for dockerd (pid {pid}), which is starting"
        ));
        return wait_for_docker(None);
    }
    require_root("start dockerd")?;
    step(&format!(
        "Starting dockerd in the background (log: {DOCKERD_LOG})"
    ));
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(DOCKERD_LOG)
        .with_context(|| format!("cannot open the dockerd log {DOCKERD_LOG}"))?;
    let log_start = log.metadata().map(|meta| meta.len()).unwrap_or(0);
    // Its own session, so neither Ctrl-C in this terminal nor closing it stops the daemon.
    // (setsid must not be a process group leader, or it forks and returns at once.)
    let mut cmd = match find_program("setsid") {
        Some(setsid) => {
            let mut cmd = Command::new(setsid);
            cmd.arg(&dockerd);
            cmd
        }
        None => {
            use std::os::unix::process::CommandExt;
            let mut cmd = Command::new(&dockerd);
            cmd.process_group(0);
            cmd
        }
    };
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", dockerd.display()))?;
    wait_for_docker(Some((child, log_start)))
}

/// The pid in dockerd's pid file when that process is alive.
fn running_dockerd() -> Option<u32> {
    let pid: u32 = fs::read_to_string("/var/run/docker.pid")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "dockerd").then_some(pid)
}

fn wait_for_docker(mut started: Option<(std::process::Child, u64)>) -> Result<()> {
    let begin = Instant::now();
    loop {
        if let Ok(version) = docker_server_version() {
            ok(&format!(
                "Docker Engine {version} is running (ready after {})",
                shell::seconds(begin.elapsed())
            ));
            return Ok(());
        }
        if let Some((child, log_start)) = started.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "dockerd stopped right after starting ({status}); the end of {DOCKERD_LOG}:\n{}",
                    log_tail(*log_start)
                );
            }
        }
        if begin.elapsed() > DOCKERD_WAIT {
            let log_start = started.as_ref().map(|(_, start)| *start).unwrap_or(0);
            bail!(
                "dockerd did not answer on /var/run/docker.sock within {} s; the end of {DOCKERD_LOG}:\n{}",
                DOCKERD_WAIT.as_secs(),
                log_tail(log_start)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The last lines dockerd wrote to its log since `from`.
fn log_tail(from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(DOCKERD_LOG) {
        let _ = file.seek(SeekFrom::Start(from));
        let _ = file.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(20)..];
    if tail.is_empty() {
        "  (empty)".to_string()
    } else {
        tail.iter()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Adds the wasm32 target to the Rust toolchain when it lacks it.
pub fn wasm_target() -> Result<()> {
    let sysroot = shell::output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let target_dir = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(WASM_TARGET);
    if target_dir.is_dir() {
        ok(&format!("Rust target {WASM_TARGET} is installed"));
        return Ok(());
    }
    if find_program("rustup").is_none() {
        bail!("the Rust target {WASM_TARGET} is missing and rustup is not installed to add it");
    }
    step(&format!(
        "Adding the Rust target {WASM_TARGET} (rustup target add {WASM_TARGET})"
    ));
    shell::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The wasm-bindgen version pinned in the workspace Cargo.toml (`wasm-bindgen = "=X"`).
pub fn pinned_wasm_bindgen() -> Result<String> {
    let manifest =
        fs::read_to_string("Cargo.toml").context("cannot read the workspace Cargo.toml")?;
    for line in manifest.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("wasm-bindgen") else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        // Either `"=0.2.x"` or `{ version = "=0.2.x", ... }`.
        let value = value.trim();
        let quoted = match value.find("version") {
            Some(at) if value.starts_with('{') => &value[at..],
            _ => value,
        };
        let version = quoted.split('"').nth(1).unwrap_or_default();
        let Some(exact) = version.strip_prefix('=') else {
            bail!(
                "the workspace Cargo.toml must pin wasm-bindgen exactly (wasm-bindgen = \"=X.Y.Z\") so \
                 wasm-bindgen-cli can match it; it says {version:?}"
            );
        };
        return Ok(exact.trim().to_string());
    }
    bail!("the workspace Cargo.toml does not name wasm-bindgen in [workspace.dependencies]")
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

fn wasm_bindgen_version(binary: &Path) -> Option<String> {
    let out = shell::output(Command::new(binary).arg("--version")).ok()?;
    out.split_whitespace().nth(1).map(str::to_string)
}

/// Installs wasm-bindgen-cli at the pinned version when missing or different; returns its path.
pub fn wasm_bindgen_cli() -> Result<PathBuf> {
    let version = pinned_wasm_bindgen()?;
    let installed = cargo_bin_dir().join("wasm-bindgen");
    let candidates = [find_program("wasm-bindgen"), Some(installed.clone())];
    for binary in candidates.into_iter().flatten() {
        if wasm_bindgen_version(&binary).as_deref() == Some(version.as_str()) {
            ok(&format!("wasm-bindgen-cli {version} is installed"));
            return Ok(binary);
        }
    }
    step(&format!(
        "Installing wasm-bindgen-cli {version} (cargo install wasm-bindgen-cli --version {version} --locked); \
         this compiles it and takes a few minutes"
    ));
    let install = |locked: bool| {
        let mut cmd = cargo();
        cmd.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--force",
        ]);
        if locked {
            cmd.arg("--locked");
        }
        shell::run(&mut cmd)
    };
    if let Err(err) = install(true) {
        shell::warn(&format!("{err:#}; trying again without --locked"));
        install(false).context("cannot install wasm-bindgen-cli")?;
    }
    match wasm_bindgen_version(&installed) {
        Some(found) if found == version => Ok(installed),
        found => bail!(
            "wasm-bindgen-cli was installed but {} reports version {found:?} instead of {version}",
            installed.display()
        ),
    }
}

/// Runs `npm ci` (or `npm install` without a lock file) in `dir` when its node_modules is
/// missing or older than its package-lock.json.
pub fn npm_packages(dir: &Path, what: &str) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let manifest = if lock.is_file() {
        lock.clone()
    } else {
        dir.join("package.json")
    };
    let contents =
        fs::read(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let digest = hex::encode(Sha256::digest(&contents));
    let stamp = dir.join("node_modules/.quai-installed");
    if fs::read_to_string(&stamp)
        .map(|seen| seen.trim() == digest)
        .unwrap_or(false)
    {
        ok(&format!(
            "npm packages for {what} are installed ({})",
            dir.display()
        ));
        return Ok(());
    }
    let verb = if lock.is_file() { "ci" } else { "install" };
    step(&format!(
        "Installing npm packages for {what} (npm {verb} in {})",
        dir.display()
    ));
    let npm = find_program("npm").context("npm is not installed")?;
    shell::run(
        Command::new(npm)
            .arg(verb)
            .args(["--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdin(Stdio::null()),
    )?;
    fs::write(&stamp, digest).with_context(|| format!("cannot write {}", stamp.display()))?;
    Ok(())
}

/// The terminado the transport bench runs (Jupyter's terminal server), from PyPI.
pub const TERMINADO: &str = "terminado==0.18.1";

/// A venv in `dir` with `TERMINADO` installed (made, or brought to that version, when it is
/// not); returns its Python.
pub fn terminado_venv(dir: &Path) -> Result<PathBuf> {
    install_tools(&[Tool::PythonVenv])?;
    let python = dir.join("bin/python");
    let version = TERMINADO.split_once("==").map_or("", |(_, v)| v);
    let installed = python.is_file()
        && shell::output(Command::new(&python).args([
            "-c",
            "import importlib.metadata as m; print(m.version('terminado'))",
        ]))
        .map(|found| found.trim() == version)
        .unwrap_or(false);
    if installed {
        ok(&format!("{TERMINADO} is installed ({})", dir.display()));
        return Ok(python);
    }
    step(&format!(
        "Installing {TERMINADO} in a venv (python3 -m venv {}, pip install)",
        dir.display()
    ));
    shell::run(Command::new("python3").args(["-m", "venv"]).arg(dir))
        .context("cannot make a Python venv")?;
    shell::run(
        Command::new(dir.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                TERMINADO,
            ])
            .stdin(Stdio::null()),
    )
    .with_context(|| format!("cannot install {TERMINADO} from PyPI"))?;
    Ok(python)
}
