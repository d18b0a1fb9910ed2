//! The API Entreprise scope catalogue (`data/api_entreprise_scopes.json`, copied
//! from `../shared/data`): what an applicant may ask for, by group.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

const CATALOGUE_JSON: &str = include_str!("data/api_entreprise_scopes.json");

/// The single token scope that every `open_data_*` form scope becomes.
pub const OPEN_DATA_TOKEN_SCOPE: &str = "open_data";

/// One scope of the request form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub value: String,
    pub label: String,
    pub provider: String,
    pub group: String,
    pub sensitive: bool,
    pub open_data: bool,
    pub included_by_default: bool,
    pub doc: String,
}

#[derive(Deserialize)]
struct CatalogueFile {
    scopes: Vec<Scope>,
}

static CATALOGUE: LazyLock<Vec<Scope>> = LazyLock::new(|| {
    // The file is compiled in and checked by the tests below: an empty
    // catalogue here would mean a broken build, never a user's input.
    serde_json::from_str::<CatalogueFile>(CATALOGUE_JSON)
        .map(|f| f.scopes)
        .unwrap_or_default()
});

/// Every scope, in the catalogue's order.
pub fn catalogue() -> &'static [Scope] {
    &CATALOGUE
}

/// The scope with this value.
pub fn find(value: &str) -> Option<&'static Scope> {
    CATALOGUE.iter().find(|s| s.value == value)
}

/// The groups, in the order they first appear, each with its scopes.
pub fn groups() -> Vec<(&'static str, Vec<&'static Scope>)> {
    let mut groups: Vec<(&'static str, Vec<&'static Scope>)> = Vec::new();
    for scope in CATALOGUE.iter() {
        match groups.iter_mut().find(|(g, _)| *g == scope.group) {
            Some((_, scopes)) => scopes.push(scope),
            None => groups.push((scope.group.as_str(), vec![scope])),
        }
    }
    groups
}

/// The scopes ticked in a new request (`included_by_default`: the open-data ones).
pub fn default_selection() -> Vec<String> {
    CATALOGUE
        .iter()
        .filter(|s| s.included_by_default)
        .map(|s| s.value.clone())
        .collect()
}

/// The scopes a token carries for the accepted form scopes: every
/// `open_data_*` scope (by its value, as DOMAIN.md states the rule) becomes the
/// single `open_data`; unknown values are
/// dropped; the result is sorted and without duplicates.
pub fn token_scopes(accepted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = accepted
        .iter()
        .filter_map(|v| find(v))
        .map(|s| {
            if s.value.starts_with("open_data_") {
                OPEN_DATA_TOKEN_SCOPE.to_owned()
            } else {
                s.value.clone()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_the_domain_figures() {
        assert_eq!(catalogue().len(), 29);
        assert_eq!(catalogue().iter().filter(|s| s.sensitive).count(), 16);
        let names: Vec<&str> = groups().iter().map(|(g, _)| *g).collect();
        assert_eq!(
            names,
            [
                "Informations générales",
                "Informations financières",
                "Informations de régularité",
                "Certifications"
            ]
        );
        let total: usize = groups().iter().map(|(_, s)| s.len()).sum();
        assert_eq!(total, 29);
    }

    #[test]
    fn values_are_unique_and_open_data_is_consistent() {
        let mut values: Vec<&str> = catalogue().iter().map(|s| s.value.as_str()).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), 29);
        for s in catalogue() {
            // The flag implies the prefix (one scope, open_data_actes_bilans_inpi,
            // has the prefix without the flag in the published data).
            assert!(
                !s.open_data || s.value.starts_with("open_data_"),
                "{}",
                s.value
            );
            assert!(!(s.open_data && s.sensitive), "{}", s.value);
            assert!(!s.label.is_empty());
        }
    }

    #[test]
    fn default_selection_is_the_open_data_scopes() {
        let defaults = default_selection();
        assert!(!defaults.is_empty());
        for v in &defaults {
            assert!(
                find(v).is_some_and(|s| !s.sensitive && s.value.starts_with("open_data_")),
                "{v}"
            );
        }
    }

    #[test]
    fn open_data_scopes_become_one_token_scope() {
        let accepted = vec![
            "open_data_unites_legales_etablissements_insee".to_owned(),
            "open_data_extrait_rcs_infogreffe".to_owned(),
            "open_data_actes_bilans_inpi".to_owned(),
            "unites_legales_etablissements_insee".to_owned(),
            "inconnu".to_owned(),
        ];
        assert_eq!(
            token_scopes(&accepted),
            vec![
                "open_data".to_owned(),
                "unites_legales_etablissements_insee".to_owned()
            ]
        );
        assert!(token_scopes(&[]).is_empty());
    }
}
