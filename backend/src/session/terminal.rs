//! A terminal of a session: one long-lived TTY process in a node that outlives the sockets
//! watching it. A pump task copies its output into a scrollback ring and a broadcast
//! channel (ring and channel updated under one lock, so an attach sees every byte exactly
//! once: the snapshot, then what follows); a writer task feeds it keystrokes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::runtime::{Runtime, TermSize, TerminalIo};

/// Chunks of output a slow watcher may fall behind before it is re-synchronised from the ring.
const BROADCAST_CHUNKS: usize = 1024;
/// Keystroke frames queued for the writer task.
const INPUT_QUEUE: usize = 256;

/// What watchers of a terminal receive.
#[derive(Debug, Clone)]
pub enum TermEvent {
    Output(Bytes),
    Exited(Option<i64>),
}

/// Output kept for replay, bounded; drops its oldest bytes when full.
#[derive(Debug)]
pub struct Scrollback {
    bytes: VecDeque<u8>,
    capacity: usize,
    truncated: bool,
}

impl Scrollback {
    pub fn new(capacity: usize) -> Self {
        Scrollback {
            bytes: VecDeque::with_capacity(capacity.min(64 * 1024)),
            capacity,
            truncated: false,
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        let cut = data.len().saturating_sub(self.capacity);
        let data = &data[cut..];
        self.truncated |= cut > 0;
        let overflow = (self.bytes.len() + data.len()).saturating_sub(self.capacity);
        if overflow > 0 {
            self.bytes.drain(..overflow);
            self.truncated = true;
        }
        self.bytes.extend(data);
    }

    /// The kept output. Once old output was dropped, the replay starts at a line boundary so
    /// it does not begin in the middle of an escape sequence or a character.
    pub fn snapshot(&self) -> Vec<u8> {
        let (a, b) = self.bytes.as_slices();
        let mut all = Vec::with_capacity(self.bytes.len());
        all.extend_from_slice(a);
        all.extend_from_slice(b);
        if self.truncated {
            if let Some(newline) = all.iter().position(|&c| c == b'\n') {
                all.drain(..=newline);
            }
        }
        all
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

struct State {
    scrollback: Scrollback,
    exited: Option<Option<i64>>,
}

/// A watcher's view: what was printed so far, then the live events.
pub struct Attachment {
    pub replay: Vec<u8>,
    pub events: broadcast::Receiver<TermEvent>,
    /// Set when the process had already exited at attach time.
    pub exited: Option<Option<i64>>,
}

pub struct Terminal {
    pub term: u16,
    pub node: String,
    exec: String,
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<TermEvent>,
    input: mpsc::Sender<Bytes>,
    tasks: [JoinHandle<()>; 2],
}

impl Terminal {
    /// Starts the pump and writer tasks around a freshly opened TTY process.
    pub fn start(
        term: u16,
        node: String,
        io: TerminalIo,
        runtime: Arc<dyn Runtime>,
        scrollback: usize,
    ) -> Self {
        let TerminalIo {
            exec,
            mut output,
            mut input,
        } = io;
        let state = Arc::new(Mutex::new(State {
            scrollback: Scrollback::new(scrollback),
            exited: None,
        }));
        let (events, _) = broadcast::channel(BROADCAST_CHUNKS);
        let (input_tx, mut input_rx) = mpsc::channel::<Bytes>(INPUT_QUEUE);

        let pump = {
            let state = state.clone();
            let events = events.clone();
            let exec = exec.clone();
            tokio::spawn(async move {
                while let Some(chunk) = output.next().await {
                    match chunk {
                        Ok(bytes) if bytes.is_empty() => {}
                        Ok(bytes) => {
                            let mut state = state.lock().expect("terminal state lock");
                            state.scrollback.push(&bytes);
                            // No receiver is fine: the ring keeps the output for the next attach.
                            let _ = events.send(TermEvent::Output(bytes));
                        }
                        Err(err) => {
                            tracing::warn!(%exec, error = %err, "terminal output stream failed");
                            break;
                        }
                    }
                }
                let code = runtime.terminal_exit_code(&exec).await.ok().flatten();
                let mut state = state.lock().expect("terminal state lock");
                state.exited = Some(code);
                let _ = events.send(TermEvent::Exited(code));
            })
        };
        let writer = tokio::spawn(async move {
            while let Some(bytes) = input_rx.recv().await {
                if input.write_all(&bytes).await.is_err() || input.flush().await.is_err() {
                    break;
                }
            }
        });
        Terminal {
            term,
            node,
            exec,
            state,
            events,
            input: input_tx,
            tasks: [pump, writer],
        }
    }

    pub fn exec_id(&self) -> &str {
        &self.exec
    }

    /// Snapshot of the scrollback plus a receiver for everything after it.
    pub fn attach(&self) -> Attachment {
        let state = self.state.lock().expect("terminal state lock");
        Attachment {
            replay: state.scrollback.snapshot(),
            events: self.events.subscribe(),
            exited: state.exited,
        }
    }

    pub fn has_exited(&self) -> bool {
        self.state
            .lock()
            .expect("terminal state lock")
            .exited
            .is_some()
    }

    /// Queues keystrokes; waits while the writer is behind. False once the process is gone.
    pub async fn send_input(&self, bytes: Bytes) -> bool {
        self.input.send(bytes).await.is_ok()
    }

    pub async fn resize(
        &self,
        runtime: &dyn Runtime,
        size: TermSize,
    ) -> Result<(), crate::runtime::RuntimeError> {
        runtime.resize_terminal(&self.exec, size).await
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrollback_keeps_everything_below_its_capacity() {
        let mut ring = Scrollback::new(16);
        ring.push(b"hello ");
        ring.push(b"world");
        assert_eq!(ring.snapshot(), b"hello world");
    }

    #[test]
    fn scrollback_drops_the_oldest_output_and_replays_from_a_line_start() {
        let mut ring = Scrollback::new(12);
        ring.push(b"first line\nsecond\n");
        assert_eq!(ring.len(), 12);
        assert_eq!(ring.snapshot(), b"second\n");
    }

    #[test]
    fn scrollback_takes_a_chunk_larger_than_itself() {
        let mut ring = Scrollback::new(4);
        ring.push(b"abcdefgh");
        assert_eq!(ring.len(), 4);
        assert!(!ring.is_empty());
    }
}
