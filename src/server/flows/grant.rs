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

/// The accepted update `update_id` of an authorisation, written onto it in
/// the acceptance's transaction (`db::updates::apply_in`: its data, its
/// token's scopes, the same strings), and the email to its people, with a
/// link to choose a password for a new technical contact. Refused when the
/// authorisation is no longer in force.
#[allow(clippy::too_many_arguments)]
pub async fn update_in(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    update_id: i64,
    title: &str,
    scopes: &[String],
    // Who started the update (its applicant).
    applicant_id: i64,
    technical_email: &str,
    by: (i64, crate::domain::lifecycle::Role),
    message: &str,
    now: i64,
) -> Result<db::updates::Applied, AppError> {
    let applied = db::updates::apply_in(tx, update_id, scopes, by.0, by.1, now)
        .await?
        .ok_or_else(|| {
            AppError::with_message(
                ErrorCode::NotEditable,
                "L’habilitation que cette mise à jour modifie n’est plus en vigueur (révoquée) : \
                 refusez la mise à jour.",
            )
        })?;
    // The authorisation's people; and whoever started the update (its
    // technical contact, maybe replaced by it), told too.
    let holder = applied.parent_applicant_id.unwrap_or(applicant_id);
    let mut members = spaces::members_in(tx, holder, Some(technical_email), now).await?;
    if holder != applicant_id {
        for m in spaces::members_in(tx, applicant_id, None, now).await? {
            if !members.iter().any(|x| x.user_id == m.user_id) {
                members.push(m);
            }
        }
    }
    for m in &members {
        let password_link = password_link(state, tx, m, now).await?;
        let email = templates::update_accepted(
            &m.email,
            applied.parent_id,
            update_id,
            title,
            &crate::api::space::scope_groups(scopes),
            message,
            password_link.as_deref(),
            &state.link(crate::paths::SPACE),
        );
        db::outbox::enqueue(tx, &email, now).await?;
    }
    Ok(applied)
}

/// A link to choose a password, for a member who has none.
async fn password_link(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    m: &spaces::Member,
    now: i64,
) -> Result<Option<String>, AppError> {
    if !m.needs_password {
        return Ok(None);
    }
    Ok(Some(choose_password_link(state, tx, m.user_id, now).await?))
}

/// A new 7-day link for `user_id` to choose a password, in the caller's
/// transaction.
pub async fn choose_password_link(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    now: i64,
) -> Result<String, AppError> {
    let (token, hash) = links::new_token().map_err(|e| {
        tracing::error!(error = %e, "random source");
        AppError::new(ErrorCode::Internal)
    })?;
    db::links::create(tx, user_id, links::Purpose::Invitation, &hash, now).await?;
    Ok(state.link(&format!("{}?jeton={token}", crate::paths::CHOOSE_PASSWORD)))
}

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
        let password_link = password_link(state, tx, m, now).await?;
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
