//! Sign-in with ProConnect, the State's OpenID Connect federation for public
//! agents: the authorization code flow with PKCE, `state` and `nonce`, the
//! provider discovered from its issuer URL, the ID token's signature,
//! issuer, audience, expiry and nonce checked and the (signed) userinfo read
//! — all by the `openidconnect` crate. This module speaks the protocol;
//! what a verified agent becomes (an account, a link, a session) is
//! `auth::federation`.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreJwsSigningAlgorithm,
    CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The claims asked (ProConnect's scopes, one per claim).
pub const SCOPES: &[&str] = &["email", "given_name", "usual_name", "siret", "uid"];
/// How long the provider's metadata and keys are kept before being read
/// again (a signature that does not verify reads them again at once).
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// How long a sign-in may take at the provider.
pub const STARTED_TTL_MS: i64 = 15 * 60_000;

/// ProConnect's settings (README, configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProConnectConfig {
    /// The issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// `acr_values` asked (ProConnect: `eidas1`); none: not sent.
    pub acr_values: Option<String>,
    /// The `acr` values that count as the staff's second factor.
    pub staff_acr: Vec<String>,
}

/// ProConnect's own claims, beside the standard ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ProConnectClaims {
    usual_name: Option<String>,
    siret: Option<String>,
    uid: Option<serde_json::Value>,
}
impl AdditionalClaims for ProConnectClaims {}

/// Kept in the session between the redirection to the provider and the
/// return.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Started {
    state: String,
    nonce: String,
    verifier: String,
    /// The page to go to once signed in.
    pub suite: Option<String>,
    at: i64,
}

/// What the provider vouched for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub subject: String,
    pub email: String,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
    /// The SIRET of the organisation the agent works for.
    pub siret: Option<String>,
    pub uid: Option<String>,
    /// The authentication level reached.
    pub acr: Option<String>,
    /// The ID token, the hint of the provider's sign-out.
    pub id_token: String,
}

/// Why a return from the provider signs nobody in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The agent cancelled at the provider.
    Cancelled,
    /// The provider cannot be reached, or its metadata is unusable.
    Unavailable,
    /// No sign-in under way in this browser, or another one's `state`.
    State,
    /// The code was refused (expired, used, not ours) or a check of the
    /// ID token or userinfo failed (signature, issuer, audience, expiry,
    /// nonce).
    Rejected,
    /// The identity has no usable email address.
    NoEmail,
}

impl Failure {
    /// The sign-in page's flag (`?proconnect=`).
    pub fn flag(self) -> &'static str {
        match self {
            Failure::Cancelled => "annule",
            Failure::Unavailable => "indisponible",
            Failure::State => "expire",
            Failure::Rejected => "refuse",
            Failure::NoEmail => "sans_adresse",
        }
    }
}

/// The client `CoreClient::from_provider_metadata` makes: authorization
/// endpoint set, token and userinfo endpoints as discovered.
type Client = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The ID token checks of `client`: ProConnect signs with RS256 or ES256.
fn verifier(client: &Client) -> openidconnect::core::CoreIdTokenVerifier<'_> {
    client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ])
}

/// The relying party: settings, HTTP client, and the provider's metadata.
pub struct ProConnect {
    pub config: ProConnectConfig,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<(Instant, Arc<ProviderMetadataWithLogout>)>>,
}

/// 256 random bits, URL-safe (`state`, `nonce`).
fn random() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // A failing system RNG leaves zeros: the state check then fails closed
    // only if an attacker guesses that; log it loudly.
    if let Err(e) = getrandom::fill(&mut bytes) {
        tracing::error!(error = %e, "no randomness for ProConnect");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn warn(what: &str, e: impl std::fmt::Display) {
    tracing::warn!(error = %e, "ProConnect: {what}");
}

impl ProConnect {
    pub fn new(config: ProConnectConfig) -> Result<ProConnect, String> {
        IssuerUrl::new(config.issuer.clone()).map_err(|e| e.to_string())?;
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would open the client to SSRF.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ProConnect {
            config,
            http,
            metadata: RwLock::new(None),
        })
    }

    async fn metadata(&self, fresh: bool) -> Result<Arc<ProviderMetadataWithLogout>, Failure> {
        if !fresh
            && let Some((at, m)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| {
            warn("issuer", e);
            Failure::Unavailable
        })?;
        let m = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                warn("discovery", e);
                Failure::Unavailable
            })?;
        let m = Arc::new(m);
        *self.metadata.write().await = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    fn client(
        &self,
        metadata: &ProviderMetadataWithLogout,
        redirect: &str,
    ) -> Result<Client, Failure> {
        let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| {
            warn("redirect URL", e);
            Failure::Unavailable
        })?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        // ProConnect authenticates clients with the secret in the body.
        .set_auth_type(AuthType::RequestBody)
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in, and what the
    /// session keeps until the return to `redirect`.
    pub async fn start(
        &self,
        redirect: &str,
        suite: Option<String>,
        now: i64,
    ) -> Result<(String, Started), Failure> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state, nonce) = (random(), random());
        let (state_c, nonce_c) = (state.clone(), nonce.clone());
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state_c),
                move || Nonce::new(nonce_c),
            )
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge);
        if let Some(acr) = &self.config.acr_values {
            for value in acr.split_whitespace() {
                request = request
                    .add_auth_context_value(AuthenticationContextClass::new(value.to_owned()));
            }
        }
        let (url, _, _) = request.url();
        Ok((
            url.to_string(),
            Started {
                state,
                nonce,
                verifier: verifier.secret().clone(),
                suite,
                at: now,
            },
        ))
    }

    /// The agent behind a return with `code` and `state`, after every check.
    pub async fn finish(
        &self,
        started: Started,
        code: &str,
        state: &str,
        redirect: &str,
        now: i64,
    ) -> Result<Agent, Failure> {
        use sha2::{Digest, Sha256};
        // Compared through their hashes: no timing tells how much matched.
        let same = Sha256::digest(started.state.as_bytes()) == Sha256::digest(state.as_bytes());
        if now - started.at > STARTED_TTL_MS || !same {
            return Err(Failure::State);
        }
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata, redirect)?;
        let rejected = |what: &str, e: &dyn std::fmt::Display| {
            warn(what, e);
            Failure::Rejected
        };
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                warn("no token endpoint", e);
                Failure::Unavailable
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(started.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| rejected("code exchange", &e))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| rejected("token response", &"no ID token"))?;
        let nonce = Nonce::new(started.nonce.clone());
        let first = id_token.claims(&verifier(&client), &nonce).cloned();
        let (client, claims) = match first {
            Ok(c) => (client, c),
            // The provider may have rotated its keys: read them again once.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(e)) => {
                warn("ID token signature, keys read again", e);
                let metadata = self.metadata(true).await?;
                let client = self.client(&metadata, redirect)?;
                let claims = id_token
                    .claims(&verifier(&client), &nonce)
                    .map_err(|e| rejected("ID token", &e))?
                    .clone();
                (client, claims)
            }
            Err(e) => return Err(rejected("ID token", &e)),
        };
        if let Some(expected) = claims.access_token_hash() {
            let v = verifier(&client);
            let alg = id_token
                .signing_alg()
                .map_err(|e| rejected("ID token algorithm", &e))?;
            let key = id_token
                .signing_key(&v)
                .map_err(|e| rejected("ID token key", &e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| rejected("at_hash", &e))?;
            if actual != *expected {
                return Err(rejected("at_hash", &"does not match the access token"));
            }
        }
        let subject = claims.subject().clone();
        let acr = claims.auth_context_ref().map(|a| a.to_string());
        let info: UserInfoClaims<ProConnectClaims, CoreGenderClaim> = client
            .user_info(tokens.access_token().clone(), Some(subject.clone()))
            .map_err(|e| {
                warn("no userinfo endpoint", e);
                Failure::Unavailable
            })?
            .request_async(&self.http)
            .await
            .map_err(|e| rejected("userinfo", &e))?;
        let email = info
            .email()
            .map(|e| crate::server::db::users::normalise_email(e.as_str()))
            .filter(|e| crate::domain::request::is_email(e))
            .ok_or(Failure::NoEmail)?;
        let extra = info.additional_claims();
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(Agent {
            subject: subject.to_string(),
            email,
            given_name: info
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            usual_name: text(&extra.usual_name),
            siret: text(&extra.siret).map(|s| s.chars().filter(|c| !c.is_whitespace()).collect()),
            uid: extra.uid.as_ref().map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            acr,
            id_token: id_token.to_string(),
        })
    }

    /// The provider's sign-out address for a session signed in with
    /// `id_token`, coming back to `back`; none when the provider has no
    /// sign-out endpoint or cannot be reached.
    pub async fn logout_url(&self, id_token: &str, back: &str) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let token = CoreIdToken::from_str(id_token).ok()?;
        let back = PostLogoutRedirectUrl::new(back.to_owned()).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(&token)
                .set_client_id(ClientId::new(self.config.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .set_state(CsrfToken::new(random()))
                .http_get_url()
                .to_string(),
        )
    }

    /// Whether an `acr` counts as the staff's second factor.
    pub fn strong(&self, acr: Option<&str>) -> bool {
        acr.is_some_and(|a| self.config.staff_acr.iter().any(|s| s == a))
    }
}
