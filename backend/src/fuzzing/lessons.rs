//! Lessons as authors write them: `lesson.toml`, Markdown pages, and Killercoda scenarios'
//! `index.json` (loaded, then imported).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Mutex;

use quai_protocol::Lang;

use crate::lessons::{killercoda, markdown, native, view, Lesson, Severity};

/// A lesson or scenario folder around the file a target writes, made once per process.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    /// A folder named `name` holding `files` (`path`, text; `.sh` files executable).
    fn new(name: &str, files: &[(&str, &str)]) -> Folder {
        let dir = tempfile::Builder::new()
            .prefix(name)
            .tempdir()
            .expect("a temporary folder");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
            std::fs::write(&path, text).expect("a file");
            if path.extension().is_some_and(|e| e == "sh") {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .expect("a mode");
            }
        }
        Folder { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Renders every page of `lesson` in both languages, as the lesson page shows it.
fn render_all(lesson: &Lesson) {
    for lang in [Lang::En, Lang::Fr] {
        let shown = view(lesson, lang, Vec::new(), &[]);
        let text = serde_json::to_string(&shown).expect("a lesson view serializes");
        assert!(!text.is_empty());
    }
}

/// `lesson.toml` in a folder with an intro, a finish, one step and two assets: a lesson that
/// loads without errors has 1 to 5 nodes, and assets inside its folder going to absolute
/// paths of its nodes.
pub fn lesson_toml(data: &[u8]) {
    static FOLDER: Mutex<Option<Folder>> = Mutex::new(None);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut folder = FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    let folder = folder.get_or_insert_with(|| {
        Folder::new(
            "lesson",
            &[
                ("intro.en.md", "# Intro\n\nHello.\n"),
                ("finish.en.md", "# Done\n"),
                ("steps/01-hello.en.md", "# Hello\n\n`echo hi`{{exec}}\n"),
                ("steps/01-hello.verify.sh", "#!/bin/sh\ntrue\n"),
                ("steps/01-hello.solution.sh", "#!/bin/sh\ntrue\n"),
                ("setup.sh", "#!/bin/sh\ntrue\n"),
                ("assets/app/app.py", "print('hi')\n"),
                ("assets/notes.txt", "notes\n"),
            ],
        )
    });
    let dir = folder.path();
    std::fs::write(dir.join("lesson.toml"), text).expect("lesson.toml");
    let mut problems = Vec::new();
    let Some(lesson) = native::load(dir, "fuzz", &mut problems) else {
        return;
    };
    assert!((1..=5).contains(&lesson.nodes), "{} nodes", lesson.nodes);
    render_all(&lesson);
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return;
    }
    for asset in &lesson.assets {
        assert!(
            asset.source.starts_with(dir) && !asset.source.is_symlink(),
            "asset {:?} accepted",
            asset.source
        );
        assert!(asset.target.starts_with('/'), "target {}", asset.target);
        let node = asset.node.strip_prefix("node").and_then(|n| n.parse().ok());
        assert!(
            node.is_some_and(|n: u8| (1..=lesson.nodes).contains(&n)),
            "node {}",
            asset.node
        );
    }
}

/// Tags that never reach a lesson page.
const FORBIDDEN_TAGS: [&str; 8] = [
    "script", "style", "iframe", "object", "embed", "form", "frame", "base",
];

/// A lesson page: the HTML it renders to holds no scripts, frames, styles, event handlers or
/// `javascript:` links.
pub fn lesson_markdown(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rendered = markdown::render(text);
    for (tag, attributes) in tags(&rendered.html) {
        let tag = tag.to_ascii_lowercase();
        assert!(
            !FORBIDDEN_TAGS.contains(&tag.trim_start_matches('/')),
            "<{tag}> in {}",
            rendered.html
        );
        for (name, value) in attributes {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on") && name != "style" && name != "srcdoc",
                "attribute {name} in {}",
                rendered.html
            );
            // As a browser reads a URL: leading spaces and C0 controls dropped, and tabs and
            // newlines anywhere (other controls, such as U+0090, make it no scheme at all).
            let value: String = value
                .trim_start_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                !value.starts_with("javascript:")
                    && !value.starts_with("vbscript:")
                    && !value.starts_with("data:text/html"),
                "{name}={value} in {}",
                rendered.html
            );
        }
    }
}

/// The tags of serialized HTML with their attributes (values with `&quot;` left as is):
/// text never holds a raw `<`, and attribute values are always double-quoted.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment.split_once("-->").map(|(_, r)| r).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            }
            if let Some(after) = rest.strip_prefix('/') {
                rest = after;
                continue;
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .unwrap_or(rest.len());
            let attr = rest[..end].to_string();
            rest = &rest[end..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix("=\"") {
                let close = after.find('"').unwrap_or(after.len());
                value = after[..close].to_string();
                rest = after.get(close + 1..).unwrap_or("");
            }
            attributes.push((attr, value));
        }
        found.push((name, attributes));
    }
    found
}

/// A Killercoda scenario's `index.json` beside the files scenarios have: what loads renders,
/// and what imports lands inside the folder given, without links, as a lesson whose
/// `lesson.toml` Quai reads back.
pub fn killercoda_index(data: &[u8]) {
    static FOLDER: Mutex<Option<Folder>> = Mutex::new(None);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut folder = FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    let folder = folder.get_or_insert_with(|| {
        Folder::new(
            "scenario",
            &[
                ("intro.md", "# Intro\n\n`ls`{{exec}}\n"),
                (
                    "finish.md",
                    "Done: [[HOST_SUBDOMAIN]]-80-[[KATACODA_HOST]]\n",
                ),
                ("background.sh", "#!/bin/bash\ntouch /tmp/ready\n"),
                ("foreground.sh", "#!/bin/bash\necho hi\n"),
                ("step1/text.md", "Run `date`{{copy}}\n"),
                ("step1/verify.sh", "#!/bin/bash\ntrue\n"),
                ("step1/foreground.sh", "#!/bin/bash\nls\n"),
                ("step1/background.sh", "#!/bin/bash\nls\n"),
                ("assets/app/index.html", "<p>hi</p>\n"),
                ("assets/hello.sh", "#!/bin/bash\necho hello\n"),
            ],
        )
    });
    let dir = folder.path();
    std::fs::write(dir.join("index.json"), text).expect("index.json");
    let mut problems = Vec::new();
    if let Some(lesson) = killercoda::load(dir, "fuzz", &mut problems) {
        render_all(&lesson);
    }
    let into = tempfile::tempdir().expect("a temporary folder");
    let Ok(out) = killercoda::import(dir, into.path()) else {
        return;
    };
    assert!(out.starts_with(into.path()), "imported into {out:?}");
    for entry in walk(into.path()) {
        assert!(!entry.is_symlink(), "import made the link {entry:?}");
    }
    let slug = out
        .file_name()
        .expect("a slug")
        .to_string_lossy()
        .to_string();
    let mut problems = Vec::new();
    let read = native::load(&out, &slug, &mut problems);
    assert!(
        read.is_some(),
        "the imported lesson.toml does not read: {problems:?}"
    );
}

/// Every path under `dir`, links not followed.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}
