//! `DockerRuntime`: the `Runtime` and the `HostSetup` on a Docker Engine through bollard.
//! One bridge network per session, one container per node kept alive under the engine's
//! init, terminals as `docker exec` processes with a TTY. `shell` nodes are unprivileged with
//! a read-only root; `docker` nodes run Docker Engine inside, rootless by default, as `dind`
//! sets them up. On the host: the firewall rules of `firewall`, the local registry of
//! `registry`. Every object carries the labels of `super::labels`, which is how sessions and
//! leftovers are found and removed.

use std::collections::{HashMap, HashSet};

use super::Feed;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bollard::container::{
    Config, CreateContainerOptions, ListContainersOptions, LogOutput, NetworkingConfig,
    RemoveContainerOptions, StartContainerOptions, UploadToContainerOptions,
};
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{EndpointSettings, HostConfig, Ipam, IpamConfig};
use bollard::network::{
    ConnectNetworkOptions, CreateNetworkOptions, DisconnectNetworkOptions, ListNetworksOptions,
};
use bollard::volume::{ListVolumesOptions, RemoveVolumeOptions};
use bollard::Docker;
use futures::StreamExt;
use quai_protocol::Profile;

use super::{
    labels, ExecBytes, ExecOutput, HostSetup, Node, NodeSpec, Runtime, RuntimeError, TermSize,
    TerminalIo,
};
use crate::config::DindMode;

/// Capabilities a login shell needs; everything else is dropped.
const SHELL_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "AUDIT_WRITE",
];

/// Bytes read from a terminal's process at a time. The buffer is allocated when the terminal
/// opens and kept while it runs, so every open terminal pays for it, idle or not: at 64 KiB
/// it was most of the server's heap per idle session (a heap profile of 190 held sessions).
/// At 16 KiB a flood still comes through at the same pace (the transport bench, keeperless,
/// A/B on one loaded machine: 19.4 MB/s at 64 KiB, 20.7 at 16 KiB, 16.3 at 8 KiB), and the
/// socket merges the smaller reads again (`ws::coalesce`).
const TERMINAL_READ: usize = 16 * 1024;

/// Writable folders of a `shell` node, whose root file system is read-only.
const SHELL_WRITABLE: &[&str] = &["/root", "/tmp", "/var/tmp", "/home", "/run"];

/// The Docker Engine, reached through `DOCKER_HOST` or the local socket.
pub struct DockerRuntime {
    docker: Docker,
    instance: String,
    /// The DinD mode asked for.
    requested: DindMode,
    /// The DinD mode in force; `Auto` is resolved on the first `docker` node.
    dind: Mutex<DindMode>,
    /// The local registry's container, once it runs.
    registry: Mutex<Option<String>>,
    /// Whether the local registry serves the catalog alone (no upstream registry behind it):
    /// then a node's `docker` command knows an image missing from it is missing everywhere.
    registry_offline: AtomicBool,
    /// Where session networks take their subnets; Docker's default pools when `None`.
    subnets: Option<super::subnets::Subnets>,
    /// This instance's host firewall rules and the names of its session bridges.
    firewall: super::firewall::Firewall,
    /// The host's process id of each node's first process, once asked of the engine: an
    /// open page's ports are read through it every second without asking again.
    first_pids: Mutex<HashMap<String, u32>>,
}

impl DockerRuntime {
    /// Connects lazily: a dead engine shows up on first use, not here.
    pub fn connect(instance: &str) -> Result<Self, RuntimeError> {
        let docker = Docker::connect_with_defaults()
            .map_err(|e| RuntimeError::Unavailable(e.to_string()))?;
        Ok(Self::with_client(docker, instance))
    }

    /// Connects to the engine's Unix socket at `path`.
    pub fn connect_socket(path: &str, instance: &str) -> Result<Self, RuntimeError> {
        let docker = Docker::connect_with_socket(path, 120, bollard::API_DEFAULT_VERSION)
            .map_err(|e| RuntimeError::Unavailable(e.to_string()))?;
        Ok(Self::with_client(docker, instance))
    }

    fn with_client(docker: Docker, instance: &str) -> Self {
        DockerRuntime {
            docker,
            instance: instance.to_string(),
            requested: DindMode::Auto,
            dind: Mutex::new(DindMode::Auto),
            registry: Mutex::new(None),
            registry_offline: AtomicBool::new(false),
            subnets: None,
            firewall: super::firewall::Firewall::for_instance(instance),
            first_pids: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets the first processes of containers that are gone.
    fn forget_gone(&self) {
        self.first_pids
            .lock()
            .expect("first pids lock")
            .retain(|container, pid| {
                std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                    .is_ok_and(|cgroups| cgroups.contains(container.as_str()))
            });
    }

    /// The socket tables of `node` read through its first process as remembered, if that
    /// process still runs in the node's container (its cgroup names the container).
    fn remembered_tables(&self, node: &Node) -> Option<String> {
        let pid = *self
            .first_pids
            .lock()
            .expect("first pids lock")
            .get(&node.container)?;
        let tables = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .filter(|cgroups| cgroups.contains(&node.container))
            .and_then(|_| node_tables(pid));
        if tables.is_none() {
            self.first_pids
                .lock()
                .expect("first pids lock")
                .remove(&node.container);
        }
        tables
    }

    /// Changes the commands that set the host's firewall rules (`iptables-legacy` where the
    /// engine uses the legacy tables).
    pub fn with_iptables(mut self, iptables: &str, ip6tables: &str) -> Self {
        self.firewall.iptables = iptables.to_string();
        self.firewall.ip6tables = ip6tables.to_string();
        self
    }

    /// Starts `cmd` in `node` without a TTY as the node's user, in /root: its exec id, its
    /// output (stderr too when `stderr`) and its stdin (when `stdin`).
    async fn start_command(
        &self,
        node: &Node,
        cmd: &[&str],
        stdin: bool,
        stderr: bool,
    ) -> Result<(String, StartExecResults), RuntimeError> {
        let exec = self
            .docker
            .create_exec(
                &node.container,
                CreateExecOptions {
                    attach_stdin: Some(stdin),
                    attach_stdout: Some(true),
                    attach_stderr: Some(stderr),
                    cmd: Some(cmd.to_vec()),
                    user: node.user.as_deref(),
                    working_dir: Some("/root"),
                    ..Default::default()
                },
            )
            .await
            .map_err(engine_error)?;
        let started = self
            .docker
            .start_exec(&exec.id, None)
            .await
            .map_err(engine_error)?;
        Ok((exec.id, started))
    }

    /// Runs `cmd` in `node` without a TTY, feeding it `input`, handing each chunk of output to
    /// `on_output` (which may stop it with an error); returns the exit code.
    async fn run_exec(
        &self,
        node: &Node,
        cmd: &[&str],
        input: Feed<'_>,
        timeout: Duration,
        mut on_output: impl FnMut(LogOutput) -> Result<(), RuntimeError> + Send,
    ) -> Result<Option<i64>, RuntimeError> {
        let run = async {
            let feeds = !matches!(input, Feed::Bytes(data) if data.is_empty());
            let (exec, started) = self.start_command(node, cmd, feeds, true).await?;
            if let StartExecResults::Attached {
                mut output,
                input: mut stdin,
            } = started
            {
                let mut input = match input {
                    Feed::Bytes(data) => {
                        let (tx, rx) = tokio::sync::mpsc::channel(1);
                        if !data.is_empty() {
                            let _ = tx.try_send(bytes::Bytes::copy_from_slice(data));
                        }
                        rx
                    }
                    Feed::Stream(rx) => rx,
                };
                let writer = tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    while let Some(chunk) = input.recv().await {
                        stdin.write_all(&chunk).await?;
                    }
                    stdin.shutdown().await
                });
                while let Some(chunk) = output.next().await {
                    if let Err(err) = on_output(chunk.map_err(engine_error)?) {
                        writer.abort();
                        return Err(err);
                    }
                }
                if let Ok(Err(err)) = writer.await {
                    tracing::debug!(%err, "exec input was not read to its end");
                }
            }
            self.terminal_exit_code(&exec).await
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| RuntimeError::Timeout(timeout))?
    }

    /// Gives session networks /28 subnets of `range` (`None`: Docker's default pools).
    pub fn with_subnets(mut self, range: Option<&str>) -> Result<Self, RuntimeError> {
        self.subnets = range
            .map(super::subnets::Subnets::parse)
            .transpose()
            .map_err(RuntimeError::Engine)?;
        Ok(self)
    }

    /// Sets how `docker` nodes run Docker Engine.
    pub fn with_dind_mode(mut self, mode: DindMode) -> Self {
        self.requested = mode;
        *self.dind.lock().expect("dind lock") = mode;
        self
    }

    /// The DinD mode in force; `Auto` becomes sysbox when the engine has sysbox-runc, else
    /// rootless. Never a mode that gives root on the host.
    async fn dind_mode(&self) -> Result<DindMode, RuntimeError> {
        let mode = *self.dind.lock().expect("dind lock");
        if mode != DindMode::Auto {
            return Ok(mode);
        }
        let info = self.docker.info().await.map_err(engine_error)?;
        let sysbox = info
            .runtimes
            .unwrap_or_default()
            .contains_key("sysbox-runc");
        let resolved = if sysbox {
            DindMode::Sysbox
        } else {
            DindMode::Rootless
        };
        *self.dind.lock().expect("dind lock") = resolved;
        tracing::info!(mode = ?resolved, "docker nodes run Docker Engine this way");
        Ok(resolved)
    }

    /// The tun device a rootless node gets, from the engine's host when it is this one.
    fn tun_device(&self) -> Result<String, RuntimeError> {
        if !engine_is_local() {
            return Ok("/dev/net/tun".to_string());
        }
        super::dind::tun_device().map_err(RuntimeError::Engine)
    }

    fn registry(&self) -> Option<String> {
        self.registry.lock().expect("registry lock").clone()
    }

    fn base_labels(&self, session: &str) -> HashMap<String, String> {
        HashMap::from([
            (labels::MANAGED.to_string(), "true".to_string()),
            (labels::INSTANCE.to_string(), self.instance.clone()),
            (labels::SESSION.to_string(), session.to_string()),
        ])
    }

    fn filters(&self, session: Option<&str>) -> HashMap<String, Vec<String>> {
        let mut label = vec![format!("{}={}", labels::INSTANCE, self.instance)];
        if let Some(session) = session {
            label.push(format!("{}={session}", labels::SESSION));
        }
        HashMap::from([("label".to_string(), label)])
    }

    fn host_config(
        &self,
        network: &str,
        spec: &NodeSpec,
        dind: DindMode,
    ) -> Result<HostConfig, RuntimeError> {
        let mut host = HostConfig {
            init: Some(true),
            network_mode: Some(network.to_string()),
            memory: Some(spec.memory_bytes),
            memory_swap: Some(spec.memory_bytes),
            pids_limit: Some(spec.pids),
            nano_cpus: Some(spec.nano_cpus),
            log_config: Some(super::dind::bounded_logs()),
            binds: spec
                .keeper
                .as_ref()
                .filter(|_| engine_is_local())
                .map(|keeper| {
                    vec![format!(
                        "{}:{}:ro",
                        keeper.host_path.display(),
                        super::KEEPER_IN_NODE
                    )]
                }),
            ..Default::default()
        };
        match spec.profile {
            Profile::Shell => {
                host.cap_drop = Some(vec!["ALL".to_string()]);
                host.cap_add = Some(SHELL_CAPS.iter().map(|c| c.to_string()).collect());
                host.security_opt = Some(vec!["no-new-privileges".to_string()]);
                host.readonly_rootfs = Some(true);
                host.tmpfs = Some(
                    SHELL_WRITABLE
                        .iter()
                        .map(|dir| {
                            (
                                dir.to_string(),
                                format!("rw,exec,nosuid,size={}", spec.disk_bytes),
                            )
                        })
                        .collect(),
                );
            }
            Profile::Docker => {
                let tun = if super::dind::runs_unprivileged(dind) {
                    self.tun_device()?
                } else {
                    String::new()
                };
                super::dind::apply(&mut host, dind, &tun);
            }
        }
        Ok(host)
    }

    async fn try_create_node(
        &self,
        session: &str,
        spec: &NodeSpec,
        dind: DindMode,
    ) -> Result<Node, RuntimeError> {
        let network = network_name(session);
        let mut node_labels = self.base_labels(session);
        node_labels.insert(labels::NODE.to_string(), spec.name.clone());
        let name = format!("quai-{session}-{}", spec.name);
        let (cmd, volumes) = match spec.profile {
            // The shell image's own command is a login shell; a node just stays up.
            Profile::Shell => (
                Some(vec!["sleep".to_string(), "infinity".to_string()]),
                None,
            ),
            // The docker image's command starts Docker Engine, then stays up. Its data lives
            // on an anonymous volume, removed with the container.
            Profile::Docker => (
                None,
                Some(HashMap::from([(
                    "/var/lib/docker".to_string(),
                    HashMap::new(),
                )])),
            ),
        };
        let mut env = vec![
            "TERM=xterm-256color".to_string(),
            "LANG=C.UTF-8".to_string(),
        ];
        if spec.profile == Profile::Docker && self.registry().is_some() {
            env.push(format!(
                "QUAI_REGISTRY_MIRROR={}",
                super::registry::mirror_url()
            ));
            // The node's docker command then serves a tag the catalog lacks by the nearest
            // one, and refuses an image it lacks at once (images/dind's `docker`).
            if self.registry_offline.load(Ordering::Relaxed) {
                env.push("QUAI_REGISTRY_OFFLINE=1".to_string());
            }
        }
        // Nodes of a rootless mode run as the node's user, and so does every exec into them.
        let user = (spec.profile == Profile::Docker && super::dind::runs_unprivileged(dind))
            .then(|| super::dind::NODE_USER.to_string());
        if user.is_some() {
            env.extend(super::dind::rootless_env());
        }
        let config = Config {
            image: Some(spec.image.clone()),
            user: user.clone(),
            hostname: Some(spec.name.clone()),
            cmd,
            volumes,
            env: Some(env),
            working_dir: Some("/root".to_string()),
            labels: Some(node_labels),
            host_config: Some(self.host_config(&network, spec, dind)?),
            networking_config: Some(NetworkingConfig {
                endpoints_config: HashMap::from([(
                    network.clone(),
                    EndpointSettings {
                        aliases: Some(vec![spec.name.clone()]),
                        ..Default::default()
                    },
                )]),
            }),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptions {
                    name: name.as_str(),
                    platform: None,
                }),
                config,
            )
            .await
            .map_err(|e| match e {
                BollardError::DockerResponseServerError {
                    status_code: 404,
                    ref message,
                } if message.contains("image") => RuntimeError::MissingImage(spec.image.clone()),
                other => engine_error(other),
            })?;
        let node = Node {
            name: spec.name.clone(),
            container: created.id,
            user,
        };
        if let Some(keeper) = spec.keeper.as_ref().filter(|_| !engine_is_local()) {
            let copied = self
                .docker
                .upload_to_container(
                    &node.container,
                    Some(UploadToContainerOptions {
                        path: "/",
                        no_overwrite_dir_non_dir: "true",
                    }),
                    keeper.archive.clone(),
                )
                .await;
            // A node whose root is read-only cannot take it: its terminals get plain shells.
            if let Err(err) = copied {
                tracing::warn!(node = %node.container, error = %err, "quai-keeper could not be copied into a node");
            }
        }
        if let Err(err) = self
            .docker
            .start_container(&node.container, None::<StartContainerOptions<String>>)
            .await
        {
            let _ = self.remove_node(&node).await;
            return Err(engine_error(err));
        }
        Ok(node)
    }
}

/// Whether the engine runs on this host (its socket is local), so its /proc and /dev are ours.
fn engine_is_local() -> bool {
    std::env::var("DOCKER_HOST")
        .map(|h| h.starts_with("unix://"))
        .unwrap_or(true)
}

/// The TCP socket tables (IPv4, then IPv6) of the network namespace of process `pid`.
fn node_tables(pid: u32) -> Option<String> {
    let read = |table: &str| std::fs::read_to_string(format!("/proc/{pid}/net/{table}"));
    let v4 = read("tcp").ok()?;
    Some(format!("{v4}{}", read("tcp6").unwrap_or_default()))
}

/// The session's bridge network.
fn network_name(session: &str) -> String {
    format!("quai-{session}")
}

/// Sorts bollard's errors into "cannot reach the engine" and "the engine said no".
pub(super) fn engine_error(err: BollardError) -> RuntimeError {
    match err {
        BollardError::DockerResponseServerError { message, .. } => RuntimeError::Engine(message),
        BollardError::JsonDataError { .. } | BollardError::JsonSerdeError { .. } => {
            RuntimeError::Engine(err.to_string())
        }
        other => RuntimeError::Unavailable(other.to_string()),
    }
}

pub(super) fn is_not_found(err: &BollardError) -> bool {
    matches!(
        err,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[async_trait]
impl Runtime for DockerRuntime {
    async fn ping(&self) -> Result<String, RuntimeError> {
        let version = self.docker.version().await.map_err(engine_error)?;
        Ok(version.version.unwrap_or_else(|| "unknown".to_string()))
    }

    async fn create_network(&self, session: &str) -> Result<(), RuntimeError> {
        let options = |ipam: Ipam| CreateNetworkOptions {
            name: network_name(session),
            driver: "bridge".to_string(),
            labels: self.base_labels(session),
            options: HashMap::from([(
                "com.docker.network.bridge.name".to_string(),
                self.firewall.bridge(session),
            )]),
            ipam,
            ..Default::default()
        };
        match &self.subnets {
            None => {
                self.docker
                    .create_network(options(Ipam::default()))
                    .await
                    .map_err(engine_error)?;
            }
            Some(subnets) => {
                let mut tries = 0;
                loop {
                    let slice = subnets.next();
                    let ipam = Ipam {
                        config: Some(vec![IpamConfig {
                            subnet: Some(slice.subnet.clone()),
                            gateway: Some(slice.gateway),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    };
                    match self.docker.create_network(options(ipam)).await {
                        Ok(_) => break,
                        // Taken by another network: the next slice may be free.
                        Err(err)
                            if err.to_string().contains("overlap") && tries < subnets.count() =>
                        {
                            tries += 1;
                        }
                        Err(err) if err.to_string().contains("overlap") => {
                            return Err(RuntimeError::Engine(format!(
                                "every /28 of the session subnets is in use ({err})"
                            )))
                        }
                        Err(err) => return Err(engine_error(err)),
                    }
                }
            }
        }
        if let Some(registry) = self.registry() {
            let connect = ConnectNetworkOptions {
                container: registry,
                endpoint_config: EndpointSettings {
                    aliases: Some(vec![super::registry::ALIAS.to_string()]),
                    ..Default::default()
                },
            };
            self.docker
                .connect_network(&network_name(session), connect)
                .await
                .map_err(engine_error)?;
        }
        Ok(())
    }

    async fn terminal_cwd(&self, exec: &str) -> Result<Option<String>, RuntimeError> {
        let pid = self
            .docker
            .inspect_exec(exec)
            .await
            .map_err(engine_error)?
            .pid
            .filter(|pid| *pid > 0);
        // The link reads as the path inside the node's own filesystem.
        Ok(pid
            .and_then(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).ok())
            .map(|path| path.display().to_string()))
    }

    async fn node_address(&self, node: &Node) -> Result<std::net::IpAddr, RuntimeError> {
        let inspected = self
            .docker
            .inspect_container(&node.container, None)
            .await
            .map_err(engine_error)?;
        inspected
            .network_settings
            .and_then(|n| n.networks)
            .into_iter()
            .flatten()
            .filter(|(name, _)| name.starts_with("quai-"))
            .filter_map(|(_, endpoint)| endpoint.ip_address)
            .find_map(|ip| ip.parse().ok())
            .ok_or_else(|| RuntimeError::Engine(format!("node {} has no address", node.name)))
    }

    async fn socket_tables(&self, node: &Node) -> Result<String, RuntimeError> {
        // On the engine's own host, the node's tables are read through its first process,
        // without starting anything in the node; elsewhere, through `cat` in the node.
        if engine_is_local() {
            if let Some(tables) = self.remembered_tables(node) {
                return Ok(tables);
            }
            let pid = self
                .docker
                .inspect_container(&node.container, None)
                .await
                .map_err(engine_error)?
                .state
                .and_then(|s| s.pid)
                .and_then(|pid| u32::try_from(pid).ok())
                .filter(|pid| *pid > 0);
            if let Some(pid) = pid {
                if let Some(tables) = node_tables(pid) {
                    self.first_pids
                        .lock()
                        .expect("first pids lock")
                        .insert(node.container.clone(), pid);
                    return Ok(tables);
                }
            }
        }
        let out = self
            .exec(
                node,
                &["cat", "/proc/net/tcp", "/proc/net/tcp6"],
                &[],
                Duration::from_secs(5),
            )
            .await?;
        Ok(out.output)
    }

    async fn create_node(&self, session: &str, spec: &NodeSpec) -> Result<Node, RuntimeError> {
        if spec.profile == Profile::Shell {
            return self.try_create_node(session, spec, DindMode::Caps).await;
        }
        let mode = self.dind_mode().await?;
        self.try_create_node(session, spec, mode).await
    }

    async fn remove_node(&self, node: &Node) -> Result<(), RuntimeError> {
        self.first_pids
            .lock()
            .expect("first pids lock")
            .remove(&node.container);
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        match self
            .docker
            .remove_container(&node.container, Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(err) if is_not_found(&err) => Ok(()),
            Err(err) => Err(engine_error(err)),
        }
    }

    async fn node_running(&self, node: &Node) -> Result<bool, RuntimeError> {
        match self.docker.inspect_container(&node.container, None).await {
            Ok(inspected) => Ok(inspected.state.and_then(|s| s.running).unwrap_or(false)),
            Err(err) if is_not_found(&err) => Ok(false),
            Err(err) => Err(engine_error(err)),
        }
    }

    async fn open_terminal(
        &self,
        node: &Node,
        cmd: &[String],
        size: TermSize,
        tty: bool,
    ) -> Result<TerminalIo, RuntimeError> {
        let exec = self
            .docker
            .create_exec(
                &node.container,
                CreateExecOptions {
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(tty),
                    env: Some(vec!["TERM=xterm-256color", "LANG=C.UTF-8"]),
                    cmd: Some(cmd.iter().map(String::as_str).collect()),
                    user: node.user.as_deref(),
                    working_dir: Some("/root"),
                    ..Default::default()
                },
            )
            .await
            .map_err(engine_error)?;
        let started = self
            .docker
            .start_exec(
                &exec.id,
                Some(StartExecOptions {
                    detach: false,
                    tty,
                    output_capacity: Some(TERMINAL_READ),
                }),
            )
            .await
            .map_err(engine_error)?;
        let StartExecResults::Attached { output, input } = started else {
            return Err(RuntimeError::Engine(
                "the engine detached the terminal".to_string(),
            ));
        };
        // The TTY exists once the exec runs; the first resize may race its start, so retry once.
        if tty && self.resize_terminal(&exec.id, size).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.resize_terminal(&exec.id, size).await?;
        }
        let output = output.map(|item| match item {
            Ok(LogOutput::Console { message })
            | Ok(LogOutput::StdOut { message })
            | Ok(LogOutput::StdErr { message }) => Ok(message),
            Ok(LogOutput::StdIn { .. }) => Ok(bytes::Bytes::new()),
            Err(err) => Err(engine_error(err)),
        });
        Ok(TerminalIo {
            exec: exec.id,
            output: Box::pin(output),
            input,
        })
    }

    async fn resize_terminal(&self, exec: &str, size: TermSize) -> Result<(), RuntimeError> {
        self.docker
            .resize_exec(
                exec,
                ResizeExecOptions {
                    height: size.rows,
                    width: size.cols,
                },
            )
            .await
            .map_err(engine_error)
    }

    async fn terminal_exit_code(&self, exec: &str) -> Result<Option<i64>, RuntimeError> {
        let inspected = self.docker.inspect_exec(exec).await.map_err(engine_error)?;
        Ok(inspected.exit_code)
    }

    async fn exec(
        &self,
        node: &Node,
        cmd: &[&str],
        input: &[u8],
        timeout: Duration,
    ) -> Result<ExecOutput, RuntimeError> {
        let mut kept = super::OutputTail::default();
        let exit_code = self
            .run_exec(node, cmd, Feed::Bytes(input), timeout, |chunk| {
                kept.push(&chunk.into_bytes());
                Ok(())
            })
            .await?;
        Ok(ExecOutput {
            exit_code,
            output: kept.text(),
        })
    }

    async fn exec_bytes(
        &self,
        node: &Node,
        cmd: &[&str],
        input: Feed<'_>,
        limit: usize,
        timeout: Duration,
    ) -> Result<ExecBytes, RuntimeError> {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let exit_code = self
            .run_exec(node, cmd, input, timeout, |chunk| {
                match chunk {
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        stdout.extend_from_slice(&message);
                        if stdout.len() > limit {
                            return Err(RuntimeError::TooLarge(limit));
                        }
                    }
                    LogOutput::StdErr { message } if stderr.len() < 64 * 1024 => {
                        stderr.extend_from_slice(&message);
                    }
                    _ => {}
                }
                Ok(())
            })
            .await?;
        Ok(ExecBytes {
            exit_code,
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    async fn exec_stream(
        &self,
        node: &Node,
        cmd: &[&str],
        limit: usize,
    ) -> Result<super::ByteStream, RuntimeError> {
        let (_, started) = self.start_command(node, cmd, false, false).await?;
        let StartExecResults::Attached { output, .. } = started else {
            return Err(RuntimeError::Engine("the command ran detached".to_string()));
        };
        let mut sent = 0usize;
        let stream = output.filter_map(move |chunk| {
            let item = match chunk {
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    sent += message.len();
                    if sent > limit {
                        Some(Err(RuntimeError::TooLarge(limit)))
                    } else {
                        Some(Ok(message))
                    }
                }
                Ok(_) => None,
                Err(err) => Some(Err(engine_error(err))),
            };
            futures::future::ready(item)
        });
        // Nothing after an error: a stream past its limit ends there.
        let mut failed = false;
        let stream = stream.take_while(move |item| {
            let go = !failed;
            failed |= item.is_err();
            futures::future::ready(go)
        });
        Ok(Box::pin(stream))
    }

    async fn destroy_session(&self, session: &str) -> Result<(), RuntimeError> {
        let removed = remove_labelled(self, Some(session)).await.map(|_| ());
        self.forget_gone();
        removed
    }

    async fn running_containers(&self) -> Result<Option<HashSet<String>>, RuntimeError> {
        let mut filters = self.filters(None);
        filters.insert("status".to_string(), vec!["running".to_string()]);
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                filters,
                ..Default::default()
            }))
            .await
            .map_err(engine_error)?;
        Ok(Some(containers.into_iter().filter_map(|c| c.id).collect()))
    }

    async fn session_ids(&self) -> Result<HashSet<String>, RuntimeError> {
        let filters = self.filters(None);
        let session_of = |labels: Option<&HashMap<String, String>>| {
            labels.and_then(|l| l.get(labels::SESSION)).cloned()
        };
        let mut ids = HashSet::new();
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: filters.clone(),
                ..Default::default()
            }))
            .await
            .map_err(engine_error)?;
        ids.extend(
            containers
                .iter()
                .filter_map(|c| session_of(c.labels.as_ref())),
        );
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: filters.clone(),
            }))
            .await
            .map_err(engine_error)?;
        ids.extend(
            networks
                .iter()
                .filter_map(|n| session_of(n.labels.as_ref())),
        );
        let volumes = self
            .docker
            .list_volumes(Some(ListVolumesOptions { filters }))
            .await
            .map_err(engine_error)?;
        ids.extend(
            volumes
                .volumes
                .unwrap_or_default()
                .iter()
                .filter_map(|v| session_of(Some(&v.labels))),
        );
        Ok(ids)
    }

    async fn catalog_names(&self) -> Result<Vec<String>, RuntimeError> {
        let entries = crate::images::list(&self.docker)
            .await
            .map_err(|err| RuntimeError::Unavailable(err.to_string()))?;
        Ok(entries.into_iter().map(|e| e.name).collect())
    }
}

#[async_trait]
impl HostSetup for DockerRuntime {
    async fn enforce_egress(
        &self,
        egress: crate::config::Egress,
        registry: Option<std::net::SocketAddrV4>,
    ) -> Result<usize, RuntimeError> {
        if !engine_is_local() {
            return Err(RuntimeError::Engine(
                "the engine is on another host; its firewall must be set up there".to_string(),
            ));
        }
        let firewall = self.firewall.clone();
        tokio::task::spawn_blocking(move || firewall.enforce(egress, registry))
            .await
            .map_err(|e| RuntimeError::Engine(e.to_string()))?
            .map_err(RuntimeError::Engine)
    }

    async fn prepare_registry(
        &self,
        image: &str,
        upstream: Option<&str>,
    ) -> Result<String, RuntimeError> {
        let container =
            super::registry::ensure(&self.docker, &self.instance, image, upstream).await?;
        self.registry_offline
            .store(upstream.is_none(), Ordering::Relaxed);
        *self.registry.lock().expect("registry lock") = Some(container);
        Ok(super::registry::mirror_url())
    }

    async fn keep_registry(
        &self,
        image: &str,
        upstream: Option<&str>,
    ) -> Result<bool, RuntimeError> {
        let Some(name) = self.registry() else {
            return Ok(false);
        };
        let running = match self.docker.inspect_container(&name, None).await {
            Ok(container) => container.state.and_then(|s| s.running).unwrap_or(false),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => false,
            Err(err) => return Err(engine_error(err)),
        };
        if running {
            return Ok(false);
        }
        let container =
            super::registry::ensure(&self.docker, &self.instance, image, upstream).await?;
        *self.registry.lock().expect("registry lock") = Some(container.clone());
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={}", labels::INSTANCE, self.instance)],
        )]);
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions { filters }))
            .await
            .map_err(engine_error)?;
        for network in networks.into_iter().filter_map(|n| n.name) {
            let connect = ConnectNetworkOptions {
                container: container.clone(),
                endpoint_config: EndpointSettings {
                    aliases: Some(vec![super::registry::ALIAS.to_string()]),
                    ..Default::default()
                },
            };
            // A registry restarted in place is still on its networks: that error is fine.
            if let Err(err) = self.docker.connect_network(&network, connect).await {
                tracing::debug!(%network, error = %err, "registry not joined again");
            }
        }
        Ok(true)
    }

    async fn remove_leftovers(&self) -> Result<usize, RuntimeError> {
        let mut removed = remove_labelled(self, None).await?;
        if engine_is_local() {
            let firewall = self.firewall.clone();
            match tokio::task::spawn_blocking(move || firewall.remove()).await {
                Ok(Ok(rules)) => removed += rules,
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "could not remove this instance's firewall rules")
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not remove this instance's firewall rules")
                }
            }
        }
        Ok(removed)
    }
}

/// Removes containers, then networks, then volumes labelled with this instance (and session).
async fn remove_labelled(rt: &DockerRuntime, session: Option<&str>) -> Result<usize, RuntimeError> {
    let filters = rt.filters(session);
    let mut removed = 0;
    let containers = rt
        .docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: filters.clone(),
            ..Default::default()
        }))
        .await
        .map_err(engine_error)?;
    let removals = containers
        .iter()
        .filter_map(|c| c.id.as_deref())
        .map(|id| async move {
            rt.docker
                .remove_container(
                    id,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await
        });
    for result in futures::future::join_all(removals).await {
        match result {
            Ok(()) => removed += 1,
            Err(err) if is_not_found(&err) => {}
            Err(err) => return Err(engine_error(err)),
        }
    }
    let networks = rt
        .docker
        .list_networks(Some(ListNetworksOptions {
            filters: filters.clone(),
        }))
        .await
        .map_err(engine_error)?;
    for network in networks.iter().filter_map(|n| n.id.as_deref()) {
        // The registry joins every session network, and leaves before the network goes;
        // whatever else is still attached (a registry started again by another runtime of
        // this instance) leaves too, or the network would outlive its session.
        let attached = rt
            .docker
            .inspect_network::<String>(network, None)
            .await
            .ok()
            .and_then(|n| n.containers)
            .map(|c| c.into_keys().collect::<Vec<_>>())
            .unwrap_or_default();
        for container in attached.into_iter().chain(rt.registry()) {
            let leave = DisconnectNetworkOptions {
                container,
                force: true,
            };
            let _ = rt.docker.disconnect_network(network, leave).await;
        }
        match rt.docker.remove_network(network).await {
            Ok(()) => removed += 1,
            Err(err) if is_not_found(&err) => {}
            Err(err) => return Err(engine_error(err)),
        }
    }
    let volumes = rt
        .docker
        .list_volumes(Some(ListVolumesOptions { filters }))
        .await
        .map_err(engine_error)?;
    for volume in volumes.volumes.unwrap_or_default() {
        match rt
            .docker
            .remove_volume(&volume.name, Some(RemoveVolumeOptions { force: true }))
            .await
        {
            Ok(()) => removed += 1,
            Err(err) if is_not_found(&err) => {}
            Err(err) => return Err(engine_error(err)),
        }
    }
    Ok(removed)
}
