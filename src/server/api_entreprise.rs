//! The API-Entreprise-compatible endpoints: the paths of
//! `domain/data/api_entreprise_endpoints.json`, called with
//! `Authorization: Bearer <token>`, answering errors in API Entreprise's shape
//! (`{"errors":[{"code","title","detail","source":{"parameter"},"meta"}]}`).
//!
//! Each call checks, in this order: the signature (a string verified once is
//! remembered), the token's row (unknown, revoked, expired: read again after
//! `ROW_TTL`, at once after a revocation, on every instance through the live
//! events), the per-token rate limit (headers
//! `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, and
//! `Retry-After` when refused), the scopes, then the mandatory `context`,
//! `object` and `recipient`. Data comes from the local directory of public
//! bodies (name, SIREN, legal category); what it does not hold is a 404,
//! never invented data. Calls are counted per token and day.

use crate::server::db::{self, Db, DbError};
use crate::server::state::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

const CATALOGUE_JSON: &str = include_str!("../domain/data/api_entreprise_endpoints.json");

/// One endpoint of the catalogue.
#[derive(Clone, Debug, Deserialize)]
pub struct Endpoint {
    pub uid: String,
    pub path: String,
    pub opening: String,
    pub provider: String,
    pub accepted_scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Catalogue {
    endpoints: Vec<Endpoint>,
}

/// The endpoints served.
pub fn endpoints() -> &'static [Endpoint] {
    static CATALOGUE: OnceLock<Vec<Endpoint>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str::<Catalogue>(CATALOGUE_JSON)
            .map(|c| c.endpoints)
            .unwrap_or_default()
    })
}

/// The provider's code prefix and name in API Entreprise's errors.
fn provider(key: &str) -> (&'static str, &'static str) {
    match key {
        "insee" => ("01", "INSEE"),
        "infogreffe" => ("02", "Infogreffe"),
        "dgfip" => ("03", "DGFIP - Adélie"),
        "probtp" => ("09", "ProBTP"),
        "msa" => ("10", "MSA"),
        "qualibat" => ("06", "Qualibat"),
        "qualifelec" => ("32", "Qualifelec"),
        "inpi" => ("34", "INPI - RNE"),
        "fabsocial" => ("14", "Fabrique numérique des Ministères Sociaux"),
        "carif_oref" => ("33", "CARIF-OREF"),
        "data_subvention" => ("52", "DataSubvention"),
        "gipmds" => ("31", "GIP-MDS"),
        _ => ("00", "API Entreprise"),
    }
}

/// Every endpoint of the catalogue, on its path.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for (i, e) in endpoints().iter().enumerate() {
        router = router.route(
            &e.path,
            get(
                move |State(state): State<AppState>,
                      Path(params): Path<HashMap<String, String>>,
                      Query(query): Query<HashMap<String, String>>,
                      headers: HeaderMap| async move {
                    call(&state, &endpoints()[i], &params, &query, &headers).await
                },
            ),
        );
    }
    router
}

/// An error as API Entreprise writes it.
fn error(status: StatusCode, code: &str, title: &str, detail: &str, parameter: &str) -> Response {
    let body = json!({
        "errors": [{
            "code": code,
            "title": title,
            "detail": detail,
            "source": { "parameter": parameter },
            "meta": {},
        }]
    });
    (status, axum::Json(body)).into_response()
}

fn invalid_token() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "00101",
        "Interdit",
        "Votre token n'est pas valide ou n'est pas renseigné",
        "token",
    )
}

fn unavailable(e: DbError) -> Response {
    tracing::warn!(error = %e, "API call: database");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "00503",
        "Service indisponible",
        "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        "",
    )
}

/// How long a token's row is used without reading it again. A revocation
/// drops it at once: on this instance directly, on the others through the
/// live events (`spawn_revocation_watch`); this bounds the delay should an
/// event be lost, or for a change made in the database by hand.
pub const ROW_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Verified token strings kept at most (their claims), then forgotten all.
const VERIFIED_MAX: usize = 20_000;

/// A share of a token's budget for one minute, taken from the database
/// (`db::rate`) and spent here without asking again.
#[derive(Clone, Copy, Debug)]
struct Lease {
    window: i64,
    /// Uses of the lease not spent yet.
    left: i64,
    /// The minute's total in the database when the lease was taken (every
    /// instance's leases, whole).
    used: i64,
    /// The budget was exhausted when the lease was taken: refuse without
    /// asking the database again until the next minute.
    exhausted: bool,
}

/// Uses taken from the shared budget at once: few enough that an instance
/// holding an unspent lease leaves little of the limit unused elsewhere,
/// many enough that a busy token asks the database once in many calls.
fn lease_size(per_minute: i64) -> i64 {
    (per_minute / 25).clamp(1, 1000)
}

/// Per-token rate limits (each token its own quota, from its row), the
/// calls counted since the last flush to the database, and the caches that
/// spare most calls a signature check and a database read.
#[derive(Default)]
pub struct ApiRuntime {
    /// Token id → its lease of the current minute's shared budget.
    leases: Mutex<HashMap<String, Lease>>,
    usage: Mutex<Usage>,
    /// Token string → its claims: the keys do not change while the process
    /// runs, so a string verified once stays verified.
    verified: Mutex<HashMap<String, crate::server::tokens::Claims>>,
    /// String id (`jti`) → its token's row, its end, and when they were read.
    rows: Mutex<HashMap<String, (db::spaces::Presented, std::time::Instant)>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Calls counted since the last flush.
#[derive(Default)]
struct Usage {
    /// (token, day) → calls.
    calls: HashMap<(String, i64), i64>,
    /// token → time of its last call.
    last: HashMap<String, i64>,
    /// (token, scope that opened the call) → time of its last call.
    scopes: HashMap<(String, String), i64>,
}

impl std::fmt::Debug for ApiRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRuntime").finish_non_exhaustive()
    }
}

/// What the rate limiter said.
struct Limit {
    limit: u32,
    remaining: u32,
    /// Seconds until the whole quota is back (or, refused, until one call is).
    reset: u64,
    allowed: bool,
}

impl ApiRuntime {
    fn claims(
        &self,
        keys: &crate::server::tokens::Keys,
        bearer: &str,
    ) -> Option<crate::server::tokens::Claims> {
        if let Some(c) = locked(&self.verified).get(bearer) {
            return Some(c.clone());
        }
        let claims = keys.verify(bearer)?;
        let mut verified = locked(&self.verified);
        if verified.len() >= VERIFIED_MAX {
            verified.clear();
        }
        verified.insert(bearer.to_owned(), claims.clone());
        Some(claims)
    }

    async fn row(&self, db: &Db, jti: &str) -> Result<Option<db::spaces::Presented>, DbError> {
        if let Some((row, at)) = locked(&self.rows).get(jti)
            && at.elapsed() < ROW_TTL
        {
            return Ok(Some(row.clone()));
        }
        let row = db::spaces::token_by_jti(db, jti).await?;
        if let Some(row) = &row {
            let mut rows = locked(&self.rows);
            if rows.len() >= VERIFIED_MAX {
                rows.clear();
            }
            rows.insert(jti.to_owned(), (row.clone(), std::time::Instant::now()));
        }
        Ok(row)
    }

    /// Drops the cached rows of a request's token (revoked, renewed,
    /// rotated…).
    pub fn forget_request(&self, request_id: i64) {
        locked(&self.rows).retain(|_, (p, _)| p.token.request_id != request_id);
    }

    /// Drops every cached row (lost events; tests changing rows by hand)
    /// and this instance's leases of the rate limits (their unspent calls
    /// are not given back: a token may get a few calls less this minute).
    pub fn forget_all(&self) {
        locked(&self.rows).clear();
        locked(&self.leases).clear();
    }

    /// Spends one call of the token's budget for the current minute,
    /// shared by every instance on the database: from this instance's lease
    /// when one is left, else from a new lease taken in one statement.
    async fn check(&self, db: &Db, token: &str, per_minute: u32) -> Result<Limit, DbError> {
        let limit = i64::from(per_minute.max(1));
        let now = db::now_ms();
        let window = db::rate::window_of(now);
        let reset = db::rate::seconds_left(now);
        let answer = |lease: &Lease, allowed: bool| Limit {
            limit: per_minute.max(1),
            remaining: u32::try_from((limit - lease.used).max(0) + lease.left).unwrap_or(0),
            reset,
            allowed,
        };
        if let Some(lease) = locked(&self.leases).get_mut(token)
            && lease.window == window
        {
            if lease.left > 0 {
                lease.left -= 1;
                return Ok(answer(lease, true));
            }
            if lease.exhausted {
                return Ok(answer(lease, false));
            }
        }
        let want = lease_size(limit);
        let used = db::rate::take(db, &format!("api:{token}"), window, want).await?;
        let granted = db::rate::granted(limit, want, used);
        let lease = Lease {
            window,
            left: (granted - 1).max(0),
            used,
            exhausted: granted < want,
        };
        let mut leases = locked(&self.leases);
        if leases.len() >= VERIFIED_MAX {
            leases.retain(|_, l| l.window == window);
        }
        leases.insert(token.to_owned(), lease);
        Ok(answer(&lease, granted > 0))
    }

    /// Counts a call of `token`, opened by `scope` (none: refused for
    /// lack of one).
    fn count(&self, token: &str, scope: Option<&str>, now: i64) {
        let day = now / 86_400_000;
        let mut usage = self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *usage.calls.entry((token.to_owned(), day)).or_insert(0) += 1;
        usage.last.insert(token.to_owned(), now);
        if let Some(scope) = scope {
            usage
                .scopes
                .insert((token.to_owned(), scope.to_owned()), now);
        }
    }

    /// Writes the calls counted since the last flush (one transaction).
    pub async fn flush(&self, db: &Db) -> Result<(), DbError> {
        let Usage {
            calls,
            last,
            scopes,
        } = {
            let mut usage = self
                .usage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::take(&mut *usage)
        };
        if calls.is_empty() {
            return Ok(());
        }
        let mut tx = db.pool.begin().await?;
        for ((token, day), n) in &calls {
            crate::server::db::spaces::add_calls_in(&mut tx, token, *day, *n).await?;
        }
        for (token, at) in &last {
            crate::server::db::spaces::mark_used_in(&mut tx, token, *at).await?;
        }
        for ((token, scope), at) in &scopes {
            crate::server::db::spaces::mark_scope_used_in(&mut tx, token, scope, *at).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Flushes the counted calls every few seconds (started by `serve`).
pub fn spawn_usage_flush(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            if let Err(e) = state.api.flush(&state.db).await {
                tracing::warn!(error = %e, "API usage not written");
            }
            // Once a minute, the ended windows of the shared rate limits.
            ticks += 1;
            if ticks.is_multiple_of(12)
                && let Err(e) = db::rate::prune(&state.db, db::now_ms()).await
            {
                tracing::warn!(error = %e, "old rate-limit windows not deleted");
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
    let h = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set("ratelimit-limit", l.limit.to_string());
    set("ratelimit-remaining", l.remaining.to_string());
    set("ratelimit-reset", l.reset.to_string());
    if !l.allowed {
        set("retry-after", l.reset.to_string());
    }
    response
}

/// The valid SIRET (14 digits, Luhn; La Poste's own rule included).
fn siret_ok(value: &str) -> bool {
    crate::domain::siret::Siret::parse(value).is_ok()
}

async fn call(
    state: &AppState,
    endpoint: &Endpoint,
    params: &HashMap<String, String>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return invalid_token();
    };
    let Some(claims) = state.api.claims(&state.tokens, bearer) else {
        return invalid_token();
    };
    let (row, retired_at) = match state.api.row(&state.db, &claims.jti).await {
        Ok(Some(p)) => (p.token, p.retired_at),
        Ok(None) => return invalid_token(),
        Err(e) => return unavailable(e),
    };
    let now = db::now_ms();
    if row.revoked_at.is_some() {
        return error(
            StatusCode::UNAUTHORIZED,
            "00105",
            "Jeton sur liste noire",
            "Votre jeton est sur liste noire, celui-ci a certainement été révoqué. Veuillez \
             vous rapprocher de l'instructeur de votre demande d'accès.",
            "token",
        );
    }
    if !crate::domain::token::string_accepted(retired_at, now) {
        return error(
            StatusCode::UNAUTHORIZED,
            "00105",
            "Jeton sur liste noire",
            "Ce jeton a été remplacé par un nouveau jeton et son délai de grâce est écoulé. \
             Utilisez le nouveau jeton, affiché dans votre espace Guichet.",
            "token",
        );
    }
    if row.expires_at <= now {
        return error(
            StatusCode::UNAUTHORIZED,
            "00103",
            "Jeton expiré",
            "Votre token est expiré. Vous devez refaire une demande",
            "token",
        );
    }
    let limit = match state
        .api
        .check(
            &state.db,
            &row.id,
            u32::try_from(row.rate_limit_per_minute).unwrap_or(u32::MAX),
        )
        .await
    {
        Ok(limit) => limit,
        Err(e) => return unavailable(e),
    };
    if !limit.allowed {
        return with_limit_headers(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "00429",
                "Trop de requêtes",
                "Vous avez effectué trop de requêtes",
                "",
            ),
            &limit,
        );
    }
    let scopes = row.scope_list();
    let opened_by = endpoint
        .accepted_scopes
        .iter()
        .find(|s| scopes.contains(s))
        .map(String::as_str);
    state.api.count(&row.id, opened_by, now);
    let response = answer(state, endpoint, &scopes, params, query);
    with_limit_headers(response, &limit)
}

fn answer(
    state: &AppState,
    endpoint: &Endpoint,
    scopes: &[String],
    params: &HashMap<String, String>,
    query: &HashMap<String, String>,
) -> Response {
    if !endpoint.accepted_scopes.iter().any(|s| scopes.contains(s)) {
        return error(
            StatusCode::FORBIDDEN,
            "00100",
            "Privilèges insuffisants",
            "Votre token est valide mais vos privilèges sont insuffisants.",
            "token",
        );
    }
    let unprocessable = |code: &str, detail: &str, parameter: &str| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Entité non traitable",
            detail,
            parameter,
        )
    };
    let given = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    if given("context").is_none() {
        return unprocessable("00201", "Le paramètre context est obligatoire", "context");
    }
    let Some(object) = given("object") else {
        return unprocessable("00202", "Le paramètre object est obligatoire", "object");
    };
    if object.chars().count() >= 50 {
        return unprocessable(
            "00202",
            "Le paramètre object doit faire moins de 50 caractères",
            "object",
        );
    }
    let Some(recipient) = given("recipient") else {
        return unprocessable(
            "00203",
            "Le paramètre recipient est obligatoire",
            "recipient",
        );
    };
    if !siret_ok(recipient) {
        return unprocessable(
            "00210",
            "Le paramètre recipient doit être le numéro de SIRET valide de l'organisme \
             destinataire des données",
            "recipient",
        );
    }
    // The subject of the call: a SIRET, a SIREN, or either.
    let subject = params
        .get("siret")
        .or_else(|| params.get("siren"))
        .or_else(|| params.get("siren_or_siret_or_rna"))
        .map(String::as_str)
        .unwrap_or_default();
    if let Some(siret) = params.get("siret")
        && !siret_ok(siret)
    {
        return unprocessable(
            "00302",
            "Le numéro de siret n'est pas correctement formatté",
            "siret",
        );
    }
    if let Some(siren) = params.get("siren")
        && !(siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit()))
    {
        return unprocessable(
            "00301",
            "Le numéro de siren n'est pas correctement formatté",
            "siren",
        );
    }
    if !subject.is_empty() && (recipient == subject || recipient.starts_with(subject)) {
        return unprocessable(
            "00210",
            "Le paramètre recipient doit être différent de l'entité appelée : c'est le SIRET \
             de l'organisme public qui utilise les données",
            "recipient",
        );
    }
    let (prefix, provider_name) = provider(&endpoint.provider);
    let not_found = || {
        let body = json!({
            "errors": [{
                "code": format!("{prefix}003"),
                "title": "Entité non trouvée",
                "detail": "Le ou les paramètre(s) d'entrée n'existent pas, ne sont pas connus, \
                           ou ne comportent aucune information pour cet appel. Veuillez \
                           vérifier que votre recherche est couverte par le périmètre de l'API.",
                "source": Value::Null,
                "meta": { "provider": provider_name },
            }]
        });
        (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
    };
    let siren = subject.get(..9).unwrap_or_default();
    let entry = match endpoint.uid.as_str() {
        "insee/unites_legales" | "insee/etablissements" => state.directory.get(siren),
        _ => None,
    };
    let Some(entry) = entry else {
        return not_found();
    };
    let info = crate::server::directory::OrganisationInfo::from_entry(entry);
    // What the directory holds, and nothing more.
    let unite_legale = json!({
        "siren": info.siren,
        "type": "personne_morale",
        "personne_morale_attributs": { "raison_sociale": info.name },
        "forme_juridique": {
            "code": info.legal_category,
            "libelle": info.legal_category_label,
        },
    });
    let data = if endpoint.uid == "insee/etablissements" {
        json!({ "siret": subject, "unite_legale": unite_legale })
    } else {
        unite_legale
    };
    let body = json!({
        "data": data,
        "links": {},
        "meta": {
            "provider": provider_name,
            "source": "Répertoire local des organismes publics de Guichet",
        },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_served_whole() {
        let all = endpoints();
        assert_eq!(all.len(), 18);
        assert!(all.iter().all(|e| !e.accepted_scopes.is_empty()));
        assert!(all.iter().any(|e| e.uid == "insee/unites_legales"));
        assert!(all.iter().any(|e| e.uid == "insee/etablissements"));
        // Every provider has its code prefix.
        for e in all {
            assert_ne!(provider(&e.provider).0, "00", "{}", e.provider);
        }
    }
}
