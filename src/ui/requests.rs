//! "Mes demandes" and the read-only view of one request.

use crate::api::requests::{
    AcceptTransfer, ArchiveRequest, DuplicateRequest, PendingTransfer, RequestView, StartUpdate,
    TransferRequest, get_request, my_requests,
};
use crate::domain::RequestState;
use crate::domain::lifecycle::RequestKind;
use crate::domain::request::{RequestData, Step};
use crate::domain::scopes;
use crate::domain::time::format_paris_long;
use crate::domain::time::{format_paris as format_ms, french_date_of_iso};
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, go_to, load_error};
use crate::ui::forms::{InputField, SuccessNotice, field_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The DSFR badge of a state.
#[component]
pub fn StateBadge(state: RequestState) -> impl IntoView {
    let class = match state {
        RequestState::Draft => "fr-badge fr-badge--sm",
        RequestState::Submitted => "fr-badge fr-badge--sm fr-badge--info",
        RequestState::ChangesRequested => "fr-badge fr-badge--sm fr-badge--warning",
        RequestState::Accepted => "fr-badge fr-badge--sm fr-badge--success",
        RequestState::Refused | RequestState::Revoked => "fr-badge fr-badge--sm fr-badge--error",
        RequestState::Archived => "fr-badge fr-badge--sm",
    };
    view! { <p class=class>{state.label()}</p> }
}

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let duplicate = ServerAction::<DuplicateRequest>::new();
    let archive = ServerAction::<ArchiveRequest>::new();
    let list = Resource::new_blocking(move || archive.version().get(), |_| my_requests());
    Effect::new(move |_| {
        if let Some(Ok(id)) = duplicate.value().get() {
            go_to(&crate::paths::wizard_step(id, 2));
        }
    });
    let error = Signal::derive(move || {
        last_error(duplicate.value())
            .get()
            .or_else(|| last_error(archive.value()).get())
    });
    view! {
        <Title text="Mes demandes" />
        <div class="fr-container fr-my-6w">
            <h1>"Mes demandes"</h1>
            <ErrorSummary error />
            <a class="fr-btn fr-icon-add-line fr-btn--icon-left" href=crate::paths::NEW_REQUEST>
                "Nouvelle demande"
            </a>
            <Suspense>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => {
                            view! {
                                <p class="fr-mt-4w">
                                    "Vous n’avez pas encore de demande. Une demande correspond à \
                                     un cas d’usage : commencez par « Nouvelle demande »."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <div class="fr-table fr-mt-4w">
                                    <table>
                                        <caption>"Vos demandes d’accès"</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"N°"</th>
                                                <th scope="col">"Intitulé"</th>
                                                <th scope="col">"Organisation"</th>
                                                <th scope="col">"État"</th>
                                                <th scope="col">"Dernière modification"</th>
                                                <th scope="col">"Actions"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {rows
                                                .into_iter()
                                                .map(|r| {
                                                    let editable = matches!(
                                                        r.state,
                                                        RequestState::Draft | RequestState::ChangesRequested
                                                    );
                                                    let title = if r.title.is_empty() {
                                                        "(sans intitulé)".to_owned()
                                                    } else {
                                                        r.title.clone()
                                                    };
                                                    let id = r.id;
                                                    view! {
                                                        <tr>
                                                            <td>{id}</td>
                                                            <td>
                                                                {title.clone()}
                                                                {r.parent_id.map(|p| match r.kind {
                                                                    RequestKind::Renewal => view! {
                                                                        <p class="fr-badge fr-badge--sm fr-badge--green-emeraude fr-mt-1v">{format!("Renouvellement de n° {p}")}</p>
                                                                    }.into_any(),
                                                                    _ => view! {
                                                                        <p class="fr-badge fr-badge--sm fr-badge--purple-glycine fr-mt-1v">{format!("Mise à jour de n° {p}")}</p>
                                                                    }.into_any(),
                                                                })}
                                                            </td>
                                                            <td>{r.organisation.clone()}</td>
                                                            <td>
                                                                <StateBadge state=r.state />
                                                                {(r.unread > 0).then(|| view! {
                                                                    <p class="fr-badge fr-badge--sm fr-badge--new fr-mt-1v">{format!("{} message(s) non lu(s)", r.unread)}</p>
                                                                })}
                                                            </td>
                                                            <td>{format_ms(r.updated_at)}</td>
                                                            <td>
                                                                <ul class="fr-btns-group fr-btns-group--sm fr-btns-group--inline">
                                                                    <li>
                                                                        {if editable {
                                                                            view! {
                                                                                <a class="fr-btn fr-btn--sm" href={crate::paths::wizard_step(id, 1)}>
                                                                                    "Reprendre"
                                                                                    <span class="fr-sr-only">{format!(" la demande n° {id}")}</span>
                                                                                </a>
                                                                            }
                                                                                .into_any()
                                                                        } else {
                                                                            view! {
                                                                                <a class="fr-btn fr-btn--sm fr-btn--secondary" href={crate::paths::request(id)}>
                                                                                    "Voir"
                                                                                    <span class="fr-sr-only">{format!(" la demande n° {id}")}</span>
                                                                                </a>
                                                                            }
                                                                                .into_any()
                                                                        }}
                                                                    </li>
                                                                    <li>
                                                                        <ActionForm action=duplicate>
                                                                            <input type="hidden" name="id" value=id />
                                                                            <button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">
                                                                                "Dupliquer"
                                                                                <span class="fr-sr-only">{format!(" la demande n° {id}")}</span>
                                                                            </button>
                                                                        </ActionForm>
                                                                    </li>
                                                                    {(r.state == RequestState::Draft).then(|| view! {
                                                                        <li>
                                                                            <ActionForm action=archive>
                                                                                <input type="hidden" name="id" value=id />
                                                                                <button class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline" type="submit">
                                                                                    "Archiver"
                                                                                    <span class="fr-sr-only">{format!(" le brouillon n° {id}")}</span>
                                                                                </button>
                                                                            </ActionForm>
                                                                        </li>
                                                                    })}
                                                                </ul>
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// One labelled value of the summary.
fn row(label: &'static str, value: String) -> impl IntoView {
    let value = if value.trim().is_empty() {
        "Non renseigné".to_owned()
    } else {
        value
    };
    view! {
        <dt class="fr-text--bold fr-mb-0">{label}</dt>
        <dd class="fr-mb-2w guichet-pre">{value}</dd>
    }
}

/// Everything a request holds, grouped like the wizard; `edit` adds a
/// "Modifier" link to each block.
#[component]
pub fn RequestSummaryView(id: i64, data: RequestData, edit: bool) -> impl IntoView {
    let block = move |step: Step, content: AnyView| {
        view! {
            <section class="fr-mb-4w" aria-labelledby=format!("bloc-{}", step.number())>
                <h3 class="fr-h5" id=format!("bloc-{}", step.number())>
                    {format!("{}. {}", step.number(), step.title())}
                </h3>
                <dl>{content}</dl>
                {edit.then(|| view! {
                    <a class="fr-link fr-icon-edit-line fr-link--icon-left" href={crate::paths::wizard_step(id, step.number())}>
                        "Modifier"
                        <span class="fr-sr-only">{format!(" l’étape {}", step.title())}</span>
                    </a>
                })}
            </section>
        }
    };
    let d = data;
    let scopes_text = d
        .data
        .scopes
        .iter()
        .map(|s| {
            let label = scopes::find(s).map_or(s.as_str(), |sc| sc.label.as_str());
            match d.data.justifications.get(s) {
                Some(j) if !j.trim().is_empty() => format!("• {label} — justification : {j}"),
                _ => format!("• {label}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let contact = |c: &crate::domain::request::Contact| {
        format!(
            "{} {} — {} — {} — {}",
            c.given_name, c.family_name, c.job_title, c.email, c.phone
        )
    };
    view! {
        {block(Step::Organisation, view! {
            {row("SIRET", d.organisation.siret.clone())}
            {row("Organisation", d.organisation.name.clone())}
            {row("Catégorie juridique", d.organisation.legal_category.clone())}
            {row("Mission de service public", d.organisation.justification.clone())}
        }.into_any())}
        {block(Step::Context, view! {
            {row("Intitulé", d.context.title.clone())}
            {row("Description", d.context.description.clone())}
            {row("Public concerné", d.context.end_users.clone())}
            {row("Volumétrie attendue (appels par jour)", d.context.expected_volume.clone())}
            {row("Mise en service prévue", french_date_of_iso(&d.context.go_live))}
        }.into_any())}
        {block(Step::Data, view! { {row("Données demandées", scopes_text)} }.into_any())}
        {block(Step::Legal, view! {
            {row("Fondement juridique", d.legal.basis.clone())}
            {row("Liens", d.legal.urls.join("\n"))}
            <dt class="fr-text--bold fr-mb-0">"Textes joints"</dt>
            <dd class="fr-mb-2w"><crate::ui::attachments::AttachmentLinks attachments=d.legal.attachments.clone() /></dd>
            {row("Destinataires des données", d.legal.recipients.clone())}
            {row("Durée de conservation (mois)", d.legal.retention_months.clone())}
            {row("Justification de la durée", d.legal.retention_justification.clone())}
        }.into_any())}
        {block(Step::Contacts, view! {
            {d.contacts.with_roles().map(|(role, c)| row(role, contact(c))).into_iter().collect_view()}
        }.into_any())}
    }
}

/// The request number of the page's address (`:id`; 0, which no request
/// has, when it is not a number).
pub fn request_id_param() -> impl Fn() -> i64 + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    }
}

/// The instructor's request for changes, when there is one.
#[component]
pub fn ChangesMessage(
    message: Option<String>,
    #[prop(default = vec![])] fields: Vec<String>,
    #[prop(default = 0)] id: i64,
) -> impl IntoView {
    message.map(|m| {
        view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w">
                <h2 class="fr-alert__title">"Modifications demandées par l’instructeur"</h2>
                <p class="guichet-pre">{m}</p>
                {(!fields.is_empty()).then(|| view! {
                    <p class="fr-mb-0">"Champs à modifier :"</p>
                    <ul>
                        {fields.iter().map(|f| {
                            let block = f.split('.').next().unwrap_or_default();
                            let step = crate::domain::request::BLOCKS.iter().position(|b| *b == block).map_or(1, |p| p + 1);
                            view! {
                                <li><a href={crate::paths::wizard_step(id, step)}>
                                    {format!("{} (étape {step})", crate::domain::request::field_label(f))}
                                </a></li>
                            }
                        }).collect_view()}
                    </ul>
                })}
                <p>"Modifiez la demande (elle s’enregistre toute seule), puis déposez-la à nouveau à l’étape 6."</p>
            </div>
        }
    })
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let request = Resource::new_blocking(request_id_param(), get_request);
    let start_update = ServerAction::<StartUpdate>::new();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start_update.value().get() {
            go_to(&crate::paths::wizard_step(id, 2));
        }
    });
    let update_error = last_error(start_update.value());
    view! {
        <Title text="Demande" />
        <div class="fr-container fr-my-6w">
            <Suspense>
                {move || Suspend::new(async move {
                    match request.await {
                        Ok(RequestView { id, state, data, editable, changes_message, changes_fields, kind, parent_id, open_update, updatable, transferable, pending_transfer, .. }) => {
                            let update_of = parent_id.filter(|_| kind == RequestKind::Update);
                            let renewal_of = parent_id.filter(|_| kind == RequestKind::Renewal);
                            view! {
                                <h1>{format!("Demande n° {id}")}</h1>
                                <StateBadge state />
                                {update_of.map(|p| view! {
                                    <p class="fr-mt-2w" data-testid="mise-a-jour">
                                        {format!("Mise à jour de votre habilitation n° {p}, qui reste en vigueur pendant l’instruction. ")}
                                        <a href={crate::paths::request(p)}>{format!("Voir l’habilitation n° {p}")}</a>
                                    </p>
                                })}
                                {renewal_of.map(|p| view! {
                                    <p class="fr-mt-2w" data-testid="renouvellement">
                                        {format!("Renouvellement de votre habilitation n° {p} : son objet, ses contacts et ses données ont été confirmés et elle a été prolongée de 18 mois. ")}
                                        <a href={crate::paths::request(p)}>{format!("Voir l’habilitation n° {p}")}</a>
                                    </p>
                                })}
                                <p class="fr-mt-2w">
                                    {match state {
                                        RequestState::Submitted => "Votre demande a été déposée : un instructeur va l’examiner.",
                                        RequestState::ChangesRequested => "L’instructeur demande des modifications : reprenez la demande puis déposez-la à nouveau.",
                                        RequestState::Accepted if renewal_of.is_some() => "Ce renouvellement est enregistré : rien n’est à faire.",
                                        RequestState::Accepted => "Votre demande a été validée.",
                                        RequestState::Refused => "Votre demande a été refusée.",
                                        RequestState::Draft => "Ce brouillon n’est pas encore déposé.",
                                        RequestState::Archived => "Ce brouillon est archivé.",
                                        RequestState::Revoked => "L’accès de cette demande a été révoqué.",
                                    }}
                                </p>
                                <ChangesMessage message=changes_message fields=changes_fields id />
                                <ErrorSummary error=update_error />
                                {updatable.then(|| view! {
                                    <div class="fr-callout fr-mb-4w" data-testid="demander-mise-a-jour">
                                        <p class="fr-callout__text fr-text--md">
                                            "Une donnée de plus, un nouveau contact technique, un usage qui évolue ? \
                                             Demandez une mise à jour : votre accès actuel reste valable pendant son \
                                             instruction, et une fois validée, le même jeton reçoit les nouvelles données."
                                        </p>
                                        <ActionForm action=start_update>
                                            <input type="hidden" name="id" value=id />
                                            <button class="fr-btn fr-icon-edit-line fr-btn--icon-left" type="submit">"Demander une mise à jour"</button>
                                        </ActionForm>
                                    </div>
                                })}
                                {open_update.map(|u| view! {
                                    <div class="fr-notice fr-notice--info fr-mb-4w">
                                        <div class="fr-container">
                                            <div class="fr-notice__body">
                                                <p class="fr-notice__title">
                                                    {format!("Une mise à jour de cette habilitation est en cours (demande n° {u}). ")}
                                                    <a href={crate::paths::request(u)}>{format!("Voir la demande n° {u}")}</a>
                                                </p>
                                            </div>
                                        </div>
                                    </div>
                                })}
                                {editable.then(|| view! {
                                    <a class="fr-btn fr-mb-4w" href={crate::paths::wizard_step(id, 1)}>"Reprendre la demande"</a>
                                })}
                                {crate::domain::lifecycle::SUBMITTED_STATES.contains(&state).then(|| view! { <ApplicantConversation id /> })}
                                {transferable.then(|| view! { <TransferForm id pending=pending_transfer.clone() /> })}
                                <RequestSummaryView id data edit=false />
                                <a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href={crate::paths::MY_REQUESTS}>"Mes demandes"</a>
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The applicant's conversation with the instructors on a request.
#[component]
fn ApplicantConversation(id: i64) -> impl IntoView {
    use crate::api::instruction::{SendMessage, list_messages};
    let send = ServerAction::<SendMessage>::new();
    let body = RwSignal::new(String::new());
    let messages = Resource::new(move || send.version().get(), move |_| list_messages(id));
    let error = last_error(send.value());
    view! {
        <section class="fr-mb-4w" aria-labelledby="echanges">
            <h2 id="echanges" class="fr-h4">"Échanges avec l’instructeur"</h2>
            <Transition>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(list) => view! { <crate::ui::instruction::Conversation messages=list /> }.into_any(),
                        Err(e) => load_error(e),
                    }
                })}
            </Transition>
            <ErrorSummary error />
            <div class="fr-input-group">
                <label class="fr-label" for="message-demandeur">"Écrire à l’instructeur"</label>
                <textarea class="fr-input" id="message-demandeur" rows="3" prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            </div>
            <button class="fr-btn fr-btn--secondary" type="button" on:click=move |_| {
                send.dispatch(SendMessage { id, body: body.get_untracked(), internal: false });
                body.set(String::new());
            }>"Envoyer le message"</button>
        </section>
    }
}

/// Handing the request to a colleague: the address, then the offer
/// pending until they accept it by email. `staff`: any address.
#[component]
pub fn TransferForm(
    id: i64,
    pending: Option<PendingTransfer>,
    #[prop(default = false)] staff: bool,
) -> impl IntoView {
    let offer = ServerAction::<TransferRequest>::new();
    let error = last_error(offer.value());
    let offered = move || match offer.value().get() {
        Some(Ok(end)) => Some(end),
        _ => None,
    };
    view! {
        <section class="fr-mb-4w" aria-labelledby="transfert" data-testid="transfert">
            <h2 id="transfert" class="fr-h4">{if staff { "Transférer à un autre demandeur" } else { "Transférer à un collègue" }}</h2>
            <p>
                {if staff {
                    "La personne reçoit un lien, valable 7 jours, pour reprendre la demande : elle en \
                     devient le demandeur. Le jeton continue de fonctionner."
                } else {
                    "Vous changez de poste ? Votre collègue reçoit un lien, valable 7 jours, pour \
                     reprendre la demande : il en devient le demandeur, et vous n’y aurez plus accès. \
                     Le jeton continue de fonctionner."
                }}
            </p>
            // A new offer voids the one pending when the page loaded: only
            // the notice below speaks then.
            {move || pending.clone().filter(|_| offered().is_none()).map(|p| view! {
                <p class="fr-badge fr-badge--info fr-mb-2w">
                    {format!("Transfert proposé à {}, en attente jusqu’au {}", p.email, format_paris_long(p.expires_at))}
                </p>
            })}
            {move || offered().map(|end| view! {
                <SuccessNotice title="Transfert proposé">
                    <p>{format!("Le courriel est parti. Le transfert se fera quand la personne l’acceptera, au plus tard le {}.", format_paris_long(end))}</p>
                </SuccessNotice>
            })}
            <ActionForm action=offer>
                <input type="hidden" name="id" value=id />
                <InputField
                    label="Adresse électronique de la personne"
                    name="email"
                    kind="email"
                    hint=if staff { "" } else { "Une adresse de votre organisation" }
                    error=field_error(error, "email")
                />
                {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <p class="fr-error-text">{e.message}</p> })}
                <button class="fr-btn fr-btn--secondary" type="submit" disabled=move || offer.pending().get()>
                    "Proposer le transfert"
                </button>
            </ActionForm>
        </section>
    }
}

/// `/transfert?jeton=…`: a colleague accepts a request handed to them.
#[component]
pub fn TransferPage() -> impl IntoView {
    let token = crate::ui::account::token_from_query();
    let accept = ServerAction::<AcceptTransfer>::new();
    let error = last_error(accept.value());
    let done = move || match accept.value().get() {
        Some(Ok(d)) => Some(d),
        _ => None,
    };
    view! {
        <Title text="Reprendre une demande" />
        <crate::ui::account::FormColumn>
            <h1>"Reprendre une demande"</h1>
            <Show
                when=move || done().is_none()
                fallback=move || done().map(|d| view! {
                    <SuccessNotice title="Demande transférée">
                        <p>{format!("Vous êtes désormais le demandeur de la demande n° {}.", d.request_id)}</p>
                    </SuccessNotice>
                    {match d.password_link {
                        Some(link) => view! {
                            <p>"Choisissez votre mot de passe pour accéder à la demande et à son jeton."</p>
                            <a class="fr-btn" href=link>"Choisir mon mot de passe"</a>
                        }.into_any(),
                        None => view! {
                            <a class="fr-btn" href={crate::paths::request(d.request_id)}>"Voir la demande"</a>
                        }.into_any(),
                    }}
                })
            >
                <Show when=move || !token.get().is_empty() fallback=crate::ui::account::MissingToken>
                    <ErrorSummary error />
                    <p>
                        "Un collègue vous transfère une demande d’accès à API Entreprise. En \
                         l’acceptant, vous en devenez le demandeur : vous la suivez, échangez avec \
                         l’instructeur et voyez son jeton s’il a été délivré."
                    </p>
                    <ActionForm action=accept>
                        <input type="hidden" name="token" value=move || token.get() />
                        <button class="fr-btn" type="submit" disabled=move || accept.pending().get()>
                            "Accepter le transfert"
                        </button>
                    </ActionForm>
                </Show>
            </Show>
        </crate::ui::account::FormColumn>
    }
}
