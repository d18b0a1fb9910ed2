//! A token's own people (its request's applicant and current technical
//! contact) displaying it — minted again and written in the request's
//! timeline —, and its people or staff replacing its string (rotation)
//! with a grace period. (Renewing it: `flows::renewal`.)

use crate::domain::lifecycle::EventKind;
use crate::domain::token::Grace;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db::{
    self,
    spaces::{HeldToken, TokenHolders},
};
use crate::server::mail::templates;
use crate::server::policy;
use crate::server::state::AppState;

/// The token's string, for `by` when they may display it.
pub async fn reveal(state: &AppState, by: &Viewer, token_id: &str) -> Result<String, AppError> {
    let held = held(state, by, token_id, policy::can_reveal_token).await?;
    if held.token.revoked_at.is_some() {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Ce jeton a été révoqué : il ne peut plus être affiché ni utilisé.",
        ));
    }
    let now = db::now_ms();
    let current = db::spaces::strings_of(&state.db, &held.token.id, now)
        .await?
        .into_iter()
        .find(|s| s.retired_at.is_none())
        .ok_or_else(|| AppError::new(ErrorCode::Internal))?;
    let claims =
        crate::server::tokens::Claims::of_string(&held.token, &current.jti, current.issued_at);
    let jwt = state.tokens.mint(&claims).map_err(|e| {
        tracing::error!(error = %e, "token minting");
        AppError::new(ErrorCode::Internal)
    })?;
    db::spaces::record_reveal(&state.db, held.token.request_id, actor(by), now).await?;
    Ok(jwt)
}

/// Gives the token a new string (a new `jti`); the old one stays accepted
/// until the end of `grace` (never past the token's expiry). The event in
/// the request's timeline and the emails to the token's people are written
/// in the same transaction. Answers when the old string stops being
/// accepted (`None`: at once). Revocation beats it: a revoked token is
/// refused.
pub async fn rotate(
    state: &AppState,
    by: &Viewer,
    token_id: &str,
    grace: Grace,
) -> Result<Option<i64>, AppError> {
    let held = held(state, by, token_id, policy::can_rotate_token).await?;
    let row = &held.token;
    let now = db::now_ms();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Ce jeton est révoqué ou expiré : il ne peut pas être remplacé.",
        ));
    }
    let end = crate::domain::token::grace_end(now, grace, row.expires_at);
    let old_until = (end > now).then_some(end);
    let by_staff = policy::is_staff(by.role);
    let message = match old_until {
        Some(end) => format!(
            "par {}{} — l’ancien jeton est accepté jusqu’au {}",
            by.email,
            if by_staff { " (instruction)" } else { "" },
            crate::domain::time::format_paris_long(end)
        ),
        None => format!(
            "par {}{} — l’ancien jeton est refusé immédiatement",
            by.email,
            if by_staff { " (instruction)" } else { "" },
        ),
    };
    let space_link = state.link(crate::paths::SPACE);

    let mut tx = state.db.begin().await?;
    let new_jti = uuid::Uuid::new_v4().to_string();
    if db::spaces::rotate_in(&mut tx, &row.id, &new_jti, by.id, end, now)
        .await?
        .is_none()
    {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Ce jeton vient d’être révoqué : il ne peut pas être remplacé.",
        ));
    }
    let event_id = db::spaces::record_event_in(
        &mut tx,
        row.request_id,
        EventKind::TokenRotated,
        actor(by),
        &message,
        now,
    )
    .await?;
    for to in held.holders.emails() {
        let mail = templates::token_rotated(
            to,
            row.request_id,
            &row.name,
            by_staff,
            old_until,
            &space_link,
        );
        db::outbox::enqueue(&mut tx, &mail, now).await?;
    }
    tx.commit().await?;
    state.api.forget_request(row.request_id);
    super::announce(
        state,
        EventKind::TokenRotated,
        row.request_id,
        Some(event_id),
    )
    .await;
    Ok(old_until)
}

pub(super) fn actor(by: &Viewer) -> db::spaces::Actor<'_> {
    db::spaces::Actor {
        id: by.id,
        email: &by.email,
        role: by.role,
    }
}

/// The token with its people, when `allowed` lets `by` reach it; otherwise
/// the same 404 as an unknown token (nothing tells them apart).
/// Token `token_id`, if `by` may see it (its applicant and technical
/// contact); the same 404 as an unknown token for anyone else.
pub async fn visible(state: &AppState, by: &Viewer, token_id: &str) -> Result<HeldToken, AppError> {
    held(state, by, token_id, policy::can_see_token).await
}

pub(super) async fn held(
    state: &AppState,
    by: &Viewer,
    token_id: &str,
    allowed: fn(&Viewer, &TokenHolders) -> bool,
) -> Result<HeldToken, AppError> {
    match db::spaces::held_token(&state.db, token_id).await? {
        Some(h) if allowed(by, &h.holders) => Ok(h),
        _ => Err(AppError::with_message(
            ErrorCode::NotFound,
            "Ce jeton n’existe pas, ou il ne vous est pas destiné.",
        )),
    }
}
