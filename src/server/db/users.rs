//! Queries on user accounts.

use super::{Db, DbError};
use crate::domain::lifecycle::Role;

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// None until the user has chosen a password (invitation pending).
    pub password_hash: Option<String>,
    pub email_verified_at: Option<i64>,
    /// When an administrator deactivated the account (staff only).
    pub deactivated_at: Option<i64>,
}

/// An account with its creation time, for the administrators' list.
#[derive(sqlx::FromRow)]
struct Listed {
    #[sqlx(flatten)]
    user: User,
    created_at: i64,
}

const COLUMNS: &str = "id, email, role, password_hash, email_verified_at, deactivated_at";

/// The normal form of an email address: trimmed, lowercased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates an account without a password yet; returns its id. The email is
/// stored trimmed and lowercased (one account per address).
pub async fn create(db: &Db, email: &str, role: Role, now: i64) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, email, role, None, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates an account inside the caller's transaction, with a password hash
/// when given; returns its id.
pub async fn create_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &str,
    role: Role,
    password_hash: Option<&str>,
    now: i64,
) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, role, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(normalise_email(email))
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The account with this id.
pub async fn get(db: &Db, id: i64) -> Result<Option<User>, DbError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The account with this email address (any case, surrounding spaces ignored).
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, DbError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(normalise_email(email))
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Sets a new password hash inside the caller's transaction; `verified`
/// also marks the email as confirmed (the link proved the mailbox).
pub async fn set_password_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    password_hash: &str,
    verified: bool,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2, \
         email_verified_at = CASE WHEN $3 AND email_verified_at IS NULL THEN $2 ELSE email_verified_at END \
         WHERE id = $4",
    )
    .bind(password_hash)
    .bind(now)
    .bind(verified)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the email address as confirmed (first time only), inside the
/// caller's transaction.
pub async fn mark_verified_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET email_verified_at = $1, updated_at = $1 \
         WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates an account unless the address has one, inside the caller's
/// transaction: `Some(id)` when created, `None` when it already existed.
pub async fn insert_if_absent_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &str,
    role: Role,
    password_hash: Option<&str>,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO users (email, role, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(normalise_email(email))
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// The account with this email address, inside the caller's transaction.
pub async fn find_by_email_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &str,
) -> Result<Option<User>, DbError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(normalise_email(email))
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Every account, for administrators: (user, created_at), newest first.
pub async fn list(db: &Db, limit: i64) -> Result<Vec<(User, i64)>, DbError> {
    let rows: Vec<Listed> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, created_at FROM users ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|l| (l.user, l.created_at)).collect())
}

/// The addresses of the active instructors and administrators (those who
/// chose a password and are not deactivated): who is told of new requests.
pub async fn staff_emails(db: &Db) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT email FROM users WHERE role IN ('instructor', 'admin') \
         AND password_hash IS NOT NULL AND deactivated_at IS NULL ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Deactivates (`Some(now)`) or reactivates (`None`) the staff account
/// `id`, by `by`, and ends its sessions, in one transaction. Answers
/// whether a staff account was changed (applicants are left alone).
pub async fn set_deactivated(
    db: &Db,
    id: i64,
    at: Option<i64>,
    by: i64,
    now: i64,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET deactivated_at = $1, deactivated_by = $2, updated_at = $3 \
         WHERE id = $4 AND role IN ('instructor', 'admin', 'reporter')",
    )
    .bind(at)
    .bind(at.map(|_| by))
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let changed = done.rows_affected() == 1;
    if changed && at.is_some() {
        super::sessions::end_for_user(&mut *tx, id, None).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// An unconfirmed account (address never proved) loses any password it
/// has, inside the caller's transaction, and its sessions end with it (a
/// session needs a password): whoever chose that password never proved the
/// mailbox. Answers the account as it is now.
pub async fn unconfirmed_loses_password_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    now: i64,
) -> Result<User, DbError> {
    sqlx::query(
        "UPDATE users SET password_hash = NULL, updated_at = $1 \
         WHERE id = $2 AND email_verified_at IS NULL AND password_hash IS NOT NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Registration over an unconfirmed account: its password is replaced by
/// the new registrant's (who must still prove the mailbox), inside the
/// caller's transaction. Answers whether it was unconfirmed (and so
/// replaced); a confirmed account is left alone.
pub async fn replace_unconfirmed_password_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    password_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 \
         WHERE id = $3 AND email_verified_at IS NULL",
    )
    .bind(password_hash)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes an account's role, inside the caller's transaction.
pub async fn set_role_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    role: Role,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A sign-in lock that a failure just set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewLock {
    pub until: i64,
}

/// Until when sign-ins for `email` are refused, if they are at `now`.
pub async fn sign_in_locked_until(db: &Db, email: &str, now: i64) -> Result<Option<i64>, DbError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT locked_until FROM sign_in_failures WHERE email = $1")
            .bind(normalise_email(email))
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|(until,)| until).filter(|until| *until > now))
}

/// Counts a failed sign-in for `email` (with or without an account: the
/// answer tells nothing of it). Failures older than `window_ms` are
/// forgotten; the `max`-th within the window locks sign-ins for `lock_ms`.
/// Answers the lock when this failure set it (once per lock: its owner is
/// told once).
pub async fn record_sign_in_failure(
    db: &Db,
    email: &str,
    now: i64,
    window_ms: i64,
    max: i64,
    lock_ms: i64,
) -> Result<Option<NewLock>, DbError> {
    let email = normalise_email(email);
    let (failures,): (i64,) = sqlx::query_as(
        "INSERT INTO sign_in_failures (email, failures, first_at) VALUES ($1, 1, $2) \
         ON CONFLICT (email) DO UPDATE SET \
         failures = CASE WHEN sign_in_failures.first_at < $3 THEN 1 \
                         ELSE sign_in_failures.failures + 1 END, \
         first_at = CASE WHEN sign_in_failures.first_at < $3 THEN $2 \
                         ELSE sign_in_failures.first_at END \
         RETURNING failures",
    )
    .bind(&email)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(&db.pool)
    .await?;
    if failures < max {
        return Ok(None);
    }
    let until = now + lock_ms;
    let locked = sqlx::query(
        "UPDATE sign_in_failures SET locked_until = $1, notified_at = $2, failures = 0, \
         first_at = $2 WHERE email = $3 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(until)
    .bind(now)
    .bind(&email)
    .execute(&db.pool)
    .await?;
    Ok((locked.rows_affected() == 1).then_some(NewLock { until }))
}

/// Forgets the failures of `email` (a successful sign-in, a new password).
pub async fn clear_sign_in_failures(db: &Db, email: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
        .bind(normalise_email(email))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes the failure counts that no longer count (their window and any
/// lock are over): an attacker trying many addresses leaves no lasting rows.
pub async fn prune_sign_in_failures(db: &Db, now: i64, window_ms: i64) -> Result<u64, DbError> {
    let done = sqlx::query(
        "DELETE FROM sign_in_failures WHERE first_at < $1 \
         AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(now - window_ms)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}
