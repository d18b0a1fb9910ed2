//! The applicant's wizard: six steps on one draft, saved without any button.
//!
//! The draft lives in the parent route (`/demandes/:id/etape`), so moving
//! between steps keeps it. Every change is written at once to the browser's
//! storage (localStorage, through gloo-storage) and saved to the server
//! 800 ms after the last keystroke, or at once when a field is left; saves go
//! one at a time, in order, each over the version the last one produced, each
//! with an id that makes a retry harmless. Offline, the changes wait in the
//! browser and go when the connection is back; a reload restores them. A save
//! over a version changed elsewhere stops with both versions shown. A save
//! whose answer never came (network cut, page reloaded meanwhile) may still
//! have been written: the next one names it (`earlier`), so the server lets
//! it go over it instead of calling the device's own save a conflict.

mod draft;
pub mod engine;
mod field;
mod steps;

pub use draft::{Draft, SaveStatus, local_time};

use crate::api::requests::get_request;
use crate::domain::request::Step;
use crate::error::ErrorCode;
use crate::ui::forms::ErrorSummary;
use crate::ui::requests::{ChangesMessage, request_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

/// The status line.
#[component]
fn SaveIndicator(draft: Draft) -> impl IntoView {
    move || {
        let (class, text) = match draft.status.get() {
            SaveStatus::Idle => (
                "fr-text--sm guichet-save",
                "Enregistrement automatique".to_owned(),
            ),
            SaveStatus::Pending | SaveStatus::Saving => {
                ("fr-text--sm guichet-save", "Enregistrement…".to_owned())
            }
            SaveStatus::Saved(at) => (
                "fr-text--sm guichet-save fr-icon-check-line",
                format!("Enregistré à {}", local_time(at)),
            ),
            SaveStatus::Offline => (
                "fr-text--sm guichet-save guichet-save--warning",
                "Hors ligne — vos saisies sont gardées sur cet appareil".to_owned(),
            ),
            SaveStatus::Unavailable => (
                "fr-text--sm guichet-save guichet-save--warning",
                "Enregistrement momentanément impossible — vos saisies sont gardées sur cet \
                 appareil et seront enregistrées dès que possible"
                    .to_owned(),
            ),
            SaveStatus::Conflict(_) => (
                "fr-text--sm guichet-save guichet-save--error",
                "Conflit".to_owned(),
            ),
            SaveStatus::Refused(m) => ("fr-text--sm guichet-save guichet-save--error", m),
        };
        view! {
            <p class=class role="status" aria-live="polite" data-testid="save-status">
                {text}
            </p>
        }
    }
}

/// Both versions of a conflicting draft, and the choice.
#[component]
fn ConflictPanel(draft: Draft) -> impl IntoView {
    move || {
        let SaveStatus::Conflict(server) = draft.status.get() else {
            return None;
        };
        let mine = draft.data.get_untracked();
        let differences = crate::domain::request::differences(&mine, &server.data);
        let server_for_take = server.clone();
        Some(view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w" role="alert">
                <h2 class="fr-alert__title">"Conflit : cette demande a été modifiée ailleurs"</h2>
                <p>
                    "Elle a été enregistrée depuis un autre onglet ou un autre appareil pendant \
                     que vous la modifiiez ici. Rien n’a été écrasé : choisissez la version à garder."
                </p>
                <div class="fr-table fr-table--sm fr-mt-2w">
                    <table>
                        <caption>"Champs qui diffèrent"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Champ"</th>
                                <th scope="col">"Votre version (cet appareil)"</th>
                                <th scope="col">"Version enregistrée"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {differences
                                .into_iter()
                                .map(|c| view! { <tr><td>{c.label}</td><td>{c.before}</td><td>{c.after}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                <ul class="fr-btns-group fr-btns-group--inline-md">
                    <li>
                        <button class="fr-btn" type="button" on:click={
                            let v = server.version;
                            move |_| draft.keep_mine(v)
                        }>"Garder ma version"</button>
                    </li>
                    <li>
                        <button class="fr-btn fr-btn--secondary" type="button" on:click=move |_| draft.take_theirs(&server_for_take)>
                            "Reprendre la version enregistrée"
                        </button>
                    </li>
                </ul>
            </div>
        })
    }
}

/// The parent of the steps: loads the draft once and keeps it.
#[component]
pub fn WizardShell() -> impl IntoView {
    let request = Resource::new_blocking(request_id_param(), get_request);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match request.await {
                    Ok(view) => {
                        let draft = Draft::new(&view);
                        provide_context(draft);
                        #[cfg(feature = "hydrate")]
                        {
                            let server = view.clone();
                            request_animation_frame(move || draft.restore(server));
                            let _ = window_event_listener(leptos::ev::online, move |_| draft.flush());
                        }
                        view! { <Outlet /> }.into_any()
                    }
                    Err(e) if e.code == ErrorCode::Unauthenticated => {
                        crate::ui::forms::to_sign_in()
                    }
                    Err(e) => {
                        crate::ui::forms::page_status(&e);
                        view! {
                        <div class="fr-container fr-my-6w">
                            <h1>"Demande introuvable"</h1>
                            <ErrorSummary error=Signal::derive(move || Some(e.clone())) />
                            <a class="fr-link" href={crate::paths::MY_REQUESTS}>"Mes demandes"</a>
                        </div>
                    }
                    .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// One step's page: stepper, status, conflict, errors, fields, navigation.
#[component]
pub fn StepPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || {
        params
            .read()
            .get("n")
            .and_then(|v| v.parse::<usize>().ok())
            .and_then(Step::from_number)
            .unwrap_or(Step::Organisation)
    };
    let Some(draft) = use_context::<Draft>() else {
        return view! { <p>"Brouillon indisponible."</p> }.into_any();
    };
    view! {
        {move || {
            let step = number();
            let n = step.number();
            let count = Step::COUNT;
            let id = draft.id;
            draft.show_all.set(false);
            view! {
                <Title text=format!("Étape {n} sur {count} : {} – demande n° {id}", step.title()) />
                <div class="fr-container fr-my-6w">
                    <p class="fr-mb-1w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href={crate::paths::MY_REQUESTS}>"Mes demandes"</a></p>
                    <div class="fr-stepper">
                        <h1 class="fr-stepper__title">
                            {step.title()}
                            <span class="fr-stepper__state">{format!("Étape {n} sur {count}")}</span>
                        </h1>
                        <div class="fr-stepper__steps" data-fr-current-step=n data-fr-steps=count></div>
                        {Step::from_number(n + 1).map(|next| view! {
                            <p class="fr-stepper__details">
                                <span class="fr-text--bold">"Étape suivante : "</span>
                                {next.title()}
                            </p>
                        })}
                    </div>
                    <ChangesMessage message=draft.changes_message.get_value() fields=draft.changes_fields.get_value() id=draft.id />
                    <SaveIndicator draft />
                    <ConflictPanel draft />
                    <StepErrors draft step />
                    {steps::step_fields(draft, step)}
                    <nav class="fr-mt-4w" aria-label="Étapes de la demande">
                        <ul class="fr-btns-group fr-btns-group--inline-md">
                            {(n > 1).then(|| view! {
                                <li>
                                    <a class="fr-btn fr-btn--secondary" href={crate::paths::wizard_step(id, n - 1)}
                                        on:click=move |_| draft.flush()>
                                        "Étape précédente"
                                    </a>
                                </li>
                            })}
                            {(n < count).then(|| view! {
                                <li>
                                    <button class="fr-btn fr-btn--tertiary" type="button" on:click=move |_| {
                                        draft.show_all.set(true);
                                        focus_errors();
                                    }>
                                        "Vérifier cette étape"
                                    </button>
                                </li>
                                <li>
                                    <a class="fr-btn" href={crate::paths::wizard_step(id, n + 1)}
                                        on:click=move |_| draft.flush()>
                                        "Étape suivante"
                                    </a>
                                </li>
                            })}
                        </ul>
                    </nav>
                </div>
            }
        }}
    }
    .into_any()
}

/// Moves the focus to the error summary once it is drawn (screen readers read it).
fn focus_errors() {
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id("erreurs-etape")
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// The summary of a step's errors (DSFR alert) with links to the fields.
#[component]
fn StepErrors(draft: Draft, step: Step) -> impl IntoView {
    let errors = Memo::new(move |_| draft.visible_errors(step));
    move || {
        let list = errors.get();
        (!list.is_empty() && draft.show_all.get()).then(|| {
            view! {
                <div class="fr-alert fr-alert--error fr-mb-3w" role="alert" tabindex="-1" id="erreurs-etape">
                    <h2 class="fr-alert__title">{format!("{} point(s) à compléter dans cette étape", list.len())}</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|e| {
                                let href = format!("#champ-{}", e.field.replace('.', "-"));
                                view! { <li><a href=href>{e.message}</a></li> }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
        })
    }
}
