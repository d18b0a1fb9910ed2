//! Step 5: the DPO, the controller, the business and technical contacts.

use super::super::Draft;
use super::super::field::{Field, Lens, lens};
use crate::domain::request::{Contact, RequestData};
use leptos::prelude::*;

/// The lenses of one contact's five fields: `contact_lenses!(dpo)`.
macro_rules! contact_lenses {
    ($role:ident) => {
        [
            lens!(contacts.$role.given_name),
            lens!(contacts.$role.family_name),
            lens!(contacts.$role.email),
            lens!(contacts.$role.phone),
            lens!(contacts.$role.job_title),
        ]
    };
}

fn contact_fields(draft: Draft, title: &'static str, lenses: [Lens; 5]) -> impl IntoView {
    let [given_name, family_name, email, phone, job_title] = lenses;
    view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">{title}</legend>
            <div class="fr-fieldset__element"><Field draft label="Prénom" lens=given_name /></div>
            <div class="fr-fieldset__element"><Field draft label="Nom" lens=family_name /></div>
            <div class="fr-fieldset__element"><Field draft label="Adresse électronique" lens=email kind="email" /></div>
            <div class="fr-fieldset__element"><Field draft label="Téléphone" lens=phone kind="tel" /></div>
            <div class="fr-fieldset__element"><Field draft label="Fonction" lens=job_title /></div>
        </fieldset>
    }
}

/// "Mêmes coordonnées que …": copies one contact into another.
fn copy_contact(
    draft: Draft,
    label: &'static str,
    from: fn(&RequestData) -> Contact,
    to: fn(&mut RequestData, Contact),
) -> impl IntoView {
    view! {
        <button class="fr-btn fr-btn--sm fr-btn--tertiary fr-mb-2w" type="button"
            disabled=!draft.editable.get_value()
            on:click=move |_| {
                let c = draft.data.with_untracked(from);
                draft.change(move |d| to(d, c));
                draft.flush();
            }>
            {label}
        </button>
    }
}

pub fn contacts_step(draft: Draft) -> impl IntoView {
    view! {
        {contact_fields(draft, "Délégué·e à la protection des données (DPO)", contact_lenses!(dpo))}
        {contact_fields(draft, "Responsable de traitement", contact_lenses!(controller))}
        {copy_contact(draft, "Contact métier : mêmes coordonnées que le responsable de traitement",
            |d| d.contacts.controller.clone(), |d, c| d.contacts.business = c)}
        {contact_fields(draft, "Contact métier", contact_lenses!(business))}
        {copy_contact(draft, "Contact technique : mêmes coordonnées que le contact métier",
            |d| d.contacts.business.clone(), |d, c| d.contacts.technical = c)}
        {contact_fields(draft, "Contact technique", contact_lenses!(technical))}
    }
}
