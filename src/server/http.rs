//! The axum router: pages, server functions, static files, health check.

use crate::app::{App, shell};
use crate::domain::siret::Siret;
use crate::error::{AppError, ErrorCode};
use crate::server::attachments;
use crate::server::client_ip::ProxyTrust;
use crate::server::directory::online::{OnlineOrganisation, UNAVAILABLE_MESSAGE};
use crate::server::directory::{Hit, OnlineStatus, OrganisationInfo, Resolved};
use crate::server::policy;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::time::Duration;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::limit::RequestBodyLimitLayer;

/// How long `/healthz` waits for the database before answering 503.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Builds the whole HTTP application.
pub fn router(state: AppState) -> Router {
    let https = state.https;
    let routes = generate_route_list(App);
    let fallback_state = state.clone();
    let gate_state = state.clone();
    let session_db = state.db.clone();
    let assets = crate::server::assets::Assets::load(std::path::Path::new(
        state.leptos_options.site_root.as_ref(),
    ));
    let mut directory_routes = Router::new()
        .route("/api/organisations", get(organisation_search))
        .route("/api/organisations/{siret}", get(organisation_by_siret));
    // `finish` fails only on zero values, which the constants are not.
    if let Some(config) = GovernorConfigBuilder::default()
        .key_extractor(ClientIp {
            proxy: state.proxy.clone(),
        })
        .per_millisecond(DIRECTORY_REFILL_MS)
        .burst_size(DIRECTORY_BURST)
        .finish()
    {
        directory_routes =
            directory_routes.layer(GovernorLayer::new(config).error_handler(rate_limited));
    }
    // Uploads, downloads and the live stream: not compressed, own body limit.
    let attachment_routes = Router::new()
        .route(
            attachments::UPLOAD_ROUTE,
            axum::routing::post(attachments::upload),
        )
        .route(attachments::DOWNLOAD_ROUTE, get(attachments::download))
        .route(crate::server::live::ROUTE, get(crate::server::live::stream))
        .layer(RequestBodyLimitLayer::new(attachments::MAX_UPLOAD_BODY));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(directory_routes)
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_state.clone()), shell
        ))
        .layer(axum::middleware::from_fn(page_policy))
        // Inside the compression: the status is read from the JSON body as
        // the function wrote it, before it is compressed.
        .layer(axum::middleware::from_fn(with_error_status))
        // Static files, with their cache headers. Their precompressed
        // variants pass the compression untouched; a file without one (a
        // build that skipped `guichet precompress`) is compressed on the fly.
        .layer(axum::middleware::from_fn_with_state(
            assets,
            crate::server::assets::serve,
        ))
        .layer(CompressionLayer::new().compress_when(
            // Fonts are compressed already.
            DefaultPredicate::new().and(NotForContentType::const_new("font/")),
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(attachment_routes)
        .merge(crate::server::auth::routes::routes())
        .layer(axum::middleware::from_fn_with_state(
            gate_state,
            gate_server_functions,
        ))
        .layer(crate::server::auth::session::layer(session_db, https))
        .layer(axum::middleware::from_fn(guard_mutations))
        // Called by programs with a bearer token: no session, no cookie.
        .merge(crate::server::api_entreprise::routes())
        .merge(crate::server::gateways::routes())
        .route("/.well-known/jwks.json", get(jwks))
        .layer(axum::middleware::map_response(move |response| {
            security_headers(response, https)
        }))
        .with_state(state)
}

/// The headers every answer carries, set in one layer (every request
/// passes through it): a strict CSP where the page set none, no sniffing,
/// no framing, no referrer across origins, no powerful features; HSTS when
/// served over https.
async fn security_headers(mut response: Response, https: bool) -> Response {
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NON_PAGE_CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// The public keys of the API tokens, for gateways verifying them.
async fn jwks(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.tokens.jwks()),
    )
}

/// Directory endpoints: one more request every 200 ms per client, bursts of 30
/// (name search while typing stays well under it).
pub const DIRECTORY_REFILL_MS: u64 = 200;
pub const DIRECTORY_BURST: u32 = 30;

/// The client's address, for rate limits: the peer address, or the one our
/// reverse proxies forward (`client_ip::ProxyTrust`), IPv6 counted per /64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp {
    pub proxy: ProxyTrust,
}

impl ClientIp {
    /// The client's address (`None`: the listener gave no peer address).
    pub fn of<T>(&self, req: &axum::http::Request<T>) -> Option<std::net::IpAddr> {
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
            .0
            .ip();
        Some(self.proxy.client(peer, req.headers()))
    }
}

impl KeyExtractor for ClientIp {
    type Key = String;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<Self::Key, GovernorError> {
        self.of(req)
            .map(crate::server::client_ip::rate_key)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The answer to a rate-limited request: 429, `Retry-After`, French JSON.
fn rate_limited(err: GovernorError) -> Response {
    match err {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let wait = wait_time.max(1);
            let plural = if wait > 1 { "s" } else { "" };
            let mut res = AppError::with_message(
                ErrorCode::RateLimited,
                format!("Trop de requêtes : réessayez dans {wait} seconde{plural}."),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        _ => AppError::with_message(
            ErrorCode::ClientUnknown,
            "Requête refusée : l’adresse du client est introuvable.",
        )
        .into_response(),
    }
}

/// The policy gate in front of every server function (`/api/…` but the
/// directory endpoints, which are public and limited on their own): the
/// function must be listed in `policy::RULES`, its rate limit holds, and the
/// caller's session must allow it. Refusals are JSON errors the browser
/// decodes like any server-function error.
async fn gate_server_functions(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/")
        || path == "/api/organisations"
        || path.starts_with("/api/organisations/")
    {
        return next.run(req).await;
    }
    let Some(rule) = policy::rule_for(path) else {
        if leptos::server_fn::axum::server_fn_paths().any(|(p, _)| p == path) {
            tracing::error!(path, "server function without a policy entry: refused");
        }
        return AppError::new(ErrorCode::Forbidden).into_response();
    };
    if rule.limit == policy::Limit::Auth {
        let key = ClientIp {
            proxy: state.proxy.clone(),
        }
        .extract(&req);
        let Ok(ip) = key else {
            return rate_limited(GovernorError::UnableToExtractKey);
        };
        let now = crate::server::db::now_ms();
        let used = match crate::server::db::rate::take(
            &state.db,
            &format!("connexion:{ip}"),
            crate::server::db::rate::window_of(now),
            1,
        )
        .await
        {
            Ok(used) => used,
            Err(e) => return AppError::from(e).into_response(),
        };
        if used > i64::from(state.auth_per_minute) {
            let wait = crate::server::db::rate::seconds_left(now);
            let mut res = AppError::with_message(
                ErrorCode::RateLimited,
                format!(
                    "Trop de tentatives depuis votre connexion : réessayez dans {wait} seconde{}.",
                    if wait > 1 { "s" } else { "" }
                ),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    if rule.access != policy::Access::Public {
        let Some(session) = req.extensions().get::<tower_sessions::Session>().cloned() else {
            return AppError::new(ErrorCode::Internal).into_response();
        };
        let role = match crate::server::auth::session::viewer(&session, &state.db).await {
            Ok(v) => v.map(|v| v.role),
            Err(e) => return e.into_response(),
        };
        if !rule.access.allows(role) {
            let code = if role.is_none() {
                ErrorCode::Unauthenticated
            } else {
                ErrorCode::Forbidden
            };
            return AppError::new(code).into_response();
        }
    }
    next.run(req).await
}

/// Leptos answers 500 to every server function's error, whatever its code:
/// the answer is given the status of its error's code here (400 for
/// `bad_request`, 404 for `not_found`, 409 for `conflict`…), the one place
/// server functions' statuses are set (a page showing an error sets its own,
/// `ui::forms::load_error`). Runs inside the compression layer, on the body
/// as written, so that the status does not depend on `Accept-Encoding`.
async fn with_error_status(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::new(ErrorCode::Internal).into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(err.status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Largest request body accepted (uploads have their own limit,
/// `attachments::MAX_UPLOAD_BODY`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The `host[:port]` of an `Origin` or `Referer` value.
fn origin_authority(value: &str) -> Option<&str> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then_some(authority)
}

/// Mutations (anything but GET/HEAD/OPTIONS) must come from this site: their
/// `Origin` (or, without one, their `Referer`) must name the host they are
/// sent to. Oversized bodies are refused with a French answer before they are
/// read.
async fn guard_mutations(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::Method;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let header_str = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header_str(header::HOST);
    let source = header_str(header::ORIGIN)
        .or_else(|| header_str(header::REFERER))
        .and_then(origin_authority);
    let same_site = matches!((host, source), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o));
    if !same_site {
        tracing::warn!(?host, origin = ?header_str(header::ORIGIN), "cross-site mutation refused");
        return AppError::with_message(
            ErrorCode::CrossSiteRequest,
            "Requête refusée : elle ne provient pas de ce site. Rechargez la page et réessayez.",
        )
        .into_response();
    }
    let upload = attachments::is_upload_path(req.uri().path());
    let limit = if upload {
        attachments::MAX_UPLOAD_BODY
    } else {
        MAX_BODY_BYTES
    };
    let too_large = header_str(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit);
    if too_large && upload {
        return attachments::too_large_response();
    }
    let refuse_large = || {
        AppError::with_message(
            ErrorCode::TooLarge,
            "La requête est trop volumineuse (1 Mo au maximum).",
        )
        .into_response()
    };
    if too_large {
        return refuse_large();
    }
    if upload {
        return next.run(req).await;
    }
    // Forms and server functions: read whole (within the limit, also when
    // no length was announced), and refused when they hold a NUL character,
    // which PostgreSQL cannot store in a text and no one types.
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return refuse_large();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if holds_nul(content_type, &bytes) {
        return AppError::with_message(
            ErrorCode::BadRequest,
            "La requête contient un caractère nul : elle est refusée.",
        )
        .into_response();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// A NUL character: raw, or as the body's encoding writes it (`%00` in a
/// form, `\u0000` in anything else, read as JSON whatever its label says).
fn holds_nul(content_type: &str, body: &[u8]) -> bool {
    let form = content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded");
    body.contains(&0)
        || if form {
            body.windows(3).any(|w| w == b"%00")
        } else {
            body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        }
}

/// The Content-Security-Policy of everything that is not a page (JSON, files).
pub const NON_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The Content-Security-Policy of a page: scripts only from the site or with
/// this response's nonce (Leptos' hydration and resource scripts carry it),
/// WebAssembly allowed, nothing embedded elsewhere.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
}

/// Largest page read back to find its nonce.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// A page whose renderer set no Content-Security-Policy (the header set
/// while the shell renders is lost on some rendering paths) gets the page
/// policy with the nonce its scripts carry, read from the page itself (before
/// compression). Other answers without one get `NON_PAGE_CSP` further out.
async fn page_policy(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        tracing::error!(path, "page too large to read its nonce");
        return AppError::new(ErrorCode::Internal).into_response();
    };
    let policy = match nonce_in(&bytes) {
        Some(nonce) => {
            tracing::debug!(path, "page policy set from the page's nonce");
            page_csp(&nonce)
        }
        None => {
            tracing::warn!(path, "page without a nonce: no inline script allowed");
            page_csp_without_nonce().to_owned()
        }
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The first `nonce="…"` of a page (base64 characters only).
fn nonce_in(page: &[u8]) -> Option<String> {
    let marker = b"nonce=\"";
    let start = page.windows(marker.len()).position(|w| w == marker)? + marker.len();
    let rest = &page[start..];
    let end = rest.iter().position(|b| *b == b'"')?;
    let nonce = std::str::from_utf8(&rest[..end]).ok()?;
    let valid = !nonce.is_empty()
        && nonce.len() <= 64
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    valid.then(|| nonce.to_owned())
}

/// The page policy when a page has no nonce: no inline script at all.
fn page_csp_without_nonce() -> &'static str {
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

/// Sets the page's CSP header with the nonce Leptos uses for this response.
/// Called while the page shell renders.
pub fn set_page_csp() {
    let nonce = leptos::nonce::use_nonce();
    let res = leptos::prelude::use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(res)) = (nonce, res)
        && let Ok(value) = HeaderValue::from_str(&page_csp(&nonce))
    {
        res.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let ok = matches!(
        tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()).await,
        Ok(Ok(()))
    );
    if ok {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok", "database": "ok" })),
        )
            .into_response()
    } else {
        let code = ErrorCode::DatabaseUnavailable;
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "indisponible",
                "database": "injoignable",
                "code": code.as_str(),
                "message": code.default_message(),
            })),
        )
            .into_response()
    }
}

/// Most results `GET /api/organisations?q=` returns.
pub const SEARCH_LIMIT: usize = 20;

/// The JSON view of an organisation found offline.
fn offline_view(
    entry: &crate::server::directory::index::Entry,
    siret: Option<&str>,
) -> serde_json::Value {
    let info = OrganisationInfo::from_entry(entry);
    let mut body = serde_json::to_value(info).unwrap_or_default();
    // The SIRET asked for, or the head office's when the directory knows it.
    body["siret"] = siret
        .or(entry.siret.as_deref())
        .map_or(serde_json::Value::Null, serde_json::Value::from);
    body["active"] = serde_json::Value::from(true);
    body["source"] = serde_json::Value::from("annuaire_local");
    body["dataset"] = serde_json::to_value(entry.dataset()).unwrap_or_default();
    body["dataset_label"] = serde_json::Value::from(entry.dataset().label());
    body
}

/// The JSON view of an organisation found online.
fn online_view(org: &OnlineOrganisation, siret: Option<&str>) -> serde_json::Value {
    let mut body = serde_json::to_value(org).unwrap_or_default();
    if let Some(siret) = siret {
        body["siret"] = serde_json::Value::from(siret);
    }
    body["source"] = serde_json::Value::from("recherche_entreprises");
    body
}

fn directory_unavailable() -> Response {
    AppError::with_message(ErrorCode::DirectoryUnavailable, UNAVAILABLE_MESSAGE)
        .on_field("siret")
        .into_response()
}

/// `GET /api/organisations/{siret}`: the organisation, its legal category and
/// eligibility, from the offline directory, then from the online search when
/// it is configured.
async fn organisation_by_siret(
    State(state): State<AppState>,
    Path(siret): Path<String>,
) -> Response {
    let siret = match Siret::parse(&siret) {
        Ok(s) => s,
        Err(e) => {
            return AppError::with_message(ErrorCode::InvalidSiret, e.message("SIRET"))
                .on_field("siret")
                .into_response();
        }
    };
    match state.resolve(&siret).await {
        Resolved::Offline(entry) => {
            return (
                StatusCode::OK,
                axum::Json(offline_view(entry, Some(siret.as_str()))),
            )
                .into_response();
        }
        Resolved::Online(org) => {
            return (
                StatusCode::OK,
                axum::Json(online_view(&org, Some(siret.as_str()))),
            )
                .into_response();
        }
        Resolved::Unavailable(_) => return directory_unavailable(),
        Resolved::NotFound => {}
    }
    AppError::with_message(
        ErrorCode::OrganisationNotFound,
        "Cette organisation ne figure pas dans l’annuaire. Vous pouvez continuer : indiquez \
         son nom et décrivez sa mission de service public, l’instructeur vérifiera son \
         éligibilité.",
    )
    .on_field("siret")
    .into_response()
}

#[derive(serde::Deserialize)]
struct SearchParams {
    q: Option<String>,
}

/// `GET /api/organisations?q=…`: up to 20 public bodies matching a name, or
/// the one with that SIREN/SIRET.
async fn organisation_search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let q = match params {
        Ok(Query(p)) => p.q.unwrap_or_default(),
        Err(_) => {
            return AppError::with_message(ErrorCode::InvalidQuery, "La recherche est mal formée.")
                .on_field("q")
                .into_response();
        }
    };
    let q = match crate::domain::organisation::search_query(&q) {
        Ok(q) => q,
        Err(refusal) => {
            return AppError::with_message(refusal.code(), refusal.message())
                .on_field("q")
                .into_response();
        }
    };
    let found = crate::server::directory::search(
        &state.directory,
        state.online_directory.as_ref(),
        q,
        SEARCH_LIMIT,
    )
    .await;
    let results: Vec<serde_json::Value> = found
        .hits
        .iter()
        .map(|hit| match hit {
            Hit::Offline(entry) => offline_view(entry, None),
            Hit::Online(org) => online_view(org, None),
        })
        .collect();
    let mut body = serde_json::json!({ "query": q });
    match found.online {
        OnlineStatus::Off => {}
        OnlineStatus::Answered => body["online"] = serde_json::Value::from("ok"),
        OnlineStatus::Unavailable => {
            body["online"] = serde_json::Value::from("indisponible");
            body["message"] = serde_json::Value::from(UNAVAILABLE_MESSAGE);
        }
    }
    body["results"] = serde_json::Value::from(results);
    (StatusCode::OK, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_as_each_encoding_writes_it() {
        let form = "application/x-www-form-urlencoded";
        let json = "application/json";
        assert!(holds_nul(form, b"body=a%00b"));
        assert!(holds_nul(json, br#"{"body":"a\u0000b"}"#));
        assert!(holds_nul("text/plain", br#"{"body":"a\u0000b"}"#));
        assert!(holds_nul(json, b"{\"body\":\"a\0b\"}"));
        // The same characters meaning something else are not refused.
        assert!(!holds_nul(json, br#"{"url":"https://x.fr/a%00b"}"#));
        assert!(!holds_nul(form, b"body=taux+100%2500"));
    }

    #[test]
    fn the_nonce_is_read_from_the_page() {
        let page = br#"<!DOCTYPE html><html><head><script nonce="aB3+/x==">x</script>"#;
        assert_eq!(nonce_in(page).as_deref(), Some("aB3+/x=="));
        assert_eq!(nonce_in(b"<html><p>nonce=\"</p></html>"), None);
        assert_eq!(nonce_in(br#"<script nonce="a'b">"#), None);
        assert_eq!(nonce_in(b"<html></html>"), None);
    }
}
