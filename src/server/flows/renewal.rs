//! A token's person (its request's applicant or technical contact)
//! renewing its authorisation in its last 90 days: they confirm its
//! purpose, contacts and data, may remove sensitive scopes, and it is
//! extended by 18 months. One transaction holds the token's new expiry and
//! scopes, the parent's data, the `renewal` request the dashboard lists,
//! the events and the emails to the token's people.

use crate::domain::lifecycle::EventKind;
use crate::domain::renewal::{self, Check};
use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db;
use crate::server::mail::templates;
use crate::server::policy;
use crate::server::state::AppState;

/// What a renewal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renewed {
    /// The request recording it (kind `renewal`).
    pub renewal_id: i64,
    pub expires_at: i64,
}

/// Token `token_id` with its people, when `by` may renew it (its
/// request's applicant or technical contact); otherwise the same 404 as an
/// unknown token.
pub async fn reachable(
    state: &AppState,
    by: &Viewer,
    token_id: &str,
) -> Result<db::spaces::HeldToken, AppError> {
    super::tokens::held(state, by, token_id, policy::can_renew_token).await
}

/// Renews token `token_id` for `by` once `check` is complete, without the
/// sensitive scopes `remove`. Two confirmations extend once (the second is
/// refused: the token is no longer in its last 90 days).
pub async fn renew(
    state: &AppState,
    by: &Viewer,
    token_id: &str,
    check: Check,
    remove: &[String],
) -> Result<Renewed, AppError> {
    let held = super::tokens::held(state, by, token_id, policy::can_see_token).await?;
    if !policy::can_renew_token(by, &held.holders) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Seuls le demandeur de l’accès et le contact technique peuvent renouveler cette \
             habilitation.",
        ));
    }
    let row = &held.token;
    let now = db::now_ms();
    if !renewal::open(row.revoked_at.is_some(), row.expires_at, now) {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Cette habilitation ne peut être renouvelée que dans les 90 jours qui précèdent son \
             expiration, si elle n’a pas été révoquée.",
        ));
    }
    if let Some((field, message)) = check.missing() {
        return Err(AppError::invalid(field, message));
    }
    let mut removed: Vec<String> = Vec::new();
    for r in remove {
        if !removed.contains(r) {
            removed.push(r.clone());
        }
    }
    let scopes = renewal::kept(&row.scope_list(), &removed)
        .map_err(|e| AppError::invalid("remove", e.message()))?;
    let labels: Vec<String> = removed
        .iter()
        .map(|s| crate::domain::scopes::find(s).map_or_else(|| s.clone(), |s| s.label.clone()))
        .collect();
    let new_expiry = renewal::extended(row.expires_at);
    let relation = match policy::token_relation(by, &held.holders) {
        policy::TokenRelation::TechnicalContact => "contact technique",
        _ => "demandeur de l’accès",
    };
    let mut message = format!(
        "par {} ({relation}) — objet, contacts et données confirmés ; habilitation valable \
         jusqu’au {}",
        by.email,
        crate::domain::time::format_paris_date(new_expiry)
    );
    if !labels.is_empty() {
        message.push_str(&format!(" ; données retirées : {}", labels.join(", ")));
    }
    let space_link = state.link(crate::paths::SPACE);

    let mut tx = state.db.begin().await?;
    let recorded = db::renewals::record_in(
        &mut tx,
        &db::renewals::Renewal {
            token_id: &row.id,
            parent_id: row.request_id,
            expected_expiry: row.expires_at,
            new_expiry,
            scopes: &scopes,
            removed: &removed,
            message: &message,
            now,
        },
        super::tokens::actor(by),
    )
    .await?
    .ok_or_else(|| {
        AppError::with_message(
            ErrorCode::Conflict,
            "Cette habilitation vient d’être renouvelée ou révoquée : rechargez la page.",
        )
    })?;
    for to in held.holders.emails() {
        let mail = templates::token_renewed(
            to,
            row.request_id,
            &row.name,
            &by.email,
            new_expiry,
            &labels,
            &space_link,
        );
        db::outbox::enqueue(&mut tx, &mail, now).await?;
    }
    tx.commit().await?;
    state.api.forget_request(row.request_id);
    super::announce(
        state,
        EventKind::Renewed,
        recorded.renewal_id,
        Some(recorded.event_id),
    )
    .await;
    Ok(Renewed {
        renewal_id: recorded.renewal_id,
        expires_at: new_expiry,
    })
}
