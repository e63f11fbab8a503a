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
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

mod jupyter;

use super::recipe::{catalog_tag, DESCRIPTION_LABEL};
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
    let checks: [(&str, Check); 20] = [
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
        ("bash", bash_runs_a_script),
        ("golang", golang_builds_and_runs_a_program_offline),
        ("node", node_runs_a_script_and_npm_offline),
        ("httpd", httpd_serves_its_page_on_port_80),
        (
            "mariadb",
            mariadb_answers_with_the_root_password_after_its_init_sql,
        ),
        (
            "mysql",
            mysql_answers_with_the_root_password_after_its_init_sql,
        ),
        (
            "mariadb without password",
            mariadb_refuses_to_start_without_a_root_password,
        ),
        (
            "postgres",
            postgres_answers_with_its_password_after_its_init_scripts,
        ),
        ("r-base", r_computes_with_rscript),
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
        "{{.Id}}|{{index .Config.Labels \"quai.catalog\"}}|{{index .Config.Labels \"org.opencontainers.image.description\"}}",
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
        let mut fields = named.splitn(3, '|').skip(1);
        let (label, description) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        ensure!(
            label.split(',').any(|name| name == public),
            "{tag} has the label quai.catalog={label:?}, which lacks {public}"
        );
        ensure!(
            description.starts_with("Quai stand-in for "),
            "{tag} does not say it is Quai's stand-in: {DESCRIPTION_LABEL}={description:?}"
        );
    }
    let distinct: std::collections::BTreeSet<&String> =
        catalog.iter().map(|(_, tag)| tag).collect();
    Ok(format!(
        "{} names of {} images listed in {CATALOG_FILE}, each tagged quai/catalog/<name>, in \
         its image's quai.catalog label, the image described as Quai's stand-in",
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

fn bash_runs_a_script(images: &Images) -> Result<String> {
    let image = catalog_image(images, "bash:latest")?;
    catalog_image(images, "bash:5")?;
    // Read from standard input by the image's own command, bash.
    let script = "set -euo pipefail\ndeclare -A answer=([life]=41)\n\
                  echo \"bash ${BASH_VERSION%%(*}: $(( answer[life] + 1 ))\"\n";
    let out = run_input(&image, &[], &[], script)?;
    ensure!(
        out.starts_with("bash 5.") && out.trim_end().ends_with(": 42"),
        "a script on bash's input printed {out:?}"
    );
    // Options go to bash, a builtin runs in bash, as in the official image.
    let option = run(&image, &[], &["-c", "echo from -c"])?;
    let builtin = run(&image, &[], &["echo", "from a builtin"])?;
    ensure!(
        option.trim() == "from -c" && builtin.trim() == "from a builtin",
        "bash -c and a builtin printed {option:?} and {builtin:?}"
    );
    Ok(format!(
        "runs a script ({}), options and builtins as the command ({})",
        out.trim(),
        size(&image)
    ))
}

/// A program of the standard library only, built in its own module with no network.
const HELLO_GO: &str = r#"set -e
mkdir -p /go/src/hello && cd /go/src/hello
cat > main.go <<'GO'
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println("hello from", runtime.Version()) }
GO
go mod init example.com/hello 2>/dev/null
go build -o /go/bin/hello .
hello
echo "$GOPATH $(pwd -P)"
"#;

fn golang_builds_and_runs_a_program_offline(images: &Images) -> Result<String> {
    let image = catalog_image(images, "golang:latest")?;
    catalog_image(images, "golang:1.22-alpine")?;
    let workdir = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Config.WorkingDir}}",
        &image,
    ]))?;
    ensure!(
        workdir.trim() == "/go",
        "the working directory is {}",
        workdir.trim()
    );
    let out = run(&image, &["--network", "none"], &["sh", "-c", HELLO_GO])?;
    let mut lines = out.lines();
    let hello = lines.next().unwrap_or_default().to_string();
    ensure!(
        hello.starts_with("hello from go1."),
        "the program printed {out:?}"
    );
    ensure!(
        lines.next() == Some("/go /go/src/hello"),
        "GOPATH and the module's folder: {out:?}"
    );
    Ok(format!(
        "with --network none, go mod init and go build make a program that prints {hello:?} \
         (GOPATH /go, working directory /go) ({})",
        size(&image)
    ))
}

fn node_runs_a_script_and_npm_offline(images: &Images) -> Result<String> {
    let image = catalog_image(images, "node:latest")?;
    catalog_image(images, "node:20-alpine")?;
    // An option as the command runs in node.
    let sum = run(
        &image,
        &["--network", "none"],
        &["-e", "console.log(20 + 22)"],
    )?;
    ensure!(sum.trim() == "42", "node -e printed {sum:?}");
    let out = run(
        &image,
        &["--network", "none", "--user", "node"],
        &[
            "sh",
            "-c",
            "mkdir ~/app && cd ~/app \
             && echo 'console.log(`node ${process.version} ran app.js`)' > app.js && node app.js \
             && npm init -y >/dev/null && npm pkg set scripts.start='node app.js' \
             && npm start --silent && node -p 'require(\"./package.json\").name'",
        ],
    )?;
    let lines: Vec<&str> = out.lines().collect();
    ensure!(
        lines.len() == 3
            && lines[0].starts_with("node v")
            && lines[0].ends_with("ran app.js")
            && lines[1] == lines[0]
            && lines[2] == "app",
        "node app.js, npm init -y and npm start printed {out:?}"
    );
    Ok(format!(
        "with --network none, as the user node: {:?}, npm init -y and npm start work ({})",
        lines[0],
        size(&image)
    ))
}

fn httpd_serves_its_page_on_port_80(images: &Images) -> Result<String> {
    let image = catalog_image(images, "httpd:latest")?;
    catalog_image(images, "httpd:2.4")?;
    let httpd = Container::start("httpd", &image, &["-p", "127.0.0.1:0:80"], &[])?;
    let address = httpd.port("80/tcp")?;
    let page = retry(|| http(&address, "GET", "/", &[]))?;
    ensure!(page.status == 200, "GET / answered {}", page.status);
    ensure!(
        page.body.contains("It works!") && page.body.contains("Quai"),
        "GET / served {:?}",
        page.body
    );
    let missing = http(&address, "GET", "/quai-missing", &[])?;
    ensure!(
        missing.status == 404,
        "GET /quai-missing answered {}",
        missing.status
    );
    let logs = httpd.logs()?;
    ensure!(
        logs.contains("\"GET / HTTP/1.1\" 200") && logs.contains("quai-missing"),
        "the access log is not in docker logs: {logs:?}"
    );
    let htdocs = httpd.exec(&["ls", "/usr/local/apache2/htdocs"])?;
    ensure!(htdocs.trim() == "index.html", "htdocs holds {htdocs:?}");
    Ok(format!(
        "serves \"It works!\" from /usr/local/apache2/htdocs on {address} (port 80), 404 for a \
         missing page, the access log in docker logs ({})",
        size(&image)
    ))
}

/// Run by the database images' entry points on first start, in the database they create.
const INIT_SQL: &str = "CREATE TABLE fruit (name VARCHAR(20));\n\
                        INSERT INTO fruit VALUES ('apple');\n";

/// How long a database may take to make its files and start.
const DATABASE_WAIT: Duration = Duration::from_secs(90);

/// Starts a MariaDB server from `public` with the `prefix` variables (root password `secret`,
/// database `shop`, user `app`) and an init .sql; shows root and the user can query what the
/// script made, over TCP.
fn mariadb_serves(images: &Images, check: &str, public: &str, prefix: &str) -> Result<String> {
    let image = catalog_image(images, public)?;
    let root = format!("{prefix}_ROOT_PASSWORD=secret");
    let database = format!("{prefix}_DATABASE=shop");
    let user = format!("{prefix}_USER=app");
    let password = format!("{prefix}_PASSWORD=app-secret");
    let db = Container::start_with_files(
        check,
        &image,
        &["-e", &root, "-e", &database, "-e", &user, "-e", &password],
        &[],
        &[("/docker-entrypoint-initdb.d/fruit.sql", INIT_SQL)],
    )?;
    // Over TCP to the container's own address: the set-up's server has no network, so an
    // answer comes from the server that listens on every interface.
    let query = "set -- $(hostname -i) && mariadb -h \"$1\" -P 3306 -uroot -psecret -N -e \
                 'SELECT name FROM shop.fruit' && mariadb -h \"$1\" -uapp -papp-secret -N shop \
                 -e 'SELECT COUNT(*) FROM fruit' && { mariadb -h \"$1\" -uroot -pwrong -e \
                 'SELECT 1' 2>&1 | grep -o 'Access denied'; } && mariadb -h \"$1\" -uroot \
                 -psecret -N -e 'SELECT VERSION()'";
    let out = retry_for(DATABASE_WAIT, || db.exec(&["sh", "-c", query])).map_err(|err| {
        err.context(format!(
            "the server's output:\n{}",
            db.logs().unwrap_or_default()
        ))
    })?;
    let lines: Vec<&str> = out.lines().collect();
    ensure!(
        lines.len() == 4 && lines[..3] == ["apple", "1", "Access denied"],
        "the queries printed {out:?}"
    );
    let owner = db.exec(&["stat", "-c", "%U", "/var/lib/mysql"])?;
    ensure!(
        owner.trim() == "mysql",
        "/var/lib/mysql belongs to {owner:?}"
    );
    Ok(format!(
        "{} answers on port 3306 with {prefix}_ROOT_PASSWORD and refuses a wrong one; the init \
         .sql ran in {prefix}_DATABASE, which {prefix}_USER can read ({})",
        lines[3],
        size(&image)
    ))
}

fn mariadb_answers_with_the_root_password_after_its_init_sql(images: &Images) -> Result<String> {
    mariadb_serves(images, "mariadb", "mariadb:latest", "MARIADB")
}

fn mysql_answers_with_the_root_password_after_its_init_sql(images: &Images) -> Result<String> {
    mariadb_serves(images, "mysql", "mysql:8", "MYSQL")
}

/// `docker run --rm` with the test label, expected to fail: its standard error.
fn run_failing(image: &str, cmd: &[&str]) -> Result<String> {
    let pid = format!("{PID_LABEL}={}", std::process::id());
    let out = Command::new("docker")
        .args(["run", "--rm", "--label", LABEL, "--label", &pid, image])
        .args(cmd)
        .output()
        .context("cannot run docker")?;
    ensure!(
        !out.status.success(),
        "docker run {image} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

fn mariadb_refuses_to_start_without_a_root_password(images: &Images) -> Result<String> {
    let image = catalog_image(images, "mariadb:latest")?;
    let said = run_failing(&image, &[])?;
    ensure!(
        said.contains("Database is uninitialized and password option is not specified")
            && said.contains("MARIADB_ROOT_PASSWORD"),
        "with no password setting it said {said:?}"
    );
    Ok("exits saying which root password setting it needs".to_string())
}

/// A script the postgres entry point sources on first start: it sees the variables.
const INIT_SH: &str = "psql -v ON_ERROR_STOP=1 --username \"$POSTGRES_USER\" \
                       --dbname \"$POSTGRES_DB\" -c \"CREATE TABLE made_by_sh (db text); \
                       INSERT INTO made_by_sh VALUES ('$POSTGRES_DB')\"\n";

fn postgres_answers_with_its_password_after_its_init_scripts(images: &Images) -> Result<String> {
    let image = catalog_image(images, "postgres:latest")?;
    catalog_image(images, "postgres:16-alpine")?;
    let said = run_failing(&image, &[])?;
    ensure!(
        said.contains("superuser password is not specified"),
        "with no POSTGRES_PASSWORD it said {said:?}"
    );
    let db = Container::start_with_files(
        "postgres",
        &image,
        &["-e", "POSTGRES_PASSWORD=secret", "-e", "POSTGRES_DB=shop"],
        &[],
        &[
            ("/docker-entrypoint-initdb.d/1-fruit.sql", INIT_SQL),
            ("/docker-entrypoint-initdb.d/2-table.sh", INIT_SH),
        ],
    )?;
    // Over TCP to the container's own address with the password: the set-up's server
    // listens on its socket only.
    let query = "set -- $(hostname -i) && export PGPASSWORD=secret && psql -h \"$1\" -U postgres \
                 -d shop -tAc 'SELECT name FROM fruit' && psql -h \"$1\" -U postgres -d shop \
                 -tAc 'SELECT db FROM made_by_sh' && { PGPASSWORD=wrong psql -h \"$1\" -U \
                 postgres -d shop -c 'SELECT 1' 2>&1 | grep -o 'password authentication failed'; \
                 } && psql -h \"$1\" -U postgres -tAc 'SHOW server_version'";
    let out = retry_for(DATABASE_WAIT, || db.exec(&["sh", "-c", query])).map_err(|err| {
        err.context(format!(
            "the server's output:\n{}",
            db.logs().unwrap_or_default()
        ))
    })?;
    let lines: Vec<&str> = out.lines().collect();
    ensure!(
        lines.len() == 4 && lines[..3] == ["apple", "shop", "password authentication failed"],
        "the queries printed {out:?}"
    );
    let owner = db.exec(&[
        "sh",
        "-c",
        "stat -c %U \"$PGDATA\" && awk '/^Uid/ { print $2 }' /proc/1/status",
    ])?;
    ensure!(
        owner.lines().collect::<Vec<_>>() == ["postgres", "999"],
        "PGDATA's owner and the server's uid: {owner:?}"
    );
    Ok(format!(
        "refuses to start without POSTGRES_PASSWORD; PostgreSQL {} answers on port 5432 with \
         it and refuses a wrong one; the init .sql and .sh ran in POSTGRES_DB; runs as \
         postgres ({})",
        lines[3],
        size(&image)
    ))
}

fn r_computes_with_rscript(images: &Images) -> Result<String> {
    let image = catalog_image(images, "r-base:latest")?;
    catalog_image(images, "rocker/r-ver:4")?;
    let cmd = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        &image,
    ]))?;
    ensure!(cmd.trim() == r#"["R"]"#, "the command is {}", cmd.trim());
    let out = run(
        &image,
        &["--network", "none"],
        &[
            "Rscript",
            "-e",
            "x <- c(2, 4, 9); cat(R.version.string, sum(x), mean(x), sep = '\\n')",
        ],
    )?;
    let lines: Vec<&str> = out.lines().collect();
    ensure!(
        lines.len() == 3 && lines[0].starts_with("R version 4.") && lines[1..] == ["15", "5"],
        "Rscript printed {out:?}"
    );
    let piped = run_input(
        &image,
        &["--network", "none"],
        &["R", "--vanilla", "-s"],
        "cat(6 * 7)\n",
    )?;
    ensure!(
        piped.trim() == "42",
        "R reading its input printed {piped:?}"
    );
    Ok(format!(
        "{}: Rscript computes a sum and a mean, R runs a script on its input ({})",
        lines[0],
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

/// `docker run --rm -i` with the test label and `input` on the container's input.
fn run_input(image: &str, options: &[&str], cmd: &[&str], input: &str) -> Result<String> {
    let pid = format!("{PID_LABEL}={}", std::process::id());
    let mut child = Command::new("docker")
        .args(["run", "--rm", "-i", "--label", LABEL, "--label", &pid])
        .args(options)
        .arg(image)
        .args(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run docker")?;
    child
        .stdin
        .take()
        .expect("the input is piped")
        .write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "docker run {image}: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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

    /// Like `start`, with `files` (path in the container, contents) copied in before it starts.
    fn start_with_files(
        check: &str,
        image: &str,
        options: &[&str],
        cmd: &[&str],
        files: &[(&str, &str)],
    ) -> Result<Container> {
        let container = Container {
            name: format!("quai-test-images-{check}-{}", std::process::id()),
        };
        let pid = format!("{PID_LABEL}={}", std::process::id());
        let mut args = vec![
            "create",
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
        let local = std::env::temp_dir().join(&container.name);
        fs::create_dir_all(&local)?;
        let copied = files.iter().try_for_each(|(path, contents)| {
            let name = path.rsplit('/').next().unwrap_or(path);
            let file = local.join(name);
            fs::write(&file, contents)?;
            let file = file.to_string_lossy();
            docker(&["cp", &file, &format!("{}:{path}", container.name)]).map(drop)
        });
        let _ = fs::remove_dir_all(&local);
        copied?;
        docker(&["start", &container.name])?;
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
fn retry<T>(attempt: impl FnMut() -> Result<T>) -> Result<T> {
    retry_for(READY_WAIT, attempt)
}

/// Calls `attempt` until it succeeds or `wait` has passed; the last error otherwise.
fn retry_for<T>(wait: Duration, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let begin = Instant::now();
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(err) if begin.elapsed() > wait => {
                return Err(err.context(format!("still failing after {}", shell::seconds(wait))))
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
