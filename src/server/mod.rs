//! Server-only code: configuration, database, HTTP wiring, CLI.

pub mod api_entreprise;
pub mod attachments;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod http;
pub mod live;
pub mod mail;
pub mod policy;
pub mod state;
pub mod tokens;

use crate::error::AppError;

/// Sets the HTTP status of the current server-function response from the
/// error's code and hands the error back, so that callers can write
/// `.map_err(respond_error)?`.
pub fn respond_error(err: impl Into<AppError>) -> AppError {
    let err = err.into();
    // A plain form post (no JavaScript yet) is answered with a redirection to
    // the form's page carrying the error, which the page shows; a status here
    // would replace that redirection.
    if is_plain_form_post() {
        return err;
    }
    // A page asking for data it may not see redirects to the sign-in page
    // (its `Redirect` sets the 302); a 401 here would replace it.
    if err.code == crate::error::ErrorCode::Unauthenticated && is_page_render() {
        return err;
    }
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(err.status())
    {
        res.set_status(status);
    }
    err
}

/// The application state of the current request.
pub fn app_state() -> Result<state::AppState, AppError> {
    leptos::prelude::use_context::<state::AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function's context");
        respond_error(AppError::new(crate::error::ErrorCode::Internal))
    })
}

/// The session of the current request (from the session layer).
pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "session missing from the request");
            respond_error(AppError::new(crate::error::ErrorCode::Internal))
        })
}

/// The client's address of the current request (through our proxies, see
/// `client_ip`); `None` when the listener gave no peer address.
pub fn client_address(state: &state::AppState) -> Option<std::net::IpAddr> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    Some(state.proxy.client(peer, &parts.headers))
}

/// Whether the current request is a form posted by the browser itself
/// (before the page's script has loaded, or without script): it accepts HTML.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Whether the current request renders a page (as opposed to calling a
/// server function or an API endpoint).
fn is_page_render() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| !parts.uri.path().starts_with("/api/"))
}

/// After a successful plain form post, sends the browser to `path` (the page
/// that says what happened) instead of back to the form. Calls from the
/// page's script are not redirected: the page updates itself.
pub fn after_form(path: &str) {
    if is_plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// The signed-in user of the current request, if the policy lets their role
/// call the server function at `path`; `unauthenticated` or `forbidden`
/// otherwise. Every server function restricted to some accounts starts with
/// this: the HTTP gate covers the calls from browsers, but a page rendered
/// on the server calls its functions directly, past the gate.
pub async fn caller(path: &str) -> Result<auth::session::Viewer, AppError> {
    let me = viewer().await?;
    let allowed = policy::rule_for(path).is_some_and(|r| r.access.allows(Some(me.role)));
    if !allowed {
        return Err(respond_error(AppError::new(
            crate::error::ErrorCode::Forbidden,
        )));
    }
    Ok(me)
}

/// The signed-in user of the current request, or `unauthenticated`.
pub async fn viewer() -> Result<auth::session::Viewer, AppError> {
    let state = app_state()?;
    let s = session().await?;
    auth::session::viewer(&s, &state.db)
        .await
        .map_err(respond_error)?
        .ok_or_else(|| respond_error(AppError::new(crate::error::ErrorCode::Unauthenticated)))
}
