//! The Quai web app: a Yew single-page app compiled to wasm32, talking to the backend over
//! the REST API and one WebSocket per session, with xterm.js terminals.
//!
//! `app` routes to `pages`; pages are built from `components`; `services` do the I/O;
//! `state` is the playground's reducer, kept in a `store`, `workspace` its nodes and
//! terminals, `terminals` where each stands on the socket, `context` what its components
//! share; `lesson` is where a student stands in a lesson; `i18n` holds every
//! sentence in English and French; `xterm` binds xterm.js.

pub mod app;
pub mod components;
pub mod context;
pub mod i18n;
pub mod lesson;
pub mod pages;
pub mod player;
pub mod services;
pub mod state;
pub mod store;
pub mod terminals;
pub mod transfers;
pub mod workspace;
pub mod xterm;

/// Entry point: wasm-bindgen calls it when `init()` in index.html has loaded the module.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn run() {
    // A panic shows in the browser console as a sentence rather than "unreachable".
    std::panic::set_hook(Box::new(|info| {
        gloo::console::error!(format!("Quai: {info}"))
    }));
    if let Some(boot) = gloo::utils::document().get_element_by_id("boot") {
        boot.remove();
    }
    yew::Renderer::<app::App>::new().render();
}
