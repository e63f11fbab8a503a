//! The keeper proper (`quai-keeper serve N COLS ROWS`, started by the first `attach`): opens
//! a pseudo-terminal, runs the node user's login shell on it (`setsid -c`, so the shell
//! leads a session of its own with that terminal), and listens on terminal N's socket. The
//! shell's output goes to the ring and, untouched, to the one attached client; a newer attach
//! replaces the client (a server killed halfway leaves a stale one). The client's frames
//! (`quai_protocol::keeper`) bring keys and sizes. When the shell ends, its status goes to
//! the exit file for the attach, and the keeper ends.

use std::fs::File;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use quai_protocol::keeper::{KeeperDecoder, KeeperFrame};
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;

use crate::paths;
use crate::ring::Ring;

/// How much recent output the keeper keeps for the next attach.
const KEPT: usize = 256 * 1024;
/// How long an attach may take to say its size.
const HELLO_WAIT: Duration = Duration::from_secs(5);
/// How long the shell's last output may take to be read once it ended (background jobs may
/// hold its terminal open for longer).
const LAST_OUTPUT_WAIT: Duration = Duration::from_millis(300);

/// The output side: what the ring keeps and where output goes.
struct Output {
    ring: Ring,
    client: Option<UnixStream>,
}

pub fn run(term: u16, cols: u16, rows: u16) -> ExitCode {
    match serve(term, cols, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quai-keeper: terminal {term}: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(term: u16, cols: u16, rows: u16) -> std::io::Result<()> {
    let socket = paths::socket(term);
    if UnixStream::connect(&socket).is_ok() {
        // Another keeper runs this terminal.
        return Ok(());
    }
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(paths::exit_file(term));
    let listener = UnixListener::bind(&socket)?;

    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    rustix::pty::grantpt(&master)?;
    rustix::pty::unlockpt(&master)?;
    let name = rustix::pty::ptsname(&master, Vec::new())?;
    let slave: OwnedFd = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    resize(&master, cols, rows);
    let shell = if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    let mut child = Command::new("setsid")
        .arg("-c")
        .arg(shell)
        .arg("-l")
        .stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave))
        .spawn()?;
    std::fs::write(paths::pid_file(term), child.id().to_string())?;

    let master = File::from(master);
    let output = Arc::new(Mutex::new(Output {
        ring: Ring::new(KEPT),
        client: None,
    }));
    // The attached client's stream, to shut it down without waiting for `output`'s lock
    // (held while a write to a client that stopped reading blocks).
    let attached: Arc<Mutex<Option<UnixStream>>> = Arc::default();

    let (drained, last_output) = mpsc::channel::<()>();
    {
        let mut master = master.try_clone()?;
        let output = output.clone();
        std::thread::spawn(move || {
            pump(&mut master, &output);
            let _ = drained.send(());
        });
    }
    {
        let master = master.try_clone()?;
        let output = output.clone();
        let attached = attached.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let _ = take(conn, &master, &output, &attached);
            }
        });
    }

    let status = child.wait()?;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    let _ = last_output.recv_timeout(LAST_OUTPUT_WAIT);
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(paths::pid_file(term));
    std::fs::write(paths::exit_file(term), code.to_string())?;
    let output = output.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(client) = output.client.as_ref() {
        let _ = client.shutdown(Shutdown::Both);
    }
    Ok(())
}

/// Copies the shell's output to the ring and the attached client until its terminal closes.
/// A read takes what is there, then whatever more is already waiting, so that a flood goes
/// on in large writes rather than in the terminal's small chunks.
fn pump(master: &mut File, output: &Mutex<Output>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut open = true;
    while open {
        let mut n = match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO: nothing holds the shell's side any more.
            Err(_) => break,
        };
        while n + 4096 <= buf.len() && waiting(master) {
            match master.read(&mut buf[n..]) {
                Ok(0) | Err(_) => {
                    open = false;
                    break;
                }
                Ok(more) => n += more,
            }
        }
        let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
        output.ring.push(&buf[..n]);
        if let Some(client) = output.client.as_mut() {
            if client.write_all(&buf[..n]).is_err() {
                output.client = None;
            }
        }
    }
}

/// Whether the shell's terminal has output waiting, without waiting for any.
fn waiting(master: &File) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(master, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&now)), Ok(1)) && fds[0].revents().contains(PollFlags::IN)
}

/// Takes a new attach: reads its size, replaces the client before it, replays the ring to
/// it, then feeds its keys and sizes to the shell until it goes.
fn take(
    mut conn: UnixStream,
    master: &File,
    output: &Mutex<Output>,
    attached: &Mutex<Option<UnixStream>>,
) -> std::io::Result<()> {
    let mut decoder = KeeperDecoder::default();
    conn.set_read_timeout(Some(HELLO_WAIT))?;
    let mut first = [0u8; 7];
    conn.read_exact(&mut first)?;
    let Ok(frames) = decoder.push(&first) else {
        return Ok(());
    };
    let Some(KeeperFrame::Size { cols, rows }) = frames.first().cloned() else {
        return Ok(());
    };
    conn.set_read_timeout(None)?;
    let before = attached
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .replace(conn.try_clone()?);
    if let Some(before) = before {
        let _ = before.shutdown(Shutdown::Both);
    }
    {
        let mut writer = conn.try_clone()?;
        let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(&output.ring.snapshot())?;
        output.client = Some(writer);
    }
    resize(master, cols, rows);
    let mut master = master.try_clone()?;
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let Ok(frames) = decoder.push(&buf[..n]) else {
                // Not keeper frames: this client is dropped, the shell goes on.
                let _ = conn.shutdown(Shutdown::Both);
                return;
            };
            for frame in frames {
                match frame {
                    KeeperFrame::Input(keys) => {
                        if master.write_all(&keys).is_err() {
                            return;
                        }
                    }
                    KeeperFrame::Size { cols, rows } => resize(&master, cols, rows),
                }
            }
        }
    });
    Ok(())
}

/// Gives the shell's terminal its size (the shell's foreground job gets SIGWINCH).
fn resize(master: impl AsFd, cols: u16, rows: u16) {
    let _ = rustix::termios::tcsetwinsize(
        master,
        Winsize {
            ws_row: rows.max(1),
            ws_col: cols.max(1),
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    );
}

/// Ends terminal `term`'s shell and what runs in its session: a hangup, then a kill for
/// what is left after a second.
pub fn end(term: u16) {
    let Some(pid) = paths::shell_pid(term).and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::HUP);
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::HUP);
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if rustix::process::test_kill_process(pid).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}
