//! "Mon espace": the API tokens of the requests the user is the applicant or
//! the technical contact of, by organisation, each with who sees it.

use crate::api::space::{
    RotateToken, SensitiveUse, StringView, TokenView, reveal_token, space_overview,
};
use crate::domain::time::{format_paris_date, format_paris_long};
use crate::domain::token::Grace;
use crate::error::AppError;
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, SuccessNotice, load_error};
use leptos::prelude::*;
use leptos_meta::Title;

const DAY_MS: i64 = 86_400_000;

/// The token's validity bar: days left of its 18 months, orange under 90
/// days, red under 30.
fn validity_class(days_left: i64) -> &'static str {
    if days_left < 30 {
        "guichet-validite guichet-validite--rouge"
    } else if days_left < 90 {
        "guichet-validite guichet-validite--orange"
    } else {
        "guichet-validite"
    }
}

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`).
#[cfg(feature = "hydrate")]
async fn copy_to_clipboard(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return false;
    };
    let get = |target: &wasm_bindgen::JsValue, key: &str| {
        js_sys::Reflect::get(target, &wasm_bindgen::JsValue::from_str(key)).ok()
    };
    let Some(clipboard) = get(window.as_ref(), "navigator").and_then(|n| get(&n, "clipboard"))
    else {
        return false;
    };
    let Some(write) =
        get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    match write.call1(&clipboard, &wasm_bindgen::JsValue::from_str(text)) {
        Ok(promise) => match promise.dyn_into::<js_sys::Promise>() {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

#[cfg(not(feature = "hydrate"))]
async fn copy_to_clipboard(_text: &str) -> bool {
    false
}

/// The strings of a token still accepted, when there is more than one (a
/// rotation's grace): which is the current one, until when the old ones
/// answer.
#[component]
pub fn TokenStrings(strings: Vec<StringView>) -> impl IntoView {
    (strings.len() > 1).then(|| {
        view! {
            <div class="fr-callout fr-mb-2w" data-testid="chaines">
                <p class="fr-callout__text fr-text--md">
                    "Deux jetons sont acceptés pendant le délai de grâce :"
                </p>
                <ul>
                    {strings.into_iter().map(|s| match s.ends_at {
                        None => view! {
                            <li>{format!("Nouveau jeton (…{}), créé le {} : à déployer", s.suffix, format_paris_long(s.issued_at))}</li>
                        },
                        Some(end) => view! {
                            <li>{format!("Ancien jeton (…{}) : accepté jusqu’au {}", s.suffix, format_paris_long(end))}</li>
                        },
                    }).collect_view()}
                </ul>
            </div>
        }
    })
}

/// When each sensitive data of a token last served, and those unused for
/// 90 days (to be removed at renewal).
#[component]
pub fn SensitiveUses(uses: Vec<SensitiveUse>) -> impl IntoView {
    (!uses.is_empty()).then(|| {
        view! {
            <p class="fr-mb-0">"Données sensibles :"</p>
            <ul class="fr-mb-1w" data-testid="usage-sensible">
                {uses.into_iter().map(|u| view! {
                    <li>
                        {format!("{} — {}", u.label, match u.last_used_at {
                            Some(at) => format!("dernier appel le {}", format_paris_date(at)),
                            None => "jamais appelée".to_owned(),
                        })}
                        {u.unused.then(|| view! {
                            <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Non utilisée depuis 90 jours"</span>
                        })}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// Replacing a token's string (rotation): the grace during which the old
/// string is still accepted, then the confirmation. `forced`: staff replace
/// it (they never see the new string).
#[component]
pub fn RotationForm(
    token_id: String,
    rotate: ServerAction<RotateToken>,
    #[prop(default = false)] forced: bool,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let legend = if forced {
        "Pendant combien de temps l’ancien jeton reste-t-il accepté ? Pour un jeton divulgué, \
         choisissez « Aucun délai »."
    } else {
        "Pendant combien de temps l’ancien jeton reste-t-il accepté ? Le temps de déployer le \
         nouveau dans vos logiciels ; s’il a été divulgué, choisissez « Aucun délai »."
    };
    let form_id = format!("rotation-{token_id}");
    view! {
        <button class="fr-btn fr-btn--tertiary fr-icon-refresh-line fr-btn--icon-left fr-mt-1w" type="button"
            aria-expanded=move || open.get().to_string() aria-controls=form_id.clone()
            on:click=move |_| open.update(|o| *o = !*o)>
            {if forced { "Forcer le remplacement du jeton" } else { "Remplacer le jeton" }}
        </button>
        <div id=form_id class="fr-mt-2w" hidden=move || !open.get()>
            <ActionForm action=rotate>
                <input type="hidden" name="id" value=token_id.clone() />
                <fieldset class="fr-fieldset">
                    <legend class="fr-fieldset__legend fr-text--regular">{legend}</legend>
                    {Grace::ALL.into_iter().map(|g| {
                        let input_id = format!("delai-{}-{}", g.as_str(), token_id);
                        view! {
                            <div class="fr-fieldset__element">
                                <div class="fr-radio-group">
                                    <input type="radio" id=input_id.clone() name="grace" value=g.as_str()
                                        checked={g == Grace::Day} />
                                    <label class="fr-label" for=input_id>{g.label()}</label>
                                </div>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <p class="fr-text--sm">
                    "Un nouveau jeton est créé pour la même autorisation (mêmes données, même \
                     expiration). Le demandeur et le contact technique sont prévenus par courriel."
                </p>
                <button class="fr-btn" type="submit">"Confirmer le remplacement"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn TokenCard(token: TokenView, now: i64, rotate: ServerAction<RotateToken>) -> impl IntoView {
    let shown: RwSignal<Option<String>> = RwSignal::new(None);
    let status_text: RwSignal<String> = RwSignal::new(String::new());
    let error: RwSignal<Option<AppError>> = RwSignal::new(None);
    let id = token.id.clone();
    let reveal = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match reveal_token(id).await {
                    Ok(t) => {
                        shown.set(Some(t));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let copy = move |_| {
        leptos::task::spawn_local(async move {
            let Some(text) = shown.get_untracked() else {
                return;
            };
            status_text.set(if copy_to_clipboard(&text).await {
                "Jeton copié dans le presse-papiers.".to_owned()
            } else {
                "La copie automatique n’a pas fonctionné : sélectionnez le jeton et copiez-le."
                    .to_owned()
            });
        });
    };
    let days_left = ((token.expires_at - now) / DAY_MS).max(0);
    let field_id = format!("jeton-{}", token.id);
    let renew_id = token.id.clone();
    view! {
        <article class="fr-card fr-mb-3w" data-testid=format!("jeton-{}", token.request_id)>
            <div class="fr-card__body">
                <div class="fr-card__content">
                    <h3 class="fr-card__title">{token.name.clone()}</h3>
                    <div class="fr-card__start">
                        <p class="fr-mb-1w">
                            <span class=format!("fr-badge fr-badge--sm {}", token.status.badge())>
                                {token.status.label()}
                            </span>
                            " Demande n° "{token.request_id}
                        </p>
                    </div>
                    <div class="guichet-carte-corps">
                    <ul class="fr-mb-1w">
                        {token.scope_groups.iter().map(|(group, labels)| view! {
                            <li><strong>{group.clone()}</strong>" : "{labels.join(", ")}</li>
                        }).collect_view()}
                    </ul>
                    <p class="fr-mb-1w">
                        "Délivré le "{format_paris_date(token.issued_at)}" — expire le "{format_paris_date(token.expires_at)}
                    </p>
                    <label class="fr-label" for=format!("validite-{}", token.id)>
                        {format!("Validité restante : {days_left} jour(s)")}
                    </label>
                    <progress
                        id=format!("validite-{}", token.id)
                        class=validity_class(days_left)
                        max="548"
                        value=days_left.min(548).to_string()
                    ></progress>
                    <p class="fr-mt-1w">
                        {match token.last_used_at {
                            Some(at) => format!("Dernière utilisation : le {}", format_paris_long(at)),
                            None => "Jamais utilisé".to_owned(),
                        }}
                        {format!(" — {} appel(s) ces 7 derniers jours", token.calls_last_7_days)}
                        " "
                        <a class="fr-link" href=crate::paths::token_usage(&token.id)>"Voir l’utilisation détaillée"</a>
                    </p>
                    <p class="fr-mb-0">"Personnes qui voient ce jeton :"</p>
                    <ul class="fr-mb-1w" data-testid="personnes">
                        {token.people.iter().map(|p| view! {
                            <li>{p.email.clone()}" ("{p.relation.clone()}")"</li>
                        }).collect_view()}
                    </ul>
                    <SensitiveUses uses=token.sensitive_uses.clone() />
                    <TokenStrings strings=token.strings.clone() />
                    <ErrorSummary error=error.into() />
                    {move || match shown.get() {
                        None => view! {
                            <button class="fr-btn fr-btn--secondary" type="button" on:click=reveal.clone()>
                                "Afficher le jeton"
                            </button>
                        }.into_any(),
                        Some(t) => view! {
                            <div class="fr-input-group">
                                <label class="fr-label" for=field_id.clone()>"Jeton d’accès"</label>
                                <textarea class="fr-input" id=field_id.clone() readonly rows="4" data-testid="jeton">{t}</textarea>
                            </div>
                            <button class="fr-btn fr-icon-clipboard-line fr-btn--icon-left" type="button" on:click=copy>
                                "Copier le jeton"
                            </button>
                        }.into_any(),
                    }}
                    <p class="fr-mt-1w" role="status" aria-live="polite">{move || status_text.get()}</p>
                    {token.renewable.then(|| view! {
                        <a class="fr-btn fr-btn--secondary fr-icon-calendar-line fr-btn--icon-left fr-mt-1w"
                            href=crate::paths::renewal(&renew_id)>
                            "Vérifier et prolonger de 18 mois"
                        </a>
                    })}
                    {token.rotatable.then(|| view! { <RotationForm token_id=token.id.clone() rotate /> })}
                    </div>
                </div>
            </div>
        </article>
    }
}

/// Which data the instance's API answers: the sandbox's fictitious
/// examples, or API Entreprise's own.
fn api_mode_notice(sandbox: bool) -> impl IntoView {
    if sandbox {
        view! {
            <div class="fr-callout fr-mb-4w">
                <h2 class="fr-callout__title">"Environnement bac à sable : données fictives"</h2>
                <p class="fr-callout__text">
                    "Vos jetons appellent ici un bac à sable : chaque opération du contrat d’API \
                     Entreprise renvoie les exemples de sa documentation pour les identifiants \
                     qu’elle cite (par exemple le SIREN 418166096), et « Entité non trouvée » pour \
                     les autres. Ces réponses portent l’en-tête X-Donnees-Fictives et, là où le \
                     contrat le permet, la mention « donnees_fictives ». Les contrôles du jeton, \
                     des droits et des paramètres sont ceux de la production."
                </p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="fr-callout fr-mb-4w">
                <h2 class="fr-callout__title">"Environnement de production"</h2>
                <p class="fr-callout__text">
                    "Les appels de vos jetons sont relayés vers API Entreprise : ils renvoient des                      données réelles, à n’utiliser que pour le cadre de votre habilitation."
                </p>
            </div>
        }
        .into_any()
    }
}

#[component]
pub fn SpacePage() -> impl IntoView {
    let rotate = ServerAction::<RotateToken>::new();
    let overview = Resource::new_blocking(move || rotate.version().get(), |_| space_overview());
    // The grace is chosen among radios: its error is said at the top.
    let rotate_error = last_error(rotate.value());
    let rotate_error = Signal::derive(move || {
        rotate_error.get().map(|mut e| {
            e.field = None;
            e
        })
    });
    let rotated = move || match rotate.value().get() {
        Some(Ok(end)) => Some(end),
        _ => None,
    };
    view! {
        <Title text="Mon espace" />
        <div class="fr-container fr-my-6w">
            <h1>"Mon espace"</h1>
            <p>
                "Chaque jeton n’est visible que par le demandeur de l’accès et le contact \
                 technique de sa demande. Chaque affichage d’un jeton est inscrit dans \
                 l’historique de la demande."
            </p>
            <div class="fr-alert fr-alert--warning fr-mb-4w">
                <p>
                    "Un jeton donne accès à des données protégées. Ne le transmettez jamais par \
                     courriel, ne le collez pas dans un moteur de recherche ni dans un outil en \
                     ligne : enregistrez-le directement dans la configuration de votre logiciel."
                </p>
            </div>
            <ErrorSummary error=rotate_error />
            {move || rotated().map(|end| view! {
                <SuccessNotice title="Jeton remplacé">
                    <p>{match end {
                        Some(end) => format!(
                            "Un nouveau jeton a été créé : affichez-le ci-dessous pour le déployer. \
                             L’ancien reste accepté jusqu’au {}.", format_paris_long(end)),
                        None => "Un nouveau jeton a été créé : affichez-le ci-dessous pour le \
                                 déployer. L’ancien est refusé dès maintenant.".to_owned(),
                    }}</p>
                </SuccessNotice>
            })}
            <Suspense>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => load_error(e),
                        Ok(v) if v.spaces.is_empty() => view! {
                            <p>
                                "Aucun jeton pour l’instant. Un jeton s’affiche ici quand une \
                                 demande d’accès dont vous êtes le demandeur ou le contact \
                                 technique est validée."
                            </p>
                        }.into_any(),
                        Ok(v) => {
                            let now = v.now;
                            let mode = api_mode_notice(v.sandbox);
                            let spaces = v.spaces.into_iter().map(|s| view! {
                                <section class="fr-mb-6w">
                                    <h2>{s.name.clone()}</h2>
                                    <p>"SIRET "{s.siret.clone()}</p>
                                    {s.tokens.into_iter().map(|t| view! {
                                        <TokenCard token=t now rotate />
                                    }).collect_view()}
                                </section>
                            }).collect_view();
                            view! { {mode} {spaces} }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}
