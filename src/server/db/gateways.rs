//! Other gateways' client credentials (`gateway_clients`), and what they
//! read: the revocation feed.

use super::{Db, DbError};

/// A gateway's credential, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Gateway {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub created_by_email: Option<String>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn insert(
    db: &Db,
    id: &str,
    name: &str,
    secret_hash: &str,
    by: i64,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO gateway_clients (id, name, secret_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(name)
    .bind(secret_hash)
    .bind(by)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every credential, the active ones first, newest first.
pub async fn list(db: &Db) -> Result<Vec<Gateway>, DbError> {
    Ok(sqlx::query_as(
        "SELECT g.id, g.name, g.created_at, u.email AS created_by_email, g.revoked_at, \
         g.last_used_at FROM gateway_clients g LEFT JOIN users u ON u.id = g.created_by \
         ORDER BY CASE WHEN g.revoked_at IS NULL THEN 0 ELSE 1 END, g.created_at DESC, g.id",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Revokes a credential; whether it was active.
pub async fn revoke(db: &Db, id: &str, now: i64) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "UPDATE gateway_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// The active credential `id` whose secret hashes to `secret_hash`, marked
/// as used at `now` (at most once a minute).
pub async fn authenticate(db: &Db, id: &str, secret_hash: &str, now: i64) -> Result<bool, DbError> {
    let found: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT last_used_at FROM gateway_clients \
         WHERE id = $1 AND secret_hash = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(secret_hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some((last,)) = found else {
        return Ok(false);
    };
    if last.is_none_or(|at| at < now - 60_000) {
        sqlx::query("UPDATE gateway_clients SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&db.pool)
            .await?;
    }
    Ok(true)
}

/// A token string no longer accepted: its token was revoked, or the string
/// was replaced and its grace ended.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Revoked {
    pub jti: String,
    pub token_id: String,
    /// When it stopped being accepted (milliseconds).
    pub at: i64,
    /// `revoked` or `replaced`.
    pub reason: String,
}

/// The strings no longer accepted from after `since` up to `until`
/// (milliseconds), oldest first, at most `limit`.
pub async fn revoked_between(
    db: &Db,
    since: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<Revoked>, DbError> {
    Ok(sqlx::query_as(
        "SELECT jti, token_id, at, reason FROM ( \
           SELECT s.jti, s.token_id, t.revoked_at AS at, 'revoked' AS reason \
           FROM token_strings s JOIN tokens t ON t.id = s.token_id \
           WHERE t.revoked_at > $1 AND t.revoked_at <= $2 \
           UNION ALL \
           SELECT s.jti, s.token_id, s.retired_at AS at, 'replaced' AS reason \
           FROM token_strings s JOIN tokens t ON t.id = s.token_id \
           WHERE s.retired_at > $1 AND s.retired_at <= $2 \
           AND (t.revoked_at IS NULL OR t.revoked_at > s.retired_at) \
         ) feed ORDER BY at, jti LIMIT $3",
    )
    .bind(since)
    .bind(until)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
