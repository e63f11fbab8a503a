//! Who may hold places, against the real engine: one client holds a few playgrounds at most
//! (its address behind a trusted proxy, never one it names itself), listed networks are
//! exempt, a session nobody opens is reclaimed, a client that leaves halfway through a
//! creation leaves nothing behind, and the engine is swept for objects of no known session.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::{
    containers_labelled, networks_labelled, unique_instance, Stall, Stalled, TestServer, PATIENCE,
};
use quai::runtime::{labels, DockerRuntime};
use quai::Config;
use quai_protocol::{ApiError, CreateSession, ErrorCode, Profile, SessionCreated};

/// Polls `check` every 200 ms until it holds, for at most `PATIENCE`.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const SHELL: CreateSession = CreateSession {
    nodes: Some(1),
    profile: Some(Profile::Shell),
};

async fn create_as(server: &TestServer, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = server.http.post(server.url("/api/sessions")).json(&SHELL);
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn one_client_holds_at_most_its_allowance_of_playgrounds() {
    let server = TestServer::start_with("per-client", |c| {
        c.max_sessions_per_client = 2;
    })
    .await;
    let first: SessionCreated = create_as(&server, None).await.json().await.unwrap();
    assert_eq!(create_as(&server, None).await.status(), 201);
    let refused = create_as(&server, None).await;
    assert_eq!(refused.status(), 429);
    let body: ApiError = refused.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::RateLimited);
    assert!(
        body.message.contains("2 playgrounds running") && body.message.contains("end one"),
        "{}",
        body.message
    );
    // A client naming another address in X-Forwarded-For is still itself: no proxy is trusted.
    assert_eq!(create_as(&server, Some("192.0.2.77")).await.status(), 429);
    // Ending one gives its place back.
    let ended = server
        .as_owner(reqwest::Method::DELETE, &first, "")
        .await
        .status();
    assert_eq!(ended, 204);
    assert_eq!(create_as(&server, None).await.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_counted_apart_and_listed_networks_are_exempt() {
    let server = TestServer::start_with("behind-proxy", |c| {
        c.max_sessions_per_client = 1;
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.exempt_networks = vec!["198.51.100.0/24".into()];
    })
    .await;
    // Two students behind the proxy: one place each.
    assert_eq!(create_as(&server, Some("192.0.2.1")).await.status(), 201);
    assert_eq!(create_as(&server, Some("192.0.2.2")).await.status(), 201);
    assert_eq!(create_as(&server, Some("192.0.2.1")).await.status(), 429);
    // IPv6: one /64 is one client.
    assert_eq!(
        create_as(&server, Some("2001:db8:5:6::1")).await.status(),
        201
    );
    assert_eq!(
        create_as(&server, Some("2001:db8:5:6::99")).await.status(),
        429
    );
    // A school's network, one NAT address for a whole room: not limited per client.
    for _ in 0..3 {
        assert_eq!(
            create_as(&server, Some("198.51.100.20")).await.status(),
            201
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_session_nobody_opens_is_reclaimed_and_one_opened_is_kept() {
    let server = TestServer::start_with("unclaimed", |c| c.unclaimed_timeout = 3).await;
    let forgotten = server.create_session().await;
    let opened = server.create_session().await;
    let status = server
        .as_owner(reqwest::Method::GET, &opened, "")
        .await
        .status();
    assert_eq!(status, 200);
    let state = server.server.as_ref().unwrap().state.clone();
    eventually(
        "the unclaimed session to end and its containers to go",
        async || {
            state
                .sessions
                .get(&forgotten.session.id, &forgotten.token)
                .is_err()
                && containers_labelled(labels::SESSION, &forgotten.session.id)
                    .await
                    .is_empty()
        },
    )
    .await;
    assert!(
        state
            .sessions
            .get(&opened.session.id, &opened.token)
            .is_ok(),
        "the session its owner opened is kept"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_leaving_halfway_through_a_creation_leaves_nothing_behind() {
    let instance = unique_instance("left-halfway");
    let mut config = Config::for_tests(&instance);
    config.unclaimed_timeout = 2;
    let stalled = Arc::new(Stalled::new(
        DockerRuntime::connect(&instance)
            .unwrap()
            .with_subnets(config.subnet_range())
            .unwrap(),
        Stall::CreateNode,
        0,
    ));
    let (entered, gate) = (stalled.entered.clone(), stalled.gate.clone());
    let server = TestServer::start_on(config, stalled.engine()).await;
    let http = server.http.clone();
    let url = server.url("/api/sessions");
    let request = tokio::spawn(async move { http.post(url).json(&SHELL).send().await });
    // The network is made and the node waits: the client goes away now.
    entered.notified().await;
    assert_eq!(
        networks_labelled(labels::INSTANCE, &instance).await.len(),
        1
    );
    request.abort();
    let _ = request.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    gate.add_permits(1);
    // What was begun is finished, then reclaimed: nobody came for it.
    eventually(
        "the abandoned session's network and node to go",
        async || {
            networks_labelled(labels::INSTANCE, &instance)
                .await
                .is_empty()
                && containers_labelled(labels::INSTANCE, &instance)
                    .await
                    .is_empty()
        },
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn the_engine_is_swept_of_objects_that_no_known_session_owns() {
    let server = TestServer::start_with("sweep", |c| c.sweep_every = 1).await;
    let instance = server.instance.clone();
    let live = server.create_session().await;
    // What a crashed creation, or another run of this instance, could leave.
    let docker = bollard::Docker::connect_with_local_defaults().unwrap();
    let orphan = "0123456789abcdef0123456789abcdef";
    let name = format!("quai-orphan-{}", &instance[instance.len() - 8..]);
    let labels = HashMap::from([
        (labels::MANAGED, "true"),
        (labels::INSTANCE, instance.as_str()),
        (labels::SESSION, orphan),
    ]);
    docker
        .create_network(bollard::network::CreateNetworkOptions {
            name: name.as_str(),
            labels,
            ..Default::default()
        })
        .await
        .unwrap();
    eventually("the orphan network to be swept", async || {
        networks_labelled(labels::SESSION, orphan).await.is_empty()
    })
    .await;
    // The live session was left alone.
    let mut socket = server.shell(&live).await;
    let out = socket.run(1, "echo alive").await;
    assert!(out.contains("alive"), "{out}");
    assert_eq!(
        networks_labelled(labels::SESSION, &live.session.id)
            .await
            .len(),
        1
    );
    server.stop().await;
}
