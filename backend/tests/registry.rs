//! The local registry against the real engine: a catalog image (any host image labelled
//! `quai.catalog`) is pulled inside a `docker` node by its usual name with no internet,
//! served by Quai's read-only registry, which no session can write to.

mod common;

use std::process::Command;

use common::TestServer;
use quai_protocol::{CreateSession, Profile};

#[tokio::test]
async fn a_docker_node_pulls_a_catalog_image_from_the_local_registry_and_cannot_push_to_it() {
    // A catalog image of the test's own, under a public name no real registry has.
    let suffix = &quai::session::token::new_session_id()[..8];
    let public = format!("quai-mirror-{suffix}");
    let local = format!("quai/test-catalog:{suffix}");
    let mut build = Command::new("docker")
        .args(["build", "-q", "-t", &local, "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    write!(
        build.stdin.take().unwrap(),
        "FROM quai/hello-world:latest\nLABEL quai.catalog={public}:1\n"
    )
    .unwrap();
    assert!(build.wait().unwrap().success());

    let server = TestServer::start_with("registry", |c| {
        c.local_registry = true;
    })
    .await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;
    let pulled = socket.run(1, &format!("docker pull -q {public}:1 && docker run --rm {public}:1 | grep -c 'Hello from Docker'")).await;
    assert!(
        pulled.contains(&format!("{public}:1")) && pulled.trim_end().ends_with('1'),
        "{pulled}"
    );
    let push = socket
        .run(1, "curl -s -o /dev/null -w 'upload=%{http_code}' -X POST http://quai-registry:5000/v2/library/evil/blobs/uploads/")
        .await;
    assert!(
        push.contains("upload=405"),
        "the registry took an upload from a session: {push}"
    );
    // Its log cannot fill the host's disk either.
    let log = Command::new("docker")
        .args([
            "inspect",
            "-f",
            "{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config \"max-size\"}}",
            &format!("quai-registry-{}", server.instance),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&log.stdout).trim(), "json-file 1m");
    server.stop().await;
    let _ = Command::new("docker").args(["rmi", &local]).output();
}

#[tokio::test]
async fn with_an_upstream_the_local_registry_is_a_pull_through_cache_of_it() {
    let registry_image =
        std::env::var("QUAI_REGISTRY_IMAGE").unwrap_or_else(|_| "quai/registry:latest".into());
    let suffix = &quai::session::token::new_session_id()[..8];
    // An upstream registry of the test's own holding an image no catalog has.
    let upstream = format!("quai-upstream-{suffix}");
    let docker = |args: &[&str]| {
        let out = Command::new("docker").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    docker(&[
        "run",
        "-d",
        "--name",
        &upstream,
        "--label",
        "quai.test=registry",
        "-p",
        "127.0.0.1::5000",
        &registry_image,
    ]);
    let port = docker(&["port", &upstream, "5000"]);
    let port = port
        .lines()
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let address = docker(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", &upstream]);
    let only_upstream = format!("127.0.0.1:{port}/library/only-upstream-{suffix}:1");
    docker(&["tag", "quai/hello-world:latest", &only_upstream]);
    let mut pushed = false;
    for _ in 0..50 {
        if Command::new("docker")
            .args(["push", "-q", &only_upstream])
            .output()
            .unwrap()
            .status
            .success()
        {
            pushed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(pushed, "the upstream registry never took the test image");
    docker(&["rmi", &only_upstream]);

    let server = TestServer::start_with("cache", |c| {
        c.local_registry = true;
        c.registry_upstream = Some(format!("http://{address}:5000"));
    })
    .await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;
    let pulled = socket
        .run(1, &format!("docker pull -q only-upstream-{suffix}:1 && docker run --rm only-upstream-{suffix}:1 | grep -c 'Hello from Docker'"))
        .await;
    assert!(pulled.trim_end().ends_with('1'), "{pulled}");
    server.stop().await;
    docker(&["rm", "-f", "-v", &upstream]);
}

#[tokio::test]
async fn a_local_registry_that_dies_is_started_again_and_serves_running_sessions() {
    let server = TestServer::start_with("regkeep", |c| {
        c.local_registry = true;
    })
    .await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;
    let name = format!("quai-registry-{}", server.instance);
    let removed = Command::new("docker")
        .args(["rm", "-f", &name])
        .output()
        .unwrap();
    assert!(removed.status.success());
    // The keeper notices within a few seconds and starts it again, on the session's network.
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let state = Command::new("docker")
            .args(["inspect", "-f", "{{.State.Running}}", &name])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&state.stdout).trim() == "true" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the registry never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let pulled = socket
        .run(
            1,
            "docker pull -q busybox && docker run --rm busybox echo from-the-mirror",
        )
        .await;
    assert!(pulled.contains("from-the-mirror"), "{pulled}");
    server.stop().await;
}

#[tokio::test]
async fn a_docker_node_serves_a_tag_the_catalog_lacks_by_its_nearest_stand_in_and_refuses_an_image_it_lacks_at_once(
) {
    let server = TestServer::start_with("nearest", |c| {
        c.local_registry = true;
    })
    .await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;

    // A tag of the catalog is pulled as it is, and says what it is.
    let listed = socket
        .run(
            1,
            "docker pull -q python:3.10-alpine && docker image inspect -f \
             '{{index .Config.Labels \"org.opencontainers.image.description\"}}' python:3.10-alpine",
        )
        .await;
    assert!(
        listed.contains("docker.io/library/python:3.10-alpine")
            && listed.contains("Quai stand-in for the public python image"),
        "{listed}"
    );

    // A tag it lacks is served by the nearest one, under the name asked for.
    let pulled = socket
        .run(
            1,
            "docker pull -q python:3.10.13-alpine3.19; echo exit=$?; docker image inspect -f \
             '{{index .Config.Labels \"org.opencontainers.image.description\"}}' \
             python:3.10.13-alpine3.19",
        )
        .await;
    assert!(
        pulled.contains(
            "Quai: python:3.10.13-alpine3.19 is served by Quai's stand-in python:3.10-alpine"
        ) && pulled.contains("docker.io/library/python:3.10.13-alpine3.19")
            && pulled.contains("exit=0")
            && pulled.contains("Quai stand-in for the public python image"),
        "{pulled}"
    );

    // `docker run` reads its options to find the image: -it together, options with values,
    // --opt=value, booleans.
    let ran = socket
        .run(
            1,
            "docker run -it --rm -e GREETING=hi --name=near -w /tmp --init python:3.8-slim-buster \
             python -c 'import os; print(os.environ[\"GREETING\"], 6 * 7, os.getcwd())'",
        )
        .await;
    assert!(
        ran.contains("served by Quai's stand-in python:3.8-slim") && ran.contains("hi 42 /tmp"),
        "{ran}"
    );

    // A repository the catalog lacks fails at once, naming the images there are.
    let refused = socket
        .run(
            1,
            "begin=$(date +%s); docker run --rm mongo:7 true; echo exit=$? took=$(( $(date +%s) - begin ))s",
        )
        .await;
    assert!(
        refused.contains("mongo:7 is not available here")
            && refused.contains("no internet access to Docker Hub")
            && refused.contains("python")
            && refused.contains("nginx")
            && refused.contains("exit=125"),
        "{refused}"
    );
    // The last `took=`: the first is in the command line the terminal echoed.
    let took: u64 = refused
        .rsplit("took=")
        .next()
        .and_then(|rest| rest.split('s').next())
        .and_then(|seconds| seconds.trim().parse().ok())
        .unwrap_or(u64::MAX);
    assert!(took <= 3, "refusing mongo:7 took {took} s: {refused}");
    server.stop().await;
}
