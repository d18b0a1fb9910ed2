//! The state shared by every handler and server function.

use crate::server::db::Db;
use crate::server::directory::index::Index;
use crate::server::directory::online::OnlineDirectory;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    /// The offline directory of public bodies, searched in memory.
    pub directory: Arc<Index>,
    /// The online company search, when configured.
    pub online_directory: Option<OnlineDirectory>,
    /// Take the client address from `X-Forwarded-For`/`Forwarded` (only behind
    /// a trusted reverse proxy) for rate limits.
    pub trust_proxy: bool,
    /// Served over https (public URL): HSTS is sent.
    pub https: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
