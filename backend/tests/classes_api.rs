//! Instructors, classes and joins over the HTTP API, on an engine held in memory
//! (`FakeRuntime`), with no Docker daemon: sign-in links and passwords, instructor cookies,
//! who may read which class, joins and their refusals, seats prepared ahead and handed over,
//! the live roster (steps passed and failed with their hints, stuck, hands, presence), the
//! class's controls (extend, reset a seat, progress as CSV), and every attempt to reach what
//! a cookie, token or code does not open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use quai::runtime::fake::FakeRuntime;
use quai::runtime::fake::Reply;
use quai::store::Store;
use quai::{app, AppState, Config};
use quai_protocol::{
    ApiError, ClassCreated, ClassInfo, ClassState, ErrorCode, Hand, InstructorInfo, JoinClass,
    NewClass, Presence, Profile, Roster, SessionCreated, StepCell,
};
use serde::de::DeserializeOwned;
use tower::ServiceExt;

const ROOM: &str = "192.0.2.10:50000";
const ELSEWHERE: &str = "192.0.2.20:50000";
const PASSWORD: &str = "correct horse battery";

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

    fn ok<T: DeserializeOwned>(&self, status: StatusCode) -> T {
        assert_eq!(self.status, status, "{}", self.text());
        self.json()
    }

    fn error(&self, status: StatusCode) -> ApiError {
        assert_eq!(self.status, status, "{}", self.text());
        self.json()
    }

    /// The full `Set-Cookie` values.
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The cookies as a browser sends them back, joined (`a=1; b=2`).
    fn cookie(&self) -> String {
        self.set_cookies()
            .iter()
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

struct Server {
    state: AppState,
    store: Store,
    engine: Arc<FakeRuntime>,
}

impl Server {
    async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_tests("classes");
        config.lessons_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons").into();
        config.pool_size = 0;
        tweak(&mut config);
        let engine = Arc::new(FakeRuntime::new());
        let store = Store::in_memory();
        let state = AppState::new(config, engine.clone(), store.clone()).unwrap();
        assert!(quai::session::firewall::check(&state.sessions, engine.as_ref()).await);
        Server {
            state,
            store,
            engine,
        }
    }

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

    async fn post(&self, uri: &str, cookie: Option<&str>, body: &impl serde::Serialize) -> Answer {
        let headers: Vec<_> = cookie
            .map(|c| (header::COOKIE, c.to_string()))
            .into_iter()
            .collect();
        self.send(
            ROOM,
            Method::POST,
            uri,
            &headers,
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    async fn get(&self, uri: &str, headers: &[(header::HeaderName, String)]) -> Answer {
        self.send(ROOM, Method::GET, uri, headers, Body::empty())
            .await
    }

    /// Adds instructor `name` and sets its password through its link; returns its cookie.
    async fn instructor(&self, name: &str) -> String {
        let link = self.state.instructors.add(name).await.unwrap();
        let answer = self
            .post(
                "/api/instructor/link",
                None,
                &serde_json::json!({"token": link.token, "password": PASSWORD}),
            )
            .await;
        let who: InstructorInfo = answer.ok(StatusCode::OK);
        assert_eq!(who.name, name);
        answer.cookie()
    }

    /// A class of `seats` blank shell seats made by the instructor of `cookie`.
    async fn class(
        &self,
        cookie: &str,
        seats: u32,
        tweak: impl FnOnce(&mut NewClass),
    ) -> ClassCreated {
        let mut new = NewClass {
            title: "Docker 101".into(),
            seats,
            profile: Some(Profile::Shell),
            ..NewClass::default()
        };
        tweak(&mut new);
        self.post("/api/classes", Some(cookie), &new)
            .await
            .ok(StatusCode::CREATED)
    }

    async fn join(&self, from: &str, code: &str, name: &str, cookie: Option<&str>) -> Answer {
        let body = JoinClass {
            code: code.into(),
            name: name.into(),
        };
        let headers: Vec<_> = cookie
            .map(|c| (header::COOKIE, c.to_string()))
            .into_iter()
            .collect();
        self.send(
            from,
            Method::POST,
            "/api/join",
            &headers,
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    async fn info(&self, cookie: &str, id: &str) -> ClassInfo {
        self.get(
            &format!("/api/classes/{id}"),
            &[(header::COOKIE, cookie.into())],
        )
        .await
        .ok(StatusCode::OK)
    }

    /// Tends the classes until `id` has `ready` seats ready.
    async fn until_ready(&self, cookie: &str, id: &str, ready: u32) -> ClassInfo {
        for _ in 0..200 {
            self.state.classes.tend().await;
            let info = self.info(cookie, id).await;
            if info.ready == ready {
                return info;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("class {id} never had {ready} ready seats");
    }
}

fn cookie_header(cookie: &str) -> [(header::HeaderName, String); 1] {
    [(header::COOKIE, cookie.to_string())]
}

#[tokio::test]
async fn a_sign_in_link_sets_the_password_once_and_the_cookie_is_strict_and_http_only() {
    let server = Server::start(|_| {}).await;
    let link = server.state.instructors.add("ada").await.unwrap();
    let body = serde_json::json!({"token": link.token, "password": PASSWORD});
    let answer = server.post("/api/instructor/link", None, &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let set = answer.set_cookies().join("\n");
    for part in ["quai_instructor=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    let cookie = answer.cookie();
    let who: InstructorInfo = server
        .get("/api/instructor", &cookie_header(&cookie))
        .await
        .ok(StatusCode::OK);
    assert_eq!(who.name, "ada");
    // The link is used up.
    let again = server.post("/api/instructor/link", None, &body).await;
    assert_eq!(again.error(StatusCode::GONE).code, ErrorCode::SignIn);
    // The password signs in; signing out ends that cookie.
    let signed = server
        .post(
            "/api/instructor/sign-in",
            None,
            &serde_json::json!({"name": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    let second = signed.cookie();
    let out = server
        .post(
            "/api/instructor/sign-out",
            Some(&second),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let gone = server.get("/api/instructor", &cookie_header(&second)).await;
    assert_eq!(gone.error(StatusCode::UNAUTHORIZED).code, ErrorCode::SignIn);
}

#[tokio::test]
async fn an_old_sign_in_link_and_a_weak_password_are_refused() {
    let server = Server::start(|_| {}).await;
    let first = server.state.instructors.add("ada").await.unwrap();
    let second = server.state.instructors.link("ada").await.unwrap();
    let old = server
        .post(
            "/api/instructor/link",
            None,
            &serde_json::json!({"token": first.token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.error(StatusCode::GONE).code, ErrorCode::SignIn);
    let weak = server
        .post(
            "/api/instructor/link",
            None,
            &serde_json::json!({"token": second.token, "password": "short"}),
        )
        .await;
    assert_eq!(
        weak.error(StatusCode::BAD_REQUEST).code,
        ErrorCode::BadRequest
    );
    // An expired link.
    server
        .store
        .call(|db| db.execute("UPDATE instructor_links SET expires_at = 1", []))
        .await
        .unwrap();
    let expired = server
        .post(
            "/api/instructor/link",
            None,
            &serde_json::json!({"token": second.token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(expired.error(StatusCode::GONE).code, ErrorCode::SignIn);
}

#[tokio::test]
async fn a_forged_or_expired_instructor_cookie_opens_nothing() {
    let server = Server::start(|_| {}).await;
    let cookie = server.instructor("ada").await;
    let class = server.class(&cookie, 2, |_| {}).await;
    let forged = format!("quai_instructor={}", "ab".repeat(32));
    for uri in ["/api/instructor", "/api/classes"] {
        let answer = server.get(uri, &cookie_header(&forged)).await;
        assert_eq!(
            answer.error(StatusCode::UNAUTHORIZED).code,
            ErrorCode::SignIn
        );
    }
    let roster = format!("/api/classes/{}/roster", class.class.id);
    server
        .get(&roster, &cookie_header(&forged))
        .await
        .error(StatusCode::NOT_FOUND);
    server
        .store
        .call(|db| db.execute("UPDATE instructor_sessions SET expires_at = 1", []))
        .await
        .unwrap();
    let expired = server.get("/api/classes", &cookie_header(&cookie)).await;
    assert_eq!(
        expired.error(StatusCode::UNAUTHORIZED).code,
        ErrorCode::SignIn
    );
    server
        .get(&roster, &cookie_header(&cookie))
        .await
        .error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client() {
    let server = Server::start(|_| {}).await;
    server.instructor("ada").await;
    let wrong = serde_json::json!({"name": "ada", "password": "not the password"});
    for _ in 0..quai::instructors::FAILED_PER_MINUTE {
        let answer = server.post("/api/instructor/sign-in", None, &wrong).await;
        assert_eq!(
            answer.error(StatusCode::UNAUTHORIZED).code,
            ErrorCode::SignIn
        );
    }
    let right = serde_json::json!({"name": "ada", "password": PASSWORD});
    let limited = server.post("/api/instructor/sign-in", None, &right).await;
    assert_eq!(
        limited.error(StatusCode::TOO_MANY_REQUESTS).code,
        ErrorCode::RateLimited
    );
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn an_instructor_sees_only_their_own_classes() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let grace = server.instructor("grace").await;
    let class = server.class(&ada, 2, |_| {}).await;
    let listed: Vec<ClassInfo> = server
        .get("/api/classes", &cookie_header(&ada))
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed.len(), 1);
    let others: Vec<ClassInfo> = server
        .get("/api/classes", &cookie_header(&grace))
        .await
        .ok(StatusCode::OK);
    assert!(others.is_empty());
    let id = &class.class.id;
    for path in ["", "/roster"] {
        let answer = server
            .get(&format!("/api/classes/{id}{path}"), &cookie_header(&grace))
            .await;
        assert_eq!(
            answer.error(StatusCode::NOT_FOUND).code,
            ErrorCode::NotFound
        );
    }
    let end = server
        .post(
            &format!("/api/classes/{id}/end"),
            Some(&grace),
            &serde_json::json!({}),
        )
        .await;
    end.error(StatusCode::NOT_FOUND);
    assert_eq!(server.info(&ada, id).await.state, ClassState::Open);
}

#[tokio::test]
async fn a_class_token_reads_its_own_roster_only() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let first = server.class(&ada, 2, |_| {}).await;
    let second = server.class(&ada, 2, |_| {}).await;
    let bearer = [(
        header::AUTHORIZATION,
        format!("Bearer {}", first.instructor_token),
    )];
    let roster: Roster = server
        .get(&format!("/api/classes/{}/roster", first.class.id), &bearer)
        .await
        .ok(StatusCode::OK);
    assert_eq!(roster.class.code, first.class.code);
    server
        .get(&format!("/api/classes/{}/roster", second.class.id), &bearer)
        .await
        .error(StatusCode::NOT_FOUND);
    // The token is no instructor's cookie.
    server
        .get("/api/classes", &bearer)
        .await
        .error(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_join_code_and_a_seat_open_nothing_but_the_seat() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 3, |_| {}).await;
    let joined = server.join(ROOM, &class.class.code, "Grace", None).await;
    let seat: SessionCreated = joined.ok(StatusCode::CREATED);
    let student = joined.cookie();
    let id = &class.class.id;
    // The student's cookies, the session token as a bearer, the code as a bearer.
    let attempts = [
        vec![(header::COOKIE, student.clone())],
        vec![(header::AUTHORIZATION, format!("Bearer {}", seat.token))],
        vec![(
            header::AUTHORIZATION,
            format!("Bearer {}", class.class.code),
        )],
    ];
    for headers in &attempts {
        for path in ["", "/roster"] {
            server
                .get(&format!("/api/classes/{id}{path}"), headers)
                .await
                .error(StatusCode::NOT_FOUND);
        }
        server
            .get("/api/classes", headers)
            .await
            .error(StatusCode::UNAUTHORIZED);
        server
            .get("/api/instructor", headers)
            .await
            .error(StatusCode::UNAUTHORIZED);
    }
    // Another student's seat stays closed to this one's token.
    let other: SessionCreated = server
        .join(ELSEWHERE, &class.class.code, "Linus", None)
        .await
        .ok(StatusCode::CREATED);
    let peek = server
        .get(
            &format!("/api/sessions/{}", other.session.id),
            &[(header::AUTHORIZATION, format!("Bearer {}", seat.token))],
        )
        .await;
    peek.error(StatusCode::NOT_FOUND);
    // Its own seat opens with its cookie.
    server
        .get(
            &format!("/api/sessions/{}", seat.session.id),
            &cookie_header(&student),
        )
        .await
        .ok::<serde_json::Value>(StatusCode::OK);
}

#[tokio::test]
async fn joins_are_refused_with_a_code_per_reason() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let wrong = server.join(ROOM, "ACDEFG", "Grace", None).await;
    assert_eq!(
        wrong.error(StatusCode::NOT_FOUND).code,
        ErrorCode::WrongCode
    );
    let later = server
        .class(&ada, 2, |c| c.starts_in_minutes = Some(60))
        .await;
    let early = server.join(ROOM, &later.class.code, "Grace", None).await;
    assert_eq!(
        early.error(StatusCode::CONFLICT).code,
        ErrorCode::ClassNotStarted
    );
    let full = server.class(&ada, 1, |_| {}).await;
    server
        .join(ROOM, &full.class.code, "Grace", None)
        .await
        .ok::<SessionCreated>(StatusCode::CREATED);
    let no_seat = server
        .join(ELSEWHERE, &full.class.code, "Linus", None)
        .await;
    assert_eq!(
        no_seat.error(StatusCode::CONFLICT).code,
        ErrorCode::ClassFull
    );
    let over = server.class(&ada, 2, |_| {}).await;
    server
        .post(
            &format!("/api/classes/{}/end", over.class.id),
            Some(&ada),
            &serde_json::json!({}),
        )
        .await
        .ok::<ClassInfo>(StatusCode::OK);
    let ended = server.join(ROOM, &over.class.code, "Grace", None).await;
    assert_eq!(ended.error(StatusCode::GONE).code, ErrorCode::ClassEnded);
    // Names: empty, control characters, too long.
    let open = server.class(&ada, 2, |_| {}).await;
    for name in [
        "   ",
        "a\u{7}b",
        &"x".repeat(quai_protocol::MAX_STUDENT_NAME + 1),
    ] {
        let bad = server.join(ROOM, &open.class.code, name, None).await;
        assert_eq!(
            bad.error(StatusCode::BAD_REQUEST).code,
            ErrorCode::BadRequest
        );
    }
}

#[tokio::test]
async fn rejoining_from_the_same_browser_gives_the_same_seat() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 2, |_| {}).await;
    let first = server.join(ROOM, &class.class.code, "Grace", None).await;
    let seat: SessionCreated = first.ok(StatusCode::CREATED);
    let set = first.set_cookies().join("\n");
    assert!(
        set.contains(&format!("quai_seat_{}=", class.class.id)),
        "{set}"
    );
    let again: SessionCreated = server
        .join(
            ROOM,
            &class.class.code.to_lowercase(),
            "Grace",
            Some(&first.cookie()),
        )
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(again.session.id, seat.session.id);
    let info = server.info(&ada, &class.class.id).await;
    assert_eq!(info.taken, 1);
}

#[tokio::test]
async fn a_room_behind_one_address_joins_past_the_per_client_limits_but_wrong_codes_are_limited() {
    let server = Server::start(|config| {
        config.create_per_minute = 1;
        config.max_sessions_per_client = 1;
    })
    .await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 4, |_| {}).await;
    for name in ["Ada", "Grace", "Linus", "Barbara"] {
        server
            .join(ROOM, &class.class.code, name, None)
            .await
            .ok::<SessionCreated>(StatusCode::CREATED);
    }
    for _ in 0..quai::classes::WRONG_CODES_PER_MINUTE {
        let answer = server.join(ELSEWHERE, "ACDEFG", "Guess", None).await;
        assert_eq!(
            answer.error(StatusCode::NOT_FOUND).code,
            ErrorCode::WrongCode
        );
    }
    let limited = server
        .join(ELSEWHERE, &class.class.code, "Guess", None)
        .await;
    assert_eq!(
        limited.error(StatusCode::TOO_MANY_REQUESTS).code,
        ErrorCode::RateLimited
    );
    // Right codes never count: the room was not limited.
    let full = server.join(ROOM, &class.class.code, "Eve", None).await;
    assert_eq!(full.error(StatusCode::CONFLICT).code, ErrorCode::ClassFull);
}

#[tokio::test]
async fn class_writes_from_a_foreign_origin_and_huge_bodies_are_refused() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 2, |_| {}).await;
    let foreign = (header::ORIGIN, "http://evil.example".to_string());
    let posts = [
        (
            "/api/join",
            serde_json::json!({"code": class.class.code, "name": "Eve"}),
        ),
        (
            "/api/instructor/sign-in",
            serde_json::json!({"name": "ada", "password": PASSWORD}),
        ),
        (
            "/api/instructor/link",
            serde_json::json!({"token": "x", "password": PASSWORD}),
        ),
        (
            "/api/classes",
            serde_json::json!({"title": "T", "seats": 1}),
        ),
        (
            &*format!("/api/classes/{}/end", class.class.id),
            serde_json::json!({}),
        ),
    ];
    for (uri, body) in &posts {
        let answer = server
            .send(
                ROOM,
                Method::POST,
                uri,
                &[foreign.clone(), (header::COOKIE, ada.clone())],
                serde_json::to_vec(body).unwrap(),
            )
            .await;
        assert_eq!(
            answer.error(StatusCode::FORBIDDEN).code,
            ErrorCode::Forbidden,
            "{uri}"
        );
    }
    assert_eq!(server.info(&ada, &class.class.id).await.taken, 0);
    let huge = format!(
        r#"{{"code":"{}","name":"{}"}}"#,
        class.class.code,
        "x".repeat(3 * 1024 * 1024)
    );
    let answer = server
        .send(ROOM, Method::POST, "/api/join", &[], huge)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn seats_are_prepared_ahead_held_and_a_join_takes_a_ready_one() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 3, |_| {}).await;
    let id = class.class.id.clone();
    let info = server.until_ready(&ada, &id, 3).await;
    assert_eq!(info.taken, 0);
    assert_eq!(server.state.sessions.count(), 3);
    // Ready seats are neither idle nor unclaimed for the reaper.
    let later = quai::session::unix_now() + 1900;
    server.state.sessions.reap(later).await;
    assert_eq!(server.state.sessions.count(), 3);
    let seat: SessionCreated = server
        .join(ROOM, &class.class.code, "Grace", None)
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(
        server.state.sessions.count(),
        3,
        "a ready seat was taken, none made"
    );
    let info = server.info(&ada, &id).await;
    assert_eq!((info.taken, info.ready), (1, 2));
    let roster: Roster = server
        .get(&format!("/api/classes/{id}/roster"), &cookie_header(&ada))
        .await
        .ok(StatusCode::OK);
    assert_eq!(roster.seats.len(), 1);
    assert_eq!(roster.seats[0].name, "Grace");
    assert!(roster.seats[0].live);
    // The seat opens with the token handed over.
    server
        .get(
            &format!("/api/sessions/{}", seat.session.id),
            &[(header::AUTHORIZATION, format!("Bearer {}", seat.token))],
        )
        .await
        .ok::<serde_json::Value>(StatusCode::OK);
    // Ending the class removes every seat, ready or taken.
    server
        .post(
            &format!("/api/classes/{id}/end"),
            Some(&ada),
            &serde_json::json!({}),
        )
        .await
        .ok::<ClassInfo>(StatusCode::OK);
    assert_eq!(server.state.sessions.count(), 0);
    assert!(server.engine.is_empty());
}

#[tokio::test]
async fn a_later_class_is_prepared_only_from_its_preparation_time() {
    let server = Server::start(|config| config.class_prepare_minutes = 10).await;
    let ada = server.instructor("ada").await;
    let far = server
        .class(&ada, 2, |c| c.starts_in_minutes = Some(60))
        .await;
    let near = server
        .class(&ada, 2, |c| c.starts_in_minutes = Some(5))
        .await;
    server.until_ready(&ada, &near.class.id, 2).await;
    let far = server.info(&ada, &far.class.id).await;
    assert_eq!((far.state, far.ready), (ClassState::Scheduled, 0));
}

#[tokio::test]
async fn single_use_codes_open_one_seat_each_once() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server
        .class(&ada, 2, |c| c.single_use_codes = Some(2))
        .await;
    assert_eq!(class.class.codes.len(), 2);
    // The shared code opens nothing when there are single-use codes.
    let shared = server.join(ROOM, &class.class.code, "Grace", None).await;
    assert_eq!(
        shared.error(StatusCode::NOT_FOUND).code,
        ErrorCode::WrongCode
    );
    let code = &class.class.codes[0];
    server
        .join(ROOM, code, "Grace", None)
        .await
        .ok::<SessionCreated>(StatusCode::CREATED);
    let reused = server.join(ELSEWHERE, code, "Linus", None).await;
    assert_eq!(
        reused.error(StatusCode::NOT_FOUND).code,
        ErrorCode::WrongCode
    );
    assert_eq!(server.info(&ada, &class.class.id).await.codes.len(), 1);
}

/// Verify scripts of the shipped lesson `first-container`, told apart by a piece of each.
const STEP_1: &str = "No container made from hello-world yet";
const STEP_2: &str = "remain: remove them";

impl Server {
    /// A class of `first-container` with `seats` seats.
    async fn lesson_class(&self, cookie: &str, seats: u32) -> ClassCreated {
        self.engine
            .set_catalog(&["hello-world:latest", "busybox:latest"]);
        self.class(cookie, seats, |c| {
            c.lesson = Some("first-container".into());
            c.profile = None;
        })
        .await
    }

    /// A student joining from a fresh browser: the seat and the browser's cookies.
    async fn student(&self, code: &str, name: &str) -> (SessionCreated, String) {
        let joined = self.join(ROOM, code, name, None).await;
        let seat: SessionCreated = joined.ok(StatusCode::CREATED);
        (seat, joined.cookie())
    }

    /// Checks `step` of the seat's lesson; the browser's cookies gain the student cookie.
    async fn check(&self, seat: &SessionCreated, cookies: &mut String, step: u16) -> bool {
        let answer = self
            .post(
                &format!("/api/sessions/{}/check", seat.session.id),
                Some(cookies),
                &serde_json::json!({ "step": step }),
            )
            .await;
        let result: quai_protocol::CheckResult = answer.ok(StatusCode::OK);
        if let Some(student) = answer.set_cookies().first() {
            cookies.push_str("; ");
            cookies.push_str(student.split(';').next().unwrap());
        }
        result.passed
    }

    async fn roster(&self, cookie: &str, id: &str) -> Roster {
        self.get(&format!("/api/classes/{id}/roster"), &cookie_header(cookie))
            .await
            .ok(StatusCode::OK)
    }

    async fn send_json(
        &self,
        method: Method,
        uri: &str,
        cookie: &str,
        body: &impl serde::Serialize,
    ) -> Answer {
        self.send(
            ROOM,
            method,
            uri,
            &cookie_header(cookie),
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn the_roster_shows_passed_and_failed_steps_with_the_last_hint_and_marks_the_stuck() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.lesson_class(&ada, 2).await;
    let id = &class.class.id;
    let (grace, mut cookies) = server.student(&class.class.code, "Grace").await;
    let (_linus, _) = server.student(&class.class.code, "Linus").await;

    let roster = server.roster(&ada, id).await;
    assert_eq!(roster.steps, [1, 2, 3, 4, 5, 6]);
    assert_eq!(roster.seats.len(), 2);
    let row = &roster.seats[0];
    assert_eq!(row.name, "Grace");
    assert_eq!(row.seat.len(), 12);
    assert!(!grace.session.id.contains(&row.seat) && !grace.token.contains(&row.seat));
    assert!(row.steps.iter().all(|c| *c == StepCell::NotYet));
    assert_eq!((row.current_step, row.stuck), (Some(1), false));
    assert_eq!(row.hand_raised_at, None);

    server.engine.answer(STEP_1, Reply::exit(0, ""));
    assert!(server.check(&grace, &mut cookies, 1).await);
    server.engine.answer(STEP_2, Reply::exit(1, "first hint"));
    assert!(!server.check(&grace, &mut cookies, 2).await);
    server.engine.answer(
        STEP_2,
        Reply::exit(1, "2 container(s) made from hello-world remain"),
    );
    assert!(!server.check(&grace, &mut cookies, 2).await);
    let roster = server.roster(&ada, id).await;
    let row = &roster.seats[0];
    assert!(matches!(row.steps[0], StepCell::Passed { .. }), "{row:?}");
    match &row.steps[1] {
        StepCell::Failed { failures, hint, .. } => {
            assert_eq!(*failures, 2);
            assert_eq!(hint, "2 container(s) made from hello-world remain");
        }
        other => panic!("step 2 is {other:?}"),
    }
    assert_eq!(row.steps[2], StepCell::NotYet);
    assert_eq!(row.current_step, Some(2));
    assert!(!row.stuck, "two failures are not stuck yet");
    assert_eq!(
        roster.seats[1].steps[0],
        StepCell::NotYet,
        "Linus did nothing"
    );

    assert!(!server.check(&grace, &mut cookies, 2).await);
    let row = &server.roster(&ada, id).await.seats[0];
    assert!(
        row.stuck,
        "{} failed checks on one step",
        quai::classes::roster::STUCK_FAILURES
    );
}

#[tokio::test]
async fn a_student_raises_their_hand_and_the_student_or_the_instructor_lowers_it() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.lesson_class(&ada, 2).await;
    let id = &class.class.id;
    let (grace, cookies) = server.student(&class.class.code, "Grace").await;
    let hand_uri = format!("/api/sessions/{}/hand", grace.session.id);

    let hand: Hand = server
        .get(&hand_uri, &cookie_header(&cookies))
        .await
        .ok(StatusCode::OK);
    assert!(!hand.raised);
    let raised: Hand = server
        .send_json(Method::PUT, &hand_uri, &cookies, &Hand { raised: true })
        .await
        .ok(StatusCode::OK);
    assert!(raised.raised);
    let row = server.roster(&ada, id).await.seats.remove(0);
    assert!(row.hand_raised_at.is_some());
    let hand: Hand = server
        .get(&hand_uri, &cookie_header(&cookies))
        .await
        .ok(StatusCode::OK);
    assert!(hand.raised);

    // The instructor lowers it from the roster.
    let lowered = server
        .send(
            ROOM,
            Method::DELETE,
            &format!("/api/classes/{id}/seats/{}/hand", row.seat),
            &cookie_header(&ada),
            Body::empty(),
        )
        .await;
    assert_eq!(lowered.status, StatusCode::NO_CONTENT, "{}", lowered.text());
    assert_eq!(server.roster(&ada, id).await.seats[0].hand_raised_at, None);

    // The student raises it and lowers it again.
    server
        .send_json(Method::PUT, &hand_uri, &cookies, &Hand { raised: true })
        .await
        .ok::<Hand>(StatusCode::OK);
    server
        .send_json(Method::PUT, &hand_uri, &cookies, &Hand { raised: false })
        .await
        .ok::<Hand>(StatusCode::OK);
    assert_eq!(server.roster(&ada, id).await.seats[0].hand_raised_at, None);
}

#[tokio::test]
async fn the_roster_tells_online_idle_and_gone_students_apart() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 2, |_| {}).await;
    let id = &class.class.id;
    let (grace, _) = server.student(&class.class.code, "Grace").await;
    let row = server.roster(&ada, id).await.seats.remove(0);
    assert_eq!((row.presence, row.live), (Presence::Idle, true));
    assert!(
        row.steps.is_empty() && row.current_step.is_none(),
        "no lesson, no steps"
    );

    let session = server.state.sessions.find(&grace.session.id).unwrap();
    session.socket_opened().await;
    assert_eq!(
        server.roster(&ada, id).await.seats[0].presence,
        Presence::Online
    );
    session.socket_closed();
    assert_eq!(
        server.roster(&ada, id).await.seats[0].presence,
        Presence::Idle
    );

    server
        .state
        .sessions
        .end(&grace.session.id, quai_protocol::EndReason::Ended)
        .await
        .unwrap();
    let row = server.roster(&ada, id).await.seats.remove(0);
    assert_eq!((row.presence, row.live), (Presence::Gone, false));
}

#[tokio::test]
async fn progress_downloads_as_csv_with_times_and_cells_a_spreadsheet_will_not_run() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.lesson_class(&ada, 3).await;
    let id = &class.class.id;
    let (grace, mut cookies) = server.student(&class.class.code, "Hopper, \"Grace\"").await;
    let joined = server
        .join(
            ELSEWHERE,
            &class.class.code,
            "=HYPERLINK(\"http://x\")",
            None,
        )
        .await;
    joined.ok::<SessionCreated>(StatusCode::CREATED);
    server.engine.answer(STEP_1, Reply::exit(1, "not yet"));
    assert!(!server.check(&grace, &mut cookies, 1).await);
    server.engine.answer(STEP_1, Reply::exit(0, ""));
    assert!(server.check(&grace, &mut cookies, 1).await);

    let answer = server
        .get(&format!("/api/classes/{id}/progress"), &cookie_header(&ada))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(answer.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename="));
    let csv = answer.text();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0]
            .starts_with("student,seat,joined,step 1 passed,step 1 failed checks,step 2 passed"),
        "{csv}"
    );
    assert_eq!(
        lines.len(),
        4,
        "a header, two students and the last CRLF: {csv}"
    );
    let rest = lines[1]
        .strip_prefix("\"Hopper, \"\"Grace\"\"\",")
        .unwrap_or_else(|| panic!("the name is quoted: {csv}"));
    let fields: Vec<&str> = rest.split(',').collect();
    assert_eq!(fields.len(), 2 + 2 * 6, "{csv}");
    let is_time = |s: &str| s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T';
    assert!(is_time(fields[1]), "joined: {csv}");
    // Step 1 passed after one failed check; the other steps not yet.
    assert!(is_time(fields[2]), "step 1 passed: {csv}");
    assert_eq!(fields[3], "1", "{csv}");
    assert_eq!((fields[4], fields[5]), ("", "0"), "{csv}");
    assert!(
        lines[2].starts_with("\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{csv}"
    );
}

#[tokio::test]
async fn extending_a_class_moves_its_end_and_every_seat_within_the_maximum_lifetime() {
    let server = Server::start(|config| config.max_lifetime = 3 * 3600).await;
    let ada = server.instructor("ada").await;
    let class = server
        .class(&ada, 2, |c| c.duration_minutes = Some(60))
        .await;
    let id = &class.class.id;
    let (grace, _) = server.student(&class.class.code, "Grace").await;
    let session = server.state.sessions.find(&grace.session.id).unwrap();
    let before = session.expires_at();

    let info: ClassInfo = server
        .send_json(
            Method::POST,
            &format!("/api/classes/{id}/extend"),
            &ada,
            &serde_json::json!({"minutes": 30}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(info.ends_at, class.class.ends_at + 30 * 60);
    assert_eq!(server.info(&ada, id).await.ends_at, info.ends_at);
    let expected = info.ends_at.min(session.max_expires_at()).max(before);
    assert_eq!(session.expires_at(), expected);

    // Far past the server's maximum lifetime: the seat stops at its own maximum.
    let info: ClassInfo = server
        .send_json(
            Method::POST,
            &format!("/api/classes/{id}/extend"),
            &ada,
            &serde_json::json!({"minutes": 8 * 60}),
        )
        .await
        .ok(StatusCode::OK);
    assert!(info.ends_at > session.max_expires_at());
    assert_eq!(session.expires_at(), session.max_expires_at());

    for minutes in [0, 100_000] {
        server
            .send_json(
                Method::POST,
                &format!("/api/classes/{id}/extend"),
                &ada,
                &serde_json::json!({ "minutes": minutes }),
            )
            .await
            .error(StatusCode::BAD_REQUEST);
    }
    server
        .post(
            &format!("/api/classes/{id}/end"),
            Some(&ada),
            &serde_json::json!({}),
        )
        .await
        .ok::<ClassInfo>(StatusCode::OK);
    server
        .send_json(
            Method::POST,
            &format!("/api/classes/{id}/extend"),
            &ada,
            &serde_json::json!({"minutes": 5}),
        )
        .await
        .error(StatusCode::GONE);
}

#[tokio::test]
async fn resetting_a_seat_gives_it_fresh_nodes_and_keeps_its_session_and_progress() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.lesson_class(&ada, 1).await;
    let id = &class.class.id;
    let (grace, mut cookies) = server.student(&class.class.code, "Grace").await;
    server.engine.answer(STEP_1, Reply::exit(0, ""));
    assert!(server.check(&grace, &mut cookies, 1).await);
    let old: Vec<String> = server
        .engine
        .nodes_of(&grace.session.id)
        .iter()
        .map(|n| n.container.clone())
        .collect();
    let seat = server.roster(&ada, id).await.seats[0].seat.clone();

    let reset = server
        .post(
            &format!("/api/classes/{id}/seats/{seat}/reset"),
            Some(&ada),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text());
    let fresh: Vec<String> = server
        .engine
        .nodes_of(&grace.session.id)
        .iter()
        .map(|n| n.container.clone())
        .collect();
    assert_eq!(fresh.len(), old.len());
    assert!(
        fresh.iter().all(|c| !old.contains(c)),
        "{old:?} → {fresh:?}"
    );
    // The same seat, the same token, the same progress.
    server
        .get(
            &format!("/api/sessions/{}", grace.session.id),
            &cookie_header(&cookies),
        )
        .await
        .ok::<serde_json::Value>(StatusCode::OK);
    let row = server.roster(&ada, id).await.seats.remove(0);
    assert_eq!(row.seat, seat);
    assert!(matches!(row.steps[0], StepCell::Passed { .. }));
}

#[tokio::test]
async fn an_instructor_cannot_reach_another_instructors_roster_controls_or_csv() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let bob = server.instructor("bob").await;
    let class = server.lesson_class(&ada, 2).await;
    let id = &class.class.id;
    let (grace, cookies) = server.student(&class.class.code, "Grace").await;
    let seat = server.roster(&ada, id).await.seats[0].seat.clone();
    server
        .send_json(
            Method::PUT,
            &format!("/api/sessions/{}/hand", grace.session.id),
            &cookies,
            &Hand { raised: true },
        )
        .await
        .ok::<Hand>(StatusCode::OK);
    let before = server.roster(&ada, id).await;

    // Bob, Grace's own cookies, and no cookie at all: 404 alike.
    for who in [bob.as_str(), cookies.as_str(), ""] {
        for (method, uri) in [
            (Method::GET, format!("/api/classes/{id}/roster")),
            (Method::GET, format!("/api/classes/{id}/progress")),
            (Method::POST, format!("/api/classes/{id}/extend")),
            (
                Method::POST,
                format!("/api/classes/{id}/seats/{seat}/reset"),
            ),
            (
                Method::DELETE,
                format!("/api/classes/{id}/seats/{seat}/hand"),
            ),
        ] {
            let answer = server
                .send_json(
                    method.clone(),
                    &uri,
                    who,
                    &serde_json::json!({"minutes": 5}),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{method} {uri}: {}",
                answer.text()
            );
        }
    }
    let after = server.roster(&ada, id).await;
    assert_eq!(after.class.ends_at, before.class.ends_at);
    assert!(after.seats[0].hand_raised_at.is_some());

    // Forged seat ids are no seat.
    for forged in ["000000000000", "zzzzzzzzzzzz", "abc", &grace.session.id] {
        for (method, uri) in [
            (
                Method::POST,
                format!("/api/classes/{id}/seats/{forged}/reset"),
            ),
            (
                Method::DELETE,
                format!("/api/classes/{id}/seats/{forged}/hand"),
            ),
        ] {
            let answer = server
                .send_json(method, &uri, &ada, &serde_json::json!({}))
                .await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{uri}: {}",
                answer.text()
            );
        }
    }
}

#[tokio::test]
async fn a_student_raises_only_their_own_hand_and_only_at_a_class_seat() {
    let server = Server::start(|_| {}).await;
    let ada = server.instructor("ada").await;
    let class = server.class(&ada, 2, |_| {}).await;
    let (grace, grace_cookies) = server.student(&class.class.code, "Grace").await;
    let linus = server
        .join(ELSEWHERE, &class.class.code, "Linus", None)
        .await;
    let linus: SessionCreated = linus.ok(StatusCode::CREATED);
    // Grace's cookies on Linus's seat, and Linus's seat with Grace's token as a bearer.
    let uri = format!("/api/sessions/{}/hand", linus.session.id);
    server
        .send_json(Method::PUT, &uri, &grace_cookies, &Hand { raised: true })
        .await
        .error(StatusCode::NOT_FOUND);
    server
        .send(
            ROOM,
            Method::PUT,
            &uri,
            &[(header::AUTHORIZATION, format!("Bearer {}", grace.token))],
            serde_json::to_vec(&Hand { raised: true }).unwrap(),
        )
        .await
        .error(StatusCode::NOT_FOUND);
    assert!(server
        .roster(&ada, &class.class.id)
        .await
        .seats
        .iter()
        .all(|s| s.hand_raised_at.is_none()));

    // A playground that is no seat has no hand.
    let blank = server
        .post("/api/sessions", None, &serde_json::json!({}))
        .await;
    let blank_cookie = blank.cookie();
    let blank: SessionCreated = blank.ok(StatusCode::CREATED);
    server
        .send_json(
            Method::PUT,
            &format!("/api/sessions/{}/hand", blank.session.id),
            &blank_cookie,
            &Hand { raised: true },
        )
        .await
        .error(StatusCode::NOT_FOUND);

    // Writes from a foreign page are refused by the edge.
    let foreign = (header::ORIGIN, "http://evil.example".to_string());
    let seat = server.roster(&ada, &class.class.id).await.seats[0]
        .seat
        .clone();
    for (method, uri, cookie) in [
        (
            Method::PUT,
            format!("/api/sessions/{}/hand", grace.session.id),
            grace_cookies.clone(),
        ),
        (
            Method::POST,
            format!("/api/classes/{}/extend", class.class.id),
            ada.clone(),
        ),
        (
            Method::POST,
            format!("/api/classes/{}/seats/{seat}/reset", class.class.id),
            ada.clone(),
        ),
        (
            Method::DELETE,
            format!("/api/classes/{}/seats/{seat}/hand", class.class.id),
            ada.clone(),
        ),
    ] {
        let answer = server
            .send(
                ROOM,
                method,
                &uri,
                &[foreign.clone(), (header::COOKIE, cookie)],
                serde_json::to_vec(&serde_json::json!({"raised": true, "minutes": 5})).unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{uri}");
    }
}
