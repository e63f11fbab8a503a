//! The Dockerfile way to make an image, built on another recipe's image rather than pulled:
//! `docker build` with `BASE` set to the exact tag of the recipe its `ARG BASE` names. Images
//! named by `ship=` in the recipe's `build.conf` are saved into the build context's `images/`
//! folder (one `docker save` archive each, and a `tags` file: `<saved name> <name students
//! know>`), for the image to load them.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::recipe::{Recipe, Ship};
use super::WORK;
use crate::shell::{self, step};

/// Builds `recipe` from its Dockerfile; `tags` maps recipe names to the tags already built.
pub fn build(
    recipe: &Recipe,
    from: Option<&str>,
    ships: &[Ship],
    tags: &[(String, String)],
) -> Result<()> {
    let tag = recipe.tag();
    let tag_of = |name: &str| {
        tags.iter()
            .find(|(built, _)| built == name)
            .map(|(_, tag)| tag.clone())
            .with_context(|| format!("the image {name} must be built before {}", recipe.name))
    };
    let base = from.map(tag_of).transpose()?;
    let context = if ships.is_empty() {
        recipe.dir.clone()
    } else {
        shipping_context(recipe, ships, &tag_of)?
    };
    let mut build = Command::new("docker");
    build.arg("build");
    if let Some(base) = &base {
        build.args(["--build-arg", &format!("BASE={base}")]);
    }
    for (key, value) in recipe.labels() {
        build.args(["--label", &format!("{key}={value}")]);
    }
    build
        .args(["--tag", &tag])
        .arg(&context)
        .stdin(Stdio::null());
    step(&format!(
        "Building image {tag} (docker build{} {})",
        base.map(|base| format!(" --build-arg BASE={base}"))
            .unwrap_or_default(),
        recipe.dir.display()
    ));
    shell::run(&mut build).with_context(|| format!("cannot build the image {}", recipe.name))
}

/// A copy of the recipe plus `images/` holding the shipped images.
fn shipping_context(
    recipe: &Recipe,
    ships: &[Ship],
    tag_of: &dyn Fn(&str) -> Result<String>,
) -> Result<PathBuf> {
    let context = std::env::current_dir()?
        .join(WORK)
        .join(&recipe.name)
        .join("context");
    if context.exists() {
        fs::remove_dir_all(&context)
            .with_context(|| format!("cannot remove {}", context.display()))?;
    }
    fs::create_dir_all(&context)?;
    let mut source = recipe.dir.clone().into_os_string();
    source.push("/.");
    shell::run(Command::new("cp").arg("-a").arg(source).arg(&context))?;
    let shipped = context.join("images");
    fs::create_dir_all(&shipped)?;
    let mut names = String::new();
    for ship in ships {
        let tag = tag_of(&ship.recipe)?;
        let archive = shipped.join(format!("{}.tar", ship.recipe));
        step(&format!(
            "Saving {tag} into the {} image as {}",
            recipe.name, ship.known_as
        ));
        shell::run(
            Command::new("docker")
                .args(["save", "-o"])
                .arg(&archive)
                .arg(&tag),
        )?;
        names.push_str(&format!("{tag} {}\n", ship.known_as));
    }
    fs::write(shipped.join("tags"), names)?;
    Ok(context)
}
