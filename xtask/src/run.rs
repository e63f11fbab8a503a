//! `cargo xtask run`: sets up the machine, builds Quai and serves it in the foreground.
//!
//! The server runs in its own process group so that Ctrl-C reaches xtask only; xtask forwards
//! it as one SIGTERM, the server shuts down gracefully and removes its containers, and a second
//! Ctrl-C kills it at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::images::{self, Images};
use crate::setup::{self, Tool};
use crate::shell::{self, ok, step};
use crate::{backend, frontend};

/// Where `cargo xtask run` listens unless told otherwise: every interface, so the printed URL
/// works from another machine.
const RUN_LISTEN: &str = "0.0.0.0:8080";
const READY_WAIT: Duration = Duration::from_secs(60);

/// What the machine provides once set up.
#[derive(Debug)]
pub struct Ready {
    /// The images of the current recipes.
    pub images: Images,
    /// The wasm-bindgen CLI at the pinned version.
    pub wasm_bindgen: PathBuf,
}

/// Installs and starts what building and running Quai needs; `browser` adds Chromium for tests.
pub fn prepare(browser: bool) -> Result<Ready> {
    step("Checking what Quai needs on this machine");
    // debootstrap is installed only when the base image must be built.
    let mut tools = vec![Tool::Docker, Tool::Node];
    if browser {
        tools.push(Tool::Chromium);
    }
    setup::install_tools(&tools)?;
    setup::docker_daemon()?;
    setup::wasm_target()?;
    let wasm_bindgen = setup::wasm_bindgen_cli()?;
    setup::npm_packages(Path::new("static"), "the page (xterm.js, wasm-opt)")?;
    let images = images::ensure_all(false)?;
    Ok(Ready {
        images,
        wasm_bindgen,
    })
}

/// `cargo xtask run [-- serve args]`.
pub fn run(serve_args: &[String]) -> Result<()> {
    let ready = prepare(false)?;
    frontend::build(&ready.wasm_bindgen)?;
    let binary = backend::build()?;
    serve(&binary, &ready.images, serve_args)
}

/// `cargo xtask build`: the page and the server, with what building them needs (no images).
pub fn build() -> Result<()> {
    step("Checking what building Quai needs on this machine");
    setup::install_tools(&[Tool::Node])?;
    setup::wasm_target()?;
    let wasm_bindgen = setup::wasm_bindgen_cli()?;
    setup::npm_packages(Path::new("static"), "the page (xterm.js, wasm-opt)")?;
    frontend::build(&wasm_bindgen)?;
    backend::build()?;
    Ok(())
}

/// The value of `--name value` or `--name=value` among `args`.
fn flag_value(args: &[String], name: &str) -> Option<String> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == name {
            return args.next().cloned();
        }
        if let Some(value) = arg
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
        {
            return Some(value.to_string());
        }
    }
    None
}

fn serve(binary: &Path, images: &Images, serve_args: &[String]) -> Result<()> {
    // Defaults go through the environment so that both QUAI_* variables already set and flags
    // after `--` win over them.
    let env_or =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let listen =
        flag_value(serve_args, "--listen").unwrap_or_else(|| env_or("QUAI_LISTEN", RUN_LISTEN));
    let mut cmd = Command::new(binary);
    cmd.arg("serve")
        .args(serve_args)
        .env("QUAI_LISTEN", env_or("QUAI_LISTEN", RUN_LISTEN))
        .env("QUAI_STATIC_DIR", env_or("QUAI_STATIC_DIR", "static"));
    for (var, tag) in images.server_env() {
        cmd.env(var, env_or(var, &tag));
    }
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let shown: Vec<&str> = std::iter::once("serve")
        .chain(serve_args.iter().map(String::as_str))
        .collect();
    step(&format!(
        "Starting Quai ({} {})",
        backend::BINARY,
        shown.join(" ")
    ));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    forward_interrupts(child.id())?;

    match listen.parse::<SocketAddr>() {
        Ok(addr) if addr.port() != 0 => match wait_until_ready(&mut child, addr)? {
            Some(status) => bail!("quai stopped before it was ready ({status})"),
            None => println!("\n{}\n", ready_line(addr)),
        },
        _ => ok("The server prints the address it listens on"),
    }

    let status = child.wait().context("cannot wait for quai")?;
    if status.success() || INTERRUPTS.load(Ordering::SeqCst) > 0 {
        ok("Quai stopped");
        Ok(())
    } else {
        bail!("quai stopped ({status})")
    }
}

static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

/// Turns Ctrl-C (and SIGTERM, SIGHUP) into one SIGTERM for the server, then SIGKILL.
fn forward_interrupts(pid: u32) -> Result<()> {
    ctrlc::set_handler(move || {
        let signal = if INTERRUPTS.fetch_add(1, Ordering::SeqCst) == 0 {
            println!("\nStopping Quai: it removes its containers first. Press Ctrl-C again to kill it at once.");
            "-TERM"
        } else {
            "-KILL"
        };
        let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
    })
    .context("cannot handle Ctrl-C")
}

/// Waits until `GET /healthz` answers; returns the exit status if the server stopped instead.
fn wait_until_ready(
    child: &mut Child,
    addr: SocketAddr,
) -> Result<Option<std::process::ExitStatus>> {
    let local = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let begin = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if let Some(status_line) = healthz(local) {
            if !status_line.contains(" 200") {
                shell::warn(&format!(
                    "GET /healthz answers {status_line:?}; see the server's log"
                ));
            }
            return Ok(None);
        }
        if begin.elapsed() > READY_WAIT {
            shell::warn(&format!(
                "Quai did not answer on {local} within {} s; see its log",
                READY_WAIT.as_secs()
            ));
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The status line of `GET /healthz`, if the server answers.
fn healthz(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let line = response.lines().next()?.to_string();
    line.starts_with("HTTP/").then_some(line)
}

/// `Quai is ready: open http://<host>:<port>/`, naming this machine's address when listening
/// on every interface.
fn ready_line(addr: SocketAddr) -> String {
    if !addr.ip().is_unspecified() {
        return format!("Quai is ready: open http://{addr}/");
    }
    let port = addr.port();
    let address = shell::output(Command::new("hostname").arg("-I"))
        .ok()
        .and_then(|out| out.split_whitespace().next().map(str::to_string));
    match address {
        Some(ip) if ip.contains(':') => format!("Quai is ready: open http://[{ip}]:{port}/ (or http://localhost:{port}/ on this machine)"),
        Some(ip) => format!("Quai is ready: open http://{ip}:{port}/ (or http://localhost:{port}/ on this machine)"),
        None => format!("Quai is ready: open http://localhost:{port}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::flag_value;

    #[test]
    fn flag_values_are_found_in_both_spellings() {
        let args: Vec<String> = ["--instance", "x", "--listen=1.2.3.4:5"]
            .map(String::from)
            .to_vec();
        assert_eq!(flag_value(&args, "--listen").as_deref(), Some("1.2.3.4:5"));
        assert_eq!(flag_value(&args, "--instance").as_deref(), Some("x"));
        assert_eq!(flag_value(&args, "--base-image"), None);
    }
}
