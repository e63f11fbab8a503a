//! Archives sent by a page: uploads into a node, and workspaces brought back.

use std::path::{Component, Path};

use crate::files::archive::{self, MAX_ENTRIES};
use crate::files::workspace;

/// The size limit the targets read archives with: small, so that huge entries meet it.
const LIMIT: u64 = 1024 * 1024;

/// Whether `path` names only things below where it is put.
fn stays_inside(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// An upload's archive (tar or tar.gz): what the check lets through stays inside its folder
/// and within the limits, and the clean copy a node receives holds only plain files and
/// folders at those same paths.
pub fn upload_tar(data: &[u8]) {
    let scanned = archive::scan(data, LIMIT);
    let copied = archive::copy_clean(data, LIMIT, Vec::new(), |p| Some(p.to_path_buf()));
    let scan = match (scanned, copied) {
        (Ok(scan), Ok(copy)) => {
            let mut clean = tar::Archive::new(copy.as_slice());
            let mut paths = Vec::new();
            for entry in clean.entries().expect("the clean copy reads") {
                let entry = entry.expect("a clean entry reads");
                let header = entry.header();
                let kind = header.entry_type();
                assert!(
                    kind.is_file() || kind.is_dir(),
                    "the clean copy holds a {kind:?}"
                );
                let mode = header.mode().expect("a clean mode");
                assert_eq!(mode & !0o755, 0, "the clean copy has mode {mode:o}");
                let path = entry.path().expect("a clean path").into_owned();
                assert!(stays_inside(&path), "the clean copy holds {path:?}");
                paths.push(path.display().to_string());
            }
            assert_eq!(paths, scan.paths, "the clean copy holds other paths");
            Some(scan)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "the check and the copy refused for different reasons");
            None
        }
        (a, b) => panic!("the check said {:?} but the copy {:?}", a.err(), b.err()),
    };
    if let Some(scan) = scan {
        assert!(scan.paths.len() <= MAX_ENTRIES);
        assert!(scan.bytes <= LIMIT, "{} bytes let through", scan.bytes);
        for path in &scan.paths {
            assert!(stays_inside(Path::new(path)), "`{path}` let through");
        }
    }
}

/// A workspace archive brought back: the first byte says whether the rest is the archive
/// itself (even) or the text of its `manifest.json` (odd), put in a small archive in front of
/// one file, `nodes/node1/root/notes.txt`. What the check accepts names only allowed folders
/// and nodes 1 to 5, and every entry it keeps lies inside the folders of the manifest.
pub fn workspace_archive(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let built;
    let archive_bytes = if mode % 2 == 0 {
        rest
    } else {
        built = with_manifest(rest);
        built.as_slice()
    };
    let Ok((manifest, per_node)) = workspace::verify(archive_bytes, LIMIT) else {
        return;
    };
    for dir in &manifest.dirs {
        assert!(
            workspace::folders(dir).ok() == Some(vec![dir.clone()]),
            "the folder `{dir}` was accepted"
        );
    }
    // As `Files::import` counts the nodes to add.
    let wanted = manifest
        .nodes
        .iter()
        .filter_map(|n| n.get(4..)?.parse::<usize>().ok())
        .max()
        .unwrap_or(1);
    assert!((1..=5).contains(&wanted), "{wanted} nodes asked for");
    let mut files = 0;
    for (node, entries) in &per_node {
        assert!(manifest.nodes.contains(node), "node `{node}` not listed");
        for entry in entries {
            assert!(stays_inside(&entry.path), "{:?} kept", entry.path);
            let path = format!("/{}", entry.path.display());
            assert!(
                manifest.dirs.iter().any(|d| path == *d
                    || path.starts_with(&format!("{d}/"))
                    || d.starts_with(&format!("{path}/"))),
                "{path} is outside the folders"
            );
            files += usize::from(entry.size.is_some());
        }
    }
    assert_eq!(
        files,
        manifest.files.len(),
        "files not in the manifest kept"
    );
}

/// `manifest.json` of `text`, then `nodes/node1/root/notes.txt` ("notes\n").
fn with_manifest(text: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, body) in [
        ("manifest.json", text),
        ("nodes/node1/root/notes.txt", b"notes\n".as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(body.len() as u64);
        builder
            .append_data(&mut header, path, body)
            .expect("an archive in memory");
    }
    builder.into_inner().expect("an archive in memory")
}
