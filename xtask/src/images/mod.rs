//! Builds the session images from their recipes in `images/<name>/`, offline from any container
//! registry, in dependency order: the base image by debootstrap from Debian packages, then the
//! images built `FROM` it by Dockerfile.
//!
//! An image is tagged `quai/<name>:<first 16 hex of its sha256>` and `quai/<name>:latest`, and
//! labelled `quai.image=<name>`, `quai.recipe=<sha256>`. The sha256 covers the recipe's files
//! and the tags of the images it is built from; an image is rebuilt only when no image carries
//! its current tag.

mod debootstrap;
mod dockerfile;
mod recipe;

use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use self::recipe::{Kind, Recipe};
use crate::setup::{self, Tool};
use crate::shell::{self, ok, step};

/// Where builds happen: root file systems, build contexts, downloaded Debian packages.
const WORK: &str = "target/quai-images";

/// The images of the current recipes, by recipe name.
#[derive(Debug, Default)]
pub struct Images {
    tags: Vec<(String, String)>,
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
        [("QUAI_BASE_IMAGE", "base"), ("QUAI_DOCKER_IMAGE", "dind")]
            .into_iter()
            .filter_map(|(var, name)| Some((var, self.tag(name)?.to_string())))
            .collect()
    }
}

/// `cargo xtask images`: installs what building needs, then builds every image whose recipe changed.
pub fn images(force: bool) -> Result<Images> {
    step("Checking what building the images needs");
    setup::install_tools(&[Tool::Docker])?;
    setup::docker_daemon()?;
    ensure_all(force)
}

/// Builds every image whose current tag no image carries (all of them with `force`).
pub fn ensure_all(force: bool) -> Result<Images> {
    let mut images = Images::default();
    for mut recipe in Recipe::load_all()? {
        let inputs: Vec<(String, String)> = recipe
            .inputs()
            .into_iter()
            .filter_map(|name| Some((name.clone(), images.tag(&name)?.to_string())))
            .collect();
        recipe.resolve(&inputs);
        let tag = recipe.tag();
        if !force && image_exists(&tag) {
            ok(&format!(
                "Image {tag} is up to date with images/{}/",
                recipe.name
            ));
        } else {
            let begin = Instant::now();
            match &recipe.kind {
                Kind::Debootstrap(conf) => debootstrap::build(&recipe, conf)?,
                Kind::Dockerfile { ships } => dockerfile::build(&recipe, ships, &images.tags)?,
            }
            ok(&format!(
                "Built {tag} ({}) in {}",
                size(&tag),
                shell::seconds(begin.elapsed())
            ));
        }
        shell::run(Command::new("docker").args(["tag", &tag, &recipe.latest()]))?;
        remove_older(&recipe);
        images.tags.push((recipe.name.clone(), tag));
    }
    Ok(images)
}

fn image_exists(tag: &str) -> bool {
    shell::succeeds(Command::new("docker").args(["image", "inspect", tag]))
}

/// The image's size as `docker images` counts it, in MB.
fn size(tag: &str) -> String {
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
        format!("{} MB", bytes / 1_000_000)
    } else {
        format!("{} kB", bytes / 1_000)
    }
}

/// Untags images of earlier versions of the recipe; Docker keeps those still used by containers.
fn remove_older(recipe: &Recipe) {
    let filter = format!("label=quai.image={}", recipe.name);
    let Ok(listed) = shell::output(Command::new("docker").args([
        "images",
        "--filter",
        &filter,
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])) else {
        return;
    };
    let keep = [recipe.tag(), recipe.latest()];
    let prefix = format!("quai/{}:", recipe.name);
    // Only tags xtask made (16 hex digits), never ones given by hand.
    let made_by_xtask = |name: &str| {
        name.strip_prefix(&prefix)
            .is_some_and(|tag| tag.len() == 16 && tag.chars().all(|c| c.is_ascii_hexdigit()))
    };
    for old in listed
        .lines()
        .filter(|name| made_by_xtask(name) && !keep.iter().any(|kept| kept == name))
    {
        if shell::succeeds(Command::new("docker").args(["image", "rm", old])) {
            ok(&format!("Removed the older image {old}"));
        }
    }
}
