//! The instructors' decisions on a submitted request — ask for changes (with
//! a message, maybe pointing at fields), refuse (with a reason), accept
//! (with all or some of the scopes asked) — and the revocation of an
//! accepted one. Each, in one transaction over the version the instructor
//! reviewed: the state change and its event, the email to the applicant (or,
//! for an acceptance, the grant and its emails), the tokens revoked. A
//! repeated decision finds the request already decided and changes nothing.

use crate::domain::RequestState;
use crate::domain::lifecycle::{Action, EventKind, RequestKind, Role};
use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db::outbox::NewEmail;
use crate::server::db::requests::{Change, RequestWriteError, StoredRequest};
use crate::server::db::{self, spaces};
use crate::server::mail::templates;
use crate::server::state::AppState;

/// Most fields one request for changes may point at.
pub const MAX_FIELDS: usize = 40;

/// What the instructor decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `message` says what to change; `fields` point at the fields, which
    /// the wizard highlights.
    RequestChanges {
        message: String,
        fields: Vec<String>,
    },
    Refuse {
        reason: String,
    },
    /// The token is refused from the next API call on.
    Revoke {
        reason: String,
    },
    /// `scopes`: all or some of those asked, at least one.
    Accept {
        scopes: Vec<String>,
        message: String,
    },
}

/// A decision on request `id`, over `version` (`None`: the current one, for
/// the demo).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub version: Option<i64>,
    pub verdict: Verdict,
}

/// What a decision writes besides its state change.
enum Effect {
    /// The email to the applicant.
    Tell(NewEmail),
    /// An acceptance: the grant, whose emails say it.
    Grant(spaces::Grant),
    /// The acceptance of an update: its parent's data and token's scopes
    /// change (`grant::update_in`), whose emails say it.
    Update(spaces::Grant),
}

/// Checks and writes `d` by staff member `by`; answers the new state.
pub async fn decide(state: &AppState, by: &Viewer, d: Decision) -> Result<RequestState, AppError> {
    // The texts first: a missing reason is said whatever the request.
    let verdict = checked_texts(d.verdict)?;
    let (r, applicant) = load(state, d.id).await?;
    let link = state.link(&crate::paths::request(r.id));
    let title = r.data.context.title.trim().to_owned();
    let (action, message, payload, effect) = match verdict {
        Verdict::RequestChanges { message, fields } => {
            let payload = serde_json::json!({ "fields": fields }).to_string();
            let email = templates::changes_requested(&applicant, r.id, &title, &message, &link);
            (
                Action::RequestChanges,
                Some(message),
                Some(payload),
                Effect::Tell(email),
            )
        }
        Verdict::Refuse { reason } => {
            let email = templates::request_refused(&applicant, r.id, &title, &reason, &link);
            (Action::Refuse, Some(reason), None, Effect::Tell(email))
        }
        Verdict::Revoke { .. } if r.kind != RequestKind::Initial => {
            return Err(AppError::with_message(
                ErrorCode::NotEditable,
                format!(
                    "{} ne se révoque pas : révoquez l’habilitation concernée (demande n° {}).",
                    match r.kind {
                        RequestKind::Renewal => "Un renouvellement",
                        _ => "Une mise à jour validée",
                    },
                    r.parent_id.unwrap_or_default()
                ),
            ));
        }
        Verdict::Revoke { reason } => {
            let email = templates::token_revoked(&applicant, r.id, &title, &reason, &link);
            (Action::Revoke, Some(reason), None, Effect::Tell(email))
        }
        Verdict::Accept { scopes, message } => {
            let accepted = accepted_scopes(&r, scopes)?;
            let payload = serde_json::json!({ "scopes": accepted }).to_string();
            let grant = grant_of(&r, &accepted);
            let message = (!message.is_empty()).then_some(message);
            let effect = match r.kind {
                RequestKind::Initial => Effect::Grant(grant),
                // A renewal is never submitted: `change_state_in` refuses
                // to accept it (it is accepted already).
                RequestKind::Update | RequestKind::Renewal => Effect::Update(grant),
            };
            (Action::Accept, message, Some(payload), effect)
        }
    };
    let now = db::now_ms();
    let mut tx = state.db.begin().await?;
    let changed = db::requests::change_state_in(
        &mut tx,
        &Change {
            id: r.id,
            action,
            role: staff_role(by),
            actor_id: Some(by.id),
            message: message.as_deref(),
            payload: payload.as_deref(),
            expected_version: d.version,
            now,
        },
    )
    .await
    .map_err(refused)?;
    let mut updated = None;
    match &effect {
        Effect::Tell(email) => {
            db::outbox::enqueue(&mut tx, email, now).await?;
        }
        Effect::Grant(grant) => {
            let text = message.as_deref().unwrap_or_default();
            super::grant::grant_in(state, &mut tx, grant, text, now).await?;
        }
        Effect::Update(g) => {
            let text = message.as_deref().unwrap_or_default();
            let applied = super::grant::update_in(
                state,
                &mut tx,
                r.id,
                g.title.trim(),
                &g.scopes,
                g.applicant_id,
                g.technical_email.as_deref().unwrap_or_default(),
                (by.id, staff_role(by)),
                text,
                now,
            )
            .await?;
            updated = Some(applied);
        }
    }
    let revoked = changed.transition.event == EventKind::Revoked;
    if revoked {
        // The token is refused from the next call on (every call reads it).
        spaces::revoke_tokens_in(&mut tx, r.id, now).await?;
    }
    tx.commit().await?;
    if revoked {
        // Refused from the next call on this instance; the others hear the
        // event announced below.
        state.api.forget_request(r.id);
    }
    if let Some(applied) = updated {
        // The parent's token has its new scopes from the next call on this
        // instance; the others hear the event.
        state.api.forget_request(applied.parent_id);
        super::announce(
            state,
            EventKind::UpdateAccepted,
            applied.parent_id,
            Some(applied.event_id),
        )
        .await;
    }
    super::announce(
        state,
        changed.transition.event,
        r.id,
        Some(changed.event_id),
    )
    .await;
    Ok(changed.transition.to)
}

/// The verdict with its texts trimmed and checked.
fn checked_texts(verdict: Verdict) -> Result<Verdict, AppError> {
    use super::{optional_text, required_text};
    Ok(match verdict {
        Verdict::RequestChanges { message, fields } => {
            let message = required_text("message", &message, "Le message au demandeur")?;
            let mut fields: Vec<String> = fields.into_iter().map(|f| f.trim().to_owned()).collect();
            fields.sort();
            fields.dedup();
            if fields.len() > MAX_FIELDS
                || fields
                    .iter()
                    .any(|f| !crate::domain::request::is_field_path(f))
            {
                return Err(AppError::invalid(
                    "fields",
                    "Les champs désignés ne font pas partie de la demande.",
                ));
            }
            Verdict::RequestChanges { message, fields }
        }
        Verdict::Refuse { reason } => Verdict::Refuse {
            reason: required_text("reason", &reason, "Le motif du refus")?,
        },
        Verdict::Revoke { reason } => Verdict::Revoke {
            reason: required_text("reason", &reason, "Le motif de la révocation")?,
        },
        Verdict::Accept { scopes, message } => Verdict::Accept {
            scopes,
            message: optional_text("message", &message)?,
        },
    })
}

/// The scopes granted: each one asked, once; at least one.
fn accepted_scopes(r: &StoredRequest, scopes: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut accepted: Vec<String> = Vec::new();
    for s in scopes {
        if !r.data.data.scopes.contains(&s) {
            return Err(AppError::invalid(
                "scopes",
                format!("La donnée « {s} » n’a pas été demandée : elle ne peut pas être accordée."),
            ));
        }
        if !accepted.contains(&s) {
            accepted.push(s);
        }
    }
    if accepted.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "Cochez au moins une donnée à accorder, ou refusez la demande.",
        ));
    }
    Ok(accepted)
}

/// What accepting `r` with `accepted` grants.
fn grant_of(r: &StoredRequest, accepted: &[String]) -> spaces::Grant {
    spaces::Grant {
        request_id: r.id,
        siret: db::requests::siret_column(&r.data.organisation.siret),
        // The directory's name when it knows the SIRET, not the one typed.
        organisation_name: match &r.organisation_check {
            Some(c) => r.data.organisation.as_checked(c).name,
            None => r.data.organisation.name.clone(),
        },
        title: r.data.context.title.clone(),
        scopes: crate::domain::scopes::token_scopes(accepted),
        applicant_id: r.applicant_id.unwrap_or_default(),
        technical_email: Some(r.data.contacts.technical.email.clone()),
    }
}

/// An administrator decides as one; anyone else as an instructor.
fn staff_role(by: &Viewer) -> Role {
    if by.role == Role::Admin {
        Role::Admin
    } else {
        Role::Instructor
    }
}

/// The request and its applicant's address.
async fn load(state: &AppState, id: i64) -> Result<(StoredRequest, String), AppError> {
    let r = db::requests::get(&state.db, id).await?.ok_or_else(|| {
        AppError::with_message(ErrorCode::NotFound, "Cette demande n’existe pas.")
    })?;
    let applicant = match r.applicant_id {
        Some(a) => db::users::get(&state.db, a).await?.map(|u| u.email),
        None => None,
    };
    let Some(email) = applicant else {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Cette demande n’a pas de demandeur : aucune décision n’est possible.",
        ));
    };
    Ok((r, email))
}

/// A decision the state or the version refused: what happened, in French.
fn refused(e: RequestWriteError) -> AppError {
    match e {
        RequestWriteError::NotFound => AppError::new(ErrorCode::NotFound),
        RequestWriteError::Conflict { .. } => AppError::with_message(
            ErrorCode::Conflict,
            "La demande a changé depuis que vous l’avez ouverte (le demandeur l’a \
             modifiée ou redéposée) : rechargez-la avant de décider.",
        ),
        RequestWriteError::Lifecycle(l) => AppError::with_message(
            ErrorCode::NotEditable,
            format!("Décision impossible, rien n’a été fait : {l}"),
        ),
        RequestWriteError::Db(d) => d.into(),
    }
}
