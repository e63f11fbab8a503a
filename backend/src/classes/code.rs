//! Join codes: six characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B,
//! 2/Z: what a room reads off a projector and types on a phone), read back case-blind with
//! spaces and dashes ignored.

use rand::Rng;

/// The characters of a code.
pub const ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
/// Characters in a code.
pub const LEN: usize = 6;

/// A new random code.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The code a student typed, as codes are kept, or `None` when it cannot be one.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_unambiguous_characters() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L', '5', 'S', '8', 'B', '2', 'Z']));
            assert_eq!(normalize(&code), Some(code.clone()));
        }
    }

    #[test]
    fn typed_codes_are_read_case_blind_without_spaces_or_dashes() {
        assert_eq!(normalize(" k7m-xq3 ").as_deref(), Some("K7MXQ3"));
        assert_eq!(normalize("K7MXQ3A"), None);
        assert_eq!(normalize("ac d-e f g").as_deref(), Some("ACDEFG"));
        assert_eq!(normalize("ACDEF0"), None);
        assert_eq!(normalize(&"A".repeat(1000)), None);
    }
}
