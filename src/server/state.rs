//! The state shared by every handler and server function.

use crate::server::db::Db;
use crate::server::directory::index::Index;
use crate::server::directory::online::OnlineDirectory;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Sign-in, registration and reset attempts allowed per client address and
/// per minute (also the burst).
pub const AUTH_PER_MINUTE: u32 = 10;

/// Everything a request may need, shared: cloned for every request (axum
/// hands each handler its own), so one reference count rather than one per
/// field. Fields are read through `Deref`; setting one (at start-up, in
/// tests) goes through `DerefMut`, which copies the fields only if another
/// clone exists.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// The fields of `AppState`.
#[derive(Clone)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    /// The offline directory of public bodies, searched in memory.
    pub directory: Arc<Index>,
    /// The online company search, when configured.
    pub online_directory: Option<OnlineDirectory>,
    /// How the client address is read behind reverse proxies (rate limits,
    /// the development mailbox's loopback check).
    pub proxy: crate::server::client_ip::ProxyTrust,
    /// Served over https (public URL): HSTS is sent, cookies are `Secure`.
    pub https: bool,
    /// The address the site is reached at, without trailing slash: the base
    /// of the links in emails.
    pub public_url: String,
    /// Development mode: the `/dev/mails` page shows the outbox.
    pub dev_mode: bool,
    /// Sign-in, registration and reset attempts per client address and per
    /// minute, counted in the database (`db::rate`): the limit holds across
    /// every instance.
    pub auth_per_minute: u32,
    /// Where attachment files are kept (see `server::attachments`).
    pub attachments: Arc<dyn object_store::ObjectStore>,
    /// The antivirus daemon scanning uploads, when there is one.
    pub clamd: Option<crate::server::attachments::Clamd>,
    /// Live events for the instructors' dashboards.
    pub live: crate::server::live::Live,
    /// The keys signing API tokens (`serve` reads them from their folder).
    pub tokens: Arc<crate::server::tokens::Keys>,
    /// Per-token rate limits and call counts of the API endpoints.
    pub api: Arc<crate::server::api_entreprise::ApiRuntime>,
    /// Where the API's data comes from: the contract's examples (sandbox,
    /// the default) or an upstream (proxy).
    pub api_mode: crate::server::api_entreprise::ApiMode,
    /// What one account may keep in the attachment store, in bytes.
    pub attachment_quota_bytes: i64,
    /// Sign-in with ProConnect, when configured.
    pub proconnect: Option<Arc<crate::server::auth::proconnect::ProConnect>>,
    /// Whether applicants may register and sign in with a password (staff
    /// always may, with their second factor).
    pub applicant_password: bool,
}

impl AppState {
    /// A state with the defaults of a local, non-development run: no online
    /// directory, no proxy, http on the site address, attachments kept in
    /// memory (`serve` sets the configured store), no antivirus.
    pub fn new(leptos_options: LeptosOptions, db: Db) -> AppState {
        let public_url = format!("http://{}", leptos_options.site_addr);
        AppState(Arc::new(Shared {
            leptos_options,
            db,
            directory: Arc::new(Index::default()),
            online_directory: None,
            proxy: crate::server::client_ip::ProxyTrust::None,
            https: false,
            public_url,
            dev_mode: false,
            auth_per_minute: AUTH_PER_MINUTE,
            attachments: Arc::new(object_store::memory::InMemory::new()),
            clamd: None,
            live: crate::server::live::Live::default(),
            tokens: Arc::new(crate::server::tokens::Keys::ephemeral()),
            api: Arc::default(),
            api_mode: crate::server::api_entreprise::ApiMode::Sandbox,
            attachment_quota_bytes: crate::server::attachments::ACCOUNT_QUOTA_BYTES,
            proconnect: None,
            applicant_password: true,
        }))
    }

    /// What the directories say of a SIRET (offline, then online when
    /// configured).
    pub async fn resolve(
        &self,
        siret: &crate::domain::siret::Siret,
    ) -> crate::server::directory::Resolved<'_> {
        crate::server::directory::resolve(&self.directory, self.online_directory.as_ref(), siret)
            .await
    }

    /// The directory's check of a typed SIRET (see `directory::check_siret`).
    pub async fn check_siret(
        &self,
        typed: &str,
        earlier: Option<&crate::domain::organisation::OrganisationCheck>,
    ) -> Option<crate::domain::organisation::OrganisationCheck> {
        crate::server::directory::check_siret(
            &self.directory,
            self.online_directory.as_ref(),
            typed,
            earlier,
        )
        .await
    }

    /// An absolute link to a page of the site.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.public_url, path_and_query)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
