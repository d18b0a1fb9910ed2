//! The 404 page.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page non trouvée" />
        <div class="fr-container fr-my-7w">
            <div class="fr-grid-row fr-grid-row--center">
                <div class="fr-col-12 fr-col-md-8">
                    <h1>"Page non trouvée"</h1>
                    <p class="fr-text--sm fr-mb-3w">"Erreur 404"</p>
                    <p class="fr-text--lead fr-mb-3w">
                        "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée."
                    </p>
                    <p class="fr-mb-5w">
                        "Si vous avez tapé l’adresse web dans le navigateur, vérifiez qu’elle est correcte. \
                         La page n’est peut-être plus disponible. Dans ce cas, pour continuer votre visite, \
                         vous pouvez consulter notre page d’accueil."
                    </p>
                    <ul class="fr-btns-group fr-btns-group--inline-md">
                        <li>
                            <a class="fr-btn" href="/">"Page d’accueil"</a>
                        </li>
                    </ul>
                </div>
            </div>
        </div>
    }
}
