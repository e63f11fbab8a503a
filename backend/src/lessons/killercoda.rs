//! Killercoda and Katacoda scenarios: reads a folder's `index.json` as it is (intro, steps with
//! `text`, `verify`, `background`, `foreground`, finish, assets, the environment it asks
//! for), and converts such a folder into Quai's own lesson format (`quai lessons import`).
//! What Killercoda shows without complaint (an asset missing from the folder, an image or a
//! layout Quai does not know) is a warning here, and the scenario still loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quai_protocol::{Lang, Unlock};
use serde::Deserialize;

use super::markdown::convert_killercoda_fences;
use super::model::{read_script, Asset, Format, Lesson, Localized, PageSource, Problem, Step};

#[derive(Debug, Default, Deserialize)]
struct Index {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    backend: Backend,
    /// Killercoda's `environment.uilayout`.
    #[serde(default)]
    environment: EnvironmentJson,
    /// Katacoda's `interface.layout`.
    #[serde(default)]
    interface: InterfaceJson,
}

#[derive(Debug, Default, Deserialize)]
struct EnvironmentJson {
    #[serde(default)]
    uilayout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct InterfaceJson {
    #[serde(default)]
    layout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    #[serde(default)]
    intro: Option<PageJson>,
    #[serde(default)]
    steps: Vec<PageJson>,
    #[serde(default)]
    finish: Option<PageJson>,
    #[serde(default)]
    assets: BTreeMap<String, Vec<AssetJson>>,
}

#[derive(Debug, Default, Deserialize)]
struct PageJson {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    verify: Option<String>,
    /// Katacoda named the intro's pair `courseData` and `code`.
    #[serde(default, alias = "courseData")]
    background: Option<String>,
    #[serde(default, alias = "code")]
    foreground: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AssetJson {
    file: String,
    target: String,
    #[serde(default)]
    chmod: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Backend {
    #[serde(default)]
    imageid: Option<String>,
}

/// `host01` → `node1`.
fn node_of_host(host: &str) -> Option<String> {
    let n: u8 = host.strip_prefix("host")?.parse().ok()?;
    (1..=5).contains(&n).then(|| format!("node{n}"))
}

/// Minutes out of Katacoda's free-form `time` ("15 minutes", "10-15 min").
fn minutes(time: Option<&str>) -> u32 {
    time.and_then(|t| {
        t.split(|c: char| !c.is_ascii_digit())
            .rfind(|n| !n.is_empty())
            .and_then(|n| n.parse().ok())
    })
    .unwrap_or(15)
}

fn read_text(dir: &Path, file: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let path = dir.join(file);
    if file.contains("..") || file.starts_with('/') {
        problems.push(Problem::error(
            &dir.join("index.json"),
            None,
            format!("`{file}` is outside the scenario folder"),
        ));
        return None;
    }
    match super::safe::read_to_string(dir, &path) {
        Ok(text) => Some(text),
        Err(err) => {
            problems.push(Problem::error(
                &path,
                None,
                format!("cannot read it: {err}"),
            ));
            None
        }
    }
}

fn page(dir: &Path, json: Option<&PageJson>, problems: &mut Vec<Problem>) -> PageSource {
    let mut page = PageSource::default();
    if let Some(json) = json {
        page.title = json.title.clone().filter(|t| !t.trim().is_empty());
        if let Some(file) = json.text.as_deref() {
            if let Some(text) = read_text(dir, file, problems) {
                page.markdown = Localized::one(Lang::En, text);
                page.files.insert(Lang::En, dir.join(file));
            }
        }
    }
    page
}

fn script(
    dir: &Path,
    file: Option<&str>,
    nodes: u8,
    problems: &mut Vec<Problem>,
) -> Option<super::model::Script> {
    let file = file?;
    if file.contains("..") || file.starts_with('/') {
        problems.push(Problem::error(
            &dir.join("index.json"),
            None,
            format!("`{file}` is outside the scenario folder"),
        ));
        return None;
    }
    read_script(dir, &dir.join(file), nodes, problems)
}

/// Reads the scenario in `dir` as a lesson (`None` when its index cannot be read); whether it
/// may run is for the caller to decide from the errors added to `problems`.
pub fn load(dir: &Path, slug: &str, problems: &mut Vec<Problem>) -> Option<Lesson> {
    let index_path = dir.join("index.json");
    let text = match super::safe::read_to_string(dir, &index_path) {
        Ok(text) => text,
        Err(err) => {
            problems.push(Problem::error(
                &index_path,
                None,
                format!("cannot read it: {err}"),
            ));
            return None;
        }
    };
    let index: Index = match serde_json::from_str(&text) {
        Ok(index) => index,
        Err(err) => {
            problems.push(Problem::error(
                &index_path,
                Some(err.line()),
                format!("not a valid scenario index: {err}"),
            ));
            return None;
        }
    };
    let mut nodes = 1u8;
    for host in index.details.assets.keys() {
        match node_of_host(host) {
            Some(node) => nodes = nodes.max(node[4..].parse().unwrap_or(1)),
            None => problems.push(Problem::error(
                &index_path,
                None,
                format!("asset host `{host}` is not host01 to host05"),
            )),
        }
    }
    let mut assets = Vec::new();
    for (host, list) in &index.details.assets {
        let Some(node) = node_of_host(host) else {
            continue;
        };
        for asset in list {
            let pattern = asset.file.trim_start_matches("./");
            if pattern.contains("..") || pattern.starts_with('/') {
                problems.push(Problem::error(
                    &index_path,
                    None,
                    format!("asset `{}` is outside the assets folder", asset.file),
                ));
                continue;
            }
            let mode = asset.chmod.as_deref().and_then(chmod_mode);
            let sources: Vec<PathBuf> = if let Some(prefix) = pattern.strip_suffix('*') {
                let folder = dir.join("assets").join(prefix.trim_end_matches('/'));
                match std::fs::read_dir(&folder) {
                    Ok(entries) => {
                        let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                        found.sort();
                        found
                    }
                    Err(err) => {
                        problems.push(Problem::warning(
                            &folder,
                            None,
                            format!("cannot read the assets folder, the scenario runs without it: {err}"),
                        ));
                        Vec::new()
                    }
                }
            } else {
                vec![dir.join("assets").join(pattern)]
            };
            for source in sources {
                if !source.exists() {
                    problems.push(Problem::warning(
                        &source,
                        None,
                        "asset named in index.json does not exist: the scenario runs without it",
                    ));
                    continue;
                }
                if let Err(err) = super::safe::check_tree(dir, &source) {
                    problems.push(Problem::error(
                        &source,
                        None,
                        format!("the asset is refused: {err}"),
                    ));
                    continue;
                }
                let name = source
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                assets.push(Asset {
                    source,
                    node: node.clone(),
                    target: format!("{}/{name}", asset.target.trim_end_matches('/')),
                    mode,
                });
            }
        }
    }
    let layout = index
        .environment
        .uilayout
        .as_deref()
        .or(index.interface.layout.as_deref());
    let environment = super::environment::read(index.backend.imageid.as_deref(), layout);
    for warning in &environment.warnings {
        problems.push(Problem::warning(&index_path, None, warning.clone()));
    }
    let nodes = nodes.max(environment.nodes);
    let mut intro = page(dir, index.details.intro.as_ref(), problems);
    if environment.kubernetes {
        add_kubernetes_note(&mut intro, nodes);
    }
    let finish = page(dir, index.details.finish.as_ref(), problems);
    let mut background = Vec::new();
    let mut foreground = None;
    if let Some(intro) = &index.details.intro {
        background.extend(script(dir, intro.background.as_deref(), nodes, problems));
        foreground = script(dir, intro.foreground.as_deref(), nodes, problems);
    }
    let mut steps = Vec::new();
    for (index_in_list, json) in index.details.steps.iter().enumerate() {
        let number = index_in_list as u16 + 1;
        let page = page(dir, Some(json), problems);
        if page.markdown.0.is_empty() {
            problems.push(Problem::error(
                &index_path,
                None,
                format!("step {number} has no text"),
            ));
        }
        steps.push(Step {
            number,
            page,
            verify: script(dir, json.verify.as_deref(), nodes, problems),
            solution: None,
            setup: None,
            background: script(dir, json.background.as_deref(), nodes, problems),
            foreground: script(dir, json.foreground.as_deref(), nodes, problems),
        });
    }
    if steps.is_empty() {
        problems.push(Problem::error(
            &index_path,
            None,
            "the scenario has no steps",
        ));
    }
    let title = if index.title.trim().is_empty() {
        slug.to_string()
    } else {
        index.title.clone()
    };
    let lesson = Lesson {
        slug: slug.to_string(),
        dir: dir.to_path_buf(),
        format: Format::Killercoda,
        order: 1000,
        duration: minutes(index.time.as_deref()),
        profile: environment.profile,
        nodes,
        images: Vec::new(),
        unlock: Unlock::InOrder,
        verify_timeout: Duration::from_secs(20),
        title: Localized::one(Lang::En, title),
        summary: Localized::one(Lang::En, index.description.clone()),
        intro,
        finish,
        steps,
        assets,
        setup: Vec::new(),
        background,
        foreground,
    };
    Some(lesson)
}

/// Says, at the top of the introduction, that the scenario's Kubernetes is not there.
fn add_kubernetes_note(intro: &mut PageSource, nodes: u8) {
    let machines = if nodes == 1 {
        "one machine".to_string()
    } else {
        format!("{nodes} machines")
    };
    let note = format!(
        "> **Note:** this scenario was written for a Kubernetes cluster. Quai gives you its \
         {machines} with Docker Engine, but not Kubernetes: commands such as `kubectl` are not \
         there.\n\n"
    );
    match intro.markdown.0.get_mut(&Lang::En) {
        Some(text) => {
            // After the page's title, when it starts with one.
            let at = if text.trim_start().starts_with("# ") {
                text.find('\n').map_or(text.len(), |end| end + 1)
            } else {
                0
            };
            let note = if at == 0 { note } else { format!("\n{note}") };
            text.insert_str(at, &note);
        }
        None => {
            intro.markdown = Localized::one(Lang::En, note);
        }
    }
}

/// Killercoda's `chmod` values: `+x` or an octal mode.
fn chmod_mode(chmod: &str) -> Option<u32> {
    match chmod.trim() {
        "+x" | "a+x" | "u+x" => Some(0o755),
        other => u32::from_str_radix(other, 8).ok(),
    }
}

/// A Quai setup script doing what Killercoda does with `background` and `foreground`: the
/// background scripts started and left running, then the foreground run to its end (it may
/// wait for what the background makes).
fn setup_script(
    background: &[super::model::Script],
    foreground: Option<&super::model::Script>,
) -> String {
    let mut setup = String::new();
    for script in background {
        let quoted = script.body.replace('\'', "'\\''");
        setup.push_str(&format!(
            "nohup bash -c '{quoted}' >>/tmp/quai-background.log 2>&1 </dev/null &\n"
        ));
    }
    if let Some(script) = foreground {
        setup.push_str(&script.body);
        setup.push('\n');
    }
    setup
}

/// Quoted for a TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A file name out of a title: `Run a container!` → `run-a-container`.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(40).collect();
    if slug.is_empty() {
        "step".into()
    } else {
        slug.trim_end_matches('-').to_string()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Invalid(String),
    #[error("{} already exists; remove it or choose another --into", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn write(path: &Path, text: &str, executable: bool) -> Result<(), ImportError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |source| ImportError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)?;
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(fail)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), ImportError> {
    let fail = |source| ImportError::Write {
        path: to.to_path_buf(),
        source,
    };
    let meta = std::fs::symlink_metadata(from).map_err(fail)?;
    if meta.is_dir() {
        std::fs::create_dir_all(to).map_err(fail)?;
        for entry in std::fs::read_dir(from).map_err(fail)?.flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else if meta.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::copy(from, to).map_err(fail)?;
    }
    Ok(())
}

/// Converts the scenario in `scenario` into a Quai lesson folder `into/<slug>`; returns it.
pub fn import(scenario: &Path, into: &Path) -> Result<PathBuf, ImportError> {
    let name = scenario
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "scenario".into());
    let slug = slugify(&name);
    let mut problems = Vec::new();
    let lesson = load(scenario, &slug, &mut problems);
    problems.retain(|p| p.severity == super::model::Severity::Error);
    let lesson = match lesson {
        Some(lesson) if problems.is_empty() => lesson,
        _ => {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ImportError::Invalid(lines.join("\n")));
        }
    };
    let out = into.join(&slug);
    if out.exists() {
        return Err(ImportError::Exists(out));
    }
    let en = |text: &Localized| {
        text.pick(Lang::En)
            .map(|(_, t)| t.to_string())
            .unwrap_or_default()
    };
    let mut toml = format!(
        "# Imported from a Killercoda scenario by `quai lessons import`.\norder = {}\nduration = {}\nprofile = \"{}\"\nnodes = {}\nimages = []\nunlock = \"in_order\"\n\n[title]\nen = {}\n\n[summary]\nen = {}\n",
        lesson.order,
        lesson.duration,
        lesson.profile.as_str(),
        lesson.nodes,
        toml_string(&en(&lesson.title)),
        toml_string(&en(&lesson.summary)),
    );
    for (index, asset) in lesson.assets.iter().enumerate() {
        let file_name = asset
            .source
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let local = format!("assets/{index:02}-{file_name}");
        copy_tree(&asset.source, &out.join(&local))?;
        toml.push_str(&format!(
            "\n[[assets]]\nsource = {}\nnode = {}\ntarget = {}\n",
            toml_string(&local),
            toml_string(&asset.node),
            toml_string(&asset.target)
        ));
    }
    write(&out.join("lesson.toml"), &toml, false)?;
    let page_text = |page: &PageSource, fallback: &str| {
        let body = page
            .markdown
            .pick(Lang::En)
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        let body = convert_killercoda_fences(&body);
        let has_title = body.trim_start().starts_with("# ");
        match (&page.title, has_title) {
            (_, true) => body,
            (Some(title), false) => format!("# {title}\n\n{body}"),
            (None, false) => format!("# {fallback}\n\n{body}"),
        }
    };
    write(
        &out.join("intro.en.md"),
        &page_text(&lesson.intro, &en(&lesson.title)),
        false,
    )?;
    write(
        &out.join("finish.en.md"),
        &page_text(&lesson.finish, "Well done"),
        false,
    )?;
    let setup = setup_script(&lesson.background, lesson.foreground.as_ref());
    if !setup.is_empty() {
        write(&out.join("setup.sh"), &setup, true)?;
    }
    for step in &lesson.steps {
        let title = step
            .page
            .title
            .clone()
            .unwrap_or_else(|| format!("Step {}", step.number));
        let stem = format!("{:02}-{}", step.number, slugify(&title));
        let steps = out.join("steps");
        write(
            &steps.join(format!("{stem}.en.md")),
            &page_text(&step.page, &title),
            false,
        )?;
        if let Some(verify) = &step.verify {
            write(&steps.join(format!("{stem}.verify.sh")), &verify.body, true)?;
            let solution = "#!/bin/bash\n# What a student types for this step: the lesson tests run it.\n# `quai lessons import` cannot know it; write it before the lesson is tested.\nexit 1\n";
            write(&steps.join(format!("{stem}.solution.sh")), solution, true)?;
        }
        let setup = setup_script(step.background.as_slice(), step.foreground.as_ref());
        if !setup.is_empty() {
            write(&steps.join(format!("{stem}.setup.sh")), &setup, true)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn scenario(dir: &Path) {
        let files = [
            (
                "index.json",
                r#"{
  "title": "Hello Killercoda",
  "description": "A scenario as Killercoda writes them",
  "details": {
    "intro": {"text": "intro.md", "background": "setup.sh"},
    "steps": [
      {"title": "Make a file", "text": "step1/text.md", "verify": "step1/verify.sh"},
      {"title": "Run it", "text": "step2/text.md", "verify": "step2/verify.sh", "background": "step2/background.sh"}
    ],
    "finish": {"text": "finish.md"},
    "assets": {"host01": [{"file": "hello.sh", "target": "/root", "chmod": "+x"}]}
  },
  "backend": {"imageid": "ubuntu"}
}"#,
            ),
            ("intro.md", "Welcome.\n"),
            ("setup.sh", "touch /tmp/setup-ran\n"),
            (
                "step1/text.md",
                "Create it:\n\n```\ntouch /root/made\n```{{exec}}\n",
            ),
            (
                "step1/verify.sh",
                "#!/bin/bash\ntest -f /root/made && echo done\n",
            ),
            ("step2/text.md", "Run `/root/hello.sh`{{exec}}\n"),
            ("step2/verify.sh", "#!/bin/bash\ntest -f /tmp/hello-ran\n"),
            ("step2/background.sh", "echo step2 > /tmp/step2\n"),
            ("finish.md", "Bye.\n"),
            (
                "assets/hello.sh",
                "#!/bin/sh\ntouch /tmp/hello-ran\necho hello\n",
            ),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quai-kc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_scenario_loads_unchanged() {
        let dir = temp("load");
        scenario(&dir);
        let mut problems = Vec::new();
        let lesson = load(&dir, "hello", &mut problems).expect("loads");
        problems.retain(|p| p.severity == crate::lessons::Severity::Error);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lesson.steps.len(), 2);
        assert_eq!(lesson.steps[0].page.title.as_deref(), Some("Make a file"));
        assert!(lesson.steps[0].verify.as_ref().unwrap().prints_done);
        assert!(!lesson.steps[1].verify.as_ref().unwrap().prints_done);
        assert_eq!(
            lesson.steps[1].background.as_ref().unwrap().body,
            "echo step2 > /tmp/step2\n"
        );
        assert!(lesson.steps[1].setup.is_none());
        assert_eq!(lesson.background.len(), 1);
        assert_eq!(lesson.assets.len(), 1);
        assert_eq!(lesson.assets[0].target, "/root/hello.sh");
        assert_eq!(lesson.assets[0].mode, Some(0o755));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn write_files(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn errors_and_warnings(problems: &[Problem]) -> (Vec<String>, Vec<String>) {
        let pick = |severity| {
            problems
                .iter()
                .filter(|p| p.severity == severity)
                .map(ToString::to_string)
                .collect()
        };
        (
            pick(crate::lessons::Severity::Error),
            pick(crate::lessons::Severity::Warning),
        )
    }

    #[test]
    fn background_and_foreground_are_kept_apart_for_the_intro_and_each_step() {
        let dir = temp("fg");
        write_files(
            &dir,
            &[
                (
                    "index.json",
                    r#"{"title": "Together", "details": {
                        "intro": {"text": "intro.md", "background": "bg.sh", "foreground": "fg.sh"},
                        "steps": [{"text": "s1.md", "background": "s1-bg.sh", "foreground": "s1-fg.sh"}]}}"#,
                ),
                ("intro.md", "Hi\n"),
                ("bg.sh", "touch /tmp/ready\n"),
                ("fg.sh", "while [ ! -f /tmp/ready ]; do sleep 1; done\n"),
                ("s1.md", "One\n"),
                ("s1-bg.sh", "echo bg\n"),
                ("s1-fg.sh", "echo fg\n"),
            ],
        );
        let mut problems = Vec::new();
        let lesson = load(&dir, "together", &mut problems).expect("loads");
        assert_eq!(errors_and_warnings(&problems), (vec![], vec![]));
        assert!(lesson.setup.is_empty());
        assert_eq!(lesson.background[0].body, "touch /tmp/ready\n");
        assert!(lesson.foreground.as_ref().unwrap().body.contains("while"));
        assert_eq!(
            lesson.steps[0].background.as_ref().unwrap().body,
            "echo bg\n"
        );
        assert_eq!(
            lesson.steps[0].foreground.as_ref().unwrap().body,
            "echo fg\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_asset_and_an_unknown_environment_are_warnings_and_the_scenario_loads() {
        let dir = temp("lenient");
        write_files(
            &dir,
            &[
                (
                    "index.json",
                    r#"{"title": "Lenient", "details": {
                        "intro": {"text": "intro.md"},
                        "steps": [{"text": "s1.md"}],
                        "assets": {"host01": [{"file": "gone.sh", "target": "/root"}, {"file": "here.sh", "target": "/root"}]}},
                        "backend": {"imageid": "holodeck-9000"},
                        "environment": {"uilayout": "hologram"}}"#,
                ),
                ("intro.md", "Hi\n"),
                ("s1.md", "One\n"),
                ("assets/here.sh", "echo here\n"),
            ],
        );
        let mut problems = Vec::new();
        let lesson = load(&dir, "lenient", &mut problems).expect("loads");
        let (errors, warnings) = errors_and_warnings(&problems);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings
            .iter()
            .any(|w| w.contains("gone.sh") && w.contains("does not exist")));
        assert!(warnings.iter().any(|w| w.contains("holodeck-9000")));
        assert!(warnings.iter().any(|w| w.contains("hologram")));
        assert_eq!(lesson.assets.len(), 1);
        assert_eq!(lesson.assets[0].target, "/root/here.sh");
        assert_eq!(
            (lesson.profile, lesson.nodes),
            (quai_protocol::Profile::Docker, 1)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_two_node_kubernetes_image_gives_two_nodes_and_says_kubernetes_is_missing() {
        let dir = temp("k8s");
        write_files(
            &dir,
            &[
                (
                    "index.json",
                    r#"{"title": "Cluster", "details": {"intro": {"text": "intro.md"}, "steps": [{"text": "s1.md"}]},
                        "backend": {"imageid": "kubernetes-kubeadm-2nodes"}}"#,
                ),
                ("intro.md", "# Cluster\n\nWelcome.\n"),
                ("s1.md", "One\n"),
            ],
        );
        let mut problems = Vec::new();
        let lesson = load(&dir, "k8s", &mut problems).expect("loads");
        assert_eq!(errors_and_warnings(&problems), (vec![], vec![]));
        assert_eq!(
            (lesson.profile, lesson.nodes),
            (quai_protocol::Profile::Docker, 2)
        );
        let intro = lesson.intro.markdown.pick(Lang::En).unwrap().1;
        assert!(
            intro.starts_with("# Cluster\n\n> **Note:**")
                && intro.contains("2 machines")
                && intro.contains("not Kubernetes")
                && intro.ends_with("Welcome.\n"),
            "{intro}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_broken_index_names_its_line() {
        let dir = temp("broken");
        std::fs::write(
            dir.join("index.json"),
            "{\n  \"title\": \"x\",\n  \"details\": [\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        assert!(load(&dir, "broken", &mut problems).is_none());
        assert!(
            problems[0].to_string().contains("index.json:"),
            "{}",
            problems[0]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn import_writes_a_quai_lesson_that_loads() {
        let dir = temp("import");
        let scenario_dir = dir.join("hello-killercoda");
        scenario(&scenario_dir);
        let into = dir.join("lessons");
        let out = import(&scenario_dir, &into).expect("imports");
        assert_eq!(out, into.join("hello-killercoda"));
        let step = std::fs::read_to_string(out.join("steps/01-make-a-file.en.md")).unwrap();
        assert!(step.starts_with("# Make a file\n"), "{step}");
        assert!(step.contains("``` run\ntouch /root/made\n```"), "{step}");
        let mut problems = Vec::new();
        let lesson =
            super::super::native::load(&out, "hello-killercoda", &mut problems).expect("loads");
        assert_eq!(lesson.steps.len(), 2);
        assert_eq!(lesson.assets[0].target, "/root/hello.sh");
        assert!(matches!(
            import(&scenario_dir, &into),
            Err(ImportError::Exists(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
