//! The `sessions` table: the records of `auth::session::DbSessionStore`
//! (tower-sessions), and the ends of a user's sessions (password change or
//! reset, deactivation).

use super::{Db, DbError};

/// One session record, as stored.
#[derive(Clone, Debug)]
pub struct Stored<'a> {
    pub id: &'a str,
    pub user_id: Option<i64>,
    /// The session's data, JSON.
    pub data: &'a str,
    pub expires_at: i64,
}

/// Inserts a new record; `false` when its id is taken (the store draws
/// another).
pub async fn insert_new(db: &Db, s: &Stored<'_>) -> Result<bool, DbError> {
    let res =
        sqlx::query("INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(s.id)
            .bind(s.user_id)
            .bind(s.data)
            .bind(s.expires_at)
            .execute(&db.pool)
            .await;
    match res {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes a record, new or not.
pub async fn save(db: &Db, s: &Stored<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
         expires_at = excluded.expires_at",
    )
    .bind(s.id)
    .bind(s.user_id)
    .bind(s.data)
    .bind(s.expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The data and expiry of record `id`, unless expired at `now`.
pub async fn load(db: &Db, id: &str, now: i64) -> Result<Option<(String, i64)>, DbError> {
    Ok(
        sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn delete(db: &Db, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` but `keep`, on the pool or inside a
/// transaction; answers how many.
pub async fn end_for_user<'e, E>(ex: E, user_id: i64, keep: Option<&str>) -> Result<u64, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or_default())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the records expired at `now`; answers how many.
pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Whether record `id` still holds a signed-in user at `now`.
pub async fn is_alive(db: &Db, id: &str, now: i64) -> Result<bool, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM sessions WHERE id = $1 AND expires_at > $2 AND user_id IS NOT NULL",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}
