//! Builds the session images and the catalog from their recipes in `images/<name>/`, offline
//! from any container registry, in dependency order: images made by debootstrap from Debian
//! packages (the session base, debian), then the images built `FROM` them by Dockerfile.
//!
//! An image is tagged `quai/<name>:<first 16 hex of its sha256>` and `quai/<name>:latest`, and
//! labelled `quai.image=<name>`, `quai.recipe=<sha256>`. The sha256 covers the recipe's files
//! and the tags of the images it is built from; an image is rebuilt only when no image carries
//! its current tag.
//!
//! A recipe with a `catalog.conf` is a catalog image, a stand-in for a public image: it is also
//! labelled `quai.catalog=<public names, comma-separated>`, tagged `quai/catalog/<public name>`
//! for each name, and listed in `target/quai-images/catalog.txt`, one `<public name> <quai tag>`
//! a line, for the server to push into its local registry.

mod check;
mod debootstrap;
mod dockerfile;
mod recipe;

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

pub use self::check::check;
use self::recipe::{catalog_tag, Kind, Recipe};
use crate::setup::{self, Tool};
use crate::shell::{self, ok, step};

/// Where builds happen: root file systems, build contexts, downloaded Debian packages.
const WORK: &str = "target/quai-images";

/// The catalog list: `<public name> <quai tag>` a line, in recipe order.
pub const CATALOG_FILE: &str = "target/quai-images/catalog.txt";

/// The images of the current recipes, by recipe name.
#[derive(Debug, Default)]
pub struct Images {
    tags: Vec<(String, String)>,
    catalog: Vec<(String, String)>,
}

impl Images {
    /// `quai/<name>:<tag>` of recipe `name`.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(built, _)| built == name)
            .map(|(_, tag)| tag.as_str())
    }

    /// The variables telling the server and its tests which images to use.
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        [
            ("QUAI_BASE_IMAGE", "base"),
            ("QUAI_DOCKER_IMAGE", "dind"),
            ("QUAI_REGISTRY_IMAGE", "registry"),
        ]
        .into_iter()
        .filter_map(|(var, name)| Some((var, self.tag(name)?.to_string())))
        .collect()
    }

    /// `(public name, quai/<name>:<tag>)` of every catalog image, such as
    /// `("nginx:latest", "quai/nginx:0123456789abcdef")`.
    pub fn catalog(&self) -> &[(String, String)] {
        &self.catalog
    }
}

/// `cargo xtask images [--force] [--check]`: installs what building needs, builds every image
/// whose recipe changed, then with `check` runs the image checks.
pub fn images(force: bool, check: bool) -> Result<()> {
    step("Checking what building the images needs");
    setup::install_tools(&[Tool::Docker])?;
    setup::docker_daemon()?;
    let built = ensure_all(force)?;
    if check {
        self::check(&built)?;
    }
    Ok(())
}

/// Builds every image whose current tag no image carries (all of them with `force`), then
/// tags the catalog and writes its list.
pub fn ensure_all(force: bool) -> Result<Images> {
    let mut images = Images::default();
    let recipes = Recipe::load_all()?;
    let total = recipes.len();
    for (number, mut recipe) in recipes.into_iter().enumerate() {
        let inputs: Vec<(String, String)> = recipe
            .inputs()
            .into_iter()
            .filter_map(|name| Some((name.clone(), images.tag(&name)?.to_string())))
            .collect();
        recipe.resolve(&inputs);
        let tag = recipe.tag();
        if !force && image_exists(&tag) {
            ok(&format!(
                "[{}/{total}] Image {tag} is up to date with images/{}/",
                number + 1,
                recipe.name
            ));
        } else {
            step(&format!(
                "[{}/{total}] No image carries {tag} yet: building images/{}/",
                number + 1,
                recipe.name
            ));
            let begin = Instant::now();
            match &recipe.kind {
                Kind::Debootstrap(conf) => debootstrap::build(&recipe, conf)?,
                Kind::Dockerfile { from, ships } => {
                    dockerfile::build(&recipe, from.as_deref(), ships, &images.tags)?
                }
            }
            ok(&format!(
                "Built {tag} ({}) in {}",
                size(&tag),
                shell::seconds(begin.elapsed())
            ));
        }
        shell::run(Command::new("docker").args(["tag", &tag, &recipe.latest()]))?;
        images.catalog.extend(
            recipe
                .catalog
                .iter()
                .map(|public| (public.clone(), tag.clone())),
        );
        images.tags.push((recipe.name.clone(), tag));
    }
    tag_catalog(&images.catalog, &listed_before())?;
    for (name, tag) in &images.tags {
        remove_older(name, tag);
    }
    // Untagged images that still carry a catalog label (a replaced build, or a build stage
    // on a catalog image) would claim catalog names for the wrong image.
    let _ = shell::output(Command::new("docker").args([
        "image",
        "prune",
        "--force",
        "--filter",
        "label=quai.catalog",
    ]));
    write_catalog(&images.catalog)?;
    Ok(images)
}

/// Tags each catalog image `quai/catalog/<public name>`, and untags the names of `before` that
/// no recipe gives any more (only those: other `quai/catalog/` tags are imports, not ours).
fn tag_catalog(catalog: &[(String, String)], before: &[String]) -> Result<()> {
    // Every tag of an image xtask built, with the image it names: one call, not one per name.
    let listed = shell::output(Command::new("docker").args([
        "images",
        "--no-trunc",
        "--filter",
        "label=quai.image",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}}",
    ]))?;
    let ids: HashMap<&str, &str> = listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    let mut moved = 0;
    for (public, tag) in catalog {
        let name = catalog_tag(public);
        let current = ids.get(tag.as_str());
        if current.is_none() || ids.get(name.as_str()) != current {
            shell::run(Command::new("docker").args(["tag", tag, &name]))?;
            moved += 1;
        }
    }
    if moved > 0 {
        ok(&format!(
            "Tagged {moved} catalog names as quai/catalog/<name>"
        ));
    }
    for dropped in before
        .iter()
        .filter(|name| !catalog.iter().any(|(public, _)| public == *name))
    {
        let stale = catalog_tag(dropped);
        if ids.contains_key(stale.as_str())
            && shell::succeeds(Command::new("docker").args(["image", "rm", &stale]))
        {
            ok(&format!(
                "Removed {stale}: no recipe's catalog.conf gives {dropped} any more"
            ));
        }
    }
    Ok(())
}

/// The public names of the catalog list the last build wrote, if any.
fn listed_before() -> Vec<String> {
    fs::read_to_string(CATALOG_FILE)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Writes `target/quai-images/catalog.txt` whole or not at all (a reader never sees half).
fn write_catalog(catalog: &[(String, String)]) -> Result<()> {
    let text: String = catalog
        .iter()
        .map(|(public, tag)| format!("{public} {tag}\n"))
        .collect();
    let path = Path::new(CATALOG_FILE);
    let partial = path.with_extension("txt.partial");
    fs::create_dir_all(WORK)?;
    fs::write(&partial, text).with_context(|| format!("cannot write {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    let images = catalog
        .iter()
        .map(|(_, tag)| tag)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    ok(&format!(
        "Catalog: {} names of {images} images listed in {CATALOG_FILE}",
        catalog.len()
    ));
    Ok(())
}

fn image_exists(tag: &str) -> bool {
    shell::succeeds(Command::new("docker").args(["image", "inspect", tag]))
}

/// The image's size as `docker images` counts it, in MB.
pub(super) fn size(tag: &str) -> String {
    let bytes = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        tag,
    ]))
    .ok()
    .and_then(|out| out.trim().parse::<u64>().ok())
    .unwrap_or(0);
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} kB", bytes / 1_000)
    }
}

/// Untags images of earlier versions of recipe `name`; Docker keeps those still used by
/// containers.
fn remove_older(name: &str, current: &str) {
    let filter = format!("label=quai.image={name}");
    let Ok(listed) = shell::output(Command::new("docker").args([
        "images",
        "--filter",
        &filter,
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])) else {
        return;
    };
    let prefix = format!("quai/{name}:");
    let latest = format!("{prefix}latest");
    // Only tags xtask made (16 hex digits), never ones given by hand.
    let made_by_xtask = |name: &str| {
        name.strip_prefix(&prefix)
            .is_some_and(|tag| tag.len() == 16 && tag.chars().all(|c| c.is_ascii_hexdigit()))
    };
    for old in listed
        .lines()
        .filter(|name| made_by_xtask(name) && *name != current && *name != latest)
    {
        if shell::succeeds(Command::new("docker").args(["image", "rm", old])) {
            ok(&format!("Removed the older image {old}"));
        }
    }
}
