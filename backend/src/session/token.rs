//! Session ids (128 random bits) and secret tokens (256 random bits), and the constant-time
//! check of a presented token against the stored sha256 of the real one.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 lowercase hex characters from 128 random bits.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// 64 lowercase hex characters from 256 random bits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares in time independent of where the hashes differ.
pub fn token_matches(presented: &str, stored: &[u8; 32]) -> bool {
    let presented = hash_token(presented);
    presented
        .iter()
        .zip(stored.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// True for strings shaped like a session id, checked before any lookup.
pub fn is_session_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_are_random_hex_of_the_right_length() {
        let (a, b) = (new_session_id(), new_session_id());
        assert!(is_session_id(&a) && is_session_id(&b));
        assert_ne!(a, b);
        assert_eq!(new_token().len(), 64);
    }

    #[test]
    fn only_the_real_token_matches() {
        let token = new_token();
        let stored = hash_token(&token);
        assert!(token_matches(&token, &stored));
        assert!(!token_matches(&new_token(), &stored));
        assert!(!token_matches("", &stored));
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(!is_session_id("../etc/passwd"));
        assert!(!is_session_id(&"A".repeat(32)));
        assert!(!is_session_id("abc"));
    }
}
