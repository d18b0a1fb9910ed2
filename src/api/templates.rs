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

/// A template in the administrators' list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTemplateRow {
    pub slug: String,
    pub title: String,
    pub version: i64,
    pub archived: bool,
    pub updated_at: i64,
    /// Requests started from it.
    pub uses: i64,
}

/// Every template, archived ones included (administrators).
#[server(endpoint = "admin/templates/list")]
pub async fn admin_templates() -> Result<Vec<AdminTemplateRow>, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    crate::server::caller::<AdminTemplates>().await?;
    let uses = db::templates::use_counts(&state.db).await?;
    Ok(db::templates::list(&state.db, true)
        .await?
        .into_iter()
        .map(|t| AdminTemplateRow {
            uses: uses
                .iter()
                .find(|(slug, _)| *slug == t.template.slug)
                .map_or(0, |(_, n)| *n),
            slug: t.template.slug,
            title: t.template.title,
            version: t.version,
            archived: t.archived,
            updated_at: t.updated_at,
        })
        .collect())
}

/// One version in a template's history, with what it changed from the
/// version before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVersion {
    pub version: i64,
    pub saved_at: i64,
    /// Who saved it; `None` for the built-in first version.
    pub saved_by: Option<String>,
    pub archived: bool,
    /// `Some(archived)` when this version archived or restored the template.
    pub archiving: Option<bool>,
    pub changes: crate::domain::template::TemplateChanges,
}

/// A template as its edit page shows it: the current text and the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateForEdit {
    pub template: Template,
    pub version: i64,
    pub archived: bool,
    pub history: Vec<TemplateVersion>,
}

/// A template to edit, with its history (administrators).
#[server(endpoint = "admin/templates/get")]
pub async fn admin_template(slug: String) -> Result<TemplateForEdit, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    crate::server::caller::<AdminTemplate>().await?;
    let Some(current) = db::templates::get(&state.db, &slug).await? else {
        return Err(AppError::with_message(
            crate::error::ErrorCode::NotFound,
            "Ce modèle n’existe pas.",
        ));
    };
    let versions = db::templates::history(&state.db, &slug).await?;
    // Newest first: each is compared with the one after it.
    let history = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let before = versions.get(i + 1);
            TemplateVersion {
                version: v.version,
                saved_at: v.saved_at,
                saved_by: v.saved_by.clone(),
                archived: v.archived,
                archiving: before
                    .filter(|b| b.archived != v.archived)
                    .map(|_| v.archived),
                changes: before
                    .map(|b| b.template.changes_to(&v.template))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(TemplateForEdit {
        template: current.template,
        version: current.version,
        archived: current.archived,
        history,
    })
}

/// Saves a template (administrators): a new one when `expected` is `None`,
/// else the next version of the one opened at version `expected`. Answers
/// the version saved.
#[server(endpoint = "admin/templates/save", input = leptos::server_fn::codec::Json)]
pub async fn save_template(template: Template, expected: Option<i64>) -> Result<i64, AppError> {
    use crate::server::app_state;
    let state = app_state()?;
    let me = crate::server::caller::<SaveTemplate>().await?;
    crate::server::flows::templates::save(&state, me.id, template, expected).await
}

/// Withdraws a template from applicants, or offers it again
/// (administrators). Answers the version saved.
#[server(endpoint = "admin/templates/archive")]
pub async fn archive_template(
    slug: String,
    expected: i64,
    archived: bool,
) -> Result<i64, AppError> {
    use crate::server::app_state;
    let state = app_state()?;
    let me = crate::server::caller::<ArchiveTemplate>().await?;
    crate::server::flows::templates::set_archived(&state, me.id, &slug, expected, archived).await
}
