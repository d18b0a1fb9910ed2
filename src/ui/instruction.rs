//! The instructors' screens: the live dashboard (`/instruction`) and the
//! review of one request (`/instruction/demandes/:id`) with its decisions,
//! assignment, differences, timeline and conversation.

use crate::api::instruction::{
    AcceptRequest, Assign, DashboardView, MessageView, RefuseRequest, RequestChanges, ReviewToken,
    ReviewView, RevokeRequest, SendMessage, dashboard, review,
};
use crate::api::space::RotateToken;
use crate::domain::RequestState;
use crate::domain::identity::AgentLink;
use crate::domain::lifecycle::{EventKind, RequestKind};
use crate::domain::request::field_label;
use crate::domain::time::{format_paris as format_ms, format_paris_long};
use crate::error::AppError;
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, load_error};
use crate::ui::requests::{RequestSummaryView, StateBadge, request_id_param};
use crate::ui::space::{RotationForm, SensitiveUses, TokenStrings};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The dashboard's filters, named as in its address.
const FILTERS: [&str; 7] = [
    "q",
    "etat",
    "assignation",
    "sensibles",
    "modele",
    "nature",
    "tri",
];

/// What a live event says, for the notice above the table: updates and
/// renewals are named as such.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn describe(kind: Option<EventKind>, nature: RequestKind, id: i64) -> String {
    let what = match nature {
        RequestKind::Initial => format!("la demande n° {id}"),
        RequestKind::Update => format!("la mise à jour n° {id}"),
        RequestKind::Renewal => format!("le renouvellement n° {id}"),
    };
    match (kind, nature) {
        (Some(EventKind::Submitted), RequestKind::Update) => {
            format!("Nouvelle mise à jour n° {id} déposée.")
        }
        (Some(EventKind::Submitted), _) => format!("Nouvelle demande n° {id} déposée."),
        (Some(EventKind::Renewed), _) => format!(
            "Nouveau renouvellement n° {id} : objet, contacts et données confirmés, habilitation \
             prolongée de 18 mois."
        ),
        (Some(EventKind::Resubmitted), _) => {
            capitalised(&format!("{what} a été déposée de nouveau."))
        }
        (Some(EventKind::ChangesRequested), _) => format!("Modifications demandées sur {what}."),
        (Some(EventKind::Refused), _) => capitalised(&format!("{what} a été refusée.")),
        (Some(EventKind::Accepted), _) => capitalised(&format!("{what} a été validée.")),
        (Some(EventKind::MessageSent), _) => format!("Nouveau message sur {what}."),
        (Some(EventKind::Assigned), _) => capitalised(&format!("{what} a changé d’instructeur.")),
        _ => capitalised(&format!("{what} a changé.")),
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Opens the live stream: every change reloads the page's data (`refresh`)
/// and is announced in `notice`; the browser reconnects by itself, and each
/// (re)connection reloads the data too, which catches up on what was missed.
#[cfg(feature = "hydrate")]
fn connect_live(refresh: RwSignal<u32>, notice: RwSignal<Option<String>>, status: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new(crate::paths::LIVE) else {
        return;
    };
    let on_change =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string()
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                let kind = v["kind"].as_str().and_then(EventKind::parse);
                let nature = v["nature"]
                    .as_str()
                    .and_then(RequestKind::parse)
                    .unwrap_or_default();
                let id = v["request_id"].as_i64().unwrap_or_default();
                notice.set(Some(describe(kind, nature, id)));
            }
            refresh.update(|n| *n += 1);
        });
    let _ =
        source.add_event_listener_with_callback("changement", on_change.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("retard", on_change.as_ref().unchecked_ref());
    on_change.forget();
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        status.set(true);
        refresh.update(|n| *n += 1);
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| status.set(false));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let stored = StoredValue::new_local(source);
    on_cleanup(move || stored.with_value(|s| s.close()));
}

/// `/instruction`: counts, filters (kept in the address), the queue, live.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &'static str| query.with(|q| q.get(k).unwrap_or_default());
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<String>);
    let connected = RwSignal::new(false);
    let data = Resource::new(
        move || {
            (
                param("q"),
                param("etat"),
                param("assignation"),
                param("sensibles"),
                param("tri"),
                param("page"),
                param("modele"),
                param("nature"),
                param("rattachement"),
                refresh.get(),
            )
        },
        |(q, state, assigned, sensitive, sort, page, modele, nature, link, _)| {
            dashboard(
                q, state, assigned, sensitive, sort, page, modele, nature, link,
            )
        },
    );
    let templates = Resource::new(|| (), |_| crate::api::templates::list_templates());
    #[cfg(feature = "hydrate")]
    Effect::new(move |first: Option<()>| {
        if first.is_none() {
            connect_live(refresh, notice, connected);
        }
    });
    let selected = move |k: &'static str, v: &'static str| param(k) == v;
    view! {
        <Title text="Tableau de bord de l’instruction" />
        <div class="fr-container fr-my-6w">
            <h1>"Demandes à instruire"</h1>
            <p class="fr-text--sm" data-testid="direct" role="status">
                {move || if connected.get() {
                    "Mise à jour en direct : les nouvelles demandes et décisions s’affichent sans recharger la page."
                } else {
                    "Connexion au direct en cours…"
                }}
            </p>
            <div aria-live="polite" data-testid="notice">
                {move || notice.get().map(|n| view! {
                    <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-2w"><p>{n}</p></div>
                })}
            </div>
            <form method="get" action={crate::paths::DASHBOARD} class="fr-mb-3w">
                <div class="fr-grid-row fr-grid-row--gutters">
                    <div class="fr-col-12 fr-col-md-4">
                        <div class="fr-input-group">
                            <label class="fr-label" for="q">"Rechercher"
                                <span class="fr-hint-text">"Organisation, SIRET, intitulé, adresse du demandeur ou numéro"</span>
                            </label>
                            <input class="fr-input" type="search" id="q" name="q" prop:value=move || param("q") />
                        </div>
                    </div>
                    <FilterSelect name="etat" label="État" current=Signal::derive(move || param("etat"))
                        options=owned(std::iter::once(("", "Tous"))
                            .chain(crate::domain::lifecycle::SUBMITTED_STATES.iter().map(|s| (s.as_str(), s.label())))) />
                    <FilterSelect name="nature" label="Nature" current=Signal::derive(move || param("nature"))
                        options=owned([("", "Toutes"), ("initiale", "Premières demandes"), ("mise_a_jour", "Mises à jour"), ("renouvellement", "Renouvellements")]) />
                    <FilterSelect name="rattachement" label="Rattachement du demandeur" current=Signal::derive(move || param("rattachement"))
                        options=owned([("", "Tous"), ("proconnect", "Vérifié par ProConnect"), ("non_verifie", "Non vérifié")]) />
                    <FilterSelect name="assignation" label="Instructeur" current=Signal::derive(move || param("assignation"))
                        options=owned([("", "Tous"), ("moi", "Les miennes"), ("personne", "Non attribuées")]) />
                    <FilterSelect name="tri" label="Trier par" current=Signal::derive(move || param("tri"))
                        options=owned([("", "Attente la plus longue"), ("recentes", "Dépôt le plus récent"), ("modifiees", "Dernière modification")]) />
                    <Transition>
                        {move || Suspend::new(async move {
                            let all = templates.await.unwrap_or_default();
                            let options = std::iter::once((String::new(), "Tous".to_owned()))
                                .chain(all.into_iter().map(|t| (t.template.slug, t.template.title)))
                                .collect();
                            view! { <FilterSelect name="modele" label="Modèle" current=Signal::derive(move || param("modele")) options /> }
                        })}
                    </Transition>
                    <div class="fr-col-12 fr-col-md-2">
                        <div class="fr-checkbox-group fr-mt-4w">
                            <input type="checkbox" id="sensibles" name="sensibles" value="1" prop:checked=move || selected("sensibles", "1") />
                            <label class="fr-label" for="sensibles">"Données sensibles"</label>
                        </div>
                    </div>
                </div>
                <button class="fr-btn fr-btn--secondary fr-mt-2w" type="submit">"Filtrer"</button>
            </form>
            <Transition>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => dashboard_view(d, query.get_untracked()).into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Transition>
        </div>
    }
}

/// A select's options from static pairs.
fn owned<'a>(options: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    options
        .into_iter()
        .map(|(v, t)| (v.to_owned(), t.to_owned()))
        .collect()
}

/// One filter of the dashboard: a DSFR select named as in the address.
#[component]
fn FilterSelect(
    name: &'static str,
    label: &'static str,
    current: Signal<String>,
    /// (value, text) of each option.
    options: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <div class="fr-col-12 fr-col-md-2">
            <div class="fr-select-group">
                <label class="fr-label" for=name>{label}</label>
                <select class="fr-select" id=name name=name>
                    {options.into_iter().map(|(value, text)| {
                        let chosen = value.clone();
                        view! { <option value=value selected=move || current.with(|c| *c == chosen)>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
        </div>
    }
}

fn dashboard_view(d: DashboardView, query: leptos_router::params::ParamsMap) -> impl IntoView {
    let counts = d.counts.clone();
    let pages = (d.total + d.page_size - 1) / d.page_size;
    let link = move |page: i64| {
        let mut parts: Vec<String> = FILTERS
            .iter()
            .filter_map(|k| {
                query
                    .get(k)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", encode(&v)))
            })
            .collect();
        parts.push(format!("page={page}"));
        crate::paths::dashboard_with(&parts.join("&"))
    };
    let now = d.now;
    view! {
        <ul class="fr-tags-group fr-mb-2w" aria-label="Demandes par état">
            {counts.into_iter().map(|(s, n)| view! {
                <li><a class="fr-tag" href={crate::paths::dashboard_with(&format!("etat={}", s.as_str()))}>{format!("{} : {n}", s.label_plural())}</a></li>
            }).collect_view()}
        </ul>
        <p data-testid="total">
            {if d.more {
                format!("Plus de {} demandes correspondent : précisez la recherche ou les filtres pour aller au-delà de la page {pages}.", d.total)
            } else {
                format!("{} demande(s) correspondent.", d.total)
            }}
        </p>
        <div class="fr-table fr-table--sm">
            <table>
                <caption class="fr-sr-only">"Demandes"</caption>
                <thead>
                    <tr>
                        <th scope="col">"N°"</th>
                        <th scope="col">"Organisation"</th>
                        <th scope="col">"SIRET"</th>
                        <th scope="col">"Intitulé"</th>
                        <th scope="col">"État"</th>
                        <th scope="col">"Déposée le"</th>
                        <th scope="col">"Attente"</th>
                        <th scope="col">"Instructeur"</th>
                        <th scope="col">"Messages"</th>
                    </tr>
                </thead>
                <tbody>
                    {d.lines.into_iter().map(|l| {
                        let waiting = match (l.state, l.submitted_at) {
                            (RequestState::Submitted, Some(at)) => format!("{} j", (now - at).max(0) / 86_400_000),
                            _ => "—".to_owned(),
                        };
                        view! {
                            <tr data-testid=format!("demande-{}", l.id)>
                                <td><a href={crate::paths::review(l.id)}>{format!("n° {}", l.id)}</a></td>
                                <td>
                                    {l.organisation}
                                    {l.to_verify.then(|| view! { <p class="fr-badge fr-badge--sm fr-badge--info fr-ml-1w">"À vérifier"</p> })}
                                    {(l.agent_link == AgentLink::ProConnect).then(|| view! {
                                        <p class="fr-badge fr-badge--sm fr-badge--success fr-ml-1w" title=AgentLink::ProConnect.label()>"Agent rattaché"</p>
                                    })}
                                </td>
                                <td>{l.siret}</td>
                                <td>
                                    {l.title}
                                    {l.parent_id.map(|p| match l.kind {
                                        RequestKind::Renewal => view! {
                                            <p class="fr-badge fr-badge--sm fr-badge--green-emeraude fr-ml-1w">{format!("Renouvellement de n° {p}")}</p>
                                        }.into_any(),
                                        _ => view! {
                                            <p class="fr-badge fr-badge--sm fr-badge--purple-glycine fr-ml-1w">{format!("Mise à jour de n° {p}")}</p>
                                        }.into_any(),
                                    })}
                                    {l.sensitive.then(|| view! { <p class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Sensible"</p> })}
                                </td>
                                <td><StateBadge state=l.state /></td>
                                <td>{l.submitted_at.map(format_ms).unwrap_or_default()}</td>
                                <td>{waiting}</td>
                                <td>{if l.assigned_to_me { "Moi".to_owned() } else { l.assigned_email.unwrap_or_else(|| "—".to_owned()) }}</td>
                                <td>{(l.unread > 0).then(|| view! {
                                    <p class="fr-badge fr-badge--sm fr-badge--new">{format!("{} non lu(s)", l.unread)}</p>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(pages > 1).then(|| view! {
            <nav role="navigation" class="fr-pagination" aria-label="Pagination">
                <ul class="fr-pagination__list">
                    {(d.page > 1).then(|| view! {
                        <li><a class="fr-pagination__link fr-pagination__link--prev" href=link(d.page - 1)>"Page précédente"</a></li>
                    })}
                    <li><a class="fr-pagination__link" aria-current="page" title=format!("Page {}", d.page)>{format!("{} / {pages}", d.page)}</a></li>
                    {(d.page < pages.min(crate::api::instruction::MAX_PAGE)).then(|| view! {
                        <li><a class="fr-pagination__link fr-pagination__link--next" href=link(d.page + 1)>"Page suivante"</a></li>
                    })}
                </ul>
            </nav>
        })}
    }
}

/// Closes a DSFR modal by clicking its close button.
fn close_modal(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(Some(button)) = document().query_selector(&format!("#{id} .fr-btn--close"))
            && let Ok(button) = button.dyn_into::<web_sys::HtmlElement>()
        {
            button.click();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// A decision that needs a reason sent to the applicant (refusal,
/// revocation), confirmed in a DSFR modal.
#[component]
fn ReasonModal(
    id: &'static str,
    title: &'static str,
    intro: &'static str,
    label: &'static str,
    confirm: &'static str,
    reason: RwSignal<String>,
    error: Signal<Option<AppError>>,
    on_confirm: Callback<String>,
) -> impl IntoView {
    let field = format!("{id}-motif");
    view! {
        <Modal id=id title=title>
            {(!intro.is_empty()).then(|| view! { <p>{intro}</p> })}
            <div class="fr-input-group">
                <label class="fr-label" for=field.clone()>{label}</label>
                <textarea class="fr-input" id=field rows="4" prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
            </div>
            <button class="fr-btn" type="button" on:click=move |_| on_confirm.run(reason.get_untracked())>
                {confirm}
            </button>
            {move || error.get().map(|e| view! { <p class="fr-error-text">{e.message}</p> })}
        </Modal>
    }
}

/// A DSFR modal: `id`, a title, its content and its confirm button.
#[component]
fn Modal(id: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let title_id = format!("{id}-titre");
    let labelled_by = title_id.clone();
    view! {
        <dialog id=id class="fr-modal" role="dialog" aria-labelledby=labelled_by>
            <div class="fr-container fr-container--fluid fr-container-md">
                <div class="fr-grid-row fr-grid-row--center">
                    <div class="fr-col-12 fr-col-md-8">
                        <div class="fr-modal__body">
                            <div class="fr-modal__header">
                                <button type="button" class="fr-btn--close fr-btn" title="Fermer la fenêtre" aria-controls=id>"Fermer"</button>
                            </div>
                            <div class="fr-modal__content">
                                <h2 id=title_id class="fr-modal__title">{title}</h2>
                                {children()}
                            </div>
                        </div>
                    </div>
                </div>
            </div>
        </dialog>
    }
}

/// `/instruction/demandes/:id`: the request, its differences, timeline,
/// conversation and the decisions.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let id = request_id_param();
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || (id(), refresh.get()), |(id, _)| review(id));
    let assign = ServerAction::<Assign>::new();
    let send = ServerAction::<SendMessage>::new();
    let ask = ServerAction::<RequestChanges>::new();
    let refuse = ServerAction::<RefuseRequest>::new();
    let accept = ServerAction::<AcceptRequest>::new();
    let revoke = ServerAction::<RevokeRequest>::new();
    let rotate = ServerAction::<RotateToken>::new();
    let actions = ReviewActions {
        assign,
        send,
        ask,
        refuse,
        accept,
        revoke,
        rotate,
    };
    let bump = move || refresh.update(|n| *n += 1);
    Effect::new(move |_| {
        if assign.value().get().is_some_and(|r| r.is_ok())
            || send.value().get().is_some_and(|r| r.is_ok())
            || rotate.value().get().is_some_and(|r| r.is_ok())
        {
            bump();
        }
    });
    Effect::new(move |_| {
        for (action_ok, modal) in [
            (
                ask.value().get().is_some_and(|r| r.is_ok()),
                "modale-modifications",
            ),
            (
                refuse.value().get().is_some_and(|r| r.is_ok()),
                "modale-refus",
            ),
            (
                accept.value().get().is_some_and(|r| r.is_ok()),
                "modale-validation",
            ),
            (
                revoke.value().get().is_some_and(|r| r.is_ok()),
                "modale-revocation",
            ),
        ] {
            if action_ok {
                close_modal(modal);
                bump();
            }
        }
    });
    let error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(assign.value())
            .get()
            .or_else(|| last_error(send.value()).get())
            .or_else(|| last_error(ask.value()).get())
            .or_else(|| last_error(refuse.value()).get())
            .or_else(|| last_error(accept.value()).get())
            .or_else(|| last_error(revoke.value()).get())
            .or_else(|| {
                last_error(rotate.value()).get().map(|mut e| {
                    e.field = None;
                    e
                })
            })
    });
    view! {
        <Title text="Instruction d’une demande" />
        <div class="fr-container fr-my-6w">
            <p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href={crate::paths::DASHBOARD}>"Tableau de bord"</a></p>
            <ErrorSummary error />
            <Transition>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => review_view(r, actions).into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "1er", "2e"…: a French ordinal.
fn ordinal(n: i64) -> String {
    if n == 1 {
        "1er".to_owned()
    } else {
        format!("{n}e")
    }
}

/// What an instructor can do on the review page.
#[derive(Clone, Copy)]
struct ReviewActions {
    assign: ServerAction<Assign>,
    send: ServerAction<SendMessage>,
    ask: ServerAction<RequestChanges>,
    refuse: ServerAction<RefuseRequest>,
    accept: ServerAction<AcceptRequest>,
    revoke: ServerAction<RevokeRequest>,
    rotate: ServerAction<RotateToken>,
}

/// The request's token as staff see it: data, expiry, strings accepted,
/// and the forced replacement of its string.
fn token_section(
    t: ReviewToken,
    rotate: ServerAction<RotateToken>,
    decides: bool,
) -> impl IntoView {
    let labels: Vec<String> = t
        .scopes
        .iter()
        .map(|s| crate::domain::scopes::find(s).map_or_else(|| s.clone(), |sc| sc.label.clone()))
        .collect();
    view! {
        <section class="fr-mb-4w" aria-labelledby="jeton" data-testid="jeton-instruction">
            <h2 id="jeton" class="fr-h4">"Jeton de la demande"</h2>
            <p class="fr-mb-1w">
                {if t.revoked { "Révoqué. ".to_owned() } else { format!("Expire le {}. ", format_paris_long(t.expires_at)) }}
                {match t.last_used_at {
                    Some(at) => format!("Dernière utilisation le {}.", format_paris_long(at)),
                    None => "Jamais utilisé.".to_owned(),
                }}
            </p>
            <p class="fr-mb-1w">{format!("Données accordées : {}.", labels.join(", "))}</p>
            <SensitiveUses uses=t.sensitive_uses.clone() />
            <TokenStrings strings=t.strings.clone() />
            {(decides && !t.revoked).then(|| view! { <RotationForm token_id=t.id.clone() rotate forced=true /> })}
        </section>
    }
}

fn review_view(r: ReviewView, a: ReviewActions) -> impl IntoView {
    let ReviewActions {
        assign,
        send,
        ask,
        refuse,
        accept,
        revoke,
        rotate,
    } = a;
    let id = r.id;
    let version = r.version;
    let decides = r.decides;
    let decidable = decides && r.state == RequestState::Submitted;
    let revocable = decides && r.state == RequestState::Accepted && r.kind == RequestKind::Initial;
    let update_of = r.parent_id.filter(|_| r.kind == RequestKind::Update);
    let renewal_of = r.parent_id.filter(|_| r.kind == RequestKind::Renewal);
    let revoke_reason = RwSignal::new(String::new());
    let changes_message = RwSignal::new(String::new());
    let changes_fields = RwSignal::new(Vec::<String>::new());
    let refuse_reason = RwSignal::new(String::new());
    let accept_message = RwSignal::new(String::new());
    let granted = RwSignal::new(r.data.data.scopes.clone());
    let asked_scopes = r.data.data.scopes.clone();
    let note = RwSignal::new(String::new());
    let internal = RwSignal::new(false);
    let title = r.data.context.title.clone();
    view! {
        <h1>{match renewal_of {
            Some(_) => format!("Renouvellement n° {id}"),
            None => format!("Demande n° {id}"),
        }}</h1>
        <p class="fr-text--lead">{title}</p>
        <StateBadge state=r.state />
        {update_of.map(|p| view! {
            <div class="fr-notice fr-notice--info fr-my-2w" data-testid="mise-a-jour">
                <div class="fr-container">
                    <div class="fr-notice__body">
                        <p class="fr-notice__title">
                            {format!("Mise à jour de l’habilitation n° {p}, qui reste en vigueur pendant l’instruction. \
                                      La valider change les données de son jeton, sans nouveau jeton à déployer. ")}
                            <a href=crate::paths::review(p)>{format!("Voir l’habilitation n° {p}")}</a>
                        </p>
                    </div>
                </div>
            </div>
            {r.changes.is_empty().then(|| view! {
                <p class="fr-mb-3w">"Aucun changement par rapport à l’habilitation en vigueur."</p>
            })}
        })}
        {renewal_of.map(|p| view! {
            <div class="fr-notice fr-notice--info fr-my-2w" data-testid="renouvellement">
                <div class="fr-container">
                    <div class="fr-notice__body">
                        <p class="fr-notice__title">
                            {format!("Renouvellement de l’habilitation n° {p} : une personne de son jeton a confirmé \
                                      son objet, ses contacts et ses données, et l’a prolongée de 18 mois. Rien n’est \
                                      à décider ; l’historique ci-dessous dit qui, jusqu’à quand et les données retirées. ")}
                            <a href=crate::paths::review(p)>{format!("Voir l’habilitation n° {p}")}</a>
                        </p>
                    </div>
                </div>
            </div>
        })}
        <p class="fr-mt-2w">
            {format!("Demandeur : {}. ", r.applicant_email)}
            {match (r.submitted_at, renewal_of) {
                (Some(at), Some(_)) => format!("Renouvelée le {}.", format_paris_long(at)),
                (Some(at), None) => format!("Déposée le {} ({} dépôt). ", format_paris_long(at), ordinal(r.submission_no)),
                (None, _) => String::new(),
            }}
            {match (&r.assigned_email, r.assigned_to_me) {
                _ if renewal_of.is_some() => String::new(),
                (_, true) => "Vous instruisez cette demande.".to_owned(),
                (Some(e), false) => format!("Instruite par {e}."),
                (None, _) => "Personne n’instruit encore cette demande.".to_owned(),
            }}
        </p>
        {(!decides).then(|| view! {
            <p class="fr-badge fr-badge--info fr-mb-2w">"Lecture seule (rapporteur)"</p>
        })}
        <ul class="fr-btns-group fr-btns-group--inline-md">
            {(decides && renewal_of.is_none()).then(|| view! {
                <li>
                    <button class="fr-btn fr-btn--secondary" type="button"
                        on:click=move |_| { assign.dispatch(Assign { id, take: !r.assigned_to_me }); }>
                        {if r.assigned_to_me { "Libérer la demande" } else { "Je m’en occupe" }}
                    </button>
                </li>
            })}
            {decidable.then(|| view! {
                <li><button class="fr-btn fr-btn--secondary" type="button" data-fr-opened="false" aria-controls="modale-modifications">"Demander des modifications"</button></li>
                <li><button class="fr-btn fr-btn--secondary" type="button" data-fr-opened="false" aria-controls="modale-refus">"Refuser"</button></li>
                <li><button class="fr-btn" type="button" data-fr-opened="false" aria-controls="modale-validation">"Valider"</button></li>
            })}
            {revocable.then(|| view! {
                <li><button class="fr-btn fr-btn--secondary" type="button" data-fr-opened="false" aria-controls="modale-revocation">"Révoquer l’accès"</button></li>
            })}
        </ul>
        <AgentLinkBox link=r.agent_link agent=r.agent.clone() siret=r.data.organisation.siret.clone() />
        <div class=if r.eligible { "fr-alert fr-alert--success fr-mb-3w" } else { "fr-alert fr-alert--warning fr-mb-3w" }
            data-testid="identite">
            <h2 class="fr-alert__title fr-h6">{format!("Organisation : {}", r.identity.verdict)}</h2>
            {r.identity.name.clone().map(|name| view! {
                <p>{format!("Nom dans l’annuaire : {name}")}
                   {r.identity.legal_category.clone().map(|c| format!(" — catégorie juridique {c}"))}</p>
            })}
            {(r.identity.name.as_deref() != Some(r.identity.claimed_name.as_str())).then(|| view! {
                <p>{format!("Nom saisi par le demandeur : {}", if r.identity.claimed_name.trim().is_empty() { "(aucun)" } else { r.identity.claimed_name.as_str() })}</p>
            })}
            <p>{format!("Éligibilité : {}", r.eligibility_message)}</p>
            {(!r.identity.justification.trim().is_empty()).then(|| view! {
                <p class="guichet-pre">{format!("Mission de service public décrite par le demandeur : {}", r.identity.justification)}</p>
            })}
        </div>
        {r.template.clone().map(|t| view! {
            <div class="fr-notice fr-notice--info fr-mb-3w" data-testid="modele">
                <div class="fr-container">
                    <div class="fr-notice__body">
                        <p class="fr-notice__title">
                            {format!("Demande créée à partir du modèle « {} » (version {}). ", t.title, t.version)}
                            <a href=crate::paths::template(&t.slug)>"Voir le modèle"</a>
                        </p>
                    </div>
                </div>
            </div>
            {(t.added.is_empty() && t.removed.is_empty()).then(|| view! {
                <p class="fr-mb-3w">"Les données demandées sont celles du modèle."</p>
            })}
            {(!t.added.is_empty()).then(|| view! {
                <div class="fr-callout fr-callout--orange-terre-battue fr-mb-3w">
                    <h2 class="fr-callout__title fr-h6">"Données ajoutées par rapport au modèle"</h2>
                    <ul>{t.added.iter().map(|l| view! { <li><strong>{l.clone()}</strong></li> }).collect_view()}</ul>
                </div>
            })}
            {(!t.removed.is_empty()).then(|| view! {
                <div class="fr-callout fr-mb-3w">
                    <h2 class="fr-callout__title fr-h6">"Données du modèle retirées par le demandeur"</h2>
                    <ul>{t.removed.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
        })}
        {(!r.sensitive.is_empty()).then(|| view! {
            <div class="fr-callout fr-callout--orange-terre-battue fr-mb-3w">
                <h2 class="fr-callout__title">"Données sensibles demandées"</h2>
                <ul>
                    {r.sensitive.iter().map(|(label, why)| view! {
                        <li><strong>{label.clone()}</strong>{format!(" — justification : {}", if why.trim().is_empty() { "aucune" } else { why.as_str() })}</li>
                    }).collect_view()}
                </ul>
            </div>
        })}
        {(!r.changes.is_empty()).then(|| view! {
            <section class="fr-mb-4w" aria-labelledby="changements">
                <h2 id="changements" class="fr-h4">{if update_of.is_some() {
                    "Changements par rapport à l’habilitation en vigueur"
                } else {
                    "Changements depuis le dépôt précédent"
                }}</h2>
                <ul>
                    {r.changes.iter().map(|c| view! {
                        <li class="guichet-pre">{format!("Le champ « {} » est passé de « {} » à « {} ».", c.label, c.before, c.after)}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {r.token.clone().map(|t| token_section(t, rotate, decides))}
        <section class="fr-mb-4w" aria-labelledby="contenu">
            <h2 id="contenu" class="fr-h4">"Contenu de la demande"</h2>
            <RequestSummaryView id data=r.data.clone() edit=false />
        </section>
        <section class="fr-mb-4w" aria-labelledby="echanges">
            <h2 id="echanges" class="fr-h4">"Échanges avec le demandeur et notes internes"</h2>
            <Conversation messages=r.messages.clone() />
            {decides.then(|| view! {
            <div class="fr-input-group">
                <label class="fr-label" for="message-instructeur">"Votre message"</label>
                <textarea class="fr-input" id="message-instructeur" rows="3" prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </div>
            <div class="fr-checkbox-group fr-mb-2w">
                <input type="checkbox" id="note-interne" prop:checked=move || internal.get()
                    on:change=move |ev| internal.set(event_target_checked(&ev)) />
                <label class="fr-label" for="note-interne">"Note interne (jamais visible par le demandeur)"</label>
            </div>
            <button class="fr-btn" type="button" on:click=move |_| {
                send.dispatch(SendMessage { id, body: note.get_untracked(), internal: internal.get_untracked() });
                note.set(String::new());
            }>{move || if internal.get() { "Enregistrer la note" } else { "Envoyer au demandeur" }}</button>
            })}
        </section>
        {decides.then(|| view! { <crate::ui::requests::TransferForm id pending=r.pending_transfer.clone() staff=true /> })}
        <section class="fr-mb-4w" aria-labelledby="historique">
            <h2 id="historique" class="fr-h4">"Historique"</h2>
            <ol>
                {r.timeline.iter().map(|e| view! {
                    <li>{format!("{} — {}{}", format_paris_long(e.at), e.kind.label(), e.message.as_ref().map(|m| format!(" : {m}")).unwrap_or_default())}</li>
                }).collect_view()}
            </ol>
        </section>
        <Modal id="modale-modifications" title="Demander des modifications">
            <div class="fr-input-group">
                <label class="fr-label" for="modifications-message">"Message au demandeur (obligatoire)"</label>
                <textarea class="fr-input" id="modifications-message" rows="4" prop:value=move || changes_message.get()
                    on:input=move |ev| changes_message.set(event_target_value(&ev))></textarea>
            </div>
            <fieldset class="fr-fieldset">
                <legend class="fr-fieldset__legend">"Champs à modifier (facultatif)"</legend>
                {crate::domain::request::POINTABLE_FIELDS.iter().map(|f| {
                    let f: &'static str = f;
                    let input_id = format!("champ-a-modifier-{}", f.replace('.', "-"));
                    view! {
                        <div class="fr-fieldset__element">
                            <div class="fr-checkbox-group">
                                <input type="checkbox" id=input_id.clone()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        changes_fields.update(|v| { v.retain(|x| x != f); if on { v.push(f.to_owned()); } });
                                    } />
                                <label class="fr-label" for=input_id>{field_label(f)}</label>
                            </div>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <button class="fr-btn" type="button" on:click=move |_| {
                ask.dispatch(RequestChanges { id, version, message: changes_message.get_untracked(), fields: changes_fields.get_untracked() });
            }>"Envoyer la demande de modifications"</button>
            {move || last_error(ask.value()).get().map(|e| view! { <p class="fr-error-text">{e.message}</p> })}
        </Modal>
        <ReasonModal id="modale-refus" title="Refuser la demande" intro=""
            label="Motif du refus (obligatoire, envoyé au demandeur)" confirm="Confirmer le refus"
            reason=refuse_reason error=last_error(refuse.value())
            on_confirm=Callback::new(move |reason| { refuse.dispatch(RefuseRequest { id, version, reason }); }) />
        <ReasonModal id="modale-revocation" title="Révoquer l’accès"
            intro="Le jeton de cette demande sera refusé dès le prochain appel à l’API."
            label="Motif de la révocation (obligatoire, envoyé au demandeur)" confirm="Confirmer la révocation"
            reason=revoke_reason error=last_error(revoke.value())
            on_confirm=Callback::new(move |reason| { revoke.dispatch(RevokeRequest { id, version, reason }); }) />
        <Modal id="modale-validation" title="Valider la demande">
            <fieldset class="fr-fieldset">
                <legend class="fr-fieldset__legend">"Données accordées (décochez celles à ne pas accorder)"</legend>
                {asked_scopes.into_iter().map(|s| {
                    let input_id = format!("accorder-{s}");
                    let label = crate::domain::scopes::find(&s).map_or(s.clone(), |sc| sc.label.clone());
                    let value = s.clone();
                    let checked = s.clone();
                    view! {
                        <div class="fr-fieldset__element">
                            <div class="fr-checkbox-group">
                                <input type="checkbox" id=input_id.clone() prop:checked=move || granted.with(|g| g.contains(&checked))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        granted.update(|g| { g.retain(|x| *x != value); if on { g.push(value.clone()); } });
                                    } />
                                <label class="fr-label" for=input_id>{label}</label>
                            </div>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="fr-input-group">
                <label class="fr-label" for="validation-message">"Message au demandeur (facultatif)"</label>
                <textarea class="fr-input" id="validation-message" rows="3" prop:value=move || accept_message.get()
                    on:input=move |ev| accept_message.set(event_target_value(&ev))></textarea>
            </div>
            <button class="fr-btn" type="button" on:click=move |_| {
                accept.dispatch(AcceptRequest { id, version, scopes: granted.get_untracked(), message: accept_message.get_untracked() });
            }>"Confirmer la validation"</button>
            {move || last_error(accept.value()).get().map(|e| view! { <p class="fr-error-text">{e.message}</p> })}
        </Modal>
    }
}

/// A conversation, oldest message first.
#[component]
pub fn Conversation(messages: Vec<MessageView>) -> impl IntoView {
    if messages.is_empty() {
        return view! { <p>"Aucun message pour l’instant."</p> }.into_any();
    }
    view! {
        <ul class="guichet-messages">
            {messages.into_iter().map(|m| view! {
                <li class="fr-mb-2w" data-testid="message">
                    <p class="fr-text--sm fr-mb-0">
                        <strong>{m.author.clone()}</strong>
                        {format!(" — {}", format_paris_long(m.at))}
                        {m.internal.then(|| view! { <span class="fr-badge fr-badge--sm fr-ml-1w">"Note interne"</span> })}
                    </p>
                    <p class="guichet-pre fr-mb-0">{m.body.clone()}</p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_notice_names_updates_and_renewals() {
        assert_eq!(
            describe(Some(EventKind::Submitted), RequestKind::Initial, 4),
            "Nouvelle demande n° 4 déposée."
        );
        assert_eq!(
            describe(Some(EventKind::Submitted), RequestKind::Update, 5),
            "Nouvelle mise à jour n° 5 déposée."
        );
        assert_eq!(
            describe(Some(EventKind::Accepted), RequestKind::Update, 5),
            "La mise à jour n° 5 a été validée."
        );
        assert!(
            describe(Some(EventKind::Renewed), RequestKind::Renewal, 6)
                .starts_with("Nouveau renouvellement n° 6")
        );
        assert_eq!(
            describe(None, RequestKind::Renewal, 6),
            "Le renouvellement n° 6 a changé."
        );
    }
}

/// Whether ProConnect showed the applicant to be an agent of the
/// organisation, and who they are according to it.
#[component]
fn AgentLinkBox(
    link: AgentLink,
    agent: Option<crate::api::instruction::AgentView>,
    siret: String,
) -> impl IntoView {
    let detail = match (&agent, link) {
        (Some(a), AgentLink::ProConnect) => format!(
            "{} s’est connecté avec ProConnect : son fournisseur d’identité atteste qu’il travaille \
             pour l’organisation de SIRET {}.",
            if a.name.is_empty() {
                "Le demandeur"
            } else {
                a.name.as_str()
            },
            siret.trim()
        ),
        (Some(a), AgentLink::Unverified) => format!(
            "Le demandeur utilise ProConnect, mais son fournisseur d’identité le rattache à \
             {} et non à l’organisation de la demande : vérifiez son lien avec elle.",
            a.siret.as_deref().map_or_else(
                || "aucune organisation".to_owned(),
                |s| format!("l’organisation de SIRET {s}")
            )
        ),
        (None, _) => {
            "Le demandeur s’est connecté par mot de passe : rien n’atteste qu’il travaille pour \
                      l’organisation de la demande. Vérifiez-le avant de décider."
                .to_owned()
        }
    };
    let class = match link {
        AgentLink::ProConnect => "fr-alert fr-alert--success fr-alert--sm fr-mb-3w",
        AgentLink::Unverified => "fr-alert fr-alert--info fr-alert--sm fr-mb-3w",
    };
    view! {
        <div class=class data-testid="rattachement">
            <h2 class="fr-alert__title fr-h6">{link.label()}</h2>
            <p>{detail}</p>
        </div>
    }
}
