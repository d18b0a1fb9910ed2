//! Step 1: the organisation, found by its name (a combobox over the
//! directories) or from its SIRET.

use super::super::Draft;
use super::super::field::{Field, lens};
use crate::api::requests::{
    OrganisationHit, OrganisationSearch, lookup_organisation, search_organisations,
};
use crate::error::AppError;
use leptos::prelude::*;

pub fn organisation_step(draft: Draft) -> impl IntoView {
    let siret = lens!(organisation.siret);
    let name = lens!(organisation.name);
    let justification = lens!(organisation.justification);
    let lookup = Action::new(move |siret: &String| lookup_organisation(siret.clone()));
    let found = lookup.value();
    // The SIREN of an organisation picked by name whose establishment number
    // (NIC) the applicant still has to type.
    let nic_needed = RwSignal::new(None::<String>);
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
    let pick = move |hit: OrganisationHit| {
        draft.change(|d| {
            d.organisation.siret = hit.siret.clone().unwrap_or_else(|| hit.siren.clone());
            d.organisation.name = hit.name.clone();
            d.organisation.legal_category = hit.legal_category.clone();
            d.organisation.active = Some(hit.active);
        });
        match hit.siret {
            Some(siret) => {
                nic_needed.set(None);
                lookup.dispatch(siret);
            }
            None => {
                nic_needed.set(Some(hit.siren));
                focus("champ-organisation-siret");
            }
        }
    };
    let editable = draft.editable.get_value();
    view! {
        {editable.then(|| view! { <OrganisationCombobox pick /> })}
        {move || nic_needed.get().map(|siren| view! {
            <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" id="aide-nic">
                <p>
                    "Complétez le SIRET : après les 9 chiffres du SIREN ("{crate::domain::siret::grouped(&siren)}
                    "), ajoutez les 5 chiffres du NIC de l’établissement qui fera la demande. Vous les trouverez sur une facture ou un bulletin de paie de votre organisation, ou sur "
                    <a href=format!("https://annuaire-entreprises.data.gouv.fr/entreprise/{siren}")
                        target="_blank" rel="noopener"
                        title="l’Annuaire des entreprises — nouvelle fenêtre">"l’Annuaire des entreprises"</a>
                    "."
                </p>
            </div>
        })}
        <Field draft label="Numéro SIRET de l’organisation" lens=siret
            hint="14 chiffres, espaces acceptés. Exemple : 213 401 722 01787" />
        <button class="fr-btn fr-btn--secondary fr-mb-3w" type="button"
            on:click=move |_| {
                nic_needed.set(None);
                lookup.dispatch(draft.data.with_untracked(|d| d.organisation.siret.clone()));
            }>
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

/// How long typing must pause before the search is asked.
const SEARCH_DEBOUNCE_MS: u64 = 250;
const INPUT_ID: &str = "recherche-organisation";
const LIST_ID: &str = "recherche-organisation-liste";

fn option_id(i: usize) -> String {
    format!("{LIST_ID}-{i}")
}

/// The line under a result's name: its category, département and number.
fn hit_detail(hit: &OrganisationHit) -> String {
    let mut parts = vec![hit.legal_category_label.clone()];
    if let Some(d) = &hit.departement {
        parts.push(format!("département {d}"));
    }
    parts.push(match &hit.siret {
        Some(s) => format!("SIRET {}", crate::domain::siret::grouped(s)),
        None => format!(
            "SIREN {} (NIC à compléter)",
            crate::domain::siret::grouped(&hit.siren)
        ),
    });
    if !hit.active {
        parts.push("fermée".to_owned());
    }
    parts.push(hit.source_label.clone());
    parts.join(" · ")
}

/// Moves the keyboard focus to the element `id` (in the browser).
fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// A search field that offers organisations as one types (the ARIA 1.2
/// combobox pattern: a listbox popup, arrows to move, Enter to choose,
/// Escape to close, the result count announced).
#[component]
fn OrganisationCombobox(
    pick: impl Fn(OrganisationHit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let answer = RwSignal::new(None::<Result<OrganisationSearch, AppError>>);
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let searching = RwSignal::new(false);
    // Each keystroke's number: a late answer to an older query is dropped.
    let generation = StoredValue::new(0u64);
    let hits = move || {
        answer.with(|a| match a {
            Some(Ok(s)) => s.hits.clone(),
            _ => Vec::new(),
        })
    };
    let ask = move |q: String, generation_then: u64| {
        leptos::task::spawn_local(async move {
            let result = search_organisations(q).await;
            if generation.get_value() == generation_then {
                searching.set(false);
                answer.set(Some(result));
                active.set(None);
                open.set(true);
            }
        });
    };
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        query.set(q.clone());
        let g = generation.get_value() + 1;
        generation.set_value(g);
        if q.trim().chars().count() < 2 {
            searching.set(false);
            answer.set(None);
            open.set(false);
            return;
        }
        searching.set(true);
        set_timeout(
            move || {
                if generation.get_value() == g {
                    ask(q, g);
                }
            },
            std::time::Duration::from_millis(SEARCH_DEBOUNCE_MS),
        );
    };
    let choose = move |i: usize| {
        if let Some(hit) = hits().into_iter().nth(i) {
            query.set(hit.name.clone());
            open.set(false);
            active.set(None);
            pick(hit);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = hits().len();
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % n)));
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(n - 1, |i| (i + n - 1) % n)));
            }
            "Enter" => {
                if let (true, Some(i)) = (open.get_untracked(), active.get_untracked()) {
                    ev.prevent_default();
                    choose(i);
                }
            }
            "Escape" => {
                if open.get_untracked() {
                    open.set(false);
                    active.set(None);
                } else {
                    query.set(String::new());
                    answer.set(None);
                }
            }
            _ => {}
        }
    };
    let status = move || {
        if searching.get() {
            return "Recherche en cours…".to_owned();
        }
        match answer.get() {
            None => String::new(),
            Some(Err(e)) => e.message,
            Some(Ok(s)) => {
                let mut text = match s.hits.len() {
                    0 => "Aucune organisation trouvée. Vérifiez l’orthographe, ou saisissez le SIRET ci-dessous.".to_owned(),
                    1 => "1 organisation trouvée : flèche bas pour la choisir.".to_owned(),
                    n => format!("{n} organisations trouvées : flèches haut et bas pour les parcourir, Entrée pour choisir."),
                };
                if s.online_unavailable {
                    text.push_str(" La recherche en ligne est indisponible : seul l’annuaire des collectivités a répondu.");
                }
                text
            }
        }
    };
    let has_error = move || matches!(answer.get(), Some(Err(_)));
    view! {
        <div class="fr-input-group guichet-combobox" class:fr-input-group--error=has_error>
            <label class="fr-label" for=INPUT_ID>
                "Rechercher votre organisation par son nom"
                <span class="fr-hint-text">
                    "Par exemple « Commune de Meaux », « Région Occitanie », « Département de la Gironde », « CC du Pays de Fayence », ou un SIREN. Vous pouvez aussi saisir directement le SIRET plus bas."
                </span>
            </label>
            <input class="fr-input" id=INPUT_ID type="text" autocomplete="off" spellcheck="false"
                role="combobox" aria-autocomplete="list" aria-controls=LIST_ID
                aria-expanded=move || if open.get() && !hits().is_empty() { "true" } else { "false" }
                aria-activedescendant=move || active.get().map(option_id)
                aria-describedby=format!("{INPUT_ID}-statut")
                prop:value=move || query.get()
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| open.set(false)
                on:focus=move |_| if !hits().is_empty() { open.set(true) } />
            <ul class="guichet-combobox__list" id=LIST_ID role="listbox"
                aria-label="Organisations trouvées"
                hidden=move || !open.get() || hits().is_empty()>
                {move || hits().into_iter().enumerate().map(|(i, hit)| {
                    let detail = hit_detail(&hit);
                    view! {
                        <li class="guichet-combobox__option" id=option_id(i) role="option"
                            aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                            // Chosen on mousedown: a click would come after the
                            // field's blur has closed the list.
                            on:mousedown=move |ev| { ev.prevent_default(); choose(i); }>
                            <span class="guichet-combobox__name">{hit.name.clone()}</span>
                            {hit.online.then(|| view! {
                                <span class="fr-badge fr-badge--sm fr-badge--info fr-ml-1w">"en ligne"</span>
                            })}
                            <span class="fr-hint-text">{detail}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="fr-hint-text fr-mt-1w" id=format!("{INPUT_ID}-statut") aria-live="polite"
                class:fr-error-text=has_error>{status}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(siret: Option<&str>) -> OrganisationHit {
        OrganisationHit {
            siren: "217702844".into(),
            siret: siret.map(Into::into),
            name: "Meaux".into(),
            legal_category: "7210".into(),
            legal_category_label: "Commune et commune nouvelle".into(),
            departement: Some("77".into()),
            active: true,
            online: false,
            source_label: "Découpage administratif".into(),
        }
    }

    #[test]
    fn a_result_says_what_it_is_and_what_is_missing() {
        assert_eq!(
            hit_detail(&hit(None)),
            "Commune et commune nouvelle · département 77 · SIREN 217 702 844 (NIC à compléter) · Découpage administratif"
        );
        let mut closed = hit(Some("21770284400010"));
        closed.active = false;
        assert!(hit_detail(&closed).contains("SIRET 217 702 844 00010 · fermée"));
    }
}
