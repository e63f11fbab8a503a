//! Image recipes: a folder `images/<name>/` holding either an `image.conf` (a Debian root file
//! system made by debootstrap) or a `Dockerfile` (built `FROM` the recipe its `ARG
//! BASE=quai/<recipe>:latest` names, with an optional `build.conf` naming other images to ship
//! inside it), an optional `catalog.conf` (the public names students use for the image, such
//! as `nginx:latest`), and the sha256 that tags each image.

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
    /// The public names of `catalog.conf` (`nginx:latest`, …); empty for session-only images.
    pub catalog: Vec<String>,
}

/// How an image is made.
#[derive(Debug)]
pub enum Kind {
    /// `image.conf`: debootstrap, copy `rootfs/`, run `setup.sh`, `docker import`.
    Debootstrap(RootFs),
    /// `Dockerfile`: `docker build` with `BASE` set to the tag of the image it is built from.
    Dockerfile {
        /// The recipe named by the Dockerfile's `ARG BASE=quai/<recipe>:latest`, if any.
        from: Option<String>,
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
        let mut sha256 = files_sha256(&dir)?;
        let kind = if dir.join("image.conf").is_file() {
            Kind::Debootstrap(read_image_conf(&dir.join("image.conf"))?)
        } else if dir.join("Dockerfile").is_file() {
            Kind::Dockerfile {
                from: read_dockerfile_base(&dir.join("Dockerfile"))?,
                ships: read_build_conf(&dir.join("build.conf"))?,
            }
        } else {
            bail!("{} holds neither image.conf nor Dockerfile", dir.display());
        };
        let catalog = read_catalog_conf(&dir.join("catalog.conf"))?;
        // The description label is part of what the image is: new wording, new image.
        if let Some(description) = stand_in_description(&catalog) {
            let mut hasher = Sha256::new();
            hasher.update(sha256.as_bytes());
            hasher.update(format!("\n{DESCRIPTION_LABEL}={description}").as_bytes());
            sha256 = hex::encode(hasher.finalize());
        }
        Ok(Recipe {
            name: name.to_string(),
            dir,
            sha256,
            kind,
            catalog,
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
        check_catalog_names_unique(&pending)?;
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
            Kind::Dockerfile { from, ships } => from
                .iter()
                .cloned()
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

    /// The value of the `quai.catalog` label: the public names, comma-separated.
    pub fn catalog_label(&self) -> Option<String> {
        (!self.catalog.is_empty()).then(|| self.catalog.join(","))
    }

    /// The labels of the image: `quai.image`, `quai.recipe`, and for a catalog image
    /// `quai.catalog` and the description saying it is Quai's stand-in.
    pub fn labels(&self) -> Vec<(&'static str, String)> {
        let mut labels = vec![
            ("quai.image", self.name.clone()),
            ("quai.recipe", self.sha256.clone()),
        ];
        if let Some(names) = self.catalog_label() {
            labels.push(("quai.catalog", names));
        }
        if let Some(description) = stand_in_description(&self.catalog) {
            labels.push((DESCRIPTION_LABEL, description));
        }
        labels
    }
}

/// The label that says what a catalog image is, where `docker image inspect` readers look.
pub const DESCRIPTION_LABEL: &str = "org.opencontainers.image.description";

/// What a catalog image is, such as "Quai stand-in for the public mariadb and mysql images,
/// built from Debian packages …"; `None` for a session image.
fn stand_in_description(catalog: &[String]) -> Option<String> {
    let mut repositories: Vec<&str> = Vec::new();
    for name in catalog {
        let repository = name
            .rsplit_once(':')
            .map_or(name.as_str(), |(repo, _)| repo);
        if !repositories.contains(&repository) {
            repositories.push(repository);
        }
    }
    let (last, rest) = repositories.split_last()?;
    let named = if rest.is_empty() {
        format!("the public {last} image")
    } else {
        format!("the public {} and {last} images", rest.join(", "))
    };
    Some(format!(
        "Quai stand-in for {named}, built offline from Debian packages by Quai (not the image \
         Docker Hub serves; see Quai's docs/IMAGES.md for how it differs)"
    ))
}

/// `quai/catalog/<public name>`: the host engine's tag for a catalog image under one public name.
pub fn catalog_tag(public: &str) -> String {
    format!("quai/catalog/{public}")
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

/// The recipe a Dockerfile is built from: the default of its `ARG BASE=quai/<recipe>:latest`.
fn read_dockerfile_base(path: &Path) -> Result<Option<String>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    dockerfile_base(&text).with_context(|| format!("in {}", path.display()))
}

fn dockerfile_base(text: &str) -> Result<Option<String>> {
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(arg), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        if !arg.eq_ignore_ascii_case("ARG") {
            continue;
        }
        let Some(default) = value.strip_prefix("BASE=") else {
            if value == "BASE" {
                bail!("ARG BASE needs a default naming its recipe: ARG BASE=quai/<recipe>:latest");
            }
            continue;
        };
        let recipe = default
            .strip_prefix("quai/")
            .and_then(|rest| rest.strip_suffix(":latest"))
            .filter(|recipe| !recipe.is_empty() && !recipe.contains(['/', ':']));
        let Some(recipe) = recipe else {
            bail!("ARG BASE={default} must name a recipe as quai/<recipe>:latest");
        };
        return Ok(Some(recipe.to_string()));
    }
    Ok(None)
}

/// `catalog.conf`: `name=<repository>:<tag>` lines, the public names of the image.
fn read_catalog_conf(path: &Path) -> Result<Vec<String>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = Vec::new();
    for (number, key, value) in conf_lines(path)? {
        match key.as_str() {
            "name" => {
                if let Err(problem) = check_public_name(&value) {
                    bail!("{}:{number}: {value:?} {problem}", path.display());
                }
                if names.contains(&value) {
                    bail!("{}:{number}: {value} is named twice", path.display());
                }
                names.push(value);
            }
            other => bail!("{}:{number}: unknown key {other:?}", path.display()),
        }
    }
    Ok(names)
}

/// Whether `name` is a public image name with its tag, as Docker Hub's official images have:
/// `<repository>:<tag>`, the repository lowercase path components without a registry host.
fn check_public_name(name: &str) -> Result<(), &'static str> {
    let Some((repository, tag)) = name.rsplit_once(':') else {
        return Err("lacks a tag (name=<repository>:<tag>, such as nginx:latest)");
    };
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !tag_ok {
        return Err("has a tag Docker refuses (letters, digits, _ . - and at most 128 of them)");
    }
    let component_ok = |component: &str| {
        !component.is_empty()
            && component
                .split(['.', '_', '-'])
                .all(|part| !part.is_empty())
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
    };
    if !repository.split('/').all(component_ok) {
        return Err("has a repository Docker refuses (lowercase letters, digits, . _ - and /)");
    }
    if repository.contains('/')
        && repository
            .split('/')
            .next()
            .is_some_and(|first| first.contains('.') || first == "localhost")
    {
        return Err("names a registry host; catalog names are names on Docker Hub");
    }
    Ok(())
}

/// Fails when two recipes claim the same public name.
fn check_catalog_names_unique(recipes: &[Recipe]) -> Result<()> {
    for (index, recipe) in recipes.iter().enumerate() {
        for other in &recipes[index + 1..] {
            if let Some(name) = recipe
                .catalog
                .iter()
                .find(|name| other.catalog.contains(name))
            {
                bail!(
                    "images/{}/catalog.conf and images/{}/catalog.conf both name {name}",
                    recipe.name,
                    other.name
                );
            }
        }
    }
    Ok(())
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

    /// A file in the temporary folder, unique to this test process and `name`.
    fn temp_file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("quai-xtask-{}-{name}", std::process::id()));
        fs::write(&path, text).unwrap();
        path
    }

    fn recipe_with_catalog(name: &str, catalog: &[&str]) -> Recipe {
        Recipe {
            name: name.to_string(),
            dir: PathBuf::from(RECIPES).join(name),
            sha256: "0".repeat(64),
            kind: Kind::Debootstrap(RootFs::default()),
            catalog: catalog.iter().map(|name| name.to_string()).collect(),
        }
    }

    #[test]
    fn public_names_need_a_tag_and_no_registry_host() {
        for good in [
            "nginx:latest",
            "python:3.11-slim",
            "registry:2",
            "debian:bookworm",
            "my-org/tool_x:v1.0",
        ] {
            assert_eq!(check_public_name(good), Ok(()), "{good}");
        }
        for bad in [
            "nginx",
            "nginx:",
            "Nginx:latest",
            "nginx:-rc",
            "nginx:has space",
            "a//b:1",
            "-nginx:1",
            "localhost:5000/x:1",
            "localhost/x:1",
            "ghcr.io/x:1",
        ] {
            assert!(check_public_name(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn catalog_conf_lists_names_and_refuses_mistakes() {
        let path = temp_file(
            "catalog-good.conf",
            "# names\nname=nginx:latest\n\n  name = nginx:1  \n",
        );
        assert_eq!(
            read_catalog_conf(&path).unwrap(),
            ["nginx:latest", "nginx:1"]
        );
        for (file, text, says) in [
            (
                "catalog-twice.conf",
                "name=nginx:1\nname=nginx:1\n",
                "named twice",
            ),
            ("catalog-key.conf", "names=nginx:1\n", "unknown key"),
            ("catalog-tagless.conf", "name=nginx\n", "lacks a tag"),
            ("catalog-line.conf", "nginx:1\n", "expected key=value"),
        ] {
            let path = temp_file(file, text);
            let err = format!("{:#}", read_catalog_conf(&path).unwrap_err());
            assert!(err.contains(says), "{file}: {err}");
            assert!(
                err.contains(":1:") || err.contains(":2:"),
                "{file} names no line: {err}"
            );
            fs::remove_file(path).unwrap();
        }
        fs::remove_file(&path).unwrap();
        assert!(read_catalog_conf(Path::new("images/no-such/catalog.conf"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_dockerfile_names_its_recipe_in_arg_base() {
        let from = |text: &str| dockerfile_base(text).map_err(|err| err.to_string());
        assert_eq!(
            from("# x\nARG BASE=quai/debian:latest\nFROM ${BASE}\n"),
            Ok(Some("debian".to_string()))
        );
        assert_eq!(
            from("arg BASE=quai/base:latest\n"),
            Ok(Some("base".to_string()))
        );
        assert_eq!(from("FROM scratch\nARG OTHER=1\n"), Ok(None));
        assert!(from("ARG BASE\nFROM ${BASE}\n").is_err());
        assert!(from("ARG BASE=debian:bookworm\n").is_err());
        assert!(from("ARG BASE=quai/debian:1234\n").is_err());
        assert!(from("ARG BASE=quai/a/b:latest\n").is_err());
    }

    #[test]
    fn two_recipes_cannot_claim_one_public_name() {
        let one = recipe_with_catalog("one", &["x:1", "x:latest"]);
        let two = recipe_with_catalog("two", &["y:1", "x:latest"]);
        let err = check_catalog_names_unique(&[one, two])
            .unwrap_err()
            .to_string();
        assert!(err.contains("x:latest"), "{err}");
        let three = recipe_with_catalog("three", &["z:1"]);
        let four = recipe_with_catalog("four", &[]);
        assert!(check_catalog_names_unique(&[three, four]).is_ok());
    }

    #[test]
    fn the_catalog_label_joins_the_public_names() {
        assert_eq!(
            recipe_with_catalog("x", &["x:1", "x:latest"]).catalog_label(),
            Some("x:1,x:latest".to_string())
        );
        assert_eq!(recipe_with_catalog("x", &[]).catalog_label(), None);
        assert_eq!(catalog_tag("registry:2"), "quai/catalog/registry:2");
    }

    #[test]
    fn a_catalog_image_is_described_as_quai_s_stand_in_for_each_repository_it_names() {
        let one = recipe_with_catalog("nginx", &["nginx:latest", "nginx:1"]);
        let two = recipe_with_catalog("mariadb", &["mariadb:10", "mysql:8", "mysql:5.7"]);
        let description = |recipe: &Recipe| {
            recipe
                .labels()
                .into_iter()
                .find(|(key, _)| *key == DESCRIPTION_LABEL)
                .map(|(_, value)| value)
                .unwrap()
        };
        assert!(description(&one).starts_with("Quai stand-in for the public nginx image, "));
        assert!(description(&two)
            .starts_with("Quai stand-in for the public mariadb and mysql images, "));
        let session = recipe_with_catalog("base", &[]);
        let keys: Vec<&str> = session.labels().iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, ["quai.image", "quai.recipe"]);
    }

    #[test]
    fn the_catalog_has_every_image_the_curriculum_names() {
        crate::shell::enter_project_root().unwrap();
        let recipes = Recipe::load_all().unwrap();
        let names: Vec<&str> = recipes
            .iter()
            .flat_map(|recipe| recipe.catalog.iter().map(String::as_str))
            .collect();
        for wanted in [
            "hello-world:latest",
            "busybox:latest",
            "alpine:latest",
            "debian:bookworm",
            "debian:latest",
            "nginx:latest",
            "redis:latest",
            "python:3",
            "registry:2",
            "docker/whalesay:latest",
            "jupyter/scipy-notebook:latest",
            "bash:latest",
            "golang:latest",
            "golang:1.21-alpine",
            "node:18",
            "node:lts",
            "python:3.10-alpine",
            "python:3.12-slim",
            "alpine:3.19",
            "nginx:stable-alpine",
            "httpd:latest",
            "mariadb:latest",
            "mysql:8",
            "postgres:15",
            "r-base:latest",
            "rocker/r-ver:4",
        ] {
            assert!(
                names.contains(&wanted),
                "no recipe's catalog.conf names {wanted}"
            );
        }
    }

    #[test]
    fn catalog_stand_ins_build_on_debian_and_alpine_on_busybox() {
        crate::shell::enter_project_root().unwrap();
        let from = |name: &str| match Recipe::load(name).unwrap().kind {
            Kind::Dockerfile { from, .. } => from,
            Kind::Debootstrap(_) => panic!("{name} is a Dockerfile recipe"),
        };
        for name in [
            "nginx", "redis", "python", "registry", "bash", "golang", "node", "httpd", "mariadb",
            "postgres", "r-base",
        ] {
            assert_eq!(from(name).as_deref(), Some("debian"), "{name}");
        }
        assert_eq!(from("alpine").as_deref(), Some("busybox"));
        assert_eq!(from("hello-world").as_deref(), Some("base"));
        assert!(matches!(
            Recipe::load("debian").unwrap().kind,
            Kind::Debootstrap(_)
        ));
    }
}
