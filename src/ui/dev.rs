//! `/dev/mails`: the emails of the outbox, in development mode only.

use crate::api::auth::dev_mails;
use crate::domain::time::format_paris as format_ms;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DevMailsPage() -> impl IntoView {
    let mails = Resource::new_blocking(|| (), |_| dev_mails());
    view! {
        <Title text="Courriels (développement)" />
        <div class="fr-container fr-my-6w">
            <h1>"Courriels envoyés (développement)"</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    match mails.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p>"Aucun courriel pour l’instant."</p> }.into_any()
                        }
                        Ok(list) => {
                            list.into_iter()
                                .map(|m| {
                                    let links: Vec<String> = m
                                        .body_text
                                        .split_whitespace()
                                        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                                        .map(str::to_owned)
                                        .collect();
                                    view! {
                                        <article class="fr-card fr-mb-3w fr-p-3w">
                                            <h2 class="fr-h5">{m.subject}</h2>
                                            <p class="fr-text--sm">
                                                "À " {m.to} " — " {format_ms(m.created_at)} " — "
                                                {if m.sent { "remis" } else { "en attente" }}
                                            </p>
                                            <ul>
                                                {links
                                                    .into_iter()
                                                    .map(|l| view! { <li><a href=l.clone()>{l.clone()}</a></li> })
                                                    .collect_view()}
                                            </ul>
                                            <pre class="guichet-mail">{m.body_text}</pre>
                                        </article>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                        Err(_) => {
                            view! {
                                <p>
                                    "Cette page n’existe qu’en mode développement (LEPTOS_ENV=DEV, \
                                     sans SMTP_URL)."
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}
