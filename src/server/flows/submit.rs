//! Submitting a request (first submission, or again after changes were
//! asked): the organisation checked again against the directory, the request
//! validated as the server knows the organisation, then, in one transaction,
//! the state change with its event, the terms of use recorded as accepted
//! and the snapshot the next submission will be compared with
//! (`db::requests::change_state_in`), and the emails to the applicant and to
//! the instructors.

use crate::domain::lifecycle::{Action, Role};
use crate::domain::organisation::OrganisationCheck;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::session::Viewer;
use crate::server::db;
use crate::server::db::requests::{Change, StoredRequest};
use crate::server::mail::templates;
use crate::server::state::AppState;

/// Submits `r` (the applicant's own, checked by the caller) over `version`,
/// the one the applicant reviewed.
pub async fn submit(
    state: &AppState,
    by: &Viewer,
    r: &StoredRequest,
    version: i64,
) -> Result<(), AppError> {
    let id = r.id;
    if r.version != version {
        return Err(AppError::new(ErrorCode::Conflict));
    }
    if let Some(parent_id) = r.parent_id {
        same_organisation(state, r, parent_id).await?;
    }
    let check = organisation_check(state, r).await;
    db::requests::set_organisation_check(&state.db, id, check.as_ref()).await?;
    let mut checked = r.data.clone();
    if let Some(check) = &check {
        checked.organisation = r.data.organisation.as_checked(check);
    }
    let missing = checked.validate_all();
    if !missing.is_empty() {
        let steps: Vec<String> = missing
            .iter()
            .map(|(step, errors)| {
                format!(
                    "étape {} « {} » ({} point{} à compléter)",
                    step.number(),
                    step.title(),
                    errors.len(),
                    if errors.len() > 1 { "s" } else { "" }
                )
            })
            .collect();
        return Err(AppError::with_message(
            ErrorCode::Invalid,
            format!("La demande est incomplète : {}.", steps.join(", ")),
        ));
    }
    let title = r.data.context.title.trim().to_owned();
    let organisation = if checked.organisation.name.trim().is_empty() {
        format!("L’organisation {}", r.data.organisation.siret)
    } else {
        checked.organisation.name.trim().to_owned()
    };
    let link = state.link(&crate::paths::request(id));
    let mut emails = vec![templates::request_received(&by.email, id, &title, &link)];
    for staff in db::users::staff_emails(&state.db).await? {
        emails.push(templates::new_request(
            &staff,
            id,
            &title,
            &organisation,
            &link,
        ));
    }
    // What ProConnect said of the applicant at their last sign-in with it.
    let agent = db::identities::of_user(&state.db, db::identities::PROCONNECT, by.id).await?;
    let link = crate::domain::identity::AgentLink::of(
        agent.as_ref().and_then(|a| a.siret.as_deref()),
        &r.data.organisation.siret,
    );
    let now = db::now_ms();
    let mut tx = state.db.begin().await?;
    db::requests::set_agent_link_in(&mut tx, id, link).await?;
    let changed = db::requests::change_state_in(
        &mut tx,
        &Change {
            expected_version: Some(version),
            ..Change::new(id, Action::Submit, Role::Applicant, Some(by.id), now)
        },
    )
    .await?;
    for email in &emails {
        db::outbox::enqueue(&mut tx, email, now).await?;
    }
    tx.commit().await?;
    super::announce(state, changed.transition.event, id, Some(changed.event_id)).await;
    Ok(())
}

/// The organisation as the directory knows it, asked again now; when the
/// online search cannot answer, an earlier answer for the same SIRET stands.
async fn organisation_check(state: &AppState, r: &StoredRequest) -> Option<OrganisationCheck> {
    let fresh = state.check_siret(&r.data.organisation.siret, None).await;
    match (fresh, r.organisation_check.clone()) {
        (Some(OrganisationCheck::Unavailable { siret }), Some(earlier))
            if earlier.siret() == siret
                && !matches!(earlier, OrganisationCheck::Unavailable { .. }) =>
        {
            Some(earlier)
        }
        (fresh, _) => fresh,
    }
}

/// An update keeps its authorisation's organisation (the token belongs to
/// it), and is filed only while that authorisation is in force.
async fn same_organisation(
    state: &AppState,
    r: &StoredRequest,
    parent_id: i64,
) -> Result<(), AppError> {
    let parent = db::requests::get(&state.db, parent_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if parent.state != crate::domain::RequestState::Accepted {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            format!(
                "L’habilitation n° {parent_id} que cette mise à jour modifie n’est plus en \
                 vigueur : la mise à jour ne peut pas être déposée."
            ),
        ));
    }
    let siret =
        |d: &crate::domain::request::RequestData| db::requests::siret_column(&d.organisation.siret);
    if siret(&r.data) != siret(&parent.data) {
        return Err(AppError::invalid(
            "organisation.siret",
            format!(
                "Une mise à jour garde l’organisation de l’habilitation (SIRET {}) : pour une \
                 autre organisation, déposez une nouvelle demande.",
                parent.data.organisation.siret.trim()
            ),
        ));
    }
    Ok(())
}
