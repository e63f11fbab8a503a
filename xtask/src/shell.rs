//! Running programs and talking to the person at the terminal: `==>` step lines, errors that
//! name the command that failed, and lookups of programs on the PATH.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The repository root: the parent of the xtask crate.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the repository")
        .to_path_buf()
}

/// Makes every relative path in xtask relative to the repository root.
pub fn enter_project_root() -> Result<()> {
    let root = project_root();
    std::env::set_current_dir(&root)
        .with_context(|| format!("cannot enter the repository at {}", root.display()))
}

fn colour(code: &str, text: &str) -> String {
    let wanted = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if wanted {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Announces something xtask is about to do.
pub fn step(message: &str) {
    println!("{} {}", colour("1;34", "==>"), colour("1", message));
}

/// Reports something that is already in place, so nothing is done about it.
pub fn ok(message: &str) {
    println!("  {}  {message}", colour("32", "ok"));
}

/// Reports a problem that does not stop xtask.
pub fn warn(message: &str) {
    println!("  {}  {message}", colour("33", "warning:"));
}

/// Reports the error that stops xtask.
pub fn error(message: &str) {
    eprintln!("{} {message}", colour("1;31", "error:"));
}

/// The command line as a person would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            text.push_str(&format!(" '{arg}'"));
        } else {
            text.push(' ');
            text.push_str(&arg);
        }
    }
    text
}

/// Runs a command with the terminal attached and fails when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

/// Runs a command like [`run`], passing its output on as it comes while keeping a copy; when it
/// fails, the error's lines after the first are what `pick` finds in that copy (the failing
/// tests' own reports), for a summary printed after a long log.
pub fn run_reporting(cmd: &mut Command, pick: fn(&str) -> Vec<String>) -> Result<()> {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};

    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    let kept = Arc::new(Mutex::new(Vec::<u8>::new()));
    let pass_on = |from: Box<dyn std::io::Read + Send>, to_stderr: bool| {
        let kept = kept.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                // Output this process cannot write (a closed pipe) is still kept.
                let _ = if to_stderr {
                    std::io::stderr().write_all(&line)
                } else {
                    std::io::stdout().write_all(&line)
                };
                kept.lock().unwrap().extend_from_slice(&line);
                line.clear();
            }
        })
    };
    let readers = [
        pass_on(Box::new(child.stdout.take().expect("piped")), false),
        pass_on(Box::new(child.stderr.take().expect("piped")), true),
    ];
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for `{}`", display(cmd)))?;
    for reader in readers {
        let _ = reader.join();
    }
    if !status.success() {
        let kept = kept.lock().unwrap();
        let picked = pick(&String::from_utf8_lossy(&kept));
        let mut message = format!("`{}` failed ({status})", display(cmd));
        for line in picked {
            message.push('\n');
            message.push_str(&line);
        }
        bail!(message);
    }
    Ok(())
}

/// Runs a command and returns its standard output; its error output becomes the error.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!(
            "`{}` failed ({}): {}",
            display(cmd),
            out.status,
            stderr.trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a command runs and exits with success, its output thrown away.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

/// Finds a program on the PATH, or in the sbin folders a non-root PATH often lacks.
pub fn find_program(name: impl AsRef<OsStr>) -> Option<PathBuf> {
    let name = name.as_ref();
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The `cargo` that runs xtask, so nested builds use the same toolchain.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Formats a duration in seconds with one decimal, for progress lines.
pub fn seconds(elapsed: std::time::Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}
