//! A terminal as the benches drive it, whatever carries it (Quai's socket, acknowledged as
//! the page does; a raw `docker exec` TTY through bollard), and keystroke echo timed on it.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::{SinkExt, Stream, StreamExt};
use quai_protocol::{ClientMsg, Frame, FrameKind, ServerMsg};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::TestSocket;

/// Keystrokes timed per echo measure.
pub const KEYS: usize = 200;
/// Longest wait for any one piece of output.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One terminal, whatever carries it: keys in, chunks of output out.
pub trait Transport: Send {
    fn send(&mut self, keys: &str) -> impl Future<Output = ()> + Send;
    /// The next chunk of output; panics when none comes within `PATIENCE`.
    fn recv(&mut self) -> impl Future<Output = Vec<u8>> + Send;
    /// The next chunk of output, or None after `quiet` without any.
    fn recv_within(&mut self, quiet: Duration) -> impl Future<Output = Option<Vec<u8>>> + Send {
        async move { tokio::time::timeout(quiet, self.recv()).await.ok() }
    }
}

/// Reads until the terminal has said nothing for 300 ms.
pub async fn drain(t: &mut impl Transport) {
    while t.recv_within(Duration::from_millis(300)).await.is_some() {}
}

/// A terminal on Quai's socket, acknowledging what it read as the page does.
pub struct QuaiTerm {
    pub ws: Ws,
    pub term: u16,
    pub written: u64,
    pub acked: u64,
}

impl QuaiTerm {
    /// Opens terminal `term` of the session on a socket of its own, up to its prompt.
    pub async fn open(base: &str, session: &quai_protocol::SessionCreated, term: u16) -> QuaiTerm {
        let id = &session.session.id;
        let url = format!(
            "{}/api/sessions/{id}/ws",
            base.replacen("http://", "ws://", 1)
        );
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "cookie",
            format!("quai_{id}={}", session.token).parse().unwrap(),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("socket opens");
        let mut socket = TestSocket {
            ws,
            output: Default::default(),
            messages: Vec::new(),
        };
        socket.hello().await;
        socket.open_shell(term).await;
        let written = socket.output.get(&term).map_or(0, |t| t.len() as u64);
        let mut quai = QuaiTerm {
            ws: socket.ws,
            term,
            written,
            acked: 0,
        };
        quai.ack().await;
        quai
    }

    pub async fn ack(&mut self) {
        let msg = ClientMsg::Ack {
            term: self.term,
            bytes: self.written,
        };
        self.ws
            .send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
            .await
            .expect("socket open");
        self.acked = self.written;
    }
}

impl Transport for QuaiTerm {
    async fn send(&mut self, keys: &str) {
        let frame = Frame::new(FrameKind::Input, self.term, keys.as_bytes().to_vec()).encode();
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .expect("socket open");
    }

    async fn recv(&mut self) -> Vec<u8> {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("Quai's terminal printed something within a minute")
                .expect("socket open")
                .expect("socket reads");
            match msg {
                Message::Binary(bytes) => {
                    let frame = Frame::decode(&bytes).expect("server frames decode");
                    if frame.kind != FrameKind::Output || frame.term != self.term {
                        continue;
                    }
                    self.written += frame.data.len() as u64;
                    if self.written - self.acked >= 64 * 1024 {
                        self.ack().await;
                    }
                    return frame.data;
                }
                Message::Text(text) => {
                    if let Ok(ServerMsg::TerminalOpened { term, .. }) = serde_json::from_str(&text)
                    {
                        if term == self.term {
                            self.written = 0;
                            self.acked = 0;
                        }
                    }
                }
                Message::Close(_) => panic!("Quai closed the socket"),
                _ => {}
            }
        }
    }
}

/// A bollard exec with a TTY, nothing in between.
pub struct RawTerm {
    input: Pin<Box<dyn AsyncWrite + Send>>,
    output: Pin<
        Box<
            dyn Stream<Item = Result<bollard::container::LogOutput, bollard::errors::Error>> + Send,
        >,
    >,
}

impl RawTerm {
    /// `bash -l` as the image's user, as Quai's terminals of a shell node run.
    pub async fn open(container: &str) -> RawTerm {
        let docker = bollard::Docker::connect_with_defaults().expect("docker");
        Self::open_on(&docker, container).await
    }

    /// The same, on the engine `docker`.
    pub async fn open_on(docker: &bollard::Docker, container: &str) -> RawTerm {
        let exec = docker
            .create_exec(
                container,
                CreateExecOptions {
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(true),
                    env: Some(vec!["TERM=xterm-256color", "LANG=C.UTF-8"]),
                    cmd: Some(vec!["bash", "-l"]),
                    ..Default::default()
                },
            )
            .await
            .expect("exec");
        let StartExecResults::Attached { output, input } = docker
            .start_exec(
                &exec.id,
                Some(StartExecOptions {
                    tty: true,
                    ..Default::default()
                }),
            )
            .await
            .expect("start")
        else {
            panic!("detached");
        };
        let mut raw = RawTerm { input, output };
        drain(&mut raw).await;
        raw
    }
}

impl Transport for RawTerm {
    async fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).await.expect("write");
        self.input.flush().await.expect("flush");
    }

    async fn recv(&mut self) -> Vec<u8> {
        tokio::time::timeout(PATIENCE, self.output.next())
            .await
            .expect("the exec printed something within a minute")
            .expect("exec open")
            .expect("exec reads")
            .into_bytes()
            .to_vec()
    }
}

/// Sorted milliseconds.
pub struct Sample(pub Vec<f64>);

impl Sample {
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        Sample(values)
    }
    pub fn pct(&self, p: f64) -> f64 {
        self.0[((self.0.len() as f64 - 1.0) * p).round() as usize]
    }
}

/// [`KEYS`] keys, one at a time, into `cat`: from sending a letter to the first output after it.
pub async fn echo(t: &mut impl Transport) -> Sample {
    echo_keys(t, KEYS).await
}

/// `keys` keys into `cat` on `a` and on `b` in turn, one key each at a time, so that both
/// are timed under the same conditions (a fault that changes over its course included).
pub async fn echo_side_by_side(
    a: &mut impl Transport,
    b: &mut impl Transport,
    keys: usize,
) -> (Sample, Sample) {
    a.send("cat >/dev/null\r").await;
    drain(a).await;
    b.send("cat >/dev/null\r").await;
    drain(b).await;
    let (mut times_a, mut times_b) = (Vec::with_capacity(keys), Vec::with_capacity(keys));
    for i in 0..keys {
        let letter = ((b'a' + (i % 26) as u8) as char).to_string();
        times_a.push(echo_one(a, &letter).await);
        times_b.push(echo_one(b, &letter).await);
    }
    a.send("\x03").await;
    drain(a).await;
    b.send("\x03").await;
    drain(b).await;
    (Sample::new(times_a), Sample::new(times_b))
}

/// Milliseconds from sending `key` to the first output after it.
async fn echo_one(t: &mut impl Transport, key: &str) -> f64 {
    let sent = Instant::now();
    t.send(key).await;
    t.recv().await;
    sent.elapsed().as_secs_f64() * 1000.0
}

/// Like [`echo`], `keys` keys.
pub async fn echo_keys(t: &mut impl Transport, keys: usize) -> Sample {
    t.send("cat >/dev/null\r").await;
    drain(t).await;
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        let letter = ((b'a' + (i % 26) as u8) as char).to_string();
        times.push(echo_one(t, &letter).await);
    }
    t.send("\x03").await;
    drain(t).await;
    Sample::new(times)
}
