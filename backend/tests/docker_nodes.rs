//! `docker` nodes against the real engine: Docker Engine runs inside the node, so a
//! student's `docker run hello-world`, `docker build` and `docker-compose` work at the
//! prompt, offline; nodes of a session reach each other by name and can be added and
//! removed; what a `docker` node may not do to the host.

mod common;

use reqwest::Method;

use common::{containers_labelled, TestServer};
use quai_protocol::{
    ApiError, CreateSession, ErrorCode, NodeInfo, Profile, ServerMsg, SessionInfo,
};

fn docker_session(nodes: u8) -> CreateSession {
    CreateSession {
        nodes: Some(nodes),
        profile: Some(Profile::Docker),
    }
}

#[tokio::test]
async fn a_student_runs_hello_world_in_a_docker_node() {
    let server = TestServer::start("hello").await;
    let session = server.create(&docker_session(1)).await;
    assert_eq!(session.session.profile, Profile::Docker);
    let mut socket = server.shell(&session).await;
    // Typed at once: the docker client waits for the node's engine to be ready.
    socket.type_in(1, "docker run --rm hello-world\r").await;
    socket.wait_for_output(1, "Hello from Docker").await;
    socket
        .type_in(
            1,
            "docker ps -a --format '{{.Image}}' | wc -l; docker-compose version --short\r",
        )
        .await;
    socket.wait_for_output(1, "1.").await;
    server.stop().await;
}

#[tokio::test]
async fn docker_build_of_a_dockerfile_works_inside_a_node() {
    let server = TestServer::start("build").await;
    let session = server.create(&docker_session(1)).await;
    let mut socket = server.shell(&session).await;
    socket
        .type_in(
            1,
            "mkdir -p /root/app && cd /root/app && printf 'FROM hello-world\\nLABEL lesson=one\\n' > Dockerfile \
             && docker build -q -t mine . >/dev/null && docker run --rm mine | head -2 | tail -1 \
             && docker image inspect mine --format 'label={{.Config.Labels.lesson}}'\r",
        )
        .await;
    socket.wait_for_output(1, "label=one").await;
    let text = socket.output[&1].clone();
    assert!(text.contains("Hello from Docker"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn nodes_of_a_session_reach_each_other_by_name_and_can_be_added_and_removed() {
    let server = TestServer::start("nodes").await;
    let session = server
        .create(&CreateSession {
            nodes: Some(2),
            profile: Some(Profile::Shell),
        })
        .await;
    let id = session.session.id.clone();
    let mut socket = server.shell(&session).await;
    socket
        .type_in(
            1,
            "ping -c1 -W2 node2 >/dev/null && echo reached-$((1+1))\r",
        )
        .await;
    socket.wait_for_output(1, "reached-2").await;

    let added = server.as_owner(Method::POST, &session, "/nodes").await;
    assert_eq!(added.status(), 201);
    let node: NodeInfo = added.json().await.unwrap();
    assert_eq!(node.name, "node3");
    let updated = socket
        .next_message(|m| matches!(m, ServerMsg::SessionUpdated { .. }))
        .await;
    assert!(
        matches!(updated, ServerMsg::SessionUpdated { ref session } if session.nodes.len() == 3),
        "{updated:?}"
    );
    socket
        .type_in(
            1,
            "ping -c1 -W2 node3 >/dev/null && echo reached-$((1+2))\r",
        )
        .await;
    socket.wait_for_output(1, "reached-3").await;

    let removed = server
        .as_owner(Method::DELETE, &session, "/nodes/node2")
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(containers_labelled("quai.session", &id).await.len(), 2);
    let info: SessionInfo = server
        .as_owner(Method::GET, &session, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        info.nodes
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["node1", "node3"]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_session_has_at_most_five_nodes_and_keeps_at_least_one() {
    let server = TestServer::start("nodelimit").await;
    let session = server
        .create(&CreateSession {
            nodes: Some(5),
            profile: Some(Profile::Shell),
        })
        .await;
    let sixth = server.as_owner(Method::POST, &session, "/nodes").await;
    assert_eq!(sixth.status(), 409);
    let body: ApiError = sixth.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::NodeLimit);
    for n in 2..=5 {
        let removed = server
            .as_owner(Method::DELETE, &session, &format!("/nodes/node{n}"))
            .await;
        assert_eq!(removed.status(), 204);
    }
    let last = server
        .as_owner(Method::DELETE, &session, "/nodes/node1")
        .await;
    assert_eq!(last.status(), 400);
    let body: ApiError = last.json().await.unwrap();
    assert!(
        body.message.contains("at least one node"),
        "{}",
        body.message
    );
    server.stop().await;
}
