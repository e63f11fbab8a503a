//! Reusable pieces of the pages: banners, the countdown and lifetime controls, node and
//! terminal tabs, the terminal with its right-click menu, the font size control, the start
//! button and the "session ended" panel.

pub mod banner;
pub mod context_menu;
pub mod countdown;
pub mod ended;
pub mod font_size;
pub mod lifecycle;
pub mod node_tabs;
pub mod start_button;
pub mod term_tabs;
pub mod terminal;
