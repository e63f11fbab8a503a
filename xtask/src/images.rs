//! Builds the session images from their recipes in `images/<name>/`, offline from any container
//! registry: debootstrap a Debian root file system from Debian packages, copy the recipe's
//! `rootfs/` over it, run its `setup.sh` inside (chroot), and `docker import` the result.
//!
//! An image is tagged `quai/<name>:<first 16 hex of the recipe's sha256>` and `quai/<name>:latest`
//! and labelled `quai.image=<name>`, `quai.recipe=<sha256>`; it is rebuilt only when no image
//! carries the current recipe's tag.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::setup::{self, Tool};
use crate::shell::{self, ok, step};

/// Where recipes live.
const RECIPES: &str = "images";
/// Where builds happen: root file systems and the cache of downloaded Debian packages.
const WORK: &str = "target/quai-images";
const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// One image recipe: `images/<name>/image.conf` plus every other file of its folder.
#[derive(Debug)]
pub struct Recipe {
    pub name: String,
    dir: PathBuf,
    /// sha256 over the recipe's files (relative names and contents, sorted by name).
    pub sha256: String,
    suite: String,
    variant: String,
    packages: Vec<String>,
    changes: Vec<String>,
}

impl Recipe {
    /// Reads `images/<name>/`.
    pub fn load(name: &str) -> Result<Recipe> {
        let dir = Path::new(RECIPES).join(name);
        let conf_path = dir.join("image.conf");
        let conf = fs::read_to_string(&conf_path)
            .with_context(|| format!("cannot read the recipe {}", conf_path.display()))?;
        let mut recipe = Recipe {
            name: name.to_string(),
            sha256: recipe_sha256(&dir)?,
            dir,
            suite: String::new(),
            variant: "minbase".to_string(),
            packages: Vec::new(),
            changes: Vec::new(),
        };
        for (number, line) in conf.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                bail!(
                    "{}:{}: expected key=value, found {line:?}",
                    conf_path.display(),
                    number + 1
                );
            };
            let value = value.trim();
            match key.trim() {
                "name" if value == name => {}
                "name" => bail!(
                    "{}: name={value} does not match its folder {name}",
                    conf_path.display()
                ),
                "suite" => recipe.suite = value.to_string(),
                "variant" => recipe.variant = value.to_string(),
                "packages" => recipe
                    .packages
                    .extend(value.split_whitespace().map(str::to_string)),
                "change" => recipe.changes.push(value.to_string()),
                other => bail!(
                    "{}:{}: unknown key {other:?}",
                    conf_path.display(),
                    number + 1
                ),
            }
        }
        if recipe.suite.is_empty() {
            bail!(
                "{} must name a Debian suite (suite=bookworm)",
                conf_path.display()
            );
        }
        Ok(recipe)
    }

    /// `quai/<name>:<first 16 hex of the recipe's sha256>`.
    pub fn tag(&self) -> String {
        format!("quai/{}:{}", self.name, &self.sha256[..16])
    }

    /// `quai/<name>:latest`.
    pub fn latest(&self) -> String {
        format!("quai/{}:latest", self.name)
    }
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
fn recipe_sha256(dir: &Path) -> Result<String> {
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

fn image_exists(tag: &str) -> bool {
    shell::succeeds(Command::new("docker").args(["image", "inspect", tag]))
}

/// `cargo xtask images`: installs what building needs, then builds every image whose recipe changed.
pub fn images(force: bool) -> Result<String> {
    step("Checking what building the images needs");
    setup::install_tools(&[Tool::Docker, Tool::Debootstrap])?;
    setup::docker_daemon()?;
    ensure_base(force)
}

/// Builds the base session image unless an image of its current recipe exists; returns its tag.
pub fn ensure_base(force: bool) -> Result<String> {
    let recipe = Recipe::load("base")?;
    let tag = recipe.tag();
    if !force && image_exists(&tag) {
        ok(&format!(
            "Image {tag} is up to date with images/{}/",
            recipe.name
        ));
    } else {
        build(&recipe)?;
    }
    shell::run(Command::new("docker").args(["tag", &tag, &recipe.latest()]))?;
    Ok(tag)
}

fn build(recipe: &Recipe) -> Result<()> {
    setup::require_root("build the base image with debootstrap and chroot")?;
    let begin = Instant::now();
    let tag = recipe.tag();
    let root = std::env::current_dir()?;
    let work = root.join(WORK).join(&recipe.name);
    let rootfs = work.join("rootfs");
    let cache = root.join(WORK).join("debs");
    fs::create_dir_all(&cache).with_context(|| format!("cannot create {}", cache.display()))?;
    remove_rootfs(&rootfs)?;
    fs::create_dir_all(&work)?;

    let mirror = std::env::var("QUAI_DEBIAN_MIRROR").unwrap_or_else(|_| DEFAULT_MIRROR.to_string());
    step(&format!(
        "Building image {tag}: debootstrap --variant={} {} from {mirror} (a few minutes)",
        recipe.variant, recipe.suite
    ));
    let debootstrap = shell::find_program("debootstrap").context("debootstrap is not installed")?;
    let mut cmd = Command::new(debootstrap);
    cmd.arg(format!("--variant={}", recipe.variant))
        .arg(format!("--cache-dir={}", cache.display()));
    if !recipe.packages.is_empty() {
        cmd.arg(format!("--include={}", recipe.packages.join(",")));
    }
    cmd.arg(&recipe.suite)
        .arg(&rootfs)
        .arg(&mirror)
        .stdin(Stdio::null());
    shell::run(&mut cmd).context("debootstrap could not build the root file system")?;

    let overlay = recipe.dir.join("rootfs");
    if overlay.is_dir() {
        step(&format!("Copying {} into the image", overlay.display()));
        let mut source = overlay.into_os_string();
        source.push("/.");
        shell::run(
            Command::new("cp")
                .args(["-a", "--no-preserve=ownership"])
                .arg(source)
                .arg(&rootfs),
        )?;
    }

    let script = recipe.dir.join("setup.sh");
    if script.is_file() {
        step(&format!(
            "Running {} inside the image (chroot)",
            script.display()
        ));
        let inside = rootfs.join("tmp/quai-setup.sh");
        fs::copy(&script, &inside)?;
        // Name resolution for apt inside the chroot; Docker mounts its own resolv.conf later.
        let _ = fs::copy("/etc/resolv.conf", rootfs.join("etc/resolv.conf"));
        let status = Command::new("chroot")
            .arg(&rootfs)
            .args(["/bin/bash", "/tmp/quai-setup.sh"])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", "/root")
            .stdin(Stdio::null())
            .status()
            .context("cannot run chroot")?;
        if !status.success() {
            bail!("{} failed inside the image ({status})", script.display());
        }
        let _ = fs::remove_file(&inside);
        fs::write(rootfs.join("etc/resolv.conf"), "")?;
    }

    step(&format!(
        "Importing the root file system into Docker as {tag}"
    ));
    import(recipe, &rootfs)?;
    remove_rootfs(&rootfs)?;
    remove_older(recipe);
    let size = shell::output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        &tag,
    ]))?;
    let megabytes = size.trim().parse::<u64>().unwrap_or(0) / 1_000_000;
    ok(&format!(
        "Built {tag} ({megabytes} MB) in {}",
        shell::seconds(begin.elapsed())
    ));
    Ok(())
}

/// `tar -C rootfs -c . | docker import --change ... - tag`.
fn import(recipe: &Recipe, rootfs: &Path) -> Result<()> {
    let tag = recipe.tag();
    let mut tar = Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start tar")?;
    let mut import = Command::new("docker");
    import.arg("import");
    for change in &recipe.changes {
        import.args(["--change", change]);
    }
    import
        .args([
            "--change",
            &format!(
                "LABEL quai.image={} quai.recipe={}",
                recipe.name, recipe.sha256
            ),
        ])
        .args(["-", &tag])
        .stdin(tar.stdout.take().expect("tar's output is piped"))
        .stdout(Stdio::null());
    let imported = shell::run(&mut import);
    let tarred = tar.wait().context("tar did not finish")?;
    imported?;
    if !tarred.success() {
        bail!("tar could not read the root file system ({tarred})");
    }
    Ok(())
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
    for old in listed
        .lines()
        .filter(|name| !keep.iter().any(|kept| kept == name) && !name.contains("<none>"))
    {
        if shell::succeeds(Command::new("docker").args(["image", "rm", old])) {
            ok(&format!("Removed the older image {old}"));
        }
    }
}

/// Removes a previous build's root file system, refusing when anything is mounted inside it.
fn remove_rootfs(rootfs: &Path) -> Result<()> {
    if !rootfs.exists() {
        return Ok(());
    }
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let prefix = rootfs.to_string_lossy().into_owned();
    if let Some(mount) = mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .find(|point| point.starts_with(&prefix))
    {
        bail!("{mount} is still mounted inside the build folder; unmount it (umount {mount}) and run again");
    }
    fs::remove_dir_all(rootfs).with_context(|| format!("cannot remove {}", rootfs.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_recipe_parses_and_has_a_stable_tag() {
        crate::shell::enter_project_root().unwrap();
        let first = Recipe::load("base").unwrap();
        let second = Recipe::load("base").unwrap();
        assert_eq!(first.suite, "bookworm");
        assert!(first.packages.iter().any(|package| package == "bash"));
        assert_eq!(first.tag(), second.tag());
        assert_eq!(first.tag().len(), "quai/base:".len() + 16);
    }
}
