//! What a loaded lesson is, whatever folder format it came from, and the problems found while
//! loading one (each with its file and, when known, its line).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quai_protocol::{Lang, Profile, Unlock};

/// The folder format a lesson was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `lesson.toml` and `steps/` (lessons/README.md).
    Quai,
    /// A Killercoda or Katacoda `index.json` scenario, read unchanged.
    Killercoda,
}

/// Text in each language it is written in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Localized(pub BTreeMap<Lang, String>);

impl Localized {
    pub fn one(lang: Lang, text: String) -> Self {
        Localized(BTreeMap::from([(lang, text)]))
    }

    /// The text in `lang`, else English, else any language; with the language it is in.
    pub fn pick(&self, lang: Lang) -> Option<(Lang, &str)> {
        self.0
            .get_key_value(&lang)
            .or_else(|| self.0.get_key_value(&Lang::En))
            .or_else(|| self.0.iter().next())
            .map(|(lang, text)| (*lang, text.as_str()))
    }

    pub fn langs(&self) -> impl Iterator<Item = Lang> + '_ {
        self.0.keys().copied()
    }
}

/// A page's markdown, per language, and the file each came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageSource {
    pub markdown: Localized,
    /// A title given outside the markdown (Killercoda's `index.json`).
    pub title: Option<String>,
    /// The file each language was read from.
    pub files: BTreeMap<Lang, PathBuf>,
}

/// A script a lesson runs in one of its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: PathBuf,
    pub body: String,
    /// `node1` unless the script starts with a `# node: nodeN` line.
    pub node: String,
    /// Katacoda's convention: the script prints `done` when it passes.
    pub prints_done: bool,
}

/// Files of the lesson copied into a node before setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub source: PathBuf,
    pub node: String,
    pub target: String,
    /// Unix mode bits to set on every copied file (Killercoda's `chmod`), if any.
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based.
    pub number: u16,
    pub page: PageSource,
    pub verify: Option<Script>,
    pub solution: Option<Script>,
    /// Run, hidden, when the step opens (after the step before it passed); opening waits
    /// for it.
    pub setup: Option<Script>,
    /// Started, detached, in its node when the step opens (Killercoda's `background`).
    pub background: Option<Script>,
    /// Run in the student's first terminal of its node when the step opens, while the
    /// background runs (Killercoda's `foreground`).
    pub foreground: Option<Script>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub slug: String,
    pub dir: PathBuf,
    pub format: Format,
    pub order: u32,
    pub duration: u32,
    pub profile: Profile,
    pub nodes: u8,
    /// Catalog images the lesson needs, as written (`nginx`, `python:3`).
    pub images: Vec<String>,
    pub unlock: Unlock,
    pub verify_timeout: Duration,
    pub title: Localized,
    pub summary: Localized,
    pub intro: PageSource,
    pub finish: PageSource,
    pub steps: Vec<Step>,
    pub assets: Vec<Asset>,
    /// Run, hidden, before the student arrives; start waits for it.
    pub setup: Vec<Script>,
    /// Started before the student arrives and left running (Killercoda's background scripts).
    pub background: Vec<Script>,
    /// Run in the student's first terminal once it opens, while the background runs
    /// (the intro's `foreground` of a Killercoda scenario).
    pub foreground: Option<Script>,
}

impl Lesson {
    /// Languages every page of the lesson is written in.
    pub fn complete_langs(&self) -> Vec<Lang> {
        Lang::ALL
            .into_iter()
            .filter(|lang| {
                self.title.0.contains_key(lang)
                    && self.intro.markdown.0.contains_key(lang)
                    && self.finish.markdown.0.contains_key(lang)
                    && self
                        .steps
                        .iter()
                        .all(|s| s.page.markdown.0.contains_key(lang))
            })
            .collect()
    }

    pub fn step(&self, number: u16) -> Option<&Step> {
        self.steps.iter().find(|s| s.number == number)
    }
}

/// How bad a problem is: errors keep the lesson out of the catalog, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Something wrong in a lesson's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn error(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub fn warning(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, line, message)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {kind}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {kind}: {}", self.file.display(), self.message),
        }
    }
}

/// Reads a script, its `# node:` line and whether it follows Katacoda's `done` convention.
pub fn read_script(
    root: &Path,
    path: &Path,
    nodes: u8,
    problems: &mut Vec<Problem>,
) -> Option<Script> {
    let body = match super::safe::read_to_string(root, path) {
        Ok(body) => body,
        Err(err) => {
            problems.push(Problem::error(path, None, format!("cannot read it: {err}")));
            return None;
        }
    };
    let mut node = "node1".to_string();
    for (index, line) in body.lines().take(5).enumerate() {
        if let Some(name) = line.trim().strip_prefix("# node:") {
            let name = name.trim();
            let valid = name
                .strip_prefix("node")
                .and_then(|n| n.parse::<u8>().ok())
                .is_some_and(|n| (1..=nodes).contains(&n));
            if valid {
                node = name.to_string();
            } else {
                problems.push(Problem::error(
                    path,
                    Some(index + 1),
                    format!(
                        "`{name}` is not a node of this lesson, which has node1 to node{nodes}"
                    ),
                ));
            }
        }
    }
    let prints_done = body.lines().any(|line| {
        let line = line.trim();
        ["echo done", "echo \"done\"", "echo 'done'"]
            .iter()
            .any(|form| line.contains(form))
    });
    Some(Script {
        path: path.to_path_buf(),
        body,
        node,
        prints_done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_translation_falls_back_to_english_and_says_so() {
        let mut text = Localized::one(Lang::En, "Hello".into());
        assert_eq!(text.pick(Lang::Fr), Some((Lang::En, "Hello")));
        text.0.insert(Lang::Fr, "Bonjour".into());
        assert_eq!(text.pick(Lang::Fr), Some((Lang::Fr, "Bonjour")));
        let only_fr = Localized::one(Lang::Fr, "Salut".into());
        assert_eq!(only_fr.pick(Lang::En), Some((Lang::Fr, "Salut")));
        assert_eq!(Localized::default().pick(Lang::En), None);
    }

    #[test]
    fn problems_read_as_file_line_messages() {
        let problem = Problem::error(Path::new("lessons/a/lesson.toml"), Some(3), "bad");
        assert_eq!(problem.to_string(), "lessons/a/lesson.toml:3: error: bad");
        let warning = Problem::warning(Path::new("x.md"), None, "untranslated");
        assert_eq!(warning.to_string(), "x.md: warning: untranslated");
    }

    #[test]
    fn scripts_name_their_node_and_their_done_convention() {
        let dir = std::env::temp_dir().join(format!("quai-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("verify.sh");
        std::fs::write(
            &path,
            "#!/bin/bash\n# node: node2\ntest -f x && echo done\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        let script = read_script(&dir, &path, 2, &mut problems).unwrap();
        assert_eq!((script.node.as_str(), script.prints_done), ("node2", true));
        assert!(problems.is_empty());
        read_script(&dir, &path, 1, &mut problems).unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2), "{}", problems[0]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
