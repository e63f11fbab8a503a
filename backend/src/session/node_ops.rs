//! Typed operations Quai runs in a node on the student's behalf: pulling an image and reading
//! the ports it exposes, running it in the background published on them, greeting the first
//! terminal. Commands go to the engine as argument lists, never through a shell with the
//! arguments pasted in; the one text written for the shell (the greeting) is quoted here.

use std::time::Duration;

use crate::runtime::{Node, Runtime};

/// Time for one operation (a pull of a large image included).
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `cmd` in `node`; its output when it exits 0, else why not.
async fn run(
    runtime: &dyn Runtime,
    node: &Node,
    cmd: &[&str],
    input: &[u8],
) -> Result<String, String> {
    let out = runtime
        .exec(node, cmd, input, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if out.exit_code == Some(0) {
        Ok(out.output)
    } else {
        let said = out.output.trim();
        Err(if said.is_empty() {
            format!("`{}` failed", cmd.join(" "))
        } else {
            said.to_string()
        })
    }
}

/// Pulls `image` into the node's Docker Engine; returns the TCP ports it exposes.
pub async fn pull_image(
    runtime: &dyn Runtime,
    node: &Node,
    image: &str,
) -> Result<Vec<u16>, String> {
    run(runtime, node, &["docker", "pull", "-q", image], &[]).await?;
    let format = "{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}";
    let exposed = run(
        runtime,
        node,
        &["docker", "image", "inspect", "-f", format, image],
        &[],
    )
    .await?;
    Ok(tcp_ports(&exposed))
}

/// The ports in `docker image inspect`'s `80/tcp 443/tcp` (TCP only).
fn tcp_ports(text: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = text
        .split_whitespace()
        .filter_map(|p| p.strip_suffix("/tcp"))
        .filter_map(|p| p.parse().ok())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Runs `image` in the background as container `name`, each of `ports` published on the
/// same port of the node.
pub async fn run_published(
    runtime: &dyn Runtime,
    node: &Node,
    name: &str,
    image: &str,
    ports: &[u16],
) -> Result<(), String> {
    let publish: Vec<String> = ports.iter().map(|p| format!("{p}:{p}")).collect();
    let mut cmd = vec!["docker", "run", "-d", "--name", name];
    for mapping in &publish {
        cmd.extend(["-p", mapping.as_str()]);
    }
    cmd.push(image);
    run(runtime, node, &cmd, &[]).await.map(|_| ())
}

/// What the first terminal of a node shows once, when its shell starts.
pub struct Greeting {
    /// Remembers, in the node, that the greeting was shown.
    pub marker: &'static str,
    /// Shown after a bold "Quai:".
    pub text: String,
    /// A command the first terminal then runs (the image being tried).
    pub then_run: Option<String>,
}

/// `text` as one single-quoted shell word.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The lines added to the node's `.bashrc` for `greeting`.
fn greeting_script(greeting: &Greeting) -> String {
    let marker = format!("/run/quai/{}", greeting.marker);
    let mut script = format!(
        "\n# Quai: the first terminal of this playground says what runs in it.\nif [ ! -e {marker} ] && [ -t 0 ]; then\n  mkdir -p /run/quai && touch {marker}\n  printf '\\033[1mQuai:\\033[0m %s\\n' {}\n",
        quoted(&greeting.text)
    );
    if let Some(command) = &greeting.then_run {
        script.push_str(&format!("  {command}\n"));
    }
    script.push_str("fi\n");
    script
}

/// Makes the node's first terminal show `greeting` (and run its command) when it starts.
pub async fn greet_first_terminal(
    runtime: &dyn Runtime,
    node: &Node,
    greeting: &Greeting,
) -> Result<(), String> {
    let script = greeting_script(greeting);
    run(
        runtime,
        node,
        &["sh", "-c", "cat >> /root/.bashrc"],
        script.as_bytes(),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposed_tcp_ports_are_read() {
        assert_eq!(tcp_ports("80/tcp 443/tcp 53/udp 80/tcp "), vec![80, 443]);
        assert!(tcp_ports("").is_empty());
    }

    #[test]
    fn a_greeting_is_one_quoted_word_whatever_it_says() {
        let script = greeting_script(&Greeting {
            marker: "told",
            text: "it's $(reboot) `here`".into(),
            then_run: None,
        });
        assert!(script.contains(r"'it'\''s $(reboot) `here`'"), "{script}");
        assert!(script.contains("/run/quai/told"));
        assert!(script.trim_end().ends_with("fi"));
    }
}
