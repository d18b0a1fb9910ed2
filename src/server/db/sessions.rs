//! The `sessions` table: the records of `auth::session::DbSessionStore`
//! (tower-sessions), and the ends of a user's sessions (password change or
//! reset, deactivation).

use super::{Db, DbError};
use crate::domain::lifecycle::Role;

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
            .execute(&db.writer)
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
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// A record as loaded, with the account it is signed in to (if any), read
/// by the same statement: a signed-in request needs both, and one round trip
/// is half the cost of two.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub data: String,
    pub expires_at: i64,
    pub account: Option<Account>,
}

/// What a session needs to know of its account.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Not only ProConnect, nor an invitation not yet taken up.
    pub has_password: bool,
    pub deactivated_at: Option<i64>,
}

/// The account's columns are NULL when the record is signed in to none.
#[derive(sqlx::FromRow)]
struct LoadedRow {
    data: String,
    expires_at: i64,
    id: Option<i64>,
    email: Option<String>,
    role: Option<String>,
    has_password: Option<i64>,
    deactivated_at: Option<i64>,
}

/// Record `id`, unless expired at `now`, with its account.
pub async fn load(db: &Db, id: &str, now: i64) -> Result<Option<Loaded>, DbError> {
    let row: Option<LoadedRow> = sqlx::query_as(
        "SELECT s.data, s.expires_at, u.id, u.email, u.role, \
         CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, \
         u.deactivated_at \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| {
        let account = match (r.id, r.email, r.role.as_deref().and_then(Role::parse)) {
            (Some(id), Some(email), Some(role)) => Some(Account {
                id,
                email,
                role,
                has_password: r.has_password == Some(1),
                deactivated_at: r.deactivated_at,
            }),
            _ => None,
        };
        Loaded {
            data: r.data,
            expires_at: r.expires_at,
            account,
        }
    }))
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

/// Which of these session records still hold a signed-in user at `now`
/// (sign-out deletes a record, a password change or reset deletes every
/// record of the account, idle expiry moves `expires_at`).
pub async fn alive_among(
    db: &Db,
    ids: &[String],
    now: i64,
) -> Result<std::collections::HashSet<String>, DbError> {
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT id FROM sessions WHERE expires_at > $1 AND user_id IS NOT NULL AND id IN ({})",
        list.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(now);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}
