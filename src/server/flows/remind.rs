//! Reminders before a token's expiry (J-90, 60, 30, 15, 7 and 0), each sent
//! once: its row and its email in one transaction.

use crate::server::db::{self, spaces};
use crate::server::mail::templates;
use crate::server::state::AppState;

/// Queues the reminders due at `now`; answers how many were queued.
pub async fn send_due(state: &AppState, now: i64) -> Result<usize, db::DbError> {
    let mut queued = 0;
    for due in spaces::tokens_near_expiry(&state.db, now).await? {
        let (Some(days), Some(email)) = (spaces::reminder_due(due.expires_at, now), due.email)
        else {
            continue;
        };
        let mut tx = state.db.begin().await?;
        if spaces::mark_reminded_in(&mut tx, &due.token_id, due.expires_at, days, now).await? {
            let mail = templates::token_expiry_reminder(
                &email,
                due.request_id,
                &due.name,
                days,
                due.expires_at,
                &state.link(&if days == 0 {
                    crate::paths::SPACE.to_owned()
                } else {
                    crate::paths::renewal(&due.token_id)
                }),
            );
            db::outbox::enqueue(&mut tx, &mail, now).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Sends the due reminders every hour (started by `serve`).
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match send_due(&state, db::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "rappels d’expiration de jetons"),
                Err(e) => tracing::warn!(error = %e, "rappels d’expiration de jetons"),
            }
        }
    });
}
