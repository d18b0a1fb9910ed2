//! The staff's second factor: an authenticator app (RFC 6238 codes, with
//! `totp-rs`), set up at the first sign-in with a QR code (`qrcode`, drawn
//! as SVG), and ten one-time recovery codes. A code of the app is accepted
//! once: the time step of the last one accepted is stored, and only a later
//! step counts, whichever instance checks it.

use crate::domain::identity::{RECOVERY_ALPHABET, RECOVERY_LEN, TypedCode, show_recovery};
use crate::error::{AppError, ErrorCode};
use crate::server::db::{self, Db, DbError, second_factor as store};
use totp_rs::{Algorithm, Secret, TOTP};

/// The name the authenticator app shows beside the account.
pub const ISSUER: &str = "Guichet API Entreprise";
/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes given at setup.
pub const RECOVERY_CODES: usize = 10;
/// How long a setup stays the same (a reloaded page shows the same QR code).
const SETUP_KEPT_MS: i64 = 15 * 60_000;

fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "second factor");
    AppError::new(ErrorCode::Internal)
}

/// The app's generator for a secret (base32) and an account's address.
fn generator(secret: &str, email: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| internal(format!("{e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        crate::domain::identity::TOTP_DIGITS,
        0,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        email.replace(':', ""),
    )
    .map_err(internal)
}

/// The time step of `now_ms`.
pub fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000) / STEP_SECONDS as i64
}

/// The code an app with `secret` (base32, spaces allowed) shows at time
/// step `step`: for programs that sign staff in (the benchmarks, the tests).
pub fn code_at(secret: &str, step: i64) -> Result<String, AppError> {
    let secret: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let step = u64::try_from(step).map_err(internal)?;
    Ok(generator(&secret, "")?.generate(step * STEP_SECONDS))
}

/// The step among the current one and its two neighbours (a clock a little
/// off, a code typed as it changed) whose code is `code`, if any.
fn matching_step(totp: &TOTP, code: &str, now_ms: i64) -> Option<i64> {
    let now = step_of(now_ms);
    (now - 1..=now + 1)
        .filter(|s| *s >= 0)
        .find(|s| totp.check(code, (*s as u64) * STEP_SECONDS))
}

/// What the setup page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The secret in groups of four, to type when the QR code cannot be read.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
    /// The QR code, an SVG document.
    pub qr_svg: String,
}

/// A new random secret (160 bits, as RFC 4226 recommends), base32.
fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(internal)?;
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => Ok(s),
        Secret::Raw(_) => Err(internal("secret not encoded")),
    }
}

/// The setup of `user_id`'s app: the one under way when it is recent, else a
/// new secret. `Ok(None)`: the account already has a confirmed app.
pub async fn setup(db: &Db, user_id: i64, email: &str) -> Result<Option<Setup>, AppError> {
    let now = db::now_ms();
    let secret = match store::get(db, user_id).await? {
        Some(f) if f.confirmed_at.is_some() => return Ok(None),
        Some(f) if now - f.created_at < SETUP_KEPT_MS => f.secret,
        _ => {
            let secret = new_secret()?;
            if !store::start_setup(db, user_id, &secret, now).await? {
                return Ok(None);
            }
            secret
        }
    };
    let totp = generator(&secret, email)?;
    let uri = totp.get_url();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Setup {
        secret: grouped,
        uri,
        qr_svg,
    }))
}

/// Why a code is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not the app's code now, nor an unused recovery code.
    Wrong,
    /// The app's code was right but has been used already.
    Used,
    /// No setup under way (or it was confirmed meanwhile).
    NoSetup,
}

/// Ten new recovery codes: answers them as shown, and their hashes.
fn new_recovery_codes() -> Result<(Vec<String>, Vec<String>), AppError> {
    let mut shown = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    let n = RECOVERY_ALPHABET.len();
    // Rejection sampling: only bytes below a multiple of the alphabet's size.
    let ceiling = (256 / n * n) as u8;
    for _ in 0..RECOVERY_CODES {
        let mut code = String::with_capacity(RECOVERY_LEN);
        while code.len() < RECOVERY_LEN {
            let mut byte = [0u8; 1];
            getrandom::fill(&mut byte).map_err(internal)?;
            if byte[0] < ceiling {
                code.push(char::from(RECOVERY_ALPHABET[usize::from(byte[0]) % n]));
            }
        }
        hashes.push(db::links::hash_token(&code));
        shown.push(show_recovery(&code));
    }
    Ok((shown, hashes))
}

/// Confirms the setup under way with the app's first code; answers the
/// recovery codes, shown once. Setup and codes are written together.
pub async fn activate(
    db: &Db,
    user_id: i64,
    email: &str,
    code: &str,
) -> Result<Result<Vec<String>, Refused>, AppError> {
    let Some(factor) = store::get(db, user_id)
        .await?
        .filter(|f| f.confirmed_at.is_none())
    else {
        return Ok(Err(Refused::NoSetup));
    };
    let now = db::now_ms();
    let totp = generator(&factor.secret, email)?;
    let Some(step) = matching_step(&totp, code, now) else {
        return Ok(Err(Refused::Wrong));
    };
    let (shown, hashes) = new_recovery_codes()?;
    let mut tx = db.begin().await.map_err(DbError::from)?;
    if !store::confirm_in(&mut tx, user_id, &factor.secret, step, now).await? {
        return Ok(Err(Refused::NoSetup));
    }
    store::replace_recovery_codes_in(&mut tx, user_id, &hashes).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Ok(shown))
}

/// Checks a code at sign-in: the app's (once) or a recovery code (spent).
pub async fn verify(
    db: &Db,
    user_id: i64,
    email: &str,
    code: &TypedCode,
) -> Result<Result<(), Refused>, AppError> {
    let now = db::now_ms();
    match code {
        TypedCode::Totp(code) => {
            let Some(factor) = store::get(db, user_id)
                .await?
                .filter(|f| f.confirmed_at.is_some())
            else {
                return Ok(Err(Refused::NoSetup));
            };
            let totp = generator(&factor.secret, email)?;
            let Some(step) = matching_step(&totp, code, now) else {
                return Ok(Err(Refused::Wrong));
            };
            if store::use_step(db, user_id, &factor.secret, step).await? {
                Ok(Ok(()))
            } else {
                Ok(Err(Refused::Used))
            }
        }
        TypedCode::Recovery(code) => {
            let hash = db::links::hash_token(code);
            if store::use_recovery_code(db, user_id, &hash, now).await? {
                Ok(Ok(()))
            } else {
                Ok(Err(Refused::Wrong))
            }
        }
    }
}

/// Whether the account has a confirmed app.
pub async fn is_set_up(db: &Db, user_id: i64) -> Result<bool, DbError> {
    Ok(store::get(db, user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = new_secret().expect("secret");
        let totp = generator(&secret, "instructeur@beta.gouv.fr").expect("totp");
        let now_ms = 1_790_000_000_000;
        let step = step_of(now_ms);
        let code = totp.generate(step as u64 * STEP_SECONDS);
        assert_eq!(matching_step(&totp, &code, now_ms), Some(step));
        assert_eq!(matching_step(&totp, &code, now_ms + 30_000), Some(step));
        assert_eq!(matching_step(&totp, &code, now_ms + 60_000), None);
        assert!(
            totp.get_url()
                .starts_with("otpauth://totp/Guichet%20API%20Entreprise:")
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_readable() {
        let (shown, hashes) = new_recovery_codes().expect("codes");
        assert_eq!(shown.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for s in &shown {
            assert_eq!(s.len(), RECOVERY_LEN + 2);
            assert!(matches!(
                crate::domain::identity::parse_code(s),
                Ok(TypedCode::Recovery(_))
            ));
        }
    }
}
