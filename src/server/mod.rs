//! Server-only code: configuration, database, HTTP wiring, CLI.

pub mod api_entreprise;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod flows;
pub mod gateways;
pub mod http;
pub mod listen;
pub mod live;
pub mod mail;
pub mod policy;
pub mod state;
pub mod tokens;

use crate::error::{AppError, ErrorCode};

/// The application state of the current request.
pub fn app_state() -> Result<state::AppState, AppError> {
    leptos::prelude::use_context::<state::AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function's context");
        AppError::new(ErrorCode::Internal)
    })
}

/// The session of the current request (from the session layer).
pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "session missing from the request");
            AppError::new(ErrorCode::Internal)
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

/// After a successful plain form post, sends the browser to `path` (the page
/// that says what happened) instead of back to the form. Calls from the
/// page's script are not redirected: the page updates itself.
pub fn after_form(path: &str) {
    if is_plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// The signed-in user of the current request, if the policy lets their role
/// call server function `F`; `unauthenticated` or `forbidden` otherwise.
/// Every server function restricted to some accounts starts with this: the
/// HTTP gate covers the calls from browsers, but a page rendered on the
/// server calls its functions directly, past the gate.
pub async fn caller<F: leptos::server_fn::ServerFn>() -> Result<auth::session::Viewer, AppError> {
    let me = viewer().await?;
    let allowed = policy::rule_for(F::PATH).is_some_and(|r| r.access.allows(Some(me.role)));
    if !allowed {
        return Err(AppError::new(ErrorCode::Forbidden));
    }
    Ok(me)
}

/// The signed-in user of the current request, or `unauthenticated`.
pub async fn viewer() -> Result<auth::session::Viewer, AppError> {
    let state = app_state()?;
    let s = session().await?;
    auth::session::viewer(&s, &state.db)
        .await?
        .ok_or(AppError::new(ErrorCode::Unauthenticated))
}
