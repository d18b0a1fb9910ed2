//! Queries on requests (dossiers).

use super::{Db, DbError};
use crate::domain::RequestState;

/// Number of requests per stored state. States unknown to this build are
/// logged and left out rather than failing the whole count.
pub async fn count_by_state(db: &Db) -> Result<Vec<(RequestState, i64)>, DbError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(state, count)| match RequestState::parse(&state) {
            Some(s) => Some((s, count)),
            None => {
                tracing::warn!(state, "unknown request state in database");
                None
            }
        })
        .collect())
}

/// Inserts a bare request in the given state and returns its id.
pub async fn insert(db: &Db, state: RequestState, at_ms: i64) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO requests (state, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
    )
    .bind(state.as_str())
    .bind(at_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}
