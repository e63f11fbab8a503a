//! Host firewall rules for one server instance's session networks, with iptables and
//! ip6tables on the engine's host. Every session bridge of an instance is named with the
//! instance's own prefix (`q` and four hex digits of its name's sha256, then the session's id:
//! see `Firewall::bridge`), so a handful of rules match them all: nodes never reach the host
//! itself (IPv4 and IPv6), cloud metadata or private address ranges, and with `Egress::None`
//! or `Egress::Registry` nothing outside their session but the registry they pull from.
//! Traffic between two sessions is already dropped by the engine's own isolation rules.
//!
//! Rules carry the comment `quai:<prefix>`: an instance adds, checks and removes only its own,
//! so one started with `--egress open` never opens another's closed egress. `enforce` is also
//! the check that the rules are in place: it adds what is missing and fails when it cannot,
//! and the server then refuses new sessions (see `Sessions::firewall`).

use std::net::SocketAddrV4;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::config::Egress;

/// Destinations no node may reach, whatever the egress policy.
const FORBIDDEN: &[&str] = &[
    "169.254.0.0/16",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

/// The firewall of one server instance.
#[derive(Debug, Clone)]
pub struct Firewall {
    /// `q` and four hex digits: the start of every session bridge of the instance.
    prefix: String,
    /// The commands that change the IPv4 and IPv6 rules (`iptables`, `ip6tables`).
    pub iptables: String,
    pub ip6tables: String,
}

/// One rule: which tool, chain, then match and target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    v6: bool,
    chain: &'static str,
    spec: Vec<String>,
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Firewall {
    pub fn for_instance(instance: &str) -> Firewall {
        let digest = Sha256::digest(instance.as_bytes());
        Firewall {
            prefix: format!("q{}", &hex::encode(digest)[..4]),
            iptables: "iptables".to_string(),
            ip6tables: "ip6tables".to_string(),
        }
    }

    /// The Linux bridge of a session network: the instance's prefix and 10 hex digits of the
    /// session's id (15 characters, the most a Linux interface name holds).
    pub fn bridge(&self, session: &str) -> String {
        format!("{}{}", self.prefix, &session[..session.len().min(10)])
    }

    fn comment(&self) -> String {
        format!("quai:{}", self.prefix)
    }

    /// The rules of `egress`, in the order they must apply.
    fn rules(&self, egress: Egress, registry: Option<SocketAddrV4>, ipv6: bool) -> Vec<Rule> {
        let bridges = format!("{}+", self.prefix);
        let rule = |v6, chain, spec: Vec<String>| Rule { v6, chain, spec };
        // INPUT, in order: answers to connections the host opened (the port preview) pass,
        // the rest drop.
        let input = |v6| {
            vec![
                rule(
                    v6,
                    "INPUT",
                    strs(&[
                        "-i",
                        &bridges,
                        "-m",
                        "conntrack",
                        "--ctstate",
                        "ESTABLISHED,RELATED",
                        "-j",
                        "ACCEPT",
                    ]),
                ),
                rule(v6, "INPUT", strs(&["-i", &bridges, "-j", "DROP"])),
            ]
        };
        let mut all = input(false);
        // The registry first: it may well sit in a private range (a container on the host).
        if let Some(registry) = registry {
            let (ip, port) = (registry.ip().to_string(), registry.port().to_string());
            all.push(rule(
                false,
                "DOCKER-USER",
                strs(&[
                    "-i", &bridges, "!", "-o", &bridges, "-d", &ip, "-p", "tcp", "--dport", &port,
                    "-j", "ACCEPT",
                ]),
            ));
        }
        for net in FORBIDDEN {
            all.push(rule(
                false,
                "DOCKER-USER",
                strs(&["-i", &bridges, "!", "-o", &bridges, "-d", net, "-j", "DROP"]),
            ));
        }
        if matches!(egress, Egress::None | Egress::Registry) {
            all.push(rule(
                false,
                "DOCKER-USER",
                strs(&["-i", &bridges, "!", "-o", &bridges, "-j", "DROP"]),
            ));
        }
        // Session networks have no IPv6 route, but their bridges have link-local addresses:
        // the host is not reachable over IPv6 either, nor anything through it.
        if ipv6 {
            all.extend(input(true));
            all.push(rule(true, "FORWARD", strs(&["-i", &bridges, "-j", "DROP"])));
        }
        all
    }

    fn run(&self, v6: bool, args: &[String]) -> Result<bool, String> {
        let tool = if v6 { &self.ip6tables } else { &self.iptables };
        let output = Command::new(tool)
            .args(["-w", "5"])
            .args(args)
            .output()
            .map_err(|e| format!("{tool} cannot run: {e}"))?;
        if output.status.success() {
            return Ok(true);
        }
        if args.first().map(String::as_str) == Some("-C") {
            let stderr = String::from_utf8_lossy(&output.stderr);
            // "does a matching rule exist": no. Anything else (no such chain, no permission)
            // is a failure to check.
            if output.status.code() == Some(1) && !stderr.contains("ermission") {
                return Ok(false);
            }
        }
        Err(format!(
            "{tool} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }

    /// Adds the rules that are missing, and checks the others are there. Rules are inserted
    /// at the top of their chain in reverse, so they keep the order of `rules`. Returns how
    /// many were added.
    pub fn enforce(&self, egress: Egress, registry: Option<SocketAddrV4>) -> Result<usize, String> {
        // Servers started at once in one process must not both see a rule missing and add it.
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let ipv6 = std::path::Path::new("/proc/net/if_inet6").exists();
        let mut added = 0;
        for rule in self.rules(egress, registry, ipv6).iter().rev() {
            let mut spec = rule.spec.clone();
            spec.extend(strs(&["-m", "comment", "--comment"]));
            spec.push(self.comment());
            let mut check = vec!["-C".to_string(), rule.chain.to_string()];
            check.extend(spec.iter().cloned());
            if self.run(rule.v6, &check)? {
                continue;
            }
            let mut insert = vec!["-I".to_string(), rule.chain.to_string(), "1".to_string()];
            insert.extend(spec);
            self.run(rule.v6, &insert)?;
            added += 1;
        }
        Ok(added)
    }

    /// Removes every rule of this instance (at start-up and shutdown); returns how many.
    pub fn remove(&self) -> Result<usize, String> {
        let comment = self.comment();
        let mut removed = 0;
        for v6 in [false, true] {
            // `-S` lists rules as the arguments that made them; a tool or chain that is not
            // there holds none of ours.
            let Ok(listed) = self.list(v6) else {
                continue;
            };
            for line in listed.lines() {
                // iptables prints the comment quoted; the rule is deleted by its bare words.
                let words: Vec<String> = line
                    .split_whitespace()
                    .map(|w| w.trim_matches('"').to_string())
                    .collect();
                let ours = words
                    .windows(2)
                    .any(|w| w[0] == "--comment" && w[1] == comment);
                if !ours || words.first().map(String::as_str) != Some("-A") {
                    continue;
                }
                let mut delete = words;
                delete[0] = "-D".to_string();
                self.run(v6, &delete)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn list(&self, v6: bool) -> Result<String, String> {
        let tool = if v6 { &self.ip6tables } else { &self.iptables };
        let mut all = String::new();
        for chain in ["INPUT", "FORWARD", "DOCKER-USER"] {
            let output = Command::new(tool)
                .args(["-w", "5", "-S", chain])
                .output()
                .map_err(|e| format!("{tool} cannot run: {e}"))?;
            if output.status.success() {
                all.push_str(&String::from_utf8_lossy(&output.stdout));
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firewall() -> Firewall {
        Firewall::for_instance("default")
    }

    #[test]
    fn every_policy_keeps_nodes_away_from_the_host_metadata_and_private_ranges() {
        for egress in [Egress::Open, Egress::None, Egress::Registry] {
            let all = firewall().rules(egress, None, true);
            for v6 in [false, true] {
                assert!(all.iter().any(|r| r.v6 == v6
                    && r.chain == "INPUT"
                    && r.spec.ends_with(&["DROP".to_string()])));
            }
            assert!(all
                .iter()
                .any(|r| r.spec.contains(&"169.254.0.0/16".to_string())));
            assert!(all
                .iter()
                .any(|r| r.spec.contains(&"10.0.0.0/8".to_string())));
        }
    }

    #[test]
    fn no_egress_drops_everything_leaving_the_session() {
        let none = firewall().rules(Egress::None, None, false);
        assert!(none
            .last()
            .unwrap()
            .spec
            .ends_with(&["-j".to_string(), "DROP".to_string()]));
        assert_eq!(
            none.len(),
            firewall().rules(Egress::Open, None, false).len() + 1
        );
    }

    #[test]
    fn the_registry_is_accepted_before_the_private_ranges_are_dropped() {
        let registry: SocketAddrV4 = "172.17.0.2:5000".parse().unwrap();
        let all = firewall().rules(Egress::Registry, Some(registry), false);
        let accept = all
            .iter()
            .position(|r| r.spec.contains(&"172.17.0.2".to_string()))
            .unwrap();
        let private = all
            .iter()
            .position(|r| r.spec.contains(&"172.16.0.0/12".to_string()))
            .unwrap();
        assert!(accept < private);
        assert!(all[accept].spec.ends_with(&["ACCEPT".to_string()]));
    }

    #[test]
    fn each_instance_has_bridges_and_rules_of_its_own() {
        let (a, b) = (Firewall::for_instance("a"), Firewall::for_instance("b"));
        let session = "0123456789abcdef0123456789abcdef";
        assert_ne!(a.bridge(session), b.bridge(session));
        assert_eq!(a.bridge(session).len(), 15);
        assert!(a.bridge(session).starts_with(&a.prefix));
        let rule = &a.rules(Egress::Open, None, false)[1];
        assert_eq!(rule.spec[1], format!("{}+", a.prefix));
        assert_ne!(a.comment(), b.comment());
    }
}
