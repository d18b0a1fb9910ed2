//! DSFR skip links, header and footer.

use crate::api::auth::{home_of, whoami};
use crate::domain::lifecycle::Role;
use crate::ui::account::LogoutButton;
use leptos::prelude::*;

#[component]
pub fn SkipLinks() -> impl IntoView {
    view! {
        <div class="fr-skiplinks">
            <nav class="fr-container" role="navigation" aria-label="Accès rapide">
                <ul class="fr-skiplinks__list">
                    <li><a class="fr-link" href="#contenu">"Contenu"</a></li>
                    <li><a class="fr-link" href="#pied-de-page">"Pied de page"</a></li>
                </ul>
            </nav>
        </div>
    }
}

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header role="banner" class="fr-header">
            <div class="fr-header__body">
                <div class="fr-container">
                    <div class="fr-header__body-row">
                        <div class="fr-header__brand fr-enlarge-link">
                            <div class="fr-header__brand-top">
                                <div class="fr-header__logo">
                                    <p class="fr-logo">"République" <br /> "Française"</p>
                                </div>
                                <div class="fr-header__navbar">
                                    <button
                                        class="fr-btn--menu fr-btn"
                                        data-fr-opened="false"
                                        aria-controls="menu-principal"
                                        aria-haspopup="menu"
                                        id="bouton-menu"
                                        title="Menu"
                                    >
                                        "Menu"
                                    </button>
                                </div>
                            </div>
                            <div class="fr-header__service">
                                <a href="/" title="Accueil – Guichet API Entreprise">
                                    <p class="fr-header__service-title">"Guichet API Entreprise"</p>
                                </a>
                                <p class="fr-header__service-tagline">
                                    "Demander l’accès aux données des entreprises pour une mission de service public"
                                </p>
                            </div>
                        </div>
                        <div class="fr-header__tools">
                            <div class="fr-header__tools-links">
                                <AccountLinks />
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            // On small screens the DSFR script copies the account links here.
            <div class="fr-header__menu fr-modal" id="menu-principal" aria-labelledby="bouton-menu">
                <div class="fr-container">
                    <button class="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer">
                        "Fermer"
                    </button>
                    <div class="fr-header__menu-links"></div>
                </div>
            </div>
        </header>
    }
}

/// The header's account links: sign in / create an account, or my space and
/// sign out. The session is read before the page is sent (blocking resource),
/// so the right links are there without JavaScript.
#[component]
fn AccountLinks() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| whoami());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => {
                        let (label, href) = match user.role {
                            Role::Admin => ("Administration", home_of(Role::Admin)),
                            Role::Applicant => ("Mes demandes", home_of(Role::Applicant)),
                            Role::Instructor | Role::Reporter => ("Instruction", home_of(user.role)),
                        };
                        view! {
                            <ul class="fr-btns-group">
                                <li>
                                    <a class="fr-btn fr-icon-account-circle-line" href=href>
                                        {label}
                                    </a>
                                </li>
                                {(user.role == Role::Applicant).then(|| view! {
                                    <li>
                                        <a class="fr-btn fr-icon-lock-line" href={crate::paths::SPACE}>
                                            "Mon espace"
                                        </a>
                                    </li>
                                })}
                                <li>
                                    <LogoutButton header=true />
                                </li>
                            </ul>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <ul class="fr-btns-group">
                                <li>
                                    <a class="fr-btn fr-icon-lock-line" href={crate::paths::SIGN_IN}>
                                        "Se connecter"
                                    </a>
                                </li>
                                <li>
                                    <a class="fr-btn fr-icon-account-line" href={crate::paths::REGISTER}>
                                        "Créer un compte"
                                    </a>
                                </li>
                            </ul>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="fr-footer" role="contentinfo" id="pied-de-page">
            <div class="fr-container">
                <div class="fr-footer__body">
                    <div class="fr-footer__brand fr-enlarge-link">
                        <a href="/" title="Retour à l’accueil du site – Guichet API Entreprise – République Française">
                            <p class="fr-logo">"République" <br /> "Française"</p>
                        </a>
                    </div>
                    <div class="fr-footer__content">
                        <p class="fr-footer__content-desc">
                            "Guichet est le service par lequel les administrations et les organismes \
                             chargés d’une mission de service public demandent l’accès à API Entreprise."
                        </p>
                        <ul class="fr-footer__content-list">
                            <FooterLink href="https://www.info.gouv.fr" label="info.gouv.fr" />
                            <FooterLink href="https://www.service-public.fr" label="service-public.fr" />
                            <FooterLink href="https://www.legifrance.gouv.fr" label="legifrance.gouv.fr" />
                            <FooterLink href="https://www.data.gouv.fr" label="data.gouv.fr" />
                        </ul>
                    </div>
                </div>
                <div class="fr-footer__bottom">
                    <ul class="fr-footer__bottom-list">
                        <li class="fr-footer__bottom-item">
                            <a class="fr-footer__bottom-link" href={crate::paths::ACCESSIBILITY}>
                                "Accessibilité : non conforme"
                            </a>
                        </li>
                    </ul>
                    <div class="fr-footer__bottom-copy">
                        <p>
                            "Sauf mention explicite de propriété intellectuelle détenue par des tiers, \
                             les contenus de ce site sont proposés sous licence etalab-2.0."
                        </p>
                    </div>
                </div>
            </div>
        </footer>
    }
}

#[component]
fn FooterLink(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li class="fr-footer__content-item">
            <a
                class="fr-footer__content-link"
                target="_blank"
                rel="noopener"
                href=href
                title=format!("{label} – nouvelle fenêtre")
            >
                {label}
            </a>
        </li>
    }
}
