//! Preferences kept in the browser's localStorage: the terminals' font size, the language
//! chosen in the header, whether the files panel is open, the size the terminals last had
//! (a playground's first terminal is opened at it, before xterm.js has measured its box), and
//! the session last started for each lesson (so that its page can offer to continue in it).

/// Smallest, default and largest terminal font size, in CSS pixels.
pub const MIN_FONT: u8 = 10;
pub const DEFAULT_FONT: u8 = 14;
pub const MAX_FONT: u8 = 24;

const FONT_KEY: &str = "quai.fontSize";

/// Keeps a font size inside `MIN_FONT..=MAX_FONT`.
pub fn clamp_font(size: i32) -> u8 {
    size.clamp(MIN_FONT as i32, MAX_FONT as i32) as u8
}

/// Reads a stored font size; anything unreadable is the default.
pub fn parse_font(stored: Option<&str>) -> u8 {
    stored
        .and_then(|s| s.trim().parse::<i32>().ok())
        .map(clamp_font)
        .unwrap_or(DEFAULT_FONT)
}

/// The font size this browser chose last time.
pub fn font_size() -> u8 {
    parse_font(
        storage()
            .and_then(|s| s.get_item(FONT_KEY).ok().flatten())
            .as_deref(),
    )
}

/// Remembers the font size (silently not, where storage is refused).
pub fn set_font_size(size: u8) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(FONT_KEY, &clamp_font(size.into()).to_string());
    }
}

const LANG_KEY: &str = "quai.lang";

/// The language chosen with the header's switch, if any (`en`, `fr`).
pub fn lang() -> Option<String> {
    storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten())
}

/// Remembers the language chosen.
pub fn set_lang(code: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(LANG_KEY, code);
    }
}

/// The key under which the session last started for lesson `slug` is kept.
pub fn lesson_session_key(slug: &str) -> String {
    format!("quai.lesson.{slug}.session")
}

/// The session last started for lesson `slug` in this browser, if any.
pub fn lesson_session(slug: &str) -> Option<String> {
    storage()
        .and_then(|s| s.get_item(&lesson_session_key(slug)).ok().flatten())
        .filter(|id| !id.is_empty())
}

/// Remembers (or, with `None`, forgets) the session of lesson `slug`.
pub fn set_lesson_session(slug: &str, id: Option<&str>) {
    if let Some(storage) = storage() {
        let key = lesson_session_key(slug);
        let _ = match id {
            Some(id) => storage.set_item(&key, id),
            None => storage.remove_item(&key),
        };
    }
}

const FILES_KEY: &str = "quai.filesOpen";

/// Whether the files panel was open when last left.
pub fn files_open() -> bool {
    storage()
        .and_then(|s| s.get_item(FILES_KEY).ok().flatten())
        .is_some_and(|v| v == "1")
}

/// Remembers whether the files panel is open.
pub fn set_files_open(open: bool) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(FILES_KEY, if open { "1" } else { "0" });
    }
}

const TERM_SIZE_KEY: &str = "quai.termSize";

/// The size a terminal is opened at before its view has measured it, when none was kept.
pub const DEFAULT_TERM_SIZE: (u16, u16) = (80, 24);

/// Reads a stored terminal size, `COLSxROWS`; anything unreadable is the default. The caller
/// keeps it inside what the server accepts.
pub fn parse_term_size(stored: Option<&str>) -> (u16, u16) {
    stored
        .and_then(|s| s.trim().split_once('x'))
        .and_then(|(cols, rows)| Some((cols.parse().ok()?, rows.parse().ok()?)))
        .unwrap_or(DEFAULT_TERM_SIZE)
}

/// The size (columns, rows) this browser's terminals had last.
pub fn term_size() -> (u16, u16) {
    parse_term_size(
        storage()
            .and_then(|s| s.get_item(TERM_SIZE_KEY).ok().flatten())
            .as_deref(),
    )
}

/// Remembers the size of a terminal on screen.
pub fn set_term_size(cols: u16, rows: u16) {
    if term_size() == (cols, rows) {
        return;
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(TERM_SIZE_KEY, &format!("{cols}x{rows}"));
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_sizes_stay_between_10_and_24() {
        assert_eq!(clamp_font(9), 10);
        assert_eq!(clamp_font(-100), 10);
        assert_eq!(clamp_font(15), 15);
        assert_eq!(clamp_font(25), 24);
        assert_eq!(clamp_font(i32::MAX), 24);
    }

    #[test]
    fn stored_font_sizes_are_read_back_or_defaulted() {
        assert_eq!(parse_font(None), DEFAULT_FONT);
        assert_eq!(parse_font(Some("18")), 18);
        assert_eq!(parse_font(Some(" 30 ")), 24);
        assert_eq!(parse_font(Some("big")), DEFAULT_FONT);
    }

    #[test]
    fn stored_terminal_sizes_are_read_back_or_defaulted() {
        assert_eq!(parse_term_size(None), DEFAULT_TERM_SIZE);
        assert_eq!(parse_term_size(Some("132x43")), (132, 43));
        assert_eq!(parse_term_size(Some(" 90x30 ")), (90, 30));
        assert_eq!(parse_term_size(Some("wide")), DEFAULT_TERM_SIZE);
        assert_eq!(parse_term_size(Some("99999999x3")), DEFAULT_TERM_SIZE);
        assert_eq!(parse_term_size(Some("80x")), DEFAULT_TERM_SIZE);
    }
}
