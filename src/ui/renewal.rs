//! `/espace/renouveler/:id`: before an authorisation is extended by 18
//! months, a person of its token checks its purpose, its contacts and its
//! data, and may remove the sensitive data it no longer uses (those without
//! a call for 90 days are ticked for removal); what changed goes through an
//! update instead.

use crate::api::requests::StartUpdate;
use crate::api::space::{RenewToken, RenewalView, renewal_check};
use crate::domain::renewal::Check;
use crate::domain::time::{format_paris_date, format_paris_long};
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, SuccessNotice, field_error, go_to, load_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One confirmation box, with its error.
#[component]
fn Confirm(
    id: &'static str,
    label: &'static str,
    checked: RwSignal<bool>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="fr-checkbox-group fr-mt-2w"
            class:fr-checkbox-group--error=move || error.get().is_some()>
            <input type="checkbox" id=id name=id
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev)) />
            <label class="fr-label" for=id>{label}</label>
            {move || error.get().map(|e| view! { <p class="fr-error-text">{e}</p> })}
        </div>
    }
}

fn check_form(
    v: RenewalView,
    renew: ServerAction<RenewToken>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let purpose = RwSignal::new(false);
    let contacts = RwSignal::new(false);
    let data = RwSignal::new(false);
    // The sensitive scopes unused for 90 days are proposed for removal.
    let remove: RwSignal<Vec<String>> = RwSignal::new(
        v.scopes
            .iter()
            .filter(|s| s.unused)
            .map(|s| s.scope.clone())
            .collect(),
    );
    let id = v.token_id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        renew.dispatch(RenewToken {
            id: id.clone(),
            check: Check {
                purpose: purpose.get_untracked(),
                contacts: contacts.get_untracked(),
                data: data.get_untracked(),
            },
            remove: remove.get_untracked(),
        });
    };
    let proposed = v.scopes.iter().any(|s| s.unused);
    view! {
        <ErrorSummary error />
        <form on:submit=submit novalidate>
            <section class="fr-mb-4w" aria-labelledby="objet">
                <h2 id="objet" class="fr-h4">"1. Objet de l’habilitation"</h2>
                <p class="fr-mb-1w"><strong>{v.title.clone()}</strong></p>
                <p class="fr-mb-1w">{v.description.clone()}</p>
                <p class="fr-mb-1w">"Public concerné : "{v.end_users.clone()}</p>
                <Confirm id="check-purpose"
                    label="L’objet et le public de cette habilitation n’ont pas changé."
                    checked=purpose error=field_error(error, "check.purpose") />
            </section>
            <section class="fr-mb-4w" aria-labelledby="contacts">
                <h2 id="contacts" class="fr-h4">"2. Contacts"</h2>
                <div class="fr-table fr-table--no-caption fr-mb-0">
                    <table>
                        <caption>"Contacts de l’habilitation"</caption>
                        <thead><tr><th scope="col">"Rôle"</th><th scope="col">"Nom"</th><th scope="col">"Adresse électronique"</th></tr></thead>
                        <tbody>
                            {v.contacts.iter().map(|c| view! {
                                <tr>
                                    <td>{c.role.clone()}</td>
                                    <td>{if c.name.is_empty() { "—".to_owned() } else { c.name.clone() }}</td>
                                    <td>{if c.email.is_empty() { "—".to_owned() } else { c.email.clone() }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <Confirm id="check-contacts"
                    label="Ces contacts sont à jour : ces personnes occupent toujours ces fonctions."
                    checked=contacts error=field_error(error, "check.contacts") />
            </section>
            <section class="fr-mb-4w" aria-labelledby="donnees">
                <h2 id="donnees" class="fr-h4">"3. Données"</h2>
                {proposed.then(|| view! {
                    <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-2w">
                        <p>
                            "Certaines données sensibles n’ont été appelées par aucun de vos services \
                             depuis 90 jours : elles sont cochées pour être retirées. Décochez celles \
                             dont vous avez encore besoin."
                        </p>
                    </div>
                })}
                <fieldset class="fr-fieldset" id="retirer" aria-labelledby="retirer-legende"
                    class:fr-fieldset--error=move || field_error(error, "remove").get().is_some()>
                    <legend class="fr-fieldset__legend fr-text--regular" id="retirer-legende">
                        "Données de l’habilitation. Cochez une donnée sensible pour la retirer : \
                         les appels qui la demandent seront refusés."
                    </legend>
                    {v.scopes.iter().map(|s| {
                        let scope = s.scope.clone();
                        let box_id = format!("retirer-{}", s.scope);
                        let usage = match s.last_used_at {
                            Some(at) => format!("dernier appel le {}", format_paris_date(at)),
                            None => "jamais appelée".to_owned(),
                        };
                        if s.sensitive {
                            let toggled = scope.clone();
                            view! {
                                <div class="fr-fieldset__element">
                                    <div class="fr-checkbox-group">
                                        <input type="checkbox" id=box_id.clone() name="remove" value=scope.clone()
                                            prop:checked=move || remove.with(|r| r.contains(&scope))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                remove.update(|r| {
                                                    r.retain(|x| *x != toggled);
                                                    if on { r.push(toggled.clone()); }
                                                });
                                            } />
                                        <label class="fr-label" for=box_id>
                                            {format!("Retirer « {} »", s.label)}
                                            <span class="fr-hint-text">
                                                {format!("Donnée sensible — {usage}")}
                                                {s.unused.then(|| view! {
                                                    <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Non utilisée depuis 90 jours"</span>
                                                })}
                                            </span>
                                        </label>
                                    </div>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <div class="fr-fieldset__element">
                                    <p class="fr-mb-0">{s.label.clone()}</p>
                                </div>
                            }.into_any()
                        }
                    }).collect_view()}
                    {move || field_error(error, "remove").get().map(|e| view! {
                        <div class="fr-messages-group"><p class="fr-message fr-message--error">{e}</p></div>
                    })}
                </fieldset>
                <Confirm id="check-data"
                    label="Les données conservées sont toujours nécessaires à cette démarche."
                    checked=data error=field_error(error, "check.data") />
            </section>
            <button class="fr-btn" type="submit" disabled=move || renew.pending().get()>
                {format!("Confirmer et prolonger jusqu’au {}", format_paris_date(v.new_expiry))}
            </button>
        </form>
    }
}

/// What to do when something changed: an update (its applicant or its
/// technical contact), or the one under way.
fn changed(v: &RenewalView, start_update: ServerAction<StartUpdate>) -> AnyView {
    let body = match (v.open_update, v.may_update) {
        (Some(u), _) => view! {
            <p class="fr-callout__text fr-text--md">
                {format!("Une mise à jour de cette habilitation est déjà en cours (demande n° {u}). ")}
                <a href=crate::paths::request(u)>{format!("Voir la demande n° {u}")}</a>
            </p>
        }
        .into_any(),
        (None, true) => {
            let request_id = v.request_id;
            view! {
                <p class="fr-callout__text fr-text--md">
                    "Un nouveau contact, un usage qui évolue, une donnée de plus ? Demandez une mise \
                     à jour plutôt que de confirmer : l’habilitation actuelle reste valable pendant \
                     son instruction."
                </p>
                <ActionForm action=start_update>
                    <input type="hidden" name="id" value=request_id />
                    <button class="fr-btn fr-btn--secondary fr-icon-edit-line fr-btn--icon-left" type="submit">
                        "Demander une mise à jour"
                    </button>
                </ActionForm>
            }
            .into_any()
        }
        (None, false) => ().into_any(),
    };
    view! {
        <div class="fr-callout fr-mb-4w" data-testid="quelque-chose-a-change">
            <h2 class="fr-callout__title fr-h5">"Quelque chose a changé ?"</h2>
            {body}
        </div>
    }
    .into_any()
}

#[component]
pub fn RenewalPage() -> impl IntoView {
    let params = use_params_map();
    let check = Resource::new_blocking(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        renewal_check,
    );
    let renew = ServerAction::<RenewToken>::new();
    let start_update = ServerAction::<StartUpdate>::new();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start_update.value().get() {
            go_to(&crate::paths::wizard_step(id, 2));
        }
    });
    let update_error = last_error(start_update.value());
    // Made here, not in the form: the form stays mounted (hidden) once
    // renewed, so nothing reads a disposed signal.
    let renew_error = last_error(renew.value());
    let done = move || match renew.value().get() {
        Some(Ok(d)) => Some(d),
        _ => None,
    };
    view! {
        <Title text="Renouveler une habilitation" />
        <div class="fr-container fr-my-6w">
            <Suspense>
                {move || Suspend::new(async move {
                    match check.await {
                        Err(e) => load_error(e),
                        Ok(v) => view! {
                            <h1>{format!("Renouveler l’habilitation n° {}", v.request_id)}</h1>
                            <p class="fr-text--lead fr-mb-1w">{v.title.clone()}</p>
                            <p>{format!("Organisation : {}, SIRET {}", v.organisation, v.siret)}</p>
                            {move || done().map(|d| view! {
                                <SuccessNotice title="Habilitation renouvelée">
                                    <p>{format!(
                                        "Elle est valable jusqu’au {}. Le jeton ne change pas : rien n’est à \
                                         redéployer. Le demandeur et le contact technique sont prévenus par courriel.",
                                        format_paris_date(d.expires_at)
                                    )}</p>
                                </SuccessNotice>
                                <a class="fr-btn fr-btn--secondary" href=crate::paths::SPACE>"Retour à mon espace"</a>
                            })}
                            {if v.open {
                                let help = changed(&v, start_update);
                                let intro = format!(
                                    "Elle expire le {}. Vérifiez les trois points ci-dessous : une fois confirmés, \
                                     elle est prolongée de 18 mois, jusqu’au {}, avec le même jeton.",
                                    format_paris_long(v.expires_at),
                                    format_paris_date(v.new_expiry)
                                );
                                view! {
                                    <div hidden=move || done().is_some()>
                                        <p>{intro}</p>
                                        <ErrorSummary error=update_error />
                                        {help}
                                        {check_form(v.clone(), renew, renew_error)}
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <div class="fr-alert fr-alert--info fr-mb-3w">
                                        <h2 class="fr-alert__title">"Pas encore de renouvellement"</h2>
                                        <p>{format!(
                                            "Cette habilitation expire le {}. Elle peut être renouvelée dans les 90 jours \
                                             qui précèdent son expiration, si elle n’a pas été révoquée.",
                                            format_paris_long(v.expires_at)
                                        )}</p>
                                    </div>
                                    <a class="fr-btn fr-btn--secondary" href=crate::paths::SPACE>"Retour à mon espace"</a>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
