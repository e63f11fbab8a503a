//! Replays every input kept for the fuzz targets — their corpora (`fuzz/corpus/<target>/`) and
//! the inputs that once made them fail (`fuzz/regressions/<target>/`) — through the same
//! bodies `cargo fuzz` runs, so a parser that breaks a promise again fails `cargo test`.

use std::path::{Path, PathBuf};

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, body) = quai::fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a fuzz target");
    let corpus = inputs("corpus", target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ is empty");
    for path in corpus.iter().chain(&inputs("regressions", target)) {
        let data = std::fs::read(path).expect("a kept input");
        if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
            std::panic::resume_unwind(Box::new(format!(
                "{} fails: {}",
                path.display(),
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("a panic")
            )));
        }
    }
}

#[test]
fn socket_frames_replay() {
    replay("socket_frame");
}

#[test]
fn client_messages_replay() {
    replay("client_msg");
}

#[test]
fn upload_archives_replay() {
    replay("upload_tar");
}

#[test]
fn workspace_archives_replay() {
    replay("workspace_archive");
}

#[test]
fn lesson_tomls_replay() {
    replay("lesson_toml");
}

#[test]
fn lesson_pages_replay() {
    replay("lesson_markdown");
}

#[test]
fn killercoda_indexes_replay() {
    replay("killercoda_index");
}

#[test]
fn image_archives_replay() {
    replay("image_archive");
}

#[test]
fn every_target_is_replayed() {
    let here = include_str!("fuzz_corpus.rs");
    for (name, _) in quai::fuzzing::TARGETS {
        assert!(here.contains(&format!("replay(\"{name}\")")), "{name}");
    }
}
