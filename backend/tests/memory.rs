//! What transfers cost the server's memory, measured on the real server running in this
//! process: its peak resident size (`VmHWM`) before and after an 80 MB upload, download,
//! workspace export and import, each streamed from and to files by a client that holds none
//! of it. The server keeps transfers on disk and in flight, never whole in memory. The test
//! lives alone in its binary, so no other test's memory counts.

mod common;

use std::path::Path;

use axum::body::Body;
use common::{exec_in_node, TestServer};
use futures::StreamExt;
use hyper_util::rt::TokioIo;
use quai_protocol::SessionCreated;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The process's peak resident size, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// A file's contents as a request body, read 64 KiB at a time.
async fn file_body(path: &Path) -> (Body, u64) {
    let file = tokio::fs::File::open(path).await.unwrap();
    let size = file.metadata().await.unwrap().len();
    let chunks = futures::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
            }
            Err(err) => Some((Err(err), file)),
        }
    });
    (Body::from_stream(chunks), size)
}

/// Sends one request to the server with `body`, writes the answer's body to `out` as it
/// comes; returns the status.
async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    session: &SessionCreated,
    body: Option<&Path>,
    out: &Path,
) -> u16 {
    let addr = server.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", &addr)
        .header("authorization", format!("Bearer {}", session.token));
    let body = match body {
        Some(file) => {
            let (body, size) = file_body(file).await;
            request = request.header("content-length", size);
            body
        }
        None => Body::empty(),
    };
    let response = sender
        .send_request(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut written = tokio::fs::File::create(out).await.unwrap();
    let mut chunks = Body::new(response.into_body()).into_data_stream();
    while let Some(chunk) = chunks.next().await {
        written.write_all(&chunk.unwrap()).await.unwrap();
    }
    written.flush().await.unwrap();
    status
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut hasher).unwrap();
    hex::encode(hasher.finalize())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_80_mb_workspace_crosses_the_server_without_being_held_in_memory() {
    let server = TestServer::start_with("memory", |c| {
        c.transfer_limit_mb = 100;
        c.node_disk_mb = 400;
        c.node_memory_mb = 1024;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // 80 MB that do not compress, packed as a browser's upload is.
    let big = dir.path().join("upload/big.bin");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&big).unwrap();
        let mut block = vec![0u8; 1024 * 1024];
        for i in 0..80u32 {
            use sha2::Digest;
            for (n, chunk) in block.chunks_mut(32).enumerate() {
                let seed = format!("{i}-{n}");
                chunk.copy_from_slice(&sha2::Sha256::digest(seed.as_bytes()));
            }
            file.write_all(&block).unwrap();
        }
    }
    let expected = sha256_of(&big);
    let upload = dir.path().join("upload.tar");
    {
        let mut builder = tar::Builder::new(std::fs::File::create(&upload).unwrap());
        builder.append_path_with_name(&big, "big.bin").unwrap();
        builder.finish().unwrap();
    }
    let first = server.create_session().await;
    let second = server.create_session().await;
    let api = |s: &SessionCreated, path: &str| format!("/api/sessions/{}{path}", s.session.id);
    let answer = dir.path().join("answer");

    let before = peak_kib();
    let status = send(
        &server,
        "POST",
        &api(&first, "/nodes/node1/files/upload?dir=/root"),
        &first,
        Some(&upload),
        &answer,
    )
    .await;
    assert_eq!(status, 201, "{}", std::fs::read_to_string(&answer).unwrap());
    let downloaded = dir.path().join("downloaded.bin");
    let status = send(
        &server,
        "GET",
        &api(&first, "/nodes/node1/files/download?path=/root/big.bin"),
        &first,
        None,
        &downloaded,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sha256_of(&downloaded), expected);
    let workspace = dir.path().join("workspace.tar.gz");
    let status = send(
        &server,
        "GET",
        &api(&first, "/workspace?dirs=/root"),
        &first,
        None,
        &workspace,
    )
    .await;
    assert_eq!(status, 200);
    let status = send(
        &server,
        "POST",
        &api(&second, "/workspace"),
        &second,
        Some(&workspace),
        &answer,
    )
    .await;
    assert_eq!(status, 201, "{}", std::fs::read_to_string(&answer).unwrap());
    let grown = peak_kib().saturating_sub(before);
    eprintln!("peak memory grew by {grown} KiB for 4 transfers of 80 MB");

    let (code, out) = exec_in_node(&server, &second, "node1", "sha256sum /root/big.bin", b"").await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with(&expected), "{out}");
    // 320 MB crossed the server; its peak grew by a small part of one file's size.
    assert!(
        grown < 40 * 1024,
        "the server's peak memory grew by {} MiB for 80 MB transfers",
        grown / 1024
    );
    server.stop().await;
}
