//! Queries on user accounts (the account features build on these).

use super::{Db, DbError};
use crate::domain::lifecycle::Role;

/// Creates an account without a password yet; returns its id. The email is
/// stored trimmed and lowercased (one account per address).
pub async fn create(db: &Db, email: &str, role: Role, now: i64) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, role, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(email.trim().to_lowercase())
    .bind(role.as_str())
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}
