//! The terms of use of API Entreprise, as accepted with each request.

use crate::domain::request::CURRENT_CGU_VERSION;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CguPage() -> impl IntoView {
    view! {
        <Title text="Conditions générales d’utilisation" />
        <div class="fr-container fr-my-6w">
            <h1>"Conditions générales d’utilisation d’API Entreprise"</h1>
            <p class="fr-text--sm">{format!("Version {CURRENT_CGU_VERSION}")}</p>
            <h2>"Objet"</h2>
            <p>
                "API Entreprise met à disposition des administrations et des organismes chargés \
                 d’une mission de service public des données administratives sur les entreprises \
                 et les associations, pour ne plus les demander aux usagers."
            </p>
            <h2>"Engagements de l’utilisateur"</h2>
            <ul>
                <li>"n’appeler les données que pour le cas d’usage accordé et dans le cadre juridique déclaré ;"</li>
                <li>"renseigner à chaque appel le contexte, le destinataire et l’objet de l’appel ;"</li>
                <li>"garder le jeton d’accès secret : ne jamais le transmettre par courriel ni le publier ;"</li>
                <li>"signaler sans délai toute fuite du jeton, qui sera alors révoqué ;"</li>
                <li>"respecter les limites d’appels et la confidentialité des données reçues."</li>
            </ul>
            <h2>"Durée"</h2>
            <p>"Un jeton est valable 18 mois et peut être renouvelé pendant ses 90 derniers jours."</p>
        </div>
    }
}
