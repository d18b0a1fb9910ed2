//! A token's own people (its request's applicant and current technical
//! contact) displaying it — minted again and written in the request's
//! timeline — and its applicant renewing it in its last 90 days.

use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db::{
    self,
    spaces::{HeldToken, TokenHolders, TokenRow},
};
use crate::server::policy;
use crate::server::state::AppState;

/// Renewal opens this many days before expiry.
pub const RENEWAL_WINDOW_DAYS: i64 = 90;

/// In its last 90 days, not revoked, not expired.
pub fn renewable(row: &TokenRow, now: i64) -> bool {
    row.revoked_at.is_none()
        && row.expires_at > now
        && row.expires_at - now <= RENEWAL_WINDOW_DAYS * 86_400_000
}

/// The token's string, for `by` when they may display it.
pub async fn reveal(state: &AppState, by: &Viewer, token_id: &str) -> Result<String, AppError> {
    let held = held(state, by, token_id, policy::can_reveal_token).await?;
    if held.token.revoked_at.is_some() {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Ce jeton a été révoqué : il ne peut plus être affiché ni utilisé.",
        ));
    }
    let jwt = state
        .tokens
        .mint(&crate::server::tokens::Claims::of(&held.token))
        .map_err(|e| {
            tracing::error!(error = %e, "token minting");
            AppError::new(ErrorCode::Internal)
        })?;
    db::spaces::record_reveal(
        &state.db,
        held.token.request_id,
        by.id,
        &by.email,
        by.role,
        db::now_ms(),
    )
    .await?;
    Ok(jwt)
}

/// Extends the token by 18 months from its current expiry; answers the new
/// expiry. Two clicks extend once.
pub async fn renew(state: &AppState, by: &Viewer, token_id: &str) -> Result<i64, AppError> {
    let held = held(state, by, token_id, policy::can_see_token).await?;
    if !policy::can_renew_token(by, &held.holders) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Seul le demandeur de l’accès peut prolonger ce jeton.",
        ));
    }
    let row = held.token;
    if !renewable(&row, db::now_ms()) {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Ce jeton ne peut être prolongé que dans les 90 jours qui précèdent son expiration, \
             s’il n’a pas été révoqué.",
        ));
    }
    let renewed = db::spaces::renew(&state.db, &row.id, row.expires_at).await?;
    state.api.forget_request(row.request_id);
    renewed.ok_or_else(|| {
        AppError::with_message(
            ErrorCode::Conflict,
            "Ce jeton vient d’être prolongé ou révoqué : rechargez la page.",
        )
    })
}

/// The token with its people, when `allowed` lets `by` reach it; otherwise
/// the same 404 as an unknown token (nothing tells them apart).
async fn held(
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
