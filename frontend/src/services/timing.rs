//! Timing marks for `cargo xtask bench`, readable by any page tool: `performance.mark` at each
//! step from a click on a start button to the first prompt written (`quai:click`,
//! `quai:create-sent`, `quai:create-answered`, `quai:session-read`, `quai:socket-open`,
//! `quai:hello`, `quai:terminal-asked`, `quai:terminal-opened`, `quai:first-output`,
//! `quai:first-written`). And, only when the page was loaded with `window.__quaiBench` set
//! (the bench does it before the page's scripts run), each terminal write xterm.js has
//! finished is handed to `__quaiBench.written(term, data)` at once: the bench times a
//! keystroke's echo or a flood's end marker to the moment xterm.js has written it.

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = performance, js_name = mark)]
    fn performance_mark(name: &str) -> Result<JsValue, JsValue>;
}

/// Marks `quai:<step>` on the page's performance timeline.
pub fn mark(step: &str) {
    let _ = performance_mark(&format!("quai:{step}"));
}

/// The bench's `__quaiBench.written`, when the bench set one.
pub fn hook() -> Option<Function> {
    let bench = Reflect::get(&js_sys::global(), &"__quaiBench".into()).ok()?;
    if bench.is_undefined() || bench.is_null() {
        return None;
    }
    Reflect::get(&bench, &"written".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// Tells the bench's `hook` that xterm.js has written `data` into terminal `term`.
pub fn written(hook: &Function, term: u16, data: &Uint8Array) {
    let _ = hook.call2(&JsValue::NULL, &JsValue::from(term), data);
}
