//! A terminal of a session: one long-lived TTY process in a node that outlives the sockets
//! watching it. A pump task copies its output into a scrollback ring and a broadcast
//! channel (ring and channel updated under one lock, so an attach sees every byte exactly
//! once: the snapshot, then what follows); a writer task feeds it keystrokes. Flow control:
//! each socket watching the terminal is a `Watcher` whose browser acknowledges what it has
//! written; the pump stops reading the process while a watcher is too far behind, so a
//! flood never piles up in memory, and it never reads faster than the output rate limit.
//! Viewers who only watch (an instructor peeking, a class watching a broadcast) attach with
//! a watcher that never acknowledges, so they never slow the terminal: one that falls behind
//! the channel starts again from the ring. A terminal being recorded hands its output and
//! resizes to its `Recorder` under the same lock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, mpsc, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::recording::recorder::Recorder;
use crate::runtime::{Runtime, TermSize, TerminalIo};

/// Chunks of output a slow watcher may fall behind before it is re-synchronised from the ring.
/// Every slot (about 72 bytes) is allocated when the terminal starts, so this is paid by every
/// open terminal, idle or not: 1024 cost 72 KiB each. A watcher that acknowledges stops
/// the pump once `HIGH_WATER` behind, which 256 chunks cover from 2 KiB a chunk (a flood's
/// chunks are larger), beside the socket's own queue of `OUT_QUEUE` messages.
const BROADCAST_CHUNKS: usize = 256;
/// Bytes of keystrokes and pastes queued for the writer task: a sender waits beyond it (the
/// socket then stops reading the browser), so a flood of input never piles up in memory.
pub const INPUT_BUDGET: usize = 1024 * 1024;

/// What watchers of a terminal receive.
#[derive(Debug, Clone)]
pub enum TermEvent {
    Output(Bytes),
    /// The terminal's size changed (its owner's window).
    Resized(TermSize),
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
            // Grown as output comes: an idle terminal costs no more than it printed.
            bytes: VecDeque::new(),
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
        // Grown by doubling as a `VecDeque` does, but never past the capacity: left to
        // itself it could reserve up to twice it, for every terminal that printed enough.
        let needed = self.bytes.len() + data.len();
        if needed > self.bytes.capacity() {
            let grown = (self.bytes.capacity() * 2).clamp(needed, self.capacity);
            self.bytes.reserve_exact(grown - self.bytes.len());
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

/// What bounds a terminal's output.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes kept for replay.
    pub scrollback: usize,
    /// Bytes per second the process may print; beyond it, reading its output slows down.
    pub output_rate: u64,
}

/// Output a watcher may have received without the browser acknowledging it before the
/// terminal stops reading its process (which then blocks on its next write, as at a real
/// terminal that cannot keep up).
pub const HIGH_WATER: u64 = 512 * 1024;

struct State {
    scrollback: Scrollback,
    exited: Option<Option<i64>>,
    /// Bytes of output read from the process so far.
    produced: u64,
    watchers: Vec<Weak<Watcher>>,
    /// The size its owner's window gave it last.
    size: TermSize,
    recorder: Option<Recorder>,
}

/// One socket's view of a terminal, for flow control: how much of the output it was given
/// the browser has acknowledged.
#[derive(Debug, Default)]
pub struct Watcher {
    /// `produced` minus the replay, when this watcher last attached.
    start: AtomicU64,
    acked: AtomicU64,
    /// Only browsers that acknowledge take part in flow control.
    acking: AtomicBool,
}

impl Watcher {
    fn behind(&self, produced: u64) -> u64 {
        if !self.acking.load(Ordering::SeqCst) {
            return 0;
        }
        produced
            .saturating_sub(self.start.load(Ordering::SeqCst))
            .saturating_sub(self.acked.load(Ordering::SeqCst))
    }
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
    input: mpsc::UnboundedSender<(Bytes, OwnedSemaphorePermit)>,
    /// Bytes the input queue may still take.
    input_budget: Arc<Semaphore>,
    /// Leave out the browser's answers to the terminal keeper's queries.
    keeper_answers: bool,
    /// Keys and sizes go to the process as `quai_protocol::keeper` frames (`quai-keeper`'s
    /// attach, which has no TTY of the engine's to resize).
    in_band: bool,
    acks: Arc<Notify>,
    /// Taken by each resize for its engine call: resizes reach the process in the order asked.
    resizing: Arc<tokio::sync::Mutex<()>>,
    tasks: [JoinHandle<()>; 2],
}

impl Terminal {
    /// Starts the pump and writer tasks around a freshly opened TTY process, its replay
    /// beginning with `history` (what the shell printed before this server attached to it).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        term: u16,
        node: String,
        io: TerminalIo,
        runtime: Arc<dyn Runtime>,
        limits: Limits,
        size: TermSize,
        history: &[u8],
        keeper_answers: bool,
        in_band: bool,
    ) -> Self {
        let TerminalIo {
            exec,
            output,
            mut input,
        } = io;
        let mut scrollback = Scrollback::new(limits.scrollback);
        scrollback.push(history);
        let state = Arc::new(Mutex::new(State {
            scrollback,
            exited: None,
            produced: history.len() as u64,
            watchers: Vec::new(),
            size,
            recorder: None,
        }));
        let (events, _) = broadcast::channel(BROADCAST_CHUNKS);
        let (input_tx, mut input_rx) = mpsc::unbounded_channel::<(Bytes, OwnedSemaphorePermit)>();
        let acks = Arc::new(Notify::new());
        let pump = tokio::spawn(pump(
            output,
            state.clone(),
            events.clone(),
            acks.clone(),
            runtime,
            exec.clone(),
            limits,
        ));
        let writer = tokio::spawn(async move {
            // Each chunk's permit returns its bytes to the budget once written.
            while let Some((bytes, _permit)) = input_rx.recv().await {
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
            input_budget: Arc::new(Semaphore::new(INPUT_BUDGET)),
            keeper_answers,
            in_band,
            acks,
            resizing: Default::default(),
            tasks: [pump, writer],
        }
    }

    pub fn exec_id(&self) -> &str {
        &self.exec
    }

    /// Snapshot of the scrollback plus a receiver for everything after it. `watcher` starts
    /// counting afresh: the browser acknowledges from this replay on.
    pub fn attach(&self, watcher: &Arc<Watcher>) -> Attachment {
        let mut state = self.state.lock().expect("terminal state lock");
        // Questions the terminal answered already are not asked again.
        let replay = super::replay::without_queries(&state.scrollback.snapshot());
        watcher
            .start
            .store(state.produced - replay.len() as u64, Ordering::SeqCst);
        watcher.acked.store(0, Ordering::SeqCst);
        state
            .watchers
            .retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), Arc::as_ptr(watcher)));
        state.watchers.push(Arc::downgrade(watcher));
        Attachment {
            replay,
            events: self.events.subscribe(),
            exited: state.exited,
        }
    }

    /// The browser has written `bytes` bytes since its last attach.
    pub fn ack(&self, watcher: &Watcher, bytes: u64) {
        watcher.acking.store(true, Ordering::SeqCst);
        watcher.acked.store(bytes, Ordering::SeqCst);
        self.acks.notify_waiters();
    }

    /// Bytes the process has printed since the terminal started (history included).
    pub fn produced(&self) -> u64 {
        self.state.lock().expect("terminal state lock").produced
    }

    pub fn has_exited(&self) -> bool {
        self.state
            .lock()
            .expect("terminal state lock")
            .exited
            .is_some()
    }

    /// Queues keystrokes; waits while more than `INPUT_BUDGET` bytes wait for the writer.
    /// False once the process is gone.
    pub async fn send_input(&self, bytes: Bytes) -> bool {
        let bytes = match self
            .keeper_answers
            .then(|| super::replay::without_answers(&bytes))
            .flatten()
        {
            Some(kept) if kept.is_empty() => return true,
            Some(kept) => Bytes::from(kept),
            None => bytes,
        };
        let cost = bytes.len().clamp(1, INPUT_BUDGET) as u32;
        let Ok(permit) = self.input_budget.clone().acquire_many_owned(cost).await else {
            return false;
        };
        let bytes = if self.in_band {
            let mut framed = Vec::with_capacity(bytes.len() + 3);
            quai_protocol::keeper::encode_input(&bytes, &mut framed);
            Bytes::from(framed)
        } else {
            bytes
        };
        self.input.send((bytes, permit)).is_ok()
    }

    /// Sends the process its new size in band, in order with the keys queued before it.
    async fn resize_in_band(&self, size: TermSize) -> bool {
        let Ok(permit) = self.input_budget.clone().acquire_many_owned(1).await else {
            return false;
        };
        let frame = quai_protocol::keeper::encode_size(size.cols, size.rows);
        if self.input.send((Bytes::from(frame), permit)).is_err() {
            return false;
        }
        resized(&self.state, &self.events, size);
        true
    }

    /// Bytes of input queued and not yet written to the process.
    pub fn input_queued(&self) -> usize {
        INPUT_BUDGET - self.input_budget.available_permits()
    }

    pub async fn resize(
        &self,
        runtime: &dyn Runtime,
        size: TermSize,
    ) -> Result<(), crate::runtime::RuntimeError> {
        let _turn = self.resizing.lock().await;
        if self.in_band {
            self.resize_in_band(size).await;
            return Ok(());
        }
        runtime.resize_terminal(&self.exec, size).await?;
        resized(&self.state, &self.events, size);
        Ok(())
    }

    /// Resizes the process in the background: a page attaching to a running shell gets its
    /// screen at once, without waiting for the engine (about 20 ms). A later `resize` waits
    /// for this one, so the last size asked for is the one the process keeps. A failure is
    /// only logged: the process is gone, which its pump reports.
    pub async fn resize_soon(&self, runtime: Arc<dyn Runtime>, size: TermSize) {
        let turn = self.resizing.clone().lock_owned().await;
        if self.in_band {
            // Queued at once, in order: nothing to wait for.
            self.resize_in_band(size).await;
            return;
        }
        let (exec, state, events) = (self.exec.clone(), self.state.clone(), self.events.clone());
        tokio::spawn(async move {
            let _turn = turn;
            match runtime.resize_terminal(&exec, size).await {
                Ok(()) => resized(&state, &events, size),
                Err(err) => tracing::debug!(exec, error = %err, "a terminal could not be resized"),
            }
        });
    }

    /// The size its owner's window gave it last.
    pub fn size(&self) -> TermSize {
        self.state.lock().expect("terminal state lock").size
    }

    /// Starts recording with `make`, given the terminal's size now; `None` when it is
    /// recorded already or has ended.
    pub fn record<T>(&self, make: impl FnOnce(TermSize) -> (Recorder, T)) -> Option<T> {
        let mut state = self.state.lock().expect("terminal state lock");
        if state.recorder.is_some() || state.exited.is_some() {
            return None;
        }
        let (recorder, handle) = make(state.size);
        state.recorder = Some(recorder);
        Some(handle)
    }

    /// Stops its recording; false when it had none.
    pub fn stop_recording(&self) -> bool {
        self.state
            .lock()
            .expect("terminal state lock")
            .recorder
            .take()
            .is_some()
    }

    pub fn is_recording(&self) -> bool {
        self.state
            .lock()
            .expect("terminal state lock")
            .recorder
            .is_some()
    }
}

/// Copies the process's output into the scrollback and to the watchers, pausing while a
/// watcher is more than `HIGH_WATER` behind and slowing down beyond `output_rate`.
async fn pump(
    mut output: crate::runtime::OutputStream,
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<TermEvent>,
    acks: Arc<Notify>,
    runtime: Arc<dyn Runtime>,
    exec: String,
    limits: Limits,
) {
    let rate = limits.output_rate.max(1024) as f64;
    let mut budget = rate;
    let mut refilled = Instant::now();
    loop {
        loop {
            let notified = acks.notified();
            let behind = {
                let state = state.lock().expect("terminal state lock");
                state
                    .watchers
                    .iter()
                    .filter_map(Weak::upgrade)
                    .map(|w| w.behind(state.produced))
                    .max()
                    .unwrap_or(0)
            };
            if behind <= HIGH_WATER {
                break;
            }
            // A watcher that stops acknowledging and goes away must not stall the terminal.
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
        let Some(chunk) = output.next().await else {
            break;
        };
        let bytes = match chunk {
            Ok(bytes) if bytes.is_empty() => continue,
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::warn!(%exec, error = %err, "terminal output stream failed");
                break;
            }
        };
        let len = bytes.len() as f64;
        {
            let mut state = state.lock().expect("terminal state lock");
            state.scrollback.push(&bytes);
            state.produced += bytes.len() as u64;
            if let Some(recorder) = state.recorder.as_mut() {
                if !recorder.output(&bytes) {
                    state.recorder = None;
                }
            }
            // No receiver is fine: the ring keeps the output for the next attach.
            let _ = events.send(TermEvent::Output(bytes));
        }
        budget = (budget + refilled.elapsed().as_secs_f64() * rate).min(rate) - len;
        refilled = Instant::now();
        if budget < 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(-budget / rate)).await;
        }
    }
    let code = runtime.terminal_exit_code(&exec).await.ok().flatten();
    let mut state = state.lock().expect("terminal state lock");
    state.exited = Some(code);
    // The recording ends with the process.
    state.recorder = None;
    let _ = events.send(TermEvent::Exited(code));
}

/// The process has `size` now: its watchers and its recording are told.
fn resized(state: &Mutex<State>, events: &broadcast::Sender<TermEvent>, size: TermSize) {
    let mut state = state.lock().expect("terminal state lock");
    if state.size != size {
        state.size = size;
        if let Some(recorder) = state.recorder.as_mut() {
            if !recorder.resize(size) {
                state.recorder = None;
            }
        }
        let _ = events.send(TermEvent::Resized(size));
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
    fn scrollback_memory_never_grows_past_its_capacity() {
        let capacity = 256 * 1024;
        let mut ring = Scrollback::new(capacity);
        let line = [b'x'; 100];
        for _ in 0..10_000 {
            ring.push(&line);
            assert!(
                ring.bytes.capacity() <= capacity,
                "{}",
                ring.bytes.capacity()
            );
        }
        assert_eq!(ring.len(), capacity);
        ring.push(&[b'y'; 300 * 1024]);
        assert!(ring.bytes.capacity() <= capacity);
        assert!(ring.snapshot().iter().all(|&c| c == b'y'));
    }

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

    /// A terminal at 80×24 over `input`, its process printing nothing.
    fn silent_terminal(
        input: tokio::io::DuplexStream,
        in_band: bool,
    ) -> (Terminal, Arc<crate::runtime::DockerRuntime>) {
        let io = TerminalIo {
            exec: "no-exec".into(),
            output: Box::pin(futures::stream::pending()),
            input: Box::pin(input),
        };
        let runtime = Arc::new(crate::runtime::DockerRuntime::connect("silent").unwrap());
        let limits = Limits {
            scrollback: 1024,
            output_rate: 1024 * 1024,
        };
        let size = TermSize { cols: 80, rows: 24 };
        let terminal = Terminal::start(
            1,
            "node1".into(),
            io,
            runtime.clone(),
            limits,
            size,
            &[],
            false,
            in_band,
        );
        (terminal, runtime)
    }

    #[tokio::test]
    async fn input_a_process_does_not_read_waits_within_a_byte_budget() {
        use futures::FutureExt;
        // A process that reads nothing: its input pipe holds 4 KiB, then writes block.
        let (unread, input) = tokio::io::duplex(4096);
        let (terminal, _) = silent_terminal(input, false);
        let paste = || Bytes::from(vec![b'x'; INPUT_BUDGET / 4]);
        for _ in 0..4 {
            assert!(terminal.send_input(paste()).await);
        }
        assert_eq!(terminal.input_queued(), INPUT_BUDGET);
        // The budget is spent: the next paste waits (the socket stops reading the browser)
        // instead of piling up in memory, even a single keystroke.
        assert!(terminal.send_input(paste()).now_or_never().is_none());
        assert!(terminal
            .send_input(Bytes::from_static(b"a"))
            .now_or_never()
            .is_none());
        // The process gone, waiting senders are told so and the queue empties.
        drop(unread);
        assert!(!terminal.send_input(paste()).await);
        assert_eq!(terminal.input_queued(), 0);
    }

    #[tokio::test]
    async fn a_keeper_in_band_gets_keys_and_sizes_as_frames_in_order() {
        use tokio::io::AsyncReadExt;
        let (mut keeper, input) = tokio::io::duplex(4096);
        let (terminal, runtime) = silent_terminal(input, true);
        assert!(terminal.send_input(Bytes::from_static(b"ls")).await);
        let wide = TermSize {
            cols: 200,
            rows: 50,
        };
        // No engine call: the size goes with the keys.
        terminal.resize(runtime.as_ref(), wide).await.unwrap();
        assert!(terminal.send_input(Bytes::from_static(b"\r")).await);
        let mut expected = Vec::new();
        quai_protocol::keeper::encode_input(b"ls", &mut expected);
        expected.extend(quai_protocol::keeper::encode_size(200, 50));
        quai_protocol::keeper::encode_input(b"\r", &mut expected);
        let mut got = vec![0; expected.len()];
        keeper.read_exact(&mut got).await.unwrap();
        assert_eq!(got, expected);
        assert_eq!(terminal.size(), wide);
    }

    #[test]
    fn scrollback_takes_a_chunk_larger_than_itself() {
        let mut ring = Scrollback::new(4);
        ring.push(b"abcdefgh");
        assert_eq!(ring.len(), 4);
        assert!(!ring.is_empty());
    }
}
