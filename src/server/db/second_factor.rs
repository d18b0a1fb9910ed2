//! Queries on the staff's second factor: the authenticator app's secret and
//! the recovery codes.

use super::{Db, DbError};

/// An account's authenticator app.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Factor {
    /// Base32, as the app reads it.
    pub secret: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

/// The account's authenticator app, confirmed or being set up.
pub async fn get(db: &Db, user_id: i64) -> Result<Option<Factor>, DbError> {
    Ok(sqlx::query_as(
        "SELECT secret, created_at, confirmed_at, last_step FROM totp_factors WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Starts a setup: a new unconfirmed secret, unless the account has a
/// confirmed one (answers false then, nothing written).
pub async fn start_setup(db: &Db, user_id: i64, secret: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
         created_at = excluded.created_at, last_step = 0 \
         WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a code of time step `step` was accepted by a confirmed
/// app: only when no code of this step or a later one was (a code is used
/// once, whichever instance sees it). Answers whether the code counts.
pub async fn use_step(db: &Db, user_id: i64, secret: &str, step: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND secret = $3 \
         AND last_step < $1 AND confirmed_at IS NOT NULL",
    )
    .bind(step)
    .bind(user_id)
    .bind(secret)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirms a setup with its first code (of step `step`), for this very
/// `secret`: a newer setup is not confirmed by a code of an older one.
pub async fn confirm_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    secret: &str,
    step: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE totp_factors SET last_step = $1, confirmed_at = $2 WHERE user_id = $3 \
         AND secret = $4 AND confirmed_at IS NULL",
    )
    .bind(step)
    .bind(now)
    .bind(user_id)
    .bind(secret)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    hashes: &[String],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Uses the unused recovery code of this hash; answers whether there was
/// one (it is then spent, whichever instance sees it next).
pub async fn use_recovery_code(
    db: &Db,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 \
         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(hash)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many recovery codes the account has left.
pub async fn recovery_codes_left(db: &Db, user_id: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Removes the account's authenticator app and recovery codes (a reset by
/// an administrator): it sets them up again at its next sign-in. Answers
/// whether there was an app.
pub async fn remove_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
) -> Result<bool, DbError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The accounts whose authenticator app is confirmed.
pub async fn confirmed_accounts(db: &Db) -> Result<Vec<i64>, DbError> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT user_id FROM totp_factors WHERE confirmed_at IS NOT NULL")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
