//! Sessions outlive the server: the real `quai serve` binary is killed with SIGKILL (and
//! later stopped with SIGTERM) while three sessions run (a lesson half done, a shell with a
//! background job, a docker node running a container), then started again on the same port
//! and database. Each session answers with the same id and token, the same terminal still
//! lists its job, the container still runs, lesson progress and the end time are kept, and
//! nothing is duplicated or leaked; `quai sessions end --all` then removes everything.

mod common;

use std::path::Path;
use std::process::Command;

use common::served::{sessions_command, Cleanup, Launch, Served};
use common::{containers_labelled, networks_labelled, unique_instance, TestServer};
use quai_protocol::{
    CheckResult, CheckStep, CreateSession, LessonStarted, LessonView, Profile, SessionCreated,
    SessionInfo,
};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    if path.extension().is_some_and(|e| e == "sh") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A lesson of two checked steps: make /root/one, then /root/two.
fn two_step_lesson(root: &Path) {
    let dir = root.join("two-steps");
    write(
        &dir.join("lesson.toml"),
        "profile = \"shell\"\n[title]\nen = \"Two steps\"\n",
    );
    write(&dir.join("intro.en.md"), "# Intro\n");
    write(&dir.join("finish.en.md"), "# End\n");
    for (n, name) in [(1, "one"), (2, "two")] {
        write(
            &dir.join(format!("steps/0{n}-{name}.en.md")),
            &format!("# Make {name}\n"),
        );
        write(
            &dir.join(format!("steps/0{n}-{name}.verify.sh")),
            &format!("#!/bin/bash\ntest -f /root/{name} || {{ echo 'No {name} yet.'; exit 1; }}\n"),
        );
        write(
            &dir.join(format!("steps/0{n}-{name}.solution.sh")),
            &format!("#!/bin/bash\ntouch /root/{name}\n"),
        );
    }
}

const STUDENT: &str = "0123456789abcdef0123456789abcdef";

async fn info(server: &TestServer, created: &SessionCreated) -> SessionInfo {
    let response = server
        .http
        .get(server.url(&format!("/api/sessions/{}", created.session.id)))
        .bearer_auth(&created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the session is gone");
    response.json().await.unwrap()
}

async fn passed_steps(server: &TestServer) -> Vec<u16> {
    let view: LessonView = server
        .http
        .get(server.url("/api/lessons/two-steps"))
        .header("cookie", format!("quai_student={STUDENT}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view.passed
}

/// What the three sessions look like from outside, to compare across restarts.
struct Three {
    lesson: SessionCreated,
    shell: SessionCreated,
    docker: SessionCreated,
}

/// After a restart: every session as it was, its terminal's shell the same one.
async fn all_there(server: &TestServer, three: &Three, before: &[SessionInfo; 3], round: &str) {
    for (created, was) in [&three.lesson, &three.shell, &three.docker]
        .into_iter()
        .zip(before)
    {
        let now = info(server, created).await;
        assert_eq!(now.id, was.id);
        assert_eq!(now.expires_at, was.expires_at, "the end time moved");
        assert_eq!(now.lesson, was.lesson);
        assert_eq!(now.nodes, was.nodes);
        assert_eq!(
            now.terminals, was.terminals,
            "terminals were not taken back"
        );
    }
    assert_eq!(passed_steps(server).await, vec![1], "lesson progress lost");

    // The same shell: its background job is still there, and so is what it printed.
    let mut shell = server.socket(&three.shell).await;
    shell.hello().await;
    shell
        .send(&quai_protocol::ClientMsg::OpenTerminal {
            term: 1,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    shell.wait_for_output(1, "before-the-kill").await;
    shell.wait_for_output(1, "scrolled-42").await;
    let screen = shell.run(1, &format!("jobs; echo {round}-$((6*7))")).await;
    assert!(screen.contains("sleep 4242"), "{screen}");
    assert!(screen.contains(&format!("{round}-42")), "{screen}");

    // The docker node's container still runs.
    let mut docker = server.socket(&three.docker).await;
    docker.hello().await;
    docker.open_shell(1).await;
    let ps = docker.run(1, "docker ps --format 'up:{{.Names}}'").await;
    assert!(ps.contains("up:keepme"), "{ps}");

    // The lesson goes on: step 2 can be checked, and passes once done.
    let mut lesson = server.socket(&three.lesson).await;
    lesson.hello().await;
    lesson.open_shell(1).await;
    lesson.run(1, "rm -f /root/two").await;
    let check = check(server, &three.lesson, 2).await;
    assert!(!check.passed, "{}", check.output);
    assert!(check.output.contains("No two yet."), "{}", check.output);
}

async fn check(server: &TestServer, created: &SessionCreated, step: u16) -> CheckResult {
    let response = server
        .http
        .post(server.url(&format!("/api/sessions/{}/check", created.session.id)))
        .bearer_auth(&created.token)
        .header("cookie", format!("quai_student={STUDENT}"))
        .json(&CheckStep { step })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response.json().await.unwrap()
}

#[tokio::test]
async fn sessions_survive_a_killed_server_and_a_graceful_restart() {
    let lessons = tempfile::tempdir().unwrap();
    two_step_lesson(lessons.path());
    let instance = unique_instance("restart");
    let database = std::env::temp_dir().join(format!("quai-restart-{instance}.db"));
    let _cleanup = Cleanup {
        instance: instance.clone(),
        database: database.clone(),
    };
    let served = Served::spawn(Launch::new(&instance, &database, lessons.path()));
    let server = served.client().await;

    // A lesson half done: step 1 passed.
    let response = server
        .http
        .post(server.url("/api/lessons/two-steps/start"))
        .header("cookie", format!("quai_student={STUDENT}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let started: LessonStarted = response.json().await.unwrap();
    let lesson = started.created;
    let mut socket = server.socket(&lesson).await;
    socket.hello().await;
    socket.open_shell(1).await;
    socket.run(1, "touch /root/one").await;
    assert!(check(&server, &lesson, 1).await.passed);

    // A shell with a background job.
    let shell = server.create_session().await;
    let mut socket = server.socket(&shell).await;
    socket.hello().await;
    socket.open_shell(1).await;
    // What scrolled off the screen comes back too, from the keeper's history.
    socket
        .run(
            1,
            "echo scrolled-$((40+2)); seq 1 60; sleep 4242 & echo before-the-kill",
        )
        .await;

    // A docker node running a container.
    let docker = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    let mut socket = server.socket(&docker).await;
    socket.hello().await;
    socket.open_shell(1).await;
    let run = socket
        .run(
            1,
            "tar -chf - /bin/sleep $(ldd /bin/sleep | grep -o '/[^ ]*') 2>/dev/null \
             | docker import - sleeper >/dev/null \
             && docker run -d --name keepme sleeper /bin/sleep 1d >/dev/null \
             && echo started-$((1+1))",
        )
        .await;
    assert!(run.contains("started-2"), "{run}");
    drop(socket);

    let three = Three {
        lesson,
        shell,
        docker,
    };
    let before = [
        info(&server, &three.lesson).await,
        info(&server, &three.shell).await,
        info(&server, &three.docker).await,
    ];
    let containers = containers_labelled("quai.instance", &instance).await;
    let networks = networks_labelled("quai.instance", &instance).await;
    assert_eq!(containers.len(), 3);

    // kill -9, and start again.
    let launch = served.kill_9();
    let served = Served::spawn(launch);
    let server = served.client().await;
    all_there(&server, &three, &before, "after-kill").await;
    let mut same = containers_labelled("quai.instance", &instance).await;
    let mut was = containers.clone();
    same.sort();
    was.sort();
    assert_eq!(same, was, "containers were made again or left behind");
    assert_eq!(
        networks_labelled("quai.instance", &instance).await.len(),
        networks.len()
    );

    // A graceful stop keeps them too.
    let launch = served.terminate();
    assert_eq!(
        containers_labelled("quai.instance", &instance).await.len(),
        3,
        "SIGTERM ended sessions instead of keeping them"
    );
    let listed = sessions_command(&instance, &database, &["list"]);
    assert!(listed.contains(&three.shell.session.id), "{listed}");
    assert!(listed.contains("two-steps"), "{listed}");
    let served = Served::spawn(launch.clone());
    let server = served.client().await;
    all_there(&server, &three, &before, "after-term").await;
    assert_eq!(
        containers_labelled("quai.instance", &instance).await.len(),
        3
    );

    // Ending every session is an explicit command, for a stopped server.
    let _ = served.terminate();
    let ended = sessions_command(&instance, &database, &["end", "--all"]);
    assert!(ended.contains("3 sessions ended"), "{ended}");
    assert!(containers_labelled("quai.instance", &instance)
        .await
        .is_empty());
    assert!(networks_labelled("quai.instance", &instance)
        .await
        .is_empty());
    let listed = sessions_command(&instance, &database, &["list"]);
    assert!(listed.contains("0 sessions kept"), "{listed}");
    // A server started now finds nothing to take back, and the firewall rules of the
    // instance go with its leftovers.
    let served = Served::spawn(launch);
    let server = served.client().await;
    let health: quai_protocol::Health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health.sessions, 0);
    drop(served);
}

#[tokio::test]
async fn sessions_whose_containers_died_or_time_ran_out_while_the_server_was_away_end() {
    let instance = unique_instance("adopt");
    let start = |instance: &str| {
        let mut config = quai::Config::for_tests(instance);
        config.on_shutdown = quai::config::OnShutdown::Keep;
        config
    };
    let first = TestServer::start_with("adopt", |c| *c = start(&instance)).await;
    let kept = first.create_session().await;
    let lost = first.create_session().await;
    let expired = first.create_session().await;
    for created in [&kept, &lost, &expired] {
        let mut socket = first.shell(created).await;
        socket.run(1, "echo here").await;
    }
    // The kept session has a second terminal, whose shell will end while the server is away.
    let mut socket = first.shell(&kept).await;
    socket.open_shell(2).await;
    drop(socket);
    let database = quai::Config::for_tests(&instance).database;
    let mut first = first;
    first
        .server
        .take()
        .unwrap()
        .shutdown_with(quai::config::OnShutdown::Keep)
        .await;

    // While the server is away: one session's container goes, another's time runs out.
    let lost_node = containers_labelled("quai.session", &lost.session.id).await;
    assert_eq!(lost_node.len(), 1);
    let docker = bollard::Docker::connect_with_defaults().unwrap();
    docker
        .remove_container(
            &lost_node[0],
            Some(bollard::container::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    let store = quai::store::Store::open(&database).unwrap();
    let id = expired.session.id.clone();
    store
        .call_now(move |db| {
            db.execute(
                "UPDATE sessions SET expires_at = 1 WHERE id = ?1",
                [id.as_str()],
            )
        })
        .unwrap();
    drop(store);
    let kept_node = containers_labelled("quai.session", &kept.session.id).await;
    let killed = Command::new("docker")
        .args([
            "exec",
            &kept_node[0],
            "/usr/local/lib/quai/quai-keeper",
            "end",
            "2",
        ])
        .status()
        .unwrap();
    assert!(killed.success());

    let second = TestServer::start_with("adopt", |c| *c = start(&instance)).await;
    let gone = |created: &SessionCreated| {
        second
            .http
            .get(second.url(&format!("/api/sessions/{}", created.session.id)))
            .bearer_auth(&created.token)
            .send()
    };
    assert_eq!(gone(&lost).await.unwrap().status(), 404);
    assert_eq!(gone(&expired).await.unwrap().status(), 404);
    assert_eq!(gone(&kept).await.unwrap().status(), 200);
    // Nothing of the two is left on the engine, and a forged token finds nothing either.
    for created in [&lost, &expired] {
        assert!(networks_labelled("quai.session", &created.session.id)
            .await
            .is_empty());
        assert!(containers_labelled("quai.session", &created.session.id)
            .await
            .is_empty());
    }
    let forged = second
        .http
        .get(second.url(&format!("/api/sessions/{}", kept.session.id)))
        .bearer_auth(&lost.token)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    let info: SessionInfo = gone(&kept).await.unwrap().json().await.unwrap();
    let terms: Vec<u16> = info.terminals.iter().map(|t| t.term).collect();
    assert_eq!(terms, vec![1], "a terminal whose shell ended came back");
    let mut socket = second.shell(&kept).await;
    let out = socket.run(1, "echo still-$((2+3))").await;
    assert!(out.contains("still-5"), "{out}");
    // This test's servers keep their sessions when they stop; the last one ends them.
    let mut second = second;
    second
        .server
        .take()
        .unwrap()
        .shutdown_with(quai::config::OnShutdown::End)
        .await;
    assert!(containers_labelled("quai.instance", &instance)
        .await
        .is_empty());
    drop(first);
}
