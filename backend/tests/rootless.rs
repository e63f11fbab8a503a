//! Docker nodes without host privileges, against the real engine: in a default `docker` node
//! (rootless: the node runs as an unprivileged user, Docker Engine inside it rootless), each
//! way a visitor has to become root on the host fails, nothing in the node runs as host
//! root, and what the lessons need from Docker still works.

mod common;

use std::collections::HashMap;

use common::{exec_in_node, TestServer};
use quai_protocol::{CreateSession, Profile, SessionCreated};

const DOCKER: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Docker),
};

/// A default server (rootless docker nodes) with one docker node started.
async fn rootless_node(name: &str) -> (TestServer, SessionCreated) {
    let server = TestServer::start_with(name, |c| c.local_registry = true).await;
    let session = server.create(&DOCKER).await;
    (server, session)
}

/// Runs `script` in node1 as Quai runs everything there (as the node's user).
async fn sh(server: &TestServer, session: &SessionCreated, script: &str) -> (Option<i64>, String) {
    exec_in_node(server, session, "node1", script, &[]).await
}

/// Runs `script` in node1, and again as root of a user namespace of the node's own
/// (`unshare -Ur`, which rootless Docker needs to be allowed): fake root must gain nothing.
async fn both_ways(server: &TestServer, session: &SessionCreated, script: &str) -> String {
    let quoted = script.replace('\'', r"'\''");
    let (_, plain) = sh(server, session, script).await;
    let (_, userns) = sh(
        server,
        session,
        &format!("unshare --user --map-root-user --mount --pid --fork sh -c '{quoted}'"),
    )
    .await;
    format!("as the node's user:\n{plain}\nas root of a user namespace:\n{userns}")
}

/// Python calling a raw system call; prints `NAME -1 ERRNO` when it is refused.
fn syscall(name: &str, number: u32, args: &str) -> String {
    format!(
        "python3 -c 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall({number}, {args}); print(\"{name}\", r, ctypes.get_errno())'"
    )
}

#[tokio::test]
async fn a_host_sysctl_cannot_be_written_even_after_unmounting_proc_sys() {
    let (server, session) = rootless_node("rl-sysctl").await;
    let out = both_ways(
        &server,
        &session,
        "umount /proc/sys 2>/dev/null; echo 1 > /proc/sys/kernel/core_uses_pid 2>/dev/null; echo write-rc=$?",
    )
    .await;
    assert_eq!(out.matches("write-rc=").count(), 2, "{out}");
    assert!(
        !out.contains("write-rc=0"),
        "a host sysctl was written: {out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn kernel_core_pattern_cannot_be_written() {
    let (server, session) = rootless_node("rl-core").await;
    let out = both_ways(
        &server,
        &session,
        "echo \"|/tmp/x\" > /proc/sys/kernel/core_pattern 2>/dev/null; echo core-rc=$?; grep -c /tmp/x /proc/sys/kernel/core_pattern",
    )
    .await;
    assert_eq!(out.matches("core-rc=").count(), 2, "{out}");
    assert!(
        !out.contains("core-rc=0"),
        "core_pattern was written: {out}"
    );
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    assert!(
        !pattern.contains("/tmp/x"),
        "the host's core_pattern is {pattern}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_fresh_proc_mount_gives_no_writable_sysctls() {
    let (server, session) = rootless_node("rl-proc").await;
    let (_, out) = sh(
        &server,
        &session,
        "mkdir -p /tmp/p; mount -t proc proc /tmp/p 2>&1; echo plain-mount-rc=$?; \
         unshare --user --map-root-user --mount --pid --fork --mount-proc sh -c \
           'mkdir -p /tmp/p2 && mount -t proc proc /tmp/p2 && echo mounted; echo 1 > /tmp/p2/sys/kernel/core_uses_pid 2>/dev/null; echo fresh-rc=$?; echo \"|/tmp/x\" > /proc/sys/kernel/core_pattern 2>/dev/null; echo own-rc=$?'",
    )
    .await;
    assert!(
        !out.contains("plain-mount-rc=0"),
        "the node's user mounted proc: {out}"
    );
    assert!(
        out.contains("fresh-rc=") && !out.contains("fresh-rc=0"),
        "{out}"
    );
    assert!(
        out.contains("own-rc=") && !out.contains("own-rc=0"),
        "{out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_hosts_disk_cannot_be_mounted() {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/").unwrap().dev();
    let (major, minor) = (
        ((root >> 8) & 0xfff) as u32,
        ((root & 0xff) | ((root >> 12) & 0xfff00)) as u32,
    );
    let (server, session) = rootless_node("rl-disk").await;
    let out = both_ways(
        &server,
        &session,
        &format!("mknod /tmp/hostdisk b {major} {minor} 2>/dev/null; mkdir -p /tmp/m; mount /tmp/hostdisk /tmp/m 2>/dev/null; echo mount-rc=$?; ls /dev | grep -c -e vd -e sd -e nvme"),
    )
    .await;
    assert_eq!(out.matches("mount-rc=").count(), 2, "{out}");
    assert!(
        !out.contains("mount-rc=0"),
        "the host's disk {major}:{minor} was mounted: {out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn kernel_modules_cannot_be_loaded() {
    let (server, session) = rootless_node("rl-module").await;
    // init_module(2) and finit_module(2) on x86_64.
    let out = both_ways(
        &server,
        &session,
        &format!(
            "{}; {}",
            syscall("init_module", 175, "0, 0, 0"),
            syscall("finit_module", 313, "0, 0, 0")
        ),
    )
    .await;
    for call in ["init_module", "finit_module"] {
        let refused = out
            .lines()
            .filter(|l| l.starts_with(&format!("{call} -1")))
            .count();
        assert_eq!(refused, 2, "{call} was not refused both ways: {out}");
    }
    server.stop().await;
}

#[tokio::test]
async fn open_by_handle_at_cannot_open_a_host_file() {
    let (server, session) = rootless_node("rl-handle").await;
    // open_by_handle_at(2) with a handle of the root folder's inode on the host's file
    // system (the "shocker" escape): refused before the kernel looks at the handle.
    let out = both_ways(
        &server,
        &session,
        &syscall(
            "open_by_handle_at",
            304,
            "-100, ctypes.c_char_p(bytes([8,0,0,0, 1,0,0,0, 2,0,0,0, 0,0,0,0])), 0",
        ),
    )
    .await;
    assert_eq!(out.matches("open_by_handle_at -1").count(), 2, "{out}");
    server.stop().await;
}

#[tokio::test]
async fn nobody_in_the_node_can_become_real_root() {
    let (server, session) = rootless_node("rl-root").await;
    let (_, out) = sh(
        &server,
        &session,
        "echo uid=$(id -u); echo setuid=$(find / -xdev -type f -perm /6000 2>/dev/null | wc -l); \
         command -v sudo >/dev/null && echo has-sudo; su -c id root </dev/null 2>/dev/null; echo su-rc=$?; \
         echo caps=$(getcap -r / 2>/dev/null | awk '{print $1}' | sort | tr '\\n' ' ')",
    )
    .await;
    assert!(out.contains("uid=1000"), "{out}");
    assert!(
        out.contains("setuid=0"),
        "setuid or setgid files in the node: {out}"
    );
    assert!(!out.contains("has-sudo"), "{out}");
    assert!(!out.contains("su-rc=0"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_end() == "caps=/usr/bin/newgidmap /usr/bin/newuidmap"),
        "files with capabilities beyond newuidmap and newgidmap: {out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_privileged_container_inside_cannot_write_a_host_sysctl() {
    let (server, session) = rootless_node("rl-privileged").await;
    let (_, out) = sh(
        &server,
        &session,
        "docker run --rm --privileged busybox sh -c 'echo \"|/tmp/x\" > /proc/sys/kernel/core_pattern; echo privileged-rc=$?' 2>&1; \
         docker run --rm busybox sh -c 'id -u; echo 1 > /proc/sys/kernel/core_uses_pid; echo plain-rc=$?' 2>&1",
    )
    .await;
    assert!(!out.contains("privileged-rc=0"), "{out}");
    assert!(
        out.contains("plain-rc=") && !out.contains("plain-rc=0"),
        "{out}"
    );
    // A student who asks for --privileged is told what it means here.
    if !out.contains("privileged-rc=") {
        assert!(
            out.contains("Quai: this node runs Docker Engine rootless"),
            "{out}"
        );
    }
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    assert!(
        !pattern.contains("/tmp/x"),
        "the host's core_pattern is {pattern}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_student_asking_for_container_limits_is_told_the_node_cannot_apply_them() {
    let (server, session) = rootless_node("rl-limits").await;
    let (code, out) = sh(
        &server,
        &session,
        "docker run --rm --memory 64m --cpus 0.5 hello-world 2>&1 | grep -e 'Quai:' -e 'Hello from Docker'",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Quai: this node runs Docker Engine rootless, without a cgroup manager"),
        "{out}"
    );
    assert!(
        out.contains("Hello from Docker"),
        "the container still runs: {out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn no_host_engine_socket_can_be_found_only_the_nodes_own_rootless_engine() {
    let (server, session) = rootless_node("rl-socket").await;
    let (_, out) = sh(
        &server,
        &session,
        "ls -l /var/run/docker.sock /run/docker.sock 2>&1 | grep -c 'No such file'; \
         echo sockets=$(find / -xdev -type s 2>/dev/null | grep -v '^/run/user/1000/' | wc -l); \
         docker info --format 'name={{.Name}} options={{.SecurityOptions}}'",
    )
    .await;
    assert!(
        out.starts_with('2'),
        "a docker socket of the host is in the node: {out}"
    );
    assert!(out.contains("sockets=0"), "{out}");
    assert!(
        out.contains("name=node1") && out.contains("rootless"),
        "{out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_process_of_a_rootless_node_runs_as_its_user_or_its_sub_ids() {
    let (server, session) = rootless_node("rl-top").await;
    let mut socket = server.shell(&session).await;
    // The student's terminal, an engine, a container as root and one as another user, a
    // lesson-style check and a file upload, all at once.
    let typed = socket
        .run(
            1,
            "docker run -d --name asroot busybox sleep 600 >/dev/null && docker run -d --user 4321 --name asuser busybox sleep 600 >/dev/null && echo both-running",
        )
        .await;
    assert!(typed.contains("both-running"), "{typed}");
    let (code, _) = sh(&server, &session, "(sleep 600 &) ; echo started").await;
    assert_eq!(code, Some(0));
    let uploaded = server
        .http
        .post(server.url(&format!(
            "/api/sessions/{}/nodes/node1/files/upload?dir=/root",
            session.session.id
        )))
        .bearer_auth(&session.token)
        .body(tar_with("mine.txt", b"mine\n"))
        .send()
        .await
        .unwrap();
    assert!(
        uploaded.status().is_success(),
        "{:?}",
        uploaded.text().await
    );
    let (_, owner) = sh(&server, &session, "stat -c owner=%u:%g /root/mine.txt").await;
    assert!(owner.contains("owner=1000:1000"), "{owner}");

    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let container = common::containers_labelled("quai.session", &session.session.id)
        .await
        .pop()
        .unwrap();
    let top = docker
        .top_processes(
            &container,
            Some(bollard::container::TopOptions {
                ps_args: "-eo uid,pid,args",
            }),
        )
        .await
        .unwrap();
    let processes = top.processes.unwrap_or_default();
    let uids: HashMap<u32, Vec<String>> =
        processes.iter().fold(HashMap::new(), |mut by_uid, row| {
            let uid = row[0].trim().parse().expect("numeric uid");
            by_uid.entry(uid).or_default().push(row[2].clone());
            by_uid
        });
    assert!(processes.len() > 5, "{processes:?}");
    for (uid, commands) in &uids {
        assert!(
            *uid == 1000 || (100_000..165_536).contains(uid),
            "uid {uid} runs in the node: {commands:?}"
        );
    }
    // The container running as 4321 inside is sub-id 100000 + 4320 on the host.
    assert!(uids.contains_key(&104_320), "{uids:?}");
    server.stop().await;
}

/// A tar archive holding one file.
fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_cksum();
    builder.append_data(&mut header, name, data).unwrap();
    builder.into_inner().unwrap()
}

#[tokio::test]
async fn a_rootless_node_runs_compose_a_registry_published_ports_and_bind_mounts() {
    let (server, session) = rootless_node("rl-works").await;
    // A bind mount of the student's home.
    let (code, out) = sh(
        &server,
        &session,
        "mkdir -p /root/data && echo kept > /root/data/note && docker run --rm -v /root/data:/data busybox sh -c 'cat /data/note && echo written > /data/back' && cat /root/data/back",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("kept") && out.contains("written"), "{out}");
    // Compose with two services that reach each other by name.
    let (_, out) = sh(
        &server,
        &session,
        "mkdir -p /root/pair && cd /root/pair && printf 'services:\\n  web:\\n    image: nginx\\n  probe:\\n    image: busybox\\n    command: sh -c \"sleep 1; wget -qO- http://web/ | grep -c nginx\"\\n    depends_on: [web]\\n' > docker-compose.yml \
         && docker-compose up --abort-on-container-exit --exit-code-from probe 2>&1 | tail -n 5; echo compose-rc=${PIPESTATUS[0]}; docker-compose down >/dev/null 2>&1",
    )
    .await;
    assert!(out.contains("compose-rc=0"), "{out}");
    // A registry inside the node: push, remove, pull back.
    let (code, out) = sh(
        &server,
        &session,
        "docker run -d -p 5000:5000 --name reg registry:2 >/dev/null && for i in $(seq 50); do curl -sf localhost:5000/v2/ >/dev/null && break; sleep 0.2; done \
         && docker tag hello-world localhost:5000/lab/hello && docker push -q localhost:5000/lab/hello >/dev/null && docker rmi localhost:5000/lab/hello >/dev/null \
         && docker pull -q localhost:5000/lab/hello >/dev/null && docker run --rm localhost:5000/lab/hello | grep -c 'Hello from Docker'",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    // nginx published on 8080 answers through the preview.
    let (code, out) = sh(
        &server,
        &session,
        "docker run -d -p 8080:80 nginx >/dev/null && for i in $(seq 100); do curl -sf -o /dev/null localhost:8080 && exit 0; sleep 0.2; done; exit 1",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    let page = server
        .preview_get(&session, "node1", 8080, "/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("nginx"), "{page}");
    server.stop().await;
}

#[tokio::test]
async fn a_node_whose_engine_cannot_start_says_why_at_the_first_docker_command() {
    // The node image as a rootless node runs it, but without its tun device: what a host
    // that refuses Quai's settings gives.
    use bollard::container::{Config, CreateContainerOptions, RemoveContainerOptions};
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures::StreamExt;
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let instance = common::unique_instance("rl-blocked");
    let image = std::env::var("QUAI_DOCKER_IMAGE").unwrap_or_else(|_| "quai/dind:latest".into());
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: format!("quai-{instance}"),
                platform: None,
            }),
            Config {
                image: Some(image),
                user: Some("1000:1000".to_string()),
                env: Some(vec![
                    "XDG_RUNTIME_DIR=/run/user/1000".to_string(),
                    "DOCKER_HOST=unix:///run/user/1000/docker.sock".to_string(),
                ]),
                labels: Some(HashMap::from([
                    ("quai.managed".to_string(), "true".to_string()),
                    ("quai.instance".to_string(), instance.clone()),
                ])),
                host_config: Some(bollard::models::HostConfig {
                    init: Some(true),
                    cap_drop: Some(vec!["ALL".to_string()]),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker
        .start_container::<String>(&created.id, None)
        .await
        .unwrap();
    let exec = docker
        .create_exec(
            &created.id,
            CreateExecOptions {
                cmd: Some(vec!["docker", "version"]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut said = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.unwrap()
    {
        while let Some(Ok(chunk)) = output.next().await {
            said.push_str(&chunk.to_string());
        }
    }
    docker
        .remove_container(
            &created.id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    assert!(
        said.contains("Docker Engine cannot start in this node: /dev/net/tun"),
        "{said}"
    );
}
