//! What trying an image does in the new `docker` node: the image is pulled from the catalog;
//! a server image (one that exposes ports) runs in the background as the container `try`,
//! published on its ports so the preview shows them, with a shell beside it; any other runs
//! in the first terminal (`docker run -it --rm IMAGE`), and leaving it lands in the node's
//! shell. Each step is a typed operation on the node (`node_ops`).

use crate::images::full_image_name;
use crate::runtime::Runtime;
use crate::session::node_ops;
use crate::session::Session;

/// Names as students type them: `nginx` rather than `nginx:latest`.
pub fn short(name: &str) -> String {
    name.strip_suffix(":latest").unwrap_or(name).to_string()
}

/// Whether `name` can only be an image reference (so it is safe inside a shell script).
fn plausible(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:@".contains(&b))
        && !name.starts_with(['-', '.', '/'])
}

/// The catalog image the student asked for by typing `asked`, if there is one.
pub fn resolve(asked: &str, available: &[String]) -> Option<String> {
    let asked = asked.trim().to_ascii_lowercase();
    let image = full_image_name(&asked);
    (plausible(&asked) && available.contains(&image)).then_some(image)
}

/// Pulls `image` in node1, then runs it in the background (server images) or sets the first
/// terminal to run it. Returns the ports it serves.
pub async fn prepare(
    runtime: &dyn Runtime,
    session: &Session,
    image: &str,
) -> Result<Vec<u16>, String> {
    let node = session.node("node1").ok_or("the node is missing")?;
    let ports = node_ops::pull_image(runtime, &node, image)
        .await
        .map_err(|why| format!("the node could not pull it: {why}"))?;
    let name = short(image);
    let started = if ports.is_empty() {
        node_ops::greet_first_terminal(
            runtime,
            &node,
            &node_ops::Greeting {
                marker: "tried",
                text: format!(
                    "docker run -it --rm {name}   (exit to come back to the node's shell)"
                ),
                then_run: Some(format!("docker run -it --rm {image}")),
            },
        )
        .await
    } else {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        match node_ops::run_published(runtime, &node, "try", image, &ports).await {
            Ok(()) => {
                node_ops::greet_first_terminal(
                    runtime,
                    &node,
                    &node_ops::Greeting {
                        marker: "told",
                        text: format!(
                            "{name} runs in the background as the container \"try\", published on port {}.\n      Open it from the port above the terminal; docker ps, docker logs try and docker exec -it try sh look inside.",
                            list.join(", ")
                        ),
                        then_run: None,
                    },
                )
                .await
            }
            Err(why) => Err(why),
        }
    };
    started.map_err(|why| format!("the node could not start it: {why}"))?;
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_that_could_be_anything_else_are_refused() {
        assert!(plausible("nginx"));
        assert!(plausible("python:3"));
        assert!(plausible("docker/whalesay:latest"));
        assert!(!plausible("nginx; rm -rf /"));
        assert!(!plausible("$(reboot)"));
        assert!(!plausible("-v"));
        assert!(!plausible(""));
    }

    #[test]
    fn a_typed_name_resolves_to_a_catalog_image_only() {
        let available = vec!["nginx:latest".to_string(), "python:3".to_string()];
        assert_eq!(
            resolve(" NGINX ", &available).as_deref(),
            Some("nginx:latest")
        );
        assert_eq!(resolve("python:3", &available).as_deref(), Some("python:3"));
        assert_eq!(resolve("redis", &available), None);
        assert_eq!(resolve("nginx; reboot", &available), None);
    }
}
