//! Runs a lesson's scripts in a session's nodes: copies its assets and runs its setup when it
//! starts, runs a step's check (with a timeout, killed in the node when it runs out), and a
//! step's setup when the step opens.
//!
//! Killercoda's pair of scripts runs as Killercoda runs it, at the same time: `background`
//! is started detached in its node, and `foreground` runs in the student's terminal of that
//! node, where the student sees it. A terminal already open gets the command typed into it;
//! otherwise the script waits in the node's `/tmp/.quai/pending` folder, and the first
//! interactive shell of the node runs it (the nodes' `/etc/bash.bashrc` does).

use std::io::Read;
use std::time::Duration;

use quai_protocol::Lang;

use super::model::{Asset, Lesson, Script};
use crate::runtime::{Node, Runtime, RuntimeError};
use crate::session::Session;

/// Longest output of a check shown to the student; the end is kept, where errors are.
const MAX_OUTPUT: usize = 4000;
/// Time a lesson's setup (all its scripts) may take.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("this session has no node named {0}")]
    NoNode(String),
    #[error("cannot pack the lesson's asset {path}: {source}")]
    Asset {
        path: String,
        source: std::io::Error,
    },
    #[error("the lesson's script {script} failed (exit code {code}): {output}")]
    Script {
        script: String,
        code: i64,
        output: String,
    },
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: bool,
    pub output: String,
    pub timed_out: bool,
}

fn node(session: &Session, name: &str) -> Result<Node, RunError> {
    session
        .node(name)
        .ok_or_else(|| RunError::NoNode(name.to_string()))
}

/// The last `MAX_OUTPUT` bytes of `text`, cut at a character boundary.
fn tail(text: &str) -> String {
    if text.len() <= MAX_OUTPUT {
        return text.to_string();
    }
    let mut start = text.len() - MAX_OUTPUT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// Runs `script` in its node with bash, killed after `timeout` (in the node too).
async fn run_script(
    runtime: &dyn Runtime,
    session: &Session,
    script: &Script,
    timeout: Duration,
) -> Result<(Option<i64>, String, bool), RunError> {
    let node = node(session, &script.node)?;
    let secs = timeout.as_secs().max(1).to_string();
    let cmd = ["timeout", "-k", "2", &secs, "bash", "-c", &script.body];
    match runtime
        .exec(&node, &cmd, &[], timeout + Duration::from_secs(5))
        .await
    {
        // `timeout` exits 124 when it had to stop the script (137 when it had to kill it).
        Ok(out) => {
            let timed_out = matches!(out.exit_code, Some(124) | Some(137));
            Ok((out.exit_code, out.output, timed_out))
        }
        Err(RuntimeError::Timeout(_)) => Ok((None, String::new(), true)),
        Err(err) => Err(err.into()),
    }
}

/// A tar archive placing `asset` at its target (a file, or a folder's contents).
fn pack(asset: &Asset) -> Result<Vec<u8>, RunError> {
    let fail = |source| RunError::Asset {
        path: asset.source.display().to_string(),
        source,
    };
    let target = asset.target.trim_start_matches('/');
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    if asset.source.is_dir() {
        builder
            .append_dir_all(target, &asset.source)
            .map_err(fail)?;
    } else {
        let mut file = std::fs::File::open(&asset.source).map_err(fail)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(fail)?;
        let meta = std::fs::metadata(&asset.source).map_err(fail)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777);
        header.set_mtime(0);
        builder
            .append_data(&mut header, target, data.as_slice())
            .map_err(fail)?;
    }
    builder.into_inner().map_err(fail)
}

/// Copies the lesson's assets into their nodes.
async fn copy_assets(
    runtime: &dyn Runtime,
    session: &Session,
    lesson: &Lesson,
) -> Result<(), RunError> {
    for asset in &lesson.assets {
        let node = node(session, &asset.node)?;
        // Assets are a lesson's few small files: packing them inline is cheap.
        let archive = pack(asset)?;
        let mut cmd = "tar -x --no-same-owner -C / -f -".to_string();
        if let Some(mode) = asset.mode {
            cmd.push_str(&format!(
                " && chmod -R {mode:o} '{}'",
                asset.target.replace('\'', "'\\''")
            ));
        }
        let out = runtime
            .exec(
                &node,
                &["sh", "-c", &cmd],
                &archive,
                Duration::from_secs(60),
            )
            .await?;
        if out.exit_code != Some(0) {
            return Err(RunError::Script {
                script: format!("copying {}", asset.source.display()),
                code: out.exit_code.unwrap_or(-1),
                output: tail(&out.output),
            });
        }
    }
    Ok(())
}

/// Runs hidden setup `script`; fails when it fails.
async fn run_setup(
    runtime: &dyn Runtime,
    session: &Session,
    script: &Script,
) -> Result<(), RunError> {
    let (code, output, timed_out) = run_script(runtime, session, script, SETUP_TIMEOUT).await?;
    if code != Some(0) || timed_out {
        return Err(RunError::Script {
            script: script.path.display().to_string(),
            code: code.unwrap_or(-1),
            output: tail(output.trim()),
        });
    }
    Ok(())
}

/// Folder of a node where foreground scripts wait for the node's first shell.
const PENDING: &str = "/tmp/.quai/pending";
/// Folder of a node holding the foreground scripts its shells run.
const FOREGROUND: &str = "/tmp/.quai/foreground";

/// Starts `script` detached in its node, its output appended to `/tmp/quai-background.log`.
async fn start_background(
    runtime: &dyn Runtime,
    session: &Session,
    script: &Script,
) -> Result<(), RunError> {
    let node = node(session, &script.node)?;
    let cmd = [
        "bash",
        "-c",
        "nohup bash -c \"$1\" >>/tmp/quai-background.log 2>&1 </dev/null &",
        "quai-background",
        &script.body,
    ];
    runtime
        .exec(&node, &cmd, &[], Duration::from_secs(10))
        .await?;
    Ok(())
}

/// Runs `script` in the student's terminal of its node, named `name` there (`intro`,
/// `step2`): typed into the first terminal open in the node, or left for the node's first
/// shell when none is open.
async fn run_foreground(
    runtime: &dyn Runtime,
    session: &Session,
    script: &Script,
    name: &str,
) -> Result<(), RunError> {
    let node = node(session, &script.node)?;
    let pending = format!("{PENDING}/{name}.sh");
    let ready = format!("{FOREGROUND}/{name}.sh");
    let write = format!(
        "mkdir -p {PENDING} {FOREGROUND} && cat > {pending}.part && chmod 755 {pending}.part && mv {pending}.part {pending}"
    );
    let out = runtime
        .exec(
            &node,
            &["sh", "-c", &write],
            script.body.as_bytes(),
            Duration::from_secs(10),
        )
        .await?;
    if out.exit_code != Some(0) {
        return Err(RunError::Script {
            script: script.path.display().to_string(),
            code: out.exit_code.unwrap_or(-1),
            output: tail(&out.output),
        });
    }
    let Some(terminal) = session.terminal_on(&script.node).await else {
        return Ok(());
    };
    // A terminal is open: take the script back from the pending folder (unless a shell
    // starting just now took it first) and type it there.
    let take = format!("mv {pending} {ready}");
    let taken = runtime
        .exec(&node, &["sh", "-c", &take], &[], Duration::from_secs(10))
        .await?;
    if taken.exit_code == Some(0) {
        let command = format!("bash {ready}\r");
        terminal.send_input(bytes::Bytes::from(command)).await;
    }
    Ok(())
}

/// Prepares a new session for `lesson`: assets, setup scripts, background scripts (left
/// running), the introduction's foreground script, and step 1 opened.
pub async fn prepare(
    runtime: &dyn Runtime,
    session: &Session,
    lesson: &Lesson,
) -> Result<(), RunError> {
    copy_assets(runtime, session, lesson).await?;
    for script in &lesson.setup {
        run_setup(runtime, session, script).await?;
    }
    for script in &lesson.background {
        start_background(runtime, session, script).await?;
    }
    if let Some(script) = &lesson.foreground {
        run_foreground(runtime, session, script, "intro").await?;
    }
    if let Some(first) = lesson.steps.first() {
        open_step(runtime, session, lesson, first.number).await?;
    }
    Ok(())
}

/// Opens step `number` (when the step before it passed): runs its setup to its end, then
/// starts its background and runs its foreground in the student's terminal, together.
pub async fn open_step(
    runtime: &dyn Runtime,
    session: &Session,
    lesson: &Lesson,
    number: u16,
) -> Result<(), RunError> {
    let Some(step) = lesson.step(number) else {
        return Ok(());
    };
    if let Some(script) = &step.setup {
        run_setup(runtime, session, script).await?;
    }
    if let Some(script) = &step.background {
        start_background(runtime, session, script).await?;
    }
    if let Some(script) = &step.foreground {
        run_foreground(runtime, session, script, &format!("step{number:03}")).await?;
    }
    Ok(())
}

/// Runs the check of step `number`. A Katacoda-style check (one that prints `done`) passes
/// only when it exits 0 and prints it; any other passes when it exits 0.
pub async fn check(
    runtime: &dyn Runtime,
    session: &Session,
    lesson: &Lesson,
    script: &Script,
    lang: Lang,
) -> Result<Outcome, RunError> {
    let (code, output, timed_out) =
        run_script(runtime, session, script, lesson.verify_timeout).await?;
    let printed_done = output.lines().any(|l| l.trim() == "done");
    let passed = code == Some(0) && !timed_out && (!script.prints_done || printed_done);
    let mut output: String = output
        .lines()
        .filter(|l| !(script.prints_done && l.trim() == "done"))
        .collect::<Vec<_>>()
        .join("\n");
    if timed_out {
        let secs = lesson.verify_timeout.as_secs();
        output = match lang {
            Lang::En => format!("The check did not finish within {secs} seconds.\n{output}"),
            Lang::Fr => {
                format!("La vérification ne s'est pas terminée en {secs} secondes.\n{output}")
            }
        };
    }
    Ok(Outcome {
        passed,
        output: tail(output.trim()),
        timed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_keeps_its_end() {
        let text = format!("{}END", "é".repeat(5000));
        let cut = tail(&text);
        assert!(cut.ends_with("END") && cut.starts_with('…'));
        assert!(cut.len() <= MAX_OUTPUT + 4);
        assert_eq!(tail("short"), "short");
    }

    #[test]
    fn assets_are_packed_at_their_target() {
        let dir = std::env::temp_dir().join(format!("quai-pack-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("app/sub")).unwrap();
        std::fs::write(dir.join("app/sub/a.txt"), "a").unwrap();
        let asset = Asset {
            source: dir.join("app"),
            node: "node1".into(),
            target: "/root/app".into(),
            mode: None,
        };
        let archive = pack(&asset).unwrap();
        let mut names: Vec<String> = tar::Archive::new(archive.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert!(
            names.contains(&"root/app/sub/a.txt".to_string()),
            "{names:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
