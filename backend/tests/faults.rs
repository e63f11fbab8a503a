//! Faults, against the real engine: the server killed (SIGKILL) during a burst of
//! creations, a node's fork bomb and `yes` flood while another session types, a node
//! filling its disk, the local registry killed while nodes pull. After each the server
//! still serves, other sessions still work, and nothing is left on the engine that no
//! session owns. Timings of the same faults are in `cargo bench --bench faults`.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::served::{Cleanup, Launch, Served};
use common::{containers_labelled, networks_labelled, unique_instance, TestServer, PATIENCE};
use futures::{SinkExt, StreamExt};
use quai_protocol::{ClientMsg, CreateSession, Frame, FrameKind, Profile, SessionCreated};
use tokio_tungstenite::tungstenite::Message;

const SHELL: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Shell),
};
const DOCKER: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Docker),
};

/// Session ids the engine holds containers or networks of, for `instance`.
async fn sessions_on_engine(instance: &str) -> HashSet<String> {
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("quai.instance={instance}")],
    )]);
    let mut ids = HashSet::new();
    for container in docker
        .list_containers(Some(bollard::container::ListContainersOptions {
            all: true,
            filters: filters.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
    {
        ids.extend(container.labels.unwrap_or_default().remove("quai.session"));
    }
    for network in docker
        .list_networks(Some(bollard::network::ListNetworksOptions { filters }))
        .await
        .unwrap()
    {
        ids.extend(network.labels.unwrap_or_default().remove("quai.session"));
    }
    ids
}

/// Ids of the sessions the database keeps for `instance`.
async fn stored_sessions(database: &std::path::Path, instance: &str) -> HashSet<String> {
    let store = quai::store::Store::open(database).unwrap();
    store
        .sessions(instance)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// Waits until what the engine holds for `instance` is exactly what its database keeps (the
/// server's first sweeps remove what the engine finished making for a killed server after
/// the start-up cleanup).
async fn engine_matches_store(database: &std::path::Path, instance: &str) -> HashSet<String> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let stored = stored_sessions(database, instance).await;
        let engine = sessions_on_engine(instance).await;
        if engine == stored {
            return stored;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the engine holds sessions {:?} that no stored session owns, and lacks {:?}",
            engine.difference(&stored).collect::<Vec<_>>(),
            stored.difference(&engine).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_server_killed_during_a_burst_of_creations_keeps_what_it_answered_and_leaves_nothing_else(
) {
    const BURST: usize = 20;
    let lessons = tempfile::tempdir().unwrap();
    let instance = unique_instance("burstkill");
    let database = std::env::temp_dir().join(format!("quai-faults-{instance}.db"));
    let _cleanup = Cleanup {
        instance: instance.clone(),
        database: database.clone(),
    };
    let served = Served::spawn(
        Launch::new(&instance, &database, lessons.path())
            .with("QUAI_MAX_SESSIONS_PER_CLIENT", "40")
            .with("QUAI_MAX_SESSIONS", "40"),
    );
    let server = served.client().await;

    // 20 creations in flight; the server is killed once a few have been answered.
    let (answered, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let burst: Vec<_> = (0..BURST)
        .map(|_| {
            let http = server.http.clone();
            let url = server.url("/api/sessions");
            let answered = answered.clone();
            tokio::spawn(async move {
                let created = match http.post(url).json(&SHELL).send().await {
                    Ok(response) if response.status() == 201 => {
                        response.json::<SessionCreated>().await.ok()
                    }
                    _ => None,
                };
                let _ = answered.send(created.clone());
                created
            })
        })
        .collect();
    drop(answered);
    let mut settled = 0;
    let mut created = 0;
    while created < 3 && settled < BURST {
        match tokio::time::timeout(PATIENCE, heard.recv()).await {
            Ok(Some(answer)) => {
                settled += 1;
                created += usize::from(answer.is_some());
            }
            _ => break,
        }
    }
    let launch = served.kill_9();
    let mut answers = Vec::new();
    for task in burst {
        answers.extend(task.await.unwrap());
    }
    assert!(
        !answers.is_empty() && answers.len() < BURST,
        "the kill came after every creation ({} answered of {BURST})",
        answers.len()
    );

    // Started again: it serves, and the engine holds exactly the sessions it keeps.
    let served = Served::spawn(launch);
    let server = served.client().await;
    let kept = engine_matches_store(&database, &instance).await;
    // Every session that was answered works, with its id and token, or was cleaned away.
    for created in &answers {
        let id = &created.session.id;
        let status = server
            .http
            .get(server.url(&format!("/api/sessions/{id}")))
            .bearer_auth(&created.token)
            .send()
            .await
            .unwrap()
            .status();
        if kept.contains(id) {
            assert_eq!(status, 200, "a kept session does not answer");
            let mut socket = server.shell(created).await;
            let out = socket.run(1, "echo alive-$((40+2))").await;
            assert!(out.contains("alive-42"), "{out}");
        } else {
            assert_eq!(status, 404, "a session is answered but not kept");
            assert!(containers_labelled("quai.session", id).await.is_empty());
        }
    }
    // And a new session works beside them.
    let fresh = server.create(&SHELL).await;
    let mut socket = server.shell(&fresh).await;
    assert!(socket.run(1, "echo new-$((1+1))").await.contains("new-2"));
    drop(socket);

    // Ending everything leaves nothing of the instance.
    let launch = served.terminate();
    common::served::sessions_command(&launch.instance, &launch.database, &["end", "--all"]);
    assert!(sessions_on_engine(&instance).await.is_empty());
}

/// Reads a terminal's output as fast as it comes, acknowledging it as the page does, until
/// `stop`; returns the bytes read.
fn flood_reader(
    mut socket: common::TestSocket,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut read = 0u64;
        let mut acked = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let Ok(Some(Ok(msg))) =
                tokio::time::timeout(Duration::from_millis(200), socket.ws.next()).await
            else {
                continue;
            };
            if let Message::Binary(bytes) = msg {
                let frame = Frame::decode(&bytes).expect("frames decode");
                if frame.kind == FrameKind::Output {
                    read += frame.data.len() as u64;
                    if read - acked >= 64 * 1024 {
                        let ack = ClientMsg::Ack {
                            term: 1,
                            bytes: read,
                        };
                        let text = serde_json::to_string(&ack).unwrap();
                        let _ = socket.ws.send(Message::Text(text.into())).await;
                        acked = read;
                    }
                }
            }
        }
        read
    })
}

/// Ends a session through the API as its owner, and checks nothing of it is left.
async fn end_and_check_gone(server: &TestServer, created: &SessionCreated) {
    let response = server.as_owner(reqwest::Method::DELETE, created, "").await;
    assert!(
        response.status().is_success(),
        "ending the session: {}",
        response.status()
    );
    let id = &created.session.id;
    assert!(containers_labelled("quai.session", id).await.is_empty());
    assert!(networks_labelled("quai.session", id).await.is_empty());
}

#[tokio::test]
async fn a_fork_bomb_and_a_yes_flood_leave_the_other_sessions_typing() {
    let server = TestServer::start_with("bomb", |c| {
        c.node_pids = 128;
    })
    .await;
    let bomb = server.create(&SHELL).await;
    let flood = server.create(&SHELL).await;
    let typist = server.create(&SHELL).await;
    let mut typing = server.shell(&typist).await;
    assert!(typing
        .run(1, "echo before-$((1+1))")
        .await
        .contains("before-2"));

    // One node prints `yes` as fast as it can, read and acknowledged as a page does.
    let mut yes = server.shell(&flood).await;
    yes.type_in(1, "yes\r").await;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = flood_reader(yes, stop.clone());

    // Another runs bash's fork bomb.
    let mut bombed = server.shell(&bomb).await;
    bombed.type_in(1, ":(){ :|:& };:\r").await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The pids limit holds it: the node never holds more processes than its limit.
    let container = containers_labelled("quai.session", &bomb.session.id)
        .await
        .pop()
        .unwrap();
    let pids = Command::new("docker")
        .args(["stats", "--no-stream", "--format", "{{.PIDs}}", &container])
        .output()
        .unwrap();
    let pids: i64 = String::from_utf8_lossy(&pids.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(
        (1..=128).contains(&pids),
        "the bombed node holds {pids} processes"
    );

    // The other session types and reads its answers, the server serves and creates.
    for n in 0..5 {
        let out = typing.run(1, &format!("echo typed-$(({n}+100))")).await;
        assert!(out.contains(&format!("typed-{}", n + 100)), "{out}");
    }
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let another = server.create(&SHELL).await;
    let mut socket = server.shell(&another).await;
    assert!(socket
        .run(1, "echo fresh-$((2+2))")
        .await
        .contains("fresh-4"));
    drop(socket);

    stop.store(true, Ordering::Relaxed);
    let read = reader.await.unwrap();
    // Under way all along (past one acknowledgement), however fast this machine let it go.
    assert!(read > 64 * 1024, "the flood printed only {read} bytes");

    // The bombed and flooding sessions end, and leave nothing.
    drop(bombed);
    end_and_check_gone(&server, &bomb).await;
    end_and_check_gone(&server, &flood).await;
    end_and_check_gone(&server, &another).await;
    let out = typing.run(1, "echo after-$((3+3))").await;
    assert!(out.contains("after-6"), "{out}");
    server.stop().await;
}

/// Bytes free on the filesystem holding `path`.
fn free_bytes(path: &str) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1", path])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_node_filling_its_disk_is_stopped_at_its_limit_and_the_others_work() {
    // A shell node's writable places are tmpfs bounded by the node's disk limit: the writes
    // below go to memory, never to this machine's disk, and its root is read-only.
    let server = TestServer::start_with("diskfill", |c| {
        c.node_disk_mb = 128;
    })
    .await;
    let filler = server.create(&SHELL).await;
    let other = server.create(&SHELL).await;
    let mut filling = server.shell(&filler).await;
    let mut typing = server.shell(&other).await;
    // Every writable place of a shell node stops at its size, not at the host's disk.
    for place in ["/root", "/tmp", "/home"] {
        let out = filling
            .run(
                1,
                &format!("dd if=/dev/zero of={place}/big bs=1M count=400 2>&1 | grep -o 'No space left' | head -1; echo dd-done"),
            )
            .await;
        assert!(out.contains("No space left"), "{place}: {out}");
    }
    let root = filling
        .run(1, "dd if=/dev/zero of=/big bs=1M count=10 2>&1 | head -1")
        .await;
    assert!(root.contains("Read-only file system"), "{root}");
    let out = typing
        .run(1, "echo other-$((5+5)) > /root/f && cat /root/f")
        .await;
    assert!(out.contains("other-10"), "{out}");
    // The full node still answers, and frees its space.
    let out = filling
        .run(1, "rm -f /root/big /tmp/big /home/big; echo freed-$((6+1))")
        .await;
    assert!(out.contains("freed-7"), "{out}");
    drop(filling);
    end_and_check_gone(&server, &filler).await;
    server.stop().await;
}

#[tokio::test]
async fn a_docker_node_filling_its_disk_leaves_the_others_working_and_its_space_is_freed() {
    // A docker node's engine data and home live on the host's disk: the test writes 256 MiB
    // there, so it wants twice that free.
    let free = free_bytes("/var/lib/docker");
    assert!(
        free > 512 << 20,
        "the engine's disk has {} MiB free, less than the 512 MiB this test needs",
        free >> 20
    );
    let server = TestServer::start("dockerfill").await;
    let filler = server.create(&DOCKER).await;
    let other = server.create(&SHELL).await;
    let mut filling = server.shell(&filler).await;
    let mut typing = server.shell(&other).await;
    let container = containers_labelled("quai.session", &filler.session.id)
        .await
        .pop()
        .unwrap();
    let volumes: Vec<String> = {
        let out = Command::new("docker")
            .args([
                "inspect",
                "-f",
                "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}",
                &container,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert!(!volumes.is_empty(), "a docker node has its engine's volume");
    // 128 MiB into the node's home, and as much into its engine's data.
    let out = filling
        .run(
            1,
            "fallocate -l 128M ~/big; docker info -f '{{.DockerRootDir}}' | xargs -I{} fallocate -l 128M {}/big; echo home-MiB-$(du -sm ~/big | cut -f1); echo filled-$((2+2))",
        )
        .await;
    assert!(out.contains("filled-4"), "{out}");
    assert!(
        out.contains("home-MiB-128"),
        "the node's home holds its 128 MiB: {out}"
    );
    let out = typing.run(1, "echo other-$((5+5))").await;
    assert!(out.contains("other-10"), "{out}");
    drop(filling);
    end_and_check_gone(&server, &filler).await;
    for volume in volumes {
        let gone = Command::new("docker")
            .args(["volume", "inspect", &volume])
            .output()
            .unwrap();
        assert!(
            !gone.status.success(),
            "the node's volume {volume} was left"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_restarted_docker_engine_ends_the_sessions_it_lost_and_the_server_goes_on() {
    use common::own_docker::{OwnDocker, SUBNETS};
    // This fault kills a Docker daemon: one of the test's own, never the machine's.
    let forced = std::env::var("QUAI_FAULTS_OWN_DOCKER").is_ok_and(|v| v == "1");
    if !OwnDocker::possible() {
        assert!(
            !forced,
            "QUAI_FAULTS_OWN_DOCKER=1, but no dockerd can be started here"
        );
        eprintln!("skipped: starting a Docker daemon of the test's own needs root and dockerd");
        return;
    }
    let docker = OwnDocker::start();
    let image = std::env::var("QUAI_BASE_IMAGE").unwrap_or_else(|_| "quai/base:latest".into());
    docker.ensure_image(&image);
    let lessons = tempfile::tempdir().unwrap();
    let instance = unique_instance("dockerd");
    let database = std::env::temp_dir().join(format!("quai-faults-{instance}.db"));
    struct Gone(String, std::path::PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            OwnDocker.remove_instance(&self.0);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.1.display()));
            }
        }
    }
    let _gone = Gone(instance.clone(), database.clone());
    let served = Served::spawn(
        Launch::new(&instance, &database, lessons.path())
            .with("DOCKER_HOST", &OwnDocker::host())
            .with("QUAI_SESSION_SUBNETS", SUBNETS)
            .with("QUAI_EXTERNAL_FIREWALL", "true")
            .with("QUAI_BASE_IMAGE", &image)
            .with("QUAI_ON_SHUTDOWN", "end"),
    );
    let server = served.client().await;
    let before = server.create(&SHELL).await;
    let mut socket = server.shell(&before).await;
    assert!(socket.run(1, "echo up-$((1+1))").await.contains("up-2"));

    // The engine dies: the page is told, the server serves, a new session is refused clearly.
    docker.kill_9();
    let (code, message) = socket.next_error().await;
    assert_eq!(code, quai_protocol::ErrorCode::RuntimeUnavailable);
    assert!(
        message.contains("container engine stopped answering"),
        "{message}"
    );
    let page = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the home page is not served");
    let refused = server
        .http
        .post(server.url("/api/sessions"))
        .json(&SHELL)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    let body = refused.text().await.unwrap();
    assert!(body.contains("container engine is not reachable"), "{body}");

    // The engine is back (its containers did not survive): the lost session ends and leaves
    // nothing; the server goes on and new sessions work.
    let docker = OwnDocker::start();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let status = server
            .as_owner(reqwest::Method::GET, &before, "")
            .await
            .status();
        if status == 404 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session whose node died is still served ({status})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Its objects go right after it ended.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !docker
        .objects_of("quai.session", &before.session.id)
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lost session's objects were left"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = server.create(&SHELL).await;
    let mut socket = server.shell(&after).await;
    assert!(socket.run(1, "echo back-$((2+3))").await.contains("back-5"));
    drop(socket);
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // Stopped, the server ends its sessions: nothing of the instance is left.
    served.terminate();
    assert!(docker.objects_of("quai.instance", &instance).is_empty());
    docker.stop();
}

/// Whether the local registry container of `instance` runs.
fn registry_runs(instance: &str) -> bool {
    Command::new("docker")
        .args([
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("quai-registry-{instance}"),
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
        .unwrap_or(false)
}

#[tokio::test]
async fn a_killed_local_registry_fails_pulls_clearly_and_runs_again() {
    let server = TestServer::start_with("regkill", |c| {
        c.local_registry = true;
    })
    .await;
    let session = server.create(&DOCKER).await;
    let mut socket = server.shell(&session).await;
    let warm = socket
        .run(1, "docker pull -q busybox >/dev/null; echo pulled-rc=$?")
        .await;
    assert!(warm.contains("pulled-rc=0"), "{warm}");
    let registry = format!("quai-registry-{}", server.instance);

    // Killed, and removed before anything restarts it: a pull meanwhile fails at once, and
    // says why.
    let killed = Command::new("docker")
        .args(["rm", "-f", &registry])
        .output()
        .unwrap();
    assert!(killed.status.success());
    let failed = socket
        .run(
            1,
            "docker rmi -f busybox >/dev/null 2>&1; docker pull busybox 2>&1 | tail -3; echo",
        )
        .await;
    assert!(failed.contains("is not answering right now"), "{failed}");

    // Quai runs it again, and pulls work again.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !registry_runs(&server.instance) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the local registry was not started again"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let again = socket
        .run(
            1,
            "for i in $(seq 20); do docker pull -q busybox >/dev/null 2>&1 && break; sleep 1; done; docker run --rm busybox echo ran-$((4+4))",
        )
        .await;
    assert!(again.contains("ran-8"), "{again}");

    // A pull in flight when the registry is killed ends (whichever way), and the next works.
    socket
        .type_in(1, "docker rmi -f alpine:3.19 >/dev/null 2>&1; docker pull -q alpine:3.19 >/dev/null 2>&1; echo \"inflight-$((5+5))-$?\"\r")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = Command::new("docker").args(["kill", &registry]).output();
    socket.wait_for_output(1, "inflight-10-").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !registry_runs(&server.instance) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the local registry was not started again"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let again = socket
        .run(
            1,
            "for i in $(seq 20); do docker pull -q alpine:3.19 >/dev/null 2>&1 && break; sleep 1; done; docker image inspect -f ok-{{.Os}} alpine:3.19",
        )
        .await;
    assert!(again.contains("ok-linux"), "{again}");
    drop(socket);
    end_and_check_gone(&server, &session).await;
    server.stop().await;
}

#[tokio::test]
async fn a_node_killed_outside_quai_ends_its_session_as_lost_while_the_engine_answers() {
    // What an engine restarted between two of the monitor's checks leaves: a session whose
    // node no longer runs, with the engine answering all along.
    let server = TestServer::start("nodekilled").await;
    let lost = server.create(&SHELL).await;
    let other = server.create(&SHELL).await;
    let mut socket = server.shell(&other).await;
    let container = containers_labelled("quai.session", &lost.session.id)
        .await
        .pop()
        .unwrap();
    assert!(Command::new("docker")
        .args(["kill", &container])
        .output()
        .unwrap()
        .status
        .success());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let status = server
            .as_owner(reqwest::Method::GET, &lost, "")
            .await
            .status();
        if status == 404 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session whose node was killed is still served ({status})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Its objects go right after it ended.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !containers_labelled("quai.session", &lost.session.id)
        .await
        .is_empty()
        || !networks_labelled("quai.session", &lost.session.id)
            .await
            .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lost session's objects were left"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(socket
        .run(1, "echo still-$((3+4))")
        .await
        .contains("still-7"));
    drop(socket);
    server.stop().await;
}
