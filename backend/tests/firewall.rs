//! The host firewall fails closed, against the real engine and iptables: while this instance's
//! rules cannot be set (an iptables that refuses, as for a server not run as root), no session
//! starts and the API says why; once they can, the keeper puts them in place (IPv4 and, where
//! the host has IPv6, IPv6) and sessions start; when the server stops, its rules go.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use common::{TestServer, PATIENCE};
use quai::runtime::firewall::Firewall;
use quai_protocol::ApiError;

/// A stand-in for `tool` that refuses like iptables run without root, until `ok` exists.
fn refusing(dir: &std::path::Path, tool: &str) -> String {
    let path = dir.join(tool);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ -e '{}' ]; then exec \"$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v {tool})\" \"$@\"; fi\necho '{tool} v1.8.9 (nf_tables): Permission denied (you must be root)' >&2\nexit 4\n",
            dir.join("ok").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn rules(tool: &str) -> String {
    let mut all = String::new();
    for chain in ["INPUT", "FORWARD", "DOCKER-USER"] {
        let out = Command::new(tool).args(["-S", chain]).output().unwrap();
        all.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    all
}

#[tokio::test]
async fn no_session_starts_until_the_host_firewall_is_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (iptables, ip6tables) = (
        refusing(dir.path(), "iptables"),
        refusing(dir.path(), "ip6tables"),
    );
    let server = TestServer::start_with("firewall", |c| {
        c.iptables = iptables;
        c.ip6tables = ip6tables;
    })
    .await;
    let comment = format!(
        "quai:{}",
        &Firewall::for_instance(&server.instance).bridge("0123456789")[..5]
    );
    let refused = server
        .http
        .post(server.url("/api/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    let body: ApiError = refused.json().await.unwrap();
    assert!(
        body.message.contains("firewall") && body.message.contains("Permission denied"),
        "{}",
        body.message
    );
    assert!(!rules("iptables").contains(&comment));

    // The operator fixes it: within the keeper's round, the rules are in and sessions start.
    std::fs::write(dir.path().join("ok"), "").unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let status = server
            .http
            .post(server.url("/api/sessions"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 201 {
            break;
        }
        assert_eq!(status, 503);
        assert!(
            tokio::time::Instant::now() < deadline,
            "sessions never started"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let v4 = rules("iptables");
    assert!(
        v4.lines()
            .any(|l| l.starts_with("-A INPUT") && l.contains(&comment) && l.ends_with("-j DROP")),
        "{v4}"
    );
    assert!(
        v4.contains("169.254.0.0/16") && v4.contains(&comment),
        "{v4}"
    );
    if std::path::Path::new("/proc/net/if_inet6").exists() {
        let v6 = rules("ip6tables");
        assert!(
            v6.lines()
                .any(|l| l.starts_with("-A INPUT") && l.contains(&comment)),
            "{v6}"
        );
    }
    server.stop().await;
    assert!(
        !rules("iptables").contains(&comment),
        "the rules outlived the server"
    );
}
