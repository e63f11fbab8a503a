//! Reads a lesson folder in Quai's own format: `lesson.toml`, `intro`/`finish` pages,
//! `steps/NN-name.<lang>.md` with their `verify`, `solution` and `setup` scripts, assets.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quai_protocol::{Lang, Profile, Unlock};
use serde::Deserialize;

use super::model::{read_script, Asset, Format, Lesson, Localized, PageSource, Problem, Step};

const MAX_NODES: u8 = 5;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonToml {
    #[serde(default)]
    order: u32,
    #[serde(default = "default_duration")]
    duration: u32,
    #[serde(default)]
    profile: Profile,
    #[serde(default = "default_nodes")]
    nodes: u8,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    unlock: Unlock,
    #[serde(default = "default_verify_timeout")]
    verify_timeout: u64,
    title: BTreeMap<String, String>,
    #[serde(default)]
    summary: BTreeMap<String, String>,
    #[serde(default)]
    assets: Vec<AssetToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetToml {
    source: String,
    #[serde(default = "default_node")]
    node: String,
    target: String,
}

fn default_duration() -> u32 {
    15
}
fn default_nodes() -> u8 {
    1
}
fn default_verify_timeout() -> u64 {
    20
}
fn default_node() -> String {
    "node1".into()
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn localized(
    map: BTreeMap<String, String>,
    file: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Localized {
    let mut out = Localized::default();
    for (code, value) in map {
        match Lang::parse(&code).filter(|lang| lang.code() == code) {
            Some(lang) => {
                out.0.insert(lang, value);
            }
            None => {
                let line = text.find(&format!("{code} ")).map(|at| line_of(text, at));
                problems.push(Problem::error(
                    file,
                    line,
                    format!("`{code}` is not a language Quai speaks (en, fr)"),
                ));
            }
        }
    }
    out
}

/// Reads `<stem>.<lang>.md` for every language into a page.
fn read_page(root: &Path, dir: &Path, stem: &str, problems: &mut Vec<Problem>) -> PageSource {
    let mut page = PageSource::default();
    for lang in Lang::ALL {
        let path = dir.join(format!("{stem}.{}.md", lang.code()));
        match super::safe::read_to_string(root, &path) {
            Ok(text) => {
                page.markdown.0.insert(lang, text);
                page.files.insert(lang, path);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => problems.push(Problem::error(
                &path,
                None,
                format!("cannot read it: {err}"),
            )),
        }
    }
    page
}

fn check_executable(path: &Path, problems: &mut Vec<Problem>) {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o111 == 0 {
            problems.push(Problem::error(
                path,
                None,
                "the script is not executable (chmod +x)",
            ));
        }
    }
}

/// Reads the lesson in `dir` (`None` when its lesson.toml cannot be read); whether it may run
/// is for the caller to decide from the errors added to `problems`.
pub fn load(dir: &Path, slug: &str, problems: &mut Vec<Problem>) -> Option<Lesson> {
    let toml_path = dir.join("lesson.toml");
    let text = match super::safe::read_to_string(dir, &toml_path) {
        Ok(text) => text,
        Err(err) => {
            problems.push(Problem::error(
                &toml_path,
                None,
                format!("cannot read it: {err}"),
            ));
            return None;
        }
    };
    let meta: LessonToml = match toml::from_str(&text) {
        Ok(meta) => meta,
        Err(err) => {
            let line = err.span().map(|span| line_of(&text, span.start));
            problems.push(Problem::error(&toml_path, line, err.message().to_string()));
            return None;
        }
    };
    if !(1..=MAX_NODES).contains(&meta.nodes) {
        let line = text.find("nodes").map(|at| line_of(&text, at));
        problems.push(Problem::error(
            &toml_path,
            line,
            format!("a lesson has 1 to {MAX_NODES} nodes, not {}", meta.nodes),
        ));
    }
    let nodes = meta.nodes.clamp(1, MAX_NODES);
    let title = localized(meta.title, &toml_path, &text, problems);
    if title.0.is_empty() {
        problems.push(Problem::error(&toml_path, None, "the lesson has no title"));
    }
    let summary = localized(meta.summary, &toml_path, &text, problems);

    let mut assets = Vec::new();
    for asset in meta.assets {
        let source = dir.join(&asset.source);
        let line = text
            .find(&format!("\"{}\"", asset.source))
            .map(|at| line_of(&text, at));
        if !source.exists() {
            problems.push(Problem::error(
                &toml_path,
                line,
                format!("asset `{}` does not exist", asset.source),
            ));
        } else if !source.starts_with(dir) || asset.source.contains("..") {
            problems.push(Problem::error(
                &toml_path,
                line,
                format!("asset `{}` is outside the lesson folder", asset.source),
            ));
        } else if let Err(err) = super::safe::check_tree(dir, &source) {
            problems.push(Problem::error(
                &toml_path,
                line,
                format!("asset `{}` is refused: {err}", asset.source),
            ));
        }
        if !asset.target.starts_with('/') {
            problems.push(Problem::error(
                &toml_path,
                line,
                format!("asset target `{}` must be an absolute path", asset.target),
            ));
        }
        let node_ok = asset
            .node
            .strip_prefix("node")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=nodes).contains(&n));
        if !node_ok {
            problems.push(Problem::error(
                &toml_path,
                line,
                format!("asset node `{}` is not node1 to node{nodes}", asset.node),
            ));
        }
        assets.push(Asset {
            source,
            node: asset.node,
            target: asset.target,
            mode: None,
        });
    }

    let intro = read_page(dir, dir, "intro", problems);
    let finish = read_page(dir, dir, "finish", problems);
    for (stem, page) in [("intro", &intro), ("finish", &finish)] {
        if page.markdown.0.is_empty() {
            problems.push(Problem::error(
                &dir.join(format!("{stem}.en.md")),
                None,
                format!("the lesson has no {stem} page"),
            ));
        }
    }
    let steps = read_steps(dir, nodes, problems);
    if steps.is_empty() {
        problems.push(Problem::error(
            &dir.join("steps"),
            None,
            "the lesson has no steps",
        ));
    }
    let mut setup = Vec::new();
    let setup_path = dir.join("setup.sh");
    if setup_path.exists() {
        check_executable(&setup_path, problems);
        setup.extend(read_script(dir, &setup_path, nodes, problems));
    }
    let lesson = Lesson {
        slug: slug.to_string(),
        dir: dir.to_path_buf(),
        format: Format::Quai,
        order: meta.order,
        duration: meta.duration,
        profile: meta.profile,
        nodes,
        images: meta.images,
        unlock: meta.unlock,
        verify_timeout: Duration::from_secs(meta.verify_timeout.clamp(1, 600)),
        title,
        summary,
        intro,
        finish,
        steps,
        assets,
        setup,
        background: Vec::new(),
        foreground: None,
    };
    warn_untranslated(&lesson, problems);
    Some(lesson)
}

pub fn count_errors(problems: &[Problem]) -> usize {
    problems
        .iter()
        .filter(|p| p.severity == super::model::Severity::Error)
        .count()
}

/// Groups `steps/NN-name.*` files by their `NN-name` stem, in order.
fn read_steps(dir: &Path, nodes: u8, problems: &mut Vec<Problem>) -> Vec<Step> {
    let steps_dir = dir.join("steps");
    let Ok(entries) = std::fs::read_dir(&steps_dir) else {
        return Vec::new();
    };
    let mut stems: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.split('.').next() else {
            continue;
        };
        let numbered = stem
            .split('-')
            .next()
            .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()));
        if !numbered {
            problems.push(Problem::error(
                &path,
                None,
                "step files are named NN-name.<kind> (for example 01-run.en.md)",
            ));
            continue;
        }
        stems.entry(stem.to_string()).or_default().push(path);
    }
    let mut steps = Vec::new();
    for (index, (stem, files)) in stems.into_iter().enumerate() {
        let number = index as u16 + 1;
        let expected = format!("{number:02}");
        if !stem.starts_with(&expected) {
            problems.push(Problem::error(
                &steps_dir.join(&stem),
                None,
                format!("step `{stem}` should be numbered {expected}: steps are numbered 01, 02, … without gaps"),
            ));
        }
        for file in &files {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let rest = &name[stem.len()..];
            let known = matches!(rest, ".verify.sh" | ".solution.sh" | ".setup.sh")
                || Lang::ALL
                    .iter()
                    .any(|lang| rest == format!(".{}.md", lang.code()));
            if !known {
                problems.push(Problem::error(
                    file,
                    None,
                    "unknown step file: expected .en.md, .fr.md, .verify.sh, .solution.sh or .setup.sh",
                ));
            }
        }
        let page = read_page(dir, &steps_dir, &stem, problems);
        if page.markdown.0.is_empty() {
            problems.push(Problem::error(
                &steps_dir.join(format!("{stem}.en.md")),
                None,
                format!("step {number} has no text"),
            ));
        }
        let script = |kind: &str, problems: &mut Vec<Problem>| {
            let path = steps_dir.join(format!("{stem}.{kind}.sh"));
            if !path.exists() {
                return None;
            }
            check_executable(&path, problems);
            read_script(dir, &path, nodes, problems)
        };
        let verify = script("verify", problems);
        let solution = script("solution", problems);
        let setup = script("setup", problems);
        if verify.is_some() && solution.is_none() {
            problems.push(Problem::error(
                &steps_dir.join(format!("{stem}.solution.sh")),
                None,
                format!("step {number} has a check but no solution; the lesson tests need one"),
            ));
        }
        steps.push(Step {
            number,
            page,
            verify,
            solution,
            setup,
            background: None,
            foreground: None,
        });
    }
    steps
}

fn warn_untranslated(lesson: &Lesson, problems: &mut Vec<Problem>) {
    let pages = [&lesson.intro, &lesson.finish]
        .into_iter()
        .chain(lesson.steps.iter().map(|s| &s.page));
    for page in pages {
        let Some(written) = page.files.values().next() else {
            continue;
        };
        for lang in Lang::ALL {
            if !page.files.contains_key(&lang) {
                let name = written.to_string_lossy();
                let stem = name.rsplitn(3, '.').nth(2).unwrap_or(&name);
                problems.push(Problem::warning(
                    Path::new(&format!("{stem}.{}.md", lang.code())),
                    None,
                    format!(
                        "not translated into {}; students see another language instead",
                        lang.code()
                    ),
                ));
            }
        }
    }
}
