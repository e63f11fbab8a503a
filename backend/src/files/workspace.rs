//! "Download my work" and bringing it back: the chosen folders of every node in one tar.gz
//! whose first member, `manifest.json`, lists each file with its size and sha256; importing
//! checks every file against the manifest (and refuses the whole archive, naming the file, when
//! one differs or is not listed) before anything is written, adds missing nodes, and restores
//! each folder through the same guard as uploads.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};

use bytes::Bytes;
use futures::Stream;
use quai_protocol::{Manifest, ManifestFile, Restored};
use sha2::{Digest, Sha256};

use super::absolute;
use super::archive;
use super::error::FileError;
use super::service::{disk, node, Files};
use super::spool::{self, Spool, SpoolError};
use crate::runtime::Feed;
use crate::session::{Session, Work, WorkPermit};

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

/// Why a workspace could not be exported or imported; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("`{0}` cannot be part of a workspace: choose folders under {list}.", list = ALLOWED.join(", "))]
    NotAllowed(String),
    #[error("Choose at least one folder.")]
    NoFolder,
    #[error(
        "The workspace is larger than {0} MB, the most one archive may hold; choose fewer folders."
    )]
    TooLarge(u64),
    #[error("{node} could not be read: {why}")]
    NodeUnreadable { node: String, why: String },
    #[error("The workspace could not be packed: {0}.")]
    Pack(String),
    #[error("This workspace cannot be imported: {0}. Nothing was written.")]
    Refused(String),
    /// What every file operation may meet: a bad path, a busy session, the disk, the engine.
    #[error(transparent)]
    Files(#[from] FileError),
}

impl From<crate::session::SessionError> for WorkspaceError {
    fn from(err: crate::session::SessionError) -> Self {
        WorkspaceError::Files(err.into())
    }
}

/// The folders of a comma-separated list, each absolute and allowed, without repeats.
pub fn folders(list: &str) -> Result<Vec<String>, WorkspaceError> {
    let mut dirs = Vec::new();
    for dir in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let dir = absolute(dir)?;
        if !allowed(&dir) {
            return Err(WorkspaceError::NotAllowed(dir));
        }
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if dirs.is_empty() {
        return Err(WorkspaceError::NoFolder);
    }
    Ok(dirs)
}

/// An exported workspace, spooled on the server's disk, with the transfer's permit to keep
/// until its last byte is sent.
pub struct Exported {
    pub archive: Spool,
    pub permit: WorkPermit,
}

impl Files {
    /// The workspace of `session`: the folders of `dirs` (a comma-separated list; `/root`
    /// when absent) of every node, with their manifest, as a tar.gz on disk.
    pub async fn export(
        &self,
        session: &Session,
        dirs: Option<&str>,
    ) -> Result<Exported, WorkspaceError> {
        let dirs = folders(dirs.unwrap_or("/root"))?;
        let permit = self.sessions.begin(session, Work::Transfer).await?;
        let limit = self.limit;
        let relative: Vec<String> = dirs
            .iter()
            .map(|d| d.trim_start_matches('/').to_string())
            .collect();
        // Each node's folders, as its own `tar` packs them, spooled to disk as they come.
        // Folders a node lacks are skipped; links and special files are left out below.
        // The archive's headers come on top of the files' bytes, which the limit counts.
        let room = limit.saturating_add(limit / 4 + 16 * 1024 * 1024);
        let mut spooled = Vec::new();
        for node in session.nodes() {
            let chunks = self.in_node(&node, room).pack(&relative).await?;
            let room = usize::try_from(room).unwrap_or(usize::MAX);
            let spool =
                spool::from_stream("export", chunks, room)
                    .await
                    .map_err(|err| match err {
                        SpoolError::TooLarge => WorkspaceError::TooLarge(self.limit_mb()),
                        SpoolError::Source(why) => WorkspaceError::NodeUnreadable {
                            node: node.name.clone(),
                            why,
                        },
                        SpoolError::Disk(err) => disk(err).into(),
                    })?;
            spooled.push((node.name.clone(), spool));
        }
        // Read twice from disk: once to hash every file for the manifest, which comes first
        // in the archive, then to copy them after it, gzipped into one more spool.
        let (archive, output_file) = Spool::create("workspace").await.map_err(disk)?;
        let target = output_file.into_std().await;
        let built = tokio::task::spawn_blocking(move || pack(dirs, spooled, limit, target))
            .await
            .map_err(|err| disk(std::io::Error::other(err)))?;
        match built {
            Ok(()) => Ok(Exported { archive, permit }),
            Err(archive::ArchiveError::TooLarge(_)) => {
                Err(WorkspaceError::TooLarge(self.limit_mb()))
            }
            Err(other) => Err(WorkspaceError::Pack(other.to_string())),
        }
    }

    /// Restores the workspace archive `chunks` into `session`: checked whole against its
    /// manifest first, then the nodes it has and the session lacks are added, and each
    /// folder is unpacked through the same guard as uploads.
    pub async fn import<E: std::fmt::Display>(
        &self,
        session: &Session,
        chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<Restored, WorkspaceError> {
        let _permit = self.sessions.begin(session, Work::Transfer).await?;
        // Kept on disk, checked whole, then each folder unpacked as the archive is read again.
        let spool = self.spool(chunks).await?;
        let limit = self.limit;
        let file = spool.open().map_err(disk)?;
        let (manifest, per_node) = tokio::task::spawn_blocking(move || verify(file, limit))
            .await
            .map_err(|err| disk(std::io::Error::other(err)))?
            .map_err(WorkspaceError::Refused)?;
        // Nodes the workspace has and the session lacks are added first.
        let wanted = manifest
            .nodes
            .iter()
            .filter_map(|n| n[4..].parse::<usize>().ok())
            .max()
            .unwrap_or(1);
        while session.nodes().len() < wanted {
            self.sessions.add_node(session).await?;
        }
        let (mut files, mut bytes) = (0u32, 0u64);
        for (name, entries) in &per_node {
            let node = node(session, name)?;
            for dir in &manifest.dirs {
                let relative_dir = dir.trim_start_matches('/');
                let inside: Vec<Found> = entries
                    .iter()
                    .filter_map(|e| {
                        let below = e.path.strip_prefix(relative_dir).ok()?;
                        (!below.as_os_str().is_empty()).then(|| Found {
                            path: below.to_path_buf(),
                            size: e.size,
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
                // `nodes/<node>/<dir>/x` of the archive lands at `<dir>/x` in the node.
                let from = FsPath::new("nodes").join(name).join(relative_dir);
                let feed = spool::clean_feed(&spool, limit, move |path| {
                    let below = path.strip_prefix(&from).ok()?;
                    (!below.as_os_str().is_empty()).then(|| below.to_path_buf())
                })
                .map_err(disk)?;
                self.in_node(&node, limit)
                    .extract(dir, true, &paths, Feed::Stream(feed))
                    .await?;
                for entry in &inside {
                    if let Some(size) = entry.size {
                        files += 1;
                        bytes += size;
                    }
                }
            }
        }
        Ok(Restored {
            files,
            bytes,
            nodes: per_node.keys().cloned().collect(),
        })
    }
}

/// Writes the workspace archive of the nodes' spooled tars into `target`, gzipped:
/// `manifest.json` first (every file's size and sha256), then `nodes/<node>/…`. The limit
/// holds for the files of every node together.
fn pack(
    dirs: Vec<String>,
    nodes: Vec<(String, super::spool::Spool)>,
    limit: u64,
    target: std::fs::File,
) -> Result<(), archive::ArchiveError> {
    use std::io::Write;
    let failed = |e: std::io::Error| archive::ArchiveError::Unreadable(e.to_string());
    let mut files = Vec::new();
    let mut used = 0u64;
    for (name, spool) in &nodes {
        let source = spool.open().map_err(failed)?;
        archive::walk(source, limit.saturating_sub(used), true, |visit| {
            if let Some((size, reader)) = visit.file {
                used += size;
                let mut hasher = Sha256::new();
                std::io::copy(reader, &mut hasher).map_err(failed)?;
                files.push(ManifestFile {
                    node: name.clone(),
                    path: format!("/{}", visit.path.display()),
                    size,
                    sha256: hex::encode(hasher.finalize()),
                });
            }
            Ok(())
        })?;
    }
    let manifest = Manifest {
        quai_workspace: 1,
        created_at: crate::session::unix_now(),
        dirs,
        nodes: nodes.iter().map(|(name, _)| name.clone()).collect(),
        files,
    };
    let gzip = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(target),
        flate2::Compression::default(),
    );
    let mut builder = tar::Builder::new(gzip);
    let text = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(text.len() as u64);
    header.set_mtime(manifest.created_at);
    builder
        .append_data(&mut header, "manifest.json", text.as_slice())
        .map_err(failed)?;
    for (name, spool) in &nodes {
        let source = spool.open().map_err(failed)?;
        let under = PathBuf::from("nodes").join(name);
        archive::append_clean(&mut builder, source, limit, true, |path| {
            Some(under.join(path))
        })?;
    }
    let mut out = builder
        .into_inner()
        .and_then(|gzip| gzip.finish())
        .map_err(failed)?;
    out.flush().map_err(failed)
}

/// An entry of a workspace as its check found it: its path below `nodes/<node>/`, and a
/// file's size (`None` for a folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub size: Option<u64>,
}

/// The manifest is small; an archive whose manifest is not is refused.
const MANIFEST_LIMIT: u64 = 8 * 1024 * 1024;

/// Checks an exported workspace, read once from `source`, against its manifest: every file
/// is hashed as it is read and nothing but the manifest is kept. Returns the manifest and,
/// per node, what to restore (paths relative to `/`).
pub fn verify(
    source: impl std::io::Read,
    limit: u64,
) -> Result<(Manifest, BTreeMap<String, Vec<Found>>), String> {
    use std::io::Read;
    let mut manifest_text: Option<Vec<u8>> = None;
    // Every entry but the manifest: its path, and a file's size and sha256.
    let mut entries: Vec<(PathBuf, Option<(u64, String)>)> = Vec::new();
    archive::walk(source, limit, false, |visit| {
        let unreadable = |e: std::io::Error| archive::ArchiveError::Unreadable(e.to_string());
        match visit.file {
            Some((_, reader)) if visit.path == FsPath::new("manifest.json") => {
                let mut text = Vec::new();
                reader
                    .take(MANIFEST_LIMIT)
                    .read_to_end(&mut text)
                    .map_err(unreadable)?;
                manifest_text = Some(text);
            }
            Some((size, reader)) => {
                let mut hasher = Sha256::new();
                std::io::copy(reader, &mut hasher).map_err(unreadable)?;
                entries.push((visit.path, Some((size, hex::encode(hasher.finalize())))));
            }
            None => entries.push((visit.path, None)),
        }
        Ok(())
    })
    .map_err(|e| format!("{e}"))?;
    let text =
        manifest_text.ok_or("the archive has no manifest.json: it is not a Quai workspace")?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("manifest.json cannot be read: {e}"))?;
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
    let mut per_node: BTreeMap<String, Vec<Found>> = BTreeMap::new();
    for (entry_path, file) in entries {
        if file.is_none() && entry_path == FsPath::new("nodes") {
            continue;
        }
        let mut parts = entry_path.components();
        let (Some(first), Some(node)) = (parts.next(), parts.next()) else {
            return Err(format!("`{}` is not in the manifest", entry_path.display()));
        };
        let node = node.as_os_str().to_string_lossy().to_string();
        let inner: PathBuf = parts.collect();
        // `nodes/` and `nodes/nodeN/` themselves, as `tar -czf w.tgz manifest.json nodes` writes.
        if file.is_none() && first.as_os_str() == "nodes" && inner.as_os_str().is_empty() {
            continue;
        }
        if first.as_os_str() != "nodes"
            || !manifest.nodes.contains(&node)
            || inner.as_os_str().is_empty()
        {
            return Err(format!("`{}` is not in the manifest", entry_path.display()));
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
        let size = match file {
            Some((size, sha256)) => {
                let Some(listed) = listed.get(&(node.clone(), path.clone())) else {
                    return Err(format!("{node}:{path} is not in the manifest"));
                };
                if listed.size != size || listed.sha256 != sha256 {
                    return Err(format!(
                        "{node}:{path} does not match its checksum: the archive was changed or damaged"
                    ));
                }
                seen += 1;
                Some(size)
            }
            None => None,
        };
        per_node
            .entry(node)
            .or_default()
            .push(Found { path: inner, size });
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

#[cfg(test)]
mod tests {
    use super::archive::{Entry, Kind};
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
        let (manifest, per_node) = verify(data.as_slice(), 1 << 20).unwrap();
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
        assert!(verify(again.as_slice(), 1 << 20).is_ok());
    }

    #[test]
    fn a_tampered_file_is_named() {
        let data = workspace(
            &[("a.txt", b"alpha"), ("b.txt", b"beta")],
            Some(("b.txt", b"BETA")),
        );
        let err = verify(data.as_slice(), 1 << 20).unwrap_err();
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
