//! Writing in a request's conversation: its applicant to the instructors, or
//! an instructor to the applicant, or a note between instructors (never
//! shown to the applicant). The message, its event (not for notes) and the
//! emails to the other side (not for notes), in one transaction.

use crate::domain::lifecycle::is_submitted;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db::{self, instruction::NewMessage};
use crate::server::mail::templates;
use crate::server::policy;
use crate::server::state::AppState;

/// A message as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub id: i64,
    pub body: String,
    pub at: i64,
}

/// Writes `body` by `by` on request `id` (`internal`: a note).
pub async fn send(
    state: &AppState,
    by: &Viewer,
    id: i64,
    body: &str,
    internal: bool,
) -> Result<Sent, AppError> {
    let body = super::required_text("body", body, "Le message")?;
    let r = db::requests::get(&state.db, id)
        .await?
        .ok_or(AppError::new(ErrorCode::NotFound))?;
    let staff = policy::is_staff(by.role);
    let facts = policy::RequestFacts::of(&r);
    if policy::reads_all_requests(by.role) && !facts.submitted {
        return Err(AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas ou n’a pas encore été déposée.",
        ));
    }
    if !policy::can_read_request(by, facts) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        ));
    }
    if !policy::can_write_message(by, facts, internal) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Vous pouvez lire cette conversation, mais pas y écrire.",
        ));
    }
    if !is_submitted(r.state) {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Les messages s’ouvrent une fois la demande déposée.",
        ));
    }
    let mut emails = Vec::new();
    if !internal {
        let title = r.data.context.title.trim();
        let (recipients, link) = if staff {
            let applicant = match r.applicant_id {
                Some(a) => db::users::get(&state.db, a).await?.map(|u| u.email),
                None => None,
            };
            let recipients: Vec<String> = applicant.into_iter().collect();
            (recipients, state.link(&crate::paths::request(id)))
        } else {
            (
                db::users::staff_emails(&state.db).await?,
                state.link(&crate::paths::review(id)),
            )
        };
        for to in recipients {
            emails.push(templates::new_message(&to, id, title, &link));
        }
    }
    let now = db::now_ms();
    let mut tx = state.db.begin().await?;
    let (message_id, event_id) = db::instruction::add_message_in(
        &mut tx,
        &NewMessage {
            request_id: id,
            author_id: by.id,
            author_role: by.role,
            body: &body,
            internal,
            now,
        },
    )
    .await?;
    for email in &emails {
        db::outbox::enqueue(&mut tx, email, now).await?;
    }
    tx.commit().await?;
    if let Some(event_id) = event_id {
        super::announce(
            state,
            crate::domain::lifecycle::EventKind::MessageSent,
            id,
            Some(event_id),
        )
        .await;
    }
    Ok(Sent {
        id: message_id,
        body,
        at: now,
    })
}
