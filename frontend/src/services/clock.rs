//! Waiting in the browser: a pause of some milliseconds on the browser's timer, for code that
//! awaits (a retry, a handshake looked at again).

/// Lets the browser run its other tasks for `ms` milliseconds.
pub async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
