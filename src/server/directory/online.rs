//! Optional online adapter for the public company search endpoint
//! (`GET {base}/search?q=…`, as at recherche-entreprises.api.gouv.fr): off by
//! default, with a configurable base URL and timeout. Any failure is
//! "annuaire indisponible", never an error page.

use crate::domain::legal_category::{Eligibility, LegalCategory};
use crate::domain::siret::Siret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The public endpoint's base URL, for the configuration's documentation.
pub const PUBLIC_BASE_URL: &str = "https://recherche-entreprises.api.gouv.fr";

/// One organisation found online.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOrganisation {
    pub siren: String,
    /// SIRET of the head office, when given.
    pub siret: Option<String>,
    pub name: String,
    pub legal_category: String,
    pub legal_category_label: String,
    pub active: bool,
    pub eligibility: Eligibility,
    pub eligibility_message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    /// Timeout, refused connection, error status or unreadable answer.
    #[error("annuaire en ligne indisponible : {0}")]
    Unavailable(String),
}

/// The French message shown when the online directory cannot answer.
pub const UNAVAILABLE_MESSAGE: &str = "L’annuaire des entreprises est momentanément indisponible. \
     Vous pouvez continuer : saisissez le SIRET et le nom de votre organisation, \
     l’instructeur les vérifiera.";

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    results: Vec<ResultRow>,
}

#[derive(Deserialize)]
struct ResultRow {
    siren: String,
    #[serde(default)]
    nom_complet: String,
    #[serde(default)]
    nature_juridique: Option<String>,
    #[serde(default)]
    etat_administratif: Option<String>,
    #[serde(default)]
    siege: Option<Siege>,
}

#[derive(Deserialize)]
struct Siege {
    #[serde(default)]
    siret: Option<String>,
    #[serde(default)]
    etat_administratif: Option<String>,
}

/// The online directory client.
#[derive(Clone, Debug)]
pub struct OnlineDirectory {
    client: reqwest::Client,
    base_url: String,
}

impl OnlineDirectory {
    /// A client for `base_url` whose every call gives up after `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<OnlineDirectory, OnlineError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("guichet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OnlineError::Unavailable(e.to_string()))?;
        Ok(OnlineDirectory {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Up to 20 organisations matching `query` (a name, a SIREN or a SIRET).
    pub async fn search(&self, query: &str) -> Result<Vec<OnlineOrganisation>, OnlineError> {
        let unavailable = |e: reqwest::Error| OnlineError::Unavailable(e.to_string());
        let res = self
            .client
            .get(format!("{}/search", self.base_url))
            .query(&[("q", query), ("per_page", "20")])
            .send()
            .await
            .map_err(unavailable)?;
        if !res.status().is_success() {
            return Err(OnlineError::Unavailable(format!(
                "statut HTTP {}",
                res.status()
            )));
        }
        let bytes = res.bytes().await.map_err(unavailable)?;
        let answer: SearchAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| OnlineError::Unavailable(format!("réponse illisible : {e}")))?;
        Ok(answer.results.into_iter().filter_map(convert).collect())
    }

    /// The organisation a SIRET belongs to, if the online directory knows it.
    pub async fn lookup(&self, siret: &Siret) -> Result<Option<OnlineOrganisation>, OnlineError> {
        let found = self.search(siret.as_str()).await?;
        Ok(found.into_iter().find(|o| o.siren == siret.siren()))
    }
}

fn convert(row: ResultRow) -> Option<OnlineOrganisation> {
    if row.siren.len() != 9 || !row.siren.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let code = row.nature_juridique.unwrap_or_default();
    let category = LegalCategory::from_code(&code).unwrap_or(LegalCategory {
        code: code.clone(),
        label: "Catégorie juridique inconnue".to_owned(),
    });
    // "A" active, "C"/"F" ceased (closed).
    let state = row.etat_administratif.or_else(|| {
        row.siege
            .as_ref()
            .and_then(|s| s.etat_administratif.clone())
    });
    let active = !matches!(state.as_deref(), Some("C" | "F"));
    let eligibility = Eligibility::of(&category, active);
    Some(OnlineOrganisation {
        siren: row.siren,
        siret: row.siege.and_then(|s| s.siret),
        name: row.nom_complet,
        legal_category: category.code,
        legal_category_label: category.label,
        active,
        eligibility_message: eligibility.message().to_owned(),
        eligibility,
    })
}
