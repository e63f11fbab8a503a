//! Classes against the real Docker daemon: a class's seats are prepared before anyone joins,
//! a join takes a ready seat and gets a prompt at once, a rejoin from the same browser gets
//! the same seat, ending the class removes every container, and a restart of the server
//! keeps the class's seats (taken and ready).

mod common;

use std::time::Duration;

use common::{containers_labelled, TestServer};
use quai::config::OnShutdown;
use quai::runtime::Engine;
use quai_protocol::{NewClass, Profile, SessionCreated};

/// An instructor and a class of `seats` blank shell seats, starting now.
async fn class(server: &TestServer, seats: u32) -> quai::classes::Created {
    let state = &server.server.as_ref().unwrap().state;
    state.instructors.add("ada").await.unwrap();
    let ada = state.instructors.named("ada").await.unwrap().unwrap();
    let store = quai::store::Store::open(&state.config.database).unwrap();
    let new = NewClass {
        title: "Docker 101".into(),
        seats,
        profile: Some(Profile::Shell),
        ..NewClass::default()
    };
    let created = quai::classes::create(&store, &state.config.instance, &ada, new, &|_| None)
        .await
        .unwrap();
    state.classes.wake.notify_one();
    created
}

/// Waits until the instance runs `n` containers.
async fn until_containers(instance: &str, n: usize) {
    for _ in 0..600 {
        if containers_labelled("quai.instance", instance).await.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "instance {instance} never ran {n} containers (it runs {})",
        containers_labelled("quai.instance", instance).await.len()
    );
}

async fn join(server: &TestServer, code: &str, cookie: Option<&str>) -> (SessionCreated, String) {
    let mut request = server
        .http
        .post(server.url("/api/join"))
        .json(&serde_json::json!({"code": code, "name": "Grace"}));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_string)
        .collect();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    (response.json().await.unwrap(), cookies.join("; "))
}

#[tokio::test]
async fn a_class_prepares_its_seats_before_anyone_joins_and_ending_it_removes_every_container() {
    let server = TestServer::start("class-seats").await;
    let created = class(&server, 3).await;
    // Three seats, ready before any student came.
    until_containers(&server.instance, 3).await;
    let state = &server.server.as_ref().unwrap().state;
    // Containers exist a moment before their seats are recorded as ready.
    let mut ready = state.classes.info(&created.class).await.unwrap();
    for _ in 0..300 {
        if ready.ready == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = state.classes.info(&created.class).await.unwrap();
    }
    assert_eq!((ready.ready, ready.taken), (3, 0));

    let (seat, cookie) = join(&server, &created.class.code, None).await;
    // A ready seat was handed over: no fourth container.
    assert_eq!(
        containers_labelled("quai.instance", &server.instance)
            .await
            .len(),
        3
    );
    let mut socket = server.socket(&seat).await;
    socket.hello().await;
    socket.open_shell(1).await;
    socket.wait_for_prompt(1).await;
    // The same browser comes back: the same seat.
    let (again, _) = join(&server, &created.class.code, Some(&cookie)).await;
    assert_eq!(again.session.id, seat.session.id);

    state.classes.end(&created.class).await.unwrap();
    until_containers(&server.instance, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn a_restarted_server_keeps_a_class_s_seats() {
    let server = TestServer::start_with("class-restart", |config| {
        config.on_shutdown = OnShutdown::Keep;
    })
    .await;
    let created = class(&server, 2).await;
    until_containers(&server.instance, 2).await;
    let state = server.server.as_ref().unwrap().state.clone();
    for _ in 0..300 {
        if state.classes.info(&created.class).await.unwrap().ready == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (seat, _) = join(&server, &created.class.code, None).await;
    let config = {
        let state = &server.server.as_ref().unwrap().state;
        (*state.config).clone()
    };
    let mut server = server;
    server.server.take().unwrap().shutdown().await;
    assert_eq!(
        containers_labelled("quai.instance", &server.instance)
            .await
            .len(),
        2
    );

    let runtime = std::sync::Arc::new(
        quai::runtime::DockerRuntime::connect(&config.instance)
            .unwrap()
            .with_iptables(&config.iptables, &config.ip6tables)
            .with_subnets(config.subnet_range())
            .unwrap(),
    );
    let mut config = config;
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.preview_listen = None;
    let restarted = quai::Server::start(config, Engine::of(runtime))
        .await
        .unwrap();
    let state = restarted.state.clone();
    server.base = format!("http://{}", restarted.addr);
    server.server = Some(restarted);
    // Past the unclaimed timeout of an ordinary session, the ready seat is still held.
    let later = quai::session::unix_now() + state.config.unclaimed_timeout + 1;
    state.sessions.reap(later).await;
    let info = state.classes.info(&created.class).await.unwrap();
    assert_eq!((info.ready, info.taken), (1, 1));
    assert!(state.sessions.find(&seat.session.id).is_some());
    let mut socket = server.socket(&seat).await;
    socket.hello().await;
    socket.open_shell(1).await;
    socket.wait_for_prompt(1).await;

    state.classes.end(&created.class).await.unwrap();
    until_containers(&server.instance, 0).await;
    server.stop().await;
}
