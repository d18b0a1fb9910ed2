//! Granting access, inside an acceptance's transaction: the organisation's
//! client space (created on its first acceptance), the request's token, the
//! accounts of its people (the applicant and the technical contact, created
//! when missing), a link to choose a password for those who have none, and
//! the email telling each of them, with the terms of use.

use crate::error::{AppError, ErrorCode};
use crate::server::auth::links;
use crate::server::db::{self, spaces};
use crate::server::mail::templates;
use crate::server::state::AppState;

/// Writes the grant `g` in the caller's transaction and queues its emails;
/// `message` is the instructor's (maybe empty).
pub async fn grant_in(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    g: &spaces::Grant,
    message: &str,
    now: i64,
) -> Result<spaces::Granted, AppError> {
    let granted = spaces::grant_in(tx, g, now).await?;
    for m in &granted.members {
        let password_link = if m.needs_password {
            let (token, hash) = links::new_token().map_err(|e| {
                tracing::error!(error = %e, "random source");
                AppError::new(ErrorCode::Internal)
            })?;
            db::links::create(tx, m.user_id, links::Purpose::Invitation, &hash, now).await?;
            Some(state.link(&format!("{}?jeton={token}", crate::paths::CHOOSE_PASSWORD)))
        } else {
            None
        };
        let email = templates::request_accepted_access(
            &m.email,
            g.request_id,
            g.title.trim(),
            message,
            &state.link(crate::paths::TERMS),
            password_link.as_deref(),
            &state.link(crate::paths::SPACE),
        );
        db::outbox::enqueue(tx, &email, now).await?;
    }
    Ok(granted)
}
