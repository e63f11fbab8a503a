//! What one session can never do, against the real engine: reach another session's nodes
//! or the host, escape its limits, or starve another session. `shell` nodes are
//! unprivileged; `docker` nodes in caps mode hold Docker Engine as root but still cannot load
//! kernel modules or mount the host's disks (rootless nodes: tests/rootless.rs).

mod common;

use std::os::unix::fs::MetadataExt;

use common::{TestServer, TestSocket};
use quai_protocol::{CreateSession, Profile, SessionCreated};

const SHELL: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Shell),
};
const DOCKER: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Docker),
};

/// Calls init_module(2) from Python: prints -1 when loading kernel modules is refused.
const LOAD_MODULE: &str =
    "python3 -c 'import ctypes; print(\"init_module\", ctypes.CDLL(None).syscall(175, 0, 0, 0))'";

async fn shell(server: &TestServer, request: &CreateSession) -> (SessionCreated, TestSocket) {
    let session = server.create(request).await;
    let socket = server.shell(&session).await;
    (session, socket)
}

#[tokio::test]
async fn shell_nodes_cannot_mount_load_modules_or_see_the_hosts_processes() {
    let server = TestServer::start("shellpriv").await;
    let (_, mut socket) = shell(&server, &SHELL).await;
    let mount = socket
        .run(1, "mount -t tmpfs none /mnt 2>&1; echo mount-rc=$?")
        .await;
    assert!(!mount.contains("mount-rc=0"), "{mount}");
    let module = socket.run(1, LOAD_MODULE).await;
    assert!(module.contains("init_module -1"), "{module}");
    let processes = socket
        // The server is `quai`; the node's own quai-keeper is no host process.
        .run(
            1,
            "ps -eo comm | grep -c -E '^(dockerd|containerd.*|quai)$'",
        )
        .await;
    assert!(
        processes.trim_end().ends_with('0'),
        "the node sees host processes: {processes}"
    );
    server.stop().await;
}

#[tokio::test]
async fn shell_nodes_cannot_exceed_their_pids_or_memory_limits() {
    let server = TestServer::start_with("limits", |c| {
        c.node_pids = 64;
        c.node_memory_mb = 384;
        c.node_disk_mb = 128;
    })
    .await;
    let (_, mut socket) = shell(&server, &SHELL).await;
    let forks = socket
        .run(
            1,
            // Children live until the parent is refused a fork; then all are reaped, so the
            // shell can fork again.
            "python3 -c 'import os,time\nn=0\ntry:\n  while n < 1000:\n    if os.fork()==0:\n      time.sleep(3); os._exit(0)\n    n+=1\nexcept OSError: print(\"forks-stopped-at\", n)\nwhile True:\n  try: os.wait()\n  except ChildProcessError: break'",
        )
        .await;
    assert!(forks.contains("forks-stopped-at"), "{forks}");
    let memory = socket
        .run(
            1,
            "python3 -c 'b = bytearray(1024**3); print(len(b))'; echo memory-rc=$?",
        )
        .await;
    assert!(
        memory.contains("memory-rc=137"),
        "a 1 GiB allocation was not stopped: {memory}"
    );
    let disk = socket
        .run(
            1,
            "dd if=/dev/zero of=/root/fill bs=1M count=2000 2>&1 | head -1; rm -f /root/fill",
        )
        .await;
    assert!(disk.contains("No space left"), "{disk}");
    server.stop().await;
}

#[tokio::test]
async fn nodes_of_two_sessions_cannot_reach_each_other() {
    let server = TestServer::start("isolation").await;
    let (_, mut a) = shell(&server, &SHELL).await;
    let (_, mut b) = shell(&server, &SHELL).await;
    a.type_in(1, "python3 -m http.server 8000 >/dev/null 2>&1 &\r")
        .await;
    let ip = a.run(1, "hostname -i").await;
    let ip = ip
        .split_whitespace()
        .rev()
        .find(|w| w.parse::<std::net::Ipv4Addr>().is_ok())
        .expect("an address")
        .to_string();
    let own = a
        .run(
            1,
            "for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:8000/ && break; sleep 0.2; done; curl -s -o /dev/null -m 5 -w 'code=%{http_code}' http://127.0.0.1:8000/",
        )
        .await;
    assert!(own.contains("code=200"), "{own}");
    let other = b.run(1, &format!("curl -s -o /dev/null -m 5 -w 'code=%{{http_code}}' http://{ip}:8000/; echo curl-rc=$?")).await;
    assert!(
        !other.contains("code=200") && !other.contains("curl-rc=0"),
        "{other}"
    );
    server.stop().await;
}

#[tokio::test]
async fn nodes_cannot_reach_the_hosts_own_services_or_cloud_metadata() {
    // A service on the host, listening on every address as many do.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepting = tokio::spawn(async move {
        loop {
            if let Ok((mut stream, _)) = listener.accept().await {
                use tokio::io::AsyncWriteExt;
                let _ = stream
                    .write_all(b"HTTP/1.0 200 OK\r\n\r\nhost-secret")
                    .await;
            }
        }
    });
    let server = TestServer::start("hostaccess").await;
    let (_, mut socket) = shell(&server, &SHELL).await;
    let host = socket
        .run(1, &format!("curl -s -m 5 http://$(ip route | awk '/default/ {{print $3}}'):{port}/; echo curl-rc=$?"))
        .await;
    assert!(
        !host.contains("host-secret") && !host.contains("curl-rc=0"),
        "{host}"
    );
    let metadata = socket
        .run(
            1,
            "curl -s -m 3 http://169.254.169.254/latest/meta-data/; echo curl-rc=$?",
        )
        .await;
    assert!(!metadata.contains("curl-rc=0"), "{metadata}");
    accepting.abort();
    server.stop().await;
}

#[tokio::test]
async fn a_fork_bomb_a_memory_hog_and_a_disk_filler_leave_another_sessions_terminal_responsive() {
    let server = TestServer::start_with("neighbours", |c| {
        c.node_pids = 128;
        c.node_memory_mb = 256;
        c.node_cpus = 0.5;
    })
    .await;
    let (_, mut noisy) = shell(&server, &SHELL).await;
    let (_, mut quiet) = shell(&server, &SHELL).await;
    noisy
        .type_in(1, "(bomb() { bomb | bomb & }; bomb) 2>/dev/null &\r")
        .await;
    noisy
        .type_in(
            1,
            "python3 -c 'x=[bytearray(1024**2) for _ in range(4096)]' 2>/dev/null &\r",
        )
        .await;
    noisy
        .type_in(1, "dd if=/dev/zero of=/tmp/fill bs=1M 2>/dev/null &\r")
        .await;
    for round in 0..3 {
        let answer = quiet
            .run(1, &format!("echo still-here-$(({round}*2))"))
            .await;
        assert!(
            answer.contains(&format!("still-here-{}", round * 2)),
            "{answer}"
        );
    }
    server.stop().await;
}

/// Caps mode (root on the host in all but name, only with `--allow-host-root`) still keeps
/// these doors shut; rootless nodes, the default, are tested in tests/rootless.rs.
#[tokio::test]
async fn caps_nodes_cannot_load_kernel_modules_mount_the_hosts_disks_or_write_host_wide_settings() {
    let server = TestServer::start_in_mode("dockerpriv", quai::config::DindMode::Caps).await;
    let (_, mut socket) = shell(&server, &DOCKER).await;
    let module = socket.run(1, LOAD_MODULE).await;
    assert!(module.contains("init_module -1"), "{module}");
    let root = std::fs::metadata("/").unwrap().dev();
    let (major, minor) = (
        ((root >> 8) & 0xfff) as u32,
        ((root & 0xff) | ((root >> 12) & 0xfff00)) as u32,
    );
    let disk = socket
        .run(1, &format!("mknod /tmp/hostdisk b {major} {minor} 2>&1; mount /tmp/hostdisk /mnt 2>&1; echo mount-rc=$?"))
        .await;
    assert!(
        !disk.contains("mount-rc=0"),
        "the host's root disk {major}:{minor} was mounted: {disk}"
    );
    let sysctl = socket
        .run(
            1,
            "echo '|/bin/true' > /proc/sys/kernel/core_pattern; echo core-rc=$?; echo h > /proc/sysrq-trigger; echo sysrq-rc=$?",
        )
        .await;
    assert!(
        !sysctl.contains("core-rc=0") && !sysctl.contains("sysrq-rc=0"),
        "host-wide settings were written: {sysctl}"
    );
    // Docker itself still works there.
    let hello = socket
        .run(
            1,
            "docker run --rm hello-world | grep -c 'Hello from Docker'",
        )
        .await;
    assert!(hello.contains('1'), "{hello}");
    server.stop().await;
}

#[test]
fn quai_serve_refuses_a_mode_giving_host_root_without_allow_host_root() {
    for mode in ["caps", "privileged"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_quai"))
            .args(["serve", "--listen", "127.0.0.1:0", "--dind-mode", mode])
            .env_remove("QUAI_ALLOW_HOST_ROOT")
            .output()
            .expect("quai runs");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{mode} was accepted: {said}");
        assert!(
            said.contains("root on this host") && said.contains("--allow-host-root"),
            "{said}"
        );
    }
}
