//! Files of a node against the real engine: upload a folder and find it in the node, refuse
//! `../`, absolute paths, symlinks out of the target and archives too big once unpacked
//! (writing nothing), browse, download a file byte for byte and a folder as tar.gz, edit a
//! text file, find a terminal's folder, and carry a workspace to a new session with its
//! checksums verified (a tampered archive is refused, naming the file).

mod common;

use std::io::Read;

use common::{exec_in_node, TestServer};
use quai_protocol::{ApiError, FileKind, Listing, Restored, SessionCreated, TextFile, Uploaded};

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        let name = header.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn api(session: &SessionCreated, path: &str) -> String {
    format!("/api/sessions/{}{path}", session.session.id)
}

async fn upload(
    server: &TestServer,
    session: &SessionCreated,
    dir: &str,
    body: Vec<u8>,
) -> Result<Uploaded, (u16, String)> {
    let response = server
        .http
        .post(server.url(&api(
            session,
            &format!("/nodes/node1/files/upload?dir={dir}"),
        )))
        .bearer_auth(&session.token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 201 {
        Ok(response.json().await.unwrap())
    } else {
        let err: ApiError = response.json().await.unwrap();
        Err((status, err.message))
    }
}

async fn sh(server: &TestServer, session: &SessionCreated, script: &str) -> String {
    let (code, out) = exec_in_node(server, session, "node1", script, &[]).await;
    assert_eq!(code, Some(0), "{script}: {out}");
    out
}

#[tokio::test]
async fn uploads_land_in_their_folder_and_nowhere_else() {
    let server = TestServer::start_with("files-up", |c| c.transfer_limit_mb = 1).await;
    let session = server.create_session().await;

    let folder = tar_of(&[
        ("project/app.py", b"print('hi')\n"),
        ("project/data/table.csv", b"a,b\n1,2\n"),
    ]);
    let done = upload(&server, &session, "/root", gzip(&folder))
        .await
        .unwrap();
    assert_eq!((done.files, done.dir.as_str()), (2, "/root"));
    let listed = sh(
        &server,
        &session,
        "cd /root && find project -type f | sort && cat project/data/table.csv",
    )
    .await;
    assert_eq!(listed, "project/app.py\nproject/data/table.csv\na,b\n1,2\n");

    // Refused, with a sentence, and nothing written.
    let (status, message) = upload(
        &server,
        &session,
        "/root",
        tar_of(&[("../../etc/quai-evil", b"x")]),
    )
    .await
    .unwrap_err();
    assert_eq!(status, 400);
    assert!(
        message.contains("`../../etc/quai-evil` leaves the folder"),
        "{message}"
    );
    let (_, message) = upload(
        &server,
        &session,
        "/root",
        tar_of(&[("/etc/quai-evil", b"x")]),
    )
    .await
    .unwrap_err();
    assert!(
        message.contains("`/etc/quai-evil` leaves the folder"),
        "{message}"
    );
    sh(
        &server,
        &session,
        "mkdir -p /root/up && ln -s /tmp /root/up/escape",
    )
    .await;
    let (status, message) = upload(
        &server,
        &session,
        "/root/up",
        tar_of(&[("fine.txt", b"ok"), ("escape/quai-evil", b"x")]),
    )
    .await
    .unwrap_err();
    assert_eq!(status, 400);
    assert!(
        message.contains("/tmp/quai-evil is outside /root/up"),
        "{message}"
    );
    let zeros = vec![0u8; 3 * 1024 * 1024];
    let (status, message) = upload(
        &server,
        &session,
        "/root",
        gzip(&tar_of(&[("zeros", &zeros)])),
    )
    .await
    .unwrap_err();
    assert_eq!(status, 400);
    assert!(
        message.contains("larger than 1 MB once unpacked"),
        "{message}"
    );
    let (status, message) = upload(&server, &session, "/root", vec![7u8; 3 * 1024 * 1024])
        .await
        .unwrap_err();
    assert_eq!(status, 413);
    assert!(message.contains("transfers at once (1 MB)"), "{message}");
    let (status, _) = upload(&server, &session, "/root/nowhere", tar_of(&[("a", b"x")]))
        .await
        .unwrap_err();
    assert_eq!(status, 404);
    let left = sh(
        &server,
        &session,
        "ls /etc/quai-evil /tmp/quai-evil /root/up/fine.txt /root/zeros 2>&1; true",
    )
    .await;
    assert_eq!(left.matches("No such file").count(), 4, "{left}");
    server.stop().await;
}

#[tokio::test]
async fn files_are_browsed_downloaded_and_edited() {
    let server = TestServer::start("files-get").await;
    let session = server.create_session().await;
    sh(&server, &session, "mkdir -p /root/site/css && echo '<h1>hi</h1>' > /root/site/index.html && echo 'h1{}' > /root/site/css/a.css && printf 'FROM debian\\n' > /root/Dockerfile && head -c 2048 /dev/urandom > /root/blob.bin").await;

    let listing: Listing = server
        .http
        .get(server.url(&api(&session, "/nodes/node1/files?path=/root")))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<(&str, FileKind)> = listing
        .entries
        .iter()
        .filter(|e| !e.name.starts_with('.'))
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("site", FileKind::Dir),
            ("blob.bin", FileKind::File),
            ("Dockerfile", FileKind::File)
        ]
    );

    // A binary file comes back byte for byte.
    let expected = sh(&server, &session, "sha256sum /root/blob.bin | cut -c1-64").await;
    let blob = server
        .http
        .get(server.url(&api(
            &session,
            "/nodes/node1/files/download?path=/root/blob.bin",
        )))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        format!("{}\n", hex::encode(sha2::Sha256::digest(&blob))),
        expected
    );

    // A folder comes as tar.gz.
    let response = server
        .http
        .get(server.url(&api(
            &session,
            "/nodes/node1/files/download?path=/root/site",
        )))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"site.tar.gz\"; filename*=UTF-8''site.tar.gz"
    );
    let archive = response.bytes().await.unwrap();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(archive.as_ref())
        .read_to_end(&mut tar)
        .unwrap();
    let mut names: Vec<String> = tar::Archive::new(tar.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["site/", "site/css/", "site/css/a.css", "site/index.html"]
    );

    // The editor reads and saves text, and refuses binaries.
    let file: TextFile = server
        .http
        .get(server.url(&api(
            &session,
            "/nodes/node1/files/text?path=/root/Dockerfile",
        )))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file.text, "FROM debian\n");
    let saved = server
        .http
        .put(server.url(&api(&session, "/nodes/node1/files/text")))
        .bearer_auth(&session.token)
        .json(&TextFile {
            path: "/root/Dockerfile".into(),
            text: "FROM debian\nRUN echo é\n".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    assert_eq!(
        sh(&server, &session, "cat /root/Dockerfile").await,
        "FROM debian\nRUN echo é\n"
    );
    let response = server
        .http
        .get(server.url(&api(
            &session,
            "/nodes/node1/files/text?path=/root/blob.bin",
        )))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let err: ApiError = response.json().await.unwrap();
    assert!(err.message.contains("not a text file"), "{}", err.message);

    // Another session's token reaches none of it.
    let other = server.create_session().await;
    let status = server
        .http
        .get(server.url(&api(&session, "/nodes/node1/files?path=/root")))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);

    // Files dropped on a terminal go to its shell's folder.
    let mut socket = server.shell(&session).await;
    socket.run(1, "cd /root/site/css").await;
    let cwd: quai_protocol::WorkingDir = server
        .http
        .get(server.url(&api(&session, "/terminals/1/cwd")))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cwd.path, "/root/site/css");
    server.stop().await;
}

#[tokio::test]
async fn a_workspace_moves_to_a_new_session_and_tampering_is_caught() {
    let server = TestServer::start("files-ws").await;
    let first = server.create_session().await;
    sh(&server, &first, "mkdir -p /root/work/sub && echo one > /root/work/a.txt && echo two > /root/work/sub/b.txt && printf '#!/bin/sh\\necho run\\n' > /root/run.sh && chmod +x /root/run.sh").await;
    let exported = server
        .http
        .get(server.url(&api(&first, "/workspace?dirs=/root")))
        .bearer_auth(&first.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    // The manifest comes first and lists every file with its checksum.
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(exported.as_slice())
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut first_entry = archive.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(
        first_entry.path().unwrap().display().to_string(),
        "manifest.json"
    );
    let mut text = String::new();
    first_entry.read_to_string(&mut text).unwrap();
    let manifest: quai_protocol::Manifest = serde_json::from_str(&text).unwrap();
    let a = manifest
        .files
        .iter()
        .find(|f| f.path == "/root/work/a.txt")
        .unwrap();
    assert_eq!(
        a.sha256,
        "2c8b08da5ce60398e1f19af0e5dccc744df274b826abe585eaba68c525434806"
    );

    let second = server.create_session().await;
    let restored: Restored = server
        .http
        .post(server.url(&api(&second, "/workspace")))
        .bearer_auth(&second.token)
        .body(exported.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(restored.files >= 3, "{restored:?}");
    assert_eq!(
        sh(
            &server,
            &second,
            "cat /root/work/a.txt /root/work/sub/b.txt && /root/run.sh"
        )
        .await,
        "one\ntwo\nrun\n"
    );

    // One byte changed in one file: refused by name, and nothing written.
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(tar.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if entry.header().entry_type().is_dir() {
            continue;
        }
        if path.ends_with("work/sub/b.txt") {
            data = b"TWO\n".to_vec();
        }
        entries.push((path, data));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let tampered = gzip(&tar_of(&refs));
    let third = server.create_session().await;
    let response = server
        .http
        .post(server.url(&api(&third, "/workspace")))
        .bearer_auth(&third.token)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let err: ApiError = response.json().await.unwrap();
    assert!(
        err.message
            .contains("node1:/root/work/sub/b.txt does not match its checksum"),
        "{}",
        err.message
    );
    assert!(sh(&server, &third, "ls /root/work 2>&1 | head -1; true")
        .await
        .contains("No such file"));
    server.stop().await;
}
