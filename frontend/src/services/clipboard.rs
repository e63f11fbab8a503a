//! The system clipboard for the terminals: Ctrl+Shift+C / Ctrl+Shift+V and the right-click
//! menu. Uses `navigator.clipboard` where the page may (HTTPS or localhost); copying falls
//! back to `document.execCommand("copy")`, and pasting to the browser's own paste (the
//! terminal's paste event) when the asynchronous API is missing or refused.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A terminal keyboard shortcut handled by the page instead of the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Copy,
    Paste,
}

/// Ctrl+Shift+C and Ctrl+Shift+V (by key or, on other layouts, by physical key).
pub fn shortcut(
    ctrl: bool,
    shift: bool,
    alt: bool,
    meta: bool,
    key: &str,
    code: &str,
) -> Option<Shortcut> {
    if !ctrl || !shift || alt || meta {
        return None;
    }
    match (key.to_ascii_lowercase().as_str(), code) {
        ("c", _) | (_, "KeyC") => Some(Shortcut::Copy),
        ("v", _) | (_, "KeyV") => Some(Shortcut::Paste),
        _ => None,
    }
}

/// `navigator.clipboard` when the page may use it.
fn async_clipboard() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
    (!clipboard.is_undefined() && !clipboard.is_null()).then_some(clipboard)
}

fn method(target: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(target, &name.into()).ok()?.dyn_into().ok()
}

/// Whether `read_text` can work here; when not, the browser's own paste has to.
pub fn can_read() -> bool {
    async_clipboard().is_some_and(|c| method(&c, "readText").is_some())
}

/// Puts `text` on the clipboard.
pub async fn write_text(text: &str) -> bool {
    if let Some(clipboard) = async_clipboard() {
        if let Some(write) = method(&clipboard, "writeText") {
            if let Ok(promise) = write.call1(&clipboard, &text.into()) {
                if let Ok(promise) = promise.dyn_into::<Promise>() {
                    if JsFuture::from(promise).await.is_ok() {
                        return true;
                    }
                }
            }
        }
    }
    copy_with_exec_command(text)
}

/// Reads the clipboard's text; `None` when the browser refuses.
pub async fn read_text() -> Option<String> {
    let clipboard = async_clipboard()?;
    let read = method(&clipboard, "readText")?;
    let promise: Promise = read.call0(&clipboard).ok()?.dyn_into().ok()?;
    JsFuture::from(promise).await.ok()?.as_string()
}

/// The old way: select the text in a hidden textarea and ask the browser to copy.
fn copy_with_exec_command(text: &str) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let (Ok(area), Some(body)) = (document.create_element("textarea"), document.body()) else {
        return false;
    };
    let _ = area.set_attribute("style", "position:fixed;top:-1000px;opacity:0");
    let _ = area.set_attribute("readonly", "");
    let _ = Reflect::set(&area, &"value".into(), &text.into());
    if body.append_child(&area).is_err() {
        return false;
    }
    if let Some(select) = method(&area, "select") {
        let _ = select.call0(&area);
    }
    let copied = method(&document, "execCommand")
        .and_then(|exec| exec.call1(&document, &"copy".into()).ok())
        .and_then(|ok| ok.as_bool())
        .unwrap_or(false);
    area.remove();
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_shift_c_and_v_are_the_shortcuts() {
        assert_eq!(
            shortcut(true, true, false, false, "C", "KeyC"),
            Some(Shortcut::Copy)
        );
        assert_eq!(
            shortcut(true, true, false, false, "V", "KeyV"),
            Some(Shortcut::Paste)
        );
        // Another layout: the key says something else, the physical key decides.
        assert_eq!(
            shortcut(true, true, false, false, "С", "KeyC"),
            Some(Shortcut::Copy)
        );
    }

    #[test]
    fn plain_ctrl_c_still_interrupts_the_shell() {
        assert_eq!(shortcut(true, false, false, false, "c", "KeyC"), None);
        assert_eq!(shortcut(false, true, false, false, "C", "KeyC"), None);
        assert_eq!(shortcut(true, true, true, false, "C", "KeyC"), None);
        assert_eq!(shortcut(true, true, false, true, "V", "KeyV"), None);
        assert_eq!(shortcut(true, true, false, false, "X", "KeyX"), None);
    }
}
