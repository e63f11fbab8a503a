//! Where terminal N's keeper keeps its socket, its shell's pid and its shell's exit status:
//! a folder only the node user may enter, under `$TMPDIR` (or `/tmp`).

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

/// The keeper's folder of the user running it, made (mode 700) when missing.
pub fn dir() -> PathBuf {
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let dir = base.join(format!(
        "quai-keeper-{}",
        rustix::process::getuid().as_raw()
    ));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    // A folder others may enter (brought in by a file import) is closed again.
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    dir
}

/// The socket terminal `term`'s keeper listens on.
pub fn socket(term: u16) -> PathBuf {
    dir().join(format!("t{term}.sock"))
}

/// Holds the pid of terminal `term`'s shell while it runs.
pub fn pid_file(term: u16) -> PathBuf {
    dir().join(format!("t{term}.pid"))
}

/// Holds the exit status of terminal `term`'s shell, for the attach that saw it end.
pub fn exit_file(term: u16) -> PathBuf {
    dir().join(format!("t{term}.exit"))
}

/// The pid of terminal `term`'s shell, when it runs.
pub fn shell_pid(term: u16) -> Option<u32> {
    std::fs::read_to_string(pid_file(term))
        .ok()?
        .trim()
        .parse()
        .ok()
}
