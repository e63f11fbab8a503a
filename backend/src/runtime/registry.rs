//! The local registry of `docker` nodes: Debian's docker-registry run as a container on the
//! host engine, read-only, holding the image catalog (see `crate::images`) as
//! `library/<name>:<tag>`, so that `docker pull nginx` in a
//! node, which asks its registry mirror first, is served locally with no internet. The
//! catalog is pushed through a short-lived writable twin on loopback, and only when it
//! changed (a fingerprint label on the reader), into a volume named by the catalog's
//! fingerprint that every server of the engine shares (see `volume_name`). The reader joins every session network as
//! `quai-registry`; being read-only, no session can change what another one pulls. With an
//! upstream registry configured, it is a pull-through cache of that upstream instead; without
//! one, nodes are told so (`QUAI_REGISTRY_OFFLINE=1`), for their `docker` command to answer
//! for images the catalog lacks.

use std::collections::{BTreeMap, HashMap, HashSet};

use bollard::container::{Config, CreateContainerOptions, RemoveContainerOptions};
use bollard::image::{ListImagesOptions, PushImageOptions, RemoveImageOptions, TagImageOptions};
use bollard::models::{HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum};
use bollard::volume::ListVolumesOptions;
use bollard::Docker;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::docker::{engine_error, is_not_found};
use super::RuntimeError;

/// The name nodes reach the registry by, on their session network.
pub const ALIAS: &str = "quai-registry";
/// Label of the registry's container saying which catalog it holds.
const FINGERPRINT_LABEL: &str = "quai.registry.catalog";

/// The mirror address `docker` nodes are given.
pub fn mirror_url() -> String {
    format!("http://{ALIAS}:5000")
}

/// What the registry serves from: its own catalog only (read-only: no session can change
/// what another pulls), or, with an upstream, a pull-through cache of it over the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role<'a> {
    Writer,
    Reader,
    Cache(&'a str),
}

fn config(role: Role) -> String {
    let extra = match role {
        Role::Writer => String::new(),
        Role::Reader => "  maintenance:\n    readonly:\n      enabled: true\n".to_string(),
        Role::Cache(_) => String::new(),
    };
    let proxy = match role {
        Role::Cache(upstream) => format!("proxy:\n  remoteurl: {upstream}\n"),
        _ => String::new(),
    };
    format!(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\n{extra}{proxy}http:\n  addr: :5000\n"
    )
}

/// Public names and host image ids of the catalog, sorted.
async fn catalog(docker: &Docker) -> Result<Vec<(String, String)>, RuntimeError> {
    let entries = crate::images::list(docker)
        .await
        .map_err(|e| RuntimeError::Engine(e.to_string()))?;
    Ok(entries.into_iter().map(|e| (e.name, e.id)).collect())
}

fn fingerprint(entries: &[(String, String)], upstream: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    // The layout of the repositories (official images under `library/`, others as named).
    hasher.update("layout=2\n");
    hasher.update(format!("upstream={}\n", upstream.unwrap_or("")));
    for (name, id) in entries {
        hasher.update(format!("{name}={id}\n"));
    }
    hex::encode(hasher.finalize())[..16].to_string()
}

fn serve_cmd() -> Vec<String> {
    vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        "printf '%s' \"$QUAI_REGISTRY_CONFIG\" > /tmp/quai-registry.yml && exec docker-registry serve /tmp/quai-registry.yml"
            .to_string(),
    ]
}

/// Makes sure the read-only registry of `instance` runs with the current catalog; returns
/// its container name. `image` is the registry image (Debian's docker-registry inside).
pub async fn ensure(
    docker: &Docker,
    instance: &str,
    image: &str,
    upstream: Option<&str>,
) -> Result<String, RuntimeError> {
    docker
        .inspect_image(image)
        .await
        .map_err(|_| RuntimeError::MissingImage(image.to_string()))?;
    let reader = format!("quai-registry-{instance}");
    let entries = catalog(docker).await?;
    let print = fingerprint(&entries, upstream);
    let built = built_from_recipes(docker).await?;
    let recipes: Vec<(String, String)> = entries
        .iter()
        .filter(|(_, id)| built.contains(id))
        .cloned()
        .collect();
    let volume = volume_name(instance, &fingerprint(&recipes, upstream), upstream);
    if let Ok(existing) = docker.inspect_container(&reader, None).await {
        let running = existing
            .state
            .as_ref()
            .and_then(|s| s.running)
            .unwrap_or(false);
        let same = existing
            .config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(FINGERPRINT_LABEL))
            == Some(&print);
        if running && same {
            return Ok(reader);
        }
        remove(docker, &reader).await?;
    }
    if !entries.is_empty() {
        push_catalog(docker, instance, image, &volume, &entries).await?;
    }
    if upstream.is_none() {
        remove_older_catalogs(docker, &volume).await;
    }
    let labels = HashMap::from([
        ("quai.managed".to_string(), "true".to_string()),
        ("quai.registry".to_string(), instance.to_string()),
        (FINGERPRINT_LABEL.to_string(), print),
    ]);
    let config = Config {
        image: Some(image.to_string()),
        cmd: Some(serve_cmd()),
        env: Some(vec![format!(
            "QUAI_REGISTRY_CONFIG={}",
            config(upstream.map_or(Role::Reader, Role::Cache))
        )]),
        labels: Some(labels),
        host_config: Some(HostConfig {
            // Read-only for the catalog alone; a pull-through cache writes what it fetches.
            binds: Some(vec![format!(
                "{volume}:/var/lib/registry{}",
                if upstream.is_some() { "" } else { ":ro" }
            )]),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                ..Default::default()
            }),
            memory: Some(256 * 1024 * 1024),
            pids_limit: Some(256),
            log_config: Some(super::dind::bounded_logs()),
            cap_drop: Some(vec!["ALL".to_string()]),
            security_opt: Some(vec!["no-new-privileges".to_string()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: reader.as_str(),
                platform: None,
            }),
            config,
        )
        .await
        .map_err(engine_error)?;
    docker
        .start_container::<String>(&reader, None)
        .await
        .map_err(engine_error)?;
    tracing::info!(registry = %reader, images = entries.len(), "local registry serves the catalog");
    Ok(reader)
}

/// The ids of the images built from Quai's recipes: labelled `quai.image=<recipe>` and tagged
/// `quai/<recipe>:<16 hex>` as xtask tags them (an image built FROM one inherits its labels,
/// not its tag; an imported one has neither).
async fn built_from_recipes(docker: &Docker) -> Result<HashSet<String>, RuntimeError> {
    let filters = HashMap::from([("label".to_string(), vec!["quai.image".to_string()])]);
    let images = docker
        .list_images(Some(ListImagesOptions {
            filters,
            ..Default::default()
        }))
        .await
        .map_err(engine_error)?;
    Ok(images
        .into_iter()
        .filter(|image| {
            image
                .labels
                .get("quai.image")
                .is_some_and(|recipe| tagged_by_xtask(recipe, &image.repo_tags))
        })
        .map(|image| image.id)
        .collect())
}

/// Whether one of `tags` is `quai/<recipe>:<16 hex>`.
fn tagged_by_xtask(recipe: &str, tags: &[String]) -> bool {
    let prefix = format!("quai/{recipe}:");
    tags.iter().any(|tag| {
        tag.strip_prefix(&prefix)
            .is_some_and(|hex| hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

/// The volumes holding the catalog alone are named by their catalog's fingerprint.
const CATALOG_VOLUME: &str = "quai-registry-catalog-";
/// How many volumes of other catalogs are kept, the newest first, for servers (or test
/// runs) that go back to them.
const KEPT_CATALOGS: usize = 2;

/// Where the registry keeps what it serves. The catalog alone is kept in a volume named by
/// the fingerprint of its images built from Quai's recipes, shared by every server of the
/// engine: pushing compresses every layer (a minute or two for the whole catalog on two
/// cores), so it is done once per build of the recipes, and a server whose catalog is already
/// there pushes only what is missing (a check per layer and a manifest per tag; the layers of
/// an imported image once). A name that leaves the catalog but not the recipes' builds (an
/// imported image removed) stays in the volume until the recipes' images change. A
/// pull-through cache writes what it fetches into a volume of its own.
fn volume_name(instance: &str, print: &str, upstream: Option<&str>) -> String {
    match upstream {
        None => format!("{CATALOG_VOLUME}{print}"),
        Some(_) => format!("quai-registry-{instance}"),
    }
}

/// Removes the volumes of catalogs older than the `KEPT_CATALOGS` newest besides `current`;
/// a volume a registry still uses stays (the engine refuses to remove it).
async fn remove_older_catalogs(docker: &Docker, current: &str) {
    let filters = HashMap::from([("name", vec![CATALOG_VOLUME])]);
    let Ok(listed) = docker
        .list_volumes(Some(ListVolumesOptions { filters }))
        .await
    else {
        return;
    };
    let mut older: Vec<(String, String)> = listed
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter(|volume| volume.name.starts_with(CATALOG_VOLUME) && volume.name != current)
        .map(|volume| (volume.created_at.unwrap_or_default(), volume.name))
        .collect();
    older.sort_by(|a, b| b.cmp(a));
    for (_, name) in older.into_iter().skip(KEPT_CATALOGS) {
        match docker.remove_volume(&name, None).await {
            Ok(()) => {
                tracing::info!(volume = %name, "removed the registry volume of an older catalog")
            }
            Err(err) => tracing::debug!(volume = %name, error = %err, "registry volume kept"),
        }
    }
}

async fn remove(docker: &Docker, name: &str) -> Result<(), RuntimeError> {
    match docker
        .remove_container(
            name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(err) => Err(engine_error(err)),
    }
}

/// Pushes the catalog into the registry's volume through a writable registry on loopback.
async fn push_catalog(
    docker: &Docker,
    instance: &str,
    image: &str,
    volume: &str,
    entries: &[(String, String)],
) -> Result<(), RuntimeError> {
    let writer = format!("quai-registry-writer-{instance}");
    remove(docker, &writer).await?;
    let config = Config {
        image: Some(image.to_string()),
        cmd: Some(serve_cmd()),
        env: Some(vec![format!(
            "QUAI_REGISTRY_CONFIG={}",
            config(Role::Writer)
        )]),
        // Labelled with its instance like the reader, so that a push cut short (the server
        // stopped halfway) leaves no writer holding the catalog's volume.
        labels: Some(HashMap::from([
            ("quai.managed".to_string(), "true".to_string()),
            ("quai.registry".to_string(), instance.to_string()),
        ])),
        exposed_ports: Some(HashMap::from([("5000/tcp".to_string(), HashMap::new())])),
        host_config: Some(HostConfig {
            binds: Some(vec![format!("{volume}:/var/lib/registry")]),
            log_config: Some(super::dind::bounded_logs()),
            port_bindings: Some(HashMap::from([(
                "5000/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some(String::new()),
                }]),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: writer.as_str(),
                platform: None,
            }),
            config,
        )
        .await
        .map_err(engine_error)?;
    let result = async {
        docker
            .start_container::<String>(&writer, None)
            .await
            .map_err(engine_error)?;
        let inspected = docker
            .inspect_container(&writer, None)
            .await
            .map_err(engine_error)?;
        let port = inspected
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|p| p.get("5000/tcp").cloned().flatten())
            .and_then(|b| b.first().and_then(|b| b.host_port.clone()))
            .ok_or_else(|| {
                RuntimeError::Engine("the registry's port was not published".to_string())
            })?;
        // One push per repository, of all its tags: the catalog names many tags of a few
        // images (python:3.8 … python:3.13-alpine), and each push is a round of requests.
        for (path, tags) in repositories(entries) {
            let repo = format!("127.0.0.1:{port}/{path}");
            let mut tagged = Vec::new();
            for (tag, id) in &tags {
                match docker
                    .tag_image(
                        id,
                        Some(TagImageOptions {
                            repo: repo.as_str(),
                            tag,
                        }),
                    )
                    .await
                {
                    Ok(()) => tagged.push(*tag),
                    // Removed from the host since the catalog was listed: the rest is served.
                    Err(err) if is_not_found(&err) => {
                        tracing::warn!(image = %id, name = %format!("{path}:{tag}"), "a catalog image went away before it was served; left out");
                    }
                    Err(err) => return Err(engine_error(err)),
                }
            }
            if tagged.is_empty() {
                continue;
            }
            let pushed = push(docker, &repo, "").await;
            for tag in &tagged {
                let _ = docker
                    .remove_image(
                        &format!("{repo}:{tag}"),
                        Some(RemoveImageOptions {
                            noprune: true,
                            ..Default::default()
                        }),
                        None,
                    )
                    .await;
            }
            pushed?;
        }
        Ok::<(), RuntimeError>(())
    }
    .await;
    remove(docker, &writer).await?;
    result
}

/// The catalog's names by registry repository, sorted: `library/<name>` for Docker Hub's
/// official images, others (`docker/whalesay`) as named; each with its `(tag, image id)`s.
fn repositories(entries: &[(String, String)]) -> BTreeMap<String, Vec<(&str, &str)>> {
    let mut repositories: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for (public, id) in entries {
        let (name, tag) = public
            .rsplit_once(':')
            .unwrap_or((public.as_str(), "latest"));
        let path = if name.contains('/') {
            name.to_string()
        } else {
            format!("library/{name}")
        };
        repositories
            .entry(path)
            .or_default()
            .push((tag, id.as_str()));
    }
    repositories
}

/// Pushes `repo:tag` (every tag of `repo` when `tag` is empty), retrying while the fresh
/// registry is still starting.
async fn push(docker: &Docker, repo: &str, tag: &str) -> Result<(), RuntimeError> {
    let mut last = String::new();
    for _ in 0..50 {
        let mut stream = docker.push_image(repo, Some(PushImageOptions { tag }), None);
        let mut failed = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) if info.error.is_some() => failed = info.error,
                Ok(_) => {}
                Err(err) => failed = Some(err.to_string()),
            }
        }
        match failed {
            None => return Ok(()),
            Some(err) => last = err,
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(RuntimeError::Engine(format!(
        "could not push {repo}:{tag} into the local registry: {last}"
    )))
}

/// How often the local registry is checked while the server runs.
pub const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps the local registry running: every `WATCH_EVERY`, starts it again (and joins it to
/// the session networks) if it stopped or was removed. Abort the handle to stop.
pub fn watch(
    host: std::sync::Arc<dyn super::HostSetup>,
    image: String,
    upstream: Option<String>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            match host.keep_registry(&image, upstream.as_deref()).await {
                Ok(true) => tracing::warn!("the local registry had stopped; it runs again"),
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "the local registry is down"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_is_read_only_the_writer_is_not_and_a_cache_proxies_its_upstream() {
        assert!(config(Role::Reader).contains("readonly:\n      enabled: true"));
        assert!(!config(Role::Writer).contains("readonly"));
        let cache = config(Role::Cache("https://mirror.example"));
        assert!(
            cache.contains("proxy:\n  remoteurl: https://mirror.example")
                && !cache.contains("readonly")
        );
    }

    #[test]
    fn the_catalog_is_pushed_by_repository_official_images_under_library() {
        let entries: Vec<(String, String)> = [
            ("python:3", "sha256:1"),
            ("docker/whalesay:latest", "sha256:2"),
            ("python:3.10-alpine", "sha256:1"),
            ("nginx", "sha256:3"),
        ]
        .iter()
        .map(|(name, id)| (name.to_string(), id.to_string()))
        .collect();
        let pushed = repositories(&entries);
        assert_eq!(
            pushed.keys().collect::<Vec<_>>(),
            ["docker/whalesay", "library/nginx", "library/python"]
        );
        assert_eq!(
            pushed["library/python"],
            [("3", "sha256:1"), ("3.10-alpine", "sha256:1")]
        );
        assert_eq!(pushed["library/nginx"], [("latest", "sha256:3")]);
    }

    #[test]
    fn servers_of_one_catalog_share_its_volume_and_a_cache_has_its_own() {
        assert_eq!(
            volume_name("a", "0123", None),
            volume_name("b", "0123", None)
        );
        assert_ne!(
            volume_name("a", "0123", None),
            volume_name("a", "4567", None)
        );
        assert_eq!(
            volume_name("a", "0123", Some("https://mirror.example")),
            "quai-registry-a"
        );
    }

    #[test]
    fn only_the_tags_xtask_gives_mark_an_image_of_the_recipes() {
        let tags = |list: &[&str]| list.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert!(tagged_by_xtask(
            "nginx",
            &tags(&["quai/nginx:latest", "quai/nginx:0123456789abcdef"])
        ));
        assert!(!tagged_by_xtask(
            "hello-world",
            &tags(&["quai/test-catalog:1a2b3c4d"])
        ));
        assert!(!tagged_by_xtask("nginx", &tags(&["quai/nginx:latest"])));
    }

    #[test]
    fn the_fingerprint_follows_the_catalog() {
        let a = vec![("nginx:latest".to_string(), "sha256:1".to_string())];
        let b = vec![("nginx:latest".to_string(), "sha256:2".to_string())];
        assert_ne!(fingerprint(&a, None), fingerprint(&b, None));
        assert_eq!(fingerprint(&a, None), fingerprint(&a.clone(), None));
        assert_ne!(
            fingerprint(&a, None),
            fingerprint(&a, Some("https://mirror.example"))
        );
    }
}
