//! The API-Entreprise-compatible endpoints: every operation of API
//! Entreprise's OpenAPI contract (`domain::contract`), called with
//! `Authorization: Bearer <token>`, answering errors in API Entreprise's
//! shape (`{"errors":[{"code","title","detail","source","meta"}]}`).
//!
//! Each call checks, in this order: the signature (a string verified once is
//! remembered), the token's row (unknown, revoked, expired: read again after
//! `ROW_TTL`, at once after a revocation, on every instance through the live
//! events), the per-token rate limit (headers `RateLimit-Limit`,
//! `RateLimit-Remaining`, `RateLimit-Reset`, and `Retry-After` when
//! refused), the scopes, then the parameters (`context`, `object`,
//! `recipient`, the path's identifiers, the optional query parameters) with
//! the contract's codes. Then, by the instance's mode (`ApiMode`):
//! - **sandbox** (the default): the contract's own examples for the
//!   identifiers it documents, its documented 404 for any other, every
//!   answer marked as fictitious (`meta.donnees_fictives` and the header
//!   `X-Donnees-Fictives: true`);
//! - **proxy**: the call forwarded to the configured upstream
//!   (`upstream::Upstream`), its answer returned.
//!
//! `GET /privileges` answers the token's scopes and the operations they
//! open. Calls are counted per token, minute, operation and answer
//! (`db::usage`), refusals of a known token included.

mod runtime;
pub mod upstream;

pub use runtime::{ApiRuntime, ROW_TTL};

use crate::domain::contract::{self, Invalid, Operation, OperationKind};
use crate::server::db::{self, DbError};
use crate::server::state::AppState;
use axum::Router;
use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use runtime::Limit;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Where the data of an authorised call comes from.
#[derive(Clone, Debug, Default)]
pub enum ApiMode {
    /// The contract's examples, marked as fictitious.
    #[default]
    Sandbox,
    /// API Entreprise itself (or any server of the same contract).
    Proxy(Arc<upstream::Upstream>),
}

impl ApiMode {
    /// Whether answers are fictitious.
    pub fn is_sandbox(&self) -> bool {
        matches!(self, ApiMode::Sandbox)
    }
}

/// The header marking the sandbox's answers.
pub const FICTITIOUS_HEADER: &str = "x-donnees-fictives";

/// Every operation of the contract, on its path.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for (i, op) in contract::operations().iter().enumerate() {
        router = router.route(
            &op.path,
            get(
                move |State(state): State<AppState>,
                      params: Result<
                    RawPathParams,
                    axum::extract::rejection::RawPathParamsRejection,
                >,
                      RawQuery(query): RawQuery,
                      headers: HeaderMap| async move {
                    let op = &contract::operations()[i];
                    let params = params.ok().map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect::<HashMap<_, _>>()
                    });
                    call(&state, op, params, query, &headers).await
                },
            ),
        );
    }
    router
}

/// An error as API Entreprise writes it.
pub(crate) fn error(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    parameter: Option<&str>,
    meta: Value,
) -> Response {
    let body = json!({
        "errors": [{
            "code": code,
            "title": title,
            "detail": detail,
            "source": parameter.map(|p| json!({ "parameter": p })),
            "meta": meta,
        }]
    });
    with_code((status, axum::Json(body)).into_response(), code)
}

/// The API Entreprise code an answer carries, kept for the usage counts.
#[derive(Clone, Debug)]
pub(crate) struct ApiCode(pub String);

/// `response`, remembering its error code.
pub(crate) fn with_code(mut response: Response, code: &str) -> Response {
    response.extensions_mut().insert(ApiCode(code.to_owned()));
    response
}

/// The first error code of an API Entreprise error body.
pub(crate) fn code_of(body: &Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or_default()
}

fn invalid_token() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "00101",
        "Interdit",
        "Votre token n'est pas valide ou n'est pas renseigné",
        Some("token"),
        json!({}),
    )
}

fn blacklisted(detail: &str) -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "00105",
        "Jeton sur liste noire",
        detail,
        Some("token"),
        json!({}),
    )
}

/// Guichet's own database failed: the contract's generic temporary error.
fn unavailable(e: DbError) -> Response {
    tracing::warn!(error = %e, "API call: database");
    network_error()
}

/// `504 00501`, the contract's error for a temporary failure between the
/// caller and the data, wherever it lies.
pub(crate) fn network_error() -> Response {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        "00501",
        "Erreur réseau",
        "Problème de connexion au serveur distant. L'erreur peut venir soit du fournisseur, \
         soit de API Entreprise. Il s'agit souvent d'une erreur temporaire.",
        None,
        json!({ "retry_in": 10 }),
    )
}

fn unprocessable(e: &Invalid) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.code,
        "Entité non traitable",
        e.detail,
        e.parameter,
        json!({}),
    )
}

/// Flushes the counted calls every few seconds, and does the API's
/// periodic chores (started by `serve`).
pub fn spawn_usage_flush(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            if let Err(e) = state.api.flush(&state.db).await {
                tracing::warn!(error = %e, "API usage not written");
            }
            // Once a minute, the ended windows of the shared rate limits and
            // the failing integrations; once an hour, the old call counts.
            ticks += 1;
            if ticks.is_multiple_of(12) {
                let now = db::now_ms();
                if let Err(e) = db::rate::prune(&state.db, now).await {
                    tracing::warn!(error = %e, "old rate-limit windows not deleted");
                }
                match crate::server::flows::alerts::send_due(&state, now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "alertes d’intégration en échec"),
                    Err(e) => tracing::warn!(error = %e, "alertes d’intégration en échec"),
                }
            }
            if ticks.is_multiple_of(720) {
                let before = db::now_ms().div_euclid(60_000) - crate::domain::usage::KEPT_MINUTES;
                if let Err(e) = db::usage::prune(&state.db, before).await {
                    tracing::warn!(error = %e, "old API call counts not deleted");
                }
            }
        }
    });
}

/// Drops the cached row of every token revoked on another instance (the
/// live events cross instances through PostgreSQL); on a lost event, every
/// row (started by `serve`).
pub fn spawn_revocation_watch(state: AppState) {
    let mut events = state.live.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if e.kind.changes_token() => state.api.forget_request(e.request_id),
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => state.api.forget_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

fn with_limit_headers(mut response: Response, l: &Limit) -> Response {
    const LIMIT: header::HeaderName = header::HeaderName::from_static("ratelimit-limit");
    const REMAINING: header::HeaderName = header::HeaderName::from_static("ratelimit-remaining");
    const RESET: header::HeaderName = header::HeaderName::from_static("ratelimit-reset");
    let h = response.headers_mut();
    h.insert(LIMIT, HeaderValue::from(l.limit));
    h.insert(REMAINING, HeaderValue::from(l.remaining));
    h.insert(RESET, HeaderValue::from(l.reset));
    if !l.allowed {
        h.insert(header::RETRY_AFTER, HeaderValue::from(l.reset));
    }
    response
}

/// A token that passed every check but the operation's own.
struct Authorised {
    token: Arc<runtime::Presented>,
    limit: Limit,
}

/// A refused call, and the token it names when it names one.
struct Refused {
    token: Option<String>,
    response: Response,
}

impl From<Response> for Box<Refused> {
    fn from(response: Response) -> Box<Refused> {
        Box::new(Refused {
            token: None,
            response,
        })
    }
}

/// The checks common to every operation: signature, row, expiry, rate
/// limit.
async fn authorise(state: &AppState, headers: &HeaderMap) -> Result<Authorised, Box<Refused>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(invalid_token)?;
    let jti = state
        .api
        .jti(&state.tokens, bearer)
        .ok_or_else(invalid_token)?;
    let presented = match state.api.row(&state.db, &jti).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(invalid_token().into()),
        Err(e) => return Err(unavailable(e).into()),
    };
    let (row, retired_at) = (&presented.token, presented.retired_at);
    let refused = |response: Response| {
        Box::new(Refused {
            token: Some(row.id.clone()),
            response,
        })
    };
    let now = db::now_ms();
    if row.revoked_at.is_some() {
        return Err(refused(blacklisted(
            "Votre jeton est sur liste noire, celui-ci a certainement été révoqué. Veuillez \
             vous rapprocher de l'instructeur de votre demande d'accès.",
        )));
    }
    if !crate::domain::token::string_accepted(retired_at, now) {
        return Err(refused(blacklisted(
            "Ce jeton a été remplacé par un nouveau jeton et son délai de grâce est écoulé. \
             Utilisez le nouveau jeton, affiché dans votre espace Guichet.",
        )));
    }
    if row.expires_at <= now {
        return Err(refused(error(
            StatusCode::UNAUTHORIZED,
            "00103",
            "Jeton expiré",
            "Votre token est expiré. Vous devez refaire une demande",
            Some("token"),
            json!({}),
        )));
    }
    let per_minute = u32::try_from(row.rate_limit_per_minute).unwrap_or(u32::MAX);
    let limit = match state.api.check(&state.db, &row.id, per_minute).await {
        Ok(limit) => limit,
        Err(e) => return Err(refused(unavailable(e))),
    };
    if !limit.allowed {
        return Err(refused(with_limit_headers(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "00429",
                "Trop de requêtes",
                "Vous avez effectué trop de requêtes",
                None,
                json!({}),
            ),
            &limit,
        )));
    }
    Ok(Authorised {
        token: presented,
        limit,
    })
}

async fn call(
    state: &AppState,
    op: &'static Operation,
    params: Option<HashMap<String, String>>,
    query: Option<String>,
    headers: &HeaderMap,
) -> Response {
    let mut response = match authorise(state, headers).await {
        Ok(token) => {
            let answer = match op.kind {
                OperationKind::Privileges => privileges(state, &token.token),
                OperationKind::Data => data(state, op, &token, params, query, headers).await,
            };
            let response = with_limit_headers(answer, &token.limit);
            let opened_by = match op.kind {
                OperationKind::Privileges => None,
                OperationKind::Data => op.opened_by(&token.token.scopes),
            };
            record(state, op, &token.token.token.id, &response, Some(opened_by));
            response
        }
        Err(refused) => {
            if let Some(token) = &refused.token {
                record(state, op, token, &refused.response, None);
            }
            refused.response
        }
    };
    if state.api_mode.is_sandbox() {
        response
            .headers_mut()
            .insert(FICTITIOUS_HEADER, HeaderValue::from_static("true"));
    }
    response
}

/// Counts a call of `token` for the usage page (`authorised`: with the
/// scope that opened it).
fn record(
    state: &AppState,
    op: &'static Operation,
    token: &str,
    response: &Response,
    authorised: Option<Option<&str>>,
) {
    let code = response
        .extensions()
        .get::<ApiCode>()
        .map_or("", |c| c.0.as_str());
    state.api.record(
        token,
        &runtime::Call {
            operation: &op.path,
            status: response.status().as_u16(),
            code,
            authorised,
            now: db::now_ms(),
        },
    );
}

/// `GET /privileges`: the token's scopes and what they open.
fn privileges(state: &AppState, presented: &runtime::Presented) -> Response {
    let (row, scopes) = (&presented.token, &presented.scopes);
    let operations: Vec<Value> = contract::opened_by(scopes)
        .map(|op| {
            json!({
                "path": op.path,
                "summary": op.summary,
                "scope": op.opened_by(scopes),
            })
        })
        .collect();
    let body = json!({
        "privileges": scopes,
        "data": { "operations": operations },
        "links": {},
        "meta": {
            "expires_at": row.expires_at / 1000,
            "mode": if state.api_mode.is_sandbox() { "bac_a_sable" } else { "production" },
        },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A data operation, once the token is authorised.
async fn data(
    state: &AppState,
    op: &'static Operation,
    token: &Authorised,
    params: Option<HashMap<String, String>>,
    query: Option<String>,
    headers: &HeaderMap,
) -> Response {
    if op.opened_by(&token.token.scopes).is_none() {
        return error(
            StatusCode::FORBIDDEN,
            "00100",
            "Privilèges insuffisants",
            "Votre token est valide mais vos privilèges sont insuffisants. Listez vos \
             privilèges sur /privileges",
            Some("token"),
            json!({}),
        );
    }
    let query_map: HashMap<String, String> =
        form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    // A path that is not UTF-8 once decoded is a malformed identifier.
    let params = params.unwrap_or_default();
    if let Err(e) = op.check(&params, &query_map) {
        return unprocessable(&e);
    }
    match &state.api_mode {
        ApiMode::Sandbox => sandbox(op, &params),
        ApiMode::Proxy(upstream) => {
            let path = fill(&op.path, &params);
            upstream.forward(op, &path, query.as_deref(), headers).await
        }
    }
}

/// The contract's path with the call's parameters, percent-encoded.
fn fill(template: &str, params: &HashMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (name, value) in params {
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        out = out.replace(&format!("{{{name}}}"), &encoded);
    }
    out
}

/// The sandbox's answers of one operation, serialised once for the
/// process (they are the contract's, compiled in).
struct Serialised {
    sample: axum::body::Bytes,
    not_found: axum::body::Bytes,
    not_found_code: &'static str,
}

/// Per operation, in the contract's order.
static SANDBOX: std::sync::LazyLock<Vec<Serialised>> = std::sync::LazyLock::new(|| {
    contract::operations()
        .iter()
        .map(|op| Serialised {
            sample: op.sample.to_string().into(),
            not_found: op.not_found.to_string().into(),
            not_found_code: code_of(&op.not_found),
        })
        .collect()
});

/// A JSON body already serialised.
fn json_bytes(status: StatusCode, body: axum::body::Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The sandbox's answer: the contract's example for a documented
/// identifier, its documented 404 for any other.
fn sandbox(op: &'static Operation, params: &HashMap<String, String>) -> Response {
    let index = contract::operations()
        .iter()
        .position(|o| std::ptr::eq(o, op));
    let Some(answers) = index.and_then(|i| SANDBOX.get(i)) else {
        return network_error();
    };
    if op.documented(params) {
        json_bytes(StatusCode::OK, answers.sample.clone())
    } else {
        with_code(
            json_bytes(StatusCode::NOT_FOUND, answers.not_found.clone()),
            answers.not_found_code,
        )
    }
}
