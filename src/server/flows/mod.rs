//! The use cases, one module each: what a person does (submit a request,
//! decide on it, write in its conversation, see or renew a token) and what
//! the server does on its own (remind before expiry). A flow checks what its
//! use case requires, owns its transaction (the `db::*_in` queries run inside
//! it), renders its emails, queues them in the same transaction, and
//! announces the change to the live dashboards once committed.
//!
//! Server functions (`api`) authorize the caller, then call one flow; the
//! CLI (`demo`) and the tests call the same flows.

pub mod alerts;
pub mod decide;
pub mod grant;
pub mod message;
pub mod remind;
pub mod renewal;
pub mod submit;
pub mod templates;
pub mod tokens;
pub mod transfer;

use crate::domain::lifecycle::EventKind;
use crate::error::AppError;
use crate::server::state::AppState;

/// Longest message or reason, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// A required text of at most `MAX_MESSAGE_CHARS`, trimmed; `what` names
/// it in the error ("Le motif du refus").
pub fn required_text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, format!("{what} est obligatoire.")));
    }
    optional_text(field, v)
}

/// An optional text of at most `MAX_MESSAGE_CHARS`, trimmed.
pub fn optional_text(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Le texte dépasse {MAX_MESSAGE_CHARS} caractères."),
        ));
    }
    Ok(v.to_owned())
}

/// Tells the live dashboards of every instance, after the commit.
async fn announce(state: &AppState, kind: EventKind, request_id: i64, event_id: Option<i64>) {
    state
        .live
        .publish(&state.db, kind, request_id, event_id)
        .await;
}
