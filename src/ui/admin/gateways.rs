//! `/admin/passerelles`: the client credentials of other gateways that
//! check Guichet's tokens (introspection, revocation feed): create one (its
//! secret shown once), revoke one.

use crate::api::gateways::{CreateGateway, GatewayRow, RevokeGateway, list_gateways};
use crate::domain::time::format_paris;
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, InputField, SuccessNotice, field_error, load_error};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn GatewaysPage() -> impl IntoView {
    let create = ServerAction::<CreateGateway>::new();
    let revoke = ServerAction::<RevokeGateway>::new();
    let gateways = Resource::new_blocking(
        move || (create.version().get(), revoke.version().get()),
        |_| list_gateways(),
    );
    let error = last_error(create.value());
    let revoke_error = last_error(revoke.value());
    let created = move || match create.value().get() {
        Some(Ok(new)) => Some(new),
        _ => None,
    };
    view! {
        <Title text="Passerelles" />
        <super::AdminLayout>
            <h1>"Passerelles"</h1>
            <p>
                "Une passerelle qui vérifie elle-même les jetons de Guichet (avec les clés publiées sur "
                <code>"/.well-known/jwks.json"</code>
                ") s’authentifie avec un identifiant et un secret pour interroger "
                <code>"POST /oauth/introspect"</code>
                " (RFC 7662) et suivre les révocations sur "
                <code>"GET /oauth/revocations"</code>
                " toutes les 5 secondes."
            </p>
            <ErrorSummary error=revoke_error />
            {move || created().map(|new| view! {
                <SuccessNotice title="Accès créé">
                    <p>"Transmettez ces deux valeurs à l’équipe de la passerelle par un canal sûr. \
                        Le secret ne sera plus affiché : s’il est perdu, révoquez cet accès et créez-en un autre."</p>
                    <p class="fr-mb-0">"Identifiant : "<code data-testid="identifiant">{new.id}</code></p>
                    <p>"Secret : "<code data-testid="secret">{new.secret}</code></p>
                </SuccessNotice>
            })}
            <Suspense>
                {move || Suspend::new(async move {
                    match gateways.await {
                        Err(e) => load_error(e),
                        Ok(rows) if rows.is_empty() => view! {
                            <p>"Aucune passerelle pour l’instant."</p>
                        }.into_any(),
                        Ok(rows) => view! {
                            <div class="fr-table">
                                <table>
                                    <caption>{format!("{} accès", rows.len())}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Passerelle"</th>
                                            <th scope="col">"Créé"</th>
                                            <th scope="col">"Dernier appel"</th>
                                            <th scope="col">"État"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|g| gateway_row(g, revoke)).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <section class="fr-mt-6w" aria-labelledby="creer">
                <h2 id="creer">"Créer un accès"</h2>
                <ErrorSummary error />
                <ActionForm action=create>
                    <InputField
                        label="Nom de la passerelle"
                        name="name"
                        kind="text"
                        error=field_error(error, "name")
                    />
                    <button class="fr-btn" type="submit" disabled=move || create.pending().get()>
                        "Créer l’accès"
                    </button>
                </ActionForm>
            </section>
        </super::AdminLayout>
    }
}

fn gateway_row(g: GatewayRow, revoke: ServerAction<RevokeGateway>) -> impl IntoView {
    let state = match g.revoked_at {
        Some(at) => view! { <p class="fr-badge fr-badge--sm">{format!("Révoqué le {}", format_paris(at))}</p> }.into_any(),
        None => {
            let id = g.id.clone();
            let name = g.name.clone();
            view! {
                <p class="fr-badge fr-badge--sm fr-badge--success">"Actif"</p>
                <ActionForm action=revoke>
                    <input type="hidden" name="id" value=id />
                    <button class="fr-btn fr-btn--sm fr-btn--secondary fr-mt-1w" type="submit"
                        aria-label=format!("Révoquer l’accès de {name}")
                        disabled=move || revoke.pending().get()>
                        "Révoquer"
                    </button>
                </ActionForm>
            }.into_any()
        }
    };
    view! {
        <tr>
            <td>{g.name}<br /><code class="fr-text--xs">{g.id}</code></td>
            <td>{format_paris(g.created_at)}{g.created_by.map(|e| format!(" par {e}"))}</td>
            <td>{g.last_used_at.map_or_else(|| "Jamais".to_owned(), format_paris)}</td>
            <td>{state}</td>
        </tr>
    }
}
