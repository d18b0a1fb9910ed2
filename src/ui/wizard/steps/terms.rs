//! Step 6: the summary, the terms of use and the submission.

use super::super::{Draft, SaveStatus};
use crate::api::requests::SubmitRequest;
use crate::domain::request::CURRENT_CGU_VERSION;
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, go_to};
use crate::ui::requests::RequestSummaryView;
use leptos::prelude::*;

pub fn terms_step(draft: Draft) -> impl IntoView {
    let submit = ServerAction::<SubmitRequest>::new();
    let error = last_error(submit.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            go_to(&crate::paths::request(draft.id));
        }
    });
    let missing = Memo::new(move |_| draft.data.with(|d| d.validate_all()));
    view! {
        <h2 class="fr-h4">"Récapitulatif"</h2>
        {move || view! { <RequestSummaryView id=draft.id data=draft.data.get() edit=draft.editable.get_value() /> }}
        <h2 class="fr-h4">"Conditions générales d’utilisation"</h2>
        <div class="fr-checkbox-group fr-mb-3w">
            <input type="checkbox" id="cgu" name="cgu"
                disabled=!draft.editable.get_value()
                prop:checked=move || draft.data.with(|d| d.terms.accepted && d.terms.version == CURRENT_CGU_VERSION)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    draft.change(move |d| {
                        d.terms.accepted = on;
                        d.terms.version = if on { CURRENT_CGU_VERSION.to_owned() } else { String::new() };
                    });
                    draft.flush();
                } />
            <label class="fr-label" for="cgu">
                "J’ai lu et j’accepte les "
                <a href={crate::paths::TERMS} target="_blank" rel="noopener" title="conditions générales d’utilisation – nouvelle fenêtre">"conditions générales d’utilisation"</a>
                {format!(" (version {CURRENT_CGU_VERSION})")}
            </label>
        </div>
        {move || {
            let list = missing.get();
            (!list.is_empty()).then(|| view! {
                <div class="fr-alert fr-alert--info fr-mb-3w">
                    <h3 class="fr-alert__title">"Avant de déposer la demande, complétez :"</h3>
                    <ul>
                        {list.into_iter().map(|(step, errors)| view! {
                            <li>
                                <a href={crate::paths::wizard_step(draft.id, step.number())}>
                                    {format!("Étape {} « {} » : {} point(s)", step.number(), step.title(), errors.len())}
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })
        }}
        <ErrorSummary error />
        {move || draft.editable.get_value().then(|| view! {
            <button class="fr-btn" type="button"
                disabled=move || {
                    !missing.get().is_empty()
                        || submit.pending().get()
                        || !matches!(draft.status.get(), SaveStatus::Idle | SaveStatus::Saved(_))
                }
                on:click=move |_| {
                    submit.dispatch(SubmitRequest { id: draft.id, version: draft.version.get_untracked() });
                }>
                "Déposer la demande"
            </button>
        })}
    }
}
