//! Staff sign-in, second step: the code of the authenticator app (or a
//! recovery code), and at the first sign-in the app's setup with a QR code
//! and the recovery codes shown once.

use crate::api::auth::{ActivateSecondFactor, VerifySecondFactor, second_factor_setup};
use crate::error::ErrorCode;
use crate::ui::account::{FormColumn, last_error};
use crate::ui::forms::{ErrorSummary, InputField, field_error, go_to, load_error};
use leptos::prelude::*;
use leptos_meta::Title;

/// What to do when the sign-in waiting for its code is over.
fn restart_notice() -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--warning fr-mb-3w">
            <h2 class="fr-alert__title fr-h6">"La connexion a expiré"</h2>
            <p>
                "Saisissez de nouveau votre adresse et votre mot de passe. "
                <a class="fr-link" href=crate::paths::SIGN_IN>"Se connecter"</a>
            </p>
        </div>
    }
}

/// The field of the app's code: the phone's numeric keyboard, and the code
/// the phone may offer to fill.
#[component]
fn CodeField(hint: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <InputField
            label="Code de l’application"
            name="code"
            autocomplete="one-time-code"
            inputmode="numeric"
            hint
            error
        />
    }
}

/// `/connexion/code`: the app's code, or a recovery code.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<VerifySecondFactor>::new();
    let value = action.value();
    let error = last_error(value);
    let expired = Signal::derive(move || {
        error
            .get()
            .is_some_and(|e| e.code == ErrorCode::SignInExpired)
    });
    Effect::new(move |_| {
        if let Some(Ok(target)) = value.get() {
            go_to(&target);
        }
    });
    view! {
        <Title text="Double authentification" />
        <FormColumn>
            <h1>"Double authentification"</h1>
            <Show when=move || !expired.get() fallback=restart_notice>
                <p>
                    "Ouvrez l’application d’authentification de votre téléphone et saisissez le code \
                     à 6 chiffres qu’elle affiche pour «\u{a0}Guichet API Entreprise\u{a0}»."
                </p>
                <ErrorSummary error />
                <ActionForm action>
                    <CodeField
                        hint="Par exemple : 123456. Vous pouvez aussi saisir un code de secours (abcd-efgh-jkmn)."
                        error=field_error(error, "code")
                    />
                    <button class="fr-btn" type="submit" disabled=move || action.pending().get()>
                        "Valider"
                    </button>
                </ActionForm>
                <div class="fr-callout fr-mt-4w">
                    <h2 class="fr-callout__title fr-h6">"Vous n’avez plus votre téléphone ?"</h2>
                    <p class="fr-callout__text">
                        "Saisissez l’un des codes de secours reçus lors de la configuration (chacun ne \
                         sert qu’une fois). Sinon, demandez à un administrateur de Guichet de \
                         réinitialiser votre double authentification."
                    </p>
                </div>
            </Show>
        </FormColumn>
    }
}

/// `/connexion/double-authentification`: the app's setup at the first
/// sign-in, then the recovery codes.
#[component]
pub fn SecondFactorSetupPage() -> impl IntoView {
    let setup = Resource::new_blocking(|| (), |_| second_factor_setup());
    let action = ServerAction::<ActivateSecondFactor>::new();
    let value = action.value();
    let error = last_error(value);
    let done = Signal::derive(move || value.get().and_then(Result::ok));
    view! {
        <Title text="Configurer la double authentification" />
        <FormColumn>
            <h1>"Configurer la double authentification"</h1>
            // The recovery codes once activated; the form stays mounted,
            // hidden, so that nothing reads a signal of a disposed view.
            {move || done.get().map(|d| view! { <RecoveryCodes codes=d.recovery_codes target=d.target /> })}
            <div hidden=move || done.get().is_some()>
                <Suspense>
                    {move || Suspend::new(async move {
                        match setup.await {
                            Ok(Some(s)) => view! {
                                <p>
                                    "Les comptes des agents de Guichet, qui décident de l’accès à des données \
                                     protégées, demandent un second facteur : un code à 6 chiffres, renouvelé \
                                     toutes les 30 secondes par une application de votre téléphone."
                                </p>
                                // One list: the design system numbers items itself
                                // (a second list's `start` would be ignored).
                                <ol>
                                    <li>
                                        "Installez une application d’authentification si vous n’en avez pas "
                                        "(par exemple FreeOTP, Aegis, Microsoft Authenticator ou Google Authenticator)."
                                    </li>
                                    <li>
                                        "Dans l’application, ajoutez un compte en scannant ce QR code :"
                                        <div class="guichet-qr" data-testid="qr" inner_html=s.qr_svg></div>
                                        <p class="fr-text--sm">
                                            "Impossible de scanner ? Saisissez cette clé dans l’application : "
                                            <code data-testid="cle-totp">{s.secret}</code>
                                        </p>
                                    </li>
                                    <li>"Saisissez le code que l’application affiche pour «\u{a0}Guichet API Entreprise\u{a0}»."</li>
                                </ol>
                                <ErrorSummary error />
                                <ActionForm action>
                                    <CodeField hint="6 chiffres, par exemple : 123456" error=field_error(error, "code") />
                                    <button class="fr-btn" type="submit" disabled=move || action.pending().get()>
                                        "Activer la double authentification"
                                    </button>
                                </ActionForm>
                            }.into_any(),
                            Ok(None) => view! {
                                <p>"Votre application est déjà configurée."</p>
                                <a class="fr-btn" href=crate::paths::SECOND_FACTOR>"Saisir un code"</a>
                            }.into_any(),
                            Err(e) if e.code == ErrorCode::SignInExpired => restart_notice().into_any(),
                            Err(e) => load_error(e),
                        }
                    })}
                </Suspense>
            </div>
        </FormColumn>
    }
}

/// The recovery codes, shown once, and the way on.
#[component]
fn RecoveryCodes(codes: Vec<String>, target: String) -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--success fr-mb-3w">
            <h2 class="fr-alert__title fr-h6">"Double authentification activée"</h2>
            <p>"Vous êtes connecté. À chaque connexion, Guichet vous demandera le code de l’application."</p>
        </div>
        <h2 class="fr-h4">"Vos codes de secours"</h2>
        <p>
            "Si vous perdez votre téléphone, chacun de ces codes remplace une fois le code de \
             l’application. Conservez-les en lieu sûr (gestionnaire de mots de passe, document \
             imprimé) : ils ne seront plus affichés."
        </p>
        <ul class="guichet-codes" data-testid="codes-secours">
            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        // A whole page load: the header then shows the signed-in account.
        <a class="fr-btn fr-mt-2w" href=target rel="external">"J’ai conservé mes codes, continuer"</a>
    }
}
