//! Issue 4's promise under `--egress none`: with every connection out of the session network
//! dropped, a `docker` node still runs hello-world, pulls and serves nginx, builds FROM
//! python:3 and pushes to its own registry:2, all from Quai's local registry.
//!
//! The firewall rules are the server instance's own (its bridges' prefix, its comment): a
//! server started with `--egress open` meanwhile does not open this one's egress, and the
//! rules go when the server stops (or when the harness removes a failed test's leftovers).

mod common;

use common::TestServer;
use quai::config::Egress;
use quai_protocol::{CreateSession, Profile};

#[tokio::test]
async fn the_curriculum_works_inside_a_docker_node_with_egress_closed() {
    let server = TestServer::start_with("curriculum", |c| {
        c.local_registry = true;
        c.node_memory_mb = 1024;
        c.egress = Egress::None;
    })
    .await;
    // Another server on the same host, with egress open, starts after it.
    let open = TestServer::start("open-egress").await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.shell(&session).await;

    // The world outside is closed: the Debian mirror this host reaches does not answer.
    let outside = socket
        .run(
            1,
            "curl -s -m 5 -o /dev/null http://deb.debian.org/debian/; echo exit=$?",
        )
        .await;
    assert!(
        outside.contains("exit=") && !outside.contains("exit=0"),
        "{outside}"
    );

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
    open.stop().await;
}
