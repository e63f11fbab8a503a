//! Lessons against the real engine: the catalog and pages in both languages, starting a lesson
//! (assets, setup), checks that fail with a hint then pass, steps locked in order, progress
//! kept per student, Killercoda scenarios run unchanged, broken lessons left out, missing
//! images refused — and every shipped lesson played step by step: each check fails before its
//! solution and passes after.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::TestServer;
use quai_protocol::{
    ApiError, CheckResult, ErrorCode, Lang, LessonStarted, LessonSummary, LessonView, Student,
};
use reqwest::header::{COOKIE, SET_COOKIE};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    if path.extension().is_some_and(|e| e == "sh") {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A folder of fixture lessons: a good one (shell, 2 steps, step 2 in English only, an asset,
/// setup scripts), one needing an image nobody has, a broken one, and a Killercoda scenario.
fn fixture_lessons() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("hello");
    write(
        &good.join("lesson.toml"),
        r#"order = 1
duration = 5
profile = "shell"
nodes = 1

[title]
en = "Hello files"
fr = "Bonjour les fichiers"

[summary]
en = "Make a file."
fr = "Créer un fichier."

[[assets]]
source = "assets/greeting.txt"
target = "/root/greeting.txt"
"#,
    );
    write(&good.join("assets/greeting.txt"), "hello from the lesson\n");
    write(&good.join("setup.sh"), "echo ready > /tmp/lesson-setup\n");
    write(&good.join("intro.en.md"), "# Welcome\n\nLet's go.\n");
    write(&good.join("intro.fr.md"), "# Bienvenue\n\nC'est parti.\n");
    write(&good.join("finish.en.md"), "# Done\n");
    write(&good.join("finish.fr.md"), "# Fini\n");
    write(
        &good.join("steps/01-make.en.md"),
        "# Make a file\n\n```bash run\ntouch /tmp/made\n```\n",
    );
    write(
        &good.join("steps/01-make.fr.md"),
        "# Créer un fichier\n\n```bash run\ntouch /tmp/made\n```\n",
    );
    write(
        &good.join("steps/01-make.verify.sh"),
        "#!/bin/bash\ntest -f /tmp/made || { echo 'No /tmp/made yet. / Pas encore de /tmp/made.'; exit 1; }\n",
    );
    write(
        &good.join("steps/01-make.solution.sh"),
        "#!/bin/bash\ntouch /tmp/made\n",
    );
    write(
        &good.join("steps/02-copy.en.md"),
        "# Copy it\n\n```bash run\ncp /tmp/step2-ready /tmp/copied\n```\n",
    );
    write(
        &good.join("steps/02-copy.setup.sh"),
        "#!/bin/bash\necho opened > /tmp/step2-ready\n",
    );
    write(
        &good.join("steps/02-copy.verify.sh"),
        "#!/bin/bash\ngrep -q opened /tmp/copied && grep -q 'hello from the lesson' /root/greeting.txt && grep -q ready /tmp/lesson-setup\n",
    );
    write(
        &good.join("steps/02-copy.solution.sh"),
        "#!/bin/bash\ncp /tmp/step2-ready /tmp/copied\n",
    );

    let needy = root.path().join("needs-image");
    write(
        &needy.join("lesson.toml"),
        "order = 2\nprofile = \"docker\"\nimages = [\"nowhere-to-be-found:1\"]\n[title]\nen = \"Needs an image\"\n",
    );
    write(&needy.join("intro.en.md"), "# Intro\n");
    write(&needy.join("finish.en.md"), "# End\n");
    write(&needy.join("steps/01-a.en.md"), "# A\n");

    let broken = root.path().join("broken");
    write(
        &broken.join("lesson.toml"),
        "order = 3\n[title\nen = \"x\"\n",
    );

    let kc = root.path().join("killercoda");
    write(
        &kc.join("index.json"),
        r#"{"title": "A Killercoda scenario", "description": "Runs unchanged",
  "details": {"intro": {"text": "intro.md"},
    "steps": [{"title": "Touch", "text": "step1/text.md", "verify": "step1/verify.sh"}],
    "finish": {"text": "finish.md"}},
  "backend": {"imageid": "ubuntu"}}"#,
    );
    write(&kc.join("intro.md"), "Hi.\n");
    write(&kc.join("finish.md"), "Bye.\n");
    write(&kc.join("step1/text.md"), "`touch /root/kc`{{exec}}\n");
    write(
        &kc.join("step1/verify.sh"),
        "#!/bin/bash\ntest -f /root/kc && echo done\n",
    );
    root
}

/// An HTTP client that keeps one student's cookie, as a browser does.
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Browser { cookie: None }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie.clone()),
            None => request,
        };
        let response = request.send().await.unwrap();
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            if let Some(pair) = value
                .split(';')
                .next()
                .filter(|p| p.starts_with("quai_student="))
            {
                self.cookie = Some(pair.to_string());
            }
        }
        response
    }
}

async fn check(
    server: &TestServer,
    student: &mut Browser,
    started: &LessonStarted,
    step: u16,
) -> Result<CheckResult, (u16, ApiError)> {
    let created = &started.created;
    let response = student
        .send(
            server
                .http
                .post(server.url(&format!("/api/sessions/{}/check", created.session.id)))
                .bearer_auth(&created.token)
                .json(&quai_protocol::CheckStep { step }),
        )
        .await;
    let status = response.status().as_u16();
    if status == 200 {
        Ok(response.json().await.unwrap())
    } else {
        Err((status, response.json().await.unwrap()))
    }
}

async fn start(server: &TestServer, student: &mut Browser, slug: &str) -> LessonStarted {
    let response = student
        .send(
            server
                .http
                .post(server.url(&format!("/api/lessons/{slug}/start"))),
        )
        .await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "starting {slug}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Runs `script` in `node` of the lesson's session the way a student would type it.
async fn run_in_node(
    server: &TestServer,
    started: &LessonStarted,
    node: &str,
    script: &str,
) -> (Option<i64>, String) {
    common::exec_in_node(server, &started.created, node, script, &[]).await
}

#[tokio::test]
async fn a_student_reads_a_lesson_in_their_language_checks_steps_and_keeps_progress() {
    let lessons = fixture_lessons();
    let root = lessons.path().to_path_buf();
    let server = TestServer::start_with("lessons-api", |c| c.lessons_dir = root).await;
    let mut ada = Browser::new();

    // The catalog, in French: the broken lesson is left out, the others are listed.
    let response = ada
        .send(server.http.get(server.url("/api/lessons?lang=fr")))
        .await;
    assert_eq!(response.status(), 200);
    assert!(ada.cookie.is_some(), "a new student gets a cookie");
    let catalog: Vec<LessonSummary> = response.json().await.unwrap();
    let slugs: Vec<&str> = catalog.iter().map(|l| l.slug.as_str()).collect();
    assert_eq!(slugs, ["hello", "needs-image", "killercoda"]);
    assert_eq!(catalog[0].title, "Bonjour les fichiers");
    assert_eq!(catalog[0].lang, Lang::Fr);
    assert_eq!(catalog[0].langs, [Lang::En], "step 2 has no French page");
    assert_eq!(catalog[1].missing_images, ["nowhere-to-be-found:1"]);

    // The lesson's pages: step 2 falls back to English and says so.
    let view: LessonView = ada
        .send(server.http.get(server.url("/api/lessons/hello?lang=fr")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.intro.title, "Bienvenue");
    assert_eq!(view.steps[0].page.lang, Lang::Fr);
    assert_eq!(view.steps[1].page.lang, Lang::En);
    assert!(view.steps[0].page.html.contains(
        "<pre class=\"quai-run\"><code class=\"language-bash\">touch /tmp/made</code></pre>"
    ));
    let english: LessonView = ada
        .send(
            server
                .http
                .get(server.url("/api/lessons/hello"))
                .header("accept-language", "en-GB,en;q=0.8"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(english.intro.title, "Welcome");

    // A lesson whose image is missing refuses to start and names it.
    let response = ada
        .send(
            server
                .http
                .post(server.url("/api/lessons/needs-image/start")),
        )
        .await;
    assert_eq!(response.status(), 409);
    let err: ApiError = response.json().await.unwrap();
    assert_eq!(err.code, ErrorCode::Lesson);
    assert!(
        err.message.contains("nowhere-to-be-found:1"),
        "{}",
        err.message
    );
    let response = ada
        .send(server.http.post(server.url("/api/lessons/broken/start")))
        .await;
    assert_eq!(response.status(), 404);

    // Start: the session runs the lesson; the check fails with its hint first.
    let started = start(&server, &mut ada, "hello").await;
    assert_eq!(started.created.session.lesson.as_deref(), Some("hello"));
    // The lesson's own node cannot be removed under it.
    let response = server
        .http
        .delete(server.url(&format!(
            "/api/sessions/{}/nodes/node1",
            started.created.session.id
        )))
        .bearer_auth(&started.created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let failed = check(&server, &mut ada, &started, 1).await.unwrap();
    assert!(!failed.passed);
    assert_eq!(
        failed.output,
        "No /tmp/made yet. / Pas encore de /tmp/made."
    );
    assert!(failed.passed_steps.is_empty());
    let (status, locked) = check(&server, &mut ada, &started, 2).await.unwrap_err();
    assert_eq!((status, locked.code), (409, ErrorCode::Lesson));
    assert!(locked.message.contains("step 1"), "{}", locked.message);

    // The student does step 1; it passes, and step 2 (which needs its setup) then passes.
    let (code, _) = run_in_node(&server, &started, "node1", "touch /tmp/made").await;
    assert_eq!(code, Some(0));
    let passed = check(&server, &mut ada, &started, 1).await.unwrap();
    assert!(passed.passed, "{}", passed.output);
    assert_eq!(passed.passed_steps, [1]);
    let (code, out) = run_in_node(
        &server,
        &started,
        "node1",
        "cp /tmp/step2-ready /tmp/copied",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    let passed = check(&server, &mut ada, &started, 2).await.unwrap();
    assert!(passed.passed, "{}", passed.output);
    assert_eq!(passed.passed_steps, [1, 2]);

    // Progress is the student's: kept in the catalog, unknown to another browser.
    let catalog: Vec<LessonSummary> = ada
        .send(server.http.get(server.url("/api/lessons")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalog[0].passed, 2);
    let mut bob = Browser::new();
    let catalog: Vec<LessonSummary> = bob
        .send(server.http.get(server.url("/api/lessons")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalog[0].passed, 0);

    // Bob cannot check Ada's session.
    let response = bob
        .send(
            server
                .http
                .post(server.url(&format!(
                    "/api/sessions/{}/check",
                    started.created.session.id
                )))
                .json(&quai_protocol::CheckStep { step: 1 }),
        )
        .await;
    assert_eq!(response.status(), 404);

    // Bad requests get a sentence.
    let (status, err) = check(&server, &mut ada, &started, 9).await.unwrap_err();
    assert_eq!(status, 400);
    assert!(err.message.contains("steps 1 to 2"), "{}", err.message);

    // A display name, optional and bounded.
    let me: Student = ada
        .send(server.http.put(server.url("/api/me")).json(&Student {
            name: Some("Ada".into()),
        }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.name.as_deref(), Some("Ada"));
    let me: Student = ada
        .send(server.http.get(server.url("/api/me")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.name.as_deref(), Some("Ada"));
    let response = ada
        .send(server.http.put(server.url("/api/me")).json(&Student {
            name: Some("x".repeat(41)),
        }))
        .await;
    assert_eq!(response.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn a_killercoda_scenario_runs_unchanged_with_its_done_convention() {
    let lessons = fixture_lessons();
    let root = lessons.path().to_path_buf();
    let server = TestServer::start_with("lessons-kc", |c| c.lessons_dir = root).await;
    let mut student = Browser::new();
    let view: LessonView = student
        .send(server.http.get(server.url("/api/lessons/killercoda")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.steps[0].page.title, "Touch");
    assert!(
        view.steps[0]
            .page
            .html
            .contains("<code class=\"quai-run\">touch /root/kc</code>"),
        "{}",
        view.steps[0].page.html
    );
    let started = start(&server, &mut student, "killercoda").await;
    let result = check(&server, &mut student, &started, 1).await.unwrap();
    assert!(!result.passed);
    run_in_node(&server, &started, "node1", "touch /root/kc").await;
    let result = check(&server, &mut student, &started, 1).await.unwrap();
    assert!(result.passed, "{}", result.output);
    assert_eq!(
        result.output, "",
        "the `done` line is the convention, not a hint"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_edited_lesson_is_served_at_once_with_watch_lessons() {
    let lessons = fixture_lessons();
    let root = lessons.path().to_path_buf();
    let server = TestServer::start_with("lessons-watch", |c| {
        c.lessons_dir = root;
        c.watch_lessons = true;
    })
    .await;
    let mut student = Browser::new();
    write(
        &lessons.path().join("hello/intro.en.md"),
        "# Welcome back\n\nEdited.\n",
    );
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let view: LessonView = student
            .send(server.http.get(server.url("/api/lessons/hello?lang=en")))
            .await
            .json()
            .await
            .unwrap();
        if view.intro.title == "Welcome back" {
            break;
        }
        assert!(Instant::now() < deadline, "the edit was never served");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Breaking the lesson leaves it out, and fixing it brings it back.
    write(&lessons.path().join("hello/lesson.toml"), "[title\n");
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let status = student
            .send(server.http.get(server.url("/api/lessons/hello")))
            .await
            .status();
        if status == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "the broken lesson stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

/// Every lesson in lessons/: start it as a student would, then for each step in order, its
/// check must fail, its solution must run, and its check must then pass.
#[tokio::test]
async fn every_shipped_lesson_check_fails_before_its_solution_and_passes_after() {
    let server = TestServer::start_with("lessons-all", |c| c.local_registry = true).await;
    let state = server.server.as_ref().unwrap().state.clone();
    let catalog = state.lessons.catalog();
    let problems: Vec<String> = catalog
        .problems
        .iter()
        .filter(|p| p.severity == quai::lessons::Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(!catalog.lessons.is_empty(), "no lessons were found");
    let mut student = Browser::new();
    let mut failures = Vec::new();
    for lesson in &catalog.lessons {
        let began = Instant::now();
        let started = start(&server, &mut student, &lesson.slug).await;
        for step in &lesson.steps {
            let (Some(verify), Some(solution)) = (&step.verify, &step.solution) else {
                continue;
            };
            let name = format!("{} step {}", lesson.slug, step.number);
            let before = check(&server, &mut student, &started, step.number).await;
            match before {
                Ok(result) if result.passed => {
                    failures.push(format!(
                        "{name}: its check passes before its solution ran ({})",
                        verify.path.display()
                    ));
                }
                Ok(_) => {}
                Err((status, err)) => failures.push(format!(
                    "{name}: check failed to run: {status} {}",
                    err.message
                )),
            }
            let (code, output) =
                run_in_node(&server, &started, &solution.node, &solution.body).await;
            if code != Some(0) {
                failures.push(format!(
                    "{name}: its solution exited {code:?}: {}",
                    output.trim()
                ));
            }
            match check(&server, &mut student, &started, step.number).await {
                Ok(result) if result.passed => {}
                Ok(result) => failures.push(format!(
                    "{name}: its check fails after its solution: {}",
                    result.output
                )),
                Err((status, err)) => failures.push(format!(
                    "{name}: check failed to run: {status} {}",
                    err.message
                )),
            }
        }
        eprintln!(
            "lesson {} played in {:.1} s",
            lesson.slug,
            began.elapsed().as_secs_f64()
        );
        let _ = state
            .sessions
            .end(&started.created.session.id, quai_protocol::EndReason::Ended)
            .await;
    }
    server.stop().await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Killercoda scenarios copied in unchanged (e2e/fixtures/scenarios): what Killercoda lets
/// pass is a warning of `quai lessons check`, and every scenario is ready.
#[test]
fn lessons_check_warns_of_what_killercoda_lets_pass_and_the_scenarios_are_ready() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/fixtures/scenarios");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quai"))
        .args(["lessons", "check", "--dir"])
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("not-shipped.sh") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(
        stdout.contains("2 lessons checked") && stdout.contains("2 ready, 0 with errors"),
        "{stdout}"
    );
}
