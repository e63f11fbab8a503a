//! The web edge against the real server, tried as an outsider would: a page on a DNS name
//! that rebinds to Quai, answers without security headers, engine details on `/healthz`,
//! cookies over HTTPS, a node flooding its log onto the host's disk, and lessons whose
//! files are links to host files. Each test fails on a server without the matching guard.

mod common;

use std::path::Path;

use common::{exec_in_node, TestServer};
use quai_protocol::{CreateSession, Health, Profile, SessionCreated};

fn host_of(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_page_on_a_name_rebinding_to_quai_gets_nothing_from_it() {
    let server = TestServer::start_with("rebind", |c| {
        c.public_urls = vec!["https://quai.example".into()];
    })
    .await;
    let port = host_of(&server).rsplit(':').next().unwrap().to_string();
    let rebound = format!("rebind.example:{port}");
    // The attack: a page on rebind.example, whose name now points at Quai, writes to the API.
    let response = server
        .http
        .post(server.url("/api/sessions"))
        .header("host", &rebound)
        .header("origin", format!("http://{rebound}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 421);
    let text = response.text().await.unwrap();
    assert!(text.contains("--public-url"), "{text}");
    for path in ["/", "/api/lessons", "/healthz"] {
        let status = server
            .http
            .get(server.url(path))
            .header("host", &rebound)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 421, "{path}");
    }
    assert_eq!(
        server.server.as_ref().unwrap().state.sessions.count(),
        0,
        "no session was made for the rebinding page"
    );

    // Its own names answer: the address, localhost, and the public URL.
    for host in [
        host_of(&server),
        format!("localhost:{port}"),
        "quai.example".into(),
    ] {
        let status = server
            .http
            .get(server.url("/api/lessons"))
            .header("host", &host)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{host}");
    }
    // A page of another origin may not write, on a name Quai answers; its public URL may.
    let foreign = server
        .http
        .post(server.url("/api/sessions"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let public = server
        .http
        .put(server.url("/api/me"))
        .header("origin", "https://quai.example")
        .body(r#"{"name":"Ada"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200, "{:?}", public.text().await);
    server.stop().await;
}

#[tokio::test]
async fn every_answer_of_quai_carries_its_security_headers() {
    let server = TestServer::start("headers").await;
    for path in ["/", "/api/lessons", "/api/nothing", "/dist/missing.js"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no CSP"))
            .to_str()
            .unwrap();
        for directive in [
            "script-src 'self' 'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
    // The page itself has no inline script the policy would block.
    let page = server
        .http
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for script in page.split("<script").skip(1) {
        let open = script.split('>').next().unwrap();
        assert!(open.contains("src="), "an inline script: <script{open}>");
    }
    server.stop().await;
}

#[tokio::test]
async fn health_tells_engine_details_only_to_loopback_and_the_operator_token() {
    let server = TestServer::start_with("health-details", |c| {
        c.operator_token = Some("s3cret-operator".into());
    })
    .await;
    let health = |forwarded: bool, token: Option<&str>| {
        let mut request = server.http.get(server.url("/healthz"));
        if forwarded {
            // What a reverse proxy adds for a visitor from outside.
            request = request.header("x-forwarded-for", "203.0.113.9");
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Health>().await.unwrap()
        }
    };
    let local = health(false, None).await;
    assert!(
        local.docker.reachable && local.docker.detail.is_some(),
        "{local:?}"
    );
    let outsider = health(true, None).await;
    assert!(outsider.docker.reachable, "{outsider:?}");
    assert_eq!(
        outsider.docker.detail, None,
        "the engine's version is hidden"
    );
    assert_eq!(outsider.warm, None, "the warm pool's size is hidden");
    assert!(local.warm.is_some(), "{local:?}");
    let forged = health(true, Some("guess")).await;
    assert_eq!(forged.docker.detail, None);
    assert_eq!(forged.warm, None);
    let operator = health(true, Some("s3cret-operator")).await;
    assert!(operator.docker.detail.is_some(), "{operator:?}");
    assert!(operator.warm.is_some(), "{operator:?}");
    server.stop().await;
}

#[tokio::test]
async fn over_https_cookies_are_secure_host_only_cookies() {
    let server = TestServer::start_with("https-cookies", |c| {
        c.public_urls = vec!["https://quai.example".into()];
    })
    .await;
    let response = server
        .http
        .post(server.url("/api/sessions"))
        .header("host", "quai.example")
        .json(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Shell),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let created: SessionCreated = response.json().await.unwrap();
    let id = &created.session.id;
    assert!(
        cookie.starts_with(&format!("__Host-quai_{id}={};", created.token)),
        "{cookie}"
    );
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain"), "{cookie}");
    assert!(response_is_https_strict(&server).await);
    // The browser sends it back under its prefixed name; the plain name opens nothing.
    for (name, status) in [
        (format!("__Host-quai_{id}"), 200),
        (format!("quai_{id}"), 404),
    ] {
        let got = server
            .http
            .get(server.url(&format!("/api/sessions/{id}")))
            .header("cookie", format!("{name}={}", created.token))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(got, status, "{name}");
    }
    // The student cookie too.
    let me = server.http.get(server.url("/api/me")).send().await.unwrap();
    let student = me.headers()["set-cookie"].to_str().unwrap();
    assert!(
        student.starts_with("__Host-quai_student=") && student.contains("; Secure"),
        "{student}"
    );
    server.stop().await;
}

/// Whether pages are told to come back over HTTPS only (HSTS).
async fn response_is_https_strict(server: &TestServer) -> bool {
    let response = server.http.get(server.url("/")).send().await.unwrap();
    response
        .headers()
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age="))
}

#[tokio::test]
async fn a_node_flooding_its_own_log_leaves_at_most_a_megabyte_on_the_host() {
    let server = TestServer::start("log-flood").await;
    let created = server.create_session().await;
    let (code, out) = exec_in_node(
        &server,
        &created,
        "node1",
        "head -c 30000000 /dev/zero | tr '\\0' x > /proc/1/fd/1; echo flooded",
        b"",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    let state = &server.server.as_ref().unwrap().state;
    let session = state
        .sessions
        .get(&created.session.id, &created.token)
        .unwrap();
    let node = session.node("node1").unwrap();
    let docker = bollard::Docker::connect_with_local_defaults().unwrap();
    let inspect = docker
        .inspect_container(&node.container, None)
        .await
        .unwrap();
    let log = inspect.log_path.expect("a json-file log");
    let dir = Path::new(&log).parent().unwrap();
    let total: u64 = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("-json.log"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(
        total <= 2 * 1024 * 1024,
        "30 MB written to the node's log left {total} bytes on the host"
    );
    server.stop().await;
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A lesson folder whose files are all fine but `link` (relative to the lesson), which points
/// at `target`.
fn lesson_with_a_link(root: &Path, slug: &str, link: &str, target: &Path) {
    let dir = root.join(slug);
    write(
        &dir.join("lesson.toml"),
        &format!(
            "profile = \"shell\"\n[title]\nen = \"{slug}\"\n[[assets]]\nsource = \"assets/data\"\ntarget = \"/root/data\"\n"
        ),
    );
    write(&dir.join("assets/data/readme.txt"), "data\n");
    for page in ["intro.en.md", "finish.en.md", "steps/01-one.en.md"] {
        write(&dir.join(page), "# Page\n");
    }
    let path = dir.join(link);
    std::fs::remove_file(&path).ok();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, path).unwrap();
}

#[tokio::test]
async fn lessons_whose_files_link_outside_their_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let secret = root.path().join("host-secret");
    std::fs::write(&secret, "root:HOST-SECRET-HASH:19000::::::\n").unwrap();
    lesson_with_a_link(root.path(), "linked-intro", "intro.en.md", &secret);
    lesson_with_a_link(root.path(), "linked-step", "steps/01-one.en.md", &secret);
    lesson_with_a_link(root.path(), "linked-asset", "assets/data/shadow", &secret);
    lesson_with_a_link(
        root.path(),
        "linked-folder",
        "assets/data/etc",
        Path::new("/etc"),
    );
    let kc = root.path().join("linked-killercoda");
    write(
        &kc.join("index.json"),
        r#"{"title": "Up and out", "details": {"intro": {"text": "../host-secret"},
            "steps": [{"title": "One", "text": "step1.md"}], "finish": {"text": "finish.md"}}}"#,
    );
    write(&kc.join("finish.md"), "Bye\n");
    std::os::unix::fs::symlink(&secret, kc.join("step1.md")).unwrap();
    lesson_with_a_link(
        root.path(),
        "fine",
        "assets/data/inner",
        Path::new("readme.txt"),
    );
    std::fs::remove_file(root.path().join("fine/assets/data/inner")).unwrap();

    let lessons = root.path().to_path_buf();
    let server = TestServer::start_with("lesson-links", |c| c.lessons_dir = lessons).await;
    let catalog = server
        .http
        .get(server.url("/api/lessons"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(catalog.contains("\"fine\""), "{catalog}");
    assert!(!catalog.contains("HOST-SECRET"), "{catalog}");
    for slug in [
        "linked-intro",
        "linked-step",
        "linked-asset",
        "linked-folder",
        "linked-killercoda",
    ] {
        assert!(
            !catalog.contains(&format!("\"{slug}\"")),
            "{slug}: {catalog}"
        );
        let response = server
            .http
            .get(server.url(&format!("/api/lessons/{slug}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{slug}");
        let started = server
            .http
            .post(server.url(&format!("/api/lessons/{slug}/start")))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 404, "{slug}");
    }
    // The author is told why, file by file.
    let problems = &server
        .server
        .as_ref()
        .unwrap()
        .state
        .lessons
        .catalog()
        .problems;
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let text = text.join("\n");
    assert!(text.contains("symbolic link"), "{text}");
    assert!(text.contains("outside"), "{text}");
    server.stop().await;
}

/// Reads until the server closes the connection; false if it is still open after `PATIENCE`.
async fn closed_by_the_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    tokio::time::timeout(common::PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_cut_off_on_both_listeners() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with("slow-headers", |c| c.header_timeout = 1).await;
    let preview = server.server.as_ref().unwrap().preview_addr.to_string();
    for addr in [host_of(&server), preview] {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        // Half a request, and then nothing: a slowloris.
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        assert!(
            closed_by_the_server(&mut stream).await,
            "{addr} kept a connection whose headers never came"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start_with("connection-cap", |c| c.max_connections = 2).await;
    let addr = host_of(&server);
    let first = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let early = tokio::time::timeout(std::time::Duration::from_secs(1), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served while two were open"
    );
    drop(first);
    let n = tokio::time::timeout(common::PATIENCE, third.read(&mut buf))
        .await
        .expect("served once a place freed up")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop().await;
}
