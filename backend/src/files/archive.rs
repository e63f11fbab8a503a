//! Archives that cross into or out of a node, read as a stream (`walk`, gzip or not) entry by
//! entry, keeping none of them whole: only plain files and folders whose paths stay where
//! they belong, within a size and a count (`scan` checks an upload), and clean archives
//! written back as they are read (`copy_clean`, `append_clean`: no links, no devices, no
//! owners, sane modes).

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
    #[error("`{0}` is not named in UTF-8: rename it before sending it")]
    NotUtf8(String),
    #[error("`{0}` holds a NUL byte, which no file name may hold")]
    NulInName(String),
    #[error("the archive is larger than {0} MB once unpacked")]
    TooLarge(u64),
    #[error("the archive holds more than {MAX_ENTRIES} entries")]
    TooMany,
}

/// What an entry read whole holds (tests build and read archives with these).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(Vec<u8>),
}

#[cfg(test)]
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

/// `source` as a tar stream: gunzipped (at most `limit` and a margin for headers) when it
/// starts as gzip does.
fn tar_stream<'a>(source: impl Read + 'a, limit: u64) -> Result<Box<dyn Read + 'a>, ArchiveError> {
    use std::io::BufRead;
    let mut source = std::io::BufReader::new(source);
    let head = source
        .fill_buf()
        .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(
            flate2::read::GzDecoder::new(source).take(limit + 16 * 1024 * 1024),
        ))
    } else {
        Ok(Box::new(source))
    }
}

/// One plain entry of an archive as `walk` meets it; a file's data is read from `data`.
pub struct Visit<'r> {
    pub path: PathBuf,
    pub executable: bool,
    /// `Some((size, data))` for a file, `None` for a folder.
    pub file: Option<(u64, &'r mut dyn Read)>,
}

/// Goes through the archive in `source` (gzip or not) entry by entry, as it is read: an
/// entry whose path leaves its folder, a link or special file (unless `skip_special`, which
/// leaves them out), more than `MAX_ENTRIES` entries or more than `limit` bytes of files
/// stop it with the reason. Nothing is held but the entry at hand.
pub fn walk(
    source: impl Read,
    limit: u64,
    skip_special: bool,
    mut visit: impl FnMut(Visit<'_>) -> Result<(), ArchiveError>,
) -> Result<(), ArchiveError> {
    let mut archive = tar::Archive::new(tar_stream(source, limit)?);
    let mut count = 0usize;
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
        // A node gets the entry under this name again: one the clean copy cannot write (a
        // long name not in UTF-8) would stop the copy halfway.
        if raw.to_str().is_none() {
            return Err(ArchiveError::NotUtf8(shown));
        }
        if shown.contains('\0') {
            return Err(ArchiveError::NulInName(shown.replace('\0', "\\0")));
        }
        let Some(path) = relative(&raw) else {
            if raw.components().all(|c| matches!(c, Component::CurDir)) {
                continue;
            }
            return Err(ArchiveError::Escapes(shown));
        };
        if count >= MAX_ENTRIES {
            return Err(ArchiveError::TooMany);
        }
        let executable = entry
            .header()
            .mode()
            .map(|m| m & 0o111 != 0)
            .unwrap_or(false);
        if kind.is_dir() {
            count += 1;
            visit(Visit {
                path,
                executable,
                file: None,
            })?;
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            count += 1;
            let size = entry.size();
            total = total.saturating_add(size);
            if total > limit {
                return Err(ArchiveError::TooLarge(limit / (1024 * 1024)));
            }
            visit(Visit {
                path,
                executable,
                file: Some((size, &mut entry)),
            })?;
        } else if !skip_special {
            return Err(ArchiveError::NotPlain(shown));
        }
    }
    Ok(())
}

#[cfg(test)]
/// Reads an archive of files and folders, refusing anything that could land elsewhere.
pub fn read(data: &[u8], limit: u64) -> Result<Vec<Entry>, ArchiveError> {
    read_with(data, limit, false)
}

#[cfg(test)]
fn read_with(data: &[u8], limit: u64, skip_special: bool) -> Result<Vec<Entry>, ArchiveError> {
    let mut entries = Vec::new();
    walk(data, limit, skip_special, |visit| {
        let kind = match visit.file {
            None => Kind::Dir,
            Some((size, reader)) => {
                let mut data = Vec::with_capacity(size as usize);
                reader
                    .read_to_end(&mut data)
                    .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
                Kind::File(data)
            }
        };
        entries.push(Entry {
            path: visit.path,
            kind,
            executable: visit.executable,
        });
        Ok(())
    })?;
    Ok(entries)
}

/// What an archive holds, read without keeping any file's data: its paths, files and bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    pub paths: Vec<String>,
    pub files: u32,
    pub bytes: u64,
}

/// Checks the archive in `source` as `read` does, keeping only its paths and sizes.
pub fn scan(source: impl Read, limit: u64) -> Result<Scan, ArchiveError> {
    let mut scan = Scan::default();
    walk(source, limit, false, |visit| {
        scan.paths.push(visit.path.display().to_string());
        if let Some((size, _)) = visit.file {
            scan.files += 1;
            scan.bytes += size;
        }
        Ok(())
    })?;
    Ok(scan)
}

/// Writes the files and folders of the archive in `source` into `sink` as a clean tar (no
/// links, no owners, sane modes), one entry at a time as they are read; `place` says where
/// each entry goes in the new archive, or leaves it out (`None`).
pub fn copy_clean<W: std::io::Write>(
    source: impl Read,
    limit: u64,
    sink: W,
    place: impl FnMut(&Path) -> Option<PathBuf>,
) -> Result<W, ArchiveError> {
    let mut builder = tar::Builder::new(sink);
    append_clean(&mut builder, source, limit, false, place)?;
    builder
        .into_inner()
        .map_err(|e| ArchiveError::Unreadable(e.to_string()))
}

/// Appends the files and folders of the archive in `source` to `builder`, clean, as
/// `copy_clean` does; links and special files are refused, or left out with `skip_special`.
pub fn append_clean<W: std::io::Write>(
    builder: &mut tar::Builder<W>,
    source: impl Read,
    limit: u64,
    skip_special: bool,
    mut place: impl FnMut(&Path) -> Option<PathBuf>,
) -> Result<(), ArchiveError> {
    let failed = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    walk(source, limit, skip_special, |visit| {
        let Some(path) = place(&visit.path) else {
            return Ok(());
        };
        let mut header = clean_header(visit.file.as_ref().map(|(size, _)| *size), visit.executable);
        match visit.file {
            None => builder.append_data(&mut header, &path, std::io::empty()),
            Some((_, reader)) => builder.append_data(&mut header, &path, reader),
        }
        .map_err(failed)
    })
}

/// The header of a clean entry: a folder (`size` none) or a file of `size` bytes.
fn clean_header(size: Option<u64>, executable: bool) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(crate::session::unix_now());
    match size {
        None => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
        }
        Some(size) => {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if executable { 0o755 } else { 0o644 });
            header.set_size(size);
        }
    }
    header
}

#[cfg(test)]
/// A clean tar of `entries`, each under `prefix`.
pub fn write(entries: &[Entry], prefix: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let path = prefix.join(&entry.path);
        // Paths were checked: they are relative and normal, so appending cannot fail for a
        // reason of theirs; a failure here is a bug, shown as an empty archive.
        let _ = match &entry.kind {
            Kind::Dir => {
                let mut header = clean_header(None, entry.executable);
                builder.append_data(&mut header, &path, std::io::empty())
            }
            Kind::File(data) => {
                let mut header = clean_header(Some(data.len() as u64), entry.executable);
                builder.append_data(&mut header, &path, data.as_slice())
            }
        };
    }
    builder.into_inner().unwrap_or_default()
}

#[cfg(test)]
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
    fn a_name_holding_a_nul_byte_is_refused_before_anything_is_copied() {
        // Found by fuzzing: a long name with a NUL byte inside passed the check, and the
        // clean copy a node receives could not write it.
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fuzz/regressions/upload_tar/long-name-with-nul"
        ))
        .unwrap();
        let scanned = scan(data.as_slice(), 1024 * 1024);
        let copied = copy_clean(data.as_slice(), 1024 * 1024, Vec::new(), |p| {
            Some(p.to_path_buf())
        });
        assert!(
            matches!(scanned, Err(ArchiveError::NulInName(_))),
            "{scanned:?}"
        );
        assert_eq!(copied.err(), scanned.err());

        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "notes.txt", b"hi".as_slice())
            .unwrap();
        let mut long = tar::Header::new_gnu();
        let name = b"docs/a\0b.txt\0";
        long.set_entry_type(tar::EntryType::GNULongName);
        long.set_size(name.len() as u64);
        long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        long.set_cksum();
        builder.append(&long, name.as_slice()).unwrap();
        let mut file = tar::Header::new_gnu();
        file.set_size(2);
        file.set_mode(0o644);
        file.as_old_mut().name[..5].copy_from_slice(b"a.txt");
        file.set_cksum();
        builder.append(&file, b"hi".as_slice()).unwrap();
        let data = builder.into_inner().unwrap();
        match read(&data, 1024) {
            Err(ArchiveError::NulInName(name)) => assert_eq!(name, "docs/a\\0b.txt"),
            other => panic!("a NUL in a name was let through: {other:?}"),
        }
    }

    #[test]
    fn a_name_not_in_utf8_is_refused_before_anything_is_copied() {
        // Found by fuzzing: a long name starting with a byte that is not UTF-8 passed the
        // check, then stopped the clean copy a node receives halfway.
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fuzz/regressions/upload_tar/long-name-not-utf8"
        ))
        .unwrap();
        assert!(matches!(
            scan(data.as_slice(), 1024 * 1024),
            Err(ArchiveError::NotUtf8(_))
        ));
        let mut name = vec![0xff];
        name.extend(b"/notes.txt");
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_mode(0o644);
        header.as_old_mut().name[..name.len()].copy_from_slice(&name);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder.append(&header, b"hi".as_slice()).unwrap();
        let data = builder.into_inner().unwrap();
        assert!(matches!(read(&data, 1024), Err(ArchiveError::NotUtf8(_))));
        assert!(copy_clean(data.as_slice(), 1024, Vec::new(), |p| Some(p.to_path_buf())).is_err());
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
