//! The debootstrap way to make an image, offline from any container registry: debootstrap a
//! Debian root file system from Debian packages, copy the recipe's `rootfs/` over it, run its
//! `setup.sh` inside (chroot), and `tar | docker import` the result with the recipe's changes.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::recipe::{Recipe, RootFs};
use super::WORK;
use crate::setup::{self, Tool};
use crate::shell::{self, step};

const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Builds `recipe` as described by its `image.conf`, tagged with its current tag.
pub fn build(recipe: &Recipe, conf: &RootFs) -> Result<()> {
    setup::install_tools(&[Tool::Debootstrap])?;
    setup::require_root("build the base image with debootstrap and chroot")?;
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
        conf.variant, conf.suite
    ));
    let debootstrap = shell::find_program("debootstrap").context("debootstrap is not installed")?;
    let mut cmd = Command::new(debootstrap);
    cmd.arg(format!("--variant={}", conf.variant))
        .arg(format!("--cache-dir={}", cache.display()));
    if !conf.packages.is_empty() {
        cmd.arg(format!("--include={}", conf.packages.join(",")));
    }
    cmd.arg(&conf.suite)
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
    import(recipe, conf, &rootfs)?;
    remove_rootfs(&rootfs)?;
    Ok(())
}

/// `tar -C rootfs -c . | docker import --change ... - tag`.
fn import(recipe: &Recipe, conf: &RootFs, rootfs: &Path) -> Result<()> {
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
    for change in &conf.changes {
        import.args(["--change", change]);
    }
    // LABEL's values in double quotes, as a Dockerfile has them: the description has spaces.
    let mut labels = String::from("LABEL");
    for (key, value) in recipe.labels() {
        labels.push_str(&format!(" {key}={value:?}"));
    }
    import
        .args(["--change", &labels])
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
