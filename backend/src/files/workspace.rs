//! "Download my work" and bringing it back: the chosen folders of every node in one tar.gz
//! whose first member, `manifest.json`, lists each file with its size and sha256; importing
//! checks every file against the manifest (and refuses the whole archive, naming the file, when
//! one differs or is not listed) before anything is written, adds missing nodes, and restores
//! each folder through the same guard as uploads.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quai_protocol::{Manifest, ManifestFile, Restored};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::archive::{self, Entry, Kind};
use super::{absolute, bad_request, run};
use crate::api::{AppError, Owned};
use crate::AppState;

/// Folders a workspace may hold (and so write back): the writable places of a node.
const ALLOWED: [&str; 7] = [
    "/root",
    "/home",
    "/srv",
    "/opt",
    "/tmp",
    "/var/tmp",
    "/workspace",
];

fn allowed(dir: &str) -> bool {
    ALLOWED
        .iter()
        .any(|root| dir == *root || dir.starts_with(&format!("{root}/")))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// Comma-separated folders; `/root` when absent.
    dirs: Option<String>,
}

fn folders(list: &str) -> Result<Vec<String>, AppError> {
    let mut dirs = Vec::new();
    for dir in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let dir = absolute(dir)?;
        if !allowed(&dir) {
            return Err(bad_request(format!(
                "`{dir}` cannot be part of a workspace: choose folders under {}.",
                ALLOWED.join(", ")
            )));
        }
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if dirs.is_empty() {
        return Err(bad_request("Choose at least one folder."));
    }
    Ok(dirs)
}

pub async fn export(
    State(state): State<AppState>,
    Owned(session): Owned,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let dirs = folders(query.dirs.as_deref().unwrap_or("/root"))?;
    let _work = state
        .sessions
        .begin(&session, crate::session::Work::Transfer)
        .await?;
    let limit = state.config.transfer_limit_mb * 1024 * 1024;
    let too_large = || {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            quai_protocol::ErrorCode::BadRequest,
            format!(
                "The workspace is larger than {} MB, the most one archive may hold; choose fewer folders.",
                state.config.transfer_limit_mb
            ),
        )
    };
    // The limit holds for the whole archive, every node together.
    let mut used = 0u64;
    let mut files = Vec::new();
    let mut members: Vec<Entry> = Vec::new();
    let mut nodes = Vec::new();
    for node in session.nodes() {
        let relative: Vec<String> = dirs
            .iter()
            .map(|d| d.trim_start_matches('/').to_string())
            .collect();
        let mut args: Vec<&str> = Vec::new();
        args.extend(relative.iter().map(String::as_str));
        // Folders a node lacks are skipped; links and special files are left out below.
        let out = run(
            &state,
            &node,
            r#"cd / && set -- $(for d in "$@"; do [ -d "$d" ] && printf '%s\n' "$d"; done); [ $# -eq 0 ] && exit 0; tar -cf - -- "$@""#,
            &args,
            &[],
        )
        .await?;
        if out.exit_code != Some(0) {
            return Err(bad_request(format!(
                "{} could not be read: {}",
                node.name,
                out.stderr.trim()
            )));
        }
        nodes.push(node.name.clone());
        if out.stdout.is_empty() {
            continue;
        }
        let left = limit.saturating_sub(used);
        let entries = archive::read_plain(&out.stdout, left).map_err(|err| match err {
            archive::ArchiveError::TooLarge(_) => too_large(),
            other => bad_request(format!(
                "The files of {} could not be read: {other}.",
                node.name
            )),
        })?;
        for entry in entries {
            if let Kind::File(data) = &entry.kind {
                used += data.len() as u64;
                if used > limit {
                    return Err(too_large());
                }
                files.push(ManifestFile {
                    node: node.name.clone(),
                    path: format!("/{}", entry.path.display()),
                    size: data.len() as u64,
                    sha256: hex::encode(Sha256::digest(data)),
                });
            }
            members.push(Entry {
                path: PathBuf::from("nodes").join(&node.name).join(&entry.path),
                ..entry
            });
        }
    }
    let manifest = Manifest {
        quai_workspace: 1,
        created_at: crate::session::unix_now(),
        dirs,
        nodes,
        files,
    };
    let mut all = vec![Entry {
        path: PathBuf::from("manifest.json"),
        kind: Kind::File(serde_json::to_vec_pretty(&manifest).unwrap_or_default()),
        executable: false,
    }];
    all.extend(members);
    let tar = archive::write(&all, FsPath::new(""));
    Ok(super::attachment(
        "quai-workspace.tar.gz",
        "application/gzip",
        archive::gzip(&tar),
    ))
}

/// Checks an exported workspace against its manifest; returns the manifest and, per node,
/// the entries to restore (paths relative to `/`).
pub fn verify(data: &[u8], limit: u64) -> Result<(Manifest, BTreeMap<String, Vec<Entry>>), String> {
    let entries = archive::read(data, limit).map_err(|e| format!("{e}"))?;
    let manifest_entry = entries
        .iter()
        .find(|e| e.path == FsPath::new("manifest.json"))
        .ok_or("the archive has no manifest.json: it is not a Quai workspace")?;
    let Kind::File(text) = &manifest_entry.kind else {
        return Err("manifest.json is not a file".into());
    };
    let manifest: Manifest =
        serde_json::from_slice(text).map_err(|e| format!("manifest.json cannot be read: {e}"))?;
    if manifest.quai_workspace != 1 {
        return Err(format!(
            "workspace format {} is not one this server reads",
            manifest.quai_workspace
        ));
    }
    for dir in &manifest.dirs {
        if absolute(dir).ok().as_deref() != Some(dir.as_str()) || !allowed(dir) {
            return Err(format!(
                "the manifest names the folder `{dir}`, which a workspace may not hold"
            ));
        }
    }
    for node in &manifest.nodes {
        let valid = node
            .strip_prefix("node")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=5).contains(&n));
        if !valid {
            return Err(format!("the manifest names the node `{node}`"));
        }
    }
    let listed: HashMap<(String, String), &ManifestFile> = manifest
        .files
        .iter()
        .map(|f| ((f.node.clone(), f.path.clone()), f))
        .collect();
    let mut seen = 0usize;
    let mut per_node: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for entry in entries {
        if entry.path == FsPath::new("manifest.json") {
            continue;
        }
        if entry.kind == Kind::Dir && entry.path == FsPath::new("nodes") {
            continue;
        }
        let mut parts = entry.path.components();
        let (Some(first), Some(node)) = (parts.next(), parts.next()) else {
            return Err(format!("`{}` is not in the manifest", entry.path.display()));
        };
        let node = node.as_os_str().to_string_lossy().to_string();
        let inner: PathBuf = parts.collect();
        // `nodes/` and `nodes/nodeN/` themselves, as `tar -czf w.tgz manifest.json nodes` writes.
        if entry.kind == Kind::Dir && first.as_os_str() == "nodes" && inner.as_os_str().is_empty() {
            continue;
        }
        if first.as_os_str() != "nodes"
            || !manifest.nodes.contains(&node)
            || inner.as_os_str().is_empty()
        {
            return Err(format!("`{}` is not in the manifest", entry.path.display()));
        }
        let path = format!("/{}", inner.display());
        let inside = manifest.dirs.iter().any(|d| {
            path == *d || path.starts_with(&format!("{d}/")) || d.starts_with(&format!("{path}/"))
        });
        if !inside {
            return Err(format!(
                "{node}:{path} is outside the folders the manifest names"
            ));
        }
        if let Kind::File(data) = &entry.kind {
            let Some(file) = listed.get(&(node.clone(), path.clone())) else {
                return Err(format!("{node}:{path} is not in the manifest"));
            };
            if file.size != data.len() as u64 || file.sha256 != hex::encode(Sha256::digest(data)) {
                return Err(format!(
                    "{node}:{path} does not match its checksum: the archive was changed or damaged"
                ));
            }
            seen += 1;
        }
        per_node.entry(node).or_default().push(Entry {
            path: inner,
            ..entry
        });
    }
    if seen != manifest.files.len() {
        let present: std::collections::HashSet<(String, String)> = per_node
            .iter()
            .flat_map(|(node, entries)| {
                entries
                    .iter()
                    .map(move |e| (node.clone(), format!("/{}", e.path.display())))
            })
            .collect();
        let missing = manifest
            .files
            .iter()
            .find(|f| !present.contains(&(f.node.clone(), f.path.clone())))
            .map(|f| format!("{}:{}", f.node, f.path))
            .unwrap_or_default();
        return Err(format!(
            "{missing} is in the manifest but not in the archive"
        ));
    }
    Ok((manifest, per_node))
}

pub async fn import(
    State(state): State<AppState>,
    Owned(session): Owned,
    body: axum::body::Body,
) -> Result<Response, AppError> {
    let _work = state
        .sessions
        .begin(&session, crate::session::Work::Transfer)
        .await?;
    let body = super::receive(&state, body).await?;
    let limit = state.config.transfer_limit_mb * 1024 * 1024;
    let (manifest, per_node) = verify(&body, limit).map_err(|why| {
        bad_request(format!(
            "This workspace cannot be imported: {why}. Nothing was written."
        ))
    })?;
    // Nodes the workspace has and the session lacks are added first.
    let wanted = manifest
        .nodes
        .iter()
        .filter_map(|n| n[4..].parse::<usize>().ok())
        .max()
        .unwrap_or(1);
    while session.nodes().len() < wanted {
        state.sessions.add_node(&session).await?;
    }
    let (mut files, mut bytes) = (0u32, 0u64);
    for (name, entries) in &per_node {
        let node = super::node(&session, name)?;
        for dir in &manifest.dirs {
            let relative_dir = dir.trim_start_matches('/');
            let inside: Vec<Entry> = entries
                .iter()
                .filter_map(|e| {
                    let below = e.path.strip_prefix(relative_dir).ok()?;
                    (!below.as_os_str().is_empty()).then(|| Entry {
                        path: below.to_path_buf(),
                        ..e.clone()
                    })
                })
                .collect();
            if inside.is_empty() {
                continue;
            }
            let paths: Vec<String> = inside
                .iter()
                .map(|e| e.path.display().to_string())
                .collect();
            let tar = archive::write(&inside, FsPath::new(""));
            super::extract(&state, &node, dir, true, &paths, &tar).await?;
            for entry in &inside {
                if let Kind::File(data) = &entry.kind {
                    files += 1;
                    bytes += data.len() as u64;
                }
            }
        }
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(Restored {
            files,
            bytes,
            nodes: per_node.keys().cloned().collect(),
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(files: &[(&str, &[u8])], tamper: Option<(&str, &[u8])>) -> Vec<u8> {
        let manifest = Manifest {
            quai_workspace: 1,
            created_at: 0,
            dirs: vec!["/root".into()],
            nodes: vec!["node1".into()],
            files: files
                .iter()
                .map(|(path, data)| ManifestFile {
                    node: "node1".into(),
                    path: format!("/root/{path}"),
                    size: data.len() as u64,
                    sha256: hex::encode(Sha256::digest(data)),
                })
                .collect(),
        };
        let mut entries = vec![Entry {
            path: "manifest.json".into(),
            kind: Kind::File(serde_json::to_vec(&manifest).unwrap()),
            executable: false,
        }];
        for (path, data) in files {
            let data = match tamper {
                Some((name, other)) if name == *path => other.to_vec(),
                _ => data.to_vec(),
            };
            entries.push(Entry {
                path: format!("nodes/node1/root/{path}").into(),
                kind: Kind::File(data),
                executable: false,
            });
        }
        archive::gzip(&archive::write(&entries, FsPath::new("")))
    }

    #[test]
    fn an_intact_workspace_is_accepted() {
        let data = workspace(&[("a.txt", b"alpha"), ("dir/b.txt", b"beta")], None);
        let (manifest, per_node) = verify(&data, 1 << 20).unwrap();
        assert_eq!(manifest.files.len(), 2);
        assert_eq!(per_node["node1"].len(), 2);
        assert_eq!(per_node["node1"][0].path, FsPath::new("root/a.txt"));
    }

    #[test]
    fn an_archive_packed_again_with_tar_is_accepted() {
        let data = workspace(&[("a.txt", b"alpha")], None);
        let mut entries = archive::read(&data, 1 << 20).unwrap();
        for dir in ["nodes", "nodes/node1", "nodes/node1/root"] {
            entries.insert(
                1,
                Entry {
                    path: dir.into(),
                    kind: Kind::Dir,
                    executable: true,
                },
            );
        }
        let again = archive::gzip(&archive::write(&entries, FsPath::new("")));
        assert!(verify(&again, 1 << 20).is_ok());
    }

    #[test]
    fn a_tampered_file_is_named() {
        let data = workspace(
            &[("a.txt", b"alpha"), ("b.txt", b"beta")],
            Some(("b.txt", b"BETA")),
        );
        let err = verify(&data, 1 << 20).unwrap_err();
        assert_eq!(
            err,
            "node1:/root/b.txt does not match its checksum: the archive was changed or damaged"
        );
    }

    #[test]
    fn folders_outside_a_workspace_are_refused() {
        assert!(folders("/root,/home/ada").is_ok());
        assert!(folders("/etc").is_err());
        assert!(folders("/root/../etc").is_err());
        assert!(folders("").is_err());
    }
}
