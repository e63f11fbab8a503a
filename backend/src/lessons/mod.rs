//! Lessons: the catalog read from `--lessons-dir` (Quai folders in `native`, Killercoda
//! scenarios in `killercoda`, both into `model`), pages rendered by `markdown`, validation
//! for `quai lessons check` (`check`), running a lesson's scripts in a session (`runner`) and
//! live reloading (`watch`). `Lessons` holds the current catalog; a reload swaps it whole.

pub mod check;
pub mod environment;
pub mod killercoda;
pub mod markdown;
pub mod model;
pub mod native;
pub mod runner;
pub mod safe;
pub mod steps;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use quai_protocol::{Lang, LessonSummary, LessonView, Page, StepView};

pub use crate::images::full_image_name;
pub use model::{Lesson, Problem, Severity};

/// Every lesson found in a folder, in catalog order, and what was wrong with the others.
#[derive(Debug, Default)]
pub struct Catalog {
    pub lessons: Vec<Arc<Lesson>>,
    pub problems: Vec<Problem>,
}

impl Catalog {
    /// Reads every sub-folder of `root` holding a `lesson.toml` or an `index.json`; a lesson
    /// with errors is left out.
    pub fn load(root: &Path) -> Catalog {
        let (all, problems) = read_all(root);
        let mut lessons: Vec<Arc<Lesson>> = all
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(lesson, _)| Arc::new(lesson))
            .collect();
        lessons.sort_by(|a, b| (a.order, &a.slug).cmp(&(b.order, &b.slug)));
        Catalog { lessons, problems }
    }

    pub fn get(&self, slug: &str) -> Option<Arc<Lesson>> {
        self.lessons.iter().find(|l| l.slug == slug).cloned()
    }
}

/// Every lesson folder under `root`, read, with whether it is free of errors.
pub fn read_all(root: &Path) -> (Vec<(Lesson, bool)>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(err) => {
            problems.push(Problem::error(
                root,
                None,
                format!("cannot read the lessons folder: {err}"),
            ));
            return (Vec::new(), problems);
        }
    };
    dirs.sort();
    let mut all = Vec::new();
    for dir in dirs {
        let slug = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let errors_before = native::count_errors(&problems);
        let lesson = if dir.join("lesson.toml").exists() {
            native::load(&dir, &slug, &mut problems)
        } else if dir.join("index.json").exists() {
            killercoda::load(&dir, &slug, &mut problems)
        } else {
            continue;
        };
        let valid_slug = !slug.is_empty()
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_slug {
            problems.push(Problem::error(
                &dir,
                None,
                "a lesson folder's name is its address: use lowercase letters, digits and dashes",
            ));
        }
        if let Some(lesson) = lesson {
            let ok = native::count_errors(&problems) == errors_before;
            all.push((lesson, ok));
        }
    }
    (all, problems)
}

/// The catalog the server serves, reloadable while it runs.
pub struct Lessons {
    root: PathBuf,
    current: RwLock<Arc<Catalog>>,
}

impl Lessons {
    /// Loads `root`, logging every problem; a broken lesson is left out, never fatal.
    pub fn load(root: &Path) -> Lessons {
        let lessons = Lessons {
            root: root.to_path_buf(),
            current: RwLock::new(Arc::new(Catalog::default())),
        };
        lessons.reload();
        lessons
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the folder again and swaps the catalog in one go.
    pub fn reload(&self) -> usize {
        let catalog = Catalog::load(&self.root);
        for problem in &catalog.problems {
            match problem.severity {
                Severity::Error => tracing::warn!("lesson left out: {problem}"),
                Severity::Warning => tracing::warn!("lesson warning: {problem}"),
            }
        }
        let count = catalog.lessons.len();
        tracing::info!(lessons = count, folder = %self.root.display(), "lessons loaded");
        *self.current.write().expect("lessons lock") = Arc::new(catalog);
        count
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.current.read().expect("lessons lock").clone()
    }

    pub fn get(&self, slug: &str) -> Option<Arc<Lesson>> {
        self.catalog().get(slug)
    }
}

/// The catalog's image names, asked of the engine at most every 15 seconds.
#[derive(Default)]
pub struct ImageNames {
    cached: tokio::sync::Mutex<Option<(std::time::Instant, Arc<Vec<String>>)>>,
}

impl ImageNames {
    const FRESH: std::time::Duration = std::time::Duration::from_secs(15);

    pub async fn names(
        &self,
        runtime: &dyn crate::runtime::Runtime,
    ) -> Result<Arc<Vec<String>>, crate::runtime::RuntimeError> {
        let mut cached = self.cached.lock().await;
        if let Some((at, names)) = cached.as_ref() {
            if at.elapsed() < Self::FRESH {
                return Ok(names.clone());
            }
        }
        let names = Arc::new(runtime.catalog_names().await?);
        *cached = Some((std::time::Instant::now(), names.clone()));
        Ok(names)
    }
}

/// Images of `lesson` that `available` (catalog names) lacks; none for `shell` lessons'
/// purposes too, as a lesson's images are pulled by the Docker inside its nodes.
pub fn missing_images(lesson: &Lesson, available: &[String]) -> Vec<String> {
    lesson
        .images
        .iter()
        .filter(|image| !available.contains(&full_image_name(image)))
        .cloned()
        .collect()
}

fn render_page(source: &model::PageSource, lang: Lang, fallback_title: &str) -> Page {
    match source.markdown.pick(lang) {
        Some((used, text)) => {
            let rendered = markdown::render(text);
            Page {
                title: source
                    .title
                    .clone()
                    .or(rendered.title)
                    .unwrap_or_else(|| fallback_title.to_string()),
                html: rendered.html,
                lang: used,
            }
        }
        None => Page {
            title: source
                .title
                .clone()
                .unwrap_or_else(|| fallback_title.to_string()),
            html: String::new(),
            lang,
        },
    }
}

/// The catalog entry of `lesson` in `lang` for a student who passed `passed` steps.
pub fn summary(lesson: &Lesson, lang: Lang, passed: u16, available: &[String]) -> LessonSummary {
    let (used, title) = lesson.title.pick(lang).unwrap_or((lang, &lesson.slug));
    let summary = lesson
        .summary
        .pick(used)
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    LessonSummary {
        slug: lesson.slug.clone(),
        title: title.to_string(),
        summary,
        lang: used,
        langs: lesson.complete_langs(),
        duration: lesson.duration,
        profile: lesson.profile,
        nodes: lesson.nodes,
        steps: lesson.steps.len() as u16,
        passed,
        missing_images: missing_images(lesson, available),
    }
}

/// Every page of `lesson` in `lang` (pages not written in it fall back, and say so).
pub fn view(lesson: &Lesson, lang: Lang, passed: Vec<u16>, available: &[String]) -> LessonView {
    let count = passed.iter().filter(|n| lesson.step(**n).is_some()).count() as u16;
    let (step_word, intro_word, finish_word) = match lang {
        Lang::En => ("Step", "Introduction", "Well done"),
        Lang::Fr => ("Étape", "Introduction", "Bravo"),
    };
    LessonView {
        summary: summary(lesson, lang, count, available),
        intro: render_page(&lesson.intro, lang, intro_word),
        steps: lesson
            .steps
            .iter()
            .map(|step| StepView {
                number: step.number,
                page: render_page(&step.page, lang, &format!("{step_word} {}", step.number)),
                checked: step.verify.is_some(),
            })
            .collect(),
        finish: render_page(&lesson.finish, lang, finish_word),
        unlock: lesson.unlock,
        passed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lessons_load_without_errors() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons"));
        let catalog = Catalog::load(root);
        let errors: Vec<String> = catalog
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}
