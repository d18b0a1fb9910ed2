//! For other gateways that accept Guichet's tokens, authenticated by a
//! client credential an administrator creates (HTTP Basic, or
//! `client_id`/`client_secret` in the form, RFC 6749 §2.3.1):
//! - `POST /oauth/introspect` (RFC 7662): whether a token string is
//!   accepted now, with its scopes, expiry and organisation;
//! - `GET /oauth/revocations?since=<ms>`: the strings no longer accepted
//!   since a cursor, for a gateway that verifies the JWT offline with the
//!   JWKS and polls this every few seconds.

use crate::server::db::{self, gateways};
use crate::server::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;

/// How far behind now the feed's cursor stays: a revocation committed a
/// little late is still read at the next poll (entries may repeat).
const FEED_LAG_MS: i64 = 5_000;
/// Entries per page of the feed.
const FEED_PAGE: i64 = 1_000;
/// What the feed advises between polls.
pub const POLL_SECONDS: u64 = 5;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/introspect", post(introspect))
        .route("/oauth/revocations", get(revocations))
}

fn no_store(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn invalid_client() -> Response {
    let mut response = no_store(
        StatusCode::UNAUTHORIZED,
        json!({
            "error": "invalid_client",
            "error_description": "Identifiant ou secret de passerelle invalide, ou accès révoqué."
        }),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"guichet\", charset=\"UTF-8\""),
    );
    response
}

fn unavailable(e: &db::DbError) -> Response {
    tracing::warn!(error = %e, "gateways: database");
    no_store(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({
            "error": "temporarily_unavailable",
            "error_description": "Service momentanément indisponible. Réessayez dans quelques secondes."
        }),
    )
}

/// The client credential of the call: Basic first, else the form's.
fn credential(headers: &HeaderMap, form: &HashMap<String, String>) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    })
}

/// The gateway calling, authenticated.
async fn authenticated(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, Box<Response>> {
    let Some((id, secret)) = credential(headers, form) else {
        return Err(Box::new(invalid_client()));
    };
    let hash = crate::server::auth::links::hash_token(&secret);
    match gateways::authenticate(&state.db, &id, &hash, db::now_ms()).await {
        Ok(true) => Ok(id),
        Ok(false) => Err(Box::new(invalid_client())),
        Err(e) => Err(Box::new(unavailable(&e))),
    }
}

fn form_of(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// RFC 7662: `{"active": false}` for any string not accepted now (unknown,
/// forged, revoked, replaced past its grace, expired); else its scopes,
/// expiry (the row's: renewals extend it without a new string), issue
/// time, token, string, organisation and request.
async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = form_of(&body);
    if let Err(refused) = authenticated(&state, &headers, &form).await {
        return *refused;
    }
    let Some(token) = form
        .get("token")
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    else {
        return no_store(
            StatusCode::BAD_REQUEST,
            json!({
                "error": "invalid_request",
                "error_description": "Le paramètre token est obligatoire."
            }),
        );
    };
    let inactive = || no_store(StatusCode::OK, json!({ "active": false }));
    let Some(claims) = state.tokens.verify(token) else {
        return inactive();
    };
    let presented = match db::spaces::token_by_jti(&state.db, &claims.jti).await {
        Ok(Some(p)) => p,
        Ok(None) => return inactive(),
        Err(e) => return unavailable(&e),
    };
    let now = db::now_ms();
    let row = &presented.token;
    if row.revoked_at.is_some()
        || row.expires_at <= now
        || !crate::domain::token::string_accepted(presented.retired_at, now)
    {
        return inactive();
    }
    let siret = match db::spaces::held_token(&state.db, &row.id).await {
        Ok(held) => held.map(|h| h.siret),
        Err(e) => return unavailable(&e),
    };
    no_store(
        StatusCode::OK,
        json!({
            "active": true,
            "scope": row.scope_list().join(" "),
            "token_type": "Bearer",
            "exp": row.expires_at / 1000,
            "iat": claims.iat,
            "sub": row.id,
            "jti": claims.jti,
            "iss": state.public_url,
            "siret": siret,
            "request_id": row.request_id,
        }),
    )
}

/// The strings no longer accepted after `since` (milliseconds, default 0),
/// oldest first; `next` is the `since` of the next poll.
async fn revocations(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = form_of(query.as_deref().unwrap_or_default().as_bytes());
    if let Err(refused) = authenticated(&state, &headers, &HashMap::new()).await {
        return *refused;
    }
    let since = match query.get("since").map(|s| s.trim().parse::<i64>()) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => {
            return no_store(
                StatusCode::BAD_REQUEST,
                json!({
                    "error": "invalid_request",
                    "error_description": "Le paramètre since doit être un nombre de millisecondes \
                                          depuis le 1er janvier 1970."
                }),
            );
        }
    };
    let now = db::now_ms();
    let page = match gateways::revoked_between(&state.db, since, now, FEED_PAGE).await {
        Ok(page) => page,
        Err(e) => return unavailable(&e),
    };
    // A full page: go on from its last instant (what shares it comes
    // again); else from a little before now.
    let next = match page.last() {
        Some(last) if i64::try_from(page.len()).unwrap_or(0) >= FEED_PAGE => last.at - 1,
        _ => (now - FEED_LAG_MS).max(since),
    };
    let revoked: Vec<Value> = page
        .iter()
        .map(|r| json!({ "jti": r.jti, "token_id": r.token_id, "at": r.at, "reason": r.reason }))
        .collect();
    no_store(
        StatusCode::OK,
        json!({ "revoked": revoked, "next": next, "poll_after_seconds": POLL_SECONDS }),
    )
}
