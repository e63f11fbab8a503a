//! Host firewall rules for session networks, with iptables on the engine's host. Every
//! session bridge is named `qs…` (see `docker::bridge_name`), so a handful of rules match
//! them all: nodes never reach the host itself, cloud metadata or private address ranges,
//! and with `Egress::None` or `Egress::Registry` nothing outside their session but the
//! registry they pull from. Traffic between two sessions is
//! already dropped by the engine's own isolation rules. Rules carry the comment `quai` and
//! are added once, whatever the number of servers.

use std::net::SocketAddrV4;
use std::process::Command;

use crate::config::Egress;

const COMMENT: &str = "quai";
/// Destinations no node may reach, whatever the egress policy.
const FORBIDDEN: &[&str] = &[
    "169.254.0.0/16",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

/// One rule: chain, then match and target.
fn rules(egress: Egress, registry: Option<SocketAddrV4>) -> Vec<(&'static str, Vec<String>)> {
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // INPUT, in order: answers to connections the host opened (the port preview) pass, the rest drop.
    let mut all = vec![
        (
            "INPUT",
            strs(&[
                "-i",
                "qs+",
                "-m",
                "conntrack",
                "--ctstate",
                "ESTABLISHED,RELATED",
                "-j",
                "ACCEPT",
            ]),
        ),
        ("INPUT", strs(&["-i", "qs+", "-j", "DROP"])),
    ];
    // The registry first: it may well sit in a private range (a container on the host).
    if let Some(registry) = registry {
        let (ip, port) = (registry.ip().to_string(), registry.port().to_string());
        all.push((
            "DOCKER-USER",
            strs(&[
                "-i", "qs+", "!", "-o", "qs+", "-d", &ip, "-p", "tcp", "--dport", &port, "-j",
                "ACCEPT",
            ]),
        ));
    }
    for net in FORBIDDEN {
        all.push((
            "DOCKER-USER",
            strs(&["-i", "qs+", "!", "-o", "qs+", "-d", net, "-j", "DROP"]),
        ));
    }
    if matches!(egress, Egress::None | Egress::Registry) {
        all.push((
            "DOCKER-USER",
            strs(&["-i", "qs+", "!", "-o", "qs+", "-j", "DROP"]),
        ));
    }
    all
}

fn iptables(args: &[String]) -> Result<bool, String> {
    let output = Command::new("iptables")
        .args(["-w", "5"])
        .args(args)
        .output()
        .map_err(|e| format!("iptables cannot run: {e}"))?;
    if output.status.success() {
        return Ok(true);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if args.first().map(String::as_str) == Some("-C") {
        return Ok(false);
    }
    Err(format!(
        "iptables {} failed: {}",
        args.join(" "),
        stderr.trim()
    ))
}

/// Adds the rules that are missing. Rules are inserted at the top of their chain in
/// reverse, so they keep the order of `rules`.
pub fn enforce(egress: Egress, registry: Option<SocketAddrV4>) -> Result<usize, String> {
    // Servers started at once in one process must not both see a rule missing and add it.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if egress == Egress::Open {
        remove_closed_egress()?;
    }
    let mut added = 0;
    let wanted = rules(egress, registry);
    for (chain, rule) in wanted.iter().rev() {
        let mut spec = rule.clone();
        spec.extend([
            "-m".to_string(),
            "comment".to_string(),
            "--comment".to_string(),
            COMMENT.to_string(),
        ]);
        let mut check = vec!["-C".to_string(), chain.to_string()];
        check.extend(spec.iter().cloned());
        if iptables(&check)? {
            continue;
        }
        let mut insert = vec!["-I".to_string(), chain.to_string(), "1".to_string()];
        insert.extend(spec);
        iptables(&insert)?;
        added += 1;
    }
    Ok(added)
}

/// Removes the rule that closes egress, left by a server started with `none` or `registry`,
/// when this one opens it.
fn remove_closed_egress() -> Result<(), String> {
    let closing = rules(Egress::None, None).pop().expect("the closing rule").1;
    let mut delete = vec!["-D".to_string(), "DOCKER-USER".to_string()];
    delete.extend(closing);
    delete.extend([
        "-m".to_string(),
        "comment".to_string(),
        "--comment".to_string(),
        COMMENT.to_string(),
    ]);
    let mut check = delete.clone();
    check[0] = "-C".to_string();
    while iptables(&check)? {
        iptables(&delete)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_keeps_nodes_away_from_the_host_metadata_and_private_ranges() {
        for egress in [Egress::Open, Egress::None, Egress::Registry] {
            let all = rules(egress, None);
            assert!(all
                .iter()
                .any(|(c, r)| *c == "INPUT" && r.ends_with(&["DROP".to_string()])));
            assert!(all
                .iter()
                .any(|(_, r)| r.contains(&"169.254.0.0/16".to_string())));
            assert!(all
                .iter()
                .any(|(_, r)| r.contains(&"10.0.0.0/8".to_string())));
        }
    }

    #[test]
    fn no_egress_drops_everything_leaving_the_session() {
        let none = rules(Egress::None, None);
        assert!(none
            .last()
            .unwrap()
            .1
            .ends_with(&["-j".to_string(), "DROP".to_string()]));
        assert_eq!(none.len(), rules(Egress::Open, None).len() + 1);
    }

    #[test]
    fn the_registry_is_accepted_before_the_private_ranges_are_dropped() {
        let registry: SocketAddrV4 = "172.17.0.2:5000".parse().unwrap();
        let all = rules(Egress::Registry, Some(registry));
        let accept = all
            .iter()
            .position(|(_, r)| r.contains(&"172.17.0.2".to_string()))
            .unwrap();
        let private = all
            .iter()
            .position(|(_, r)| r.contains(&"172.16.0.0/12".to_string()))
            .unwrap();
        assert!(accept < private);
        assert!(all[accept].1.ends_with(&["ACCEPT".to_string()]));
        assert!(all
            .last()
            .unwrap()
            .1
            .ends_with(&["-j".to_string(), "DROP".to_string()]));
    }
}
