//! Bodies of the file routes of a node (browse, upload, download, edit), of the workspace
//! export and import, and of "try an image".

use serde::{Deserialize, Serialize};

use crate::api::SessionCreated;

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Dir,
    Link,
    Other,
}

/// An entry of `GET /api/sessions/{id}/nodes/{node}/files?path=DIR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    /// Unix time (seconds) of the last change.
    pub modified: u64,
}

/// `GET /api/sessions/{id}/nodes/{node}/files?path=DIR`: the folder's entries, folders first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The folder, absolute.
    pub path: String,
    pub entries: Vec<FileEntry>,
}

/// `POST /api/sessions/{id}/nodes/{node}/files/upload?dir=DIR` (body: a tar or tar.gz of the
/// files and folders to add under DIR).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub dir: String,
    pub files: u32,
    pub bytes: u64,
}

/// `GET/PUT /api/sessions/{id}/nodes/{node}/files/text?path=FILE`: a text file to edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFile {
    pub path: String,
    pub text: String,
}

/// `GET /api/sessions/{id}/terminals/{term}/cwd`: the folder a terminal's shell is in, where
/// files dropped on that terminal go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDir {
    pub path: String,
}

/// A file of an exported workspace, as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub node: String,
    /// Absolute path in the node.
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// `manifest.json`, the first member of an exported workspace (`quai-workspace.tar.gz`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version, 1.
    pub quai_workspace: u32,
    pub created_at: u64,
    /// The folders exported from every node.
    pub dirs: Vec<String>,
    pub nodes: Vec<String>,
    pub files: Vec<ManifestFile>,
}

/// `POST /api/sessions/{id}/workspace` (body: an exported workspace): what was restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restored {
    pub files: u32,
    pub bytes: u64,
    pub nodes: Vec<String>,
}

/// `POST /api/try`: start a playground with an image of the catalog running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryImage {
    pub image: String,
}

/// The answer to `POST /api/try` (201); the session cookie is set as for a new session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryStarted {
    #[serde(flatten)]
    pub created: SessionCreated,
    /// The image, as the catalog names it (`nginx:latest`).
    pub image: String,
    /// Ports the image serves: it runs in the background, published on them, and the
    /// terminal is a shell beside it. Empty: the terminal runs the image itself.
    pub ports: Vec<u16>,
}

/// The error body of `POST /api/try` for an image the catalog lacks lists what it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageCatalog {
    pub images: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: &T) -> String
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, value, "{text}");
        text
    }

    #[test]
    fn file_bodies_round_trip() {
        let text = round_trip(&Listing {
            path: "/root".into(),
            entries: vec![FileEntry {
                name: "app".into(),
                kind: FileKind::Dir,
                size: 4096,
                modified: 1,
            }],
        });
        assert!(text.contains("\"kind\":\"dir\""), "{text}");
        round_trip(&Uploaded {
            dir: "/root".into(),
            files: 2,
            bytes: 10,
        });
        round_trip(&TextFile {
            path: "/root/Dockerfile".into(),
            text: "FROM debian\n".into(),
        });
    }

    #[test]
    fn workspace_and_try_bodies_round_trip() {
        round_trip(&Manifest {
            quai_workspace: 1,
            created_at: 2,
            dirs: vec!["/root".into()],
            nodes: vec!["node1".into()],
            files: vec![ManifestFile {
                node: "node1".into(),
                path: "/root/a.txt".into(),
                size: 1,
                sha256: "ab".into(),
            }],
        });
        round_trip(&Restored {
            files: 1,
            bytes: 1,
            nodes: vec!["node1".into()],
        });
        round_trip(&TryImage {
            image: "nginx".into(),
        });
        round_trip(&ImageCatalog {
            images: vec!["nginx:latest".into()],
        });
    }
}
