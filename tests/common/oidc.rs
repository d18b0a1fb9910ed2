//! A real OpenID Connect provider (`oidc-provider` from npm, configured as
//! ProConnect: `end2end/oidc/provider.mjs`) started on loopback for a test,
//! and a browser's walk through a sign-in: Guichet's redirection, the
//! provider's login screen, the return to Guichet. Cookies are carried as a
//! browser does (one jar per site).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end/oidc/provider.mjs");
pub const CLIENT_ID: &str = "guichet-test";
pub const CLIENT_SECRET: &str = "secret-du-client-de-test";

/// The provider process; killed when dropped.
pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider for Guichet at `guichet` (its public URL), with
    /// these accounts (login → claims, and `acr`) and codes valid
    /// `code_ttl` seconds.
    pub fn start(guichet: &str, accounts: serde_json::Value, code_ttl: u64) -> Provider {
        let mut child = Command::new("node")
            .arg(SCRIPT)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env(
                "REDIRECT_URIS",
                format!("{guichet}{}", guichet::paths::PROCONNECT_CALLBACK),
            )
            .env("POST_LOGOUT_URIS", format!("{guichet}/"))
            .env("CODE_TTL", code_ttl.to_string())
            .env("ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node end2end/oidc/provider.mjs (npm ci installs oidc-provider)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("provider's first line");
        let issuer = line
            .trim()
            .strip_prefix("ISSUER=")
            .unwrap_or_else(|| panic!("provider did not start: {line}"))
            .to_owned();
        Provider { child, issuer }
    }

    /// Guichet's settings for this provider.
    pub fn config(
        &self,
        staff_acr: &[&str],
    ) -> guichet::server::auth::proconnect::ProConnectConfig {
        guichet::server::auth::proconnect::ProConnectConfig {
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            acr_values: Some("eidas1".to_owned()),
            staff_acr: staff_acr.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// A browser: Guichet's session cookie and the provider's cookies.
#[derive(Default)]
pub struct Browser {
    pub guichet: Option<String>,
    provider: BTreeMap<String, String>,
}

/// An answer the browser got: status, `Location`, body.
pub struct Hop {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl Browser {
    /// GETs a page of Guichet (the in-process router) with the session.
    pub async fn guichet_get(&mut self, app: &axum::Router, path_and_query: &str) -> Hop {
        let (status, headers, body) =
            super::get_raw(app, path_and_query, self.guichet.as_deref()).await;
        if let Some(c) = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("guichet_session="))
        {
            self.guichet = Some(super::cookie_pair(c));
        }
        Hop {
            status: status.as_u16(),
            location: headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let Some((pair, _)) = v
                .to_str()
                .ok()
                .map(|v| v.split_once(';').unwrap_or((v, "")))
            else {
                continue;
            };
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.provider.remove(name);
                } else {
                    self.provider.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn cookies(&self) -> String {
        self.provider
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A request to the provider, its cookies kept.
    pub async fn provider(&mut self, req: reqwest::RequestBuilder) -> Hop {
        let res = req
            .header("cookie", self.cookies())
            .send()
            .await
            .expect("provider request");
        self.keep(&res);
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        Hop {
            status,
            location,
            body,
        }
    }

    /// At the provider: from the authorization URL to the return address
    /// to Guichet, signing in as `login` on its login screen.
    pub async fn through_provider(&mut self, issuer: &str, authorize: &str, login: &str) -> String {
        let http = client();
        let mut hop = self.provider(http.get(authorize)).await;
        for _ in 0..6 {
            let location = hop.location.clone().unwrap_or_else(|| {
                panic!(
                    "provider answered {} without redirection: {}",
                    hop.status, hop.body
                )
            });
            let url = if location.starts_with('/') {
                format!("{issuer}{location}")
            } else {
                location
            };
            if !url.starts_with(issuer) {
                return url;
            }
            hop = if url.contains("/interaction/") {
                let page = self.provider(http.get(&url)).await;
                assert_eq!(page.status, 200, "login screen: {}", page.body);
                self.provider(http.post(format!("{url}/login")).form(&[("login", login)]))
                    .await
            } else {
                self.provider(http.get(&url)).await
            };
        }
        panic!("too many redirections at the provider");
    }

    /// A whole sign-in: Guichet's start (with `suite`), the provider, and
    /// the return; answers Guichet's last answer (a redirection).
    pub async fn sign_in(
        &mut self,
        app: &axum::Router,
        provider: &Provider,
        login: &str,
        suite: Option<&str>,
    ) -> Hop {
        let start = match suite {
            Some(s) => guichet::paths::with_suite(guichet::paths::PROCONNECT_START, Some(s)),
            None => guichet::paths::PROCONNECT_START.to_owned(),
        };
        let hop = self.guichet_get(app, &start).await;
        assert_eq!(hop.status, 303, "start: {}", hop.body);
        let authorize = hop.location.expect("to the provider");
        let back = self
            .through_provider(&provider.issuer, &authorize, login)
            .await;
        self.guichet_get(app, path_of(&back)).await
    }
}

/// The path and query of an absolute URL.
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
