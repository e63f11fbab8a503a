//! Reusable pieces of the pages: banners, the countdown and lifetime controls, node and
//! terminal tabs, the terminal with its right-click menu, the font size control, the start
//! buttons and the "session ended" panel; the language switch and the display name; the
//! lesson catalog, a lesson's text and the lesson panel beside the terminals; a node's port
//! chips, its files panel and text editor, drop targets for uploads and where a transfer
//! stands, the "My work" dialog, and "try an image"; terminal recordings; who watches the session's
//! terminals, and help asked for; a class's roster table and a class seat's raised hand.

pub mod banner;
pub mod catalog;
pub mod class_live;
pub mod context_menu;
pub mod countdown;
pub mod drop_zone;
pub mod editor;
pub mod ended;
pub mod files_panel;
pub mod font_size;
pub mod lang_switch;
pub mod lesson_panel;
pub mod lesson_text;
pub mod lifecycle;
pub mod name_field;
pub mod node_tabs;
pub mod on_air;
pub mod ports;
pub mod raise_hand;
pub mod recordings;
pub mod roster_table;
pub mod start_button;
pub mod start_lesson;
pub mod term_tabs;
pub mod terminal;
pub mod transfer_status;
pub mod try_image;
pub mod viewer;
pub mod watched;
pub mod work_dialog;
