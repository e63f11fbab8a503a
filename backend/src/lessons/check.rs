//! `quai lessons check`: everything wrong with a lessons folder, as `file:line` problems —
//! what loading finds (TOML, missing files, scripts not executable, untranslated pages), code
//! blocks that run in a node the lesson does not have, and images the catalog lacks.

use std::path::Path;

use super::model::{Lesson, Problem};
use super::{full_image_name, read_all};

/// Checks every lesson under `root`. `available` is the image catalog, or why it is unknown.
/// Returns the lessons read (with whether each is free of errors) and every problem.
pub fn check(
    root: &Path,
    available: Result<&[String], &str>,
) -> (Vec<(Lesson, bool)>, Vec<Problem>) {
    let (mut all, mut problems) = read_all(root);
    for (lesson, ok) in &mut all {
        let before = super::native::count_errors(&problems);
        check_run_nodes(lesson, &mut problems);
        check_images(lesson, available, &mut problems);
        *ok &= super::native::count_errors(&problems) == before;
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    (all, problems)
}

fn check_run_nodes(lesson: &Lesson, problems: &mut Vec<Problem>) {
    let pages = [&lesson.intro, &lesson.finish]
        .into_iter()
        .chain(lesson.steps.iter().map(|s| &s.page));
    for page in pages {
        for (lang, file) in &page.files {
            let Some(text) = page.markdown.0.get(lang) else {
                continue;
            };
            let mut in_fence = false;
            for (index, line) in text.lines().enumerate() {
                let trimmed = line.trim_start();
                if !(trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
                    continue;
                }
                if in_fence {
                    in_fence = false;
                    continue;
                }
                in_fence = true;
                let info = trimmed.trim_start_matches(['`', '~']);
                let mode = super::markdown::block_mode(info);
                if let Some(node) = mode.node {
                    let valid = node
                        .strip_prefix("node")
                        .and_then(|n| n.parse::<u8>().ok())
                        .is_some_and(|n| (1..=lesson.nodes).contains(&n));
                    if !valid {
                        problems.push(Problem::error(
                            file,
                            Some(index + 1),
                            format!(
                                "`run={node}` names a node this lesson does not have (node1 to node{})",
                                lesson.nodes
                            ),
                        ));
                    }
                }
            }
            if in_fence {
                problems.push(Problem::error(
                    file,
                    Some(text.lines().count()),
                    "a code block is never closed",
                ));
            }
        }
    }
}

fn check_images(lesson: &Lesson, available: Result<&[String], &str>, problems: &mut Vec<Problem>) {
    if lesson.images.is_empty() {
        return;
    }
    let toml = lesson.dir.join("lesson.toml");
    let text = std::fs::read_to_string(&toml).unwrap_or_default();
    match available {
        Ok(names) => {
            for image in &lesson.images {
                if !names.contains(&full_image_name(image)) {
                    let line = text
                        .find(&format!("\"{image}\""))
                        .map(|at| super::native::line_of(&text, at));
                    problems.push(Problem::error(
                        &toml,
                        line,
                        format!(
                            "image `{image}` is not in this playground's catalog (`cargo xtask images` builds it, `quai images import` adds one)"
                        ),
                    ));
                }
            }
        }
        Err(why) => problems.push(Problem::warning(
            &toml,
            None,
            format!("the images the lesson needs were not checked: {why}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::Severity;

    fn lesson_dir(root: &Path, slug: &str, toml: &str, step: &str) {
        let dir = root.join(slug);
        std::fs::create_dir_all(dir.join("steps")).unwrap();
        std::fs::write(dir.join("lesson.toml"), toml).unwrap();
        for page in ["intro.en.md", "intro.fr.md", "finish.en.md", "finish.fr.md"] {
            std::fs::write(dir.join(page), "# Page\n").unwrap();
        }
        std::fs::write(dir.join("steps/01-one.en.md"), step).unwrap();
        std::fs::write(dir.join("steps/01-one.fr.md"), "# Un\n").unwrap();
        for (name, mode) in [("01-one.verify.sh", 0o755), ("01-one.solution.sh", 0o644)] {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.join("steps").join(name);
            std::fs::write(&path, "#!/bin/bash\ntrue\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let root = std::env::temp_dir().join(format!("quai-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        lesson_dir(
            &root,
            "good-toml",
            "nodes = 1\nimages = [\"nginx\", \"nowhere:1\"]\n[title]\nen = \"A\"\nfr = \"A\"\n",
            "# One\n\n```bash run=node2\nls\n```\n",
        );
        lesson_dir(
            &root,
            "bad-toml",
            "nodes = 1\n[title\nen = \"A\"\n",
            "# One\n",
        );
        let available = vec!["nginx:latest".to_string()];
        let (lessons, problems) = check(&root, Ok(&available));
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("bad-toml/lesson.toml:2: error"), "{all}");
        assert!(
            all.contains("good-toml/lesson.toml:2: error: image `nowhere:1`"),
            "{all}"
        );
        assert!(
            all.contains("good-toml/steps/01-one.en.md:3: error: `run=node2`"),
            "{all}"
        );
        assert!(
            all.contains("01-one.solution.sh: error: the script is not executable"),
            "{all}"
        );
        assert!(!all.contains("nginx`"), "{all}");
        assert_eq!(lessons.len(), 1, "the unreadable TOML gives no lesson");
        assert!(!lessons[0].1, "an erroneous lesson is not served");
        assert!(
            problems.iter().all(|p| p.severity == Severity::Error),
            "{all}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
