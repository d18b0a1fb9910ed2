//! Proxy mode: an authorised call is forwarded to an upstream server of the
//! same contract (API Entreprise itself, with Guichet's own credentials),
//! and its answer returned.
//!
//! The upstream is protected from Guichet and Guichet's callers from its
//! outages by:
//! - a **timeout** per call (`504 <provider>002 Intermédiaire hors-délai`);
//! - a **concurrency limit** for the whole upstream: a call waits for a
//!   free slot at most a quarter of the timeout, then `504 <provider>001`;
//! - a **circuit breaker per provider** (`failsafe`): after
//!   `BREAKER_FAILURES` consecutive failures (timeouts, network errors,
//!   `5xx`) the provider's calls are answered `504 <provider>001 Service non
//!   disponible` at once, with `Retry-After`, for `BREAKER_OPEN`; then one
//!   call is let through to try again.
//!
//! The contract documents `502` and `504` for the provider's failures (no
//! `503`): its codes are used, with the provider's prefix.

use crate::domain::contract::Operation;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use failsafe::futures::CircuitBreaker as _;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Consecutive failures that open a provider's circuit.
pub const BREAKER_FAILURES: u32 = 5;
/// How long an open circuit answers without calling.
pub const BREAKER_OPEN: Duration = Duration::from_secs(30);
/// Largest answer read from the upstream.
const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

type Breaker = failsafe::StateMachine<
    failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::Constant>,
    (),
>;

/// The upstream's settings.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// Base URL, without its trailing slash (`https://entreprise.api.gouv.fr`).
    pub base_url: String,
    /// Guichet's own token at the upstream.
    pub token: String,
    pub timeout: Duration,
    /// Calls in flight to the upstream at most.
    pub concurrency: usize,
}

/// The upstream, its client, its slots and its breakers.
pub struct Upstream {
    config: UpstreamConfig,
    client: reqwest::Client,
    slots: tokio::sync::Semaphore,
    breakers: Mutex<HashMap<String, Breaker>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

/// Why a forwarded call failed (each one counts against the breaker).
#[derive(Debug)]
enum Failure {
    Timeout,
    Network,
    /// The upstream answered something that is not the contract's JSON.
    Provider,
    /// The upstream answered a server error in the contract's shape: passed
    /// on, and counted.
    Answered(Passed),
}

impl Upstream {
    pub fn new(config: UpstreamConfig) -> Result<Upstream, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("Guichet/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Upstream {
            slots: tokio::sync::Semaphore::new(config.concurrency.max(1)),
            config,
            client,
            breakers: Mutex::default(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn breaker(&self, provider: &str) -> Breaker {
        let mut breakers = self
            .breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        breakers
            .entry(provider.to_owned())
            .or_insert_with(|| {
                let policy = failsafe::failure_policy::consecutive_failures(
                    BREAKER_FAILURES,
                    failsafe::backoff::constant(BREAKER_OPEN),
                );
                failsafe::Config::new().failure_policy(policy).build()
            })
            .clone()
    }

    /// Forwards `path?query` (already checked by Guichet) and returns the
    /// upstream's answer, or the contract's error for its failure.
    pub async fn forward(
        &self,
        op: &Operation,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Response {
        let breaker = self.breaker(&op.provider_code);
        let attempt = async {
            let Ok(Ok(_slot)) =
                tokio::time::timeout(self.config.timeout / 4, self.slots.acquire()).await
            else {
                // Waiting for a slot is not the provider's failure.
                return Ok(Err(Refusal::Busy));
            };
            let url = match query {
                Some(q) if !q.is_empty() => format!("{}{path}?{q}", self.config.base_url),
                _ => format!("{}{path}", self.config.base_url),
            };
            let mut request = self.client.get(url).bearer_auth(&self.config.token);
            if let Some(v) = headers.get(header::CACHE_CONTROL) {
                request = request.header(header::CACHE_CONTROL, v.clone());
            }
            let answer = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Network
                }
            })?;
            let status = answer.status();
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            let body = read_body(answer).await?;
            let json = content_type
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if !json {
                tracing::warn!(%status, path, "upstream answered something else than JSON");
                return Err(Failure::Provider);
            }
            let passed = Passed {
                status,
                body,
                content_type,
            };
            if status.is_server_error() {
                return Err(Failure::Answered(passed));
            }
            Ok(Ok(passed))
        };
        match breaker.call(attempt).await {
            Ok(Ok(passed)) => passed.into_response(op),
            Ok(Err(Refusal::Busy)) | Err(failsafe::Error::Rejected) => unavailable(op),
            Err(failsafe::Error::Inner(Failure::Timeout)) => provider_error(
                op,
                StatusCode::GATEWAY_TIMEOUT,
                "002",
                "Intermédiaire hors-délai",
                "Temps d’attente d’une réponse du fournisseur de données écoulé.",
            ),
            Err(failsafe::Error::Inner(Failure::Network)) => super::network_error(),
            Err(failsafe::Error::Inner(Failure::Answered(passed))) => passed.into_response(op),
            Err(failsafe::Error::Inner(Failure::Provider)) => provider_error(
                op,
                StatusCode::BAD_GATEWAY,
                "999",
                "Erreur inconnue du fournisseur de données",
                "La réponse retournée par le fournisseur de données est invalide et inconnue de \
                 notre service. L'équipe technique a été notifiée de cette erreur pour \
                 investigation.",
            ),
        }
    }
}

/// Not forwarded, though nothing failed.
enum Refusal {
    /// No slot freed in time.
    Busy,
}

/// The upstream's answer, to pass on.
#[derive(Debug)]
struct Passed {
    status: StatusCode,
    body: axum::body::Bytes,
    content_type: Option<HeaderValue>,
}

impl Passed {
    fn into_response(self, op: &Operation) -> Response {
        // The upstream refusing Guichet's own token is Guichet's
        // configuration, not the caller's fault.
        if matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            tracing::error!(status = %self.status, "the upstream refuses Guichet's credentials");
            return provider_error(
                op,
                StatusCode::BAD_GATEWAY,
                "999",
                "Erreur inconnue du fournisseur de données",
                "Le fournisseur de données a refusé l'appel de Guichet. L'équipe technique a été \
                 notifiée de cette erreur.",
            );
        }
        let code = if self.status.is_success() {
            String::new()
        } else {
            serde_json::from_slice::<serde_json::Value>(&self.body)
                .map(|v| super::code_of(&v).to_owned())
                .unwrap_or_default()
        };
        let mut response = (self.status, self.body).into_response();
        if let Some(ct) = self.content_type {
            response.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        super::with_code(response, &code)
    }
}

async fn read_body(mut answer: reqwest::Response) -> Result<axum::body::Bytes, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| {
        if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Network
        }
    })? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Failure::Provider);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

fn provider_error(
    op: &Operation,
    status: StatusCode,
    suffix: &str,
    title: &str,
    detail: &str,
) -> Response {
    super::error(
        status,
        &format!("{}{suffix}", op.provider_code),
        title,
        detail,
        None,
        json!({ "provider": op.provider_name }),
    )
}

/// The provider's circuit is open, or the upstream has no free slot.
fn unavailable(op: &Operation) -> Response {
    let mut response = provider_error(
        op,
        StatusCode::GATEWAY_TIMEOUT,
        "001",
        "Service non disponible",
        "Service du fournisseur de données temporairement indisponible ou en maintenance.",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(BREAKER_OPEN.as_secs()),
    );
    response
}
