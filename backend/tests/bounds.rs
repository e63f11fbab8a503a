//! What one session can make the server hold, against the real engine: a check that floods
//! its output is kept to its end, a session runs one transfer at a time, a download streams
//! through without being held whole, and a workspace's size limit holds for the whole archive,
//! not per node.

mod common;

use std::path::Path;

use common::{exec_in_node, TestServer};
use quai_protocol::{ApiError, CheckResult, CreateSession, LessonStarted, Profile, SessionCreated};

fn write(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    if path.extension().is_some_and(|e| e == "sh") {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[tokio::test]
async fn a_check_flooding_its_output_costs_the_server_only_its_end() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("flood");
    write(
        &dir.join("lesson.toml"),
        "profile = \"shell\"\n[title]\nen = \"Flood\"\n",
    );
    write(&dir.join("intro.en.md"), "# Intro\n");
    write(&dir.join("finish.en.md"), "# End\n");
    write(&dir.join("steps/01-one.en.md"), "# One\n");
    write(
        &dir.join("steps/01-one.verify.sh"),
        "#!/bin/bash\nhead -c 50000000 /dev/zero | tr '\\0' x\necho\necho 'Not there yet.'\nexit 1\n",
    );
    write(&dir.join("steps/01-one.solution.sh"), "#!/bin/bash\ntrue\n");
    let lessons = root.path().to_path_buf();
    let server = TestServer::start_with("check-flood", |c| c.lessons_dir = lessons).await;
    let started: LessonStarted = server
        .http
        .post(server.url("/api/lessons/flood/start"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = &started.created;
    let response = server
        .http
        .post(server.url(&format!("/api/sessions/{}/check", created.session.id)))
        .bearer_auth(&created.token)
        .json(&quai_protocol::CheckStep { step: 1 })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(body.len() < 300 * 1024, "{} bytes", body.len());
    let result: CheckResult = serde_json::from_slice(&body).unwrap();
    assert!(!result.passed);
    assert!(
        result.output.contains("Not there yet."),
        "{}",
        result.output
    );
    server.stop().await;
}

fn api(session: &SessionCreated, path: &str) -> String {
    format!("/api/sessions/{}{path}", session.session.id)
}

#[tokio::test]
async fn a_session_runs_one_transfer_at_a_time_and_downloads_stream_through() {
    let server = TestServer::start("one-transfer").await;
    let session = server.create_session().await;
    let (code, out) = exec_in_node(
        &server,
        &session,
        "node1",
        "head -c 30000000 /dev/urandom > /root/big.bin && sha256sum /root/big.bin",
        b"",
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    let expected = out.split_whitespace().next().unwrap().to_string();
    let download = |path: &str| {
        server
            .http
            .get(server.url(&api(
                &session,
                &format!("/nodes/node1/files/download?path={path}"),
            )))
            .bearer_auth(&session.token)
            .send()
    };
    // The first download has begun and is not read yet: it holds the session's transfer.
    let first = download("/root/big.bin").await.unwrap();
    assert_eq!(first.status(), 200);
    let second = download("/root/big.bin").await.unwrap();
    assert_eq!(second.status(), 429);
    let err: ApiError = second.json().await.unwrap();
    assert!(
        err.message
            .contains("nother transfer of this session is still running"),
        "{}",
        err.message
    );
    // Read to its end, the first is whole; then the session may transfer again.
    let bytes = first.bytes().await.unwrap();
    assert_eq!(bytes.len(), 30_000_000);
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), expected);
    let mut again = None;
    for _ in 0..50 {
        let response = download("/root/big.bin").await.unwrap();
        if response.status() == 200 {
            again = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "the transfer's place was never given back");
    server.stop().await;
}

#[tokio::test]
async fn a_workspaces_size_limit_holds_for_the_whole_archive() {
    let server = TestServer::start_with("workspace-limit", |c| c.transfer_limit_mb = 1).await;
    let session = server
        .create(&CreateSession {
            nodes: Some(2),
            profile: Some(Profile::Shell),
        })
        .await;
    for node in ["node1", "node2"] {
        let (code, out) = exec_in_node(
            &server,
            &session,
            node,
            "head -c 700000 /dev/urandom > /root/part.bin",
            b"",
        )
        .await;
        assert_eq!(code, Some(0), "{out}");
    }
    // Each node's part is under the limit; together they are over it.
    let response = server
        .http
        .get(server.url(&api(&session, "/workspace?dirs=/root")))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let err: ApiError = response.json().await.unwrap();
    assert!(err.message.contains("1 MB"), "{}", err.message);
    server.stop().await;
}
