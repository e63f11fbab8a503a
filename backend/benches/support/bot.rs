//! A student as a bench plays one: starts a session through `POST /api/sessions`, opens its
//! terminal over Quai's socket as the page does (acknowledging what it read), and types.
//! Whatever goes wrong is a `Failure` of a kind, counted by the caller, never a panic.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use quai_protocol::{
    ClientMsg, CreateSession, Frame, FrameKind, Profile, ServerMsg, SessionCreated,
    PROTOCOL_VERSION,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for a prompt, an echo or a command's output.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// Bytes the page writes before it acknowledges at once (as `frontend/src/services/flow.rs`).
const ACK_EVERY: u64 = 64 * 1024;
/// Output kept for looking up what a command printed.
const KEEP: usize = 64 * 1024;

/// What went wrong, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `POST /api/sessions` answered this status (0: no answer).
    Create(u16),
    /// The socket did not open.
    Connect,
    /// The server closed the socket (or it broke).
    Closed,
    /// Nothing expected came within `PATIENCE`: a prompt, an echo, a command's output.
    Timeout(&'static str),
    /// The server sent an `Error` message with this code.
    Server(String),
    /// The terminal's shell ended.
    Exited,
    /// The session ended.
    Ended,
}

impl Failure {
    /// The kind, as a report names it.
    pub fn kind(&self) -> String {
        match self {
            Failure::Create(status) => format!("session not created (HTTP {status})"),
            Failure::Connect => "socket did not open".into(),
            Failure::Closed => "socket closed".into(),
            Failure::Timeout(what) => format!("no {what} within {} s", PATIENCE.as_secs()),
            Failure::Server(code) => format!("server error {code}"),
            Failure::Exited => "shell exited".into(),
            Failure::Ended => "session ended".into(),
        }
    }
}

/// Starts a session of one node of `profile`.
pub async fn start_session(
    http: &reqwest::Client,
    base: &str,
    profile: Profile,
) -> Result<SessionCreated, Failure> {
    let response = http
        .post(format!("{base}/api/sessions"))
        .json(&CreateSession {
            nodes: Some(1),
            profile: Some(profile),
        })
        .send()
        .await
        .map_err(|_| Failure::Create(0))?;
    if response.status() != 201 {
        return Err(Failure::Create(response.status().as_u16()));
    }
    response.json().await.map_err(|_| Failure::Create(0))
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Terminal 1 of a session, on a socket of its own.
pub struct Bot {
    ws: Ws,
    /// Output of the terminal as plain text, its last `KEEP` bytes.
    text: String,
    written: u64,
    acked: u64,
    /// Bytes of output read since the socket opened, replays included.
    pub read: u64,
    /// Commands typed so far, for markers no other command prints.
    typed: u64,
}

impl Bot {
    /// Opens the session's socket, greets, opens terminal 1 on node1 and waits for its prompt.
    pub async fn open(base: &str, session: &SessionCreated) -> Result<Bot, Failure> {
        let id = &session.session.id;
        let url = format!(
            "{}/api/sessions/{id}/ws",
            base.replacen("http://", "ws://", 1)
        );
        let mut request = url.into_client_request().map_err(|_| Failure::Connect)?;
        request.headers_mut().insert(
            "cookie",
            format!("quai_{id}={}", session.token)
                .parse()
                .map_err(|_| Failure::Connect)?,
        );
        let (ws, _) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
            .await
            .map_err(|_| Failure::Connect)?
            .map_err(|_| Failure::Connect)?;
        let mut bot = Bot {
            ws,
            text: String::new(),
            written: 0,
            acked: 0,
            read: 0,
            typed: 0,
        };
        bot.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
        })
        .await?;
        bot.send(&ClientMsg::OpenTerminal {
            term: 1,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await?;
        bot.until("prompt", |t| t.contains("$ ") || t.contains("# "))
            .await?;
        bot.ack().await?;
        Ok(bot)
    }

    async fn send(&mut self, msg: &ClientMsg) -> Result<(), Failure> {
        let text = serde_json::to_string(msg).expect("client messages serialize");
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|_| Failure::Closed)
    }

    /// Types `keys` into the terminal.
    pub async fn type_in(&mut self, keys: &str) -> Result<(), Failure> {
        let frame = Frame::new(FrameKind::Input, 1, keys.as_bytes().to_vec()).encode();
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|_| Failure::Closed)
    }

    /// Acknowledges everything read, as the page does once xterm.js has written it.
    async fn ack(&mut self) -> Result<(), Failure> {
        if self.written > self.acked {
            let bytes = self.written;
            self.send(&ClientMsg::Ack { term: 1, bytes }).await?;
            self.acked = bytes;
        }
        Ok(())
    }

    /// Reads one message; true when it was terminal output.
    async fn read(&mut self, what: &'static str) -> Result<bool, Failure> {
        let msg = match tokio::time::timeout(PATIENCE, self.ws.next()).await {
            Err(_) => return Err(Failure::Timeout(what)),
            Ok(None | Some(Err(_))) => return Err(Failure::Closed),
            Ok(Some(Ok(msg))) => msg,
        };
        match msg {
            Message::Binary(bytes) => {
                let Ok(frame) = Frame::decode(&bytes) else {
                    return Ok(false);
                };
                if frame.kind != FrameKind::Output || frame.term != 1 {
                    return Ok(false);
                }
                self.written += frame.data.len() as u64;
                self.read += frame.data.len() as u64;
                self.text
                    .push_str(&crate::common::plain(&String::from_utf8_lossy(&frame.data)));
                if self.text.len() > KEEP {
                    let mut cut = self.text.len() - KEEP / 2;
                    while !self.text.is_char_boundary(cut) {
                        cut += 1;
                    }
                    self.text.drain(..cut);
                }
                if self.written - self.acked >= ACK_EVERY {
                    self.ack().await?;
                }
                Ok(true)
            }
            Message::Text(text) => match serde_json::from_str::<ServerMsg>(&text) {
                Ok(ServerMsg::TerminalOpened { term: 1, .. }) => {
                    self.written = 0;
                    self.acked = 0;
                    Ok(false)
                }
                Ok(ServerMsg::TerminalExited { term: 1, .. }) => Err(Failure::Exited),
                Ok(ServerMsg::SessionEnded { .. }) => Err(Failure::Ended),
                Ok(ServerMsg::Error { code, .. }) => Err(Failure::Server(format!("{code:?}"))),
                Ok(_) | Err(_) => Ok(false),
            },
            Message::Close(_) => Err(Failure::Closed),
            _ => Ok(false),
        }
    }

    /// Reads until the terminal's text satisfies `done`.
    async fn until(
        &mut self,
        what: &'static str,
        done: impl Fn(&str) -> bool,
    ) -> Result<(), Failure> {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.text) {
            if Instant::now() > deadline {
                return Err(Failure::Timeout(what));
            }
            self.read(what).await?;
        }
        Ok(())
    }

    /// Reads until the next output arrives.
    async fn next_output(&mut self, what: &'static str) -> Result<(), Failure> {
        while !self.read(what).await? {}
        Ok(())
    }

    /// Types one key and waits for the terminal's next output (its echo); returns the wait.
    pub async fn key_echo(&mut self, key: &str) -> Result<Duration, Failure> {
        let sent = Instant::now();
        self.type_in(key).await?;
        self.next_output("echo").await?;
        Ok(sent.elapsed())
    }

    /// Starts `cat >/dev/null`, so that keys echo and nothing else prints.
    pub async fn quiet_cat(&mut self) -> Result<(), Failure> {
        self.type_in("cat >/dev/null\r").await?;
        self.settle().await
    }

    /// Ends what runs in the foreground (Ctrl-C) and reads until quiet.
    pub async fn interrupt(&mut self) -> Result<(), Failure> {
        self.type_in("\x03").await?;
        self.settle().await
    }

    /// Reads until the terminal has said nothing for 300 ms, then acknowledges.
    async fn settle(&mut self) -> Result<(), Failure> {
        while let Ok(read) =
            tokio::time::timeout(Duration::from_millis(300), self.read("output")).await
        {
            read?;
        }
        self.ack().await
    }

    /// One command as a person types it: the line (its echo timed until the first output),
    /// then Enter (timed until the command's result shows). `lines` lines of `seq` come
    /// before the result, which only the shell's arithmetic prints.
    pub async fn command(&mut self, lines: u32) -> Result<(Duration, Duration), Failure> {
        self.typed += 1;
        let (a, b) = (self.typed * 7919 % 100_000, 4242);
        let result = format!("bot-{}-done", a + b);
        self.text.clear();
        let line = format!("seq {lines}; echo bot-$(({a}+{b}))-done");
        let echo = self.key_echo(&line).await?;
        let entered = Instant::now();
        self.type_in("\r").await?;
        self.until("command output", |t| t.contains(&result))
            .await?;
        let took = entered.elapsed();
        self.ack().await?;
        Ok((echo, took))
    }

    /// Reads whatever comes for `wait` (output and messages), acknowledging it; a failure
    /// seen meanwhile (the socket closed, the session ended) is returned.
    pub async fn idle(&mut self, wait: Duration) -> Result<(), Failure> {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return self.ack().await;
            }
            match tokio::time::timeout(left, self.read("output")).await {
                Ok(Err(failure)) => return Err(failure),
                Ok(Ok(_)) => {}
                Err(_) => return self.ack().await,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Starts a session and opens its terminal up to the prompt.
pub async fn start(
    http: &reqwest::Client,
    base: &str,
    profile: Profile,
) -> Result<(SessionCreated, Bot), Failure> {
    let session = start_session(http, base, profile).await?;
    let bot = Bot::open(base, &session).await?;
    Ok((session, bot))
}

/// Sorted milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Sample(pub Vec<f64>);

impl Sample {
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        Sample(values)
    }

    /// The value at quantile `q` (0.5 the median); 0 when empty.
    pub fn pct(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0[((self.0.len() as f64 - 1.0) * q).round() as usize]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last(&self) -> f64 {
        self.0.last().copied().unwrap_or(0.0)
    }
}

/// The least-squares slope of `points` (y per unit of x).
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}
