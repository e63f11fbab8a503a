//! Reusable pieces of the pages: banners, the countdown, the terminal, the start button and
//! the "session ended" panel.

pub mod banner;
pub mod countdown;
pub mod ended;
pub mod start_button;
pub mod terminal;
