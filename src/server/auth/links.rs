//! One-time links (email confirmation, password choice, password reset):
//! 256 random bits, only their SHA-256 stored, single use, expiring, and every
//! earlier link of the same purpose voided when a new one is made.

use base64::Engine;

pub use crate::server::db::links::{Purpose, hash_token};

/// A new random token (43 URL-safe characters) and the hash to store.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_hashed() {
        let (t1, h1) = new_token().expect("rng");
        let (t2, _) = new_token().expect("rng");
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 43, "256 bits in base64url without padding");
        assert!(
            t1.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(h1.len(), 64);
        assert_eq!(hash_token(&t1), h1);
        assert_ne!(h1, t1);
    }

    #[test]
    fn lifetimes() {
        assert_eq!(Purpose::PasswordReset.lifetime_ms(), 3_600_000);
        assert_eq!(Purpose::Invitation.lifetime_ms(), 604_800_000);
    }
}
