//! Step 1: the organisation, found in the directory from its SIRET.

use super::super::Draft;
use super::super::field::{Field, lens};
use crate::api::requests::lookup_organisation;
use leptos::prelude::*;

pub fn organisation_step(draft: Draft) -> impl IntoView {
    let siret = lens!(organisation.siret);
    let name = lens!(organisation.name);
    let justification = lens!(organisation.justification);
    let lookup = Action::new(move |siret: &String| lookup_organisation(siret.clone()));
    let found = lookup.value();
    Effect::new(move |_| match found.get() {
        Some(Ok(Some(org))) => draft.change(|d| {
            d.organisation.name = org.name.clone();
            d.organisation.legal_category = org.legal_category.clone();
            d.organisation.active = Some(org.active);
        }),
        // Unknown to the directory: no category (a justification is asked);
        // the name is the applicant's to type.
        Some(Ok(None)) => draft.change(|d| {
            d.organisation.legal_category.clear();
            d.organisation.active = None;
        }),
        _ => {}
    });
    view! {
        <Field draft label="Numéro SIRET de l’organisation" lens=siret
            hint="14 chiffres, espaces acceptés. Exemple : 213 401 722 01787" />
        <button class="fr-btn fr-btn--secondary fr-mb-3w" type="button"
            on:click=move |_| { lookup.dispatch(draft.data.with_untracked(|d| d.organisation.siret.clone())); }>
            "Rechercher l’organisation"
        </button>
        {move || match found.get() {
            Some(Ok(Some(org))) => Some(view! {
                <div class="fr-callout fr-mb-3w">
                    <h2 class="fr-callout__title fr-h6">{org.name.clone()}</h2>
                    <p class="fr-callout__text">
                        {format!("Catégorie juridique {} ({}). ", org.legal_category, org.legal_category_label)}
                        {org.eligibility_message.clone()}
                    </p>
                </div>
            }.into_any()),
            Some(Ok(None)) => Some(view! {
                <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
                    <p>"Cette organisation ne figure pas dans l’annuaire : indiquez son nom et décrivez sa mission de service public ; l’instructeur vérifiera son éligibilité."</p>
                </div>
            }.into_any()),
            Some(Err(e)) => Some(view! {
                <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-3w" role="alert"><p>{e.message}</p></div>
            }.into_any()),
            None => None,
        }}
        <Field draft label="Nom de l’organisation" lens=name />
        <Field draft label="Mission de service public" lens=justification multiline=true
            hint="Obligatoire pour un organisme privé chargé d’une mission de service public, ou pour une organisation absente de l’annuaire : décrivez cette mission et son fondement." />
    }
}
