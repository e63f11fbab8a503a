//! Replays every input kept for the fuzz targets — their hand-made seeds (`fuzz/seeds/`), their
//! minimized corpora (`fuzz/corpus/<target>/`) and the inputs that once made them fail
//! (`fuzz/regressions/<target>/`) — through the same bodies `cargo fuzz` runs, so a parser
//! that breaks a promise again fails `cargo test`.

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
    let kept = [inputs("seeds", target), inputs("regressions", target)];
    for path in corpus.iter().chain(kept.iter().flatten()) {
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
fn keeper_frames_replay() {
    replay("keeper_frames");
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

fn seed(target: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// The seeds reach what the targets check on acceptance, not only the refusals.

#[test]
fn seeded_uploads_are_accepted_and_refused_as_users_see() {
    use quai::files::archive::{scan, ArchiveError};
    let limit = 1024 * 1024;
    let plain = scan(seed("upload_tar", "plain").as_slice(), limit).unwrap();
    assert_eq!(plain.paths, ["app", "app/main.py", "app/run.sh"]);
    let gzipped = scan(seed("upload_tar", "plain.tgz").as_slice(), limit).unwrap();
    assert_eq!(gzipped, plain);
    assert!(matches!(
        scan(seed("upload_tar", "dotdot").as_slice(), limit),
        Err(ArchiveError::Escapes(_))
    ));
    assert!(matches!(
        scan(seed("upload_tar", "symlink").as_slice(), limit),
        Err(ArchiveError::NotPlain(_))
    ));
    assert_eq!(
        scan(seed("upload_tar", "huge").as_slice(), limit),
        Err(ArchiveError::TooLarge(1))
    );
}

#[test]
fn a_seeded_workspace_is_accepted_and_a_changed_one_refused() {
    use quai::files::workspace::verify;
    let ok = seed("workspace_archive", "archive-ok");
    let (manifest, per_node) = verify(&ok[1..], 1024 * 1024).unwrap();
    assert_eq!(manifest.nodes, ["node1", "node2"]);
    assert_eq!(per_node.len(), 2);
    let extra = seed("workspace_archive", "archive-extra");
    let refused = verify(&extra[1..], 1024 * 1024).unwrap_err();
    assert!(refused.contains("extra"), "{refused}");
}

#[test]
fn seeded_image_archives_are_accepted_and_a_corrupt_one_refused() {
    use quai::images::archive::check;
    let save = check(seed("image_archive", "docker-save").as_slice()).unwrap();
    assert_eq!(save.names, ["hello:latest"]);
    let oci = check(seed("image_archive", "oci").as_slice()).unwrap();
    assert_eq!(oci.names, ["docker.io/library/hello:latest"]);
    assert!(check(seed("image_archive", "save-corrupt").as_slice()).is_err());
    assert!(check(seed("image_archive", "oci-missing").as_slice()).is_err());
}

#[test]
fn links_hiding_javascript_are_dropped_and_a_c1_control_makes_no_scheme() {
    use quai::lessons::markdown::render;
    // A browser drops tabs in URLs: this is a `javascript:` link, and it goes.
    let html = render("<a href=\"jav&#x09;ascript:alert(1)\">x</a>\n").html;
    assert!(!html.contains("href"), "{html}");
    // Found by fuzzing: U+0090 stays, and a browser reads this as a relative link.
    let html = render("<a href=\"jav&#x90;ascript:x\">x</a>\n").html;
    assert!(html.contains("href=\"jav\u{90}ascript:x\""), "{html}");
}
