//! The in-memory search index of public bodies: name search with accents,
//! case and punctuation folded, and lookup by SIREN.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What kind of public body an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Commune,
    /// Commune déléguée or associée.
    CommuneDeleguee,
    /// Communauté de communes.
    Cc,
    /// Communauté d'agglomération.
    Ca,
    /// Communauté urbaine.
    Cu,
    Metropole,
    /// The Métropole de Lyon, a territorial collectivity of its own kind.
    MetropoleLyon,
    /// Établissement public territorial of the Métropole du Grand Paris
    /// (Plaine Commune, Paris Terres d'Envol…).
    Ept,
    Region,
    Departement,
    /// Collectivité territoriale à statut particulier (Corse, Guyane,
    /// Martinique).
    CollectiviteStatutParticulier,
}

impl EntryKind {
    /// The INSEE legal category each kind implies.
    pub fn legal_category(self) -> &'static str {
        match self {
            EntryKind::Commune => "7210",
            EntryKind::CommuneDeleguee => "7312",
            EntryKind::Cc => "7346",
            EntryKind::Ca => "7348",
            EntryKind::Cu => "7343",
            EntryKind::Metropole => "7344",
            EntryKind::MetropoleLyon => "7229",
            EntryKind::Ept => "7349",
            EntryKind::Region => "7230",
            EntryKind::Departement => "7220",
            EntryKind::CollectiviteStatutParticulier => "7225",
        }
    }

    /// Words of the names of this kind that say the kind, not which one
    /// ("Département — Gironde"): left out when ranking, so that "gironde"
    /// finds the département before Gironde-sur-Dropt.
    pub fn name_words(self) -> &'static [&'static str] {
        match self {
            EntryKind::Region => &["region"],
            EntryKind::Departement => &["departement"],
            EntryKind::CollectiviteStatutParticulier => {
                &["collectivite", "territoriale", "europeenne"]
            }
            _ => &[],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Commune => "commune",
            EntryKind::CommuneDeleguee => "commune_deleguee",
            EntryKind::Cc => "cc",
            EntryKind::Ca => "ca",
            EntryKind::Cu => "cu",
            EntryKind::Metropole => "metropole",
            EntryKind::MetropoleLyon => "metropole_lyon",
            EntryKind::Ept => "ept",
            EntryKind::Region => "region",
            EntryKind::Departement => "departement",
            EntryKind::CollectiviteStatutParticulier => "collectivite_statut_particulier",
        }
    }

    pub fn parse(value: &str) -> Option<EntryKind> {
        [
            EntryKind::Commune,
            EntryKind::CommuneDeleguee,
            EntryKind::Cc,
            EntryKind::Ca,
            EntryKind::Cu,
            EntryKind::Metropole,
            EntryKind::MetropoleLyon,
            EntryKind::Ept,
            EntryKind::Region,
            EntryKind::Departement,
            EntryKind::CollectiviteStatutParticulier,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }
}

/// One public body of the offline directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub siren: String,
    /// The head office's SIRET, where the source gives it (régions,
    /// départements, collectivités); communes and EPCI are known by SIREN only.
    pub siret: Option<String>,
    pub name: String,
    pub kind: EntryKind,
    /// INSEE code of the commune, or the EPCI's code.
    pub code: String,
    pub departement: Option<String>,
    pub population: Option<i64>,
}

/// Where an entry of the offline directory comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// npm `@etalab/decoupage-administratif`: communes, EPCI and the Grand
    /// Paris EPT, by SIREN.
    DecoupageAdministratif,
    /// `data/collectivites_siret.json`: head offices from the Sirene register.
    CollectivitesSirene,
}

impl Dataset {
    /// What the applicant and the instructor read about the source.
    pub fn label(self) -> &'static str {
        match self {
            Dataset::DecoupageAdministratif => "Découpage administratif (Etalab)",
            Dataset::CollectivitesSirene => "Registre Sirene (sièges des collectivités)",
        }
    }
}

impl Entry {
    pub fn dataset(&self) -> Dataset {
        match self.kind {
            EntryKind::Region
            | EntryKind::Departement
            | EntryKind::CollectiviteStatutParticulier => Dataset::CollectivitesSirene,
            _ => Dataset::DecoupageAdministratif,
        }
    }
}

/// Words that say what kind of body is meant but not which one.
const STOP_WORDS: &[&str] = &[
    "commune", "communes", "mairie", "ville", "de", "du", "des", "la", "le", "les", "l", "d", "et",
    "en", "sur", "sous", "a", "au", "aux",
];

/// Lowercases, removes accents and turns punctuation into spaces.
pub fn fold(text: &str) -> String {
    crate::server::db::instruction::fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// The folded words of a text, stop words removed.
pub fn tokens(text: &str) -> Vec<String> {
    fold(text)
        .split_whitespace()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// The régions, départements and collectivités à statut particulier, with
/// the SIRET of their head office (`data/collectivites_siret.json`, from the
/// Sirene register): built into every index.
const COLLECTIVITES: &str = include_str!("data/collectivites_siret.json");

#[derive(Deserialize)]
struct Collectivites {
    entries: Vec<Collectivite>,
}

#[derive(Deserialize)]
struct Collectivite {
    siret: String,
    siren: String,
    name: String,
    legal_category: String,
    code_insee: String,
}

/// The built-in entries (régions, départements, collectivités).
pub fn collectivites() -> Vec<Entry> {
    let parsed: Collectivites = match serde_json::from_str(COLLECTIVITES) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "collectivites_siret.json illisible");
            return Vec::new();
        }
    };
    parsed
        .entries
        .into_iter()
        .filter_map(|c| {
            let kind = match c.legal_category.as_str() {
                "7230" => EntryKind::Region,
                "7220" => EntryKind::Departement,
                "7225" => EntryKind::CollectiviteStatutParticulier,
                _ => return None,
            };
            Some(Entry {
                siret: Some(c.siret),
                siren: c.siren,
                name: c.name,
                kind,
                code: c.code_insee,
                departement: None,
                population: None,
            })
        })
        .collect()
}

/// The searchable directory.
#[derive(Debug)]
pub struct Index {
    entries: Vec<Entry>,
    words: Vec<Vec<String>>,
    by_siren: HashMap<String, usize>,
}

impl Default for Index {
    /// The built-in entries only.
    fn default() -> Index {
        Index::new(Vec::new())
    }
}

impl Index {
    /// `entries` and the built-in ones (an entry of `entries` wins over a
    /// built-in one of the same SIREN).
    pub fn new(mut entries: Vec<Entry>) -> Index {
        let given: std::collections::HashSet<String> =
            entries.iter().map(|e| e.siren.clone()).collect();
        entries.extend(
            collectivites()
                .into_iter()
                .filter(|e| !given.contains(&e.siren)),
        );
        let words = entries
            .iter()
            .map(|e| {
                fold(&e.name)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        let by_siren = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.siren.clone(), i))
            .collect();
        Index {
            entries,
            words,
            by_siren,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, siren: &str) -> Option<&Entry> {
        self.by_siren.get(siren).map(|i| &self.entries[*i])
    }

    /// Up to `limit` entries whose name holds the words of the query (each
    /// query word a prefix of a word of the name). When no name holds them
    /// all ("CHU Nantes": no commune is called CHU), the names holding the
    /// most of them are given, so the search answers with what the data has.
    /// Order: whole-word matches first, then exact names, names starting with
    /// the query, and the most populated.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Entry> {
        self.search_matching(query, limit).0
    }

    /// [`Index::search`], and whether the entries hold every word of the
    /// query (`false` for "CHU Nantes", answered with the commune).
    pub fn search_matching(&self, query: &str, limit: usize) -> (Vec<&Entry>, bool) {
        let wanted = tokens(query);
        if wanted.is_empty() || limit == 0 {
            return (Vec::new(), false);
        }
        // (matched words, whole words, index, matched mask)
        let mut best = 0usize;
        let mut hits: Vec<(usize, usize, usize, u64)> = Vec::new();
        for (i, words) in self.words.iter().enumerate() {
            let mut matched = 0;
            let mut whole = 0;
            let mut mask = 0u64;
            for (k, w) in wanted.iter().enumerate().take(64) {
                if words.iter().any(|n| n == w) {
                    matched += 1;
                    whole += 1;
                    mask |= 1 << k;
                } else if words.iter().any(|n| n.starts_with(w.as_str())) {
                    matched += 1;
                    mask |= 1 << k;
                }
            }
            if matched == 0 || matched < best {
                continue;
            }
            if matched > best {
                best = matched;
                hits.clear();
            }
            hits.push((matched, whole, i, mask));
        }
        let mut ranked: Vec<(std::cmp::Reverse<usize>, u8, i64, usize)> = hits
            .into_iter()
            .map(|(_, whole, i, mask)| {
                let joined: Vec<&str> = wanted
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| mask & (1 << k) != 0)
                    .map(|(_, w)| w.as_str())
                    .collect();
                let joined = joined.join(" ");
                let kind_words = self.entries[i].kind.name_words();
                let name: Vec<&str> = self.words[i]
                    .iter()
                    .map(String::as_str)
                    .filter(|w| !STOP_WORDS.contains(w) && !kind_words.contains(w))
                    .collect();
                let name = name.join(" ");
                let rank = if name == joined {
                    0
                } else if name.starts_with(&joined) {
                    1
                } else {
                    2
                };
                let population = self.entries[i].population.unwrap_or(0);
                (std::cmp::Reverse(whole), rank, -population, i)
            })
            .collect();
        ranked.sort_unstable();
        let entries = ranked
            .into_iter()
            .take(limit)
            .map(|(_, _, _, i)| &self.entries[i])
            .collect();
        (entries, best == wanted.len().min(64))
    }

    /// Approximate heap size of the index, in bytes (for the benchmarks).
    pub fn approximate_bytes(&self) -> usize {
        let entries: usize = self
            .entries
            .iter()
            .map(|e| {
                std::mem::size_of::<Entry>()
                    + e.siren.capacity()
                    + e.name.capacity()
                    + e.code.capacity()
                    + e.departement.as_ref().map_or(0, String::capacity)
            })
            .sum();
        let words: usize = self
            .words
            .iter()
            .map(|w| {
                std::mem::size_of::<Vec<String>>()
                    + w.iter()
                        .map(|s| std::mem::size_of::<String>() + s.capacity())
                        .sum::<usize>()
            })
            .sum();
        let map = self.by_siren.capacity() * (std::mem::size_of::<(String, usize)>() + 9 + 1);
        entries + words + map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(siren: &str, name: &str, kind: EntryKind, population: i64) -> Entry {
        Entry {
            siren: siren.into(),
            siret: None,
            name: name.into(),
            kind,
            code: String::new(),
            departement: None,
            population: Some(population),
        }
    }

    fn sample() -> Index {
        Index::new(vec![
            entry("217702844", "Meaux", EntryKind::Commune, 56_905),
            entry("200072130", "CA du Pays de Meaux", EntryKind::Ca, 110_000),
            entry("214401093", "Nantes", EntryKind::Commune, 320_000),
            entry(
                "244400404",
                "Nantes Métropole",
                EntryKind::Metropole,
                680_000,
            ),
            entry(
                "210100012",
                "L'Abergement-Clémenciat",
                EntryKind::Commune,
                860,
            ),
            entry(
                "215101404",
                "Saint-Étienne-à-Arnes",
                EntryKind::Commune,
                200,
            ),
        ])
    }

    #[test]
    fn folding_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Saint-Étienne-à-Arnes"), "saint etienne a arnes");
        assert_eq!(fold("L'Abergement-Clémenciat"), "l abergement clemenciat");
        assert_eq!(fold("ŒUVRE Ça"), "oeuvre ca");
        assert_eq!(tokens("Commune de Meaux"), vec!["meaux"]);
    }

    #[test]
    fn searches_as_people_type() {
        let idx = sample();
        let names =
            |q: &str| -> Vec<String> { idx.search(q, 20).iter().map(|e| e.name.clone()).collect() };
        assert_eq!(names("commune de meaux")[0], "Meaux");
        assert_eq!(names("Meaux"), vec!["Meaux", "CA du Pays de Meaux"]);
        assert_eq!(names("MEAUX")[0], "Meaux");
        assert_eq!(
            names("CHU Nantes"),
            vec!["Nantes", "Nantes Métropole"],
            "no name holds « chu »: answered with what the data has"
        );
        assert!(names("zzz qqq").is_empty());
        assert_eq!(names("nantes"), vec!["Nantes", "Nantes Métropole"]);
        assert_eq!(names("nant metro"), vec!["Nantes Métropole"]);
        assert_eq!(
            names("saint etienne a arnes"),
            vec!["Saint-Étienne-à-Arnes"]
        );
        assert_eq!(
            names("abergement clemenciat"),
            vec!["L'Abergement-Clémenciat"]
        );
        assert!(names("de la").is_empty(), "stop words alone match nothing");
        assert!(names("").is_empty());
        assert_eq!(idx.search("meaux", 1).len(), 1);
    }

    #[test]
    fn lookup_by_siren_and_legal_categories() {
        let idx = sample();
        assert_eq!(idx.get("217702844").map(|e| e.name.as_str()), Some("Meaux"));
        assert!(idx.get("000000000").is_none());
        assert_eq!(EntryKind::Commune.legal_category(), "7210");
        assert_eq!(EntryKind::Cc.legal_category(), "7346");
        for k in [EntryKind::Commune, EntryKind::Cc, EntryKind::MetropoleLyon] {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
            assert!(
                crate::domain::legal_category::LegalCategory::from_code(k.legal_category())
                    .is_some_and(|c| c.is_public_law())
            );
        }
        assert!(idx.approximate_bytes() > 0);
    }
}
