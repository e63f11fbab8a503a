//! Typed file operations in a node, run with the node's own tools (`find`, `tar`, `cat`):
//! each is a fixed bash script whose paths arrive as arguments (`$1…`), never pasted into
//! the script. Exit 3 means "no such path", exit 4 a refusal in the node's words.

use std::time::Duration;

use quai_protocol::{FileEntry, FileKind};

use super::error::FileError;
use super::MAX_TEXT;
use crate::runtime::{ByteStream, ExecBytes, Feed, Node, Runtime};

/// Time a file operation may take.
const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// What a path is, for a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    File,
    Dir,
}

/// The file operations of one node, whose outputs are held to `limit` bytes.
pub struct InNode<'a> {
    pub runtime: &'a dyn Runtime,
    pub node: &'a Node,
    pub limit: usize,
}

impl InNode<'_> {
    /// Runs `script` with bash, `args` as `$1…`, fed `input`.
    async fn run(
        &self,
        script: &str,
        args: &[&str],
        input: Feed<'_>,
    ) -> Result<ExecBytes, FileError> {
        let mut cmd = vec!["bash", "-c", script, "quai"];
        cmd.extend_from_slice(args);
        Ok(self
            .runtime
            .exec_bytes(self.node, &cmd, input, self.limit, FILE_TIMEOUT)
            .await?)
    }

    /// `run`, its stdout when it exits 0, else why not (`path` names what it was about).
    async fn run_ok(
        &self,
        script: &str,
        args: &[&str],
        input: Feed<'_>,
        path: &str,
    ) -> Result<Vec<u8>, FileError> {
        let out = self.run(script, args, input).await?;
        if out.exit_code != Some(0) {
            return Err(FileError::of_script(out.exit_code, &out.stderr, path));
        }
        Ok(out.stdout)
    }

    /// The entries of the folder `path`, folders first, then by name.
    pub async fn list(&self, path: &str) -> Result<Vec<FileEntry>, FileError> {
        let out = self
            .run_ok(
                r#"[ -d "$1" ] || exit 3; find "$1" -mindepth 1 -maxdepth 1 -printf '%y\t%s\t%T@\t%f\0'"#,
                &[path],
                Feed::Bytes(&[]),
                path,
            )
            .await?;
        let mut entries: Vec<FileEntry> = out
            .split(|b| *b == 0)
            .filter(|line| !line.is_empty())
            .filter_map(|line| entry(&String::from_utf8_lossy(line)))
            .collect();
        entries.sort_by(|a, b| {
            (a.kind != FileKind::Dir, a.name.to_lowercase())
                .cmp(&(b.kind != FileKind::Dir, b.name.to_lowercase()))
        });
        Ok(entries)
    }

    /// Whether `path` is a readable file or folder.
    pub async fn kind(&self, path: &str) -> Result<PathKind, FileError> {
        let out = self
            .run_ok(
                r#"[ -e "$1" ] || exit 3; [ -r "$1" ] || { echo "$1 cannot be read" >&2; exit 4; }
if [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; else exit 3; fi"#,
                &[path],
                Feed::Bytes(&[]),
                path,
            )
            .await?;
        Ok(if out.starts_with(b"dir") {
            PathKind::Dir
        } else {
            PathKind::File
        })
    }

    /// The bytes of the file `path` (a folder: a tar.gz of it), as the node sends them.
    pub async fn open(&self, path: &str, kind: PathKind) -> Result<ByteStream, FileError> {
        let (parent, member) = match path.rsplit_once('/') {
            Some(("", member)) => ("/", member),
            Some((parent, member)) => (parent, member),
            None => ("/", path),
        };
        let member = if member.is_empty() { "." } else { member };
        let cmd: Vec<&str> = match kind {
            PathKind::Dir => vec!["tar", "-czf", "-", "-C", parent, "--", member],
            PathKind::File => vec!["cat", "--", path],
        };
        Ok(self
            .runtime
            .exec_stream(self.node, &cmd, self.limit)
            .await?)
    }

    /// The text file `path` for the editor: at most `MAX_TEXT` bytes of UTF-8.
    pub async fn read_text(&self, path: &str) -> Result<String, FileError> {
        let script = format!(
            r#"[ -f "$1" ] || exit 3; [ "$(stat -c %s -- "$1")" -le {MAX_TEXT} ] || exit 6; cat -- "$1""#
        );
        let out = self.run(&script, &[path], Feed::Bytes(&[])).await?;
        if out.exit_code == Some(6) {
            return Err(FileError::TooLargeToOpen {
                path: path.to_string(),
                kb: MAX_TEXT / 1024,
            });
        }
        if out.exit_code != Some(0) {
            return Err(FileError::of_script(out.exit_code, &out.stderr, path));
        }
        match String::from_utf8(out.stdout) {
            Ok(text) if !text.contains('\0') => Ok(text),
            _ => Err(FileError::NotText(path.to_string())),
        }
    }

    /// Writes `text` to `path`, in a folder that exists.
    pub async fn write_text(&self, path: &str, text: &str) -> Result<(), FileError> {
        self.run_ok(
            r#"[ -d "$(dirname -- "$1")" ] || exit 3; [ ! -d "$1" ] || exit 3; cat > "$1""#,
            &[path],
            Feed::Bytes(text.as_bytes()),
            path,
        )
        .await
        .map(drop)
    }

    /// Extracts the clean archive `tar` under `dir` (made first when `create`), refusing
    /// (before writing anything) any of `paths` that resolves outside it, through a symlink
    /// already in the node or not.
    pub async fn extract(
        &self,
        dir: &str,
        create: bool,
        paths: &[String],
        tar: Feed<'_>,
    ) -> Result<(), FileError> {
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
        self.run_ok(GUARD, &args, tar, dir).await.map(drop)
    }

    /// A tar of the folders `dirs` (relative to `/`) that the node has, as it sends it; the
    /// terminal keeper's own folders (its sockets and settings) are left out.
    pub async fn pack(&self, dirs: &[String]) -> Result<ByteStream, FileError> {
        let mut cmd = vec![
            "bash",
            "-c",
            r#"cd / && set -- $(for d in "$@"; do [ -d "$d" ] && printf '%s\n' "$d"; done); [ $# -eq 0 ] && exit 0; exec tar -cf - --exclude='tmp/quai-[0-9]*' --exclude='tmp/tmux-[0-9]*' --exclude='tmp/quai-keeper-[0-9]*' -- "$@""#,
            "quai",
        ];
        cmd.extend(dirs.iter().map(String::as_str));
        Ok(self
            .runtime
            .exec_stream(self.node, &cmd, self.limit)
            .await?)
    }
}

/// One line of `find -printf '%y\t%s\t%T@\t%f'`.
fn entry(line: &str) -> Option<FileEntry> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_lines_become_entries() {
        let e = entry("d\t4096\t1700000000.5\tapp").unwrap();
        assert_eq!(
            (e.kind, e.size, e.modified, e.name.as_str()),
            (FileKind::Dir, 4096, 1700000000, "app")
        );
        let e = entry("f\t3\t1\tname\twith\ttabs").unwrap();
        assert_eq!(e.name, "name\twith\ttabs");
        assert!(entry("f\tnot-a-size\t1\tx").is_none());
    }
}
