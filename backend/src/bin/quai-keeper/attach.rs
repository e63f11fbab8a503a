//! `quai-keeper attach N COLS ROWS`, the server's TTY-less exec into a node: connects to
//! terminal N's keeper (starting one, detached from the exec, when none runs), says its size
//! and hands the keeper its stdout (`SCM_RIGHTS`), which the keeper writes the shell's output
//! to; then copies its stdin (the server's keeper frames) to the keeper. It ends with the
//! shell's exit status when the shell ended, with 0 when a newer attach took the terminal,
//! and when the server closes its stdin.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::paths;

/// How long a keeper just started may take to listen.
const START_WAIT: Duration = Duration::from_secs(5);

pub fn connect(socket: &Path) -> std::io::Result<UnixStream> {
    UnixStream::connect(socket)
}

pub fn run(term: u16, cols: u16, rows: u16) -> ExitCode {
    match attach(term, cols, rows) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("quai-keeper: terminal {term}: {err}");
            ExitCode::FAILURE
        }
    }
}

fn attach(term: u16, cols: u16, rows: u16) -> std::io::Result<ExitCode> {
    let socket = paths::socket(term);
    let mut stream = match connect(&socket) {
        Ok(stream) => stream,
        Err(_) => start(term, cols, rows, &socket)?,
    };
    hand_over(&stream, cols, rows)?;
    let mut to_keeper = stream.try_clone()?;
    let mut stdin = File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    std::thread::spawn(move || {
        relay(&mut stdin, &mut to_keeper);
        // The server closed its side: this attach ends, the shell goes on.
        std::process::exit(0);
    });
    // The keeper says nothing here: the socket closes when the shell ended or a newer
    // attach took over.
    relay(&mut stream, &mut std::io::sink());
    let exit = paths::exit_file(term);
    match std::fs::read_to_string(&exit) {
        Ok(code) => {
            let _ = std::fs::remove_file(&exit);
            Ok(ExitCode::from(code.trim().parse::<u8>().unwrap_or(1)))
        }
        Err(_) => Ok(ExitCode::SUCCESS),
    }
}

/// Sends the keeper this attach's size, with its stdout for the shell's output.
fn hand_over(stream: &UnixStream, cols: u16, rows: u16) -> std::io::Result<()> {
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let hello = quai_protocol::keeper::encode_size(cols, rows);
    let stdout = std::io::stdout();
    let fds = [stdout.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    control.push(SendAncillaryMessage::ScmRights(&fds));
    let sent = sendmsg(
        stream,
        &[std::io::IoSlice::new(&hello)],
        &mut control,
        SendFlags::empty(),
    )?;
    if sent != hello.len() {
        return Err(std::io::Error::other("the keeper took part of the size"));
    }
    Ok(())
}

/// Copies `from` to `to` chunk by chunk as it comes, unbuffered, until either side ends.
fn relay(from: &mut impl Read, to: &mut impl Write) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Starts terminal `term`'s keeper in a session of its own (so it outlives this exec) and
/// connects to it.
fn start(term: u16, cols: u16, rows: u16, socket: &Path) -> std::io::Result<UnixStream> {
    let me = std::env::current_exe()?;
    Command::new("setsid")
        .arg("-f")
        .arg(me)
        .args([
            "serve",
            &term.to_string(),
            &cols.to_string(),
            &rows.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let deadline = Instant::now() + START_WAIT;
    loop {
        match connect(socket) {
            Ok(stream) => return Ok(stream),
            Err(err) if Instant::now() > deadline => return Err(err),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}
