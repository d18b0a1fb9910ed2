//! Step 2: the business context and the end users.

use super::super::Draft;
use super::super::field::{Field, lens};
use leptos::prelude::*;

pub fn context_step(draft: Draft) -> impl IntoView {
    let title = lens!(context.title);
    let description = lens!(context.description);
    let end_users = lens!(context.end_users);
    let volume = lens!(context.expected_volume);
    let go_live = lens!(context.go_live);
    view! {
        <Field draft label="Intitulé de la demande" lens=title
            hint="Il nommera aussi le jeton d’accès. Exemple : Pré-remplissage des formulaires d’aides" />
        <Field draft label="Description du cas d’usage" lens=description multiline=true />
        <Field draft label="Public concerné (utilisateurs finaux)" lens=end_users multiline=true />
        <Field draft label="Volumétrie attendue (appels par jour)" lens=volume />
        <Field draft label="Date de mise en service prévue" lens=go_live kind="date" />
    }
}
