//! wasm-bindgen bindings to asciinema-player (the `AsciinemaPlayer` global index.html
//! loads) and `Player`, the owner of one player, disposed of when dropped.

use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Object)]
    type JsPlayer;

    #[wasm_bindgen(catch, js_namespace = AsciinemaPlayer, js_name = create)]
    fn create(src: &str, parent: &HtmlElement, options: &JsValue) -> Result<JsPlayer, JsValue>;
    #[wasm_bindgen(method)]
    fn dispose(this: &JsPlayer);
}

/// A recording playing in the page, with its controls (play, pause, seek, speed).
pub struct Player(JsPlayer);

impl Player {
    /// Plays the recording at `url` in `parent`, fitted to its width, from the start.
    pub fn open(url: &str, parent: &HtmlElement) -> Option<Player> {
        let options = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = js_sys::Reflect::set(&options, &key.into(), &value);
        };
        set("autoPlay", true.into());
        set("fit", "width".into());
        set("idleTimeLimit", 2.into());
        set("controls", true.into());
        create(url, parent, &options).ok().map(Player)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.0.dispose();
    }
}
