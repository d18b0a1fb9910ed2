//! The organisation directory: an offline index of public bodies built from
//! the npm package `@etalab/decoupage-administratif` (every commune with its
//! SIREN, every EPCI keyed by SIREN), stored in the database and searched in
//! memory.

pub mod index;
pub mod online;

use crate::domain::legal_category::{Eligibility, LegalCategory};
use crate::domain::organisation::{DirectorySource, OrganisationCheck};
use crate::server::db::{self, Db, DbError};
use index::{Entry, EntryKind, Index};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Where the package's data lives after `npm ci`.
pub const DEFAULT_DATA_DIR: &str = "node_modules/@etalab/decoupage-administratif/data";

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("fichier de l’annuaire illisible : {path} ({reason})")]
    Read { path: String, reason: String },
    #[error("{0}")]
    Db(#[from] DbError),
}

#[derive(Deserialize)]
struct CommuneRow {
    code: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    siren: Option<String>,
    departement: Option<String>,
    population: Option<i64>,
}

#[derive(Deserialize)]
struct EpciRow {
    code: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "populationTotale")]
    population: Option<i64>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, DirectoryError> {
    let err = |reason: String| DirectoryError::Read {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

/// Reads `communes.json`, `epci.json` and `ept.json` from the package's data
/// directory.
pub fn parse_package(dir: &Path) -> Result<Vec<Entry>, DirectoryError> {
    let communes: Vec<CommuneRow> = read_json(&dir.join("communes.json"))?;
    let epci: Vec<EpciRow> = read_json(&dir.join("epci.json"))?;
    let mut entries = Vec::with_capacity(communes.len() + epci.len());
    for c in communes {
        let kind = match c.kind.as_str() {
            "commune-actuelle" => EntryKind::Commune,
            "commune-deleguee" | "commune-associee" => EntryKind::CommuneDeleguee,
            _ => continue,
        };
        let Some(siren) = c.siren else { continue };
        entries.push(Entry {
            siren,
            siret: None,
            name: c.nom,
            kind,
            code: c.code,
            departement: c.departement,
            population: c.population,
        });
    }
    for e in epci {
        let kind = match e.kind.as_str() {
            "CC" => EntryKind::Cc,
            "CA" => EntryKind::Ca,
            "CU" => EntryKind::Cu,
            "METRO" => EntryKind::Metropole,
            "MET69" => EntryKind::MetropoleLyon,
            _ => continue,
        };
        entries.push(Entry {
            siren: e.code.clone(),
            siret: None,
            name: e.nom,
            kind,
            code: e.code,
            departement: None,
            population: e.population,
        });
    }
    // The établissements publics territoriaux of the Grand Paris (from
    // version 6 of the package; an older copy has none).
    let ept_file = dir.join("ept.json");
    if ept_file.is_file() {
        let ept: Vec<EpciRow> = read_json(&ept_file)?;
        entries.extend(ept.into_iter().filter(|e| e.kind == "EPT").map(|e| Entry {
            siren: e.code.clone(),
            siret: None,
            name: e.nom,
            kind: EntryKind::Ept,
            code: e.code,
            departement: None,
            population: e.population,
        }));
    }
    // One entry per SIREN (the first wins).
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.siren.clone()));
    Ok(entries)
}

/// Imports the package's data into the database; returns the entry count.
pub async fn import(db: &Db, dir: &Path) -> Result<usize, DirectoryError> {
    let entries = parse_package(dir)?;
    Ok(db::directory::replace_all(db, &entries, db::now_ms()).await?)
}

/// Loads the index from the database; when the table is empty and the package
/// data is present, imports it first.
pub async fn load(db: &Db, data_dir: &Path) -> Result<Index, DirectoryError> {
    if db::directory::count(db).await? == 0 {
        if data_dir.join("communes.json").is_file() {
            let n = import(db, data_dir).await?;
            tracing::info!(
                entries = n,
                "annuaire importé depuis {}",
                data_dir.display()
            );
        } else {
            tracing::warn!(
                "annuaire vide et données absentes de {} : la recherche par nom ne trouvera rien",
                data_dir.display()
            );
        }
    }
    Ok(Index::new(db::directory::load_all(db).await?))
}

/// What the wizard learns about an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationInfo {
    pub siren: String,
    pub name: String,
    pub kind: EntryKind,
    pub legal_category: String,
    pub legal_category_label: String,
    pub departement: Option<String>,
    pub population: Option<i64>,
    pub eligibility: Eligibility,
    pub eligibility_message: String,
}

impl OrganisationInfo {
    pub fn from_entry(entry: &Entry) -> OrganisationInfo {
        let code = entry.kind.legal_category();
        let category = LegalCategory::from_code(code).unwrap_or(LegalCategory {
            code: code.to_owned(),
            label: String::new(),
        });
        // The offline data lists bodies that exist today: active.
        let eligibility = Eligibility::of(&category, true);
        OrganisationInfo {
            siren: entry.siren.clone(),
            name: entry.name.clone(),
            kind: entry.kind,
            legal_category: category.code,
            legal_category_label: category.label,
            departement: entry.departement.clone(),
            population: entry.population,
            eligibility_message: eligibility.message().to_owned(),
            eligibility,
        }
    }
}

/// What the directories say of a SIRET: the offline index first, then the
/// online search when it is configured. The one place a SIRET is resolved
/// (the wizard's lookup, the public endpoint, and every save and submission,
/// whose check the instructor reads).
pub enum Resolved<'a> {
    Offline(&'a Entry),
    Online(online::OnlineOrganisation),
    NotFound,
    /// The online search failed (its error, for the logs).
    Unavailable(String),
}

pub async fn resolve<'a>(
    index: &'a Index,
    online: Option<&online::OnlineDirectory>,
    siret: &crate::domain::siret::Siret,
) -> Resolved<'a> {
    if let Some(entry) = index.get(siret.siren()) {
        return Resolved::Offline(entry);
    }
    match online {
        None => Resolved::NotFound,
        Some(online) => match online.lookup(siret).await {
            Ok(Some(org)) => Resolved::Online(org),
            Ok(None) => Resolved::NotFound,
            Err(e) => {
                tracing::warn!(error = %e, "online directory");
                Resolved::Unavailable(e.to_string())
            }
        },
    }
}

impl Resolved<'_> {
    /// The check kept with a request for this SIRET.
    pub fn check(&self, siret: &crate::domain::siret::Siret) -> OrganisationCheck {
        let siret = siret.as_str().to_owned();
        match self {
            Resolved::Offline(entry) => OrganisationCheck::Found {
                source: DirectorySource::Offline,
                siret,
                name: entry.name.clone(),
                legal_category: entry.kind.legal_category().to_owned(),
                active: true,
            },
            Resolved::Online(org) => OrganisationCheck::Found {
                source: DirectorySource::Online,
                siret,
                name: org.name.clone(),
                legal_category: org.legal_category.clone(),
                active: org.active,
            },
            Resolved::NotFound => OrganisationCheck::NotFound { siret },
            Resolved::Unavailable(_) => OrganisationCheck::Unavailable { siret },
        }
    }
}

/// The check of the SIRET typed in `typed`, reusing `earlier` when it was
/// made for the same SIRET and a directory answered then (autosaves do not
/// ask the online search each time). `None` when the SIRET is not valid.
pub async fn check_siret(
    index: &Index,
    online: Option<&online::OnlineDirectory>,
    typed: &str,
    earlier: Option<&OrganisationCheck>,
) -> Option<OrganisationCheck> {
    let siret = crate::domain::siret::Siret::parse(typed).ok()?;
    if let Some(e) = earlier
        && e.siret() == siret.as_str()
        && !matches!(e, OrganisationCheck::Unavailable { .. })
    {
        return Some(e.clone());
    }
    Some(resolve(index, online, &siret).await.check(&siret))
}

/// One organisation a name search found.
pub enum Hit<'a> {
    Offline(&'a Entry),
    Online(online::OnlineOrganisation),
}

/// Whether the online search took part in a name search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnlineStatus {
    /// Not configured.
    Off,
    Answered,
    Unavailable,
}

/// What a name search found.
pub struct Found<'a> {
    pub hits: Vec<Hit<'a>>,
    pub online: OnlineStatus,
}

/// Up to `limit` organisations for a query already checked by
/// `domain::organisation::search_query`: a 9- or 14-digit query looks the
/// SIREN/SIRET up; words search the offline index by name, then the online
/// search adds the bodies the index lacks (each SIREN once), public-law
/// legal categories first; offline names missing words of the query come
/// after the public bodies found online. The one search behind the public
/// endpoint and the wizard.
pub async fn search<'a>(
    index: &'a Index,
    online: Option<&online::OnlineDirectory>,
    q: &str,
    limit: usize,
) -> Found<'a> {
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    // Whether the offline hits hold every word of the query: "chu nantes"
    // answered with the commune of Nantes does not.
    let mut complete = true;
    let mut hits: Vec<Hit<'a>> = if compact.chars().all(|c| c.is_ascii_digit()) {
        let siren = match compact.len() {
            14 => crate::domain::siret::Siret::parse(&compact)
                .ok()
                .map(|s| s.siren().to_owned()),
            9 => crate::domain::siret::Siren::parse(&compact)
                .ok()
                .map(|s| s.as_str().to_owned()),
            _ => None,
        };
        siren
            .and_then(|s| index.get(&s))
            .map(Hit::Offline)
            .into_iter()
            .collect()
    } else {
        let (entries, all_words) = index.search_matching(q, limit);
        complete = all_words;
        entries.into_iter().map(Hit::Offline).collect()
    };
    let Some(online) = online else {
        return Found {
            hits,
            online: OnlineStatus::Off,
        };
    };
    match online.search(q).await {
        Ok(mut found) => {
            let public_law = |o: &online::OnlineOrganisation| {
                LegalCategory::from_code(&o.legal_category).is_some_and(|c| c.is_public_law())
            };
            // Stable: the online order is kept within each group.
            found.sort_by_key(|o| !public_law(o));
            found.retain(|o| !hits.iter().any(|h| h.siren() == o.siren));
            // Offline names that miss words of the query come after the
            // public bodies found online (the CHU before the commune), and
            // before the others.
            let split = if complete { hits.len() } else { 0 };
            let partial = hits.split_off(split);
            let (public, others): (Vec<_>, Vec<_>) = found.into_iter().partition(public_law);
            hits.extend(public.into_iter().map(Hit::Online));
            hits.extend(partial);
            hits.extend(others.into_iter().map(Hit::Online));
            hits.truncate(limit);
            Found {
                hits,
                online: OnlineStatus::Answered,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "online directory");
            Found {
                hits,
                online: OnlineStatus::Unavailable,
            }
        }
    }
}

impl Hit<'_> {
    pub fn siren(&self) -> &str {
        match self {
            Hit::Offline(e) => &e.siren,
            Hit::Online(o) => &o.siren,
        }
    }
}
