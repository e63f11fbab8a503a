//! wasm-bindgen bindings to xterm.js and its fit and webgl addons (the UMD globals
//! `Terminal`, `FitAddon.FitAddon` and `WebglAddon.WebglAddon` that index.html loads), and
//! `Xterm`, a safe owner of one terminal with its addons and event listeners.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

#[wasm_bindgen]
extern "C" {
    /// `Terminal` from `@xterm/xterm`.
    #[wasm_bindgen(js_name = Terminal)]
    pub type Terminal;

    #[wasm_bindgen(catch, constructor, js_class = "Terminal")]
    fn new(options: &JsValue) -> Result<Terminal, JsValue>;
    #[wasm_bindgen(method)]
    fn open(this: &Terminal, parent: &HtmlElement);
    #[wasm_bindgen(method, js_name = loadAddon)]
    fn load_addon(this: &Terminal, addon: &JsValue);
    /// `loadAddon` may throw (the webgl addon does when WebGL fails late).
    #[wasm_bindgen(method, catch, js_name = loadAddon)]
    fn try_load_addon(this: &Terminal, addon: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = write)]
    fn write_bytes(this: &Terminal, data: &Uint8Array);
    #[wasm_bindgen(method, js_name = write)]
    fn write_bytes_then(this: &Terminal, data: &Uint8Array, callback: &Function);
    #[wasm_bindgen(method, js_name = write)]
    fn write_str(this: &Terminal, data: &str);
    #[wasm_bindgen(method, getter)]
    fn options(this: &Terminal) -> JsValue;
    /// The element `open` made in its parent (`None` before `open`).
    #[wasm_bindgen(method, getter)]
    fn element(this: &Terminal) -> Option<HtmlElement>;
    #[wasm_bindgen(method, js_name = attachCustomKeyEventHandler)]
    fn attach_custom_key_event_handler(this: &Terminal, handler: &Function);
    #[wasm_bindgen(method, js_name = hasSelection)]
    fn has_selection(this: &Terminal) -> bool;
    #[wasm_bindgen(method, js_name = getSelection)]
    fn get_selection(this: &Terminal) -> String;
    #[wasm_bindgen(method)]
    fn paste(this: &Terminal, data: &str);
    #[wasm_bindgen(method)]
    fn reset(this: &Terminal);
    #[wasm_bindgen(method, js_name = resize)]
    fn resize_to(this: &Terminal, cols: u16, rows: u16);
    #[wasm_bindgen(method)]
    fn focus(this: &Terminal);
    #[wasm_bindgen(method)]
    fn dispose(this: &Terminal);
    #[wasm_bindgen(method, getter)]
    fn cols(this: &Terminal) -> u16;
    #[wasm_bindgen(method, getter)]
    fn rows(this: &Terminal) -> u16;
    #[wasm_bindgen(method, js_name = onData)]
    fn on_data(this: &Terminal, listener: &Function) -> Disposable;
    #[wasm_bindgen(method, js_name = onBinary)]
    fn on_binary(this: &Terminal, listener: &Function) -> Disposable;
    #[wasm_bindgen(method, js_name = onResize)]
    fn on_resize(this: &Terminal, listener: &Function) -> Disposable;

    /// What xterm.js returns for a listener: `dispose()` removes it.
    pub type Disposable;
    #[wasm_bindgen(method, js_name = dispose)]
    fn dispose_listener(this: &Disposable);

    /// `{cols, rows}` as passed to `onResize` listeners.
    type Dimensions;
    #[wasm_bindgen(method, getter)]
    fn cols(this: &Dimensions) -> u16;
    #[wasm_bindgen(method, getter)]
    fn rows(this: &Dimensions) -> u16;
}

#[wasm_bindgen]
extern "C" {
    /// `FitAddon.FitAddon` from `@xterm/addon-fit`.
    #[wasm_bindgen(js_namespace = FitAddon, js_name = FitAddon)]
    pub type Fit;
    #[wasm_bindgen(catch, constructor, js_namespace = FitAddon, js_class = "FitAddon")]
    fn new() -> Result<Fit, JsValue>;
    #[wasm_bindgen(method, catch, js_class = "FitAddon")]
    fn fit(this: &Fit) -> Result<(), JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `WebglAddon.WebglAddon` from `@xterm/addon-webgl`.
    #[wasm_bindgen(js_namespace = WebglAddon, js_name = WebglAddon)]
    pub type Webgl;
    #[wasm_bindgen(catch, constructor, js_namespace = WebglAddon, js_class = "WebglAddon")]
    fn new() -> Result<Webgl, JsValue>;
    #[wasm_bindgen(method, js_class = "WebglAddon", js_name = onContextLoss)]
    fn on_context_loss(this: &Webgl, listener: &Function) -> Disposable;
    #[wasm_bindgen(method, js_class = "WebglAddon", js_name = dispose)]
    fn dispose_addon(this: &Webgl);
}

/// How the terminal draws: `webgl` when a WebGL2 context could be had, `dom` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    Webgl,
    Dom,
}

impl Renderer {
    pub fn as_str(self) -> &'static str {
        match self {
            Renderer::Webgl => "webgl",
            Renderer::Dom => "dom",
        }
    }
}

/// The options every Quai terminal starts with: readable monospace at `font_size` pixels,
/// generous scrollback and a dark theme that matches `style.css`.
pub fn default_options(font_size: u8) -> serde_json::Value {
    serde_json::json!({
        "cursorBlink": true,
        "fontFamily": "ui-monospace, 'SFMono-Regular', 'Cascadia Mono', 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace",
        "fontSize": font_size,
        "lineHeight": 1.15,
        "scrollback": 5000,
        "allowProposedApi": false,
        "theme": {
            "background": "#0f1419",
            "foreground": "#d8dee9",
            "cursor": "#f5c06f",
            "cursorAccent": "#0f1419",
            "selectionBackground": "#3a4a5e",
            "black": "#1c2128",
            "red": "#f07178",
            "green": "#a6da95",
            "yellow": "#f5c06f",
            "blue": "#6cb6ff",
            "magenta": "#d2a8ff",
            "cyan": "#76e3ea",
            "white": "#d8dee9",
            "brightBlack": "#6e7681",
            "brightRed": "#ff8f96",
            "brightGreen": "#c3f0b4",
            "brightYellow": "#ffd68a",
            "brightBlue": "#96caff",
            "brightMagenta": "#e2c5ff",
            "brightCyan": "#a5f2f6",
            "brightWhite": "#ffffff"
        }
    })
}

type Listener = (Closure<dyn FnMut(JsValue)>, Disposable);

/// A custom key event handler: `false` keeps the key from xterm.js.
type KeyHandler = Closure<dyn FnMut(web_sys::KeyboardEvent) -> bool>;

/// The loaded webgl addon with its context-loss listener.
type WebglRenderer = (Webgl, Closure<dyn FnMut(JsValue)>, Disposable);

/// One xterm.js terminal opened in an element, with the fit addon and, where WebGL2 works,
/// the webgl renderer. Dropping it removes its listeners and disposes the terminal.
pub struct Xterm {
    term: Terminal,
    parent: HtmlElement,
    fit: Fit,
    renderer: std::cell::Cell<Renderer>,
    listeners: std::cell::RefCell<Vec<Listener>>,
    key_handler: std::cell::RefCell<Option<KeyHandler>>,
    webgl: std::cell::RefCell<Option<WebglRenderer>>,
}

impl Xterm {
    /// Creates a terminal inside `parent` with `font_size` pixel text, drawn by the DOM
    /// renderer, loads the fit addon and fits it to the parent. Fails when xterm.js or its fit
    /// addon did not load. The webgl renderer comes later (`use_webgl`): starting it (a
    /// context, shaders, a glyph atlas) costs tens of milliseconds that the first prompt
    /// would otherwise wait for.
    pub fn open(parent: &HtmlElement, font_size: u8) -> Result<Xterm, JsValue> {
        if let Some(spare) = SPARE.with(|spare| spare.borrow_mut().take()) {
            if let Some(xterm) = spare.adopt(parent, font_size) {
                return Ok(xterm);
            }
        }
        Xterm::open_new(parent, font_size)
    }

    fn open_new(parent: &HtmlElement, font_size: u8) -> Result<Xterm, JsValue> {
        let options = js_sys::JSON::parse(&default_options(font_size).to_string())?;
        let term = Terminal::new(&options)?;
        let fit = Fit::new()?;
        term.load_addon(&fit);
        term.open(parent);
        let xterm = Xterm {
            term,
            parent: parent.clone(),
            fit,
            renderer: std::cell::Cell::new(Renderer::Dom),
            listeners: Default::default(),
            key_handler: Default::default(),
            webgl: Default::default(),
        };
        xterm.fit();
        Ok(xterm)
    }

    pub fn renderer(&self) -> Renderer {
        self.renderer.get()
    }

    /// Draws with the webgl renderer from now on, where WebGL2 works and the page did not ask
    /// for the DOM one; returns the renderer in use.
    pub fn use_webgl(&self) -> Renderer {
        if self.renderer.get() == Renderer::Dom && webgl_wanted() {
            if let Some(webgl) = load_webgl(&self.term) {
                self.webgl.replace(Some(webgl));
                self.renderer.set(Renderer::Webgl);
            }
        }
        self.renderer.get()
    }

    /// Resizes the terminal to fill its parent; does nothing while the parent is hidden.
    pub fn fit(&self) {
        // Under `display:none` the fit addon would read the parent's unresolved "100%" as
        // 100 pixels and shrink the terminal (and its shell) to 10×5.
        if self.parent.offset_width() == 0 || self.parent.offset_height() == 0 {
            return;
        }
        // The fit addon throws while the terminal is not laid out yet; nothing to do then.
        let _ = self.fit.fit();
    }

    pub fn cols(&self) -> u16 {
        self.term.cols()
    }

    pub fn rows(&self) -> u16 {
        self.term.rows()
    }

    /// Writes terminal output. xterm.js keeps the array until it has parsed it, so it must
    /// not be a view into wasm memory.
    pub fn write(&self, data: &Uint8Array) {
        self.term.write_bytes(data);
    }

    /// Writes terminal output and calls `written` once xterm.js has processed it (flow
    /// control acknowledges only what the page has really shown).
    pub fn write_then(&self, data: &Uint8Array, written: impl FnOnce() + 'static) {
        let callback = Closure::once_into_js(written);
        self.term.write_bytes_then(data, callback.unchecked_ref());
    }

    pub fn write_text(&self, text: &str) {
        self.term.write_str(text);
    }

    /// Clears the screen, the scrollback and every mode, as a fresh terminal.
    /// Sets the size in cells (a view of someone else's terminal takes its size).
    pub fn resize(&self, cols: u16, rows: u16) {
        self.term.resize_to(cols, rows);
    }

    pub fn reset(&self) {
        self.term.reset();
    }

    pub fn focus(&self) {
        self.term.focus();
    }

    /// Changes the font size (the caller refits).
    pub fn set_font_size(&self, size: u8) {
        let _ = js_sys::Reflect::set(&self.term.options(), &"fontSize".into(), &size.into());
    }

    fn set_cursor_blink(&self, blink: bool) {
        let _ = js_sys::Reflect::set(&self.term.options(), &"cursorBlink".into(), &blink.into());
    }

    /// Moves this terminal, drawn already, into `parent` at `font_size`, and fits it there:
    /// the spare `warm_up` keeps becomes a page's terminal. `None` (and it is disposed) when it
    /// has no element to move.
    fn adopt(mut self, parent: &HtmlElement, font_size: u8) -> Option<Xterm> {
        let element = self.term.element()?;
        let host = std::mem::replace(&mut self.parent, parent.clone());
        parent.append_child(&element).ok()?;
        host.remove();
        self.set_font_size(font_size);
        self.set_cursor_blink(true);
        self.fit();
        Some(self)
    }

    /// The selected text, if any.
    pub fn selection(&self) -> Option<String> {
        if self.term.has_selection() {
            Some(self.term.get_selection()).filter(|s| !s.is_empty())
        } else {
            None
        }
    }

    /// Types `text` into the terminal as a paste (bracketed when the shell asked for it).
    pub fn paste(&self, text: &str) {
        self.term.paste(text);
    }

    /// Lets `f` see every key event first; xterm.js ignores those for which it returns
    /// `false`. Replaces the previous handler.
    pub fn on_key(&self, f: impl FnMut(web_sys::KeyboardEvent) -> bool + 'static) {
        let closure = KeyHandler::new(f);
        self.term
            .attach_custom_key_event_handler(closure.as_ref().unchecked_ref());
        self.key_handler.replace(Some(closure));
    }

    /// Calls `f` with what the user types or pastes (a UTF-8 string).
    pub fn on_data(&self, mut f: impl FnMut(String) + 'static) {
        self.listen(Terminal::on_data, move |v| {
            f(v.as_string().unwrap_or_default())
        });
    }

    /// Calls `f` with raw bytes xterm.js reports outside UTF-8 (some mouse modes).
    pub fn on_binary(&self, mut f: impl FnMut(Vec<u8>) + 'static) {
        self.listen(Terminal::on_binary, move |v| {
            // Each character of the string is one byte (0–255).
            let s = v.as_string().unwrap_or_default();
            f(s.chars().map(|c| c as u32 as u8).collect())
        });
    }

    /// Calls `f(cols, rows)` whenever the terminal's size changes.
    pub fn on_resize(&self, mut f: impl FnMut(u16, u16) + 'static) {
        self.listen(Terminal::on_resize, move |v| {
            let d: Dimensions = v.unchecked_into();
            f(d.cols(), d.rows())
        });
    }

    fn listen(
        &self,
        add: fn(&Terminal, &Function) -> Disposable,
        f: impl FnMut(JsValue) + 'static,
    ) {
        let closure = Closure::<dyn FnMut(JsValue)>::new(f);
        let disposable = add(&self.term, closure.as_ref().unchecked_ref());
        self.listeners.borrow_mut().push((closure, disposable));
    }
}

impl Drop for Xterm {
    fn drop(&mut self) {
        for (_, disposable) in self.listeners.borrow_mut().drain(..) {
            disposable.dispose_listener();
        }
        // Disposing the terminal disposes its addons too.
        self.term.dispose();
    }
}

/// What the warm-up writes: what a shell's first screen is made of (a keeper's redraw,
/// colours, a prompt), so that xterm.js's parser has met it before the real one.
const WARM_UP_SCREEN: &[u8] = b"\x1b[?1h\x1b=\x1b[H\x1b[2J\x1b[?12l\x1b[?25h\x1b[?1000l\x1b[?2004l\
\x1b[1;1H\x1b[1;24r\x1b[1;1H\x1b[?25l\x1b[K\r\n\x1b[K\r\n\x1b[K\x1b[?12l\x1b[?25h\x1b[H\
\x1b[32m\x1b[1mroot@node1\x1b(B\x1b[m:\x1b[34m\x1b[1m~\x1b(B\x1b[m# \x1b[?2004h\x1b[K\r\n";

thread_local! {
    /// Whether `warm_up` ran on this page.
    static WARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The terminal `warm_up` opened, drawn and emptied, for the next `Xterm::open` to take.
    static SPARE: std::cell::RefCell<Option<Xterm>> = const { std::cell::RefCell::new(None) };
}

/// Opens a hidden terminal with `font_size` pixel text and writes a screen in it, once per
/// page, then empties it and keeps
/// it as a spare: the first terminal of a playground takes it (`Xterm::open`) instead of
/// starting xterm.js then, which costs tens of milliseconds of the click-to-prompt time (and
/// xterm.js's code is compiled by then for any later terminal). Does nothing without xterm.js.
pub fn warm_up(font_size: u8) {
    if WARMED.with(|warmed| warmed.replace(true)) {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Ok(host), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    let Ok(host) = host.dyn_into::<HtmlElement>() else {
        return;
    };
    // On the screen, for xterm.js draws only what could be seen, but transparent, below the
    // page, and out of reach of the mouse, the keyboard and screen readers.
    let _ = host.set_attribute("aria-hidden", "true");
    let _ = host.set_attribute("inert", "");
    let _ = host.set_attribute("data-test-id", "spare-terminal");
    let _ = host.set_attribute(
        "style",
        "position:fixed;left:0;top:0;width:640px;height:320px;opacity:0;pointer-events:none;z-index:-1",
    );
    if body.append_child(&host).is_err() {
        return;
    }
    match Xterm::open_new(&host, font_size) {
        Ok(xterm) => {
            // A spare blinks no cursor nobody sees.
            xterm.set_cursor_blink(false);
            let xterm = std::rc::Rc::new(xterm);
            let kept = xterm.clone();
            xterm.write_then(&Uint8Array::from(WARM_UP_SCREEN), move || {
                // Emptied once xterm.js has drawn it, after its own write loop returned.
                gloo::timers::callback::Timeout::new(WARM_UP_DRAWN_MS, move || {
                    kept.reset();
                    if let Ok(xterm) = std::rc::Rc::try_unwrap(kept) {
                        SPARE.with(|spare| spare.replace(Some(xterm)));
                    }
                })
                .forget();
            });
        }
        Err(_) => host.remove(),
    }
}

/// How long the warm-up's screen stays before the spare is emptied, for a frame to draw it.
const WARM_UP_DRAWN_MS: u32 = 100;

thread_local! {
    /// Whether this page can have a WebGL2 context, once looked at.
    static WEBGL2: std::cell::OnceCell<bool> = const { std::cell::OnceCell::new() };
}

/// The webgl renderer is used unless the page asks for the DOM one (`?renderer=dom`) or no
/// WebGL2 context can be created (old GPUs, WebGL turned off), which is looked at once.
fn webgl_wanted() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    if let Ok(search) = window.location().search() {
        if let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) {
            if params.get("renderer").as_deref() == Some("dom") {
                return false;
            }
        }
    }
    WEBGL2.with(|known| *known.get_or_init(|| has_webgl2(&window)))
}

fn has_webgl2(window: &web_sys::Window) -> bool {
    let Some(document) = window.document() else {
        return false;
    };
    let Ok(canvas) = document.create_element("canvas") else {
        return false;
    };
    let Ok(canvas) = canvas.dyn_into::<web_sys::HtmlCanvasElement>() else {
        return false;
    };
    matches!(canvas.get_context("webgl2"), Ok(Some(_)))
}

/// Loads the webgl addon, or returns `None` (the DOM renderer stays) when anything throws.
fn load_webgl(term: &Terminal) -> Option<WebglRenderer> {
    let addon = Webgl::new().ok()?;
    term.try_load_addon(&addon).ok()?;
    // On a lost GPU context, dropping the addon makes xterm.js fall back to the DOM renderer.
    let weak: Webgl = AsRef::<JsValue>::as_ref(&addon).clone().unchecked_into();
    let on_loss = Closure::<dyn FnMut(JsValue)>::new(move |_| weak.dispose_addon());
    let disposable = addon.on_context_loss(on_loss.as_ref().unchecked_ref());
    Some((addon, on_loss, disposable))
}
