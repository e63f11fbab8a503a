//! Archives that cross into or out of a node: reading an upload or an exported workspace
//! (gzip or not) into plain files and folders whose paths stay where they belong, and
//! writing clean archives back (no links, no devices, no owners, sane modes).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("the archive cannot be read: {0}")]
    Unreadable(String),
    #[error("`{0}` leaves the folder it is sent to (absolute, or with `..`)")]
    Escapes(String),
    #[error("`{0}` is a link or a special file: only files and folders are accepted")]
    NotPlain(String),
    #[error("the archive is larger than {0} MB once unpacked")]
    TooLarge(u64),
    #[error("the archive holds more than {MAX_ENTRIES} entries")]
    TooMany,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(Vec<u8>),
}

/// A file or folder with a relative, normal path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    pub kind: Kind,
    pub executable: bool,
}

/// `path` if it only names things below where it is put: no root, no `..`.
pub fn relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The bytes of a tar, decompressed first when they are gzip.
fn tar_bytes(data: &[u8], limit: u64) -> Result<std::borrow::Cow<'_, [u8]>, ArchiveError> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .take(limit + 1024 * 1024)
            .read_to_end(&mut out)
            .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        Ok(out.into())
    } else {
        // A plain tar is read where it lies, not copied.
        Ok(data.into())
    }
}

/// Reads an archive of files and folders, refusing anything that could land elsewhere.
pub fn read(data: &[u8], limit: u64) -> Result<Vec<Entry>, ArchiveError> {
    read_with(data, limit, false)
}

/// Like `read`, but links and special files are left out instead of refused (a node's own
/// folders, as `tar` packs them for an export).
pub fn read_plain(data: &[u8], limit: u64) -> Result<Vec<Entry>, ArchiveError> {
    read_with(data, limit, true)
}

fn read_with(data: &[u8], limit: u64, skip_special: bool) -> Result<Vec<Entry>, ArchiveError> {
    let bytes = tar_bytes(data, limit)?;
    let mut archive = tar::Archive::new(&*bytes);
    let mut entries = Vec::new();
    let mut total = 0u64;
    let unreadable = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let raw = entry.path().map_err(unreadable)?.into_owned();
        let shown = raw.display().to_string();
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let Some(path) = relative(&raw) else {
            if raw.components().all(|c| matches!(c, Component::CurDir)) {
                continue;
            }
            return Err(ArchiveError::Escapes(shown));
        };
        if entries.len() >= MAX_ENTRIES {
            return Err(ArchiveError::TooMany);
        }
        let executable = entry
            .header()
            .mode()
            .map(|m| m & 0o111 != 0)
            .unwrap_or(false);
        if kind.is_dir() {
            entries.push(Entry {
                path,
                kind: Kind::Dir,
                executable,
            });
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            total += entry.size();
            if total > limit {
                return Err(ArchiveError::TooLarge(limit / (1024 * 1024)));
            }
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).map_err(unreadable)?;
            entries.push(Entry {
                path,
                kind: Kind::File(data),
                executable,
            });
        } else if !skip_special {
            return Err(ArchiveError::NotPlain(shown));
        }
    }
    Ok(entries)
}

/// A clean tar of `entries`, each under `prefix`.
pub fn write(entries: &[Entry], prefix: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let path = prefix.join(&entry.path);
        let mut header = tar::Header::new_gnu();
        header.set_mtime(crate::session::unix_now());
        match &entry.kind {
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                // Paths were checked: they are relative and normal, so appending cannot fail
                // for a reason of theirs; a failure here is a bug, shown as an empty archive.
                let _ = builder.append_data(&mut header, &path, std::io::empty());
            }
            Kind::File(data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(if entry.executable { 0o755 } else { 0o644 });
                header.set_size(data.len() as u64);
                let _ = builder.append_data(&mut header, &path, data.as_slice());
            }
        }
    }
    builder.into_inner().unwrap_or_default()
}

/// Gzips `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(paths: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, data) in paths {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            // Write the name by hand: the tar crate refuses to write `..` itself.
            let name = header.as_old_mut().name.as_mut();
            name[..path.len()].copy_from_slice(path.as_bytes());
            if *kind == tar::EntryType::Symlink {
                header.set_link_name("/etc").unwrap();
            }
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn plain_files_and_folders_are_read_and_written_back() {
        let data = tar_of(&[
            ("project/", tar::EntryType::Directory, b""),
            ("project/app.py", tar::EntryType::Regular, b"print(1)\n"),
            ("./notes.txt", tar::EntryType::Regular, b"hi"),
        ]);
        let entries = read(&gzip(&data), 1024).unwrap();
        let paths: Vec<String> = entries
            .iter()
            .map(|e| e.path.display().to_string())
            .collect();
        assert_eq!(paths, ["project", "project/app.py", "notes.txt"]);
        let again = read(&write(&entries, Path::new("x")), 1024).unwrap();
        assert_eq!(again[1].path, Path::new("x/project/app.py"));
        assert_eq!(again[1].kind, Kind::File(b"print(1)\n".to_vec()));
    }

    #[test]
    fn escapes_links_and_oversize_archives_are_refused_by_name() {
        let up = tar_of(&[("../evil", tar::EntryType::Regular, b"x")]);
        assert_eq!(
            read(&up, 1024),
            Err(ArchiveError::Escapes("../evil".into()))
        );
        let absolute = tar_of(&[("/etc/evil", tar::EntryType::Regular, b"x")]);
        assert_eq!(
            read(&absolute, 1024),
            Err(ArchiveError::Escapes("/etc/evil".into()))
        );
        let link = tar_of(&[("etc", tar::EntryType::Symlink, b"")]);
        assert_eq!(read(&link, 1024), Err(ArchiveError::NotPlain("etc".into())));
        let big = tar_of(&[("big", tar::EntryType::Regular, &[0u8; 2048])]);
        assert!(matches!(read(&big, 1024), Err(ArchiveError::TooLarge(_))));
        assert!(matches!(
            read(
                b"not a tar at all, but long enough to be read as a header block?",
                1024
            ),
            Err(ArchiveError::Unreadable(_)) | Ok(_)
        ));
    }
}
