//! Passwords: 8 to 128 characters, no composition rules, common passwords
//! refused (zxcvbn's dictionaries), hashed with argon2id (RustCrypto `argon2`
//! defaults: 19 MiB, 2 passes, 1 lane).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// Why a new password is refused, with its French message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    Common,
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::TooShort => "password_too_short",
            PasswordError::TooLong => "password_too_long",
            PasswordError::Common => "password_common",
        }
    }

    pub fn message(self) -> String {
        match self {
            PasswordError::TooShort => {
                format!("Le mot de passe doit comporter au moins {MIN_CHARS} caractères.")
            }
            PasswordError::TooLong => {
                format!("Le mot de passe doit comporter au plus {MAX_CHARS} caractères.")
            }
            PasswordError::Common => "Ce mot de passe est trop courant ou trop facile à deviner : \
                 choisissez-en un autre, par exemple une phrase de plusieurs mots."
                .to_owned(),
        }
    }
}

/// Checks a new password; `context` holds words it must not be built from
/// (the email address, its parts).
pub fn check_new(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    // zxcvbn also judges the password without its separators, and the
    // context words without theirs ("camille.martin" from camille.martin@…).
    let squeeze = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut words: Vec<String> = context.iter().map(|w| (*w).to_owned()).collect();
    for w in context {
        words.push(squeeze(w.split('@').next().unwrap_or(w)));
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let squeezed = squeeze(password);
    for candidate in [password, squeezed.as_str()] {
        if candidate.is_empty() {
            continue;
        }
        if zxcvbn::zxcvbn(candidate, &words).score() < zxcvbn::Score::Two {
            return Err(PasswordError::Common);
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("hachage du mot de passe impossible : {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limits_without_composition_rules() {
        assert_eq!(check_new("court", &[]), Err(PasswordError::TooShort));
        assert_eq!(
            check_new(&"a".repeat(129), &[]),
            Err(PasswordError::TooLong)
        );
        // Lowercase words only, no digit, no symbol: accepted when not common.
        assert_eq!(check_new("cheval agrafe batterie correcte", &[]), Ok(()));
        // Exactly 8 and 128 characters, with non-ASCII letters.
        assert_eq!(check_new("éléphant-bleu-rôti", &[]), Ok(()));
        let long: String = "mot de passe très long et sûr "
            .repeat(5)
            .chars()
            .take(128)
            .collect();
        assert_eq!(check_new(&long, &[]), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in [
            "password",
            "motdepasse",
            "12345678",
            "azertyuiop",
            "qwerty123",
            "aaaaaaaa",
            "iloveyou",
        ] {
            assert_eq!(
                check_new(common, &[]),
                Err(PasswordError::Common),
                "{common}"
            );
        }
        // Built from the user's own email.
        assert_eq!(
            check_new(
                "camille.martin",
                &["camille.martin@occitanie.fr", "camille", "martin"]
            ),
            Err(PasswordError::Common)
        );
        assert!(PasswordError::Common.message().contains("trop courant"));
    }

    #[test]
    fn argon2id_hashes_verify_and_are_salted() {
        let h1 = hash("cheval agrafe batterie correcte").expect("hash");
        let h2 = hash("cheval agrafe batterie correcte").expect("hash");
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h1}");
        assert_ne!(h1, h2, "random salt");
        assert!(verify("cheval agrafe batterie correcte", &h1));
        assert!(!verify("cheval agrafe batterie correctE", &h1));
        assert!(!verify("x", "pas un hachage"));
    }
}
