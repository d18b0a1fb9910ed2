//! A new request started from a use-case template, possibly with the SIRET
//! and the title a software vendor's page put in the address.

use crate::domain::organisation::OrganisationCheck;
use crate::domain::request::{RequestData, limits};
use crate::error::AppError;
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
    if !siret.is_empty() {
        data.organisation.siret = siret.to_owned();
        // What the directories say of it, as a save would record it.
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

/// `text` trimmed, at most `max` characters.
fn clip(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}
