//! The local registry against the real engine: a catalog image (any host image labelled
//! `quai.catalog`) is pulled inside a `docker` node by its usual name with no internet,
//! served by Quai's read-only registry, which no session can write to.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::TestServer;
use quai_protocol::{CreateSession, Profile};

/// The registry outlives its server (it is reused at the next start); a test removes it.
async fn remove_registry(instance: &str) {
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
    for container in docker.list_containers(Some(options)).await.unwrap() {
        let options = bollard::container::RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        docker
            .remove_container(&container.id.unwrap(), Some(options))
            .await
            .unwrap();
    }
    docker
        .remove_volume(&format!("quai-registry-{instance}"), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_docker_node_pulls_a_catalog_image_from_the_local_registry_and_cannot_push_to_it() {
    let registry_image =
        std::env::var("QUAI_REGISTRY_IMAGE").unwrap_or_else(|_| "quai/registry:latest".into());
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
        c.registry_image = registry_image.clone();
    })
    .await;
    let instance = server.instance.clone();
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
    server.stop().await;

    remove_registry(&instance).await;
    let _ = Command::new("docker").args(["rmi", &local]).output();
}

#[tokio::test]
async fn the_curriculum_images_work_inside_a_docker_node_with_no_internet() {
    let registry_image =
        std::env::var("QUAI_REGISTRY_IMAGE").unwrap_or_else(|_| "quai/registry:latest".into());
    let server = TestServer::start_with("curriculum", |c| {
        c.local_registry = true;
        c.registry_image = registry_image.clone();
        c.node_memory_mb = 1024;
    })
    .await;
    let instance = server.instance.clone();
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;

    let hello = socket
        .run(
            1,
            "docker run --rm hello-world | grep -c 'Hello from Docker'",
        )
        .await;
    assert!(hello.trim_end().ends_with('1'), "{hello}");

    let nginx = socket
        .run(1, "docker pull -q nginx >/dev/null && docker run -d -p 8080:80 nginx >/dev/null && for i in $(seq 50); do curl -sf localhost:8080 && break; sleep 0.2; done | grep -o 'nginx' | head -1")
        .await;
    assert!(nginx.trim_end().ends_with("nginx"), "{nginx}");

    let build = socket
        .run(
            1,
            "mkdir -p /root/py && cd /root/py && printf 'FROM python:3\\nRUN python3 -c \"print(6*7)\" > /answer\\nCMD [\"cat\", \"/answer\"]\\n' > Dockerfile && docker build -q -t answer . >/dev/null && docker run --rm answer; cd",
        )
        .await;
    assert!(build.contains("42"), "{build}");

    let registry = socket
        .run(
            1,
            "docker run -d -p 5000:5000 --name myregistry registry:2 >/dev/null && for i in $(seq 50); do curl -sf localhost:5000/v2/ >/dev/null && break; sleep 0.2; done; docker tag hello-world localhost:5000/x && docker push -q localhost:5000/x >/dev/null && docker rmi localhost:5000/x >/dev/null && docker pull -q localhost:5000/x",
        )
        .await;
    assert!(registry.contains("localhost:5000/x"), "{registry}");
    server.stop().await;

    remove_registry(&instance).await;
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
        c.registry_image = registry_image.clone();
        c.registry_upstream = Some(format!("http://{address}:5000"));
    })
    .await;
    let instance = server.instance.clone();
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
    remove_registry(&instance).await;
    docker(&["rm", "-f", "-v", &upstream]);
}
