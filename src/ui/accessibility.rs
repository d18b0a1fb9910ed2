//! The accessibility statement (déclaration d’accessibilité), stated honestly.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    view! {
        <Title text="Déclaration d’accessibilité" />
        <div class="fr-container fr-my-6w">
            <div class="fr-grid-row">
                <div class="fr-col-12 fr-col-lg-8">
                    <h1>"Déclaration d’accessibilité"</h1>
                    <p>
                        "L’équipe de Guichet API Entreprise s’engage à rendre ce service accessible, \
                         conformément à l’article 47 de la loi n° 2005-102 du 11 février 2005."
                    </p>

                    <h2>"État de conformité"</h2>
                    <p>
                        "Guichet API Entreprise est "
                        <strong>"non conforme"</strong>
                        " avec le référentiel général d’amélioration de l’accessibilité (RGAA), \
                         version 4.1 : aucun audit de conformité n’a encore été réalisé."
                    </p>

                    <h2>"Ce que nous faisons déjà"</h2>
                    <ul>
                        <li>
                            "Les pages sont construites avec le Système de Design de l’État (DSFR), \
                             conçu pour respecter le RGAA."
                        </li>
                        <li>
                            "Chaque page de chaque parcours (visiteur, demandeur, instructeur, \
                             administrateur, espace client), fenêtres de dialogue et messages d’erreur \
                             compris, est vérifiée automatiquement à chaque modification du service par \
                             l’outil axe-core dans un navigateur réel (Chromium) ; aucune anomalie \
                             détectée par cet outil n’est acceptée."
                        </li>
                        <li>
                            "Un parcours complet de demande (six étapes, jusqu’au dépôt) est rejoué \
                             au clavier seul à chaque modification, en vérifiant que l’élément qui a le \
                             focus est toujours visiblement signalé."
                        </li>
                        <li>
                            "Un lien d’évitement mène directement au contenu ; la connexion, \
                             l’inscription et les formulaires de compte fonctionnent aussi sans \
                             JavaScript."
                        </li>
                    </ul>

                    <h2>"Ce qui n’est pas encore vérifié"</h2>
                    <ul>
                        <li>
                            "Les vérifications automatiques ne couvrent qu’une partie des critères du \
                             RGAA : un audit complet par un tiers reste à mener."
                        </li>
                        <li>
                            "Le service n’a pas encore été testé avec des lecteurs d’écran (NVDA, JAWS, \
                             VoiceOver) ni avec des utilisateurs en situation de handicap."
                        </li>
                        <li>
                            "Les documents PDF joints aux demandes sont fournis par les demandeurs : \
                             leur accessibilité n’est pas contrôlée."
                        </li>
                    </ul>

                    <h2>"Établissement de cette déclaration"</h2>
                    <p>
                        "Cette déclaration a été établie le 25 novembre 2026. Technologies utilisées : \
                         HTML, CSS (Système de Design de l’État), WebAssembly. Environnement de \
                         vérification : Chromium sous Debian, axe-core."
                    </p>

                    <h2>"Retour d’information et contact"</h2>
                    <p>
                        "Si vous n’arrivez pas à accéder à un contenu ou à un service, signalez-le à \
                         l’équipe du service : nous vous orienterons vers une alternative accessible \
                         ou vous transmettrons le contenu sous une autre forme."
                    </p>

                    <h2>"Voies de recours"</h2>
                    <p>
                        "Si vous constatez un défaut d’accessibilité vous empêchant d’accéder à un \
                         contenu ou à une fonctionnalité du site, que vous nous le signalez et que vous \
                         ne parvenez pas à obtenir une réponse de notre part, vous êtes en droit de \
                         faire parvenir vos doléances ou une demande de saisine au Défenseur des droits :"
                    </p>
                    <ul>
                        <li>
                            "en écrivant un message au Défenseur des droits, sur le formulaire de son site \
                             (defenseurdesdroits.fr) ;"
                        </li>
                        <li>"en contactant le délégué du Défenseur des droits dans votre région ;"</li>
                        <li>
                            "en envoyant un courrier par la poste (gratuit, ne pas mettre de timbre) : \
                             Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07."
                        </li>
                    </ul>
                </div>
            </div>
        </div>
    }
}
