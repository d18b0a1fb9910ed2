//! Use-case templates: a new request started from one (possibly with the
//! SIRET and the title a software vendor's page put in the address), and an
//! administrator's edits, each a new version in the history.

use crate::domain::organisation::OrganisationCheck;
use crate::domain::request::{RequestData, limits};
use crate::domain::template::Template;
use crate::error::{AppError, ErrorCode};
use crate::server::db;
use crate::server::state::AppState;

/// Creates a draft for `applicant_id` from the current version of the
/// template `slug`: the template's context, scopes and legal basis; the
/// SIRET (with the organisation the directory finds for it) and the title
/// when given. `None` when no such template is offered.
pub async fn start(
    state: &AppState,
    applicant_id: i64,
    slug: &str,
    siret: &str,
    title: &str,
) -> Result<Option<i64>, AppError> {
    let Some(stored) = db::templates::get(&state.db, slug).await? else {
        return Ok(None);
    };
    if stored.archived {
        return Ok(None);
    }
    let mut data = RequestData::new_draft();
    stored.template.apply(&mut data);
    let title = clip(title, limits::SHORT);
    if !title.is_empty() {
        data.context.title = title;
    }
    // What the address says is kept as typed (the wizard checks it), but
    // only digits and spaces: a SIRET, not a text.
    let siret: String = siret
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ' ')
        .take(20)
        .collect();
    let siret = siret.trim();
    if siret.is_empty() {
        prefill_agent_organisation(state, applicant_id, &mut data).await?;
    } else {
        fill_organisation(state, &mut data, siret).await;
    }
    let id = db::requests::create_draft_from_template(
        &state.db,
        applicant_id,
        &data,
        &stored.template.slug,
        stored.version,
        db::now_ms(),
    )
    .await?;
    Ok(Some(id))
}

/// Puts `siret` in step 1 with what the directories say of it, as a save
/// would record it.
async fn fill_organisation(state: &AppState, data: &mut RequestData, siret: &str) {
    data.organisation.siret = siret.to_owned();
    if let Some(OrganisationCheck::Found {
        name,
        legal_category,
        active,
        ..
    }) = state.check_siret(siret, None).await
    {
        data.organisation.name = name;
        data.organisation.legal_category = legal_category;
        data.organisation.active = Some(active);
    }
}

/// Step 1 of a new draft for `applicant_id`: the organisation their
/// ProConnect identity says they work for, when they have one.
pub async fn prefill_agent_organisation(
    state: &AppState,
    applicant_id: i64,
    data: &mut RequestData,
) -> Result<(), AppError> {
    let agent =
        db::identities::of_user(&state.db, db::identities::PROCONNECT, applicant_id).await?;
    if let Some(siret) = agent.and_then(|a| a.siret) {
        fill_organisation(state, data, &siret).await;
    }
    Ok(())
}

/// `text` trimmed, at most `max` characters.
fn clip(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// An administrator saves a template: a new one when `expected` is `None`,
/// else the next version of the one they opened at version `expected`.
/// Answers the version saved; a template that moved on since is refused, and
/// the administrator's text is left in their form.
pub async fn save(
    state: &AppState,
    admin_id: i64,
    template: Template,
    expected: Option<i64>,
) -> Result<i64, AppError> {
    let template = template.trimmed();
    if let Some(e) = template.errors().into_iter().next() {
        return Err(AppError::invalid(&e.field, e.message));
    }
    let archived = match expected {
        None => false,
        Some(_) => db::templates::get(&state.db, &template.slug)
            .await?
            .is_some_and(|t| t.archived),
    };
    saved(
        db::templates::save(
            &state.db,
            &template,
            expected,
            archived,
            admin_id,
            db::now_ms(),
        )
        .await?,
    )
}

/// An administrator withdraws a template from applicants (`archived`), or
/// offers it again; the requests that used it keep it. A new version in the
/// history either way.
pub async fn set_archived(
    state: &AppState,
    admin_id: i64,
    slug: &str,
    expected: i64,
    archived: bool,
) -> Result<i64, AppError> {
    let Some(current) = db::templates::get(&state.db, slug).await? else {
        return Err(unknown());
    };
    saved(
        db::templates::save(
            &state.db,
            &current.template,
            Some(expected),
            archived,
            admin_id,
            db::now_ms(),
        )
        .await?,
    )
}

fn saved(outcome: db::templates::Saved) -> Result<i64, AppError> {
    use db::templates::Saved;
    match outcome {
        Saved::Version(v) => Ok(v),
        Saved::Conflict(v) => Err(AppError::with_message(
            ErrorCode::Conflict,
            format!(
                "Ce modèle a été modifié par ailleurs pendant que vous le modifiiez (il en est \
                 à la version {v}). Rien n’a été enregistré : votre texte est resté dans le \
                 formulaire ; copiez-le, rechargez la page, puis reportez vos changements."
            ),
        )),
        Saved::SlugTaken => Err(AppError::invalid(
            "slug",
            "Un autre modèle a déjà cette adresse : choisissez-en une autre.",
        )),
        Saved::Missing => Err(unknown()),
    }
}

fn unknown() -> AppError {
    AppError::with_message(ErrorCode::NotFound, "Ce modèle n’existe pas.")
}
