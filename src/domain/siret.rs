//! SIRET (14 digits: SIREN + NIC) and SIREN (9 digits) numbers.
//!
//! Validity: the Luhn checksum over all digits. La Poste (SIREN 356000000) has
//! more establishments than the checksum allows: its SIRETs are valid when the
//! sum of their 14 digits is a multiple of 5 (or when they pass Luhn).
//! Spaces (including non-breaking ones) are accepted on input and removed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The SIREN of La Poste, whose SIRETs follow their own rule.
pub const LA_POSTE_SIREN: &str = "356000000";

/// Why a SIRET or SIREN was refused; each has its own French message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberError {
    /// Nothing was typed.
    Empty,
    /// A character other than a digit or a space.
    NotDigits,
    /// Not the expected number of digits (the count typed is kept).
    Length { expected: u8, found: usize },
    /// The check digit does not match.
    Checksum,
}

impl NumberError {
    /// The stable code of this error.
    pub fn code(self) -> &'static str {
        match self {
            NumberError::Empty => "empty",
            NumberError::NotDigits => "not_digits",
            NumberError::Length { .. } => "length",
            NumberError::Checksum => "checksum",
        }
    }

    /// The French message, naming the kind of number ("SIRET" or "SIREN").
    pub fn message(self, kind: &str) -> String {
        match self {
            NumberError::Empty => format!("Le {kind} est obligatoire."),
            NumberError::NotDigits => {
                format!("Le {kind} ne doit contenir que des chiffres (les espaces sont acceptés).")
            }
            NumberError::Length { expected, found } => {
                let plural = if found > 1 { "s" } else { "" };
                format!(
                    "Le {kind} doit comporter {expected} chiffres ({found} chiffre{plural} saisi{plural})."
                )
            }
            NumberError::Checksum => format!(
                "Clé de contrôle invalide : ce {kind} n’existe pas, vérifiez qu’aucun chiffre n’a été inversé ou oublié."
            ),
        }
    }
}

/// A valid SIREN (9 digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

/// A valid SIRET (14 digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

/// Removes spaces (ordinary, non-breaking, narrow non-breaking, tabs).
pub fn normalise(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

fn digits(input: &str, expected: u8) -> Result<String, NumberError> {
    let compact = normalise(input);
    if compact.is_empty() {
        return Err(NumberError::Empty);
    }
    if !compact.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumberError::NotDigits);
    }
    if compact.len() != usize::from(expected) {
        return Err(NumberError::Length {
            expected,
            found: compact.len(),
        });
    }
    Ok(compact)
}

/// A SIREN or SIRET as people read it: "217 702 844" and
/// "217 702 844 00010" (spaces typed are ignored).
pub fn grouped(number: &str) -> String {
    let compact = normalise(number);
    let mut out = String::with_capacity(compact.len() + 4);
    for (i, c) in compact.chars().enumerate() {
        if i > 0 && (i % 3 == 0 && i < 9 || i == 9) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The Luhn checksum over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

fn digit_sum(digits: &str) -> u32 {
    digits.bytes().map(|b| u32::from(b - b'0')).sum()
}

impl Siren {
    pub fn parse(input: &str) -> Result<Siren, NumberError> {
        let d = digits(input, 9)?;
        if luhn_valid(&d) {
            Ok(Siren(d))
        } else {
            Err(NumberError::Checksum)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Siret {
    pub fn parse(input: &str) -> Result<Siret, NumberError> {
        let d = digits(input, 14)?;
        let la_poste = d.starts_with(LA_POSTE_SIREN) && digit_sum(&d).is_multiple_of(5);
        if luhn_valid(&d) || la_poste {
            Ok(Siret(d))
        } else {
            Err(NumberError::Checksum)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SIREN of the legal unit this establishment belongs to (the first 9
    /// digits; not checked on its own, as La Poste's establishments show).
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }

    /// The establishment number (the last 5 digits).
    pub fn nic(&self) -> &str {
        &self.0[9..]
    }

    /// Grouped for reading: "217 702 844 00015".
    pub fn formatted(&self) -> String {
        format!(
            "{} {} {} {}",
            &self.0[0..3],
            &self.0[3..6],
            &self.0[6..9],
            &self.0[9..]
        )
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Siret {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Siret::parse(&value).map_err(|e| e.message("SIRET"))
    }
}

impl From<Siret> for String {
    fn from(value: Siret) -> Self {
        value.0
    }
}

impl TryFrom<String> for Siren {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Siren::parse(&value).map_err(|e| e.message("SIREN"))
    }
}

impl From<Siren> for String {
    fn from(value: Siren) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sirets_are_accepted_and_normalised() {
        // Luhn-valid numbers, typed with and without spaces.
        for (input, expected) in [
            ("13002737600016", "13002737600016"),
            ("130 027 376 00016", "13002737600016"),
            ("130\u{a0}027\u{a0}376\u{202f}00016", "13002737600016"),
            (" 73282932000074 ", "73282932000074"),
        ] {
            let siret = Siret::parse(input).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!(siret.as_str(), expected);
        }
    }

    #[test]
    fn each_failure_has_its_own_error() {
        assert_eq!(Siret::parse(""), Err(NumberError::Empty));
        assert_eq!(Siret::parse("   "), Err(NumberError::Empty));
        assert_eq!(Siret::parse("1300273760001A"), Err(NumberError::NotDigits));
        assert_eq!(
            Siret::parse("130-027-376-00012"),
            Err(NumberError::NotDigits)
        );
        assert_eq!(
            Siret::parse("1300273760001"),
            Err(NumberError::Length {
                expected: 14,
                found: 13
            })
        );
        assert_eq!(Siret::parse("13002737600017"), Err(NumberError::Checksum));
        // Two swapped digits.
        assert_eq!(Siret::parse("13002737600061"), Err(NumberError::Checksum));
    }

    #[test]
    fn messages_are_french_and_distinct() {
        let errors = [
            NumberError::Empty,
            NumberError::NotDigits,
            NumberError::Length {
                expected: 14,
                found: 3,
            },
            NumberError::Checksum,
        ];
        let messages: Vec<String> = errors.iter().map(|e| e.message("SIRET")).collect();
        assert_eq!(
            messages[2],
            "Le SIRET doit comporter 14 chiffres (3 chiffres saisis)."
        );
        assert!(messages[3].starts_with("Clé de contrôle invalide"));
        let mut unique = messages.clone();
        unique.dedup();
        assert_eq!(unique.len(), messages.len());
        assert_eq!(
            NumberError::Length {
                expected: 9,
                found: 1
            }
            .message("SIREN"),
            "Le SIREN doit comporter 9 chiffres (1 chiffre saisi)."
        );
    }

    #[test]
    fn la_poste_sirets_follow_the_sum_rule() {
        // Head office: passes Luhn.
        assert!(Siret::parse("35600000000048").is_ok());
        // An establishment that fails Luhn but whose digit sum is a multiple of 5.
        assert!(!luhn_valid("35600000049837"));
        assert!(Siret::parse("35600000049837").is_ok());
        // Neither rule.
        assert_eq!(Siret::parse("35600000049838"), Err(NumberError::Checksum));
        // The sum rule is for La Poste only.
        assert!(!luhn_valid("21770284400015"));
        assert_eq!(digit_sum("21770284400015") % 5, 1);
        assert_eq!(Siret::parse("12345678900005"), Err(NumberError::Checksum));
    }

    #[test]
    fn siren_is_checked_with_luhn() {
        assert_eq!(
            Siren::parse("217 702 844").map(|s| s.0),
            Ok("217702844".into())
        );
        assert_eq!(
            Siren::parse("356000000").map(|s| s.0),
            Ok("356000000".into())
        );
        assert_eq!(Siren::parse("217702845"), Err(NumberError::Checksum));
        assert_eq!(
            Siren::parse("21770284"),
            Err(NumberError::Length {
                expected: 9,
                found: 8
            })
        );
    }

    #[test]
    fn parts_and_formatting() {
        let s = Siret::parse("13002737600016").expect("valid");
        assert_eq!(s.siren(), "130027376");
        assert_eq!(s.nic(), "00016");
        assert_eq!(s.formatted(), "130 027 376 00016");
    }

    #[test]
    fn serde_refuses_invalid_numbers() {
        let ok: Result<Siret, _> = serde_json::from_str("\"130 027 376 00016\"");
        assert_eq!(ok.map(|s| s.0).ok(), Some("13002737600016".into()));
        let bad: Result<Siret, _> = serde_json::from_str("\"13002737600017\"");
        assert!(bad.is_err());
    }

    #[test]
    fn luhn_rejects_non_digits_without_panicking() {
        assert!(!luhn_valid("12a4"));
        assert!(luhn_valid(""));
    }

    #[test]
    fn numbers_are_grouped_as_people_read_them() {
        assert_eq!(super::grouped("217702844"), "217 702 844");
        assert_eq!(super::grouped("21770284400010"), "217 702 844 00010");
        assert_eq!(super::grouped(" 217 7028 4400010 "), "217 702 844 00010");
        assert_eq!(super::grouped(""), "");
    }
}
