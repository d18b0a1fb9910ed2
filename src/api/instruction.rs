//! The instructors' decisions on a submitted request: ask for changes (with
//! a message, possibly pointing at fields), refuse (with a reason), accept
//! (possibly with fewer scopes than asked). Each writes its event and queues
//! its email to the applicant in one transaction, over the version the
//! instructor reviewed; a repeated decision finds the request already decided
//! and changes nothing. Who may call: `server::policy` (staff only).

use crate::domain::RequestState;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Longest message or reason, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Most fields one request for changes may point at.
pub const MAX_FIELDS: usize = 40;

/// Checks a field path pointed at by a request for changes: one of the
/// request's blocks, then lower-case names, digits and dots.
pub fn is_field_path(path: &str) -> bool {
    use crate::domain::request::BLOCKS;
    let block = path.split('.').next().unwrap_or_default();
    path.len() <= 80
        && BLOCKS.contains(&block)
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        && !path.ends_with('.')
        && !path.contains("..")
}

#[cfg(feature = "ssr")]
mod server_side {
    use crate::domain::lifecycle::{Action, Role};
    use crate::error::{AppError, ErrorCode};
    use crate::server::auth::session::Viewer;
    use crate::server::db;
    use crate::server::db::outbox::NewEmail;
    use crate::server::db::requests::{ActionRecord, RequestWriteError, StoredRequest};
    use crate::server::respond_error;
    use crate::server::state::AppState;

    /// A required text of at most `MAX_MESSAGE_CHARS`, trimmed.
    pub fn required_text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(respond_error(AppError::invalid(
                field,
                format!("{what} est obligatoire."),
            )));
        }
        optional_text(field, v)
    }

    pub fn optional_text(field: &str, value: &str) -> Result<String, AppError> {
        let v = value.trim();
        if v.chars().count() > super::MAX_MESSAGE_CHARS {
            return Err(respond_error(AppError::invalid(
                field,
                format!("Le texte dépasse {} caractères.", super::MAX_MESSAGE_CHARS),
            )));
        }
        Ok(v.to_owned())
    }

    /// The request and its applicant's address.
    pub async fn load(state: &AppState, id: i64) -> Result<(StoredRequest, String), AppError> {
        let r = db::requests::get(&state.db, id)
            .await
            .map_err(respond_error)?
            .ok_or_else(|| {
                respond_error(AppError::with_message(
                    ErrorCode::NotFound,
                    "Cette demande n’existe pas.",
                ))
            })?;
        let applicant = match r.applicant_id {
            Some(a) => db::users::get(&state.db, a)
                .await
                .map_err(respond_error)?
                .map(|u| u.email),
            None => None,
        };
        let Some(email) = applicant else {
            return Err(respond_error(AppError::with_message(
                ErrorCode::NotEditable,
                "Cette demande n’a pas de demandeur : aucune décision n’est possible.",
            )));
        };
        Ok((r, email))
    }

    /// Writes the decision; a repeated or stale one says what happened.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        state: &AppState,
        me: &Viewer,
        id: i64,
        version: i64,
        action: Action,
        message: Option<&str>,
        payload: Option<&str>,
        email: NewEmail,
    ) -> Result<crate::domain::RequestState, AppError> {
        let role = if me.role == Role::Admin {
            Role::Admin
        } else {
            Role::Instructor
        };
        let t = db::requests::act(
            &state.db,
            &ActionRecord {
                id,
                action,
                role,
                actor_id: Some(me.id),
                message,
                payload,
                expected_version: Some(version),
                emails: &[email],
                now: db::now_ms(),
            },
        )
        .await
        .map_err(|e| {
            respond_error(match e {
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
            })
        })?;
        Ok(t.to)
    }
}

/// Asks the applicant for changes: `message` (required) says what, `fields`
/// (optional) point at the fields to change, which the wizard highlights.
#[server(endpoint = "instruction/request_changes", input = Json)]
pub async fn request_changes(
    id: i64,
    version: i64,
    message: String,
    fields: Vec<String>,
) -> Result<RequestState, AppError> {
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    use crate::server::{app_state, respond_error, viewer};
    let state = app_state()?;
    let me = viewer().await?;
    let message = server_side::required_text("message", &message, "Le message au demandeur")?;
    let mut fields: Vec<String> = fields.into_iter().map(|f| f.trim().to_owned()).collect();
    fields.sort();
    fields.dedup();
    if fields.len() > MAX_FIELDS || fields.iter().any(|f| !is_field_path(f)) {
        return Err(respond_error(AppError::invalid(
            "fields",
            "Les champs désignés ne font pas partie de la demande.",
        )));
    }
    let (r, applicant) = server_side::load(&state, id).await?;
    let payload = serde_json::json!({ "fields": fields }).to_string();
    let email = templates::changes_requested(
        &applicant,
        id,
        r.data.context.title.trim(),
        &message,
        &state.link(&format!("/demandes/{id}")),
    );
    server_side::decide(
        &state,
        &me,
        id,
        version,
        Action::RequestChanges,
        Some(&message),
        Some(&payload),
        email,
    )
    .await
}

/// Refuses the request; `reason` is required and sent to the applicant.
#[server(endpoint = "instruction/refuse", input = Json)]
pub async fn refuse_request(
    id: i64,
    version: i64,
    reason: String,
) -> Result<RequestState, AppError> {
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    use crate::server::{app_state, viewer};
    let state = app_state()?;
    let me = viewer().await?;
    let reason = server_side::required_text("reason", &reason, "Le motif du refus")?;
    let (r, applicant) = server_side::load(&state, id).await?;
    let email = templates::request_refused(
        &applicant,
        id,
        r.data.context.title.trim(),
        &reason,
        &state.link(&format!("/demandes/{id}")),
    );
    server_side::decide(
        &state,
        &me,
        id,
        version,
        Action::Refuse,
        Some(&reason),
        None,
        email,
    )
    .await
}

/// Accepts the request with `scopes` (all or some of those asked; at least
/// one); `message` is optional.
#[server(endpoint = "instruction/accept", input = Json)]
pub async fn accept_request(
    id: i64,
    version: i64,
    scopes: Vec<String>,
    message: String,
) -> Result<RequestState, AppError> {
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    use crate::server::{app_state, respond_error, viewer};
    let state = app_state()?;
    let me = viewer().await?;
    let message = server_side::optional_text("message", &message)?;
    let (r, applicant) = server_side::load(&state, id).await?;
    let mut accepted: Vec<String> = Vec::new();
    for s in scopes {
        if !r.data.data.scopes.contains(&s) {
            return Err(respond_error(AppError::invalid(
                "scopes",
                format!("La donnée « {s} » n’a pas été demandée : elle ne peut pas être accordée."),
            )));
        }
        if !accepted.contains(&s) {
            accepted.push(s);
        }
    }
    if accepted.is_empty() {
        return Err(respond_error(AppError::invalid(
            "scopes",
            "Cochez au moins une donnée à accorder, ou refusez la demande.",
        )));
    }
    let payload = serde_json::json!({ "scopes": accepted }).to_string();
    let email = templates::request_accepted(
        &applicant,
        id,
        r.data.context.title.trim(),
        &message,
        &state.link(&format!("/demandes/{id}")),
    );
    server_side::decide(
        &state,
        &me,
        id,
        version,
        Action::Accept,
        (!message.is_empty()).then_some(message.as_str()),
        Some(&payload),
        email,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths() {
        assert!(is_field_path("context.title"));
        assert!(is_field_path("legal.urls.0"));
        assert!(is_field_path("contacts.dpo.email"));
        assert!(!is_field_path("password_hash"));
        assert!(!is_field_path("context."));
        assert!(!is_field_path("context..title"));
        assert!(!is_field_path("context.<script>"));
        assert!(!is_field_path(&format!("context.{}", "a".repeat(100))));
    }
}
