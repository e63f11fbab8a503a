//! `cargo bench -p quai-backend --bench classroom`: a class as a room lives it, against a
//! real `quai serve` process (its CPU and memory read from /proc).
//!
//! - **Joining**: a class of QUAI_BENCH_SEATS (50) docker seats, prepared ahead; every
//!   student joins in the same second from one address, opens the terminal and waits for
//!   the prompt. Side by side: the same number of students each starting a docker
//!   playground of their own at once (`POST /api/sessions`, per-client limits lifted).
//! - **Broadcast**: the instructor's demo terminal on air to QUAI_BENCH_VIEWERS (200)
//!   sockets of seats; each keystroke's delivery time to every viewer, beside the
//!   instructor's own page; the server's CPU time and memory.
//!
//! Writes Markdown to `target/bench/classroom.md` (or QUAI_BENCH_OUT).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::TestSocket;
use futures::StreamExt;
use quai_protocol::{ClientMsg, Profile, ServerMsg, SessionCreated, PROTOCOL_VERSION};
use support::served::{room_for, Served};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn socket(base: &str, path: &str, cookie: &str) -> TestSocket {
    let url = format!("{}{path}", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("socket opens");
    TestSocket {
        ws,
        output: Default::default(),
        messages: Vec::new(),
    }
}

/// Opens a session's terminal 1 and waits for its prompt.
async fn prompt(base: &str, session: &SessionCreated) {
    let cookie = format!("quai_{}={}", session.session.id, session.token);
    let mut ws = socket(
        base,
        &format!("/api/sessions/{}/ws", session.session.id),
        &cookie,
    )
    .await;
    ws.hello().await;
    ws.open_shell(1).await;
}

fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with(name))
        .unwrap_or_default()
        .to_string()
}

/// min / median / p99 / max of `values`, in the unit they are in.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64, f64) {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (values[0], at(0.5), at(0.99), values[values.len() - 1])
}

async fn ready_seats(base: &str, class: &str, token: &str, want: u32) {
    let client = http();
    for _ in 0..1800 {
        let info: serde_json::Value = client
            .get(format!("{base}/api/classes/{class}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if info["ready"].as_u64() == Some(want as u64) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the class never had {want} ready seats");
}

/// Every student of the room at once: from the start, each one's time to a prompt (ms).
async fn room_at_once<F, Fut>(n: usize, one: F) -> Vec<f64>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    futures::future::join_all((0..n).map(|i| {
        let fut = one(i);
        async move {
            fut.await;
            start.elapsed().as_secs_f64() * 1000.0
        }
    }))
    .await
}

async fn joining(seats: usize) -> String {
    let served = Served::start("join", &room_for(seats * 3));
    let base = served.base.clone();
    served.cli(&["instructors", "add", "ada"]);
    let line = served.cli(&[
        "class",
        "create",
        "--title",
        "Bench",
        "--seats",
        &seats.to_string(),
        "--profile",
        "docker",
        "--json",
    ]);
    let created: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let (class, code, token) = (
        created["id"].as_str().unwrap().to_string(),
        created["code"].as_str().unwrap().to_string(),
        created["instructor_token"].as_str().unwrap().to_string(),
    );
    let preparing = Instant::now();
    ready_seats(&base, &class, &token, seats as u32).await;
    let prepared = preparing.elapsed();
    let joins = room_at_once(seats, |i| {
        let (base, code) = (base.clone(), code.clone());
        async move {
            let joined = http()
                .post(format!("{base}/api/join"))
                .json(&serde_json::json!({"code": code, "name": format!("Student {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(joined.status(), 201);
            let session: SessionCreated = joined.json().await.unwrap();
            prompt(&base, &session).await;
        }
    })
    .await;
    // The class ends (its seats go) before the room starts playgrounds of its own.
    let ended = http()
        .post(format!("{base}/api/classes/{class}/end"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let starts = room_at_once(seats, |_| {
        let base = base.clone();
        async move {
            let started = http()
                .post(format!("{base}/api/sessions"))
                .json(&serde_json::json!({"profile": Profile::Docker}))
                .send()
                .await
                .unwrap();
            assert_eq!(started.status(), 201, "{:?}", started.text().await);
            let session: SessionCreated = started.json().await.unwrap();
            prompt(&base, &session).await;
        }
    })
    .await;
    served.stop();
    let (j, s) = (spread(joins), spread(starts));
    format!(
        "A class of {seats} docker seats, prepared ahead ({:.0} s for all {seats}); then every \
         student at once, from one address, until a prompt in their terminal (ms, from the \
         moment they all clicked):\n\n| {seats} students at once | min | median | p99 | last |\n|---|---|---|---|---|\n\
         | join the class (`POST /api/join`, seats ready) | {:.0} | **{:.0}** | {:.0} | **{:.0}** |\n\
         | each starts a docker playground (`POST /api/sessions`, limits lifted) | {:.0} | **{:.0}** | {:.0} | **{:.0}** |\n",
        prepared.as_secs_f64(),
        j.0, j.1, j.2, j.3, s.0, s.1, s.2, s.3
    )
}

async fn broadcast(viewers: usize) -> String {
    // A few seats, several sockets each (a student's tabs): the server serves each alike.
    let seats = 4usize;
    let served = Served::start("air", &room_for((seats + 4) * 3));
    let base = served.base.clone();
    let link = served.cli(&["instructors", "add", "ada"]);
    let token = link.trim().rsplit('#').next().unwrap().to_string();
    let signed = http()
        .post(format!("{base}/api/instructor/link"))
        .json(&serde_json::json!({"token": token, "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200, "{:?}", signed.text().await);
    let ada = cookie_of(&signed, "quai_instructor");
    let line = served.cli(&[
        "class",
        "create",
        "--title",
        "Air",
        "--seats",
        &seats.to_string(),
        "--profile",
        "shell",
        "--json",
    ]);
    let created: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let (class, code) = (
        created["id"].as_str().unwrap().to_string(),
        created["code"].as_str().unwrap().to_string(),
    );
    let mut seat_cookies = Vec::new();
    for i in 0..seats {
        let joined = http()
            .post(format!("{base}/api/join"))
            .json(&serde_json::json!({"code": code, "name": format!("Student {i}")}))
            .send()
            .await
            .unwrap();
        let session: SessionCreated = joined.json().await.unwrap();
        seat_cookies.push((
            session.session.id.clone(),
            format!("quai_{}={}", session.session.id, session.token),
        ));
    }
    let demo = http()
        .post(format!("{base}/api/classes/{class}/demo"))
        .header("cookie", &ada)
        .send()
        .await
        .unwrap();
    let demo: SessionCreated = demo.json().await.unwrap();
    let demo_cookie = format!("quai_{}={}", demo.session.id, demo.token);
    let mut desk = socket(
        &base,
        &format!("/api/sessions/{}/ws", demo.session.id),
        &demo_cookie,
    )
    .await;
    desk.hello().await;
    desk.open_shell(1).await;
    let on = http()
        .post(format!("{base}/api/classes/{class}/broadcast"))
        .header("cookie", &ada)
        .json(&serde_json::json!({"on": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), 200);
    let idle = served.usage();
    // The audience, each waiting for the terminal on air.
    let mut audience = Vec::new();
    for i in 0..viewers {
        let (id, cookie) = &seat_cookies[i % seats];
        let mut ws = socket(&base, &format!("/api/sessions/{id}/broadcast"), cookie).await;
        ws.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
        })
        .await;
        ws.next_message(|m| matches!(m, ServerMsg::Viewing { .. }))
            .await;
        audience.push(ws);
    }
    let watching = served.usage();
    // Keystrokes: a token typed into the demo, its echo timed at every viewer and at the
    // instructor's own page.
    let keys = env_or("QUAI_BENCH_KEYS", 30);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, String, Instant)>();
    for (i, mut ws) in audience.into_iter().enumerate() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut seen = String::new();
            while let Some(Ok(msg)) = ws.ws.next().await {
                if let tokio_tungstenite::tungstenite::Message::Binary(bytes) = msg {
                    if let Ok(frame) = quai_protocol::Frame::decode(&bytes) {
                        seen.push_str(&String::from_utf8_lossy(&frame.data));
                        while let Some(at) = seen.find("QK") {
                            if seen.len() < at + 6 {
                                break;
                            }
                            let token = seen[at..at + 6].to_string();
                            let _ = tx.send((i, token, Instant::now()));
                            seen.drain(..at + 6);
                        }
                    }
                }
            }
        });
    }
    drop(tx);
    let cpu_before = served.usage().0;
    let mut own = Vec::new();
    let mut viewers_ms = Vec::new();
    for k in 0..keys {
        let token = format!("QK{k:04}");
        let sent = Instant::now();
        desk.type_in(1, &token).await;
        desk.wait_for_output(1, &token).await;
        own.push(sent.elapsed().as_secs_f64() * 1000.0);
        let mut arrived = 0;
        while arrived < viewers {
            let Ok(Some((_, seen, at))) =
                tokio::time::timeout(Duration::from_secs(30), rx.recv()).await
            else {
                panic!("only {arrived} of {viewers} viewers saw {token}");
            };
            if seen == token {
                arrived += 1;
                viewers_ms.push(at.duration_since(sent).as_secs_f64() * 1000.0);
            }
        }
        // The line is cleared for the next token.
        desk.type_in(1, "\u{15}").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu = served.usage().0 - cpu_before;
    served.stop();
    let (o, v) = (spread(own), spread(viewers_ms));
    format!(
        "The instructor's demo terminal on air to {viewers} sockets of {seats} seats (loopback), \
         {keys} keystrokes typed into it one at a time; delivery from the keystroke (ms):\n\n\
         | {viewers} viewers | min | median | p99 | max |\n|---|---|---|---|---|\n\
         | the instructor's own page (the echo) | {:.1} | **{:.1}** | {:.1} | {:.1} |\n\
         | every viewer ({} deliveries) | {:.1} | **{:.1}** | **{:.1}** | {:.1} |\n\n\
         The server (one `quai serve` process): {:.0} MiB resident with the class and the demo, \
         {:.0} MiB with the {viewers} viewers connected; {:.2} s of CPU for the {keys} keystrokes \
         to every viewer.\n",
        o.0,
        o.1,
        o.2,
        o.3,
        viewers * keys,
        v.0,
        v.1,
        v.2,
        v.3,
        idle.1,
        watching.1,
        cpu
    )
}

#[tokio::main]
async fn main() {
    let seats = env_or("QUAI_BENCH_SEATS", 50);
    let viewers = env_or("QUAI_BENCH_VIEWERS", 200);
    let air = broadcast(viewers).await;
    println!("{air}");
    let join = joining(seats).await;
    println!("{join}");
    let out = format!(
        "Measured with `cargo bench -p quai-backend --bench classroom` against a `quai serve` \
         process, on the machine that ran it: {} cores.\n\n{join}\n{air}",
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
    );
    let path = std::env::var("QUAI_BENCH_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/classroom.md").to_string()
    });
    if let Some(dir) = Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("bench output folder");
    }
    std::fs::write(&path, &out).expect("bench output");
    println!("written to {path}");
}
