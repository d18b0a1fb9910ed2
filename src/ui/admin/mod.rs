//! Administration: the staff accounts, the use-case templates and the
//! gateways' credentials.

mod accounts;
mod gateways;
mod templates;

pub use accounts::AccountsPage;
pub use gateways::GatewaysPage;
pub use templates::{AdminTemplatePage, AdminTemplatesPage};

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// An administration page: its sections in a side menu (the current one
/// marked), and the page's own content beside it.
#[component]
fn AdminLayout(children: Children) -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let link = move |href: &'static str, label: &'static str| {
        let current = here == href || here.starts_with(&format!("{href}/"));
        view! {
            <li class="fr-sidemenu__item" class:fr-sidemenu__item--active=current>
                <a class="fr-sidemenu__link" href=href aria-current=current.then_some("page")>{label}</a>
            </li>
        }
    };
    view! {
        <div class="fr-container fr-my-6w">
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-3">
                    <nav class="fr-sidemenu" role="navigation" aria-labelledby="admin-titre">
                        <div class="fr-sidemenu__inner">
                            <p class="fr-sidemenu__title" id="admin-titre">"Administration"</p>
                            <ul class="fr-sidemenu__list">
                                {link(crate::paths::ACCOUNTS, "Comptes")}
                                {link(crate::paths::ADMIN_TEMPLATES, "Modèles de demande")}
                                {link(crate::paths::GATEWAYS, "Passerelles")}
                            </ul>
                        </div>
                    </nav>
                </div>
                <div class="fr-col-12 fr-col-md-9">{children()}</div>
            </div>
        </div>
    }
}
