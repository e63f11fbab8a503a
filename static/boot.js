// Starts the Quai app (Yew, WebAssembly). A file of its own, not an inline script: Quai's
// Content-Security-Policy allows scripts from Quai's own files only.
import init from '/dist/quai.js';
init();
