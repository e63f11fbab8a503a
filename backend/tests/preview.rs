//! The port preview against the real engine: a server started in a node is reached through
//! `/p/{session}/{node}/{port}/` on the preview listener by the session's owner only, with
//! paths passed on as the browser encoded them, streaming bodies both ways, WebSockets,
//! redirects kept under the prefix, Quai's cookies withheld from the app, a page explaining a
//! port where nothing answers yet, and listening ports (including a container's published
//! port inside a `docker` node) detected.

mod common;

use std::time::{Duration, Instant};

use common::{exec_in_node, TestServer, PATIENCE};
use futures::{SinkExt, StreamExt};
use quai_protocol::{CreateSession, Profile, SessionCreated};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const APP: &str = include_str!("fixtures/preview_app.py");

fn preview(server: &TestServer, path: &str) -> String {
    format!(
        "http://{}{path}",
        server.server.as_ref().unwrap().preview_addr
    )
}

fn cookie(session: &SessionCreated) -> String {
    format!("quai_{}={}", session.session.id, session.token)
}

/// Starts the test app on `port` in node1 and waits until the node answers on it.
async fn start_app(server: &TestServer, session: &SessionCreated, port: u16) {
    let (code, out) = exec_in_node(
        server,
        session,
        "node1",
        &format!("cat > /root/app.py && (nohup python3 /root/app.py {port} >/tmp/app.log 2>&1 &) && for i in $(seq 100); do curl -s -o /dev/null localhost:{port}/ && exit 0; sleep 0.1; done; cat /tmp/app.log; exit 1"),
        APP.as_bytes(),
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn a_server_in_a_node_is_served_to_its_owner_only_through_the_preview() {
    let server = TestServer::start("preview").await;
    let http = &server.http;
    let owner = server.create_session().await;
    let other = server.create_session().await;
    let base = format!("/p/{}/node1/8000/", owner.session.id);

    // Nothing listens yet: a page says so, and tries again by itself.
    let response = http
        .get(preview(&server, &base))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Nothing answers on port 8000 of node1 yet"),
        "{page}"
    );
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");

    start_app(&server, &owner, 8000).await;

    // The owner reaches the app; the app sees its own cookies, never Quai's.
    let response = http
        .get(preview(&server, &format!("{base}hello?x=1")))
        .header(
            "cookie",
            format!("{}; app=1; quai_student=abc", cookie(&owner)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        format!(
            "path=/hello?x=1 cookie=app=1 prefix=/p/{}/node1/8000",
            owner.session.id
        )
    );

    // The path reaches the app as the browser encoded it: a notebook server's `My%20work`
    // or `a%3Fb` names a file, not a path with a space nor a query.
    let text = http
        .get(preview(
            &server,
            &format!("{base}tree/My%20work/a%3Fb%23c?x=1"),
        ))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with("path=/tree/My%20work/a%3Fb%23c?x=1 "),
        "{text}"
    );

    // Another session's token, no token, an unknown node: all the same 404.
    for (who, header) in [
        (
            "another session",
            Some(format!("quai_{}={}", owner.session.id, other.token)),
        ),
        ("nobody", None),
    ] {
        let mut request = http.get(preview(&server, &base));
        if let Some(header) = header {
            request = request.header("cookie", header);
        }
        let status = request.send().await.unwrap().status();
        assert_eq!(status, 404, "{who}");
    }
    let status = http
        .get(preview(
            &server,
            &format!("/p/{}/node1/8000/", other.session.id),
        ))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status, 404,
        "the owner's cookie does not open another session"
    );
    let status = http
        .get(preview(
            &server,
            &format!("/p/{}/node9/8000/", owner.session.id),
        ))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);

    // Uploads and downloads stream through, whole.
    let upload: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let expected = format!("{} {}", upload.len(), hex::encode(Sha256::digest(&upload)));
    let text = http
        .post(preview(&server, &format!("{base}upload")))
        .header("cookie", cookie(&owner))
        .body(upload)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, expected);
    let big = http
        .get(preview(&server, &format!("{base}big")))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(big.len(), 20 * 1024 * 1024);

    // The app's own redirects stay under the prefix.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(preview(&server, &format!("{base}login-redirect")))
        .header("cookie", cookie(&owner))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("/p/{}/node1/8000/login", owner.session.id).as_str()
    );

    // The main listener sends /p/… to the preview listener.
    let response = no_redirects
        .get(server.url(&format!("{base}hello")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, preview(&server, &format!("{base}hello")));

    // A WebSocket through the proxy, both ways.
    let url = format!(
        "ws://{}{base}socket",
        server.server.as_ref().unwrap().preview_addr
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie(&owner).parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    for text in ["hello", "a second message"] {
        ws.send(Message::text(text)).await.unwrap();
        let reply = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(reply.into_text().unwrap().as_str(), format!("echo:{text}"));
    }

    // A page of the preview origin cannot write to Quai's API, cookie or not.
    let preview_origin = format!("http://{}", server.server.as_ref().unwrap().preview_addr);
    let response = http
        .post(server.url(&format!("/api/sessions/{}/extend", owner.session.id)))
        .header("cookie", cookie(&owner))
        .header("origin", preview_origin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn ports_are_detected_including_a_containers_published_port_in_a_docker_node() {
    let server = TestServer::start_with("preview-docker", |c| {
        c.local_registry = true;
    })
    .await;
    let session = server
        .create(&CreateSession {
            nodes: Some(1),
            profile: Some(Profile::Docker),
        })
        .await;
    start_app(&server, &session, 8000).await;
    let (code, out) = exec_in_node(
        &server,
        &session,
        "node1",
        "docker run -d -p 8080:80 nginx >/dev/null && for i in $(seq 100); do curl -sf -o /dev/null localhost:8080 && exit 0; sleep 0.2; done; exit 1",
        &[],
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    // Quai reads the node's socket tables: both servers are listed, nothing on loopback only.
    let (code, _) = exec_in_node(
        &server,
        &session,
        "node1",
        "(nohup python3 -m http.server --bind 127.0.0.1 9999 >/dev/null 2>&1 &)",
        &[],
    )
    .await;
    assert_eq!(code, Some(0));
    let state = &server.server.as_ref().unwrap().state;
    let live = state
        .sessions
        .get(&session.session.id, &session.token)
        .unwrap();
    let node = live.node("node1").unwrap();
    let deadline = Instant::now() + PATIENCE;
    let ports = loop {
        let tables = state.sessions.runtime().socket_tables(&node).await.unwrap();
        let ports = quai::preview::ports::listening(&tables);
        if ports.contains(&8000) && ports.contains(&8080) {
            break ports;
        }
        assert!(Instant::now() < deadline, "ports never seen: {ports:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!ports.contains(&9999), "{ports:?}");
    // And nginx, in its container inside the node, answers through the preview.
    let page = server
        .preview_get(&session, "node1", 8080, "/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("nginx"), "{page}");
    server.stop().await;
}

#[tokio::test]
async fn the_socket_tells_the_page_which_ports_open_and_close() {
    let server = TestServer::start("preview-ports").await;
    let session = server.create_session().await;
    let mut socket = server.socket(&session).await;
    socket.hello().await;
    start_app(&server, &session, 8000).await;
    let opened = socket
        .next_message(
            |m| matches!(m, quai_protocol::ServerMsg::Ports { ports, .. } if !ports.is_empty()),
        )
        .await;
    let quai_protocol::ServerMsg::Ports { node, ports } = opened else {
        unreachable!()
    };
    assert_eq!(node, "node1");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].port, 8000);
    assert_eq!(
        ports[0].url,
        preview(&server, &format!("/p/{}/node1/8000/", session.session.id))
    );
    // The page opens the address it was given.
    let text = server
        .http
        .get(&ports[0].url)
        .header("cookie", cookie(&session))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("path=/ "), "{text}");
    exec_in_node(&server, &session, "node1", "pkill -f app.py", &[]).await;
    socket
        .next_message(
            |m| matches!(m, quai_protocol::ServerMsg::Ports { ports, .. } if ports.is_empty()),
        )
        .await;
    server.stop().await;
}

#[tokio::test]
async fn with_a_preview_domain_each_port_has_a_host_of_its_own_opened_by_a_ticket() {
    let server = TestServer::start_with("preview-hosts", |c| {
        c.preview_domain = Some("preview.quai.test".into());
    })
    .await;
    let session = server.create_session().await;
    let mut socket = server.socket(&session).await;
    socket.hello().await;
    start_app(&server, &session, 8000).await;
    let announced = socket
        .next_message(
            |m| matches!(m, quai_protocol::ServerMsg::Ports { ports, .. } if !ports.is_empty()),
        )
        .await;
    let quai_protocol::ServerMsg::Ports { ports, .. } = announced else {
        unreachable!()
    };
    let preview_addr = server.server.as_ref().unwrap().preview_addr;
    let host = format!("8000-node1-{}.preview.quai.test", session.session.id);
    let url = &ports[0].url;
    assert!(
        url.starts_with(&format!(
            "http://{host}:{}/__quai/enter?ticket=",
            preview_addr.port()
        )),
        "{url}"
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, preview_addr)
        .resolve(
            &format!("8001-node1-{}.preview.quai.test", session.session.id),
            preview_addr,
        )
        .build()
        .unwrap();
    // Without the ticket's cookie, nothing; the ticket gives the host its cookie.
    let base = format!("http://{host}:{}", preview_addr.port());
    let status = client
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
    let entered = client.get(url).send().await.unwrap();
    assert_eq!(entered.status(), 303);
    let cookie = entered.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("quai_preview=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    // The app lives at `/` there, and never sees the ticket.
    let text = client
        .get(format!("{base}/notebook?x=1"))
        .header("cookie", format!("{pair}; app=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "path=/notebook?x=1 cookie=app=1 prefix=None");
    // An app of another port may have set a cookie of the same name first: every ticket the
    // browser sends is tried, not only the first.
    let status = client
        .get(format!("{base}/"))
        .header("cookie", format!("quai_preview=forged-by-an-app; {pair}"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    // The ticket of port 8000 opens nothing else, and a forged one opens nothing.
    let other = format!(
        "http://8001-node1-{}.preview.quai.test:{}/",
        session.session.id,
        preview_addr.port()
    );
    let status = client
        .get(&other)
        .header("cookie", pair.clone())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
    let forged = url.replace("ticket=", "ticket=9");
    assert_eq!(client.get(&forged).send().await.unwrap().status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn an_app_cannot_set_quai_cookies_nor_domain_cookies_and_never_sees_authorization() {
    let server = TestServer::start("preview-cookies").await;
    let owner = server.create_session().await;
    start_app(&server, &owner, 8000).await;
    // Cookies ignore ports: what an app sets on the preview port reaches Quai's own pages.
    let response = server
        .preview_get(&owner, "node1", 8000, "/set-cookies")
        .await;
    assert_eq!(response.status(), 200);
    let set: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set, ["app=1; Path=/", "theme=dark; HttpOnly"]);

    let id = &owner.session.id;
    let echoed = server
        .http
        .get(preview(
            &server,
            &format!("/p/{id}/node1/8000/authorization"),
        ))
        .header("cookie", cookie(&owner))
        .header("authorization", format!("Bearer {}", owner.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(echoed, "authorization=None");
    server.stop().await;
}

#[tokio::test]
async fn an_app_that_never_answers_gets_a_gateway_timeout_not_a_request_held_forever() {
    let server = TestServer::start_with("preview-silent", |c| c.preview_answer_timeout = 2).await;
    let owner = server.create_session().await;
    start_app(&server, &owner, 8000).await;
    let response = server.preview_get(&owner, "node1", 8000, "/silent").await;
    assert_eq!(response.status(), 504);
    let text = response.text().await.unwrap();
    assert!(text.contains("did not answer within 2 s"), "{text}");
    // The app itself still answers other requests.
    let ok = server.preview_get(&owner, "node1", 8000, "/hello").await;
    assert_eq!(ok.status(), 200);
    server.stop().await;
}
