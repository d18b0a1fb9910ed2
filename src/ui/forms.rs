//! DSFR form pieces shared by the pages: fields with their error message,
//! the error summary, success notices.

use crate::error::{AppError, ErrorCode};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The error of a field, from the last answer of a form's action.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for(field).map(str::to_owned))
    })
}

/// The summary at the top of a form: the error when it is not about a field,
/// or a pointer to the field when it is.
#[component]
pub fn ErrorSummary(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = if e.field.is_some() {
                "Le formulaire contient une erreur : corrigez le champ signalé ci-dessous."
                    .to_owned()
            } else {
                e.message.clone()
            };
            view! {
                <div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
                    <h2 class="fr-alert__title">"Impossible de continuer"</h2>
                    <p>{text}</p>
                </div>
            }
        })
    }
}

/// A success notice.
#[component]
pub fn SuccessNotice(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
            <h2 class="fr-alert__title">{title}</h2>
            {children()}
        </div>
    }
}

/// A text input (email, text) with its label, hint and error.
#[component]
pub fn InputField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] value: String,
    /// The virtual keyboard to show (`numeric` for a code).
    #[prop(optional)]
    inputmode: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("champ-{name}");
    let msg_id = format!("{id}-erreur");
    let has_error = move || error.get().is_some();
    view! {
        <div class="fr-input-group" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id.clone()>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            <input
                class="fr-input"
                class:fr-input--error=has_error
                type=kind
                id=id
                name=name
                autocomplete=autocomplete
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                required
                value=value
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
            />
            <p class="fr-error-text" id=msg_id hidden=move || !has_error()>
                {move || error.get()}
            </p>
        </div>
    }
}

/// A password input in the DSFR password component, with the "Afficher"
/// toggle (paste allowed, no composition rules).
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("champ-{name}");
    let msg_id = format!("{id}-erreur");
    let show_id = format!("{id}-afficher");
    let has_error = move || error.get().is_some();
    view! {
        <div class="fr-password fr-mb-3w" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id.clone()>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            <div class="fr-input-wrap">
                <input
                    class="fr-password__input fr-input"
                    class:fr-input--error=has_error
                    type="password"
                    id=id
                    name=name
                    autocomplete=autocomplete
                    required
                    maxlength="1024"
                    aria-invalid=move || has_error().then_some("true")
                    aria-describedby=msg_id.clone()
                />
            </div>
            <p class="fr-error-text" id=msg_id hidden=move || !has_error()>
                {move || error.get()}
            </p>
            <div class="fr-password__checkbox fr-checkbox-group fr-checkbox-group--sm">
                <input id=show_id.clone() type="checkbox" aria-label="Afficher le mot de passe" />
                <label class="fr-password__checkbox fr-label" for=show_id>
                    "Afficher"
                </label>
            </div>
        </div>
    }
}

/// The rules of a new password, shown as a hint.
pub const NEW_PASSWORD_HINT: &str = "8 caractères au minimum, 128 au maximum, sans autre règle : \
     une phrase de plusieurs mots est un bon choix. Les mots de passe trop courants sont refusés.";

/// Leaves the page for `target` with a full load, so that every part of the
/// page (the header too) is rendered again for the new session.
pub fn go_to(target: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(target);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = target;
}

/// What a page shows when its data cannot be loaded: the sign-in page when
/// the session is over, the French error otherwise (the page then answers
/// with the error's status).
pub fn load_error(e: AppError) -> AnyView {
    if e.code == ErrorCode::Unauthenticated {
        to_sign_in()
    } else {
        page_status(&e);
        view! { <ErrorSummary error=Signal::derive(move || Some(e.clone())) /> }.into_any()
    }
}

/// To the sign-in page, coming back to this very page once signed in.
pub fn to_sign_in() -> AnyView {
    let here = leptos_router::hooks::use_location();
    let (path, query) = (here.pathname.get_untracked(), here.search.get_untracked());
    let path = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    view! { <Redirect path=crate::paths::sign_in_then(&path) /> }.into_any()
}

/// A page rendered on the server that shows `e` answers with its status (a
/// 404 for a request that does not exist, a 503 when the database is down).
pub fn page_status(e: &AppError) {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status())
    {
        res.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = e;
}

/// The initial content of a `<textarea>` (its children). Leptos writes a
/// textarea's children without escaping them (raw text for tachys, see
/// leptos-rs/leptos#4819): a `</textarea>` typed by someone would close the
/// element and the rest would be markup. The server therefore writes it
/// escaped (the browser decodes the entities of a textarea's content); in
/// the browser, `prop:value` sets the value as is.
pub fn textarea_value(value: String) -> String {
    #[cfg(feature = "ssr")]
    {
        value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        value
    }
}

#[cfg(all(test, feature = "ssr"))]
mod textarea_tests {
    #[test]
    fn the_server_escapes_what_would_close_a_textarea() {
        assert_eq!(
            super::textarea_value("a </textarea><b>&amp;".into()),
            "a &lt;/textarea&gt;&lt;b&gt;&amp;amp;"
        );
    }
}
