//! A page of lesson text: the sanitised HTML the server rendered, inserted as it is, then
//! made to work. A click-to-run block (`pre.quai-run`, inline `code.quai-run`) gets a "Run"
//! label, is reachable by keyboard, and on click or Enter goes to `on_run` with the text it
//! shows (never text hidden in it), the node it names (`data-node`) and whether to interrupt
//! first (`data-interrupt="true"`).
//! Every other block (`pre.quai-copy`) gets a copy button (`data-test-id="copy"`). Links that
//! leave Quai open in a new tab, and so do links to a node's port (`PORT_LINK_PREFIX`), which
//! are pointed at the session's own preview; `<details>` hints stay as the browser shows them.
//!
//! Yew renders the container empty and never looks inside it, so the effect below owns its
//! children.

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use crate::i18n::{self, t, use_lang, Lang, Msg};
use crate::services::clipboard;

/// A click-to-run block, as clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBlock {
    pub text: String,
    /// The node whose terminal runs it; the terminal in front when `None`.
    pub node: Option<String>,
    /// Send Ctrl-C first, to stop what runs in the foreground.
    pub interrupt: bool,
}

/// What the terminal should receive for a block's text: its lines, each ended by Enter
/// (`\r`, as the keyboard sends it), without the trailing blank lines.
pub fn keystrokes(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim_end_matches(['\n', ' ', '\t']);
    let mut keys = text.replace('\n', "\r");
    keys.push('\r');
    keys
}

#[derive(Properties, PartialEq)]
pub struct LessonTextProps {
    pub html: AttrValue,
    /// `None`: blocks are not runnable here (no terminal, or the session ended).
    #[prop_or_default]
    pub on_run: Option<Callback<RunBlock>>,
    /// The language of the page's text (which may differ from the interface's).
    pub lang: Lang,
    /// The session whose ports the page's port links open; `None`: they open nothing.
    #[prop_or_default]
    pub session: Option<AttrValue>,
}

#[function_component(LessonText)]
pub fn lesson_text(props: &LessonTextProps) -> Html {
    let ui = use_lang();
    let host = use_node_ref();
    let runnable = props.on_run.is_some();
    {
        let host = host.clone();
        use_effect_with(
            (props.html.clone(), ui, runnable, props.session.clone()),
            move |(html, ui, runnable, session)| {
                if let Some(el) = host.cast::<HtmlElement>() {
                    el.set_inner_html(html);
                    decorate(&el, *ui, *runnable);
                    point_port_links(&el, ui, session.as_deref());
                }
            },
        );
    }
    let onclick = {
        let on_run = props.on_run.clone();
        Callback::from(move |event: MouseEvent| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            if let Ok(Some(button)) = target.closest("button.copy-button") {
                event.prevent_default();
                copy_block(&button, ui);
                return;
            }
            if let Ok(Some(code)) = target.closest("code.quai-copy") {
                copy_inline(&code);
                return;
            }
            // A click inside a link or a summary keeps its usual meaning.
            if target.closest("a, summary").ok().flatten().is_some() {
                return;
            }
            if let (Some(on_run), Ok(Some(block))) =
                (&on_run, target.closest("pre.quai-run, code.quai-run"))
            {
                event.prevent_default();
                on_run.emit(run_block(&block));
            }
        })
    };
    let onkeydown = {
        let on_run = props.on_run.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() != "Enter" && event.key() != " " {
                return;
            }
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let is_block = target
                .matches("pre.quai-run, code.quai-run")
                .unwrap_or(false);
            if let (Some(on_run), true) = (&on_run, is_block) {
                event.prevent_default();
                on_run.emit(run_block(&target));
            }
        })
    };
    html! {
        <div class={classes!("lesson-text", runnable.then_some("lesson-text-runnable"))} ref={host}
            lang={props.lang.code()} data-test-id="lesson-text" {onclick} {onkeydown} />
    }
}

/// Labels the blocks of a freshly inserted page.
fn decorate(root: &HtmlElement, ui: Lang, runnable: bool) {
    for block in select(root, "pre.quai-run") {
        if runnable {
            let _ = block.set_attribute("role", "button");
            let _ = block.set_attribute("tabindex", "0");
            let _ = block.set_attribute("title", t(ui, Msg::RunTitle));
            let _ = block.set_attribute("data-test-id", "run-block");
            if let Some(label) = create(root, "span") {
                label.set_class_name("run-label");
                let _ = label.set_attribute("aria-hidden", "true");
                let text = match block.get_attribute("data-node").filter(|n| !n.is_empty()) {
                    Some(node) => i18n::run_on(ui, &node),
                    None => t(ui, Msg::RunLabel).to_string(),
                };
                label.set_text_content(Some(&format!("▶ {text}")));
                let _ = block.append_child(&label);
            }
        } else {
            // Not runnable here: still copyable.
            add_copy_button(root, &block, ui);
        }
    }
    for code in select(root, "code.quai-run") {
        if runnable {
            let _ = code.set_attribute("role", "button");
            let _ = code.set_attribute("tabindex", "0");
            let _ = code.set_attribute("title", t(ui, Msg::RunTitle));
            let _ = code.set_attribute("data-test-id", "run-inline");
        }
    }
    for block in select(root, "pre.quai-copy") {
        add_copy_button(root, &block, ui);
    }
    // Killercoda's inline `cmd`{{copy}}: a click copies it.
    for code in select(root, "code.quai-copy") {
        let _ = code.set_attribute("role", "button");
        let _ = code.set_attribute("tabindex", "0");
        let _ = code.set_attribute("title", t(ui, Msg::Copy));
    }
    for link in select(root, "a[href^='http://'], a[href^='https://']") {
        let _ = link.set_attribute("target", "_blank");
        let _ = link.set_attribute("rel", "noopener noreferrer");
    }
}

/// Points each link to a node's port at `session`'s preview of it, opening in a new tab;
/// without a session, such a link says what it needs and leads nowhere.
fn point_port_links(root: &HtmlElement, ui: &Lang, session: Option<&str>) {
    let prefix = quai_protocol::lessons::PORT_LINK_PREFIX;
    for link in select(root, &format!("a[href^='{prefix}']")) {
        let href = link.get_attribute("href").unwrap_or_default();
        let below = &href[prefix.len()..];
        match session {
            Some(id) => {
                let _ = link.set_attribute("href", &format!("/p/{id}/{below}"));
                let _ = link.set_attribute("target", "_blank");
                let _ = link.set_attribute("rel", "noopener noreferrer");
                let _ = link.set_attribute("data-test-id", "port-link");
            }
            None => {
                let _ = link.remove_attribute("href");
                let _ = link.set_attribute("title", t(*ui, Msg::PortLinkNeedsPlayground));
            }
        }
    }
}

fn add_copy_button(root: &HtmlElement, block: &Element, ui: Lang) {
    if let Some(button) = create(root, "button") {
        button.set_class_name("copy-button");
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("data-test-id", "copy");
        let _ = button.set_attribute("aria-label", t(ui, Msg::Copy));
        button.set_text_content(Some(t(ui, Msg::Copy)));
        let _ = block.append_child(&button);
    }
}

/// The text the page shows in a block at the moment it is used: each child's `innerText`,
/// which leaves out whatever is not rendered (the inside of a closed `<details>`, hidden
/// elements), and none of what Quai added (the "Run" label, the copy button). A command
/// sent to a terminal or copied is exactly what the student read, never hidden text.
fn block_text(block: &Element) -> String {
    let mut text = String::new();
    let children = block.child_nodes();
    for index in 0..children.length() {
        let Some(node) = children.item(index) else {
            continue;
        };
        if let Some(element) = node.dyn_ref::<HtmlElement>() {
            let added = element.class_list().contains("run-label")
                || element.class_list().contains("copy-button");
            if !added {
                text.push_str(&element.inner_text());
            }
        } else if node.node_type() == web_sys::Node::TEXT_NODE {
            text.push_str(&node.text_content().unwrap_or_default());
        }
    }
    text
}

fn run_block(block: &Element) -> RunBlock {
    RunBlock {
        text: block_text(block),
        node: block.get_attribute("data-node").filter(|n| !n.is_empty()),
        interrupt: block.get_attribute("data-interrupt").as_deref() == Some("true"),
    }
}

/// Copies the text of the block holding `button`, and says so on the button for a moment.
fn copy_block(button: &Element, ui: Lang) {
    let Ok(Some(block)) = button.closest("pre") else {
        return;
    };
    let text = block_text(&block);
    let text = text.trim_end_matches('\n').to_string();
    let button = button.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if clipboard::write_text(&text).await {
            button.set_text_content(Some(&format!("✓ {}", t(ui, Msg::Copied))));
            let _ = button.class_list().add_1("copied");
            Timeout::new(1500, move || {
                button.set_text_content(Some(t(ui, Msg::Copy)));
                let _ = button.class_list().remove_1("copied");
            })
            .forget();
        }
    });
}

/// Copies an inline `code.quai-copy`, and marks it copied for a moment.
fn copy_inline(code: &Element) {
    let text = block_text(code);
    let code = code.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if clipboard::write_text(&text).await {
            let _ = code.class_list().add_1("copied");
            Timeout::new(1500, move || {
                let _ = code.class_list().remove_1("copied");
            })
            .forget();
        }
    });
}

fn select(root: &HtmlElement, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .collect()
}

fn create(root: &HtmlElement, tag: &str) -> Option<Element> {
    root.owner_document()?.create_element(tag).ok()
}

#[cfg(test)]
mod tests {
    use super::keystrokes;

    #[test]
    fn blocks_are_typed_line_by_line_and_end_with_enter() {
        assert_eq!(keystrokes("touch /tmp/quai-ok\n"), "touch /tmp/quai-ok\r");
        assert_eq!(keystrokes("a\nb\n\n"), "a\rb\r");
        assert_eq!(keystrokes("a\r\nb"), "a\rb\r");
        assert_eq!(keystrokes("docker ps"), "docker ps\r");
    }
}
