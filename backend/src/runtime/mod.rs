//! The container engine behind Quai: `trait Runtime`, the node operations sessions use
//! (object-safe, used as `Arc<dyn Runtime>`), `host::HostSetup`, what the server sets up on
//! the engine's host, and `Engine`, the two handed to a server together. `docker` implements
//! both on Docker Engine, `fake` holds an engine in memory for tests. The rest of the server
//! never builds an engine request itself.

pub mod dind;
mod docker;
pub mod fake;
pub mod firewall;
pub mod host;
pub mod registry;
pub mod subnets;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use quai_protocol::Profile;
use tokio::io::AsyncWrite;

pub use docker::DockerRuntime;
pub use host::HostSetup;

/// Label keys every object Quai creates carries.
pub mod labels {
    /// Present on everything Quai manages.
    pub const MANAGED: &str = "quai.managed";
    /// The server instance that owns the object.
    pub const INSTANCE: &str = "quai.instance";
    /// The session the object belongs to.
    pub const SESSION: &str = "quai.session";
    /// The node name (`node1`, …) of a container.
    pub const NODE: &str = "quai.node";
}

/// What a node should be.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// `node1`, `node2`, …: container hostname and network alias.
    pub name: String,
    pub profile: Profile,
    pub image: String,
    pub memory_bytes: i64,
    pub pids: i64,
    pub nano_cpus: i64,
    /// Size of each writable folder of a `shell` node.
    pub disk_bytes: i64,
    /// The terminal keeper's program, put at `KEEPER_IN_NODE`.
    pub keeper: Option<KeeperProgram>,
}

/// Where `quai-keeper` is in every node (see `session::keeper`).
pub const KEEPER_IN_NODE: &str = "/usr/local/lib/quai/quai-keeper";

/// `quai-keeper` for the nodes: an engine on this host mounts the server's own file
/// read-only at `KEEPER_IN_NODE` (nothing copied, and a node's read-only root takes it);
/// another engine unpacks `archive` into the node before it starts.
#[derive(Clone)]
pub struct KeeperProgram {
    pub host_path: std::path::PathBuf,
    /// A tar archive holding the program at `KEEPER_IN_NODE`.
    pub archive: bytes::Bytes,
}

impl std::fmt::Debug for KeeperProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeeperProgram({})", self.host_path.display())
    }
}

/// A node the runtime created.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    /// The engine's id of its container.
    pub container: String,
    /// The user every process Quai starts in the node runs as (`None`: the image's own).
    /// Rootless docker nodes name their unprivileged user here.
    pub user: Option<String>,
}

/// A terminal size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSize {
    pub cols: u16,
    pub rows: u16,
}

/// Output of a terminal's process: raw console bytes, until it exits.
pub type OutputStream = Pin<Box<dyn Stream<Item = Result<Bytes, RuntimeError>> + Send>>;
/// What a command reads on its stdin: bytes at hand, or chunks as they are made (a
/// channel, so a large archive crosses into a node without being held whole).
#[derive(Debug)]
pub enum Feed<'a> {
    Bytes(&'a [u8]),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

/// A command's stdout as it comes.
pub type ByteStream = OutputStream;
/// Keystrokes into a terminal's process.
pub type InputSink = Pin<Box<dyn AsyncWrite + Send>>;

/// A process with a TTY running in a node.
pub struct TerminalIo {
    /// The engine's id of the exec, used to resize it and read its exit code.
    pub exec: String,
    pub output: OutputStream,
    pub input: InputSink,
}

/// Most output of a command `Runtime::exec` keeps: its last bytes (a check's verdict and hint
/// come last), so a command flooding its output costs the server no more than this.
pub const EXEC_OUTPUT_LIMIT: usize = 256 * 1024;

/// The end of a command's output, at most `EXEC_OUTPUT_LIMIT` bytes of it.
#[derive(Debug, Default)]
pub struct OutputTail {
    bytes: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl OutputTail {
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
        let over = self.bytes.len().saturating_sub(EXEC_OUTPUT_LIMIT);
        if over > 0 {
            self.bytes.drain(..over);
            self.dropped += over as u64;
        }
    }

    /// The kept output as text, saying how much came before it when some was dropped.
    pub fn text(self) -> String {
        let (dropped, bytes) = (self.dropped, Vec::from(self.bytes));
        let text = String::from_utf8_lossy(&bytes);
        if dropped == 0 {
            text.into_owned()
        } else {
            format!("[{dropped} bytes of output left out]\n{text}")
        }
    }
}

/// What a command run to completion printed.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: Option<i64>,
    /// stdout and stderr interleaved, lossily decoded.
    pub output: String,
}

/// What `exec_bytes` collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecBytes {
    pub exit_code: Option<i64>,
    pub stdout: Vec<u8>,
    /// Lossily decoded.
    pub stderr: String,
}

/// Why the engine could not do something.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("the container engine cannot be reached: {0}")]
    Unavailable(String),
    #[error("the image {0} is not on this server; build it with `cargo xtask images`")]
    MissingImage(String),
    #[error("the container engine refused: {0}")]
    Engine(String),
    #[error("the command did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the output is larger than {0} bytes")]
    TooLarge(usize),
}

/// The container engine, as sessions see it: networks, nodes and what runs in them.
#[async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// Checks the engine answers; returns its version.
    async fn ping(&self) -> Result<String, RuntimeError>;

    /// Creates the session's private network.
    async fn create_network(&self, session: &str) -> Result<(), RuntimeError>;

    /// Creates and starts a node on the session's network. On failure nothing is left of it.
    async fn create_node(&self, session: &str, spec: &NodeSpec) -> Result<Node, RuntimeError>;

    /// Removes a node and its volumes.
    async fn remove_node(&self, node: &Node) -> Result<(), RuntimeError>;

    /// Whether the node's container still runs (false once the engine lost it).
    async fn node_running(&self, node: &Node) -> Result<bool, RuntimeError>;

    /// Runs `cmd` (a terminal keeper's attach, or a login shell) in `node`: with a TTY of
    /// `size` when `tty`, else with plain stdin and stdout (a keeper holding its own
    /// pseudo-terminal, told the size in band).
    async fn open_terminal(
        &self,
        node: &Node,
        cmd: &[String],
        size: TermSize,
        tty: bool,
    ) -> Result<TerminalIo, RuntimeError>;

    /// Changes the TTY size of a terminal's process.
    async fn resize_terminal(&self, exec: &str, size: TermSize) -> Result<(), RuntimeError>;

    /// Exit code of a terminal's process, once it has ended.
    async fn terminal_exit_code(&self, exec: &str) -> Result<Option<i64>, RuntimeError>;

    /// Runs `cmd` in `node` without a TTY, feeding it `input` (if any) on stdin, and collects
    /// its output.
    async fn exec(
        &self,
        node: &Node,
        cmd: &[&str],
        input: &[u8],
        timeout: Duration,
    ) -> Result<ExecOutput, RuntimeError>;

    /// Runs `cmd` in `node` like `exec`, fed with `input` (bytes at hand, or chunks as they
    /// come), keeping stdout as bytes (files, archives) apart from stderr; fails with
    /// `TooLarge` when stdout grows past `limit` bytes.
    async fn exec_bytes(
        &self,
        node: &Node,
        cmd: &[&str],
        input: Feed<'_>,
        limit: usize,
        timeout: Duration,
    ) -> Result<ExecBytes, RuntimeError>;

    /// Runs `cmd` in `node` and hands its stdout over as it comes (stderr is left out), so
    /// a large file crosses the server without being held in it; past `limit` bytes the
    /// stream ends with `TooLarge`.
    async fn exec_stream(
        &self,
        node: &Node,
        cmd: &[&str],
        limit: usize,
    ) -> Result<ByteStream, RuntimeError>;

    /// Removes every container, network and volume of `session`.
    async fn destroy_session(&self, session: &str) -> Result<(), RuntimeError>;

    /// The folder the shell of terminal `exec` is in, when the engine's host can tell.
    async fn terminal_cwd(&self, exec: &str) -> Result<Option<String>, RuntimeError>;

    /// The node's address on its session network, where the port preview reaches it.
    async fn node_address(&self, node: &Node) -> Result<std::net::IpAddr, RuntimeError>;

    /// The kernel's TCP socket tables of the node (`/proc/net/tcp` then `tcp6`), as text.
    async fn socket_tables(&self, node: &Node) -> Result<String, RuntimeError>;

    /// The sessions of this server instance that own a container, network or volume on the
    /// engine, by id.
    async fn session_ids(&self) -> Result<std::collections::HashSet<String>, RuntimeError>;

    /// The containers of this server instance that run now, by id, in one call to the
    /// engine; `None` when the runtime cannot tell them at once (each node is then asked on
    /// its own, only after the engine was away).
    async fn running_containers(
        &self,
    ) -> Result<Option<std::collections::HashSet<String>>, RuntimeError> {
        Ok(None)
    }

    /// Names (`name:tag`) of the image catalog that docker nodes can pull.
    async fn catalog_names(&self) -> Result<Vec<String>, RuntimeError>;
}

/// What a server drives: the engine's node operations, for sessions, and its host's set-up,
/// for the server itself.
#[derive(Clone)]
pub struct Engine {
    pub runtime: Arc<dyn Runtime>,
    pub host: Arc<dyn HostSetup>,
}

impl Engine {
    /// Both parts from one engine that provides them (`DockerRuntime`, `FakeRuntime`).
    pub fn of<T: Runtime + HostSetup>(engine: Arc<T>) -> Self {
        Engine {
            runtime: engine.clone(),
            host: engine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_output_keeps_only_its_end() {
        let mut tail = OutputTail::default();
        for _ in 0..100 {
            tail.push(&[b'x'; 64 * 1024]);
        }
        tail.push(b"\nthe verdict");
        let text = tail.text();
        assert!(text.len() <= EXEC_OUTPUT_LIMIT + 64, "{}", text.len());
        assert!(
            text.starts_with("[6291468 bytes of output left out]"),
            "{}",
            &text[..60]
        );
        assert!(text.ends_with("the verdict"));
        let mut short = OutputTail::default();
        short.push(b"ok\n");
        assert_eq!(short.text(), "ok\n");
    }
}
