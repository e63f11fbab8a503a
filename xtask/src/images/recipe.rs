//! Image recipes: a folder `images/<name>/` holding either an `image.conf` (a Debian root file
//! system made by debootstrap) or a `Dockerfile` (built `FROM` the base image, with an optional
//! `build.conf` naming other images to ship inside it), and the sha256 that tags each image.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Where recipes live.
pub const RECIPES: &str = "images";

/// One image recipe.
#[derive(Debug)]
pub struct Recipe {
    pub name: String,
    pub dir: PathBuf,
    /// sha256 of what the image is made of: the recipe's files (relative names and contents,
    /// sorted by name) and, for Dockerfile recipes, the tags of the images it is built from.
    pub sha256: String,
    pub kind: Kind,
}

/// How an image is made.
#[derive(Debug)]
pub enum Kind {
    /// `image.conf`: debootstrap, copy `rootfs/`, run `setup.sh`, `docker import`.
    Debootstrap(RootFs),
    /// `Dockerfile`: `docker build` with `BASE` set to the base image's tag.
    Dockerfile {
        /// Images saved (`docker save`) into the build context's `images/` folder.
        ships: Vec<Ship>,
    },
}

/// What `image.conf` says.
#[derive(Debug, Default)]
pub struct RootFs {
    /// Debian suite, such as bookworm.
    pub suite: String,
    /// debootstrap variant, such as minbase.
    pub variant: String,
    /// Packages installed on top of the variant.
    pub packages: Vec<String>,
    /// `docker import --change` instructions.
    pub changes: Vec<String>,
}

/// `ship=<recipe> <name>` in `build.conf`: the image of another recipe, loaded inside this
/// image's nodes under the name students know it by.
#[derive(Debug, Clone)]
pub struct Ship {
    pub recipe: String,
    pub known_as: String,
}

impl Recipe {
    /// Reads `images/<name>/`.
    pub fn load(name: &str) -> Result<Recipe> {
        let dir = Path::new(RECIPES).join(name);
        let sha256 = files_sha256(&dir)?;
        let kind = if dir.join("image.conf").is_file() {
            Kind::Debootstrap(read_image_conf(&dir.join("image.conf"))?)
        } else if dir.join("Dockerfile").is_file() {
            Kind::Dockerfile {
                ships: read_build_conf(&dir.join("build.conf"))?,
            }
        } else {
            bail!("{} holds neither image.conf nor Dockerfile", dir.display());
        };
        Ok(Recipe {
            name: name.to_string(),
            dir,
            sha256,
            kind,
        })
    }

    /// Every recipe under `images/`, in an order where each comes after what it is built from.
    pub fn load_all() -> Result<Vec<Recipe>> {
        let mut names: Vec<String> = fs::read_dir(RECIPES)
            .context("cannot read the image recipes in images/")?
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.path().is_dir())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut pending: Vec<Recipe> = names
            .iter()
            .map(|name| Recipe::load(name))
            .collect::<Result<_>>()?;
        let mut ordered: Vec<Recipe> = Vec::new();
        while !pending.is_empty() {
            let ready = pending.iter().position(|recipe| {
                recipe
                    .inputs()
                    .iter()
                    .all(|input| ordered.iter().any(|done| &done.name == input))
            });
            match ready {
                Some(index) => ordered.push(pending.remove(index)),
                None => {
                    let names: Vec<&str> =
                        pending.iter().map(|recipe| recipe.name.as_str()).collect();
                    bail!(
                        "the image recipes {} are built from recipes that are missing or build each \
                         other in a circle",
                        names.join(", ")
                    );
                }
            }
        }
        Ok(ordered)
    }

    /// The recipes this image is built from.
    pub fn inputs(&self) -> Vec<String> {
        match &self.kind {
            Kind::Debootstrap(_) => Vec::new(),
            Kind::Dockerfile { ships } => std::iter::once("base".to_string())
                .chain(ships.iter().map(|ship| ship.recipe.clone()))
                .collect(),
        }
    }

    /// Folds the tags of the images this one is built from into its sha256, so that a new
    /// base image makes a new tag for everything built on it.
    pub fn resolve(&mut self, input_tags: &[(String, String)]) {
        if input_tags.is_empty() {
            return;
        }
        let mut hasher = Sha256::new();
        hasher.update(self.sha256.as_bytes());
        for (name, tag) in input_tags {
            hasher.update(format!("\n{name}={tag}").as_bytes());
        }
        self.sha256 = hex::encode(hasher.finalize());
    }

    /// `quai/<name>:<first 16 hex of the sha256>`.
    pub fn tag(&self) -> String {
        format!("quai/{}:{}", self.name, &self.sha256[..16])
    }

    /// `quai/<name>:latest`.
    pub fn latest(&self) -> String {
        format!("quai/{}:latest", self.name)
    }
}

fn conf_lines(path: &Path) -> Result<Vec<(usize, String, String)>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!(
                "{}:{}: expected key=value, found {line:?}",
                path.display(),
                number + 1
            );
        };
        lines.push((number + 1, key.trim().to_string(), value.trim().to_string()));
    }
    Ok(lines)
}

fn read_image_conf(path: &Path) -> Result<RootFs> {
    let mut conf = RootFs {
        variant: "minbase".to_string(),
        ..RootFs::default()
    };
    for (number, key, value) in conf_lines(path)? {
        match key.as_str() {
            "name" => {}
            "suite" => conf.suite = value,
            "variant" => conf.variant = value,
            "packages" => conf
                .packages
                .extend(value.split_whitespace().map(str::to_string)),
            "change" => conf.changes.push(value),
            other => bail!("{}:{number}: unknown key {other:?}", path.display()),
        }
    }
    if conf.suite.is_empty() {
        bail!(
            "{} must name a Debian suite (suite=bookworm)",
            path.display()
        );
    }
    Ok(conf)
}

fn read_build_conf(path: &Path) -> Result<Vec<Ship>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut ships = Vec::new();
    for (number, key, value) in conf_lines(path)? {
        match key.as_str() {
            "ship" => {
                let mut words = value.split_whitespace();
                let (Some(recipe), Some(known_as), None) =
                    (words.next(), words.next(), words.next())
                else {
                    bail!(
                        "{}:{number}: expected ship=<recipe> <name:tag>",
                        path.display()
                    );
                };
                ships.push(Ship {
                    recipe: recipe.to_string(),
                    known_as: known_as.to_string(),
                });
            }
            other => bail!("{}:{number}: unknown key {other:?}", path.display()),
        }
    }
    Ok(ships)
}

/// Every file under `dir` (relative path), sorted.
fn recipe_files(dir: &Path) -> Result<Vec<PathBuf>> {
    fn walk(base: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
        for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                walk(base, &path, files)?;
            } else {
                files.push(
                    path.strip_prefix(base)
                        .expect("inside the recipe")
                        .to_path_buf(),
                );
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// sha256 over each file's relative name and contents, in name order, each part
/// length-prefixed so that no two recipes can hash alike by moving bytes between parts.
fn files_sha256(dir: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    for file in recipe_files(dir)? {
        let name = file.to_string_lossy();
        let contents =
            fs::read(dir.join(&file)).with_context(|| format!("cannot read {}", file.display()))?;
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((contents.len() as u64).to_le_bytes());
        hasher.update(&contents);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_recipe_parses_and_has_a_stable_tag() {
        crate::shell::enter_project_root().unwrap();
        let first = Recipe::load("base").unwrap();
        let second = Recipe::load("base").unwrap();
        let Kind::Debootstrap(conf) = &first.kind else {
            panic!("the base image is made by debootstrap");
        };
        assert_eq!(conf.suite, "bookworm");
        assert!(conf.packages.iter().any(|package| package == "bash"));
        assert_eq!(first.tag(), second.tag());
        assert_eq!(first.tag().len(), "quai/base:".len() + 16);
    }

    #[test]
    fn recipes_come_after_the_images_they_are_built_from() {
        crate::shell::enter_project_root().unwrap();
        let recipes = Recipe::load_all().unwrap();
        for (index, recipe) in recipes.iter().enumerate() {
            for input in recipe.inputs() {
                let at = recipes
                    .iter()
                    .position(|other| other.name == input)
                    .unwrap();
                assert!(at < index, "{} comes before {input}", recipe.name);
            }
        }
    }

    #[test]
    fn a_new_base_makes_a_new_tag() {
        crate::shell::enter_project_root().unwrap();
        let mut one = Recipe::load("hello-world").unwrap();
        let mut two = Recipe::load("hello-world").unwrap();
        one.resolve(&[("base".into(), "quai/base:1".into())]);
        two.resolve(&[("base".into(), "quai/base:2".into())]);
        assert_ne!(one.tag(), two.tag());
    }
}
