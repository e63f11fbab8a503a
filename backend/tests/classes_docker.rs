//! Classes against the real Docker daemon: a class's seats are prepared before anyone joins,
//! a join takes a ready seat and gets a prompt at once, a rejoin from the same browser gets
//! the same seat, ending the class removes every container, a restart of the server keeps
//! the class's seats (taken and ready), and resetting a seat gives it fresh containers with
//! the same seat, session and progress.

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

#[tokio::test]
async fn resetting_a_seat_gives_fresh_containers_to_the_same_seat_and_keeps_its_progress() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/lessons");
    let server = TestServer::start_with("class-reset", |config| {
        config.lessons_dir = fixtures.into();
    })
    .await;
    let state = server.server.as_ref().unwrap().state.clone();
    state.instructors.add("ada").await.unwrap();
    let ada = state.instructors.named("ada").await.unwrap().unwrap();
    let store = quai::store::Store::open(&state.config.database).unwrap();
    let new = NewClass {
        title: "Quai basics".into(),
        seats: 1,
        lesson: Some("quai-basics".into()),
        ..NewClass::default()
    };
    let shape = |slug: &str| (slug == "quai-basics").then_some((Profile::Shell, 1));
    let created = quai::classes::create(&store, &state.config.instance, &ada, new, &shape)
        .await
        .unwrap();
    state.classes.wake.notify_one();
    until_containers(&server.instance, 1).await;
    let (seat, cookie) = join(&server, &created.class.code, None).await;
    let id = &seat.session.id;

    let mut socket = server.socket(&seat).await;
    socket.hello().await;
    socket.open_shell(1).await;
    socket.wait_for_prompt(1).await;
    socket.run(1, "touch /tmp/quai-ok /tmp/mine").await;
    let check = server
        .http
        .post(server.url(&format!("/api/sessions/{id}/check")))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"step": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 200);
    let check: quai_protocol::CheckResult = check.json().await.unwrap();
    assert!(check.passed, "{}", check.output);
    let before = containers_labelled("quai.instance", &server.instance).await;
    assert_eq!(before.len(), 1);
    let row = state.classes.roster(&created.class).await.unwrap().seats[0].clone();

    let reset = server
        .http
        .post(server.url(&format!(
            "/api/classes/{}/seats/{}/reset",
            created.class.id, row.seat
        )))
        .bearer_auth(&created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204, "{:?}", reset.text().await);
    // The page's socket is closed so that it connects again, to the fresh node.
    socket.until_closed().await;
    let after = containers_labelled("quai.instance", &server.instance).await;
    assert_eq!(after.len(), 1);
    assert!(
        after.iter().all(|c| !before.contains(c)),
        "{before:?} → {after:?}"
    );

    let mut socket = server.socket(&seat).await;
    socket.hello().await;
    socket.open_shell(1).await;
    socket.wait_for_prompt(1).await;
    let listed = socket
        .run(
            1,
            "ls /tmp/mine 2>&1 | wc -l; test -e /tmp/mine || echo fresh",
        )
        .await;
    assert!(listed.contains("fresh"), "{listed}");
    let again = state.classes.roster(&created.class).await.unwrap().seats[0].clone();
    assert_eq!(again.seat, row.seat);
    assert!(matches!(
        again.steps[0],
        quai_protocol::StepCell::Passed { .. }
    ));
    assert!(state.sessions.find(id).is_some());

    state.classes.end(&created.class).await.unwrap();
    until_containers(&server.instance, 0).await;
    server.stop().await;
}
