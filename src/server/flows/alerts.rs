//! "Your integration is failing": a token that answered data and is now
//! refused (expired, revoked or replaced, data outside its scopes, rate
//! limited) above a threshold within the last hour gets one email to its
//! technical contact, at most once a day per token, whichever instance
//! notices first.

use crate::domain::usage::{self, ALERT_EVERY_MS, ALERT_WINDOW_MINUTES, FAILING_CODES};
use crate::server::db::{self, spaces};
use crate::server::mail::templates;
use crate::server::state::AppState;
use std::collections::BTreeMap;

/// Queues the alerts due at `now`; answers how many were queued.
pub async fn send_due(state: &AppState, now: i64) -> Result<usize, db::DbError> {
    let minute = now.div_euclid(60_000);
    let codes: Vec<&str> = FAILING_CODES.iter().map(|(c, _, _)| *c).collect();
    let mut by_token: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for (token, code, n) in
        db::usage::refusals_since(&state.db, minute - ALERT_WINDOW_MINUTES, &codes).await?
    {
        by_token.entry(token).or_default().push((code, n));
    }
    let mut queued = 0;
    for (token_id, refusals) in by_token {
        let answered =
            db::usage::successes_since(&state.db, &token_id, minute - usage::WINDOWS_MINUTES[2])
                .await?;
        if !usage::failing(&refusals, answered) {
            continue;
        }
        let Some(held) = spaces::held_token(&state.db, &token_id).await? else {
            continue;
        };
        let Some(to) = held
            .holders
            .technical_email
            .as_deref()
            .or(held.holders.applicant_email.as_deref())
        else {
            continue;
        };
        let mut tx = state.db.begin().await?;
        if db::usage::claim_alert_in(&mut tx, &token_id, now, ALERT_EVERY_MS).await? {
            let mail = templates::integration_failing(
                to,
                held.token.request_id,
                &held.token.name,
                &refusals,
                &state.link(&crate::paths::token_usage(&token_id)),
            );
            db::outbox::enqueue(&mut tx, &mail, now).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}
