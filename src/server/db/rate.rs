//! Rate limits shared by every instance on one database.
//!
//! Uses are counted per key (`api:<token id>`, `connexion:<address>`) and per
//! fixed minute in `rate_windows`. One statement adds a use (or a lease of
//! several) and answers the minute's total, so two instances can never both
//! take the last use: the database serialises the increments.

use super::{Db, DbError};

/// Length of a window, in milliseconds.
pub const WINDOW_MS: i64 = 60_000;

/// Windows older than this many are deleted by `prune`.
const KEEP_WINDOWS: i64 = 2;

/// The window holding `now` (milliseconds since the epoch).
pub fn window_of(now: i64) -> i64 {
    now.div_euclid(WINDOW_MS)
}

/// Whole seconds from `now` to the end of its window, at least 1.
pub fn seconds_left(now: i64) -> u64 {
    let end = (window_of(now) + 1) * WINDOW_MS;
    u64::try_from((end - now + 999) / 1000).unwrap_or(1).max(1)
}

/// Adds `want` uses to `key` in `window`; answers the window's total after
/// the addition (this call included). The caller was granted
/// `limit - (total - want)` uses, clamped to `0..=want`.
pub async fn take(db: &Db, key: &str, window: i64, want: i64) -> Result<i64, DbError> {
    let (used,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_windows (key, window_start, used) VALUES ($1, $2, $3) \
         ON CONFLICT (key, window_start) DO UPDATE SET used = rate_windows.used + excluded.used \
         RETURNING used",
    )
    .bind(key)
    .bind(window)
    .bind(want)
    .fetch_one(&db.pool)
    .await?;
    Ok(used)
}

/// How many of `want` uses were granted, the window's total being `used`.
pub fn granted(limit: i64, want: i64, used: i64) -> i64 {
    (limit - (used - want)).clamp(0, want)
}

/// Deletes the windows that ended long ago.
pub async fn prune(db: &Db, now: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM rate_windows WHERE window_start < $1")
        .bind(window_of(now) - KEEP_WINDOWS)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_what_is_left_of_the_limit() {
        // Limit 10: a lease of 4 on an empty window, then on 8 used, then past.
        assert_eq!(granted(10, 4, 4), 4);
        assert_eq!(granted(10, 4, 12), 2);
        assert_eq!(granted(10, 4, 16), 0);
        assert_eq!(granted(10, 1, 11), 0);
    }

    #[test]
    fn windows_and_seconds_left() {
        assert_eq!(window_of(0), 0);
        assert_eq!(window_of(59_999), 0);
        assert_eq!(window_of(60_000), 1);
        assert_eq!(seconds_left(0), 60);
        assert_eq!(seconds_left(59_001), 1);
        assert_eq!(seconds_left(59_999), 1);
        assert_eq!(seconds_left(30_500), 30);
    }
}
