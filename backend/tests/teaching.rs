//! A class going on, against the real engine: the instructor peeks at a student's terminal
//! (live, read-only: what the student types shows, what the viewer types goes nowhere) and
//! the student's page says who watches; help is asked, the student says yes, the helper's
//! keys reach the student's terminal until the student stops it, and the help log keeps
//! it; the instructor's demo terminal is broadcast to the seat, which cannot type in it;
//! and nobody else gets in (another instructor, a student, a foreign Origin, a playground
//! that is no seat).

mod common;

use common::{TestServer, TestSocket};
use quai_protocol::{
    BroadcastState, ClientMsg, HelpRecord, HelpState, NewClass, PeekSeat, Profile, ServerMsg,
    SessionCreated, PROTOCOL_VERSION,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Instructor `name` signed in: the cookie of their browser.
async fn instructor(server: &TestServer, name: &str) -> String {
    let state = &server.server.as_ref().unwrap().state;
    let link = state.instructors.add(name).await.unwrap();
    let (_, token) = state
        .instructors
        .redeem(&link.token, "correct horse battery staple", None)
        .await
        .unwrap();
    format!("quai_instructor={token}")
}

async fn get(server: &TestServer, path: &str, cookie: &str) -> reqwest::Response {
    server
        .http
        .get(server.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn post(
    server: &TestServer,
    path: &str,
    cookie: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    server
        .http
        .post(server.url(path))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Opens the socket at `path` with `cookie` (and `origin`): the socket, or the HTTP status
/// that refused it.
async fn socket(
    server: &TestServer,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
) -> Result<TestSocket, u16> {
    let url = server.url(path).replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(TestSocket {
            ws,
            output: Default::default(),
            messages: Vec::new(),
        }),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("socket failed: {other}"),
    }
}

async fn say_hello(socket: &mut TestSocket) {
    socket
        .send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
        })
        .await;
}

#[tokio::test]
async fn an_instructor_peeks_helps_with_consent_and_broadcasts_and_nobody_else_can() {
    let server = TestServer::start("teaching").await;
    let ada = instructor(&server, "ada").await;
    let bob = instructor(&server, "bob").await;
    let state = server.server.as_ref().unwrap().state.clone();
    let owner = state.instructors.named("ada").await.unwrap().unwrap();
    let new = NewClass {
        title: "Docker 101".into(),
        seats: 2,
        profile: Some(Profile::Shell),
        ..NewClass::default()
    };
    let store = quai::store::Store::open(&state.config.database).unwrap();
    let created = quai::classes::create(&store, &state.config.instance, &owner, new, &|_| None)
        .await
        .unwrap();
    let class = created.class.id.clone();
    let joined = server
        .http
        .post(server.url("/api/join"))
        .json(&serde_json::json!({"code": created.class.code, "name": "Grace"}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    let seat: SessionCreated = joined.json().await.unwrap();
    let seat_cookie = format!("quai_{}={}", seat.session.id, seat.token);
    let mut student = server.socket(&seat).await;
    student.hello().await;
    student.open_shell(1).await;

    // The seats to peek at: the instructor's own class only.
    let peek = get(&server, &format!("/api/classes/{class}/peek"), &ada).await;
    assert_eq!(peek.status(), 200);
    let seats: Vec<PeekSeat> = peek.json().await.unwrap();
    assert_eq!(seats.len(), 1);
    assert_eq!(seats[0].name, "Grace");
    assert_eq!(seats[0].terminals.len(), 1);
    assert!(!seats[0].seat.contains(&seat.session.id) && !seat.session.id.contains(&seats[0].seat));
    assert_eq!(
        get(&server, &format!("/api/classes/{class}/peek"), &bob)
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&server, &format!("/api/classes/{class}/peek"), &seat_cookie)
            .await
            .status(),
        401
    );
    let watch = format!(
        "/api/classes/{class}/seats/{}/terminals/1/watch",
        seats[0].seat
    );
    assert_eq!(socket(&server, &watch, &bob, None).await.err(), Some(404));
    assert_eq!(
        socket(&server, &watch, &seat_cookie, None).await.err(),
        Some(401)
    );
    assert_eq!(
        socket(&server, &watch, &ada, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    let forged = format!("/api/classes/{class}/seats/0123456789ab/terminals/1/watch");
    assert_eq!(socket(&server, &forged, &ada, None).await.err(), Some(404));

    // Peeking: what the student types shows; the student's page says who watches.
    let mut viewer = socket(&server, &watch, &ada, None).await.unwrap();
    say_hello(&mut viewer).await;
    viewer
        .next_message(|m| matches!(m, ServerMsg::Viewing { term: 1, .. }))
        .await;
    let watchers = student
        .next_message(|m| matches!(m, ServerMsg::Watchers { watchers, .. } if !watchers.is_empty()))
        .await;
    let ServerMsg::Watchers { watchers, .. } = watchers else {
        unreachable!()
    };
    assert_eq!(
        (
            watchers[0].name.as_str(),
            watchers[0].term,
            watchers[0].typing
        ),
        ("ada", 1, false)
    );
    student.type_in(1, "echo peeked-$((3*3))\r").await;
    viewer.wait_for_output(1, "peeked-9").await;
    // Read-only: the viewer's keys go nowhere.
    viewer.type_in(1, "echo sneaky-$((2*2))\r").await;
    let ServerMsg::Error { message, .. } = viewer
        .next_message(|m| matches!(m, ServerMsg::Error { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(message.contains("read-only"), "{message}");

    // Help: asked, accepted, typed, stopped by the student.
    viewer.send(&ClientMsg::HelpAsk).await;
    student
        .next_message(|m| matches!(m, ServerMsg::HelpChanged { state: HelpState::Asked, name, .. } if name == "ada"))
        .await;
    student.send(&ClientMsg::HelpAnswer { accept: true }).await;
    viewer
        .next_message(|m| {
            matches!(
                m,
                ServerMsg::HelpChanged {
                    state: HelpState::Granted,
                    ..
                }
            )
        })
        .await;
    viewer.type_in(1, "echo helped-$((4*4))\r").await;
    student.wait_for_output(1, "helped-16").await;
    student.send(&ClientMsg::HelpEnd).await;
    viewer
        .next_message(|m| {
            matches!(
                m,
                ServerMsg::HelpChanged {
                    state: HelpState::Ended,
                    ..
                }
            )
        })
        .await;
    let text = student.output.get(&1).cloned().unwrap_or_default();
    assert!(
        !text.contains("sneaky-4"),
        "a read-only viewer typed: {text}"
    );
    let mut log: Vec<HelpRecord> = Vec::new();
    for _ in 0..50 {
        log = get(&server, &format!("/api/classes/{class}/help"), &ada)
            .await
            .json()
            .await
            .unwrap();
        if log
            .first()
            .is_some_and(|h| h.outcome.as_deref() == Some("ended"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].student.as_str(), log[0].instructor.as_str()),
        ("Grace", "ada")
    );
    assert!(
        log[0].granted_at.is_some() && log[0].ended_at.is_some(),
        "{log:?}"
    );
    assert_eq!(
        get(&server, &format!("/api/classes/{class}/help"), &bob)
            .await
            .status(),
        404
    );

    // A class that allows help up front: the keys go through at once, and the student sees it.
    let allowed = post(
        &server,
        &format!("/api/classes/{class}/help"),
        &ada,
        serde_json::json!({"up_front": true}),
    )
    .await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        post(
            &server,
            &format!("/api/classes/{class}/help"),
            &bob,
            serde_json::json!({"up_front": true})
        )
        .await
        .status(),
        404
    );
    drop(viewer);
    let mut viewer = socket(&server, &watch, &ada, None).await.unwrap();
    say_hello(&mut viewer).await;
    viewer
        .next_message(|m| matches!(m, ServerMsg::Viewing { term: 1, .. }))
        .await;
    viewer.send(&ClientMsg::HelpAsk).await;
    viewer
        .next_message(|m| {
            matches!(
                m,
                ServerMsg::HelpChanged {
                    state: HelpState::Granted,
                    ..
                }
            )
        })
        .await;
    student
        .next_message(|m| {
            matches!(
                m,
                ServerMsg::HelpChanged {
                    state: HelpState::Granted,
                    ..
                }
            )
        })
        .await;
    viewer.type_in(1, "echo up-front-$((3*7))\r").await;
    student.wait_for_output(1, "up-front-21").await;
    drop(viewer);
    student
        .next_message(|m| {
            matches!(
                m,
                ServerMsg::HelpChanged {
                    state: HelpState::Ended,
                    ..
                }
            )
        })
        .await;

    // Broadcast: the instructor's demo terminal reaches the seat, read-only.
    let air = format!("/api/sessions/{}/broadcast", seat.session.id);
    let mut audience = socket(&server, &air, &seat_cookie, None).await.unwrap();
    say_hello(&mut audience).await;
    audience
        .next_message(|m| matches!(m, ServerMsg::OnAir { live: false, .. }))
        .await;
    assert_eq!(
        post(
            &server,
            &format!("/api/classes/{class}/broadcast"),
            &ada,
            serde_json::json!({"on": true})
        )
        .await
        .status(),
        409,
        "no demo yet"
    );
    let demo = post(
        &server,
        &format!("/api/classes/{class}/demo"),
        &ada,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(demo.status(), 201);
    let demo: SessionCreated = demo.json().await.unwrap();
    let mut desk = server.socket(&demo).await;
    desk.hello().await;
    desk.open_shell(1).await;
    let on = post(
        &server,
        &format!("/api/classes/{class}/broadcast"),
        &ada,
        serde_json::json!({"on": true}),
    )
    .await;
    assert_eq!(on.status(), 200);
    let on: BroadcastState = on.json().await.unwrap();
    assert!(on.live && on.term == Some(1), "{on:?}");
    audience
        .next_message(|m| matches!(m, ServerMsg::OnAir { live: true, name } if name == "ada"))
        .await;
    audience
        .next_message(|m| matches!(m, ServerMsg::Viewing { term: 1, .. }))
        .await;
    desk.type_in(1, "echo on-air-$((5*5))\r").await;
    audience.wait_for_output(1, "on-air-25").await;
    audience.type_in(1, "echo from-the-room\r").await;
    audience
        .next_message(|m| matches!(m, ServerMsg::Error { .. }))
        .await;
    let watched: BroadcastState = get(&server, &format!("/api/classes/{class}/broadcast"), &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(watched.audience, 1);
    let off = post(
        &server,
        &format!("/api/classes/{class}/broadcast"),
        &ada,
        serde_json::json!({"on": false}),
    )
    .await;
    assert_eq!(off.status(), 200);
    audience
        .next_message(|m| matches!(m, ServerMsg::OnAir { live: false, .. }))
        .await;
    assert!(!desk
        .output
        .get(&1)
        .cloned()
        .unwrap_or_default()
        .contains("from-the-room"));
    // A playground that is no seat has no broadcast; another instructor cannot touch it.
    let outsider = server.create_session().await;
    let outsider_cookie = format!("quai_{}={}", outsider.session.id, outsider.token);
    let not_a_seat = format!("/api/sessions/{}/broadcast", outsider.session.id);
    assert_eq!(
        socket(&server, &not_a_seat, &outsider_cookie, None)
            .await
            .err(),
        Some(404)
    );
    assert_eq!(
        post(
            &server,
            &format!("/api/classes/{class}/broadcast"),
            &bob,
            serde_json::json!({"on": true})
        )
        .await
        .status(),
        404
    );
    // Ending the class ends the seats and the demo.
    let ended = post(
        &server,
        &format!("/api/classes/{class}/end"),
        &ada,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(ended.status(), 200);
    desk.next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    student
        .next_message(|m| matches!(m, ServerMsg::SessionEnded { .. }))
        .await;
    assert!(
        common::containers_labelled("quai.instance", &server.instance)
            .await
            .len()
            <= 1
    );
    drop(state);
    server.stop().await;
}
