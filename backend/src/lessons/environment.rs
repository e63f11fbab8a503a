//! The environment a Killercoda or Katacoda scenario asks for (`backend.imageid`, and
//! `environment.uilayout` or `interface.layout`), as Quai runs it: every known image is a
//! `docker` playground, a Kubernetes one gives its number of nodes (Kubernetes itself is not
//! provided, and the lesson says so), and anything unknown is a warning, never a refusal.

use quai_protocol::Profile;

/// What Quai makes of a scenario's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub profile: Profile,
    /// Nodes the image asks for (at least 1).
    pub nodes: u8,
    /// The scenario expects a Kubernetes cluster, which Quai does not provide.
    pub kubernetes: bool,
    /// Why part of it was not understood, for `quai lessons check` and the server's log.
    pub warnings: Vec<String>,
}

/// Images of plain machines with Docker Engine: a `docker` node each.
const MACHINES: &[&str] = &[
    "ubuntu",
    "debian",
    "docker",
    "docker-direct",
    "alpine",
    "bash",
    "centos",
    "fedora",
    "rockylinux",
];

/// Layouts Killercoda and Katacoda know; Quai shows each as text beside terminals.
const LAYOUTS: &[&str] = &[
    "terminal",
    "terminal-terminal",
    "editor-terminal",
    "editor-terminal-split",
    "terminal-iframe",
    "terminal-iframe-split",
    "editor-iframe",
    "iframe",
    "ide",
    "ide-terminal",
    "vscode",
];

/// The number in `2nodes`, `3node`, `cluster-2nodes`: the word ending in `node`/`nodes`.
fn node_count(image: &str) -> Option<u8> {
    image.split(['-', '_', ':']).find_map(|word| {
        let digits = word
            .strip_suffix("nodes")
            .or_else(|| word.strip_suffix("node"))?;
        digits.parse::<u8>().ok().filter(|n| (1..=5).contains(n))
    })
}

/// Reads `imageid` and the layout (either may be absent).
pub fn read(imageid: Option<&str>, layout: Option<&str>) -> Environment {
    let mut env = Environment {
        profile: Profile::Docker,
        nodes: 1,
        kubernetes: false,
        warnings: Vec::new(),
    };
    if let Some(image) = imageid.map(str::trim).filter(|i| !i.is_empty()) {
        let lower = image.to_ascii_lowercase();
        let family = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default();
        let family = family.trim_end_matches(|c: char| c.is_ascii_digit());
        let kubernetes = ["kubernetes", "k8s", "k3s", "kubeadm", "minikube", "kind"]
            .iter()
            .any(|k| lower.contains(k));
        if kubernetes {
            env.kubernetes = true;
            env.nodes = node_count(&lower).unwrap_or(if lower.contains("cluster") { 2 } else { 1 });
        } else if MACHINES.contains(&lower.as_str()) || MACHINES.contains(&family) {
            env.nodes = node_count(&lower).unwrap_or(1);
        } else {
            env.warnings.push(format!(
                "`backend.imageid` `{image}` is not an environment Quai knows: the scenario runs in a docker playground of one node"
            ));
        }
    }
    if let Some(layout) = layout.map(str::trim).filter(|l| !l.is_empty()) {
        if !LAYOUTS.contains(&layout) {
            env.warnings.push(format!(
                "layout `{layout}` is not one Quai knows: the scenario shows its text beside terminals"
            ));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_machines_are_docker_playgrounds_of_one_node() {
        for image in [
            "ubuntu",
            "ubuntu:2004",
            "ubuntu-4GB",
            "docker-direct",
            "debian",
        ] {
            let env = read(Some(image), None);
            assert_eq!(
                (env.profile, env.nodes, env.kubernetes),
                (Profile::Docker, 1, false),
                "{image}"
            );
            assert!(env.warnings.is_empty(), "{image}: {:?}", env.warnings);
        }
        assert_eq!(read(None, None).nodes, 1);
    }

    #[test]
    fn a_kubernetes_image_gives_its_nodes_and_says_kubernetes_is_missing() {
        let env = read(Some("kubernetes-kubeadm-2nodes"), Some("terminal"));
        assert_eq!((env.nodes, env.kubernetes), (2, true));
        assert!(env.warnings.is_empty(), "{:?}", env.warnings);
        assert_eq!(read(Some("kubernetes-kubeadm-1node"), None).nodes, 1);
        assert_eq!(read(Some("kubernetes-cluster-running:1.18"), None).nodes, 2);
    }

    #[test]
    fn unknown_images_and_layouts_are_warnings() {
        let env = read(Some("windows-server"), Some("holodeck"));
        assert_eq!((env.profile, env.nodes), (Profile::Docker, 1));
        assert_eq!(env.warnings.len(), 2, "{:?}", env.warnings);
        assert!(env.warnings[0].contains("windows-server"));
        assert!(env.warnings[1].contains("holodeck"));
    }
}
