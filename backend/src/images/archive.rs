//! Checks an image archive before anything is loaded: a `docker save` archive (manifest.json,
//! each config named by its sha256, each layer matching its diff_id) or an OCI image layout
//! (every blob matching the digest it is named by, every referenced blob present). A
//! truncated, corrupt or incomplete archive is refused with the file that failed.

use std::collections::HashMap;
use std::io::Read;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Why an archive was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("the archive could not be read (truncated, or not a tar file): {0}")]
    Unreadable(String),
    #[error("the archive has neither manifest.json (docker save) nor index.json (OCI layout)")]
    NoManifest,
    #[error("{file} is not valid JSON: {reason}")]
    BadJson { file: String, reason: String },
    #[error("{file} is named in the archive's manifest but missing from it")]
    Missing { file: String },
    #[error("{file} does not match its digest: expected sha256:{expected}, found sha256:{found}")]
    Digest {
        file: String,
        expected: String,
        found: String,
    },
    #[error("the archive holds no image")]
    Empty,
}

/// What a checked archive holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The names its images are saved under (`nginx:latest`), if any.
    pub names: Vec<String>,
    /// How many files were checked against a digest.
    pub verified: usize,
}

/// Every file of the archive: its sha256, and its bytes when small enough to be metadata.
struct Files(HashMap<String, (String, Option<Vec<u8>>)>);

const METADATA_LIMIT: u64 = 4 * 1024 * 1024;

fn read_all(archive: impl Read) -> Result<Files, ArchiveError> {
    let unreadable = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    let mut files = HashMap::new();
    let mut tar = tar::Archive::new(archive);
    for entry in tar.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let keep = entry.header().size().map_err(unreadable)? <= METADATA_LIMIT;
        let mut hasher = Sha256::new();
        let mut kept = Vec::new();
        let mut buffer = [0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buffer).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            if keep {
                kept.extend_from_slice(&buffer[..n]);
            }
        }
        files.insert(path, (hex::encode(hasher.finalize()), keep.then_some(kept)));
    }
    Ok(Files(files))
}

impl Files {
    fn json<T: for<'de> Deserialize<'de>>(&self, file: &str) -> Result<T, ArchiveError> {
        let (_, bytes) = self.0.get(file).ok_or_else(|| ArchiveError::Missing {
            file: file.to_string(),
        })?;
        let bytes = bytes.as_deref().ok_or_else(|| ArchiveError::BadJson {
            file: file.to_string(),
            reason: "too large for metadata".to_string(),
        })?;
        serde_json::from_slice(bytes).map_err(|e| ArchiveError::BadJson {
            file: file.to_string(),
            reason: e.to_string(),
        })
    }

    fn expect_digest(&self, file: &str, digest: &str) -> Result<(), ArchiveError> {
        let expected = digest.trim_start_matches("sha256:");
        let (found, _) = self.0.get(file).ok_or_else(|| ArchiveError::Missing {
            file: file.to_string(),
        })?;
        if found != expected {
            return Err(ArchiveError::Digest {
                file: file.to_string(),
                expected: expected.to_string(),
                found: found.clone(),
            });
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct ImageConfig {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct OciIndex {
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct OciManifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

fn blob(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// Checks every digest the archive promises.
pub fn check(archive: impl Read) -> Result<Checked, ArchiveError> {
    let files = read_all(archive)?;
    let mut names = Vec::new();
    let mut verified = 0;
    if files.0.contains_key("index.json") {
        // OCI layout: every blob is named by its digest.
        for (path, (found, _)) in &files.0 {
            if let Some(rest) = path.strip_prefix("blobs/sha256/") {
                files
                    .expect_digest(path, rest)
                    .map_err(|_| ArchiveError::Digest {
                        file: path.clone(),
                        expected: rest.to_string(),
                        found: found.clone(),
                    })?;
                verified += 1;
            }
        }
        let index: OciIndex = files.json("index.json")?;
        for manifest in &index.manifests {
            let manifest_file = blob(&manifest.digest);
            let parsed: OciManifest = files.json(&manifest_file)?;
            for needed in std::iter::once(&parsed.config).chain(&parsed.layers) {
                files.expect_digest(&blob(&needed.digest), &needed.digest)?;
            }
            let name = manifest
                .annotations
                .get("io.containerd.image.name")
                .or_else(|| {
                    manifest
                        .annotations
                        .get("org.opencontainers.image.ref.name")
                });
            names.extend(name.cloned());
        }
        if index.manifests.is_empty() {
            return Err(ArchiveError::Empty);
        }
    } else if files.0.contains_key("manifest.json") {
        let entries: Vec<SaveEntry> = files.json("manifest.json")?;
        if entries.is_empty() {
            return Err(ArchiveError::Empty);
        }
        for entry in &entries {
            let config_digest = entry
                .config
                .trim_start_matches("blobs/sha256/")
                .trim_end_matches(".json")
                .to_string();
            files.expect_digest(&entry.config, &config_digest)?;
            verified += 1;
            let config: ImageConfig = files.json(&entry.config)?;
            if config.rootfs.diff_ids.len() != entry.layers.len() {
                return Err(ArchiveError::BadJson {
                    file: entry.config.clone(),
                    reason: format!(
                        "{} layers listed, {} in the image",
                        entry.layers.len(),
                        config.rootfs.diff_ids.len()
                    ),
                });
            }
            for (layer, diff_id) in entry.layers.iter().zip(&config.rootfs.diff_ids) {
                files.expect_digest(layer, diff_id)?;
                verified += 1;
            }
            names.extend(entry.repo_tags.clone().unwrap_or_default());
        }
    } else {
        return Err(ArchiveError::NoManifest);
    }
    names.sort();
    names.dedup();
    Ok(Checked { names, verified })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn add(builder: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, bytes).unwrap();
    }

    /// A `docker save` archive of one image with one layer; `tamper` edits the layer.
    fn docker_save(tamper: bool) -> Vec<u8> {
        let layer = b"pretend this is a layer tar".to_vec();
        let config = format!(
            r#"{{"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
            sha(&layer)
        );
        let config_name = format!("{}.json", sha(config.as_bytes()));
        let manifest = format!(
            r#"[{{"Config":"{config_name}","RepoTags":["demo:1"],"Layers":["abc/layer.tar"]}}]"#
        );
        let mut builder = tar::Builder::new(Vec::new());
        add(&mut builder, "manifest.json", manifest.as_bytes());
        add(&mut builder, &config_name, config.as_bytes());
        let mut stored = layer.clone();
        if tamper {
            stored[0] ^= 1;
        }
        add(&mut builder, "abc/layer.tar", &stored);
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_sound_docker_save_archive_passes_with_its_names() {
        let checked = check(&docker_save(false)[..]).unwrap();
        assert_eq!(checked.names, vec!["demo:1".to_string()]);
        assert_eq!(checked.verified, 2);
    }

    #[test]
    fn a_tampered_layer_is_named() {
        let err = check(&docker_save(true)[..]).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Digest { ref file, .. } if file == "abc/layer.tar"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_archive_is_refused() {
        let whole = docker_save(false);
        let err = check(&whole[..whole.len() / 2]).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::Unreadable(_) | ArchiveError::Missing { .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn an_archive_without_a_manifest_is_refused() {
        let mut builder = tar::Builder::new(Vec::new());
        add(&mut builder, "hello.txt", b"hi");
        assert_eq!(
            check(&builder.into_inner().unwrap()[..]).unwrap_err(),
            ArchiveError::NoManifest
        );
    }

    #[test]
    fn an_oci_layout_is_checked_blob_by_blob() {
        let layer = b"layer".to_vec();
        let config = b"{}".to_vec();
        let manifest = format!(
            r#"{{"config":{{"digest":"sha256:{}"}},"layers":[{{"digest":"sha256:{}"}}]}}"#,
            sha(&config),
            sha(&layer)
        );
        let index = format!(
            r#"{{"manifests":[{{"digest":"sha256:{}","annotations":{{"io.containerd.image.name":"demo:2"}}}}]}}"#,
            sha(manifest.as_bytes())
        );
        let build = |layer_bytes: &[u8]| {
            let mut builder = tar::Builder::new(Vec::new());
            add(
                &mut builder,
                "oci-layout",
                br#"{"imageLayoutVersion":"1.0.0"}"#,
            );
            add(&mut builder, "index.json", index.as_bytes());
            add(
                &mut builder,
                &format!("blobs/sha256/{}", sha(manifest.as_bytes())),
                manifest.as_bytes(),
            );
            add(
                &mut builder,
                &format!("blobs/sha256/{}", sha(&config)),
                &config,
            );
            add(
                &mut builder,
                &format!("blobs/sha256/{}", sha(&layer)),
                layer_bytes,
            );
            builder.into_inner().unwrap()
        };
        assert_eq!(
            check(&build(&layer)[..]).unwrap().names,
            vec!["demo:2".to_string()]
        );
        assert!(matches!(
            check(&build(b"other")[..]).unwrap_err(),
            ArchiveError::Digest { .. }
        ));
    }
}
