//! Why an operation on a node's files failed (`FileError`): browsing, reading and saving a
//! text file, uploading, downloading. Workspaces have their own (`workspace::WorkspaceError`).
//! The edge (`api::error`) turns each into a status and a sentence.

use crate::runtime::RuntimeError;
use crate::session::SessionError;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("`{0}` is not an absolute path without `..`.")]
    BadPath(String),
    /// No such node, or no such terminal, in the session.
    #[error("Not found.")]
    NoSuchPlace,
    #[error("There is no `{0}` of that kind in this node.")]
    Missing(String),
    /// The node refused the path, in its own words (a folder that cannot be created, a path
    /// outside the target, a file that cannot be read).
    #[error("{0}")]
    Refused(String),
    #[error("The node could not do it{}", if .0.is_empty() { ".".to_string() } else { format!(": {}", .0) })]
    Failed(String),
    #[error("The node took too long to answer; try again.")]
    Timeout,
    #[error("`{path}` is larger than {kb} KB: open it in the terminal instead.")]
    TooLargeToOpen { path: String, kb: usize },
    #[error("The editor saves files of up to {0} KB.")]
    TooLargeToSave(usize),
    #[error("`{0}` is not a text file; download it instead.")]
    NotText(String),
    #[error("The upload holds no file.")]
    EmptyUpload,
    /// The upload is not an archive the node may take (a link, an escape, too many entries).
    #[error("{0}")]
    BadArchive(String),
    #[error("The upload could not be read: {0}.")]
    Unreadable(String),
    #[error("That is more than this playground transfers at once ({0} MB).")]
    TooLarge(u64),
    /// The server's own disk, where transfers are spooled.
    #[error("The server cannot keep the transfer on its disk right now; try again later.")]
    Disk(#[source] std::io::Error),
    /// Another transfer of the session (or too many of the server) is running.
    #[error(transparent)]
    Busy(#[from] SessionError),
    #[error(transparent)]
    Engine(RuntimeError),
}

impl From<RuntimeError> for FileError {
    fn from(err: RuntimeError) -> Self {
        match err {
            RuntimeError::Timeout(_) => FileError::Timeout,
            RuntimeError::TooLarge(limit) => FileError::TooLarge(limit as u64 / (1024 * 1024)),
            other => FileError::Engine(other),
        }
    }
}

impl FileError {
    /// A script's failure: exit 3 is "no such path", exit 4 the node's refusal in its own
    /// words on stderr; anything else, what the node said.
    pub fn of_script(code: Option<i64>, stderr: &str, path: &str) -> FileError {
        let said = stderr.trim();
        match code {
            Some(3) => FileError::Missing(path.to_string()),
            Some(4) => FileError::Refused(
                said.lines()
                    .next()
                    .unwrap_or("That path is refused.")
                    .to_string(),
            ),
            _ => FileError::Failed(said.to_string()),
        }
    }
}
