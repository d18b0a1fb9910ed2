//! The home page: who may apply, what to prepare, the steps, and live figures.

use crate::api::public::{GetRequestCounts, RequestCounts, get_request_counts};
use crate::domain::RequestState;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// States shown in the home page figures, in lifecycle order.
const SHOWN_STATES: [RequestState; 5] = [
    RequestState::Draft,
    RequestState::Submitted,
    RequestState::ChangesRequested,
    RequestState::Accepted,
    RequestState::Refused,
];

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Accueil" />
        <Meta
            name="description"
            content="Demandez l’accès à API Entreprise pour votre administration : éligibilité, pièces à préparer et étapes de la demande."
        />
        <div class="fr-container fr-my-6w">
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-lg-8">
                    <h1>"Accéder à API Entreprise"</h1>
                    <p class="fr-text--lead">
                        "API Entreprise permet aux administrations de récupérer directement les données \
                         administratives des entreprises et des associations (identité, attestations \
                         fiscales et sociales, bilans, certifications…), pour ne plus les redemander \
                         aux usagers. L’accès est réservé et accordé pour chaque cas d’usage : \
                         ce guichet vous accompagne de la demande jusqu’au jeton d’accès."
                    </p>
                    <ul class="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-right">
                        <li>
                            <a class="fr-btn fr-btn--icon-right fr-icon-arrow-right-line" href="#preparer">
                                "Préparer ma demande"
                            </a>
                        </li>
                        <li>
                            <a class="fr-btn fr-btn--secondary" href=crate::paths::TEMPLATES>
                                "Voir les modèles de demande"
                            </a>
                        </li>
                    </ul>
                </div>
            </div>

            <section class="fr-mt-6w" aria-labelledby="eligibilite">
                <h2 id="eligibilite">"Qui peut demander un accès ?"</h2>
                <p>"Seules peuvent demander un accès :"</p>
                <ul>
                    <li>
                        "les administrations et autres personnes morales de droit public (État, \
                         collectivités territoriales, établissements publics, intercommunalités…) ;"
                    </li>
                    <li>
                        "les organismes privés chargés d’une mission de service public, qui devront \
                         justifier de cette mission."
                    </li>
                </ul>
                <p>
                    "L’éligibilité se déduit de la catégorie juridique de votre organisation, \
                     retrouvée à partir de son numéro SIRET. Une organisation fermée ne peut pas \
                     déposer de demande."
                </p>
            </section>

            <section class="fr-mt-6w" aria-labelledby="preparer">
                <h2 id="preparer">"Ce qu’il faut préparer"</h2>
                <div class="fr-grid-row fr-grid-row--gutters">
                    <PrepCard
                        title="Le SIRET de votre organisation"
                        text="Le numéro à 14 chiffres de l’établissement qui demande l’accès. \
                              Vous pourrez aussi le retrouver par le nom de votre organisation."
                    />
                    <PrepCard
                        title="Votre cadre juridique"
                        text="Le texte qui vous autorise à traiter ces données : sa nature, \
                              le lien vers le texte ou le document en PDF."
                    />
                    <PrepCard
                        title="Vos contacts"
                        text="Le ou la délégué·e à la protection des données (DPO), le ou la \
                              responsable de traitement, un contact métier et un contact technique."
                    />
                    <PrepCard
                        title="Votre cas d’usage"
                        text="Ce que vous ferez des données, pour quel public d’utilisateurs finaux, \
                              avec quel volume et à partir de quelle date."
                    />
                </div>
                <div class="fr-callout fr-mt-4w">
                    <h3 class="fr-callout__title">"Une demande par contexte métier"</h3>
                    <p class="fr-callout__text">
                        "Chaque demande couvre un seul usage des données. Si votre organisation a \
                         trois usages (par exemple pré-remplir des formulaires, pré-instruire des \
                         aides, instruire des dossiers), déposez trois demandes : vous recevrez un \
                         jeton par demande validée, chacun avec ses propres droits, réunis dans un \
                         même espace client."
                    </p>
                </div>
            </section>

            <section class="fr-mt-6w" aria-labelledby="etapes">
                <h2 id="etapes">"Les étapes, de la demande au jeton"</h2>
                <ol class="guichet-steps">
                    <li>
                        <h3 class="fr-h6">"1. Vous remplissez la demande"</h3>
                        <p>
                            "Organisation, contexte et public concerné, données souhaitées, cadre \
                             juridique, contacts, puis acceptation des conditions d’utilisation. \
                             Votre brouillon est enregistré au fil de la saisie : vous pouvez \
                             l’interrompre et le reprendre à tout moment."
                        </p>
                    </li>
                    <li>
                        <h3 class="fr-h6">"2. Un instructeur étudie votre demande"</h3>
                        <p>
                            "Il peut vous demander des précisions : vous échangez avec lui et \
                             modifiez votre demande avant de la soumettre à nouveau."
                        </p>
                    </li>
                    <li>
                        <h3 class="fr-h6">"3. Votre demande est validée"</h3>
                        <p>
                            "Votre organisation reçoit un espace client et un courriel avec les \
                             conditions d’utilisation et un lien pour choisir votre mot de passe."
                        </p>
                    </li>
                    <li>
                        <h3 class="fr-h6">"4. Vous utilisez votre jeton"</h3>
                        <p>
                            "Chaque demande validée donne un jeton d’accès, valable 18 mois et \
                             renouvelable, limité aux données accordées. Vous le copiez depuis \
                             votre espace et appelez API Entreprise."
                        </p>
                    </li>
                </ol>
            </section>

            <RequestCountsPanel />
        </div>
    }
}

#[component]
fn PrepCard(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <div class="fr-col-12 fr-col-md-6">
            <div class="fr-card fr-card--no-arrow">
                <div class="fr-card__body">
                    <div class="fr-card__content">
                        <h3 class="fr-card__title">{title}</h3>
                        <p class="fr-card__desc">{text}</p>
                    </div>
                </div>
            </div>
        </div>
    }
}

/// Live figures read from the database through a server function: rendered
/// on the server, then refreshed on demand from the browser.
#[component]
fn RequestCountsPanel() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |()| get_request_counts());
    let refresh = ServerAction::<GetRequestCounts>::new();
    let pending = refresh.pending();
    let (hydrated, set_hydrated) = signal(false);
    // Effects run in the browser only: the button works once hydrated.
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <section class="fr-mt-6w" aria-labelledby="chiffres">
            <h2 id="chiffres">"Les demandes en chiffres"</h2>
            <div aria-live="polite" data-testid="request-counts">
                <Suspense fallback=|| view! { <p>"Chargement des chiffres…"</p> }>
                    {move || Suspend::new(async move {
                        let first = initial.await;
                        view! {
                            {move || match refresh.value().get().unwrap_or_else(|| first.clone()) {
                                Ok(c) => view! { <CountsList counts=c /> }.into_any(),
                                Err(e) => view! {
                                    <div class="fr-alert fr-alert--error fr-alert--sm">
                                        <p>{e.message}</p>
                                    </div>
                                }
                                .into_any(),
                            }}
                        }
                    })}
                </Suspense>
            </div>
            <button
                type="button"
                class="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-refresh-line fr-mt-2w"
                disabled=move || !hydrated.get() || pending.get()
                on:click=move |_| {
                    refresh.dispatch(GetRequestCounts {});
                }
            >
                {move || if pending.get() { "Actualisation…" } else { "Actualiser" }}
            </button>
        </section>
    }
}

#[component]
fn CountsList(counts: RequestCounts) -> impl IntoView {
    let total = counts.total;
    view! {
        <ul class="guichet-counts">
            {SHOWN_STATES
                .into_iter()
                .map(|state| {
                    view! {
                        <li class="guichet-counts__item">
                            <span class="guichet-counts__value" data-state=state.as_str()>
                                {counts.get(state)}
                            </span>
                            <span class="guichet-counts__label">{state.label_plural()}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p class="fr-text--sm">
            "Au total : "
            <span data-state="total">{total}</span>
            {if total > 1 { " demandes" } else { " demande" }}
            "."
        </p>
    }
}
