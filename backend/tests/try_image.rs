//! "Try an image" against the real engine: an image the catalog lacks is refused with the
//! list of what is there; a server image runs in the background, published and reachable
//! through the preview; any other runs in the first terminal, and leaving it lands in the
//! node's shell.

mod common;

use common::TestServer;
use quai_protocol::{ApiError, ImageCatalog, TryImage, TryStarted};

async fn start_server(name: &str) -> TestServer {
    TestServer::start_with(name, |c| {
        c.local_registry = true;
    })
    .await
}

async fn try_image(server: &TestServer, image: &str) -> Result<TryStarted, (u16, ApiError)> {
    let response = server
        .http
        .post(server.url("/api/try"))
        .json(&TryImage {
            image: image.into(),
        })
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 201 {
        Ok(response.json().await.unwrap())
    } else {
        Err((status, response.json().await.unwrap()))
    }
}

#[tokio::test]
async fn a_server_image_runs_beside_a_shell_and_answers_through_the_preview() {
    let server = start_server("try-nginx").await;
    let catalog: ImageCatalog = server
        .http
        .get(server.url("/api/images"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(catalog.images.contains(&"nginx".to_string()), "{catalog:?}");
    assert!(
        catalog.images.contains(&"python:3".to_string()),
        "{catalog:?}"
    );

    let (status, err) = try_image(&server, "tensorflow/tensorflow:latest-gpu")
        .await
        .unwrap_err();
    assert_eq!(status, 404);
    assert!(
        err.message.contains("is not available offline") && err.message.contains("nginx"),
        "{}",
        err.message
    );
    let (status, _) = try_image(&server, "nginx; reboot").await.unwrap_err();
    assert_eq!(status, 404);

    let started = try_image(&server, "nginx").await.unwrap();
    assert_eq!(started.image, "nginx:latest");
    assert_eq!(started.ports, [80]);
    let created = &started.created;
    let page = server
        .preview_get(created, "node1", 80, "/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("nginx"), "{page}");
    // The terminal is a shell beside it, which says so.
    let mut socket = server.shell(created).await;
    let out = socket
        .run(1, "docker ps --format '{{.Names}} {{.Image}}'")
        .await;
    assert!(out.contains("try nginx"), "{out}");
    server.stop().await;
}

#[tokio::test]
async fn any_other_image_runs_in_the_first_terminal() {
    let server = start_server("try-busybox").await;
    let started = try_image(&server, "busybox").await.unwrap();
    assert!(started.ports.is_empty());
    let mut socket = server.socket(&started.created).await;
    socket.hello().await;
    socket
        .send(&quai_protocol::ClientMsg::OpenTerminal {
            term: 1,
            node: "node1".into(),
            cols: 80,
            rows: 24,
        })
        .await;
    socket
        .wait_for_output(1, "docker run -it --rm busybox")
        .await;
    // Inside busybox: its shell answers; `exit` comes back to the node's bash.
    socket
        .type_in(1, "busybox | head -1; echo in-$((6*7))\r")
        .await;
    let out = socket.wait_for_output(1, "in-42").await;
    assert!(out.contains("BusyBox v"), "{out}");
    socket.type_in(1, "exit\r").await;
    socket.wait_for_output(1, "student@node1").await;
    socket.type_in(1, "echo back-in-$BASH_VERSINFO\r").await;
    socket.wait_for_output(1, "back-in-5").await;
    server.stop().await;
}
