//! `FakeRuntime`: a container engine held in memory, so the server's API can be tried with no
//! Docker daemon. It keeps networks and nodes (containers with ids and a running flag),
//! terminals whose TTY echoes what is typed and ends on `exit`, and answers commands from a
//! table of scripted replies. A test can say the engine is down or that one operation fails,
//! and reads back every call it received, so it sees what was made and that nothing was left.
//! It is also the host's set-up (`HostSetup`): firewall and registry calls are recorded and
//! do nothing; removing leftovers empties the engine.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::StreamExt;
use quai_protocol::Profile;
use tokio::io::{AsyncReadExt, DuplexStream};

use super::{
    ByteStream, ExecBytes, ExecOutput, Feed, HostSetup, Node, NodeSpec, OutputTail, Runtime,
    RuntimeError, TermSize, TerminalIo,
};
use crate::config::Egress;

/// An operation of the engine: what a `Call` was, and what `FakeRuntime::fail` makes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Ping,
    CreateNetwork,
    CreateNode,
    RemoveNode,
    NodeRunning,
    OpenTerminal,
    ResizeTerminal,
    TerminalExitCode,
    Exec,
    ExecBytes,
    ExecStream,
    DestroySession,
    EnforceEgress,
    PrepareRegistry,
    TerminalCwd,
    NodeAddress,
    SocketTables,
    KeepRegistry,
    RemoveLeftovers,
    SessionIds,
    CatalogNames,
}

/// One call the engine received, failed ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    /// What it was about: a session id, a container id, an exec id, or nothing.
    pub on: String,
    /// The command of an exec, the name of a node being created; empty otherwise.
    pub args: Vec<String>,
}

/// A node as the fake engine holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeNode {
    pub session: String,
    pub name: String,
    pub container: String,
    pub profile: Profile,
    pub image: String,
    pub running: bool,
    pub address: Ipv4Addr,
}

/// What a scripted command does: its exit code and what it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub exit_code: Option<i64>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Reply {
    /// Exits with `code` after printing `output`.
    pub fn exit(code: i64, output: &str) -> Reply {
        Reply {
            exit_code: Some(code),
            stdout: output.as_bytes().to_vec(),
            stderr: String::new(),
        }
    }
}

impl Default for Reply {
    /// What every command not scripted does: succeed, printing nothing.
    fn default() -> Self {
        Reply::exit(0, "")
    }
}

type Failure = Arc<dyn Fn() -> RuntimeError + Send + Sync>;

/// A TTY process: its size, its exit once it ended, and where its output goes while it runs.
struct FakeTerminal {
    container: String,
    size: TermSize,
    prompt: String,
    exited: Option<Option<i64>>,
    output: Option<UnboundedSender<Bytes>>,
}

impl FakeTerminal {
    fn say(&self, bytes: &[u8]) {
        if let Some(output) = &self.output {
            let _ = output.unbounded_send(Bytes::copy_from_slice(bytes));
        }
    }

    /// Ends the process: its output stream closes.
    fn end(&mut self, code: Option<i64>) {
        if self.exited.is_none() {
            self.exited = Some(code);
        }
        self.output = None;
    }
}

#[derive(Default)]
struct State {
    down: bool,
    made: u64,
    networks: BTreeSet<String>,
    /// By container id.
    nodes: BTreeMap<String, FakeNode>,
    /// By exec id.
    terminals: HashMap<String, FakeTerminal>,
    /// Scripted replies, by a piece of the command; the latest match wins.
    replies: Vec<(String, Reply)>,
    failures: HashMap<Op, Failure>,
    catalog: Vec<String>,
    calls: Vec<Call>,
    /// Commands held until released, by a piece of the command: `true` once released.
    holds: Vec<(String, tokio::sync::watch::Sender<bool>)>,
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.made += 1;
        self.made
    }

    /// Ends the terminals of the containers `gone`, as when their container is removed.
    fn end_terminals_of(&mut self, gone: &HashSet<String>) {
        for terminal in self.terminals.values_mut() {
            if gone.contains(&terminal.container) {
                terminal.end(None);
            }
        }
    }

    fn running(&self, node: &Node) -> Result<&FakeNode, RuntimeError> {
        self.nodes
            .get(&node.container)
            .filter(|n| n.running)
            .ok_or_else(|| {
                RuntimeError::Engine(format!("container {} is not running", node.container))
            })
    }
}

/// The in-memory engine. Cheap to share: hand an `Arc<FakeRuntime>` to the server and keep
/// one to script and inspect it.
#[derive(Clone, Default)]
pub struct FakeRuntime {
    state: Arc<Mutex<State>>,
}

impl FakeRuntime {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Records a call, then says whether it may go on: not while the engine is down, nor
    /// when the test made `op` fail.
    fn enter(
        &self,
        op: Op,
        on: &str,
        args: &[&str],
    ) -> Result<MutexGuard<'_, State>, RuntimeError> {
        let mut state = self.lock();
        state.calls.push(Call {
            op,
            on: on.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        });
        if state.down {
            return Err(RuntimeError::Unavailable(
                "the container engine does not answer".to_string(),
            ));
        }
        if let Some(failure) = state.failures.get(&op) {
            return Err(failure());
        }
        Ok(state)
    }

    /// `enter` for calls that need nothing of the engine's state.
    fn admit(&self, op: Op, on: &str) -> Result<(), RuntimeError> {
        self.enter(op, on, &[]).map(drop)
    }

    /// Makes the engine answer (`true`) or behave as a dead daemon (`false`): every call then
    /// fails as `Unavailable`.
    pub fn set_up(&self, up: bool) {
        self.lock().down = !up;
    }

    /// Makes every call of `op` fail with the error `make` returns, until `heal(op)`.
    pub fn fail(&self, op: Op, make: impl Fn() -> RuntimeError + Send + Sync + 'static) {
        self.lock().failures.insert(op, Arc::new(make));
    }

    pub fn heal(&self, op: Op) {
        self.lock().failures.remove(&op);
    }

    /// Commands with an argument containing `needle` (a script's body holds it, for one) do
    /// what `reply` says from now on. Commands matching nothing succeed and print nothing.
    pub fn answer(&self, needle: &str, reply: Reply) {
        self.lock().replies.push((needle.to_string(), reply));
    }

    /// Commands with an argument containing `needle` wait, once started, until
    /// `release(needle)`: a slow preparation, a node that takes its time.
    pub fn hold(&self, needle: &str) {
        let (held, _) = tokio::sync::watch::channel(false);
        self.lock().holds.push((needle.to_string(), held));
    }

    pub fn release(&self, needle: &str) {
        for (held, gate) in &self.lock().holds {
            if held == needle {
                gate.send_replace(true);
            }
        }
    }

    /// Waits while `cmd` is held.
    async fn wait_if_held(&self, cmd: &[&str]) {
        let gates: Vec<_> = self
            .lock()
            .holds
            .iter()
            .filter(|(needle, _)| cmd.iter().any(|arg| arg.contains(needle.as_str())))
            .map(|(_, gate)| gate.subscribe())
            .collect();
        for mut gate in gates {
            let _ = gate.wait_for(|released| *released).await;
        }
    }

    /// The image catalog docker nodes can pull (`name:tag`).
    pub fn set_catalog(&self, names: &[&str]) {
        self.lock().catalog = names.iter().map(|n| n.to_string()).collect();
    }

    /// Stops a node's container, as when the engine loses it; its terminals end.
    pub fn stop_node(&self, container: &str) {
        let mut state = self.lock();
        if let Some(node) = state.nodes.get_mut(container) {
            node.running = false;
        }
        state.end_terminals_of(&HashSet::from([container.to_string()]));
    }

    /// Ends terminal `exec`'s process with exit code `code`.
    pub fn end_terminal(&self, exec: &str, code: i64) {
        if let Some(terminal) = self.lock().terminals.get_mut(exec) {
            terminal.end(Some(code));
        }
    }

    /// The TTY size of terminal `exec`, as last set.
    pub fn terminal_size(&self, exec: &str) -> Option<TermSize> {
        self.lock().terminals.get(exec).map(|t| t.size)
    }

    /// The session networks that exist, by session id.
    pub fn networks(&self) -> Vec<String> {
        self.lock().networks.iter().cloned().collect()
    }

    /// The nodes that exist, running or not.
    pub fn nodes(&self) -> Vec<FakeNode> {
        self.lock().nodes.values().cloned().collect()
    }

    /// The nodes of `session`.
    pub fn nodes_of(&self, session: &str) -> Vec<FakeNode> {
        let state = self.lock();
        state
            .nodes
            .values()
            .filter(|n| n.session == session)
            .cloned()
            .collect()
    }

    /// Whether no network and no node exists: nothing was left behind.
    pub fn is_empty(&self) -> bool {
        let state = self.lock();
        state.networks.is_empty() && state.nodes.is_empty()
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The calls of `op` received so far, in order.
    pub fn calls_of(&self, op: Op) -> Vec<Call> {
        let state = self.lock();
        state.calls.iter().filter(|c| c.op == op).cloned().collect()
    }

    /// Runs `cmd` in `node`: the reply scripted for it, or success.
    fn run(&self, op: Op, node: &Node, cmd: &[&str]) -> Result<Reply, RuntimeError> {
        let state = self.enter(op, &node.container, cmd)?;
        state.running(node)?;
        let reply = state
            .replies
            .iter()
            .rev()
            .find(|(needle, _)| cmd.iter().any(|arg| arg.contains(needle.as_str())))
            .map(|(_, reply)| reply.clone())
            .unwrap_or_default();
        Ok(reply)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().expect("fake engine lock")
}

/// The shell of terminal `exec`: echoes what it reads, a prompt after each line, and ends on
/// `exit` or when its input closes.
async fn shell(state: Arc<Mutex<State>>, exec: String, mut input: DuplexStream) {
    let mut line = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match input.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut state = lock(&state);
        let Some(terminal) = state.terminals.get_mut(&exec) else {
            return;
        };
        if terminal.exited.is_some() {
            return;
        }
        let mut echo = Vec::new();
        for &byte in &buf[..n] {
            if byte == b'\r' || byte == b'\n' {
                echo.extend_from_slice(b"\r\n");
                if line == b"exit" {
                    terminal.say(&echo);
                    terminal.end(Some(0));
                    return;
                }
                line.clear();
                echo.extend_from_slice(terminal.prompt.as_bytes());
            } else {
                line.push(byte);
                echo.push(byte);
            }
        }
        terminal.say(&echo);
    }
    if let Some(terminal) = lock(&state).terminals.get_mut(&exec) {
        terminal.end(Some(0));
    }
}

/// `/proc/net/tcp`'s header line: a node that listens on no port.
const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

#[async_trait]
impl Runtime for FakeRuntime {
    async fn ping(&self) -> Result<String, RuntimeError> {
        self.admit(Op::Ping, "")?;
        Ok("fake engine".to_string())
    }

    async fn create_network(&self, session: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Op::CreateNetwork, session, &[])?;
        if !state.networks.insert(session.to_string()) {
            return Err(RuntimeError::Engine(format!(
                "the network of session {session} already exists"
            )));
        }
        Ok(())
    }

    async fn create_node(&self, session: &str, spec: &NodeSpec) -> Result<Node, RuntimeError> {
        let mut state = self.enter(Op::CreateNode, session, &[&spec.name])?;
        if !state.networks.contains(session) {
            return Err(RuntimeError::Engine(format!(
                "the network of session {session} does not exist"
            )));
        }
        let taken = state
            .nodes
            .values()
            .any(|n| n.session == session && n.name == spec.name);
        if taken {
            return Err(RuntimeError::Engine(format!(
                "session {session} already has a container named {}",
                spec.name
            )));
        }
        let n = state.next_id();
        let container = format!("{n:064x}");
        let [_, _, high, low] = (n as u32).to_be_bytes();
        state.nodes.insert(
            container.clone(),
            FakeNode {
                session: session.to_string(),
                name: spec.name.clone(),
                container: container.clone(),
                profile: spec.profile,
                image: spec.image.clone(),
                running: true,
                address: Ipv4Addr::new(10, 213, high, low),
            },
        );
        Ok(Node {
            name: spec.name.clone(),
            container,
            user: (spec.profile == Profile::Docker).then(|| "student".to_string()),
        })
    }

    async fn remove_node(&self, node: &Node) -> Result<(), RuntimeError> {
        let mut state = self.enter(Op::RemoveNode, &node.container, &[])?;
        state.nodes.remove(&node.container);
        state.end_terminals_of(&HashSet::from([node.container.clone()]));
        Ok(())
    }

    async fn node_running(&self, node: &Node) -> Result<bool, RuntimeError> {
        let state = self.enter(Op::NodeRunning, &node.container, &[])?;
        Ok(state.nodes.get(&node.container).is_some_and(|n| n.running))
    }

    async fn open_terminal(
        &self,
        node: &Node,
        _cmd: &[String],
        size: TermSize,
        _tty: bool,
    ) -> Result<TerminalIo, RuntimeError> {
        let (exec, output, input) = {
            let mut state = self.enter(Op::OpenTerminal, &node.container, &[])?;
            let prompt = format!("{}:~$ ", state.running(node)?.name);
            let exec = format!("exec-{}", state.next_id());
            let (output, stream) = unbounded();
            let (input, shell_end) = tokio::io::duplex(64 * 1024);
            let terminal = FakeTerminal {
                container: node.container.clone(),
                size,
                prompt,
                exited: None,
                output: Some(output),
            };
            terminal.say(terminal.prompt.as_bytes());
            state.terminals.insert(exec.clone(), terminal);
            tokio::spawn(shell(self.state.clone(), exec.clone(), shell_end));
            (exec, stream, input)
        };
        Ok(TerminalIo {
            exec,
            output: Box::pin(output.map(Ok)),
            input: Box::pin(input),
        })
    }

    async fn resize_terminal(&self, exec: &str, size: TermSize) -> Result<(), RuntimeError> {
        let mut state = self.enter(Op::ResizeTerminal, exec, &[])?;
        let terminal = state
            .terminals
            .get_mut(exec)
            .ok_or_else(|| RuntimeError::Engine(format!("no such exec {exec}")))?;
        terminal.size = size;
        Ok(())
    }

    async fn terminal_exit_code(&self, exec: &str) -> Result<Option<i64>, RuntimeError> {
        let state = self.enter(Op::TerminalExitCode, exec, &[])?;
        let terminal = state
            .terminals
            .get(exec)
            .ok_or_else(|| RuntimeError::Engine(format!("no such exec {exec}")))?;
        Ok(terminal.exited.flatten())
    }

    async fn exec(
        &self,
        node: &Node,
        cmd: &[&str],
        _input: &[u8],
        _timeout: Duration,
    ) -> Result<ExecOutput, RuntimeError> {
        let reply = self.run(Op::Exec, node, cmd)?;
        self.wait_if_held(cmd).await;
        let mut output = OutputTail::default();
        output.push(&reply.stdout);
        output.push(reply.stderr.as_bytes());
        Ok(ExecOutput {
            exit_code: reply.exit_code,
            output: output.text(),
        })
    }

    async fn exec_bytes(
        &self,
        node: &Node,
        cmd: &[&str],
        input: Feed<'_>,
        limit: usize,
        _timeout: Duration,
    ) -> Result<ExecBytes, RuntimeError> {
        let reply = self.run(Op::ExecBytes, node, cmd)?;
        self.wait_if_held(cmd).await;
        // The command reads all it is fed, as `tar -x` does.
        if let Feed::Stream(mut chunks) = input {
            while chunks.recv().await.is_some() {}
        }
        if reply.stdout.len() > limit {
            return Err(RuntimeError::TooLarge(limit));
        }
        Ok(ExecBytes {
            exit_code: reply.exit_code,
            stdout: reply.stdout,
            stderr: reply.stderr,
        })
    }

    async fn exec_stream(
        &self,
        node: &Node,
        cmd: &[&str],
        limit: usize,
    ) -> Result<ByteStream, RuntimeError> {
        let reply = self.run(Op::ExecStream, node, cmd)?;
        let item = if reply.stdout.len() > limit {
            Err(RuntimeError::TooLarge(limit))
        } else {
            Ok(Bytes::from(reply.stdout))
        };
        Ok(Box::pin(futures::stream::iter([item])))
    }

    async fn destroy_session(&self, session: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Op::DestroySession, session, &[])?;
        state.networks.remove(session);
        let gone: HashSet<String> = state
            .nodes
            .values()
            .filter(|n| n.session == session)
            .map(|n| n.container.clone())
            .collect();
        state.nodes.retain(|id, _| !gone.contains(id));
        state.end_terminals_of(&gone);
        Ok(())
    }

    async fn terminal_cwd(&self, exec: &str) -> Result<Option<String>, RuntimeError> {
        self.admit(Op::TerminalCwd, exec)?;
        Ok(None)
    }

    async fn node_address(&self, node: &Node) -> Result<IpAddr, RuntimeError> {
        let state = self.enter(Op::NodeAddress, &node.container, &[])?;
        Ok(IpAddr::V4(state.running(node)?.address))
    }

    async fn socket_tables(&self, node: &Node) -> Result<String, RuntimeError> {
        let state = self.enter(Op::SocketTables, &node.container, &[])?;
        state.running(node)?;
        Ok(TCP_HEADER.repeat(2))
    }

    async fn session_ids(&self) -> Result<HashSet<String>, RuntimeError> {
        let state = self.enter(Op::SessionIds, "", &[])?;
        let mut ids: HashSet<String> = state.networks.iter().cloned().collect();
        ids.extend(state.nodes.values().map(|n| n.session.clone()));
        Ok(ids)
    }

    async fn catalog_names(&self) -> Result<Vec<String>, RuntimeError> {
        let state = self.enter(Op::CatalogNames, "", &[])?;
        Ok(state.catalog.clone())
    }
}

#[async_trait]
impl HostSetup for FakeRuntime {
    async fn enforce_egress(
        &self,
        _egress: Egress,
        _registry: Option<SocketAddrV4>,
    ) -> Result<usize, RuntimeError> {
        self.admit(Op::EnforceEgress, "")?;
        Ok(0)
    }

    async fn prepare_registry(
        &self,
        image: &str,
        _upstream: Option<&str>,
    ) -> Result<String, RuntimeError> {
        self.admit(Op::PrepareRegistry, image)?;
        Ok("127.0.0.1:5000".to_string())
    }

    async fn keep_registry(
        &self,
        image: &str,
        _upstream: Option<&str>,
    ) -> Result<bool, RuntimeError> {
        self.admit(Op::KeepRegistry, image)?;
        Ok(false)
    }

    async fn remove_leftovers(&self) -> Result<usize, RuntimeError> {
        let mut state = self.enter(Op::RemoveLeftovers, "", &[])?;
        let removed = state.networks.len() + state.nodes.len();
        let gone: HashSet<String> = state.nodes.keys().cloned().collect();
        state.networks.clear();
        state.nodes.clear();
        state.end_terminals_of(&gone);
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn spec(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            profile: Profile::Shell,
            image: "quai/base:test".to_string(),
            memory_bytes: 0,
            pids: 0,
            nano_cpus: 0,
            disk_bytes: 0,
            keeper: None,
        }
    }

    #[tokio::test]
    async fn a_terminal_echoes_what_is_typed_and_ends_on_exit() {
        let engine = FakeRuntime::new();
        engine.create_network("s1").await.unwrap();
        let node = engine.create_node("s1", &spec("node1")).await.unwrap();
        let size = TermSize { cols: 80, rows: 24 };
        let mut io = engine.open_terminal(&node, &[], size, true).await.unwrap();
        io.input.write_all(b"echo hi\rexit\r").await.unwrap();
        let mut printed = Vec::new();
        while let Some(chunk) = io.output.next().await {
            printed.extend_from_slice(&chunk.unwrap());
        }
        let printed = String::from_utf8(printed).unwrap();
        assert_eq!(printed, "node1:~$ echo hi\r\nnode1:~$ exit\r\n");
        assert_eq!(engine.terminal_exit_code(&io.exec).await.unwrap(), Some(0));
    }

    #[tokio::test]
    async fn a_session_destroyed_leaves_nothing_and_a_dead_engine_answers_nothing() {
        let engine = FakeRuntime::new();
        engine.create_network("s1").await.unwrap();
        engine.create_node("s1", &spec("node1")).await.unwrap();
        engine.create_node("s1", &spec("node2")).await.unwrap();
        assert_eq!(engine.nodes_of("s1").len(), 2);
        engine.destroy_session("s1").await.unwrap();
        assert!(engine.is_empty());
        engine.set_up(false);
        assert!(matches!(
            engine.ping().await,
            Err(RuntimeError::Unavailable(_))
        ));
        assert!(engine.create_network("s2").await.is_err());
        assert!(engine.is_empty());
    }

    #[tokio::test]
    async fn host_set_up_is_recorded_and_only_removing_leftovers_empties_the_engine() {
        let engine = FakeRuntime::new();
        engine.create_network("s1").await.unwrap();
        engine.create_node("s1", &spec("node1")).await.unwrap();
        let host: &dyn HostSetup = &engine;
        assert_eq!(host.enforce_egress(Egress::Open, None).await.unwrap(), 0);
        host.prepare_registry("registry:2", None).await.unwrap();
        assert!(!host.keep_registry("registry:2", None).await.unwrap());
        assert_eq!(engine.calls_of(Op::EnforceEgress).len(), 1);
        assert_eq!(engine.calls_of(Op::PrepareRegistry)[0].on, "registry:2");
        assert_eq!(engine.calls_of(Op::KeepRegistry).len(), 1);
        assert_eq!(engine.nodes_of("s1").len(), 1);
        assert_eq!(host.remove_leftovers().await.unwrap(), 2);
        assert!(engine.is_empty());
    }
}
