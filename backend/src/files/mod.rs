//! Files of a session's nodes, for their owner: browse a folder, upload files and folders
//! (an archive, checked entry by entry, then extracted by a guard that refuses any path
//! resolving outside the target, symlinks included), download a file or a folder (tar.gz),
//! read and save a text file for the editor, and export or import the whole workspace.
//! `service` is the application service (`Files`), `in_node` its typed operations in a
//! node, `http` the thin edge; transfers cross the server as streams: downloads straight
//! from the node, uploads and archives through a file on disk (`spool`), never whole in
//! memory.

pub mod archive;
pub mod error;
mod http;
pub mod in_node;
pub mod service;
pub mod spool;
pub mod workspace;

pub use error::FileError;
pub use http::routes;
pub use service::Files;
pub use workspace::WorkspaceError;

/// Largest file the editor opens or saves.
pub const MAX_TEXT: usize = 1024 * 1024;

/// `path` as an absolute, normal path (no `..`), or why not.
pub fn absolute(path: &str) -> Result<String, FileError> {
    let valid = path.starts_with('/')
        && !path.contains('\0')
        && !path.split('/').any(|part| part == "..")
        && path.len() <= 4096;
    if !valid {
        return Err(FileError::BadPath(path.to_string()));
    }
    let mut out = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        out.push('/');
        out.push_str(part);
    }
    Ok(if out.is_empty() { "/".into() } else { out })
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
