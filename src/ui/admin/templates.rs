//! `/admin/modeles`: the use-case templates, each edited in the app; every
//! save is a new version, and the history says what each one changed.

use crate::api::templates::{
    TemplateForEdit, TemplateVersion, admin_template, admin_templates, archive_template,
    save_template,
};
use crate::domain::scopes;
use crate::domain::template::{TEXT_FIELDS, Template};
use crate::domain::time::format_paris;
use crate::error::AppError;
use crate::ui::forms::{ErrorSummary, go_to, load_error, textarea_value};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/admin/modeles`: every template, archived ones included.
#[component]
pub fn AdminTemplatesPage() -> impl IntoView {
    let rows = Resource::new_blocking(|| (), |_| admin_templates());
    view! {
        <Title text="Modèles de demande — administration" />
        <super::AdminLayout>
            <h1>"Modèles de demande"</h1>
            <p>
                "Les modèles pré-remplissent les demandes (contexte, données, cadre juridique). \
                 Chaque enregistrement crée une nouvelle version ; les demandes déjà commencées \
                 gardent la version dont elles sont parties."
            </p>
            <p>
                <a class="fr-btn fr-icon-add-line fr-btn--icon-left" href=crate::paths::ADMIN_NEW_TEMPLATE>
                    "Créer un modèle"
                </a>
            </p>
            <Suspense>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) => view! {
                            <div class="fr-table">
                                <table>
                                    <caption>{format!("{} modèles", rows.len())}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Modèle"</th>
                                            <th scope="col">"État"</th>
                                            <th scope="col">"Version"</th>
                                            <th scope="col">"Demandes"</th>
                                            <th scope="col">"Modifié le"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|r| view! {
                                            <tr>
                                                <td><a href=crate::paths::admin_template(&r.slug)>{r.title}</a></td>
                                                <td>{state_badge(r.archived)}</td>
                                                <td>{r.version}</td>
                                                <td>{r.uses}</td>
                                                <td>{format_paris(r.updated_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Suspense>
        </super::AdminLayout>
    }
}

fn state_badge(archived: bool) -> impl IntoView {
    if archived {
        view! { <span class="fr-badge fr-badge--sm">"Retiré"</span> }.into_any()
    } else {
        view! { <span class="fr-badge fr-badge--sm fr-badge--success">"Proposé"</span> }.into_any()
    }
}

/// `/admin/modeles/:slug` (and `/admin/modeles/nouveau`): the edit form,
/// withdrawing or offering again, and the history.
#[component]
pub fn AdminTemplatePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug");
    // Bumped after each save, to show what is now stored.
    let reload = RwSignal::new(0u32);
    // What the last save did, shown above the reloaded form.
    let notice = RwSignal::new(None::<(String, &'static str)>);
    let loaded = Resource::new_blocking(
        move || (slug(), reload.get()),
        |(slug, _)| async move {
            match slug {
                Some(slug) => admin_template(slug).await.map(Some),
                None => Ok(None),
            }
        },
    );
    if use_query_map().read_untracked().get("enregistre").is_some() {
        notice.set(Some((
            "Modèle créé".to_owned(),
            "Il est proposé aux demandeurs dès maintenant.",
        )));
    }
    view! {
        <super::AdminLayout>
            <Transition>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(edit) => editor(edit, Saving { reload, notice }).into_any(),
                        Err(e) => view! {
                            <Title text="Modèle introuvable" />
                            <h1>"Modèle introuvable"</h1>
                            {load_error(e)}
                            <p><a class="fr-link" href=crate::paths::ADMIN_TEMPLATES>"Tous les modèles"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </super::AdminLayout>
    }
}

/// What a save tells the page: to load the template again, and the notice.
#[derive(Clone, Copy)]
struct Saving {
    reload: RwSignal<u32>,
    notice: RwSignal<Option<(String, &'static str)>>,
}

impl Saving {
    fn done(self, title: String, text: &'static str) {
        self.notice.set(Some((title, text)));
        self.reload.update(|n| *n += 1);
    }
}

/// The fields written as several lines.
const MULTILINE: [&str; 6] = [
    "audience",
    "summary",
    "context_description",
    "legal_basis",
    "legal_urls",
    "retention_justification",
];

fn hint(name: &str) -> &'static str {
    match name {
        "slug" => {
            "Minuscules sans accent, chiffres et tirets : /modeles/<adresse>. Elle ne change \
             plus une fois le modèle créé."
        }
        "legal_urls" => "Une adresse en https:// par ligne.",
        "retention_months" => "Un nombre de mois, de 1 à 120 ; vide si le demandeur la choisit.",
        "retention_justification" => "Nécessaire au-delà de 36 mois, comme dans la demande.",
        "context_title" | "context_description" | "end_users" => {
            "Pré-remplit l’étape « Contexte » : le demandeur l’adapte à son cas."
        }
        _ => "",
    }
}

fn editor(edit: Option<TemplateForEdit>, saving: Saving) -> impl IntoView {
    let creating = edit.is_none();
    let (template, version, archived, history) = match edit {
        Some(e) => (e.template, Some(e.version), e.archived, e.history),
        None => (Template::default(), None, false, Vec::new()),
    };
    let title = if creating {
        "Nouveau modèle".to_owned()
    } else {
        format!("Modèle : {}", template.title)
    };
    let public_slug = template.slug.clone();
    let form = RwSignal::new(template.clone());
    let dirty = Memo::new(move |_| form.with(|t| *t != template));
    // Errors show once a save was tried, and follow the text from then on.
    let tried = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let errors = Memo::new(move |_| {
        if tried.get() {
            form.with(|t| t.clone().trimmed().errors())
        } else {
            Vec::new()
        }
    });
    let error_of = move |field: &'static str| {
        Signal::derive(move || {
            let mine: Vec<String> = errors
                .get()
                .into_iter()
                .filter(|e| e.field == field)
                .map(|e| e.message)
                .collect();
            if mine.is_empty() {
                server_error
                    .get()
                    .and_then(|e| e.message_for(field).map(str::to_owned))
            } else {
                Some(mine.join(" "))
            }
        })
    };
    let summary = Signal::derive(move || {
        let n = errors.with(Vec::len);
        if n > 0 {
            Some(AppError::with_message(
                crate::error::ErrorCode::Invalid,
                if n == 1 {
                    "Le modèle contient une erreur : corrigez le champ signalé ci-dessous."
                        .to_owned()
                } else {
                    format!(
                        "Le modèle contient {n} erreurs : corrigez les champs signalés ci-dessous."
                    )
                },
            ))
        } else {
            server_error.get()
        }
    });
    // Leaving the page with unsaved changes asks first (the browser's own
    // question); not once saved.
    let leaving = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::beforeunload, move |e| {
            if dirty.get_untracked() && !leaving.get_untracked() {
                e.prevent_default();
            }
        });
        on_cleanup(move || handle.remove());
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        saving.notice.set(None);
        if !errors.get_untracked().is_empty() || pending.get_untracked() {
            return;
        }
        pending.set(true);
        let t = form.get_untracked();
        leptos::task::spawn_local(async move {
            let slug = t.slug.trim().to_owned();
            let outcome = save_template(t, version).await;
            pending.set(false);
            match outcome {
                Ok(v) => {
                    server_error.set(None);
                    if creating {
                        leaving.set(true);
                        go_to(&format!(
                            "{}?enregistre",
                            crate::paths::admin_template(&slug)
                        ));
                    } else {
                        saving.done(
                            format!("Version {v} enregistrée"),
                            "Les nouvelles demandes partent de cette version.",
                        );
                    }
                }
                Err(e) => server_error.set(Some(e)),
            }
        });
    };
    let fields = TEXT_FIELDS
        .iter()
        .filter(|(name, _)| !(*name == "slug" && !creating))
        .map(|&(name, label)| text_field(form, name, label, error_of(name)))
        .collect_view();
    view! {
        <Title text=title.clone() />
        <nav role="navigation" class="fr-breadcrumb" aria-label="vous êtes ici :">
            <ol class="fr-breadcrumb__list">
                <li><a class="fr-breadcrumb__link" href=crate::paths::ADMIN_TEMPLATES>"Modèles de demande"</a></li>
                <li><a class="fr-breadcrumb__link" aria-current="page">{title.clone()}</a></li>
            </ol>
        </nav>
        <h1>{title}</h1>
        {(!creating).then(|| view! {
            <p>
                {state_badge(archived)}
                {format!(" Version {} — ", version.unwrap_or(1))}
                {(!archived).then(|| view! {
                    <a class="fr-link" href=crate::paths::template(&public_slug)>"voir la page publique"</a>
                })}
                {archived.then_some("les demandeurs ne le voient plus.")}
            </p>
        })}
        {move || saving.notice.get().map(|(title, text)| view! {
            <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
                <h2 class="fr-alert__title">{title}</h2>
                <p>{text}</p>
            </div>
        })}
        <ErrorSummary error=summary />
        <form novalidate on:submit=save>
            {fields}
            <ScopeChoice form error=error_of("scopes") />
            <button class="fr-btn" type="submit" disabled=move || pending.get()>
                {if creating { "Créer le modèle" } else { "Enregistrer une nouvelle version" }}
            </button>
        </form>
        {version.map(|v| archive_section(form.get_untracked().slug, v, archived, dirty, saving, server_error))}
        {(!history.is_empty()).then(|| history_section(history))}
    }
}

fn text_field(
    form: RwSignal<Template>,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("modele-{name}");
    let msg_id = format!("{id}-erreur");
    let has_error = move || error.get().is_some();
    let initial = form.with_untracked(|t| t.text(name));
    let value = move || form.with(|t| t.text(name));
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        // The links stay as typed until saved: blank lines are dropped then.
        form.update(|t| t.set_text(name, v));
    };
    let input = if MULTILINE.contains(&name) {
        view! {
            <textarea class="fr-input" class:fr-input--error=has_error id=id.clone() name=name
                rows={if name == "context_description" || name == "legal_basis" { "6" } else { "3" }}
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value on:input=on_input>
                {textarea_value(initial)}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input class="fr-input" class:fr-input--error=has_error type="text" id=id.clone() name=name
                value=initial
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value on:input=on_input />
        }
        .into_any()
    };
    let hint = hint(name);
    view! {
        <div class="fr-input-group" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            {input}
            <p class="fr-error-text" id=msg_id hidden=move || !has_error()>{move || error.get()}</p>
        </div>
    }
}

/// The data the template proposes, by group, as step 3 lists them.
#[component]
fn ScopeChoice(form: RwSignal<Template>, error: Signal<Option<String>>) -> impl IntoView {
    let has_error = move || error.get().is_some();
    view! {
        <fieldset class="fr-fieldset" class:fr-fieldset--error=has_error aria-labelledby="modele-donnees">
            <legend class="fr-fieldset__legend" id="modele-donnees">
                "Données proposées"
                <span class="fr-hint-text">
                    "Les données publiques (open data) sont toujours ajoutées à la demande ; cochez-les \
                     seulement si le cas d’usage en dépend."
                </span>
            </legend>
            {scopes::groups().into_iter().map(|(group, list)| view! {
                <div class="fr-fieldset__element">
                    <p class="fr-text--bold fr-mb-1w">{group}</p>
                    {list.into_iter().map(|scope| {
                        let value = scope.value.clone();
                        let id = format!("modele-scope-{value}");
                        let v1 = value.clone();
                        let checked = move || form.with(|t| t.scopes.contains(&v1));
                        let initial = form.with_untracked(|t| t.scopes.contains(&value));
                        view! {
                            <div class="fr-checkbox-group fr-checkbox-group--sm">
                                <input type="checkbox" id=id.clone() name="scopes" value=value.clone()
                                    checked=initial
                                    prop:checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let v = value.clone();
                                        form.update(|t| {
                                            t.scopes.retain(|s| *s != v);
                                            if on { t.scopes.push(v); }
                                        });
                                    } />
                                <label class="fr-label" for=id>
                                    {scope.label.clone()}
                                    {scope.sensitive.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Sensible"</span> })}
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </div>
            }).collect_view()}
            <div class="fr-messages-group" aria-live="polite">
                {move || error.get().map(|m| view! { <p class="fr-message fr-message--error">{m}</p> })}
            </div>
        </fieldset>
    }
}

fn archive_section(
    slug: String,
    version: i64,
    archived: bool,
    dirty: Memo<bool>,
    saving: Saving,
    server_error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let toggle = move |_| {
        if pending.get_untracked() || dirty.get_untracked() {
            return;
        }
        pending.set(true);
        let slug = slug.clone();
        leptos::task::spawn_local(async move {
            let outcome = archive_template(slug, version, !archived).await;
            pending.set(false);
            match outcome {
                Ok(_) => {
                    server_error.set(None);
                    if archived {
                        saving.done(
                            "Modèle proposé à nouveau".to_owned(),
                            "Les demandeurs le retrouvent dans la liste des modèles.",
                        );
                    } else {
                        saving.done(
                            "Modèle retiré".to_owned(),
                            "Les demandeurs ne le voient plus ; les demandes qui en sont parties le gardent.",
                        );
                    }
                }
                Err(e) => server_error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="fr-mt-6w" aria-labelledby="modele-proposer">
            <h2 id="modele-proposer" class="fr-h4">
                {if archived { "Proposer à nouveau ce modèle" } else { "Retirer ce modèle" }}
            </h2>
            <p>
                {if archived {
                    "Il réapparaîtra dans la liste des modèles et dans « Nouvelle demande »."
                } else {
                    "Il disparaîtra de la liste des modèles et de « Nouvelle demande ». Les demandes \
                     qui en sont parties le gardent, et l’historique reste consultable ici."
                }}
            </p>
            <p class="fr-hint-text" hidden=move || !dirty.get()>
                "Enregistrez d’abord vos changements, ou rechargez la page pour les abandonner."
            </p>
            <button class="fr-btn fr-btn--secondary" type="button"
                disabled=move || pending.get() || dirty.get() on:click=toggle>
                {if archived { "Proposer à nouveau" } else { "Retirer le modèle" }}
            </button>
        </section>
    }
}

fn history_section(history: Vec<TemplateVersion>) -> impl IntoView {
    view! {
        <section class="fr-mt-6w" aria-labelledby="modele-historique">
            <h2 id="modele-historique" class="fr-h4">"Historique"</h2>
            <ul class="guichet-plain-list">
                {history.into_iter().map(version_entry).collect_view()}
            </ul>
        </section>
    }
}

fn version_entry(v: TemplateVersion) -> impl IntoView {
    let who = v
        .saved_by
        .clone()
        .unwrap_or_else(|| "le modèle fourni avec Guichet".to_owned());
    let what: Vec<String> = match v.archiving {
        Some(true) => vec!["Modèle retiré des demandeurs.".to_owned()],
        Some(false) => vec!["Modèle proposé à nouveau.".to_owned()],
        None if v.version == 1 => vec!["Première version.".to_owned()],
        None if v.changes.is_empty() => vec!["Enregistré sans changement.".to_owned()],
        None => Vec::new(),
    };
    let label = |value: &String| {
        scopes::find(value)
            .map(|s| s.label.clone())
            .unwrap_or_else(|| value.clone())
    };
    let added: Vec<String> = v.changes.scopes.added.iter().map(label).collect();
    let removed: Vec<String> = v.changes.scopes.removed.iter().map(label).collect();
    view! {
        <li class="fr-mb-3w">
            <h3 class="fr-h6 fr-mb-1w">
                {format!("Version {} — {}, par {}", v.version, format_paris(v.saved_at), who)}
            </h3>
            {what.into_iter().map(|w| view! { <p class="fr-mb-1w">{w}</p> }).collect_view()}
            {(!v.changes.fields.is_empty()).then(|| view! {
                <div class="fr-table fr-table--no-caption fr-mb-1w">
                    <table>
                        <caption>{format!("Changements de la version {}", v.version)}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Champ"</th>
                                <th scope="col">"Avant"</th>
                                <th scope="col">"Après"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {v.changes.fields.iter().map(|c| view! {
                                <tr>
                                    <th scope="row">{c.label.clone()}</th>
                                    <td class="guichet-pre"><del>{c.before.clone()}</del></td>
                                    <td class="guichet-pre"><ins>{c.after.clone()}</ins></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {(!added.is_empty()).then(|| view! {
                <p class="fr-mb-1w">
                    "Données ajoutées : "
                    {added.into_iter().map(|l| view! { <span class="fr-badge fr-badge--sm fr-badge--success fr-mr-1w">{l}</span> }).collect_view()}
                </p>
            })}
            {(!removed.is_empty()).then(|| view! {
                <p class="fr-mb-1w">
                    "Données retirées : "
                    {removed.into_iter().map(|l| view! { <span class="fr-badge fr-badge--sm fr-badge--error fr-mr-1w">{l}</span> }).collect_view()}
                </p>
            })}
        </li>
    }
}
