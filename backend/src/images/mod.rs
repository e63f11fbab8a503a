//! The image catalog on the host engine: what `quai images list` shows and `quai images
//! import` adds to. Catalog images carry the label `quai.catalog=<name:tag>,…` (built from
//! the recipes in images/) or the tag `quai/catalog/<name>:<tag>` (imported archives); the
//! local registry (`runtime::registry`) serves them to `docker` nodes under those names.
//! An archive is checked whole (`archive`) before the engine sees a byte of it, so a corrupt
//! or truncated one changes nothing.

pub mod archive;

use std::collections::BTreeMap;
use std::path::Path;

use bollard::image::{ImportImageOptions, ListImagesOptions, TagImageOptions};
use bollard::Docker;
use futures::StreamExt;

pub use archive::{ArchiveError, Checked};

/// Where imported images are tagged to join the catalog.
pub const CATALOG_REPO: &str = "quai/catalog/";
pub const CATALOG_LABEL: &str = "quai.catalog";

/// Why an import or a listing failed.
#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} was refused and nothing was imported")]
    Refused { path: String, source: ArchiveError },
    #[error("{path} holds no image name; save it with `docker save NAME:TAG`")]
    Unnamed { path: String },
    #[error("the container engine refused: {0}")]
    Engine(String),
}

/// One image of the catalog, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub id: String,
    pub size: i64,
}

/// `name` → `name:latest`, as the catalog lists names.
pub fn full_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// Every catalog name with its image, sorted by name.
pub async fn list(docker: &Docker) -> Result<Vec<Entry>, ImagesError> {
    let images = docker
        .list_images(Some(ListImagesOptions::<String> {
            all: false,
            ..Default::default()
        }))
        .await
        .map_err(|e| ImagesError::Engine(e.to_string()))?;
    let mut entries = BTreeMap::new();
    // An untagged image (a build stage) can carry a catalog label it inherited: skip it.
    for image in images
        .into_iter()
        .filter(|i| i.repo_tags.iter().any(|t| t != "<none>:<none>"))
    {
        let labelled = image
            .labels
            .get(CATALOG_LABEL)
            .map(|names| names.split(',').map(str::trim).map(String::from).collect());
        let tagged = image
            .repo_tags
            .iter()
            .filter_map(|t| t.strip_prefix(CATALOG_REPO))
            .map(String::from);
        for name in labelled
            .unwrap_or_else(Vec::new)
            .into_iter()
            .chain(tagged)
            .filter(|n| !n.is_empty())
        {
            let name = full_image_name(&name);
            entries.insert(
                name.clone(),
                Entry {
                    name,
                    id: image.id.clone(),
                    size: image.size,
                },
            );
        }
    }
    Ok(entries.into_values().collect())
}

/// Checks `path`, loads it into the engine and tags each of its images into the catalog;
/// returns the catalog names added.
pub async fn import(docker: &Docker, path: &Path) -> Result<Vec<String>, ImagesError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ImagesError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let checked =
        tokio::task::spawn_blocking(move || archive::check(std::io::BufReader::new(file)))
            .await
            .map_err(|e| ImagesError::Engine(e.to_string()))?
            .map_err(|source| ImagesError::Refused {
                path: shown.clone(),
                source,
            })?;
    if checked.names.is_empty() {
        return Err(ImagesError::Unnamed { path: shown });
    }
    let bytes = tokio::fs::read(path).await.map_err(|e| ImagesError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let mut loading = docker.import_image(ImportImageOptions { quiet: true }, bytes.into(), None);
    while let Some(item) = loading.next().await {
        let info = item.map_err(|e| ImagesError::Engine(e.to_string()))?;
        if let Some(error) = info.error {
            return Err(ImagesError::Engine(error));
        }
    }
    let mut added = Vec::new();
    for name in &checked.names {
        let short = name
            .strip_prefix("docker.io/")
            .unwrap_or(name)
            .strip_prefix("library/")
            .unwrap_or(name);
        let (repo, tag) = short.rsplit_once(':').unwrap_or((short, "latest"));
        let catalog_repo = format!("{CATALOG_REPO}{repo}");
        docker
            .tag_image(
                name,
                Some(TagImageOptions {
                    repo: catalog_repo.as_str(),
                    tag,
                }),
            )
            .await
            .map_err(|e| ImagesError::Engine(e.to_string()))?;
        added.push(format!("{repo}:{tag}"));
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_get_their_default_tag() {
        assert_eq!(full_image_name("nginx"), "nginx:latest");
        assert_eq!(full_image_name("python:3"), "python:3");
        assert_eq!(full_image_name("docker/whalesay"), "docker/whalesay:latest");
        assert_eq!(
            full_image_name("localhost:5000/x"),
            "localhost:5000/x:latest"
        );
    }
}
