//! Stored one-time links (only the token's hash is kept).

use super::{Db, DbError};
use sha2::{Digest, Sha256};

/// What a link is for, and how long it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    EmailConfirmation,
    PasswordReset,
    Invitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::EmailConfirmation => "email_confirmation",
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
        }
    }

    /// Lifetime in milliseconds: reset 1 hour, invitation 7 days,
    /// confirmation 24 hours.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            Purpose::EmailConfirmation => 24 * 3_600_000,
            Purpose::PasswordReset => 3_600_000,
            Purpose::Invitation => 7 * 24 * 3_600_000,
        }
    }
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a link does not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    Unknown,
    AlreadyUsed,
    Expired,
    /// A newer link of the same kind was sent since.
    Replaced,
}

impl LinkError {
    pub fn message(self) -> &'static str {
        match self {
            LinkError::Unknown => {
                "Ce lien n’est pas valide. Vérifiez que vous avez copié l’adresse en entier."
            }
            LinkError::AlreadyUsed => "Ce lien a déjà servi. Demandez-en un nouveau si besoin.",
            LinkError::Expired => "Ce lien a expiré. Demandez-en un nouveau.",
            LinkError::Replaced => {
                "Un lien plus récent vous a été envoyé : utilisez le dernier courriel reçu."
            }
        }
    }
}

/// Stores a new link for `user_id` inside the caller's transaction, voiding
/// every unused link of the same purpose.
pub async fn create(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE one_time_links SET voided_at = $1 \
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL AND voided_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO one_time_links (user_id, purpose, token_hash, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(token_hash)
    .bind(now + purpose.lifetime_ms())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Uses a link: atomically marks it used and returns its user, or says why
/// it cannot be used. Two concurrent uses cannot both succeed.
pub async fn consume(
    db: &Db,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Result<i64, LinkError>, DbError> {
    let mut tx = db.begin().await?;
    let result = consume_in(&mut tx, purpose, token, now).await?;
    tx.commit().await?;
    Ok(result)
}

/// `consume` inside the caller's transaction: the link is used only if the
/// transaction commits (with whatever the link allowed, e.g. a new password).
pub async fn consume_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Result<i64, LinkError>, DbError> {
    let hash = hash_token(token);
    let used: Option<(i64,)> = sqlx::query_as(
        "UPDATE one_time_links SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND voided_at IS NULL \
         AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(&hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((user_id,)) = used {
        return Ok(Ok(user_id));
    }
    diagnose(tx, &hash, purpose).await.map(Err)
}

/// Whether a link would open now, without using it: its user, or why not.
pub async fn check(
    db: &Db,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Result<i64, LinkError>, DbError> {
    let hash = hash_token(token);
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM one_time_links \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND voided_at IS NULL \
         AND expires_at > $3",
    )
    .bind(&hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    if let Some((user_id,)) = row {
        return Ok(Ok(user_id));
    }
    let mut conn = db.pool.acquire().await?;
    diagnose(&mut conn, &hash, purpose).await.map(Err)
}

async fn diagnose(
    conn: &mut sqlx::AnyConnection,
    hash: &str,
    purpose: Purpose,
) -> Result<LinkError, DbError> {
    #[derive(sqlx::FromRow)]
    struct Spent {
        used_at: Option<i64>,
        voided_at: Option<i64>,
    }
    let row: Option<Spent> = sqlx::query_as(
        "SELECT used_at, voided_at FROM one_time_links WHERE token_hash = $1 AND purpose = $2",
    )
    .bind(hash)
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => LinkError::Unknown,
        Some(Spent {
            used_at: Some(_), ..
        }) => LinkError::AlreadyUsed,
        Some(Spent {
            voided_at: Some(_), ..
        }) => LinkError::Replaced,
        Some(_) => LinkError::Expired,
    })
}
