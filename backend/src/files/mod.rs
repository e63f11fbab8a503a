//! Files of a session's nodes, for their owner: browse a folder, upload files and folders
//! (an archive, checked entry by entry, then extracted by a guard that refuses any path
//! resolving outside the target, symlinks included), download a file or a folder (tar.gz),
//! read and save a text file for the editor, and export or import the whole workspace
//! (`workspace`). Everything runs through the node's own tools (`find`, `tar`, `cat`).
//! Transfers cross the server as streams: downloads straight from the node, uploads and
//! archives through a file on disk (`spool`), never whole in memory.

pub mod archive;
pub mod spool;
pub mod workspace;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use quai_protocol::{ErrorCode, FileEntry, FileKind, Listing, TextFile, Uploaded, WorkingDir};
use serde::Deserialize;

use crate::api::{AppError, JsonBody, Owned};
use crate::runtime::{Feed, Node, RuntimeError};
use crate::session::{Session, Work};
use crate::AppState;

/// Largest file the editor opens or saves.
pub const MAX_TEXT: usize = 1024 * 1024;
/// Time a file operation may take.
const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// The routes of files and workspaces. Uploads and imports are read as they arrive (see
/// `spool`), so no body limit applies to them here.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/nodes/{node}/files", get(list))
        .route(
            "/api/sessions/{id}/nodes/{node}/files/download",
            get(download),
        )
        .route("/api/sessions/{id}/nodes/{node}/files/upload", post(upload))
        .route(
            "/api/sessions/{id}/nodes/{node}/files/text",
            get(read_text)
                .put(write_text)
                .layer(DefaultBodyLimit::max(MAX_TEXT * 2)),
        )
        .route("/api/sessions/{id}/terminals/{term}/cwd", get(cwd))
        .route(
            "/api/sessions/{id}/workspace",
            get(workspace::export).post(workspace::import),
        )
}

pub fn bad_request(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
}

/// `path` as an absolute, normal path (no `..`), or a sentence saying why not.
pub fn absolute(path: &str) -> Result<String, AppError> {
    let valid = path.starts_with('/')
        && !path.contains('\0')
        && !path.split('/').any(|part| part == "..")
        && path.len() <= 4096;
    if !valid {
        return Err(bad_request(format!(
            "`{path}` is not an absolute path without `..`."
        )));
    }
    let mut out = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        out.push('/');
        out.push_str(part);
    }
    Ok(if out.is_empty() { "/".into() } else { out })
}

pub fn node(session: &Session, name: &str) -> Result<Node, AppError> {
    session.node(name).ok_or_else(AppError::not_found)
}

/// Runs `script` with bash in `node`, `args` as `$1…`; stdout as bytes.
pub async fn run(
    state: &AppState,
    node: &Node,
    script: &str,
    args: &[&str],
    input: &[u8],
) -> Result<crate::runtime::ExecBytes, AppError> {
    run_fed(state, node, script, args, Feed::Bytes(input)).await
}

/// `run`, fed with `input` (bytes at hand, or chunks as they come).
pub async fn run_fed(
    state: &AppState,
    node: &Node,
    script: &str,
    args: &[&str],
    input: Feed<'_>,
) -> Result<crate::runtime::ExecBytes, AppError> {
    let mut cmd = vec!["bash", "-c", script, "quai"];
    cmd.extend_from_slice(args);
    state
        .sessions
        .runtime()
        .exec_bytes(
            node,
            &cmd,
            input,
            spool::transfer_limit(state),
            FILE_TIMEOUT,
        )
        .await
        .map_err(|err| match err {
            RuntimeError::Timeout(_) => bad_request("The node took too long to answer; try again."),
            other => AppError::from(other),
        })
}

/// A failed script's exit code as a sentence, or the script's own words on stderr.
fn failed(code: Option<i64>, stderr: &str, path: &str) -> AppError {
    let said = stderr.trim();
    match code {
        Some(3) => AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("There is no `{path}` of that kind in this node."),
        ),
        Some(4) => bad_request(
            said.lines()
                .next()
                .unwrap_or("That path is refused.")
                .to_string(),
        ),
        _ if !said.is_empty() => bad_request(format!("The node could not do it: {said}")),
        _ => bad_request("The node could not do it."),
    }
}

#[derive(Debug, Deserialize)]
pub struct PathQuery {
    path: Option<String>,
    dir: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    let node = node(&session, &name)?;
    let path = absolute(query.path.as_deref().unwrap_or("/root"))?;
    let out = run(
        &state,
        &node,
        r#"[ -d "$1" ] || exit 3; find "$1" -mindepth 1 -maxdepth 1 -printf '%y\t%s\t%T@\t%f\0'"#,
        &[&path],
        &[],
    )
    .await?;
    if out.exit_code != Some(0) {
        return Err(failed(out.exit_code, &out.stderr, &path));
    }
    let mut entries: Vec<FileEntry> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|line| !line.is_empty())
        .filter_map(|line| {
            let line = String::from_utf8_lossy(line);
            let mut fields = line.splitn(4, '\t');
            let kind = match fields.next()? {
                "f" => FileKind::File,
                "d" => FileKind::Dir,
                "l" => FileKind::Link,
                _ => FileKind::Other,
            };
            let size = fields.next()?.parse().ok()?;
            let modified = fields.next()?.split('.').next()?.parse().ok()?;
            let name = fields.next()?.to_string();
            Some(FileEntry {
                name,
                kind,
                size,
                modified,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        (a.kind != FileKind::Dir, a.name.to_lowercase())
            .cmp(&(b.kind != FileKind::Dir, b.name.to_lowercase()))
    });
    Ok(axum::Json(Listing { path, entries }).into_response())
}

pub(crate) fn attachment(
    name: &str,
    content_type: &'static str,
    data: impl Into<Body>,
) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = Response::new(data.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The ASCII name for every browser, the real one (RFC 8187) for those that read it.
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{safe}\"; filename*=UTF-8''{encoded}"
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn download(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    use futures::StreamExt;
    let node = node(&session, &name)?;
    let path = absolute(query.path.as_deref().unwrap_or("/root"))?;
    let work = state.sessions.begin(&session, Work::Transfer).await?;
    let base = path
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or("root")
        .to_string();
    let kind = run(
        &state,
        &node,
        r#"[ -e "$1" ] || exit 3; [ -r "$1" ] || { echo "$1 cannot be read" >&2; exit 4; }
if [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; else exit 3; fi"#,
        &[&path],
        &[],
    )
    .await?;
    if kind.exit_code != Some(0) {
        return Err(failed(kind.exit_code, &kind.stderr, &path));
    }
    let dir = kind.stdout.starts_with(b"dir");
    let parent = path
        .rsplit_once('/')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
        .to_string();
    let member = path
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or(".");
    let cmd: Vec<&str> = if dir {
        vec!["tar", "-czf", "-", "-C", &parent, "--", member]
    } else {
        vec!["cat", "--", &path]
    };
    let limit = (state.config.transfer_limit_mb as usize).saturating_mul(1024 * 1024);
    let stream = state
        .sessions
        .runtime()
        .exec_stream(&node, &cmd, limit)
        .await?;
    // The transfer counts until its last byte is sent (or the browser goes away).
    let body = Body::from_stream(stream.map(move |chunk| {
        let _running = &work;
        chunk
    }));
    Ok(if dir {
        attachment(&format!("{base}.tar.gz"), "application/gzip", body)
    } else {
        attachment(&base, "application/octet-stream", body)
    })
}

/// Extracts the clean archive `tar` under `dir` in `node`, refusing (before writing anything)
/// any of `paths` that resolves outside it, through a symlink already in the node or not.
pub async fn extract(
    state: &AppState,
    node: &Node,
    dir: &str,
    create: bool,
    paths: &[String],
    tar: Feed<'_>,
) -> Result<(), AppError> {
    const GUARD: &str = r#"set -o pipefail
dir=$1; create=$2; shift 2
if [ "$create" = 1 ]; then mkdir -p -- "$dir" 2>/dev/null || { echo "$dir cannot be created" >&2; exit 4; }; fi
[ -d "$dir" ] || exit 3
real=$(realpath -e -- "$dir") || exit 3
cd -- "$real" || exit 3
if [ $# -gt 0 ]; then
  realpath -m -z -- "$@" | while IFS= read -r -d '' r; do
    case "$r" in "$real"/*) ;; *) echo "$r is outside $dir: nothing was written" >&2; exit 4;; esac
  done || exit 4
fi
tar -x --no-same-owner --no-same-permissions -C "$real" -f - || exit 5
"#;
    let mut args: Vec<&str> = vec![dir, if create { "1" } else { "0" }];
    args.extend(paths.iter().map(String::as_str));
    let out = run_fed(state, node, GUARD, &args, tar).await?;
    if out.exit_code != Some(0) {
        return Err(failed(out.exit_code, &out.stderr, dir));
    }
    Ok(())
}

async fn upload(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
    body: Body,
) -> Result<Response, AppError> {
    let _work = state.sessions.begin(&session, Work::Transfer).await?;
    let spool = spool::body(&state, body).await?;
    let node = node(&session, &name)?;
    let dir = absolute(query.dir.as_deref().unwrap_or("/root"))?;
    let limit = state.config.transfer_limit_mb * 1024 * 1024;
    // Checked whole before anything is written, then unpacked as it is read again.
    let file = spool.open().map_err(spool::disk_failed)?;
    let scan = tokio::task::spawn_blocking(move || archive::scan(file, limit))
        .await
        .map_err(|err| spool::disk_failed(std::io::Error::other(err)))?
        .map_err(|err| bad_request(crate::api::error::sentence(&err.to_string())))?;
    if scan.paths.is_empty() {
        return Err(bad_request("The upload holds no file."));
    }
    let feed = spool::clean_feed(&spool, limit, |path| Some(path.to_path_buf()))
        .map_err(spool::disk_failed)?;
    extract(&state, &node, &dir, false, &scan.paths, Feed::Stream(feed)).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Uploaded {
            dir,
            files: scan.files,
            bytes: scan.bytes,
        }),
    )
        .into_response())
}

async fn read_text(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> Result<Response, AppError> {
    let node = node(&session, &name)?;
    let path = absolute(query.path.as_deref().unwrap_or(""))?;
    let script = format!(
        r#"[ -f "$1" ] || exit 3; [ "$(stat -c %s -- "$1")" -le {MAX_TEXT} ] || exit 6; cat -- "$1""#
    );
    let out = run(&state, &node, &script, &[&path], &[]).await?;
    if out.exit_code == Some(6) {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            format!(
                "`{path}` is larger than {} KB: open it in the terminal instead.",
                MAX_TEXT / 1024
            ),
        ));
    }
    if out.exit_code != Some(0) {
        return Err(failed(out.exit_code, &out.stderr, &path));
    }
    let text = match String::from_utf8(out.stdout) {
        Ok(text) if !text.contains('\0') => text,
        _ => {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::BadRequest,
                format!("`{path}` is not a text file; download it instead."),
            ))
        }
    };
    Ok(axum::Json(TextFile { path, text }).into_response())
}

async fn write_text(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, name)): Path<(String, String)>,
    JsonBody(file): JsonBody<TextFile>,
) -> Result<Response, AppError> {
    let node = node(&session, &name)?;
    let path = absolute(&file.path)?;
    if file.text.len() > MAX_TEXT {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            format!("The editor saves files of up to {} KB.", MAX_TEXT / 1024),
        ));
    }
    let out = run(
        &state,
        &node,
        r#"[ -d "$(dirname -- "$1")" ] || exit 3; [ ! -d "$1" ] || exit 3; cat > "$1""#,
        &[&path],
        file.text.as_bytes(),
    )
    .await?;
    if out.exit_code != Some(0) {
        return Err(failed(out.exit_code, &out.stderr, &path));
    }
    Ok(axum::Json(TextFile {
        path,
        text: file.text,
    })
    .into_response())
}

async fn cwd(
    State(state): State<AppState>,
    Owned(session): Owned,
    Path((_, term)): Path<(String, u16)>,
) -> Result<Response, AppError> {
    if session.terminal(term).await.is_none() {
        return Err(AppError::not_found());
    }
    let path = session
        .terminal_cwd(state.sessions.runtime(), term)
        .await
        .unwrap_or_else(|| "/root".into());
    Ok(axum::Json(WorkingDir { path }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_absolute_and_normal() {
        assert_eq!(absolute("/root//app/./x/").unwrap(), "/root/app/x");
        assert_eq!(absolute("/").unwrap(), "/");
        assert!(absolute("root").is_err());
        assert!(absolute("/root/../etc").is_err());
        assert!(absolute("/root/\0").is_err());
    }
}
