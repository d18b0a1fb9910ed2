//! The API calls counted per token, minute, operation and outcome
//! (`api_calls`): written in batches by each instance, read by the client
//! space and by the "integration failing" alerts.

use super::{Db, DbError};

/// One counter of the calls of a token in a minute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallKey {
    pub token_id: String,
    /// Minutes since the epoch.
    pub minute: i64,
    /// The contract's path of the operation.
    pub operation: &'static str,
    pub status: u16,
    /// API Entreprise's error code ('' for none).
    pub code: String,
}

/// Adds `n` calls to a counter, in the caller's transaction (the sum is
/// exact whatever the instances adding at the same time).
pub async fn add_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &CallKey,
    n: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO api_calls (token_id, minute, operation, status, code, calls) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (token_id, minute, operation, status, code) \
         DO UPDATE SET calls = api_calls.calls + excluded.calls",
    )
    .bind(&key.token_id)
    .bind(key.minute)
    .bind(key.operation)
    .bind(i32::from(key.status))
    .bind(&key.code)
    .bind(n)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes the counters of the minutes before `minute`.
pub async fn prune(db: &Db, minute: i64) -> Result<u64, DbError> {
    Ok(sqlx::query("DELETE FROM api_calls WHERE minute < $1")
        .bind(minute)
        .execute(&db.pool)
        .await?
        .rows_affected())
}

/// The calls of a token from `since` (milliseconds) on.
pub async fn calls_since(db: &Db, token_id: &str, since: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) FROM api_calls \
         WHERE token_id = $1 AND minute >= $2",
    )
    .bind(token_id)
    .bind(since.div_euclid(60_000))
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// A token's calls of one operation and outcome, over three windows.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Totals {
    pub operation: String,
    pub status: i32,
    pub code: String,
    pub recent: i64,
    pub day: i64,
    pub week: i64,
}

/// A token's calls per operation and outcome from the minutes `windows`
/// on (the shortest, the middle and the longest window's first minute).
pub async fn totals(db: &Db, token_id: &str, windows: [i64; 3]) -> Result<Vec<Totals>, DbError> {
    Ok(sqlx::query_as(
        "SELECT operation, status, code, \
         CAST(SUM(CASE WHEN minute >= $2 THEN calls ELSE 0 END) AS BIGINT) AS recent, \
         CAST(SUM(CASE WHEN minute >= $3 THEN calls ELSE 0 END) AS BIGINT) AS day, \
         CAST(SUM(calls) AS BIGINT) AS week \
         FROM api_calls WHERE token_id = $1 AND minute >= $4 \
         GROUP BY operation, status, code ORDER BY operation, status, code",
    )
    .bind(token_id)
    .bind(windows[0])
    .bind(windows[1])
    .bind(windows[2])
    .fetch_all(&db.pool)
    .await?)
}

/// A token's calls per hour (hours since the epoch) and status from the
/// minute `since` on.
pub async fn hourly(db: &Db, token_id: &str, since: i64) -> Result<Vec<(i64, i32, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT CAST(minute / 60 AS BIGINT) AS hour, status, CAST(SUM(calls) AS BIGINT) \
         FROM api_calls WHERE token_id = $1 AND minute >= $2 \
         GROUP BY minute / 60, status ORDER BY hour",
    )
    .bind(token_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await?)
}

/// The refusals of each token with `codes` from the minute `since` on:
/// (token, code, calls).
pub async fn refusals_since(
    db: &Db,
    since: i64,
    codes: &[&str],
) -> Result<Vec<(String, String, i64)>, DbError> {
    let placeholders: Vec<String> = (0..codes.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT token_id, code, CAST(SUM(calls) AS BIGINT) FROM api_calls \
         WHERE minute >= $1 AND code IN ({}) GROUP BY token_id, code ORDER BY token_id, code",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(&sql).bind(since);
    for c in codes {
        query = query.bind(*c);
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// The successful calls (2xx) of a token from the minute `since` on.
pub async fn successes_since(db: &Db, token_id: &str, since: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) FROM api_calls \
         WHERE token_id = $1 AND minute >= $2 AND status >= 200 AND status < 300",
    )
    .bind(token_id)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Marks a token's failing-integration alert as sent at `now`, unless one
/// was sent less than `every` milliseconds ago: whether it is this caller's
/// to send (one instance wins).
pub async fn claim_alert_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_id: &str,
    now: i64,
    every: i64,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "UPDATE tokens SET failing_alert_at = $1 WHERE id = $2 \
         AND (failing_alert_at IS NULL OR failing_alert_at <= $3)",
    )
    .bind(now)
    .bind(token_id)
    .bind(now - every)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}
