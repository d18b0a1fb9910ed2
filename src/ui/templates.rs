//! Use-case templates: the public list (`/modeles`), each template's page,
//! and "Nouvelle demande" (`/demandes/nouvelle`), which offers them first
//! and "Demande libre" last, or confirms the template the address names.

use crate::api::requests::CreateRequest;
use crate::api::templates::{StartFromTemplate, TemplateView, get_template, list_templates};
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, go_to, load_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A template's card: its name (a link to its page), who it is for, and
/// what it asks for.
#[component]
fn TemplateCard(view: TemplateView, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let t = &view.template;
    let sensitive = view.scopes.iter().filter(|s| s.sensitive).count();
    let detail = match (view.scopes.len(), sensitive) {
        (1, 0) => "1 donnée".to_owned(),
        (n, 0) => format!("{n} données"),
        (n, s) => format!(
            "{n} données, dont {s} sensible{}",
            if s > 1 { "s" } else { "" }
        ),
    };
    view! {
        <div class="fr-card fr-card--no-arrow">
            <div class="fr-card__body">
                <div class="fr-card__content">
                    <h2 class="fr-card__title">
                        <a href=crate::paths::template(&t.slug)>{t.title.clone()}</a>
                    </h2>
                    <p class="fr-card__desc">{t.summary.clone()}</p>
                    <div class="fr-card__start">
                        <p class="fr-card__detail">{detail}</p>
                    </div>
                </div>
                {children.map(|c| view! { <div class="fr-card__footer">{c()}</div> })}
            </div>
        </div>
    }
}

/// `/modeles`: every template offered.
#[component]
pub fn TemplatesPage() -> impl IntoView {
    let list = Resource::new_blocking(|| (), |_| list_templates());
    view! {
        <Title text="Modèles de demande" />
        <div class="fr-container fr-my-6w">
            <h1>"Modèles de demande"</h1>
            <p class="fr-text--lead">
                "Chaque modèle correspond à un usage courant d’API Entreprise. Il pré-remplit votre \
                 demande avec le contexte, les données habituelles et les textes qui les fondent : \
                 vous les adaptez à votre cas, et l’instructeur voit ce que vous avez changé."
            </p>
            <Suspense>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(all) => view! {
                            <ul class="fr-grid-row fr-grid-row--gutters guichet-plain-list">
                                {all.into_iter().map(|t| view! {
                                    <li class="fr-col-12 fr-col-md-6 fr-col-lg-4"><TemplateCard view=t /></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// `/modeles/:slug`: who a template is for, the data, the legal texts.
#[component]
pub fn TemplatePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let template = Resource::new_blocking(slug, get_template);
    view! {
        <div class="fr-container fr-my-6w">
            <Suspense>
                {move || Suspend::new(async move {
                    match template.await {
                        Ok(v) => template_page(v).into_any(),
                        Err(e) => view! {
                            <Title text="Modèle introuvable" />
                            <h1>"Modèle introuvable"</h1>
                            {load_error(e)}
                            <p><a class="fr-link" href=crate::paths::TEMPLATES>"Voir tous les modèles"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn template_page(v: TemplateView) -> impl IntoView {
    let t = v.template.clone();
    let start = format!("{}?modele={}", crate::paths::NEW_REQUEST, t.slug);
    view! {
        <Title text=format!("Modèle : {}", t.title) />
        <nav role="navigation" class="fr-breadcrumb" aria-label="vous êtes ici :">
            <ol class="fr-breadcrumb__list">
                <li><a class="fr-breadcrumb__link" href=crate::paths::TEMPLATES>"Modèles de demande"</a></li>
                <li><a class="fr-breadcrumb__link" aria-current="page">{t.title.clone()}</a></li>
            </ol>
        </nav>
        <h1>{t.title.clone()}</h1>
        <p class="fr-text--lead">{t.summary.clone()}</p>
        <h2 class="fr-h4">"Pour qui ?"</h2>
        <p>{t.audience.clone()}</p>
        <h2 class="fr-h4">"Les données habituelles"</h2>
        <p>"Les données publiques (open data) sont toujours proposées. Chaque donnée sensible devra être justifiée dans votre demande."</p>
        <ul>
            {v.scopes.iter().map(|s| view! {
                <li>
                    {s.label.clone()}
                    {s.sensitive.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Sensible"</span> })}
                </li>
            }).collect_view()}
        </ul>
        <h2 class="fr-h4">"Le cadre juridique"</h2>
        <p>{t.legal_basis.clone()}</p>
        <ul>
            {t.legal_urls.iter().map(|u| view! {
                <li><a class="fr-link" href=u.clone() target="_blank" rel="noopener" title=format!("{u} — nouvelle fenêtre")>{u.clone()}</a></li>
            }).collect_view()}
        </ul>
        <h2 class="fr-h4">"La demande pré-remplie"</h2>
        <dl>
            <dt class="fr-text--bold">"Intitulé"</dt><dd>{t.context_title.clone()}</dd>
            <dt class="fr-text--bold">"Public concerné"</dt><dd>{t.end_users.clone()}</dd>
            <dt class="fr-text--bold">"Destinataires des données"</dt><dd>{t.recipients.clone()}</dd>
            <dt class="fr-text--bold">"Durée de conservation"</dt><dd>{format!("{} mois", t.retention_months)}</dd>
            {(!t.retention_justification.is_empty()).then(|| view! {
                <dt class="fr-text--bold">"Pourquoi cette durée"</dt><dd>{t.retention_justification.clone()}</dd>
            })}
        </dl>
        <p class="fr-mt-4w">
            <a class="fr-btn fr-icon-add-line fr-btn--icon-left" href=start>"Commencer une demande avec ce modèle"</a>
        </p>
    }
}

/// `/demandes/nouvelle`: the templates first and "Demande libre" last; with
/// `?modele=…` (and `siret`, `intitule`), the named template to confirm.
#[component]
pub fn NewRequestPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let modele = move || param("modele");
    let start = ServerAction::<StartFromTemplate>::new();
    let create = ServerAction::<CreateRequest>::new();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start.value().get() {
            go_to(&crate::paths::wizard_step(id, 1));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            go_to(&crate::paths::wizard_step(id, 1));
        }
    });
    let error = Signal::derive(move || {
        last_error(start.value())
            .get()
            .or_else(|| last_error(create.value()).get())
    });
    // The list needs a signed-in applicant: the page says so by redirecting
    // to the sign-in, then comes back here with its address.
    let me = Resource::new_blocking(|| (), |_| crate::api::requests::my_requests());
    let list = Resource::new_blocking(|| (), |_| list_templates());
    view! {
        <Title text="Nouvelle demande" />
        <div class="fr-container fr-my-6w">
            <Suspense>
                {move || Suspend::new(async move {
                    if let Err(e) = me.await {
                        return load_error(e);
                    }
                    let all = match list.await {
                        Ok(all) => all,
                        Err(e) => return load_error(e),
                    };
                    let wanted = modele();
                    let chosen = all.iter().find(|t| t.template.slug == wanted).cloned();
                    match chosen {
                        Some(t) => confirm(t, param("siret"), param("intitule"), start, error).into_any(),
                        None => choose(all, !wanted.is_empty(), start, create, error).into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The template the address names, with what it pre-fills, to confirm.
fn confirm(
    v: TemplateView,
    siret: String,
    title: String,
    start: ServerAction<StartFromTemplate>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let t = v.template.clone();
    let shown_title = if title.trim().is_empty() {
        t.context_title.clone()
    } else {
        title.clone()
    };
    view! {
        <h1>"Nouvelle demande"</h1>
        <ErrorSummary error />
        <p class="fr-text--lead">{format!("À partir du modèle « {} ».", t.title)}</p>
        <p>{t.summary.clone()}</p>
        <ul>
            <li>{format!("Intitulé : {shown_title}")}</li>
            {(!siret.trim().is_empty()).then(|| view! { <li>{format!("SIRET de l’organisation : {}", crate::domain::siret::grouped(&siret))}</li> })}
            <li>{format!("{} données proposées, que vous pourrez changer", v.scopes.len())}</li>
        </ul>
        <ActionForm action=start>
            <input type="hidden" name="modele" value=t.slug.clone() />
            <input type="hidden" name="siret" value=siret />
            <input type="hidden" name="intitule" value=title />
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li>
                    <button class="fr-btn" type="submit" disabled=move || start.pending().get()>
                        "Commencer la demande"
                    </button>
                </li>
                <li>
                    <a class="fr-btn fr-btn--secondary" href=crate::paths::NEW_REQUEST>"Choisir un autre modèle"</a>
                </li>
            </ul>
        </ActionForm>
    }
}

/// The templates, then "Demande libre".
fn choose(
    all: Vec<TemplateView>,
    unknown: bool,
    start: ServerAction<StartFromTemplate>,
    create: ServerAction<CreateRequest>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <h1>"Nouvelle demande"</h1>
        <ErrorSummary error />
        {unknown.then(|| view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w" role="alert">
                <p>"Le modèle indiqué dans l’adresse n’existe pas ou n’est plus proposé : choisissez-en un ci-dessous, ou commencez une demande libre."</p>
            </div>
        })}
        <p class="fr-text--lead">
            "Une demande correspond à un cas d’usage. Partez du modèle qui ressemble au vôtre : \
             il pré-remplit le contexte, les données et le cadre juridique."
        </p>
        <ul class="fr-grid-row fr-grid-row--gutters guichet-plain-list">
            {all.into_iter().map(|t| {
                let slug = t.template.slug.clone();
                let title = t.template.title.clone();
                view! {
                    <li class="fr-col-12 fr-col-md-6 fr-col-lg-4">
                        <TemplateCard view=t>
                            <ActionForm action=start>
                                <input type="hidden" name="modele" value=slug />
                                <button class="fr-btn fr-btn--secondary" type="submit"
                                    aria-label=format!("Utiliser le modèle « {title} »")>
                                    "Utiliser ce modèle"
                                </button>
                            </ActionForm>
                        </TemplateCard>
                    </li>
                }
            }).collect_view()}
        </ul>
        <h2 class="fr-h4 fr-mt-6w">"Aucun modèle ne correspond ?"</h2>
        <ActionForm action=create>
            <button class="fr-btn fr-btn--tertiary" type="submit">"Demande libre"</button>
        </ActionForm>
    }
}
