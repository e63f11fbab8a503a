//! The image checks: each catalog image run on the host engine, doing its job — busybox runs
//! a shell, nginx serves its page, redis answers PING, python makes a venv and installs a
//! wheel with no network, registry takes a push and serves it back — and the catalog's tags,
//! labels and list agree with the recipes.
//!
//! The checks run one after the other; every container they start carries the labels
//! `quai.test=images` and `quai.test.pid=<xtask's pid>` and is removed (with its anonymous
//! volumes) when its check ends, whatever the outcome. Containers an xtask that died left
//! behind are removed before the checks start.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

mod jupyter;

use super::recipe::catalog_tag;
use super::{size, Images, CATALOG_FILE};
use crate::shell::{self, ok, step};

/// Label of every container the checks start.
const LABEL: &str = "quai.test=images";
const PID_LABEL: &str = "quai.test.pid";
/// How long a server in a container may take to answer.
const READY_WAIT: Duration = Duration::from_secs(20);

type Check = fn(&Images) -> Result<String>;

/// Runs every check, reporting each; fails when any failed.
pub fn check(images: &Images) -> Result<()> {
    step("Checking that each catalog image does its job on the host engine");
    remove_leftovers();
    let checks: [(&str, Check); 11] = [
        ("catalog", catalog_is_tagged_labelled_and_listed),
        ("hello-world", hello_world_prints_its_greeting),
        ("busybox", busybox_runs_a_shell_and_its_applets),
        ("alpine", alpine_is_a_minimal_shell_without_apk),
        ("debian", debian_is_bookworm_with_apt),
        ("nginx", nginx_serves_its_page_on_port_80),
        ("redis", redis_answers_ping_from_any_address),
        ("python", python_makes_a_venv_and_installs_a_wheel_offline),
        ("registry", registry_takes_a_push_and_serves_it_back),
        ("whalesay", whalesay_says_what_it_is_told),
        (
            "jupyter",
            jupyter::jupyter_runs_a_kernel_and_saves_notebooks,
        ),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        let begin = Instant::now();
        match check(images) {
            Ok(shown) => ok(&format!(
                "{name}: {shown} ({})",
                shell::seconds(begin.elapsed())
            )),
            Err(err) => {
                shell::error(&format!("{name}: {err:#}"));
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        bail!("the image checks of {} failed", failed.join(", "));
    }
    Ok(())
}

fn catalog_is_tagged_labelled_and_listed(images: &Images) -> Result<String> {
    let catalog = images.catalog();
    ensure!(!catalog.is_empty(), "no recipe has a catalog.conf");
    let listed =
        fs::read_to_string(CATALOG_FILE).with_context(|| format!("cannot read {CATALOG_FILE}"))?;
    let expected: String = catalog
        .iter()
        .map(|(public, tag)| format!("{public} {tag}\n"))
        .collect();
    ensure!(
        listed == expected,
        "{CATALOG_FILE} does not list the catalog of the recipes:\n{listed}"
    );
    // One inspect for every catalog name and every quai tag: `<id> <quai.catalog label>` each.
    let mut inspect = Command::new("docker");
    inspect.args([
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{index .Config.Labels \"quai.catalog\"}}",
    ]);
    for (public, tag) in catalog {
        inspect.arg(catalog_tag(public)).arg(tag);
    }
    let out = shell::output(&mut inspect)?;
    let lines: Vec<&str> = out.lines().collect();
    ensure!(
        lines.len() == 2 * catalog.len(),
        "docker image inspect answered {} lines for {} images",
        lines.len(),
        2 * catalog.len()
    );
    for ((public, tag), pair) in catalog.iter().zip(lines.chunks(2)) {
        let (named, built) = (pair[0], pair[1]);
        ensure!(
            named == built,
            "{} is not the image {tag}: {named} against {built}",
            catalog_tag(public)
        );
        let label = named.split_once(' ').map(|(_, label)| label).unwrap_or("");
        ensure!(
            label.split(',').any(|name| name == public),
            "{tag} has the label quai.catalog={label:?}, which lacks {public}"
        );
    }
    let distinct: std::collections::BTreeSet<&String> =
        catalog.iter().map(|(_, tag)| tag).collect();
    Ok(format!(
        "{} names of {} images listed in {CATALOG_FILE}, each tagged quai/catalog/<name> and \
         in its image's quai.catalog label",
        catalog.len(),
        distinct.len()
    ))
}

fn hello_world_prints_its_greeting(images: &Images) -> Result<String> {
    let image = catalog_image(images, "hello-world:latest")?;
    let out = run(&image, &[], &[])?;
    ensure!(
        out.contains("Hello from Docker"),
        "docker run {image} printed {out:?}"
    );
    Ok(format!("prints its greeting ({})", size(&image)))
}

fn whalesay_says_what_it_is_told(images: &Images) -> Result<String> {
    let image = catalog_image(images, "docker/whalesay:latest")?;
    catalog_image(images, "whalesay:latest")?;
    let out = run(&image, &[], &["cowsay", "moo from Quai"])?;
    ensure!(
        out.contains("< moo from Quai >") && out.contains("~~~~"),
        "cowsay in {image} printed {out:?}"
    );
    Ok(format!(
        "cowsay draws a whale saying what it is told ({})",
        size(&image)
    ))
}

fn busybox_runs_a_shell_and_its_applets(images: &Images) -> Result<String> {
    let image = catalog_image(images, "busybox:latest")?;
    let out = run(&image, &[], &["sh", "-c", "echo ok"])?;
    ensure!(out.trim() == "ok", "sh -c 'echo ok' printed {out:?}");
    let out = run(
        &image,
        &[],
        &[
            "sh",
            "-c",
            "mkdir -p /tmp/www && echo served by busybox > /tmp/www/index.html \
             && httpd -p 127.0.0.1:8080 -h /tmp/www && wget -qO- http://127.0.0.1:8080/ \
             && ls /bin | wc -l",
        ],
    )?;
    let mut lines = out.lines();
    ensure!(
        lines.next() == Some("served by busybox"),
        "httpd and wget: {out:?}"
    );
    let applets = lines.next().unwrap_or("").trim().to_string();
    Ok(format!(
        "sh -c 'echo ok' prints ok, httpd serves what wget fetches, {applets} entries in /bin ({})",
        size(&image)
    ))
}

fn alpine_is_a_minimal_shell_without_apk(images: &Images) -> Result<String> {
    let image = catalog_image(images, "alpine:latest")?;
    let cmd = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        &image,
    ]))?;
    ensure!(
        cmd.trim() == r#"["/bin/sh"]"#,
        "the command is {}",
        cmd.trim()
    );
    let release = run(&image, &[], &["cat", "/etc/os-release"])?;
    ensure!(
        release.contains("Quai"),
        "/etc/os-release does not say it is Quai's: {release:?}"
    );
    let apk = Command::new("docker")
        .args([
            "run", "--rm", "--label", LABEL, &image, "apk", "add", "curl",
        ])
        .output()
        .context("cannot run docker")?;
    let said = String::from_utf8_lossy(&apk.stderr);
    ensure!(
        !apk.status.success() && said.contains("no package manager"),
        "apk add curl: {} {said:?}",
        apk.status
    );
    Ok(format!(
        "/bin/sh by default, /etc/os-release names Quai, apk explains it is absent ({})",
        size(&image)
    ))
}

fn debian_is_bookworm_with_apt(images: &Images) -> Result<String> {
    let image = catalog_image(images, "debian:bookworm")?;
    let out = run(
        &image,
        &[],
        &[
            "sh",
            "-c",
            ". /etc/os-release && echo $VERSION_CODENAME && apt-get --version | head -n1",
        ],
    )?;
    ensure!(
        out.starts_with("bookworm\napt "),
        "os-release and apt-get --version: {out:?}"
    );
    Ok(format!("bookworm with apt ({})", size(&image)))
}

fn nginx_serves_its_page_on_port_80(images: &Images) -> Result<String> {
    let image = catalog_image(images, "nginx:latest")?;
    let nginx = Container::start("nginx", &image, &["-p", "127.0.0.1:0:80"], &[])?;
    let address = nginx.port("80/tcp")?;
    let page = retry(|| http(&address, "GET", "/", &[]))?;
    ensure!(page.status == 200, "GET / answered {}", page.status);
    ensure!(
        page.body.contains("Welcome to nginx!") && page.body.contains("Quai"),
        "GET / served {:?}",
        page.body
    );
    let missing = http(&address, "GET", "/quai-missing", &[])?;
    ensure!(
        missing.status == 404,
        "GET /quai-missing answered {}",
        missing.status
    );
    let logs = nginx.logs()?;
    ensure!(
        logs.contains("\"GET / HTTP/1.1\" 200") && logs.contains("quai-missing"),
        "the access and error logs are not in docker logs: {logs:?}"
    );
    Ok(format!(
        "serves its welcome page on {address} (port 80), 404 for a missing page, logs in \
         docker logs ({})",
        size(&image)
    ))
}

fn redis_answers_ping_from_any_address(images: &Images) -> Result<String> {
    let image = catalog_image(images, "redis:latest")?;
    let redis = Container::start("redis", &image, &[], &[])?;
    let pong = retry(|| {
        let out = redis.exec(&["redis-cli", "ping"])?;
        ensure!(out.trim() == "PONG", "redis-cli ping answered {out:?}");
        Ok(out)
    })?;
    // Through the container's own address, not loopback: listening on every interface, and
    // protected mode off (it would refuse this connection with DENIED).
    let out = redis.exec(&[
        "sh",
        "-c",
        "set -- $(hostname -i) && redis-cli -h \"$1\" set quai ok >/dev/null \
         && redis-cli -h \"$1\" get quai",
    ])?;
    ensure!(
        out.trim() == "ok",
        "SET and GET through the container's address: {out:?}"
    );
    Ok(format!(
        "redis-cli ping answers {}, SET and GET work through the container's own address ({})",
        pong.trim(),
        size(&image)
    ))
}

/// Writes a one-module wheel, `/tmp/quai_check-1.0-py3-none-any.whl`, with the standard library.
const MAKE_WHEEL: &str = r#"
import base64, hashlib, zipfile
files = {
    "quai_check.py": "GREETING = 'installed offline'\n",
    "quai_check-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: quai-check\nVersion: 1.0\n",
    "quai_check-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: quai\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile("/tmp/quai_check-1.0-py3-none-any.whl", "w") as wheel:
    for name, text in files.items():
        data = text.encode()
        wheel.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("quai_check-1.0.dist-info/RECORD,,")
    wheel.writestr("quai_check-1.0.dist-info/RECORD", "\n".join(record) + "\n")
"#;

fn python_makes_a_venv_and_installs_a_wheel_offline(images: &Images) -> Result<String> {
    let image = catalog_image(images, "python:3")?;
    let cmd = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        &image,
    ]))?;
    ensure!(
        cmd.trim() == r#"["python3"]"#,
        "the command is {}",
        cmd.trim()
    );
    let python = Container::start("python", &image, &["--network", "none"], &["sleep", "300"])?;
    let versions = python.exec(&["sh", "-c", "python --version && pip --version"])?;
    ensure!(
        versions.starts_with("Python 3.") && versions.contains("\npip "),
        "python --version and pip --version: {versions:?}"
    );
    python.exec(&["python3", "-c", MAKE_WHEEL])?;
    python.exec(&["python3", "-m", "venv", "/tmp/venv"])?;
    let wheel = "/tmp/quai_check-1.0-py3-none-any.whl";
    python.exec(&["/tmp/venv/bin/pip", "install", "--no-index", "-q", wheel])?;
    let greeting = python.exec(&[
        "/tmp/venv/bin/python",
        "-c",
        "import quai_check; print(quai_check.GREETING)",
    ])?;
    ensure!(
        greeting.trim() == "installed offline",
        "the venv's python printed {greeting:?}"
    );
    // Like the official image, pip may install into the system Python too.
    python.exec(&["pip", "install", "--no-index", "-q", wheel])?;
    let system = python.exec(&[
        "python",
        "-c",
        "import quai_check; print(quai_check.GREETING)",
    ])?;
    ensure!(
        system.trim() == "installed offline",
        "the system python printed {system:?}"
    );
    Ok(format!(
        "{}, python3 -m venv works, pip installs a local wheel with no network, in a venv and \
         system-wide ({})",
        versions.lines().next().unwrap_or_default(),
        size(&image)
    ))
}

fn registry_takes_a_push_and_serves_it_back(images: &Images) -> Result<String> {
    let image = catalog_image(images, "registry:2")?;
    let hello = catalog_image(images, "hello-world:latest")?;
    let registry = Container::start("registry", &image, &["-p", "127.0.0.1:0:5000"], &[])?;
    let address = registry.port("5000/tcp")?;
    let api = retry(|| http(&address, "GET", "/v2/", &[]))?;
    ensure!(api.status == 200, "GET /v2/ answered {}", api.status);

    // The engine trusts registries on loopback without TLS.
    let pushed = Tag(format!(
        "{address}/quai-check/hello-world:{}",
        std::process::id()
    ));
    docker(&["tag", &hello, &pushed.0])?;
    docker(&["push", &pushed.0])?;
    docker(&["image", "rm", &pushed.0])?;
    docker(&["pull", &pushed.0])?;
    let out = docker(&["run", "--rm", "--label", LABEL, &pushed.0])?;
    ensure!(
        out.contains("Hello from Docker"),
        "the pulled image printed {out:?}"
    );

    let manifest = format!(
        "/v2/quai-check/hello-world/manifests/{}",
        std::process::id()
    );
    let accept = (
        "Accept",
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    let head = http(&address, "HEAD", &manifest, &[accept])?;
    let digest = head
        .headers
        .get("docker-content-digest")
        .with_context(|| format!("HEAD {manifest} gave no digest ({})", head.status))?;
    let deleted = http(
        &address,
        "DELETE",
        &format!("/v2/quai-check/hello-world/manifests/{digest}"),
        &[],
    )?;
    ensure!(
        deleted.status == 202,
        "DELETE of the manifest answered {} (is deleting enabled?)",
        deleted.status
    );
    Ok(format!(
        "serves on {address} (port 5000), takes a docker push, serves the image back to docker \
         pull, deletes a manifest ({})",
        size(&image)
    ))
}

/// `quai/catalog/<public>`, once the catalog is known to hold `public`.
fn catalog_image(images: &Images, public: &str) -> Result<String> {
    ensure!(
        images.catalog().iter().any(|(name, _)| name == public),
        "no recipe's catalog.conf names {public}"
    );
    Ok(catalog_tag(public))
}

fn docker(args: &[&str]) -> Result<String> {
    shell::output(Command::new("docker").args(args))
}

/// `docker run --rm` with the test label: the container's output.
fn run(image: &str, options: &[&str], cmd: &[&str]) -> Result<String> {
    let pid = format!("{PID_LABEL}={}", std::process::id());
    let mut args = vec!["run", "--rm", "--label", LABEL, "--label", &pid];
    args.extend_from_slice(options);
    args.push(image);
    args.extend_from_slice(cmd);
    docker(&args)
}

/// A detached container, removed with its anonymous volumes when dropped.
struct Container {
    name: String,
}

impl Container {
    fn start(check: &str, image: &str, options: &[&str], cmd: &[&str]) -> Result<Container> {
        let container = Container {
            name: format!("quai-test-images-{check}-{}", std::process::id()),
        };
        let pid = format!("{PID_LABEL}={}", std::process::id());
        let mut args = vec![
            "run",
            "--detach",
            "--name",
            &container.name,
            "--label",
            LABEL,
            "--label",
            &pid,
        ];
        args.extend_from_slice(options);
        args.push(image);
        args.extend_from_slice(cmd);
        docker(&args)?;
        Ok(container)
    }

    /// The host address a container port is published on, such as `127.0.0.1:32768`.
    fn port(&self, port: &str) -> Result<String> {
        let out = docker(&["port", &self.name, port])?;
        out.lines()
            .next()
            .map(str::to_string)
            .with_context(|| format!("{} publishes no {port}", self.name))
    }

    fn exec(&self, cmd: &[&str]) -> Result<String> {
        let mut args = vec!["exec", self.name.as_str()];
        args.extend_from_slice(cmd);
        docker(&args)
    }

    /// Standard output and error of the container so far.
    fn logs(&self) -> Result<String> {
        let out = Command::new("docker")
            .args(["logs", &self.name])
            .output()
            .context("cannot run docker logs")?;
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        shell::succeeds(Command::new("docker").args(["rm", "--force", "--volumes", &self.name]));
    }
}

/// An image tag removed when dropped.
struct Tag(String);

impl Drop for Tag {
    fn drop(&mut self) {
        shell::succeeds(Command::new("docker").args(["image", "rm", &self.0]));
    }
}

/// Removes the containers of checks whose xtask is no longer running.
fn remove_leftovers() {
    let filter = format!("label={LABEL}");
    let format = format!("{{{{.Names}}}} {{{{.Label \"{PID_LABEL}\"}}}}");
    let Ok(listed) = docker(&["ps", "--all", "--filter", &filter, "--format", &format]) else {
        return;
    };
    for line in listed.lines() {
        let (name, pid) = line.split_once(' ').unwrap_or((line, ""));
        let alive = !pid.is_empty() && std::path::Path::new("/proc").join(pid).exists();
        if !alive
            && shell::succeeds(Command::new("docker").args(["rm", "--force", "--volumes", name]))
        {
            ok(&format!("Removed {name}, left by an earlier run"));
        }
    }
}

/// Calls `attempt` until it succeeds or `READY_WAIT` has passed; the last error otherwise.
fn retry<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let begin = Instant::now();
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(err) if begin.elapsed() > READY_WAIT => {
                return Err(err.context(format!(
                    "still failing after {}",
                    shell::seconds(READY_WAIT)
                )))
            }
            Err(_) => thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// An HTTP answer: status, headers (lowercase names) and body.
struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

/// One HTTP/1.1 request over a fresh connection, read until the server closes it.
fn http(address: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
    let mut stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .with_context(|| format!("{method} {path}: no answer from {address}"))?;
    parse_response(&String::from_utf8_lossy(&answer))
        .with_context(|| format!("{method} {path} on {address}"))
}

fn parse_response(text: &str) -> Result<Response> {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", head.lines().next()))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_answer_gives_its_status_headers_and_body() {
        let answer = parse_response(
            "HTTP/1.1 202 Accepted\r\nDocker-Content-Digest: sha256:ab\r\nContent-Length: 2\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!(answer.status, 202);
        assert_eq!(answer.headers["docker-content-digest"], "sha256:ab");
        assert_eq!(answer.body, "{}");
        assert!(parse_response("garbage").is_err());
    }
}
