//! Turns a lesson page's markdown into the sanitised HTML the browser shows: click-to-run and
//! copyable code blocks (Quai's `run` info strings and Killercoda's `{{exec}}` marks), hints in
//! `<details>`, and nothing a lesson author could use to run script in a student's page.

use std::collections::HashSet;

use pulldown_cmark::TagEnd;
use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag};

/// A rendered page: its title (the first `# ` heading, removed from the body) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: Option<String>,
    pub html: String,
}

/// What a fenced block's info string asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockMode {
    pub run: bool,
    pub node: Option<String>,
    pub interrupt: bool,
    pub language: Option<String>,
}

/// Reads `bash run=node2 interrupt`: words `run`, `run=NODE`, `interrupt`, and a language.
pub fn block_mode(info: &str) -> BlockMode {
    let mut mode = BlockMode::default();
    for word in info.split(|c: char| c.is_whitespace() || c == ',') {
        match word {
            "" => {}
            "run" | "exec" => mode.run = true,
            "interrupt" => mode.interrupt = true,
            "copy" => {}
            _ => {
                if let Some(node) = word.strip_prefix("run=") {
                    mode.run = true;
                    mode.node = Some(node.to_string());
                } else if mode.language.is_none() && !word.contains('=') {
                    mode.language = Some(word.to_string());
                }
            }
        }
    }
    mode
}

/// Rewrites Killercoda's fenced marks (a closing fence followed by `{{exec}}`,
/// `{{exec interrupt}}` or `{{copy}}`) into Quai info strings on the opening fence.
pub fn convert_killercoda_fences(markdown: &str) -> String {
    let mut lines: Vec<String> = markdown.lines().map(str::to_string).collect();
    let mut open: Option<(usize, String)> = None;
    for index in 0..lines.len() {
        let trimmed = lines[index].trim_start().to_string();
        let fence: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        if fence.len() < 3 || !(fence.chars().all(|c| c == '`') || fence.chars().all(|c| c == '~'))
        {
            continue;
        }
        match &open {
            None => open = Some((index, fence)),
            Some((start, opening)) if fence.len() >= opening.len() => {
                let mark = trimmed[fence.len()..].trim();
                let extra = match mark {
                    "{{exec}}" | "{{execute}}" => Some("run"),
                    "{{exec interrupt}}" | "{{execute interrupt}}" => Some("run interrupt"),
                    "{{copy}}" => Some(""),
                    _ => None,
                };
                if let Some(extra) = extra {
                    let indent = &lines[index][..lines[index].len() - trimmed.len()];
                    lines[index] = format!("{indent}{fence}");
                    if !extra.is_empty() {
                        lines[*start] = format!("{} {extra}", lines[*start].trim_end());
                    }
                }
                open = None;
            }
            Some(_) => {}
        }
    }
    let mut out = lines.join("\n");
    if markdown.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn code_block_html(mode: &BlockMode, code: &str) -> String {
    let class = mode
        .language
        .as_deref()
        .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|l| format!(" class=\"language-{l}\""))
        .unwrap_or_default();
    let code = code.strip_suffix('\n').unwrap_or(code);
    if mode.run {
        let node = mode
            .node
            .as_deref()
            .map(|n| format!(" data-node=\"{}\"", escape(n)))
            .unwrap_or_default();
        let interrupt = if mode.interrupt {
            " data-interrupt=\"true\""
        } else {
            ""
        };
        format!(
            "<pre class=\"quai-run\"{node}{interrupt}><code{class}>{}</code></pre>\n",
            escape(code)
        )
    } else {
        format!(
            "<pre class=\"quai-copy\"><code{class}>{}</code></pre>\n",
            escape(code)
        )
    }
}

/// Rewrites Killercoda's port links (`{{TRAFFIC_HOST1_80}}`, host 1 to 5) and Katacoda's
/// (`https://[[HOST_SUBDOMAIN]]-80-[[KATACODA_HOST]].environments.katacoda.com`,
/// `[[HOST2_SUBDOMAIN]]` for the second host) into Quai's (`/p/quai-session/node1/80`, see
/// `PORT_LINK_PREFIX`); anything else is left as it is.
pub fn convert_traffic_links(markdown: &str) -> String {
    convert_katacoda_links(&convert_killercoda_links(markdown))
}

fn port_link(host: u8, port: u16) -> String {
    format!(
        "{}node{host}/{port}",
        quai_protocol::lessons::PORT_LINK_PREFIX
    )
}

fn convert_katacoda_links(markdown: &str) -> String {
    const OPEN: &str = "https://[[HOST";
    const CLOSE: &str = "-[[KATACODA_HOST]].environments.katacoda.com";
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        // `_SUBDOMAIN]]-80` or `2_SUBDOMAIN]]-80`, then the closing part.
        let link = after.split_once(CLOSE).and_then(|(inside, tail)| {
            let (host, port) = inside.split_once("_SUBDOMAIN]]-")?;
            let host: u8 = if host.is_empty() {
                1
            } else {
                host.parse().ok().filter(|h| (1..=5).contains(h))?
            };
            let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
            Some((port_link(host, port), tail))
        });
        match link {
            Some((link, tail)) => {
                out.push_str(&link);
                rest = tail;
            }
            None => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn convert_killercoda_links(markdown: &str) -> String {
    const OPEN: &str = "{{TRAFFIC_HOST";
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let link = after.split_once("}}").and_then(|(inside, tail)| {
            let (host, port) = inside.split_once('_')?;
            let host: u8 = host.parse().ok().filter(|h| (1..=5).contains(h))?;
            let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
            Some((port_link(host, port), tail))
        });
        match link {
            Some((link, tail)) => {
                out.push_str(&link);
                rest = tail;
            }
            None => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Renders a page; Killercoda marks are understood in every lesson.
pub fn render(markdown: &str) -> Rendered {
    let source = convert_killercoda_fences(&convert_traffic_links(markdown));
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut events: Vec<Event> = Vec::new();
    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut title_done = false;
    let mut block: Option<(BlockMode, String)> = None;
    let mut parser = Parser::new_ext(&source, options).peekable();
    while let Some(event) = parser.next() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) if !title_done => {
                in_title = true;
                title = Some(String::new());
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if in_title => {
                in_title = false;
                title_done = true;
            }
            Event::Text(text) | Event::Code(text) if in_title => {
                if let Some(title) = title.as_mut() {
                    title.push_str(&text);
                }
            }
            _ if in_title => {}
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                block = Some((block_mode(&info), String::new()));
            }
            Event::Text(text) if block.is_some() => {
                if let Some((_, code)) = block.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((mode, code)) = block.take() {
                    events.push(Event::Html(CowStr::from(code_block_html(&mode, &code))));
                }
            }
            Event::Code(code) => {
                // Killercoda's inline marks: `cmd`{{exec}}, `cmd`{{exec interrupt}}, `cmd`{{copy}}.
                let next = match parser.peek() {
                    Some(Event::Text(text)) => text.to_string(),
                    _ => String::new(),
                };
                let marks = [
                    ("{{exec interrupt}}", Some(true)),
                    ("{{execute interrupt}}", Some(true)),
                    ("{{exec}}", Some(false)),
                    ("{{execute}}", Some(false)),
                    ("{{copy}}", None),
                ];
                match marks.iter().find(|(mark, _)| next.starts_with(mark)) {
                    Some((mark, run)) => {
                        parser.next();
                        let html = match run {
                            Some(interrupt) => format!(
                                "<code class=\"quai-run\"{}>{}</code>",
                                if *interrupt {
                                    " data-interrupt=\"true\""
                                } else {
                                    ""
                                },
                                escape(&code)
                            ),
                            None => format!("<code class=\"quai-copy\">{}</code>", escape(&code)),
                        };
                        events.push(Event::InlineHtml(CowStr::from(html)));
                        let rest = next[mark.len()..].to_string();
                        if !rest.is_empty() {
                            events.push(Event::Text(CowStr::from(rest)));
                        }
                    }
                    None => events.push(Event::Code(code)),
                }
            }
            other => events.push(other),
        }
    }
    let mut raw = String::new();
    html::push_html(&mut raw, events.into_iter());
    Rendered {
        title: title
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        html: sanitize(&raw),
    }
}

/// Keeps what lesson pages need and drops scripts, handlers, styles and frames.
pub fn sanitize(raw: &str) -> String {
    let classes_pre: HashSet<&str> = ["quai-run", "quai-copy"].into();
    let classes_code: HashSet<&str> = [
        "quai-run",
        "quai-copy",
        "language-bash",
        "language-sh",
        "language-shell",
        "language-console",
        "language-dockerfile",
        "language-Dockerfile",
        "language-docker",
        "language-yaml",
        "language-yml",
        "language-python",
        "language-json",
        "language-toml",
        "language-text",
        "language-plain",
        "language-ini",
        "language-html",
        "language-r",
    ]
    .into();
    ammonia::Builder::default()
        .add_tags(["details", "summary"])
        .add_tag_attributes("details", ["open"])
        .add_tag_attributes("pre", ["data-node", "data-interrupt"])
        .add_tag_attributes("code", ["data-interrupt"])
        .add_allowed_classes("pre", classes_pre)
        .add_allowed_classes("code", classes_code)
        .clean(raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_blocks_become_click_to_run_and_others_copyable() {
        let page = render(
            "# Start\n\nRun it:\n\n```bash run\ndocker run hello-world\n```\n\n```dockerfile\nFROM debian\n```\n\n```sh run=node2 interrupt\nls <dir>\n```\n",
        );
        assert_eq!(page.title.as_deref(), Some("Start"));
        assert!(!page.html.contains("<h1>"), "{}", page.html);
        assert!(
            page.html.contains("<pre class=\"quai-run\"><code class=\"language-bash\">docker run hello-world</code></pre>"),
            "{}",
            page.html
        );
        assert!(
            page.html.contains("<pre class=\"quai-copy\"><code class=\"language-dockerfile\">FROM debian</code></pre>"),
            "{}",
            page.html
        );
        assert!(
            page.html.contains("data-node=\"node2\"")
                && page.html.contains("data-interrupt=\"true\""),
            "{}",
            page.html
        );
        assert!(page.html.contains("ls &lt;dir&gt;"), "{}", page.html);
    }

    #[test]
    fn traffic_links_become_links_to_the_port_preview() {
        let page = render(
            "Open [the app]({{TRAFFIC_HOST1_80}}) or [its API]({{TRAFFIC_HOST2_8080}}/api).\n\nLeft alone: {{TRAFFIC_HOST9_80}} {{TRAFFIC_HOST1_x}} {{TRAFFIC_HOST1_80",
        );
        assert!(
            page.html.contains(
                "<a href=\"/p/quai-session/node1/80\" rel=\"noopener noreferrer\">the app</a>"
            ),
            "{}",
            page.html
        );
        assert!(
            page.html
                .contains("href=\"/p/quai-session/node2/8080/api\""),
            "{}",
            page.html
        );
        assert!(
            page.html.contains(
                "Left alone: {{TRAFFIC_HOST9_80}} {{TRAFFIC_HOST1_x}} {{TRAFFIC_HOST1_80"
            ),
            "{}",
            page.html
        );
        let katacoda = render(
            "[One](https://[[HOST_SUBDOMAIN]]-80-[[KATACODA_HOST]].environments.katacoda.com/) and [two](https://[[HOST2_SUBDOMAIN]]-8080-[[KATACODA_HOST]].environments.katacoda.com/api)",
        );
        assert!(
            katacoda.html.contains("href=\"/p/quai-session/node1/80/\"")
                && katacoda
                    .html
                    .contains("href=\"/p/quai-session/node2/8080/api\""),
            "{}",
            katacoda.html
        );
    }

    #[test]
    fn killercoda_marks_are_understood() {
        let page = render(
            "Start a server:\n\n```\npython3 -m http.server\n```{{exec}}\n\nStop it:\n\n```\nclear\n```{{exec interrupt}}\n\nCopy `docker ps`{{copy}} or run `docker ps -a`{{exec}} now.\n",
        );
        assert!(page.title.is_none());
        assert!(
            page.html
                .contains("<pre class=\"quai-run\"><code>python3 -m http.server</code></pre>"),
            "{}",
            page.html
        );
        assert!(
            page.html.contains(
                "<pre class=\"quai-run\" data-interrupt=\"true\"><code>clear</code></pre>"
            ),
            "{}",
            page.html
        );
        assert!(
            page.html
                .contains("<code class=\"quai-run\">docker ps -a</code> now."),
            "{}",
            page.html
        );
        assert!(
            page.html
                .contains("<code class=\"quai-copy\">docker ps</code> or"),
            "{}",
            page.html
        );
        assert!(!page.html.contains("{{"), "{}", page.html);
    }

    #[test]
    fn hints_stay_collapsible_and_scripts_are_removed() {
        let page = render(
            "<details><summary>Hint</summary>\n\nUse `docker ps -a`.\n\n</details>\n\n<script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a><iframe src=\"http://e\"></iframe>\n",
        );
        assert!(
            page.html.contains("<details><summary>Hint</summary>"),
            "{}",
            page.html
        );
        assert!(
            page.html.contains("<code>docker ps -a</code>"),
            "{}",
            page.html
        );
        for bad in ["<script", "onerror", "javascript:", "<iframe"] {
            assert!(!page.html.contains(bad), "{bad} in {}", page.html);
        }
    }

    #[test]
    fn authors_cannot_forge_other_classes_or_attributes() {
        let page = render("<pre class=\"quai-run evil\" data-x=\"1\" style=\"x\">ls</pre>\n");
        assert!(page.html.contains("class=\"quai-run\""), "{}", page.html);
        assert!(
            !page.html.contains("evil") && !page.html.contains("style"),
            "{}",
            page.html
        );
    }

    #[test]
    fn info_strings_are_read_word_by_word() {
        assert_eq!(
            block_mode("bash run=node3 interrupt"),
            BlockMode {
                run: true,
                node: Some("node3".into()),
                interrupt: true,
                language: Some("bash".into())
            }
        );
        assert!(!block_mode("").run);
        assert_eq!(block_mode("python").language.as_deref(), Some("python"));
    }
}
