//! Test harness for the server against the real Docker Engine: a `TestServer` on a loopback
//! port with its own instance label (so parallel tests never touch each other's
//! containers), an HTTP helper, a typed socket client that reads terminal output, and an
//! engine that stalls one kind of node operation (`Stalled`, its host set up by the real
//! engine), for what happens while the engine is slow.

#![allow(dead_code)]

pub mod own_docker;
pub mod served;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::container::ListContainersOptions;
use bollard::network::ListNetworksOptions;
use futures::{SinkExt, StreamExt};
use quai::runtime::{
    DockerRuntime, Engine, ExecBytes, ExecOutput, HostSetup, Node, NodeSpec, Runtime, RuntimeError,
    TermSize, TerminalIo,
};
use quai::{Config, Server};
use quai_protocol::{
    ClientMsg, CreateSession, Frame, FrameKind, Profile, ServerMsg, SessionCreated,
    PROTOCOL_VERSION,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for anything a test expects to see.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The tests' HTTP client. It never reuses a connection idle for longer than the server keeps
/// one waiting for its next request (the server's header read timeout, 10 s): a request sent
/// on a connection the server is closing at that moment fails with an incomplete message,
/// where a browser would send it again.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client")
}

pub fn unique_instance(name: &str) -> String {
    format!(
        "test-{name}-{}",
        &quai::session::token::new_session_id()[..8]
    )
}

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub instance: String,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, |_| {}).await
    }

    pub async fn start_with(name: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_tests(&unique_instance(name));
        tweak(&mut config);
        let runtime = Arc::new(
            DockerRuntime::connect(&config.instance)
                .expect("docker client")
                .with_iptables(&config.iptables, &config.ip6tables)
                .with_subnets(config.subnet_range())
                .expect("session subnets"),
        );
        Self::start_on(config, Engine::of(runtime)).await
    }

    /// A server whose docker nodes run in `mode`, accepting modes that give root on the host.
    pub async fn start_in_mode(name: &str, mode: quai::config::DindMode) -> Self {
        let mut config = Config::for_tests(&unique_instance(name));
        config.dind_mode = mode;
        config.allow_host_root = mode.gives_host_root();
        let runtime = Arc::new(
            DockerRuntime::connect(&config.instance)
                .expect("docker client")
                .with_subnets(config.subnet_range())
                .expect("session subnets")
                .with_dind_mode(mode),
        );
        Self::start_on(config, Engine::of(runtime)).await
    }

    pub async fn start_on(config: Config, engine: Engine) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "quai=warn".into()))
            .try_init();
        let instance = config.instance.clone();
        let server = Server::start(config, engine).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        TestServer {
            server: Some(server),
            base,
            instance,
            http: http_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A session of one `shell` node.
    pub async fn create_session(&self) -> SessionCreated {
        self.create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Shell),
        })
        .await
    }

    pub async fn create(&self, request: &CreateSession) -> SessionCreated {
        let response = self
            .http
            .post(self.url("/api/sessions"))
            .json(request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        response.json().await.unwrap()
    }

    pub async fn socket(&self, session: &SessionCreated) -> TestSocket {
        self.socket_with(&session.session.id, &session.token, None)
            .await
            .expect("socket opens")
    }

    /// Opens the socket of session `id` presenting `token` as the browser's cookie.
    pub async fn socket_with(
        &self,
        id: &str,
        token: &str,
        origin: Option<&str>,
    ) -> Result<TestSocket, u16> {
        let url = format!(
            "{}/api/sessions/{id}/ws",
            self.base.replacen("http://", "ws://", 1)
        );
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("cookie", format!("quai_{id}={token}").parse().unwrap());
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => Ok(TestSocket {
                ws,
                output: HashMap::new(),
                messages: Vec::new(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("socket failed: {other}"),
        }
    }

    /// Stops the server the way Ctrl-C does, then removes its local registry (which outlives
    /// a server by design) and registry volume, if it had them.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        remove_registry(&self.instance).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The progress database of this instance (Config::for_tests puts it in the temp dir).
        let database = std::env::temp_dir().join(format!("quai-test-{}.db", self.instance));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
        }
        // A failed test still removes what it made: leftovers of this instance go now.
        if self.server.is_some() {
            let instance = self.instance.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    if let Ok(runtime) = DockerRuntime::connect(&instance) {
                        let _ = runtime.remove_leftovers().await;
                    }
                    // And its local registry, which outlives a server by design.
                    remove_registry(&instance).await;
                });
            })
            .join()
            .ok();
        }
    }
}

/// Containers of the engine carrying `label=value`.
pub async fn containers_labelled(label: &str, value: &str) -> Vec<String> {
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let filters = HashMap::from([("label".to_string(), vec![format!("{label}={value}")])]);
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

pub async fn networks_labelled(label: &str, value: &str) -> Vec<String> {
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let filters = HashMap::from([("label".to_string(), vec![format!("{label}={value}")])]);
    docker
        .list_networks(Some(ListNetworksOptions { filters }))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|n| n.id)
        .collect()
}

/// A socket client that keeps each terminal's output as text.
pub struct TestSocket {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub output: HashMap<u16, String>,
    pub messages: Vec<ServerMsg>,
}

impl TestSocket {
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.ws
            .send(Message::Text(serde_json::to_string(msg).unwrap().into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.unwrap();
    }

    pub async fn type_in(&mut self, term: u16, keys: &str) {
        let frame = Frame::new(FrameKind::Input, term, keys.as_bytes().to_vec()).encode();
        self.ws.send(Message::Binary(frame.into())).await.unwrap();
    }

    pub async fn hello(&mut self) -> ServerMsg {
        self.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
        })
        .await;
        self.next_message(|m| matches!(m, ServerMsg::Hello { .. }))
            .await
    }

    /// Asks for terminal `term` on node1 at `cols`×`rows`, without waiting for it.
    pub async fn ask_terminal(&mut self, term: u16, cols: u16, rows: u16) {
        self.send(&ClientMsg::OpenTerminal {
            term,
            node: "node1".into(),
            cols,
            rows,
        })
        .await;
    }

    /// Sends a resize of terminal `term` to `cols`×`rows`.
    pub async fn resize(&mut self, term: u16, cols: u16, rows: u16) {
        self.send(&ClientMsg::Resize { term, cols, rows }).await;
    }

    /// Opens terminal `term` on node1 and waits for a shell prompt.
    pub async fn open_shell(&mut self, term: u16) {
        self.ask_terminal(term, 80, 24).await;
        self.wait_for_prompt(term).await;
    }

    /// Waits until terminal `term` shows a shell prompt: root's `# ` or a user's `$ `.
    pub async fn wait_for_prompt(&mut self, term: u16) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(text) = self.output.get(&term) {
                if text.contains("# ") || text.contains("$ ") {
                    return text.clone();
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "terminal {term} never showed a prompt; it printed {:?}",
                self.output.get(&term)
            );
            if self.read_one().await.is_none() {
                panic!(
                    "the socket closed before terminal {term} showed a prompt; it printed {:?}",
                    self.output.get(&term)
                );
            }
        }
    }

    /// Reads the socket until one frame or message arrives; None when it closed.
    pub async fn read_one(&mut self) -> Option<()> {
        let Ok(msg) = tokio::time::timeout(PATIENCE, self.ws.next()).await else {
            panic!(
                "the server said nothing for 30 s; the terminals printed {:?}",
                self.output
            );
        };
        let msg = msg?;
        match msg.ok()? {
            Message::Text(text) => {
                let parsed: ServerMsg =
                    serde_json::from_str(text.as_str()).expect("server messages parse");
                if let ServerMsg::TerminalOpened { term, .. } = &parsed {
                    self.output.insert(*term, String::new());
                }
                self.messages.push(parsed);
            }
            Message::Binary(bytes) => {
                let frame = Frame::decode(&bytes).expect("server frames decode");
                assert_eq!(frame.kind, FrameKind::Output);
                self.output
                    .entry(frame.term)
                    .or_default()
                    .push_str(&String::from_utf8_lossy(&frame.data));
            }
            Message::Close(_) => return None,
            _ => {}
        }
        Some(())
    }

    /// Waits until terminal `term` has printed `needle`; returns everything it printed.
    pub async fn wait_for_output(&mut self, term: u16, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(text) = self.output.get(&term) {
                if text.contains(needle) {
                    return text.clone();
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "terminal {term} never printed {needle:?}; it printed {:?}",
                self.output.get(&term)
            );
            if self.read_one().await.is_none() {
                panic!(
                    "the socket closed before terminal {term} printed {needle:?}; it printed {:?}",
                    self.output.get(&term)
                );
            }
        }
    }

    /// Waits for a control message matching `want`, and returns it.
    pub async fn next_message(&mut self, want: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            if let Some(pos) = self.messages.iter().position(&want) {
                return self.messages.remove(pos);
            }
            if self.read_one().await.is_none() {
                panic!("the socket closed; messages so far: {:?}", self.messages);
            }
        }
    }

    /// Reads until the server closes the socket.
    pub async fn until_closed(&mut self) {
        while self.read_one().await.is_some() {}
    }
}

static MARKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl TestSocket {
    /// Runs `command` in terminal `term` and returns what it printed: the output between the
    /// typed line and an end marker that only the shell's arithmetic can produce.
    pub async fn run(&mut self, term: u16, command: &str) -> String {
        let n = MARKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) * 1000;
        let before = self.output.get(&term).map_or(0, String::len);
        self.type_in(term, &format!("{command}; echo \"@@end-$(({n}+1))@@\"\r"))
            .await;
        let needle = format!("@@end-{}@@", n + 1);
        let text = self.wait_for_output(term, &needle).await;
        let tail = &text[before.min(text.len())..];
        let end = tail.find(&needle).unwrap_or(tail.len());
        plain(&tail[..end])
    }
}

/// Terminal output as a person reads it: escape sequences (colours, cursor moves, the
/// terminal keeper's redraws) and carriage returns left out.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters, then one final byte from @ to ~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ST.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                // Character set designations take one more character.
                Some('(' | ')' | '*' | '+') => {
                    chars.next();
                }
                _ => {}
            },
            '\r' | '\x0f' | '\x0e' => {}
            c => out.push(c),
        }
    }
    out
}

impl TestServer {
    /// `method` on `/api/sessions/{id}{path}` as the session's owner, with its cookie.
    pub async fn as_owner(
        &self,
        method: reqwest::Method,
        session: &SessionCreated,
        path: &str,
    ) -> reqwest::Response {
        let id = &session.session.id;
        self.http
            .request(method, self.url(&format!("/api/sessions/{id}{path}")))
            .header("cookie", format!("quai_{id}={}", session.token))
            .send()
            .await
            .unwrap()
    }
}

impl TestServer {
    /// `GET /p/{session}/{node}/{port}{path}` on the preview listener, as the session's
    /// owner (with its cookie), as a browser opening a port chip does.
    pub async fn preview_get(
        &self,
        session: &SessionCreated,
        node: &str,
        port: u16,
        path: &str,
    ) -> reqwest::Response {
        let id = &session.session.id;
        self.http
            .get(format!(
                "http://{}/p/{id}/{node}/{port}{path}",
                self.server.as_ref().unwrap().preview_addr
            ))
            .header("cookie", format!("quai_{id}={}", session.token))
            .send()
            .await
            .unwrap()
    }

    /// The session's socket, greeted, with a shell open in terminal 1 on node1.
    pub async fn shell(&self, session: &SessionCreated) -> TestSocket {
        let mut socket = self.socket(session).await;
        socket.hello().await;
        socket.open_shell(1).await;
        socket
    }
}

impl TestSocket {
    /// Waits for the next `Error` message; returns its code and sentence.
    pub async fn next_error(&mut self) -> (quai_protocol::ErrorCode, String) {
        let (code, message, _) = self.next_error_naming().await;
        (code, message)
    }

    /// Waits for the next `Error` message; returns its code, its sentence and the terminal
    /// it names.
    pub async fn next_error_naming(&mut self) -> (quai_protocol::ErrorCode, String, Option<u16>) {
        match self
            .next_message(|m| matches!(m, ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Error {
                code,
                message,
                term,
            } => (code, message, term),
            _ => unreachable!("next_message returned what it was asked for"),
        }
    }
}

/// The registry outlives its server (it is reused at the next start); a test removes it.
pub async fn remove_registry(instance: &str) {
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("quai.registry={instance}")],
    )]);
    let options = bollard::container::ListContainersOptions {
        all: true,
        filters,
        ..Default::default()
    };
    for container in docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
    {
        let options = bollard::container::RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        if let Some(id) = container.id {
            let _ = docker.remove_container(&id, Some(options)).await;
        }
    }
    let _ = docker
        .remove_volume(&format!("quai-registry-{instance}"), None)
        .await;
}

/// Runs `script` with bash in `node` of a session (as its student would type it), feeding
/// `input` on stdin; returns the exit code and output.
pub async fn exec_in_node(
    server: &TestServer,
    created: &SessionCreated,
    node: &str,
    script: &str,
    input: &[u8],
) -> (Option<i64>, String) {
    let state = &server.server.as_ref().unwrap().state;
    let session = state
        .sessions
        .get(&created.session.id, &created.token)
        .unwrap();
    let node = session.node(node).expect("the node exists");
    let out = state
        .sessions
        .runtime()
        .exec(
            &node,
            &["bash", "-c", script],
            input,
            Duration::from_secs(180),
        )
        .await
        .unwrap();
    (out.exit_code, out.output)
}

/// Which engine call a `Stalled` engine holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// A creation stalled halfway, its network made and its node not yet.
    CreateNode,
    /// A terminal's exec being made.
    OpenTerminal,
}

/// The real engine, except that its `stall` calls, after the first `pass` of them, say so on
/// `entered` and wait for a permit of `gate`. The host is set up by the real engine.
pub struct Stalled {
    pub inner: Arc<DockerRuntime>,
    pub stall: Stall,
    pass: std::sync::atomic::AtomicUsize,
    pub entered: Arc<Notify>,
    pub gate: Arc<Semaphore>,
}

impl Stalled {
    pub fn new(inner: DockerRuntime, stall: Stall, pass: usize) -> Self {
        Stalled {
            inner: Arc::new(inner),
            stall,
            pass: std::sync::atomic::AtomicUsize::new(pass),
            entered: Arc::new(Notify::new()),
            gate: Arc::new(Semaphore::new(0)),
        }
    }

    /// A server's engine: node operations through this wrapper, the host's set-up by the
    /// real engine.
    pub fn engine(self: &Arc<Self>) -> Engine {
        Engine {
            runtime: self.clone(),
            host: self.inner.clone(),
        }
    }

    async fn hold(&self, at: Stall) {
        use std::sync::atomic::Ordering;
        if at != self.stall {
            return;
        }
        let passing = self
            .pass
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if passing {
            return;
        }
        self.entered.notify_one();
        let _pass = self.gate.acquire().await.expect("gate open");
    }
}

#[async_trait]
impl Runtime for Stalled {
    async fn ping(&self) -> Result<String, RuntimeError> {
        self.inner.ping().await
    }
    async fn create_network(&self, session: &str) -> Result<(), RuntimeError> {
        self.inner.create_network(session).await
    }
    async fn create_node(&self, session: &str, spec: &NodeSpec) -> Result<Node, RuntimeError> {
        self.hold(Stall::CreateNode).await;
        self.inner.create_node(session, spec).await
    }
    async fn remove_node(&self, node: &Node) -> Result<(), RuntimeError> {
        self.inner.remove_node(node).await
    }
    async fn node_running(&self, node: &Node) -> Result<bool, RuntimeError> {
        self.inner.node_running(node).await
    }
    async fn open_terminal(
        &self,
        node: &Node,
        cmd: &[String],
        size: TermSize,
        tty: bool,
    ) -> Result<TerminalIo, RuntimeError> {
        self.hold(Stall::OpenTerminal).await;
        self.inner.open_terminal(node, cmd, size, tty).await
    }
    async fn resize_terminal(&self, exec: &str, size: TermSize) -> Result<(), RuntimeError> {
        self.inner.resize_terminal(exec, size).await
    }
    async fn terminal_exit_code(&self, exec: &str) -> Result<Option<i64>, RuntimeError> {
        self.inner.terminal_exit_code(exec).await
    }
    async fn exec(
        &self,
        node: &Node,
        cmd: &[&str],
        input: &[u8],
        timeout: Duration,
    ) -> Result<ExecOutput, RuntimeError> {
        self.inner.exec(node, cmd, input, timeout).await
    }
    async fn exec_bytes(
        &self,
        node: &Node,
        cmd: &[&str],
        input: quai::runtime::Feed<'_>,
        limit: usize,
        timeout: Duration,
    ) -> Result<ExecBytes, RuntimeError> {
        self.inner
            .exec_bytes(node, cmd, input, limit, timeout)
            .await
    }
    async fn exec_stream(
        &self,
        node: &Node,
        cmd: &[&str],
        limit: usize,
    ) -> Result<quai::runtime::ByteStream, RuntimeError> {
        self.inner.exec_stream(node, cmd, limit).await
    }
    async fn destroy_session(&self, session: &str) -> Result<(), RuntimeError> {
        self.inner.destroy_session(session).await
    }
    async fn terminal_cwd(&self, exec: &str) -> Result<Option<String>, RuntimeError> {
        self.inner.terminal_cwd(exec).await
    }
    async fn node_address(&self, node: &Node) -> Result<std::net::IpAddr, RuntimeError> {
        self.inner.node_address(node).await
    }
    async fn socket_tables(&self, node: &Node) -> Result<String, RuntimeError> {
        self.inner.socket_tables(node).await
    }
    async fn session_ids(&self) -> Result<HashSet<String>, RuntimeError> {
        self.inner.session_ids().await
    }
    async fn catalog_names(&self) -> Result<Vec<String>, RuntimeError> {
        self.inner.catalog_names().await
    }
}
