//! Use-case templates: the public list and pages, and a new request started
//! from one (`/demandes/nouvelle?modele=…&siret=…&intitule=…`).

use crate::domain::template::Template;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A scope as a template page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateScope {
    pub value: String,
    pub label: String,
    pub sensitive: bool,
}

/// A template, with its scopes' labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    pub template: Template,
    pub version: i64,
    pub scopes: Vec<TemplateScope>,
}

#[cfg(feature = "ssr")]
impl TemplateView {
    fn of(stored: crate::domain::template::StoredTemplate) -> TemplateView {
        let scopes = stored
            .template
            .scopes
            .iter()
            .filter_map(|v| crate::domain::scopes::find(v))
            .map(|s| TemplateScope {
                value: s.value.clone(),
                label: s.label.clone(),
                sensitive: s.sensitive,
            })
            .collect();
        TemplateView {
            template: stored.template,
            version: stored.version,
            scopes,
        }
    }
}

/// The templates offered to applicants, in their order.
#[server(endpoint = "templates/list")]
pub async fn list_templates() -> Result<Vec<TemplateView>, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    Ok(db::templates::list(&state.db, false)
        .await?
        .into_iter()
        .map(TemplateView::of)
        .collect())
}

/// One template offered to applicants; `not_found` for an unknown or
/// archived one.
#[server(endpoint = "templates/get")]
pub async fn get_template(slug: String) -> Result<TemplateView, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    match db::templates::get(&state.db, &slug).await? {
        Some(t) if !t.archived => Ok(TemplateView::of(t)),
        _ => Err(unknown_template()),
    }
}

/// Starts a draft from the template `modele`, with the SIRET and title the
/// address gave (either may be empty); answers its number.
#[server(endpoint = "requests/start_from_template")]
pub async fn start_from_template(
    modele: String,
    #[server(default)] siret: String,
    #[server(default)] intitule: String,
) -> Result<i64, AppError> {
    use crate::server::app_state;
    let state = app_state()?;
    let me = crate::server::caller::<StartFromTemplate>().await?;
    let id = crate::server::flows::templates::start(&state, me.id, &modele, &siret, &intitule)
        .await?
        .ok_or_else(unknown_template)?;
    crate::server::after_form(&crate::paths::wizard_step(id, 1));
    Ok(id)
}

/// The French answer for a template that does not exist (or no longer).
pub fn unknown_template() -> AppError {
    AppError::with_message(
        crate::error::ErrorCode::NotFound,
        "Ce modèle de demande n’existe pas ou n’est plus proposé. Choisissez-en un autre, ou \
         commencez une demande libre.",
    )
}
