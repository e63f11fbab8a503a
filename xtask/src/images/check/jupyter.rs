//! The check of the jupyter image: the notebook server as a student meets it. Started with
//! its port published and a host folder mounted on `/home/jovyan/work`, it prints its
//! tokenised address in `docker logs`; that token (and no other) opens its API; a kernel made
//! through the REST API runs NumPy and pandas code sent over the kernel's WebSocket, as the
//! notebook page sends it; a notebook saved through the contents API lands in the host
//! folder, owned by jovyan. Behind a proxy that names a path prefix, its pages carry the
//! prefix. `JUPYTER_TOKEN` sets the token, and a mounted folder jovyan may not write to makes
//! the server run as that folder's owner.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{chown, MetadataExt};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context, Result};

use super::{catalog_image, parse_response, retry, run, Container, Response};
use crate::images::{size, Images, WORK};

/// Sent over the kernel's WebSocket from inside the container, with the Python the image
/// ships (tornado comes with Jupyter): `python3 -c CLIENT KERNEL_ID TOKEN CODE` prints what
/// the code printed and the value of its last line, as a notebook shows them.
const KERNEL_CLIENT: &str = r#"
import datetime, json, sys, uuid
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

kernel, token, code = sys.argv[1:4]

async def main():
    url = f"ws://127.0.0.1:8888/api/kernels/{kernel}/channels"
    socket = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"}))
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id, "msg_type": "execute_request", "username": "quai",
        "session": uuid.uuid4().hex, "version": "5.3",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    content = {"code": code, "silent": False, "store_history": True,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
    socket.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                     "channel": "shell", "content": content}))
    shown = []
    while True:
        text = await socket.read_message()
        if text is None:
            sys.exit("the kernel's WebSocket closed")
        message = json.loads(text)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            shown.append(content["text"])
        elif kind == "execute_result":
            shown.append(content["data"]["text/plain"] + "\n")
        elif kind == "error":
            sys.exit("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    print("".join(shown), end="")

IOLoop.current().run_sync(main, timeout=90)
"#;

/// The cell the check runs: NumPy, pandas and SciPy together.
const CELL: &str = "import numpy as np, pandas as pd, scipy.stats\n\
                    df = pd.DataFrame({'x': np.arange(1, 11)})\n\
                    df['square'] = df.x ** 2\n\
                    print(int(df.square.sum()))\n\
                    round(scipy.stats.pearsonr(df.x, df.square)[0], 3)";

/// What that cell shows: the sum of the squares of 1..10, and their correlation with 1..10.
const CELL_SHOWS: &str = "385\n0.975\n";

pub(super) fn jupyter_runs_a_kernel_and_saves_notebooks(images: &Images) -> Result<String> {
    let image = catalog_image(images, "jupyter/scipy-notebook:latest")?;
    catalog_image(images, "jupyter/base-notebook:latest")?;
    let work = Folder::new("work")?;
    chown(&work.0, Some(1000), Some(100)).context("cannot give the work folder to uid 1000")?;
    let mount = format!("{}:/home/jovyan/work", work.0.display());
    let jupyter = Container::start(
        "jupyter",
        &image,
        &["-p", "127.0.0.1:0:8888", "-v", &mount],
        &[],
    )?;
    // Started now, so that both servers start at once.
    let given = Container::start(
        "jupyter-token",
        &image,
        &["-p", "127.0.0.1:0:8888", "-e", "JUPYTER_TOKEN=quai-check"],
        &[],
    )?;

    let user = run(&image, &[], &["id", "-un"])?;
    ensure!(user.trim() == "jovyan", "commands run as {:?}", user.trim());
    let root_owned = Folder::new("root-owned")?;
    let mount_root = format!("{}:/home/jovyan/work", root_owned.0.display());
    let uid = run(&image, &["-v", &mount_root], &["id", "-u"])?;
    ensure!(
        uid.trim() == "0",
        "with a work folder of root's, commands run as uid {:?}",
        uid.trim()
    );

    let address = jupyter.port("8888/tcp")?;
    let token = retry(|| {
        let logs = jupyter.logs()?;
        token_in_logs(&logs).with_context(|| format!("no tokenised address in docker logs: {logs}"))
    })?;
    let auth = format!("token {token}");
    let status = retry(|| {
        request(
            &address,
            "GET",
            "/api/status",
            &[("Authorization", &auth)],
            "",
        )
    })?;
    ensure!(
        status.status == 200,
        "GET /api/status answered {}",
        status.status
    );
    let refused = request(
        &address,
        "GET",
        "/api/status",
        &[("Authorization", "token wrong")],
        "",
    )?;
    ensure!(
        refused.status == 403,
        "a wrong token got {}",
        refused.status
    );

    let prefix = "/p/quai-check/node1/8888";
    let tree = request(
        &address,
        "GET",
        "/tree",
        &[("Authorization", &auth), ("X-Forwarded-Prefix", prefix)],
        "",
    )?;
    ensure!(
        tree.status == 200
            && tree.body.contains(&format!("data-base-url=\"{prefix}/\""))
            && tree.body.contains(&format!("\"{prefix}/static/")),
        "behind the prefix {prefix}, GET /tree answered {} without it in its links",
        tree.status
    );

    let kernel = request(
        &address,
        "POST",
        "/api/kernels",
        &[("Authorization", &auth)],
        "",
    )?;
    ensure!(
        kernel.status == 201,
        "POST /api/kernels answered {}: {}",
        kernel.status,
        kernel.body
    );
    let id = json_string(&kernel.body, "id").context("the new kernel has no id")?;
    let shown = jupyter.exec(&["python3", "-c", KERNEL_CLIENT, &id, &token, CELL])?;
    ensure!(
        shown == CELL_SHOWS,
        "the cell showed {shown:?}, not {CELL_SHOWS:?}"
    );

    let notebook = notebook_json(CELL, &shown);
    let saved = request(
        &address,
        "PUT",
        "/api/contents/work/analysis.ipynb",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &notebook,
    )?;
    ensure!(
        saved.status == 201 || saved.status == 200,
        "PUT /api/contents/work/analysis.ipynb answered {}: {}",
        saved.status,
        saved.body
    );
    let file = work.0.join("analysis.ipynb");
    let written = fs::read_to_string(&file)
        .with_context(|| format!("the saved notebook is not in {}", work.0.display()))?;
    ensure!(
        written.contains("\"nbformat\": 4") && written.contains("pearsonr"),
        "{} holds {written:?}",
        file.display()
    );
    let owner = fs::metadata(&file)?.uid();
    ensure!(
        owner == 1000,
        "the saved notebook belongs to uid {owner}, not jovyan's 1000"
    );

    let given_address = given.port("8888/tcp")?;
    let given_status = retry(|| {
        request(
            &given_address,
            "GET",
            "/api/status",
            &[("Authorization", "token quai-check")],
            "",
        )
    })?;
    ensure!(
        given_status.status == 200,
        "with JUPYTER_TOKEN=quai-check, that token got {}",
        given_status.status
    );
    Ok(format!(
        "serves on {address} with the token docker logs shows, runs NumPy, pandas and SciPy \
         in a kernel over its WebSocket, saves a notebook into the mounted folder as jovyan, \
         links under a proxy's prefix, takes JUPYTER_TOKEN ({})",
        size(&image)
    ))
}

/// The token of `http://127.0.0.1:8888/?token=…` in the server's log.
fn token_in_logs(logs: &str) -> Option<String> {
    let (_, after) = logs.split_once("http://127.0.0.1:8888/?token=")?;
    let token: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!token.is_empty()).then_some(token)
}

/// The string value of `"key": "…"` in a JSON object (values without escapes only).
fn json_string(json: &str, key: &str) -> Option<String> {
    let (_, after) = json.split_once(&format!("\"{key}\""))?;
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

/// The contents API's body for a notebook of one code cell and its printed output.
fn notebook_json(code: &str, shown: &str) -> String {
    let string = |text: &str| {
        let mut quoted = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\n' => quoted.push_str("\\n"),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    };
    format!(
        r#"{{"type": "notebook", "format": "json", "content": {{"nbformat": 4, "nbformat_minor": 5,
"metadata": {{"kernelspec": {{"name": "python3", "display_name": "Python 3", "language": "python"}}}},
"cells": [{{"cell_type": "code", "id": "quai-check", "execution_count": 1, "metadata": {{}},
"source": {}, "outputs": [{{"output_type": "stream", "name": "stdout", "text": {}}}]}}]}}}}"#,
        string(code),
        string(shown)
    )
}

/// One HTTP/1.1 request with a body over a fresh connection, read until the server closes it.
fn request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Response> {
    let mut stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .with_context(|| format!("{method} {path}: no answer from {address}"))?;
    parse_response(&String::from_utf8_lossy(&answer))
        .with_context(|| format!("{method} {path} on {address}"))
}

/// A folder under `target/quai-images/`, removed with what it holds when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Result<Folder> {
        let path = std::env::current_dir()?
            .join(WORK)
            .join(format!("check-jupyter-{name}-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path).with_context(|| format!("cannot make {}", path.display()))?;
        Ok(Folder(path))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_notebook_servers_log() {
        let logs = "[I 01:21:45 NotebookApp] Jupyter Notebook 6.4.12 is running at:\n\
                    [I 01:21:45 NotebookApp] http://4f2a:8888/?token=ab12cd\n\
                    [I 01:21:45 NotebookApp]  or http://127.0.0.1:8888/?token=ab12cd\n";
        assert_eq!(token_in_logs(logs).as_deref(), Some("ab12cd"));
        assert_eq!(token_in_logs("http://127.0.0.1:8888/?token=..."), None);
        assert_eq!(token_in_logs("starting"), None);
    }

    #[test]
    fn a_kernels_id_is_read_from_its_json() {
        let body = r#"{"id": "6718bbbc-c7b2", "name": "python3", "execution_state": "starting"}"#;
        assert_eq!(json_string(body, "id").as_deref(), Some("6718bbbc-c7b2"));
        assert_eq!(json_string(body, "missing"), None);
    }

    #[test]
    fn a_notebook_body_quotes_its_cell() {
        let body = notebook_json("print(\"a\")\nx", "a\n");
        assert!(body.contains(r#""source": "print(\"a\")\nx""#), "{body}");
        assert!(body.contains(r#""text": "a\n""#), "{body}");
    }
}
