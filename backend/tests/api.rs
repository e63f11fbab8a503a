//! The HTTP API over an engine held in memory (`FakeRuntime`), with no Docker daemon: each
//! test builds the app as the server does, sends it requests as a browser would
//! (`app(state).oneshot(request)`), and checks what the server answered and what it asked of
//! the engine — places, per-client limits, tokens, malformed bodies, a dead engine, lesson
//! steps in order, and that an ended or failed session leaves nothing behind.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use quai::runtime::fake::{FakeRuntime, Op, Reply};
use quai::runtime::RuntimeError;
use quai::store::Store;
use quai::{app, AppState, Config};
use quai_protocol::{
    ApiError, CheckResult, CreateSession, ErrorCode, Health, LessonStarted, LessonSummary,
    NodeInfo, Profile, SessionCreated, SessionInfo,
};
use serde::de::DeserializeOwned;
use tower::ServiceExt;

/// A visitor's browser, another visitor's, and the server's own machine.
const BROWSER: &str = "192.0.2.10:50000";
const NEIGHBOUR: &str = "192.0.2.20:50000";
const LOOPBACK: &str = "127.0.0.1:50000";

/// The app over a fake engine, with the lessons of `write_lessons`.
struct Playground {
    state: AppState,
    engine: Arc<FakeRuntime>,
    _lessons: tempfile::TempDir,
}

/// What the server answered.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("{err}: the server answered {}", self.text()))
    }

    /// The error body, after checking the status.
    fn error(&self, status: StatusCode) -> ApiError {
        assert_eq!(self.status, status, "{}", self.text());
        self.json()
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The cookies it sets, as a browser sends them back (`name=value`).
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_string)
            .collect()
    }
}

impl Playground {
    /// A playground as the server starts it: the host firewall checked (in place).
    async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let playground = Self::before_firewall(tweak);
        assert!(
            quai::session::firewall::check(&playground.state.sessions, playground.engine.as_ref())
                .await
        );
        playground
    }

    /// A playground whose host firewall was not checked yet.
    fn before_firewall(tweak: impl FnOnce(&mut Config)) -> Self {
        let lessons = tempfile::tempdir().unwrap();
        write_lessons(lessons.path());
        let mut config = Config::for_tests("api");
        config.lessons_dir = lessons.path().to_path_buf();
        tweak(&mut config);
        let engine = Arc::new(FakeRuntime::new());
        let state = AppState::new(config, engine.clone(), Store::in_memory()).unwrap();
        Playground {
            state,
            engine,
            _lessons: lessons,
        }
    }

    /// Sends `method uri` from the browser at `from`, with `headers` and `body`.
    async fn send(
        &self,
        from: &str,
        method: Method,
        uri: &str,
        headers: &[(header::HeaderName, String)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "localhost");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut request = request.body(body.into()).unwrap();
        let peer: SocketAddr = from.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = app(self.state.clone()).oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: axum::body::to_bytes(body, usize::MAX).await.unwrap(),
        }
    }

    /// `POST /api/sessions` from `from`, asking for `nodes` shell nodes.
    async fn create(&self, from: &str, nodes: u8) -> Answer {
        let request = CreateSession {
            nodes: Some(nodes),
            profile: Some(Profile::Shell),
        };
        let body = serde_json::to_vec(&request).unwrap();
        self.send(from, Method::POST, "/api/sessions", &[], body)
            .await
    }

    /// A session of `nodes` shell nodes started from `from`.
    async fn created(&self, from: &str, nodes: u8) -> SessionCreated {
        let answer = self.create(from, nodes).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()
    }

    /// `method /api/sessions/{id}{path}` from the browser holding `cookie`.
    async fn on_session(
        &self,
        id: &str,
        cookie: &str,
        method: Method,
        path: &str,
        body: impl Into<Body>,
    ) -> Answer {
        let uri = format!("/api/sessions/{id}{path}");
        let cookie = [(header::COOKIE, cookie.to_string())];
        self.send(BROWSER, method, &uri, &cookie, body).await
    }

    /// `method /api/sessions/{id}{path}` as the session's owner (its cookie).
    async fn as_owner(&self, session: &SessionCreated, method: Method, path: &str) -> Answer {
        let id = &session.session.id;
        let cookie = format!("quai_{id}={}", session.token);
        self.on_session(id, &cookie, method, path, Body::empty())
            .await
    }
}

/// Writes a lesson folder `slug` under `root`: `toml`, English pages, and a step per
/// `(stem, verify script)`, each with a solution; and `setup.sh` when given.
fn write_lesson(root: &Path, slug: &str, toml: &str, steps: &[(&str, &str)], setup: Option<&str>) {
    let dir = root.join(slug);
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::write(dir.join("lesson.toml"), toml).unwrap();
    std::fs::write(dir.join("intro.en.md"), "# Intro\n").unwrap();
    std::fs::write(dir.join("finish.en.md"), "# Done\n").unwrap();
    let script = |path: &Path, body: &str| {
        std::fs::write(path, body).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    for (stem, verify) in steps {
        let steps = dir.join("steps");
        std::fs::write(steps.join(format!("{stem}.en.md")), format!("# {stem}\n")).unwrap();
        script(&steps.join(format!("{stem}.verify.sh")), verify);
        script(&steps.join(format!("{stem}.solution.sh")), "true\n");
    }
    if let Some(setup) = setup {
        script(&dir.join("setup.sh"), setup);
    }
}

/// `in-order`: a shell lesson of two checked steps that open in order, with a setup script.
/// `needs-an-image`: a docker lesson needing an image no playground has.
fn write_lessons(root: &Path) {
    write_lesson(
        root,
        "in-order",
        "profile = \"shell\"\nunlock = \"in_order\"\n[title]\nen = \"In order\"\n",
        &[
            ("01-first", "test -f /tmp/first-done\n"),
            ("02-second", "test -f /tmp/second-done\n"),
        ],
        Some("touch /tmp/lesson-setup\n"),
    );
    write_lesson(
        root,
        "needs-an-image",
        "profile = \"docker\"\nimages = [\"busybox\", \"quai-missing:1\"]\n[title]\nen = \"Needs an image\"\n",
        &[("01-run", "docker ps\n")],
        None,
    );
}

#[tokio::test]
async fn a_full_playground_says_when_a_place_frees_up() {
    let playground = Playground::start(|config| config.max_sessions = 1).await;
    let first = playground.created(BROWSER, 1).await;

    let refused = playground.create(NEIGHBOUR, 1).await;
    let error = refused.error(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error.code, ErrorCode::Capacity);
    let wait = error.retry_after_secs.expect("a full playground says when");
    assert!(
        wait > 0 && wait <= first.session.expires_at - first.session.created_at,
        "{wait}"
    );
    assert_eq!(
        refused.header(header::RETRY_AFTER),
        Some(wait.to_string().as_str())
    );
    assert_eq!(
        error.message,
        format!(
            "The playground is full; a place frees up in about {} minutes.",
            wait.div_ceil(60)
        )
    );
    // The refused visitor cost the engine nothing.
    assert_eq!(playground.engine.networks(), vec![first.session.id.clone()]);

    // Once the first playground ends, its place is free again.
    let ended = playground.as_owner(&first, Method::DELETE, "").await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    playground.created(NEIGHBOUR, 1).await;
}

#[tokio::test]
async fn a_visitor_starting_too_many_playgrounds_a_minute_is_told_when_to_retry() {
    let playground = Playground::start(|config| config.create_per_minute = 2).await;
    playground.created(BROWSER, 1).await;
    playground.created(BROWSER, 1).await;

    let refused = playground.create(BROWSER, 1).await;
    let error = refused.error(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error.code, ErrorCode::RateLimited);
    let wait = error
        .retry_after_secs
        .expect("the limit says when to retry");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        refused.header(header::RETRY_AFTER),
        Some(wait.to_string().as_str())
    );
    assert_eq!(
        error.message,
        format!("You started too many playgrounds in a short time; try again in {wait} seconds.")
    );
    assert_eq!(playground.engine.networks().len(), 2);

    // Another visitor is counted apart.
    playground.created(NEIGHBOUR, 1).await;
}

#[tokio::test]
async fn a_visitor_holding_their_share_of_playgrounds_must_end_one_to_start_another() {
    let playground = Playground::start(|config| config.max_sessions_per_client = 2).await;
    let first = playground.created(BROWSER, 1).await;
    playground.created(BROWSER, 1).await;

    let refused = playground.create(BROWSER, 1).await;
    let error = refused.error(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert_eq!(
        error.message,
        "You already have 2 playgrounds running, the most one visitor may have at once; end one to start another."
    );
    assert_eq!(playground.engine.networks().len(), 2);
    playground.created(NEIGHBOUR, 1).await;

    let ended = playground.as_owner(&first, Method::DELETE, "").await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    playground.created(BROWSER, 1).await;
}

#[tokio::test]
async fn a_session_answers_only_to_its_own_token() {
    let playground = Playground::start(|_| {}).await;
    let mine = playground.created(BROWSER, 1).await;
    let theirs = playground.created(NEIGHBOUR, 1).await;
    let id = &mine.session.id;

    let own = playground.as_owner(&mine, Method::GET, "").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    assert_eq!(own.json::<SessionInfo>().id, *id);

    let unknown = playground
        .on_session(
            &"0".repeat(32),
            &format!("quai_{}={}", "0".repeat(32), mine.token),
            Method::GET,
            "",
            Body::empty(),
        )
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(unknown.code, ErrorCode::NotFound);
    let forged = "f".repeat(64);
    let attempts = [
        // Another session's token under this session's cookie.
        format!("quai_{id}={}", theirs.token),
        // A made-up token.
        format!("quai_{id}={forged}"),
        // Another session's own cookie.
        format!("quai_{}={}", theirs.session.id, theirs.token),
        // No cookie at all.
        String::new(),
    ];
    for cookie in &attempts {
        for method in [Method::GET, Method::DELETE] {
            let answer = playground
                .on_session(id, cookie, method.clone(), "", Body::empty())
                .await;
            // Somebody else's session looks exactly like one that does not exist.
            assert_eq!(answer.error(StatusCode::NOT_FOUND), unknown, "{cookie:?}");
        }
    }
    let bearer = [(header::AUTHORIZATION, format!("Bearer {forged}"))];
    let uri = format!("/api/sessions/{id}");
    let answer = playground
        .send(BROWSER, Method::GET, &uri, &bearer, Body::empty())
        .await;
    assert_eq!(answer.error(StatusCode::NOT_FOUND), unknown);

    // None of it touched the session.
    assert_eq!(playground.engine.nodes_of(id).len(), 1);
    assert_eq!(
        playground.as_owner(&mine, Method::GET, "").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_a_sentence_and_start_nothing() {
    let playground = Playground::start(|_| {}).await;

    let answer = playground
        .send(BROWSER, Method::POST, "/api/sessions", &[], "{\"nodes\": ")
        .await;
    let error = answer.error(StatusCode::BAD_REQUEST);
    assert_eq!(error.code, ErrorCode::BadRequest);
    assert!(
        error
            .message
            .starts_with("The request body is not valid JSON for a new session: "),
        "{}",
        error.message
    );
    assert!(error.message.ends_with('.'), "{}", error.message);

    let too_many = quai::session::MAX_NODES + 1;
    let error = playground
        .create(BROWSER, too_many)
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(
        error.message,
        format!(
            "A session has 1 to {} nodes, not {too_many}.",
            quai::session::MAX_NODES
        )
    );
    assert!(playground.engine.calls_of(Op::CreateNetwork).is_empty());

    let session = playground.created(BROWSER, 1).await;
    let id = &session.session.id;
    let cookie = format!("quai_{id}={}", session.token);
    let error = playground
        .on_session(id, &cookie, Method::POST, "/check", "{\"step\": \"two\"}")
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        error
            .message
            .starts_with("The request body is not valid JSON for a check: "),
        "{}",
        error.message
    );

    let error = playground
        .send(BROWSER, Method::PUT, "/api/me", &[], "my name")
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        error
            .message
            .starts_with("The request body is not valid JSON for a student: "),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_dead_engine_makes_the_server_degraded_and_refuses_new_playgrounds() {
    let playground = Playground::start(|_| {}).await;
    let health = |from| playground.send(from, Method::GET, "/healthz", &[], Body::empty());

    let answer = health(LOOPBACK).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json::<Health>().status, "ok");

    playground.engine.set_up(false);
    let answer = health(LOOPBACK).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let report: Health = answer.json();
    assert_eq!(report.status, "degraded");
    assert!(!report.docker.reachable);
    assert!(
        report.docker.detail.is_some(),
        "the server's own machine reads why"
    );
    let outside: Health = health(BROWSER).await.json();
    assert_eq!(outside.status, "degraded");
    assert_eq!(outside.docker.detail, None, "a visitor reads no internals");

    let error = playground
        .create(BROWSER, 1)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error.code, ErrorCode::RuntimeUnavailable);
    assert_eq!(
        error.message,
        "The container engine is not reachable right now; please retry in a minute."
    );

    playground.engine.set_up(true);
    assert_eq!(health(LOOPBACK).await.status, StatusCode::OK);
    assert!(playground.engine.is_empty());
    playground.created(BROWSER, 1).await;
}

#[tokio::test]
async fn a_creation_the_engine_fails_halfway_leaves_nothing_behind() {
    let playground = Playground::start(|_| {}).await;

    playground.engine.fail(Op::CreateNode, || {
        RuntimeError::Engine("the node would not start".into())
    });
    let error = playground
        .create(BROWSER, 2)
        .await
        .error(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error.code, ErrorCode::Internal);
    assert_eq!(
        error.message,
        "The container engine could not start your playground; please retry."
    );
    assert_eq!(playground.engine.calls_of(Op::CreateNetwork).len(), 1);
    assert!(
        playground.engine.is_empty(),
        "{:?}",
        playground.engine.nodes()
    );

    playground.engine.fail(Op::CreateNode, || {
        RuntimeError::MissingImage("quai/base".into())
    });
    let error = playground
        .create(BROWSER, 1)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error.message,
        "The session image is missing on this server; the operator must build it (cargo xtask images)."
    );
    assert!(playground.engine.is_empty());

    playground.engine.heal(Op::CreateNode);
    playground.created(BROWSER, 2).await;
}

#[tokio::test]
async fn ending_a_session_removes_its_network_and_every_node() {
    let playground = Playground::start(|_| {}).await;
    let kept = playground.created(NEIGHBOUR, 1).await;
    let session = playground.created(BROWSER, 2).await;
    let id = &session.session.id;
    assert!(playground.engine.networks().contains(id));
    assert_eq!(playground.engine.nodes_of(id).len(), 2);

    let added = playground.as_owner(&session, Method::POST, "/nodes").await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json::<NodeInfo>().name, "node3");
    let removed = playground
        .as_owner(&session, Method::DELETE, "/nodes/node2")
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text());
    let names: Vec<String> = playground
        .engine
        .nodes_of(id)
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["node1", "node3"]);

    let ended = playground.as_owner(&session, Method::DELETE, "").await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{}", ended.text());
    let cookie = ended.header(header::SET_COOKIE).unwrap_or_default();
    assert!(
        cookie.starts_with(&format!("quai_{id}=;")) && cookie.contains("Max-Age=0"),
        "the browser forgets the session: {cookie}"
    );
    assert!(!playground.engine.networks().contains(id));
    assert!(playground.engine.nodes_of(id).is_empty());
    let gone = playground.as_owner(&session, Method::GET, "").await;
    assert_eq!(gone.error(StatusCode::NOT_FOUND).code, ErrorCode::NotFound);

    // The other visitor's session goes on; once it ends too, nothing is left.
    assert_eq!(playground.engine.nodes_of(&kept.session.id).len(), 1);
    playground.as_owner(&kept, Method::DELETE, "").await;
    assert!(playground.engine.is_empty());
}

#[tokio::test]
async fn no_playground_starts_until_the_host_firewall_is_in_place() {
    let playground = Playground::before_firewall(|_| {});
    let error = playground
        .create(BROWSER, 1)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error.code, ErrorCode::RuntimeUnavailable);
    assert!(
        error.message.starts_with(
            "New playgrounds are paused: the host firewall that keeps them away from this server is not in place"
        ),
        "{}",
        error.message
    );

    playground.engine.fail(Op::EnforceEgress, || {
        RuntimeError::Engine("iptables: Permission denied".into())
    });
    let sessions = &playground.state.sessions;
    assert!(!quai::session::firewall::check(sessions, playground.engine.as_ref()).await);
    let error = playground
        .create(BROWSER, 1)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        error.message.contains("iptables: Permission denied"),
        "the operator reads why: {}",
        error.message
    );
    assert!(playground.engine.calls_of(Op::CreateNetwork).is_empty());

    playground.engine.heal(Op::EnforceEgress);
    assert!(quai::session::firewall::check(sessions, playground.engine.as_ref()).await);
    playground.created(BROWSER, 1).await;
}

/// Starts lesson `slug` from a fresh browser; returns the session and the browser's cookies.
async fn start_lesson(playground: &Playground, slug: &str) -> (SessionCreated, String) {
    let uri = format!("/api/lessons/{slug}/start");
    let answer = playground
        .send(BROWSER, Method::POST, &uri, &[], Body::empty())
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let cookies = answer.cookies().join("; ");
    (answer.json::<LessonStarted>().created, cookies)
}

async fn check(playground: &Playground, id: &str, cookies: &str, query: &str, step: u16) -> Answer {
    let body = format!("{{\"step\": {step}}}");
    let path = format!("/check{query}");
    playground
        .on_session(id, cookies, Method::POST, &path, body)
        .await
}

#[tokio::test]
async fn a_step_opens_once_the_step_before_it_passes() {
    let playground = Playground::start(|_| {}).await;
    let (session, cookies) = start_lesson(&playground, "in-order").await;
    let id = &session.session.id;
    assert!(
        playground
            .engine
            .calls_of(Op::Exec)
            .iter()
            .any(|c| c.args.iter().any(|a| a.contains("/tmp/lesson-setup"))),
        "the lesson's setup ran in its node"
    );

    let locked = check(&playground, id, &cookies, "", 2).await;
    let error = locked.error(StatusCode::CONFLICT);
    assert_eq!(error.code, ErrorCode::Lesson);
    assert_eq!(error.message, "Step 2 opens once step 1 passes.");
    let locked = check(&playground, id, &cookies, "?lang=fr", 2).await;
    assert_eq!(
        locked.error(StatusCode::CONFLICT).message,
        "L'étape 2 s'ouvre quand l'étape 1 est validée."
    );

    playground.engine.answer(
        "/tmp/first-done",
        Reply::exit(1, "There is no /tmp/first-done yet."),
    );
    let failed: CheckResult = check(&playground, id, &cookies, "", 1).await.json();
    assert!(!failed.passed);
    assert_eq!(failed.output, "There is no /tmp/first-done yet.");
    assert!(failed.passed_steps.is_empty());
    let still_locked = check(&playground, id, &cookies, "", 2).await;
    assert_eq!(
        still_locked.error(StatusCode::CONFLICT).message,
        "Step 2 opens once step 1 passes."
    );

    playground
        .engine
        .answer("/tmp/first-done", Reply::exit(0, ""));
    let passed: CheckResult = check(&playground, id, &cookies, "", 1).await.json();
    assert!(passed.passed);
    assert_eq!(passed.passed_steps, [1]);

    playground.engine.answer(
        "/tmp/second-done",
        Reply::exit(1, "No /tmp/second-done yet."),
    );
    let second = check(&playground, id, &cookies, "", 2).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let second: CheckResult = second.json();
    assert_eq!((second.step, second.passed), (2, false));
    assert_eq!(second.output, "No /tmp/second-done yet.");
    assert_eq!(second.passed_steps, [1]);
    // The check ran in the session's own node1.
    let node1 = &playground.engine.nodes_of(id)[0];
    assert!(playground
        .engine
        .calls_of(Op::Exec)
        .iter()
        .any(|c| c.on == node1.container && c.args.iter().any(|a| a.contains("/tmp/second-done"))));
}

#[tokio::test]
async fn a_lesson_whose_setup_fails_keeps_nothing() {
    let playground = Playground::start(|_| {}).await;
    playground
        .engine
        .answer("/tmp/lesson-setup", Reply::exit(1, "setup broke"));
    let answer = playground
        .send(
            BROWSER,
            Method::POST,
            "/api/lessons/in-order/start",
            &[],
            Body::empty(),
        )
        .await;
    let error = answer.error(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error.code, ErrorCode::Lesson);
    assert!(
        error
            .message
            .starts_with("The lesson could not be prepared: ")
            && error.message.contains("setup broke")
            && error
                .message
                .ends_with("Tell its author; nothing was kept."),
        "{}",
        error.message
    );
    assert!(playground.engine.is_empty());
    assert_eq!(playground.state.sessions.count(), 0);
}

#[tokio::test]
async fn a_lesson_needing_an_image_the_catalog_lacks_names_it_and_starts_nothing() {
    let playground = Playground::start(|_| {}).await;
    playground.engine.set_catalog(&["busybox:latest"]);

    let catalog: Vec<LessonSummary> = playground
        .send(BROWSER, Method::GET, "/api/lessons", &[], Body::empty())
        .await
        .json();
    let lesson = catalog
        .iter()
        .find(|l| l.slug == "needs-an-image")
        .expect("the lesson is listed");
    assert_eq!(lesson.missing_images, ["quai-missing:1"]);

    let answer = playground
        .send(
            BROWSER,
            Method::POST,
            "/api/lessons/needs-an-image/start",
            &[],
            Body::empty(),
        )
        .await;
    let error = answer.error(StatusCode::CONFLICT);
    assert_eq!(error.code, ErrorCode::Lesson);
    assert_eq!(
        error.message,
        "This lesson needs the image quai-missing:1, which this playground does not have. The operator can add it with `cargo xtask images` or `quai images import`."
    );
    assert!(playground.engine.calls_of(Op::CreateNetwork).is_empty());
}

/// Waits (a bounded number of short turns) until `done` holds; false if it never did.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test]
async fn a_visitor_leaving_while_their_lesson_is_prepared_leaves_nothing() {
    let playground = Arc::new(Playground::start(|_| {}).await);
    playground.engine.hold("/tmp/lesson-setup");
    let starting = {
        let playground = playground.clone();
        tokio::spawn(async move {
            playground
                .send(
                    BROWSER,
                    Method::POST,
                    "/api/lessons/in-order/start",
                    &[],
                    Body::empty(),
                )
                .await
        })
    };
    // The node is made and its setup is running when the visitor closes the tab.
    let preparing = eventually(|| {
        playground
            .engine
            .calls_of(Op::Exec)
            .iter()
            .any(|call| call.args.iter().any(|a| a.contains("/tmp/lesson-setup")))
    })
    .await;
    assert!(preparing, "the lesson's setup never ran");
    assert_eq!(playground.engine.nodes().len(), 1);
    starting.abort();
    match starting.await {
        Err(gone) => assert!(gone.is_cancelled()),
        Ok(answer) => panic!("the start finished: {}", answer.text()),
    }

    let cleaned =
        eventually(|| playground.engine.is_empty() && playground.state.sessions.count() == 0).await;
    playground.engine.release("/tmp/lesson-setup");
    assert!(
        cleaned,
        "left behind: {:?}, {} sessions",
        playground.engine.nodes(),
        playground.state.sessions.count()
    );
    // The place it held is free again.
    let (started, _) = start_lesson(&playground, "in-order").await;
    assert_eq!(playground.engine.nodes_of(&started.session.id).len(), 1);
}

/// An archive of one entry `path` of `kind`, linking to `target` for a link.
fn archive_of(path: &str, kind: tar::EntryType, target: Option<&str>) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(if kind == tar::EntryType::Regular {
        2
    } else {
        0
    });
    if let Some(target) = target {
        header.set_link_name(target).unwrap();
    }
    let data: &[u8] = if kind == tar::EntryType::Regular {
        b"hi"
    } else {
        b""
    };
    builder.append_data(&mut header, path, data).unwrap();
    builder.into_inner().unwrap()
}

#[tokio::test]
async fn file_requests_outside_the_rules_are_refused_with_a_sentence_before_the_node_is_asked() {
    let playground = Playground::start(|_| {}).await;
    let session = playground.created(BROWSER, 1).await;
    let other = playground.created(NEIGHBOUR, 1).await;
    let asked = || playground.engine.calls_of(Op::ExecBytes).len();

    // A path that climbs out, a relative one.
    let answer = playground
        .as_owner(
            &session,
            Method::GET,
            "/nodes/node1/files?path=/root/../etc",
        )
        .await;
    let error = answer.error(StatusCode::BAD_REQUEST);
    assert_eq!(
        error.message,
        "`/root/../etc` is not an absolute path without `..`."
    );
    let answer = playground
        .as_owner(
            &session,
            Method::GET,
            "/nodes/node1/files/text?path=etc/passwd",
        )
        .await;
    answer.error(StatusCode::BAD_REQUEST);
    // A node the session does not have; another session's files with this session's cookie.
    let answer = playground
        .as_owner(&session, Method::GET, "/nodes/node9/files?path=/root")
        .await;
    answer.error(StatusCode::NOT_FOUND);
    let id = &other.session.id;
    let cookie = format!("quai_{}={}", session.session.id, session.token);
    let answer = playground
        .on_session(
            id,
            &cookie,
            Method::GET,
            "/nodes/node1/files?path=/root",
            Body::empty(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
    // An upload holding a link, one holding nothing.
    let uri = "/nodes/node1/files/upload?dir=/root";
    let cookie = format!("quai_{}={}", session.session.id, session.token);
    let link = archive_of("escape", tar::EntryType::Symlink, Some("/etc/passwd"));
    let answer = playground
        .on_session(&session.session.id, &cookie, Method::POST, uri, link)
        .await;
    let error = answer.error(StatusCode::BAD_REQUEST);
    assert!(
        error.message.contains("`escape` is a link"),
        "{}",
        error.message
    );
    let answer = playground
        .on_session(&session.session.id, &cookie, Method::POST, uri, Vec::new())
        .await;
    assert_eq!(
        answer.error(StatusCode::BAD_REQUEST).message,
        "The upload holds no file."
    );
    // A text larger than the editor saves.
    let big = serde_json::json!({"path": "/root/big.txt", "text": "x".repeat(1024 * 1024 + 1)});
    let answer = playground
        .on_session(
            &session.session.id,
            &cookie,
            Method::PUT,
            "/nodes/node1/files/text",
            serde_json::to_vec(&big).unwrap(),
        )
        .await;
    assert_eq!(
        answer.error(StatusCode::PAYLOAD_TOO_LARGE).message,
        "The editor saves files of up to 1024 KB."
    );
    // A workspace of folders a node must not give back.
    let answer = playground
        .as_owner(&session, Method::GET, "/workspace?dirs=/etc")
        .await;
    assert!(answer
        .error(StatusCode::BAD_REQUEST)
        .message
        .starts_with("`/etc` cannot be part of a workspace"));
    assert_eq!(
        asked(),
        0,
        "the node was asked: {:?}",
        playground.engine.calls_of(Op::ExecBytes)
    );
}

#[tokio::test]
async fn what_a_node_says_about_a_file_reaches_the_student() {
    let playground = Playground::start(|_| {}).await;
    let session = playground.created(BROWSER, 1).await;
    // No such folder (the script's exit 3); a binary file opened in the editor; one too large.
    playground.engine.answer("-printf", Reply::exit(3, ""));
    let answer = playground
        .as_owner(&session, Method::GET, "/nodes/node1/files?path=/root/gone")
        .await;
    assert_eq!(
        answer.error(StatusCode::NOT_FOUND).message,
        "There is no `/root/gone` of that kind in this node."
    );
    playground
        .engine
        .answer("stat -c %s", Reply::exit(0, "ELF\0\0"));
    let answer = playground
        .as_owner(
            &session,
            Method::GET,
            "/nodes/node1/files/text?path=/bin/ls",
        )
        .await;
    assert_eq!(
        answer.error(StatusCode::UNSUPPORTED_MEDIA_TYPE).message,
        "`/bin/ls` is not a text file; download it instead."
    );
    playground.engine.answer("stat -c %s", Reply::exit(6, ""));
    let answer = playground
        .as_owner(
            &session,
            Method::GET,
            "/nodes/node1/files/text?path=/var/log/big",
        )
        .await;
    assert_eq!(
        answer.error(StatusCode::PAYLOAD_TOO_LARGE).message,
        "`/var/log/big` is larger than 1024 KB: open it in the terminal instead."
    );
    // A download the node refuses in its own words.
    playground.engine.answer(
        "cannot be read",
        Reply {
            exit_code: Some(4),
            stdout: Vec::new(),
            stderr: "/root/secret cannot be read\n".into(),
        },
    );
    let answer = playground
        .as_owner(
            &session,
            Method::GET,
            "/nodes/node1/files/download?path=/root/secret",
        )
        .await;
    assert_eq!(
        answer.error(StatusCode::BAD_REQUEST).message,
        "/root/secret cannot be read"
    );
    // A dead engine is said as such.
    playground.engine.set_up(false);
    let answer = playground
        .as_owner(&session, Method::GET, "/nodes/node1/files?path=/root")
        .await;
    assert_eq!(
        answer.error(StatusCode::SERVICE_UNAVAILABLE).code,
        ErrorCode::RuntimeUnavailable
    );
}
