//! The command line of instructors and classes, run as an operator runs it: `quai
//! instructors add` prints a sign-in link, `quai class create --json` prints exactly one
//! JSON line whose links and token work on a server using the same database.

use std::process::Command;

fn quai(database: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_quai"))
        .args(args)
        .env("QUAI_DATABASE", database)
        .env("QUAI_INSTANCE", "cli-test")
        .env("QUAI_LISTEN", "127.0.0.1:9999")
        .env_remove("QUAI_PUBLIC_URL")
        .env(
            "QUAI_LESSONS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons"),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn class_create_json_prints_one_line_with_the_class_s_links_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("quai.db");
    let added = quai(&database, &["instructors", "add", "ada"]);
    assert!(
        added.contains("http://127.0.0.1:9999/teach/welcome#"),
        "{added}"
    );
    let printed = quai(
        &database,
        &[
            "class",
            "create",
            "--title",
            "Docker 101",
            "--seats",
            "3",
            "--profile",
            "shell",
            "--starts-in",
            "5",
            "--json",
        ],
    );
    assert_eq!(printed.lines().count(), 1, "{printed}");
    let line: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    let text = |key: &str| {
        line[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {line}"))
            .to_string()
    };
    let (id, code) = (text("id"), text("code"));
    assert_eq!(code.len(), 6);
    assert_eq!(
        text("join_url"),
        format!("http://127.0.0.1:9999/join/{code}")
    );
    assert_eq!(text("instructor_url"), "http://127.0.0.1:9999/teach");
    assert_eq!(
        text("roster_url"),
        format!("http://127.0.0.1:9999/api/classes/{id}/roster")
    );
    assert_eq!(text("instructor_token").len(), 64);
    let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6, "{keys:?}");

    // A second instructor: the class now needs --instructor.
    quai(&database, &["instructors", "add", "grace"]);
    let out = Command::new(env!("CARGO_BIN_EXE_quai"))
        .args(["class", "create", "--title", "T", "--seats", "1"])
        .env("QUAI_DATABASE", &database)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--instructor"));
    let listed = quai(&database, &["instructors", "list"]);
    assert!(
        listed.contains("ada") && listed.contains("grace"),
        "{listed}"
    );
}
