//! Writing a tar archive of files and folders in the browser, for uploads: ustar headers
//! (with a PAX `path` record before a path too long for them), each file's bytes, zeros up
//! to the next 512-byte block, and two empty blocks at the end. The files' bytes are never
//! copied here: `plan` lists the parts in order (header bytes, a file, padding), and the
//! upload turns them into one `Blob` whose file parts the browser reads from disk as it sends.

/// The size of a tar block.
pub const BLOCK: usize = 512;

/// Longest `name` field of a ustar header, and longest `prefix` field.
const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;

/// A file or folder to archive, `path` relative (`dir/sub/file.txt`) with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<F> {
    pub path: String,
    pub kind: ItemKind<F>,
    /// Unix time (seconds) of the last change.
    pub mtime: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind<F> {
    Dir,
    /// A file of `size` bytes, whose content is `F` (a browser `File`, or bytes in tests).
    File {
        size: u64,
        content: F,
    },
}

/// A part of the archive, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<F> {
    Bytes(Vec<u8>),
    Content(F),
}

/// The parts of an archive of `items`, in order: headers and padding as bytes, each file's
/// content as it came.
pub fn plan<F>(items: Vec<Item<F>>) -> Vec<Part<F>> {
    let mut parts = Vec::with_capacity(items.len() * 3 + 1);
    for item in items {
        match item.kind {
            ItemKind::Dir => parts.push(Part::Bytes(header(&item.path, None, item.mtime))),
            ItemKind::File { size, content } => {
                parts.push(Part::Bytes(header(&item.path, Some(size), item.mtime)));
                parts.push(Part::Content(content));
                let pad = padding(size);
                if pad > 0 {
                    parts.push(Part::Bytes(vec![0; pad]));
                }
            }
        }
    }
    parts.push(Part::Bytes(vec![0; 2 * BLOCK]));
    parts
}

/// Zeros after `size` bytes of content, up to the next block.
pub fn padding(size: u64) -> usize {
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 {
        0
    } else {
        BLOCK - rest
    }
}

/// The header block(s) of a file of `size` bytes (`None`: a folder) at `path`: one ustar
/// header, preceded by a PAX header when the path does not fit in ustar's fields.
pub fn header(path: &str, size: Option<u64>, mtime: u64) -> Vec<u8> {
    let mut path = path.trim_start_matches('/').to_string();
    if size.is_none() && !path.ends_with('/') {
        path.push('/');
    }
    let mut out = Vec::with_capacity(BLOCK);
    let (prefix, name) = match split(&path) {
        Some(fields) => fields,
        None => {
            let record = pax_record("path", &path);
            out.extend(ustar(
                "",
                &truncate(&format!("PaxHeaders/{}", last_part(&path)), NAME_LEN),
                b'x',
                record.len() as u64,
                mtime,
                0o644,
            ));
            out.extend_from_slice(&record);
            out.resize(out.len() + padding(record.len() as u64), 0);
            (String::new(), truncate(&path, NAME_LEN))
        }
    };
    let block = match size {
        Some(size) => ustar(&prefix, &name, b'0', size, mtime, 0o644),
        None => ustar(&prefix, &name, b'5', 0, mtime, 0o755),
    };
    out.extend(block);
    out
}

/// `path` as ustar's `prefix` and `name` fields, if it fits in them.
fn split(path: &str) -> Option<(String, String)> {
    if path.len() <= NAME_LEN {
        return Some((String::new(), path.to_string()));
    }
    // The prefix ends at a `/` (not the trailing one of a folder), the name after it.
    let body = path.strip_suffix('/').unwrap_or(path);
    body.rmatch_indices('/')
        .map(|(at, _)| at)
        .find(|&at| at <= PREFIX_LEN && path.len() - at - 1 <= NAME_LEN)
        .map(|at| (path[..at].to_string(), path[at + 1..].to_string()))
}

fn last_part(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// `"LEN key=value\n"`, LEN counting the whole record, its own digits included.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let rest = key.len() + value.len() + 3; // " ", "=", "\n"
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    format!("{len} {key}={value}\n").into_bytes()
}

fn ustar(prefix: &str, name: &str, kind: u8, size: u64, mtime: u64, mode: u32) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    put(&mut block[0..100], name.as_bytes());
    octal(&mut block[100..108], mode.into());
    octal(&mut block[108..116], 0);
    octal(&mut block[116..124], 0);
    octal(&mut block[124..136], size);
    octal(&mut block[136..148], mtime);
    block[156] = kind;
    put(&mut block[257..263], b"ustar\0");
    put(&mut block[263..265], b"00");
    put(&mut block[265..269], b"root");
    put(&mut block[297..301], b"root");
    put(&mut block[345..500], prefix.as_bytes());
    // The checksum counts its own field as spaces.
    block[148..156].fill(b' ');
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    octal(&mut block[148..155], sum.into());
    block[155] = b' ';
    block
}

fn put(field: &mut [u8], bytes: &[u8]) {
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// `value` in octal, zero-padded, ending with a NUL, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let text = &text.as_bytes()[text.len().saturating_sub(digits)..];
    field[..digits].copy_from_slice(text);
    field[digits] = 0;
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn archive(items: Vec<Item<Vec<u8>>>) -> Vec<u8> {
        plan(items)
            .into_iter()
            .flat_map(|part| match part {
                Part::Bytes(bytes) | Part::Content(bytes) => bytes,
            })
            .collect()
    }

    fn file(path: &str, text: &str) -> Item<Vec<u8>> {
        Item {
            path: path.into(),
            kind: ItemKind::File {
                size: text.len() as u64,
                content: text.as_bytes().to_vec(),
            },
            mtime: 1_700_000_000,
        }
    }

    fn dir(path: &str) -> Item<Vec<u8>> {
        Item {
            path: path.into(),
            kind: ItemKind::Dir,
            mtime: 1_700_000_000,
        }
    }

    /// (path, is_dir, content) of every entry, as the `tar` crate (the server's) reads them.
    fn read(bytes: &[u8]) -> Vec<(String, bool, String)> {
        let mut archive = tar::Archive::new(bytes);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let path = entry.path().unwrap().display().to_string();
                let path = path.trim_end_matches('/').to_string();
                let is_dir = entry.header().entry_type().is_dir();
                let mut text = String::new();
                entry.read_to_string(&mut text).unwrap();
                (path, is_dir, text)
            })
            .collect()
    }

    #[test]
    fn files_and_folders_read_back_as_the_server_reads_them() {
        let bytes = archive(vec![
            dir("app"),
            file("app/main.py", "print('hi')\n"),
            dir("app/empty"),
            file("notes.txt", ""),
            file("app/data.bin", &"x".repeat(1500)),
        ]);
        assert_eq!(bytes.len() % BLOCK, 0);
        let entries = read(&bytes);
        assert_eq!(
            entries,
            vec![
                ("app".into(), true, String::new()),
                ("app/main.py".into(), false, "print('hi')\n".into()),
                ("app/empty".into(), true, String::new()),
                ("notes.txt".into(), false, String::new()),
                ("app/data.bin".into(), false, "x".repeat(1500)),
            ]
        );
    }

    #[test]
    fn headers_carry_sizes_modes_and_valid_checksums() {
        let block = header("a.txt", Some(12), 1_700_000_000);
        assert_eq!(block.len(), BLOCK);
        let header = tar::Header::from_byte_slice(&block);
        assert_eq!(header.size().unwrap(), 12);
        assert_eq!(header.mode().unwrap(), 0o644);
        assert_eq!(header.mtime().unwrap(), 1_700_000_000);
        assert_eq!(header.cksum().unwrap(), {
            let mut copy = block.clone();
            copy[148..156].fill(b' ');
            copy.iter().map(|&b| u32::from(b)).sum::<u32>()
        });
        let folder = header_of("dir");
        assert_eq!(folder.entry_type(), tar::EntryType::Directory);
        assert_eq!(folder.mode().unwrap(), 0o755);
    }

    fn header_of(path: &str) -> tar::Header {
        let block = header(path, None, 0);
        tar::Header::from_byte_slice(&block).clone()
    }

    #[test]
    fn long_and_unicode_paths_survive() {
        let deep = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let longer = format!("{}/{}", "p".repeat(200), "é".repeat(70));
        let bytes = archive(vec![
            file(&deep, "deep"),
            file(&longer, "longer"),
            dir(&"q".repeat(180)),
            file("données/été.txt", "chaud"),
        ]);
        let entries = read(&bytes);
        assert_eq!(entries[0], (deep, false, "deep".into()));
        assert_eq!(entries[1], (longer, false, "longer".into()));
        assert_eq!(entries[2], ("q".repeat(180), true, String::new()));
        assert_eq!(
            entries[3],
            ("données/été.txt".into(), false, "chaud".into())
        );
    }

    #[test]
    fn pax_records_count_their_own_length() {
        for value in ["a", &"b".repeat(93), &"c".repeat(94), &"d".repeat(995)] {
            let record = pax_record("path", value);
            let (len, _) = std::str::from_utf8(&record)
                .unwrap()
                .split_once(' ')
                .unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), record.len(), "{value}");
        }
    }

    #[test]
    fn padding_reaches_the_next_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(513), 511);
    }
}
