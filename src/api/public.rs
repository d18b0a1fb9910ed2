//! Server functions open to anyone (no account needed).

use crate::domain::RequestState;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Number of requests in one state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub state: RequestState,
    pub count: i64,
}

/// Number of requests in each state, every state listed (zero included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub by_state: Vec<StateCount>,
    pub total: i64,
}

impl RequestCounts {
    /// The count for one state (zero when absent).
    pub fn get(&self, state: RequestState) -> i64 {
        self.by_state
            .iter()
            .find(|c| c.state == state)
            .map_or(0, |c| c.count)
    }
}

/// Live count of requests by state, read from the database.
///
/// `POST /api/public/request_counts` (no arguments) → `RequestCounts` as JSON.
#[server(endpoint = "public/request_counts")]
pub async fn get_request_counts() -> Result<RequestCounts, AppError> {
    use crate::server::{db, state::AppState};

    let state = use_context::<AppState>()
        .ok_or_else(|| AppError::new(crate::error::ErrorCode::Internal))?;
    let rows = db::requests::count_by_state(&state.db).await?;

    let by_state: Vec<StateCount> = RequestState::ALL
        .into_iter()
        .map(|s| StateCount {
            state: s,
            count: rows
                .iter()
                .find(|(stored, _)| *stored == s)
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    let total = by_state.iter().map(|c| c.count).sum();
    Ok(RequestCounts { by_state, total })
}
