//! Account pages: sign in, register, confirm the address, forgotten password,
//! new password from a link, my account.

use crate::api::auth::{
    ChangePassword, ChoosePassword, ConfirmEmail, Login, Logout, Register, RequestPasswordReset,
    ResetPassword, SignInChoices, sign_in_options, whoami,
};
use crate::error::AppError;
use crate::ui::forms::{
    ErrorSummary, InputField, NEW_PASSWORD_HINT, PasswordField, SuccessNotice, field_error, go_to,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The last error of an action.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// Whether the last answer of an action was a success.
pub fn succeeded<T, S>(value: S) -> Signal<bool>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || matches!(value.get(), Some(Ok(_))))
}

/// Whether the action succeeded, here or, for a form posted without script,
/// as told by the `flag` in the address the server sent the browser to.
pub fn succeeded_or_flag<T, S>(value: S, flag: &'static str) -> Signal<bool>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    let query = use_query_map();
    let done = succeeded(value);
    Signal::derive(move || done.get() || query.read().get(flag).is_some())
}

/// A narrow centred column for forms.
#[component]
pub(crate) fn FormColumn(children: Children) -> impl IntoView {
    view! {
        <div class="fr-container fr-my-6w">
            <div class="fr-grid-row fr-grid-row--center">
                <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">{children()}</div>
            </div>
        </div>
    }
}

/// "S’identifier avec ProConnect", the button of the State's design system
/// (`fr-connect fr-connect--pro`), going to the provider and back to
/// `suite`. A link, not a form: the pages' `form-action 'self'` would stop a
/// form's redirection to the provider.
#[component]
pub fn ProConnectButton(#[prop(into)] suite: Signal<Option<String>>) -> impl IntoView {
    let href =
        move || crate::paths::with_suite(crate::paths::PROCONNECT_START, suite.get().as_deref());
    view! {
        <div class="fr-connect-group">
            // `rel="external"`: a whole navigation, not the router's.
            <a class="fr-connect fr-connect--pro" href=href rel="external">
                <span class="fr-connect__login">"S’identifier avec"</span>
                " "
                <span class="fr-connect__brand">"ProConnect"</span>
            </a>
            <p>
                <a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener"
                    title="Qu’est-ce que ProConnect ? - nouvelle fenêtre">"Qu’est-ce que ProConnect ?"</a>
            </p>
        </div>
    }
}

/// What went wrong on the way back from ProConnect (`?proconnect=`).
fn proconnect_failure(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "annule" => "Vous avez annulé la connexion avec ProConnect.",
        "indisponible" => {
            "ProConnect ne répond pas pour le moment : réessayez dans quelques minutes, ou \
             connectez-vous avec votre mot de passe."
        }
        "expire" => {
            "La connexion avec ProConnect a expiré ou a été ouverte dans un autre navigateur : \
             recommencez."
        }
        "refuse" => {
            "La réponse de ProConnect n’a pas pu être vérifiée (code expiré ou déjà utilisé, \
             signature invalide) : recommencez la connexion."
        }
        "sans_adresse" => {
            "Votre identité ProConnect ne transmet pas d’adresse électronique : Guichet ne peut \
             pas vous connecter avec elle."
        }
        "desactive" => {
            "Ce compte a été désactivé par un administrateur de Guichet. Si vous devez encore \
             instruire des demandes, demandez-lui de le réactiver."
        }
        "deja_lie" => {
            "Ce compte Guichet est déjà lié à une autre identité ProConnect : connectez-vous avec \
             celle-ci, ou demandez à un administrateur de Guichet."
        }
        _ => return None,
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    // The page that asked for a sign-in, to come back to.
    let query = leptos_router::hooks::use_query_map();
    let suite = Memo::new(move |_| {
        query
            .read()
            .get("suite")
            .filter(|s| crate::paths::safe_return(s).is_some())
    });
    let failure = Memo::new(move |_| {
        query
            .read()
            .get("proconnect")
            .and_then(|f| proconnect_failure(&f))
    });
    let choices = Resource::new(|| (), |_| sign_in_options());
    let value = action.value();
    let error = last_error(value);
    Effect::new(move |_| {
        if let Some(Ok(target)) = value.get() {
            go_to(&target);
        }
    });
    let password_form = move |c: &SignInChoices| {
        let staff_only = !c.applicant_password;
        view! {
            {(c.proconnect).then(|| view! {
                <h2 class="fr-h4 fr-mt-4w">
                    {if staff_only { "Agents de Guichet : connexion par mot de passe" } else { "Ou avec votre mot de passe" }}
                </h2>
            })}
            <ErrorSummary error />
            <ActionForm action>
                <InputField
                    label="Adresse électronique"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    hint="Format attendu : prenom.nom@exemple.gouv.fr"
                    error=field_error(error, "email")
                />
                <PasswordField
                    label="Mot de passe"
                    name="password"
                    autocomplete="current-password"
                    error=field_error(error, "password")
                />
                {move || suite.get().map(|s| view! { <input type="hidden" name="suite" value=s /> })}
                <p>
                    <a class="fr-link" href={crate::paths::FORGOT_PASSWORD}>"Mot de passe oublié ?"</a>
                </p>
                <button class="fr-btn" type="submit" disabled=move || action.pending().get()>
                    "Se connecter"
                </button>
            </ActionForm>
        }
    };
    view! {
        <Title text="Se connecter" />
        <FormColumn>
            <h1>"Se connecter"</h1>
            {move || failure.get().map(|f| view! {
                <div class="fr-alert fr-alert--error fr-mb-3w" role="alert" data-testid="proconnect-erreur">
                    <h2 class="fr-alert__title fr-h6">"La connexion avec ProConnect n’a pas abouti"</h2>
                    <p>{f}</p>
                </div>
            })}
            <Suspense>
                {move || Suspend::new(async move {
                    let c = choices.await.unwrap_or_default();
                    view! {
                        {c.link_email.clone().map(|email| view! {
                            <div class="fr-alert fr-alert--info fr-mb-3w" data-testid="liaison">
                                <h2 class="fr-alert__title fr-h6">"Un compte Guichet existe déjà pour cette adresse"</h2>
                                <p>{format!(
                                    "ProConnect vous a identifié comme {email}. Pour relier votre identité ProConnect \
                                     à ce compte, prouvez qu’il est à vous en vous connectant une dernière fois avec son \
                                     mot de passe ; ensuite, ProConnect suffira."
                                )}</p>
                            </div>
                        })}
                        {(c.proconnect && c.link_email.is_none()).then(|| view! {
                            <p>"Agents publics : connectez-vous avec le compte de votre administration."</p>
                            <ProConnectButton suite />
                        })}
                        {password_form(&c)}
                    }
                })}
            </Suspense>
            <hr class="fr-mt-4w" />
            <h2 class="fr-h4">"Vous n’avez pas de compte ?"</h2>
            <a class="fr-btn fr-btn--secondary" href={crate::paths::REGISTER}>"Créer un compte"</a>
        </FormColumn>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let value = action.value();
    let error = last_error(value);
    let done = succeeded_or_flag(value, "envoye");
    let choices = Resource::new(|| (), |_| sign_in_options());
    let no_suite = Signal::derive(|| None::<String>);
    view! {
        <Title text="Créer un compte" />
        <FormColumn>
            <h1>"Créer un compte"</h1>
            // Once sent, the notice; the form stays mounted, hidden, so that
            // nothing reads a signal of a disposed view.
            <Show when=move || done.get()>
                <SuccessNotice title="Vérifiez votre messagerie">
                    <p>
                        "Un courriel vient de vous être envoyé : cliquez sur le lien qu’il contient \
                         pour confirmer votre adresse (valable 24 heures), puis connectez-vous. \
                         Pensez à regarder dans les indésirables."
                    </p>
                </SuccessNotice>
            </Show>
            <div hidden=move || done.get()>
                        <p>
                            "Le compte vous permet de déposer et de suivre les demandes d’accès de \
                             votre organisation."
                        </p>
                        <Suspense>
                            {move || Suspend::new(async move {
                                let c = choices.await.unwrap_or_default();
                                view! {
                                    {c.proconnect.then(|| view! {
                                        <p>
                                            "Agents publics : avec ProConnect, votre compte est créé à la première \
                                             connexion, et votre rattachement à votre organisation est attesté auprès \
                                             des instructeurs."
                                        </p>
                                        <ProConnectButton suite=no_suite />
                                    })}
                                    {c.applicant_password.then(|| view! {
                                        {c.proconnect.then(|| view! {
                                            <h2 class="fr-h4 fr-mt-4w">"Ou avec une adresse et un mot de passe"</h2>
                                        })}
                                        <p>"Utilisez votre adresse électronique professionnelle."</p>
                                        <ErrorSummary error />
                                        <ActionForm action>
                                            <InputField
                                                label="Adresse électronique professionnelle"
                                                name="email"
                                                kind="email"
                                                autocomplete="email"
                                                hint="Format attendu : prenom.nom@exemple.gouv.fr"
                                                error=field_error(error, "email")
                                            />
                                            <PasswordField
                                                label="Mot de passe"
                                                name="password"
                                                autocomplete="new-password"
                                                hint=NEW_PASSWORD_HINT
                                                error=field_error(error, "password")
                                            />
                                            <button
                                                class="fr-btn"
                                                type="submit"
                                                disabled=move || action.pending().get()
                                            >
                                                "Créer mon compte"
                                            </button>
                                        </ActionForm>
                                    })}
                                }
                            })}
                        </Suspense>
                        <hr class="fr-mt-4w" />
                        <p>
                            "Vous avez déjà un compte ? "
                            <a class="fr-link" href={crate::paths::SIGN_IN}>"Se connecter"</a>
                        </p>
            </div>
        </FormColumn>
    }
}

/// The `jeton` of the page's address.
pub(crate) fn token_from_query() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("jeton").unwrap_or_default())
}

#[component]
pub(crate) fn MissingToken() -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
            <h2 class="fr-alert__title">"Lien incomplet"</h2>
            <p>
                "L’adresse ouverte ne contient pas de jeton. Copiez le lien reçu par courriel en \
                 entier, ou demandez-en un nouveau."
            </p>
        </div>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let token = token_from_query();
    let action = ServerAction::<ConfirmEmail>::new();
    let value = action.value();
    let error = last_error(value);
    let done = succeeded_or_flag(value, "confirme");
    view! {
        <Title text="Confirmer mon adresse" />
        <FormColumn>
            <h1>"Confirmer mon adresse électronique"</h1>
            <Show
                when=move || done.get()
                fallback=move || {
                    view! {
                        <Show when=move || !token.get().is_empty() fallback=MissingToken>
                            <ErrorSummary error />
                            <p>"Cliquez sur le bouton pour activer votre compte."</p>
                            <ActionForm action>
                                <input type="hidden" name="token" value=move || token.get() />
                                <button
                                    class="fr-btn"
                                    type="submit"
                                    disabled=move || action.pending().get()
                                >
                                    "Confirmer mon adresse"
                                </button>
                            </ActionForm>
                        </Show>
                    }
                }
            >
                <SuccessNotice title="Adresse confirmée">
                    <p>"Votre compte est activé : vous pouvez vous connecter."</p>
                </SuccessNotice>
                <a class="fr-btn" href={crate::paths::SIGN_IN}>"Se connecter"</a>
            </Show>
        </FormColumn>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let value = action.value();
    let error = last_error(value);
    let done = succeeded_or_flag(value, "envoye");
    view! {
        <Title text="Mot de passe oublié" />
        <FormColumn>
            <h1>"Mot de passe oublié"</h1>
            <Show
                when=move || done.get()
                fallback=move || {
                    view! {
                        <p>
                            "Indiquez l’adresse électronique de votre compte : nous vous enverrons \
                             un lien pour choisir un nouveau mot de passe."
                        </p>
                        <ErrorSummary error />
                        <ActionForm action>
                            <InputField
                                label="Adresse électronique"
                                name="email"
                                kind="email"
                                autocomplete="email"
                                hint="Format attendu : prenom.nom@exemple.gouv.fr"
                                error=field_error(error, "email")
                            />
                            <button
                                class="fr-btn"
                                type="submit"
                                disabled=move || action.pending().get()
                            >
                                "Recevoir un lien"
                            </button>
                        </ActionForm>
                    }
                }
            >
                <SuccessNotice title="Demande enregistrée">
                    <p>
                        "Si un compte existe pour cette adresse, un courriel vient de lui être \
                         envoyé avec un lien valable 1 heure. Les liens envoyés auparavant ne \
                         fonctionnent plus."
                    </p>
                </SuccessNotice>
            </Show>
        </FormColumn>
    }
}

/// The page to choose a password from a link (reset or invitation); `form`
/// renders the action's form around `password_inputs`.
#[component]
fn NewPasswordPage(
    title: &'static str,
    intro: &'static str,
    token: Signal<String>,
    error: Signal<Option<AppError>>,
    done: Signal<bool>,
    #[prop(into)] form: ViewFn,
) -> impl IntoView {
    view! {
        <Title text=title />
        <FormColumn>
            <h1>{title}</h1>
            <Show
                when=move || done.get()
                fallback=move || {
                    let form = form.clone();
                    view! {
                        <Show when=move || !token.get().is_empty() fallback=MissingToken>
                            <p>{intro}</p>
                            <ErrorSummary error />
                            {form.run()}
                        </Show>
                    }
                }
            >
                <SuccessNotice title="Mot de passe enregistré">
                    <p>
                        "Vous pouvez vous connecter avec votre nouveau mot de passe. Les sessions \
                         ouvertes avec l’ancien ont été fermées."
                    </p>
                </SuccessNotice>
                <a class="fr-btn" href={crate::paths::SIGN_IN}>"Se connecter"</a>
            </Show>
        </FormColumn>
    }
}

fn password_inputs(token: Signal<String>, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <input type="hidden" name="token" value=move || token.get() />
        <PasswordField
            label="Nouveau mot de passe"
            name="password"
            autocomplete="new-password"
            hint=NEW_PASSWORD_HINT
            error=field_error(error, "password")
        />
        <button class="fr-btn" type="submit">"Enregistrer le mot de passe"</button>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let token = token_from_query();
    let error = last_error(action.value());
    let done = succeeded_or_flag(action.value(), "enregistre");
    let form = move || view! { <ActionForm action>{password_inputs(token, error)}</ActionForm> };
    view! {
        <NewPasswordPage
            title="Choisir un nouveau mot de passe"
            intro="Choisissez le nouveau mot de passe de votre compte. Ce lien ne sert qu’une fois."
            token
            error
            done
            form
        />
    }
}

#[component]
pub fn ChoosePasswordPage() -> impl IntoView {
    let action = ServerAction::<ChoosePassword>::new();
    let token = token_from_query();
    let error = last_error(action.value());
    let done = succeeded_or_flag(action.value(), "enregistre");
    let form = move || view! { <ActionForm action>{password_inputs(token, error)}</ActionForm> };
    view! {
        <NewPasswordPage
            title="Choisir votre mot de passe"
            intro="Bienvenue sur Guichet API Entreprise. Choisissez le mot de passe de votre \
                   compte pour l’activer. Ce lien ne sert qu’une fois."
            token
            error
            done
            form
        />
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| whoami());
    view! {
        <Title text="Mon compte" />
        <Suspense>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => {
                        view! {
                            <div class="fr-container fr-my-6w">
                                <h1>"Mon compte"</h1>
                                <p>
                                    "Connecté avec l’adresse " <strong>{user.email.clone()}</strong>
                                    " (" {user.role.label()} ")."
                                </p>
                                {if user.has_password {
                                    view! { <ChangePasswordForm /> }.into_any()
                                } else {
                                    view! {
                                        <p>
                                            "Vous vous connectez avec ProConnect, le compte de votre \
                                             administration : Guichet ne vous demande pas de mot de passe."
                                        </p>
                                    }
                                        .into_any()
                                }}
                                <LogoutButton />
                            </div>
                        }
                            .into_any()
                    }
                    Ok(None) => crate::ui::forms::to_sign_in(),
                    Err(e) => {
                        crate::ui::forms::page_status(&e);
                        view! {
                            <div class="fr-container fr-my-6w">
                                <ErrorSummary error=Signal::derive(move || Some(e.clone())) />
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let value = action.value();
    let error = last_error(value);
    let done = succeeded_or_flag(value, "modifie");
    view! {
        <section class="fr-my-4w" aria-labelledby="changer-mot-de-passe">
            <h2 id="changer-mot-de-passe">"Changer de mot de passe"</h2>
            <Show when=move || done.get()>
                <SuccessNotice title="Mot de passe modifié">
                    <p>"Vos autres sessions ouvertes ont été fermées."</p>
                </SuccessNotice>
            </Show>
            <ErrorSummary error />
            <ActionForm action>
                <PasswordField
                    label="Mot de passe actuel"
                    name="current"
                    autocomplete="current-password"
                    error=field_error(error, "current")
                />
                <PasswordField
                    label="Nouveau mot de passe"
                    name="password"
                    autocomplete="new-password"
                    hint=NEW_PASSWORD_HINT
                    error=field_error(error, "password")
                />
                <button
                    class="fr-btn fr-btn--secondary"
                    type="submit"
                    disabled=move || action.pending().get()
                >
                    "Changer de mot de passe"
                </button>
            </ActionForm>
        </section>
    }
}

/// "Se déconnecter": ends the session on the server, then reloads the home page.
#[component]
pub fn LogoutButton(#[prop(optional)] header: bool) -> impl IntoView {
    let action = ServerAction::<Logout>::new();
    let value = action.value();
    Effect::new(move |_| {
        if let Some(Ok(target)) = value.get() {
            go_to(&target);
        }
    });
    let class = if header {
        "fr-btn fr-icon-logout-box-r-line"
    } else {
        "fr-btn fr-btn--tertiary fr-icon-logout-box-r-line fr-btn--icon-left"
    };
    view! {
        <ActionForm action>
            <button class=class type="submit">"Se déconnecter"</button>
        </ActionForm>
    }
}
