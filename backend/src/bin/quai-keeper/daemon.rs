//! The keeper proper (`quai-keeper serve N COLS ROWS`, started by the first `attach`): opens
//! a pseudo-terminal, runs the node user's login shell on it (`setsid -c`, so the shell
//! leads a session of its own with that terminal), and listens on terminal N's socket. An
//! attach hands over its stdout with its first frame (`SCM_RIGHTS`): the shell's output goes
//! to the ring and, untouched, straight to that stdout (the engine's pipe to the server, so
//! the bytes cross no other process on the way); a newer attach replaces the one before (a
//! server killed halfway leaves a stale one). The attach's frames (`quai_protocol::keeper`)
//! bring keys and sizes. When the shell ends, its status goes to the exit file for the
//! attach, and the keeper ends.

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

/// A read at least this large means the shell prints faster than it is read (a flood).
const FLOODING: usize = 1024;
/// How long the pump lets a flood gather before reading on. Short: a program writing to the
/// terminal waits while the kernel moves its output along, so a longer pause slows the flood
/// (measured in a node, `head -c 50M /dev/urandom | base64` through the keeper: 22 MB/s with
/// 1 ms, 12 with 3 ms, 29–36 with 200 µs, as fast as `script` copying the same terminal),
/// while `yes` costs the keeper the same CPU with or without it.
const GATHER: Duration = Duration::from_micros(200);

/// How long a write to an attach's stdout may wait for its reader before the attach is
/// dropped (a server that went away reads no more).
const STALL: Duration = Duration::from_secs(30);

/// The output side: what the ring keeps and where output goes.
struct Output {
    ring: Ring,
    /// The attached client's stdout, and which attach it was.
    client: Option<(Arc<File>, u64)>,
    attaches: u64,
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
        attaches: 0,
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
    output.lock().unwrap_or_else(PoisonError::into_inner).client = None;
    if let Some(conn) = attached
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
    {
        let _ = conn.shutdown(Shutdown::Both);
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
        if n >= FLOODING {
            // A flood: let it fill the terminal's buffer a moment, then take it in large
            // reads, rather than waking for every few lines it prints.
            std::thread::sleep(GATHER);
        }
        while n + 4096 <= buf.len() && waiting(master) {
            match master.read(&mut buf[n..]) {
                Ok(0) | Err(_) => {
                    open = false;
                    break;
                }
                Ok(more) => n += more,
            }
        }
        let client = {
            let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
            output.ring.push(&buf[..n]);
            output.client.clone()
        };
        if let Some((out, id)) = client {
            let current = || current(output, id);
            if !write_out(&out, &buf[..n], &current) {
                drop_client(output, id);
            }
        }
    }
}

/// Whether attach `id` is still the attached one.
fn current(output: &Mutex<Output>, id: u64) -> bool {
    let output = output.lock().unwrap_or_else(PoisonError::into_inner);
    output.client.as_ref().is_some_and(|(_, at)| *at == id)
}

/// Lets attach `id`'s stdout go, when it is still the attached one.
fn drop_client(output: &Mutex<Output>, id: u64) {
    let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
    if output.client.as_ref().is_some_and(|(_, at)| *at == id) {
        output.client = None;
    }
}

/// Writes `data` to an attach's stdout (non-blocking), waiting for its reader while the
/// attach is `still` the current one and at most `STALL`; false when it must be dropped.
fn write_out(out: &File, mut data: &[u8], still: &dyn Fn() -> bool) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut writer = out;
    let mut stalled = Instant::now();
    while !data.is_empty() {
        match writer.write(data) {
            Ok(0) => return false,
            Ok(n) => {
                data = &data[n..];
                stalled = Instant::now();
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                if stalled.elapsed() > STALL || !still() {
                    return false;
                }
                let mut fds = [PollFd::new(out, PollFlags::OUT)];
                let tick = Timespec {
                    tv_sec: 0,
                    tv_nsec: 100_000_000,
                };
                let _ = poll(&mut fds, Some(&tick));
            }
            Err(_) => return false,
        }
    }
    true
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

/// Takes a new attach: reads its size and its stdout, shuts the attach before it out,
/// replays the ring to it (without the questions to the terminal in it), then feeds its keys
/// and sizes to the shell until it goes.
fn take(
    conn: UnixStream,
    master: &File,
    output: &Arc<Mutex<Output>>,
    attached: &Mutex<Option<UnixStream>>,
) -> std::io::Result<()> {
    use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut decoder = KeeperDecoder::default();
    conn.set_read_timeout(Some(HELLO_WAIT))?;
    let mut first = [0u8; 7];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = recvmsg(
        &conn,
        &mut [std::io::IoSliceMut::new(&mut first)],
        &mut control,
        RecvFlags::WAITALL,
    )?;
    let mut stdout: Option<OwnedFd> = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            for fd in fds {
                stdout.get_or_insert(fd);
            }
        }
    }
    let (Some(stdout), 7) = (stdout, got.bytes) else {
        return Ok(());
    };
    let Ok(frames) = decoder.push(&first) else {
        return Ok(());
    };
    let Some(KeeperFrame::Size { cols, rows }) = frames.first().cloned() else {
        return Ok(());
    };
    conn.set_read_timeout(None)?;
    let stdout = File::from(stdout);
    let flags = rustix::fs::fcntl_getfl(&stdout)?;
    rustix::fs::fcntl_setfl(&stdout, flags | OFlags::NONBLOCK)?;
    let stdout = Arc::new(stdout);
    let before = attached
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .replace(conn.try_clone()?);
    if let Some(before) = before {
        let _ = before.shutdown(Shutdown::Both);
    }
    let id = {
        let mut out = output.lock().unwrap_or_else(PoisonError::into_inner);
        out.attaches += 1;
        let id = out.attaches;
        out.client = None;
        // Questions to the terminal in it were answered when first written: a page
        // attaching now would answer again, into the shell.
        let replay = quai::session::replay::without_queries(&out.ring.snapshot());
        if !write_out(&stdout, &replay, &|| true) {
            return Ok(());
        }
        out.client = Some((stdout, id));
        id
    };
    resize(master, cols, rows);
    let mut master = master.try_clone()?;
    let output = output.clone();
    std::thread::spawn(move || {
        let mut conn = conn;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let Ok(frames) = decoder.push(&buf[..n]) else {
                // Not keeper frames: this attach is dropped, the shell goes on.
                let _ = conn.shutdown(Shutdown::Both);
                break;
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
        // The attach went: its stdout goes with it, so the engine sees its exec end.
        drop_client(&output, id);
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
