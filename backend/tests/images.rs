//! `quai images import` and `list` against the real engine: a `docker save` archive joins
//! the catalog under its name; a tampered or truncated one is refused with the file that
//! failed, and the engine is left exactly as it was.

use std::process::Command;

use quai::images::{self, ArchiveError, ImagesError};

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn an_archive_joins_the_catalog_and_a_corrupt_one_changes_nothing() {
    let engine = bollard::Docker::connect_with_defaults().unwrap();
    let suffix = &quai::session::token::new_session_id()[..8];
    let name = format!("quai-import-{suffix}:1");
    let dir = std::env::temp_dir().join(format!("quai-import-{suffix}"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.tar");
    docker(&["tag", "quai/hello-world:latest", &name]);
    docker(&["save", "-o", good.to_str().unwrap(), &name]);
    docker(&["rmi", &name]);

    // Tampered: one byte of the largest file (the layer) flipped. Truncated: half the archive.
    let mut bytes = std::fs::read(&good).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let tampered = dir.join("tampered.tar");
    std::fs::write(&tampered, &bytes).unwrap();
    let truncated = dir.join("truncated.tar");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..middle]).unwrap();

    let refused = images::import(&engine, &tampered).await.unwrap_err();
    assert!(
        matches!(refused, ImagesError::Refused { source: ArchiveError::Digest { ref file, .. }, .. } if file.ends_with("layer.tar")),
        "the tampered layer was not named: {refused:?}"
    );
    let cut = images::import(&engine, &truncated).await.unwrap_err();
    assert!(
        matches!(
            cut,
            ImagesError::Refused {
                source: ArchiveError::Unreadable(_),
                ..
            }
        ),
        "{cut:?}"
    );
    // Neither the archive's name nor its catalog name exists: nothing was loaded or tagged.
    for absent in [name.clone(), format!("quai/catalog/{name}")] {
        let inspect = Command::new("docker")
            .args(["image", "inspect", &absent])
            .output()
            .unwrap();
        assert!(
            !inspect.status.success(),
            "a refused archive left {absent} behind"
        );
    }

    let added = images::import(&engine, &good).await.unwrap();
    assert_eq!(added, vec![name.clone()]);
    let listed = images::list(&engine).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.name == name && e.id.starts_with("sha256:")),
        "{listed:?}"
    );

    docker(&["rmi", &format!("quai/catalog/{name}"), &name]);
    std::fs::remove_dir_all(dir).ok();
}
