//! INSEE legal categories (catégories juridiques) and the eligibility they
//! imply. The table is data (`data/categories_juridiques.tsv`, code and label
//! of the INSEE nomenclature, level III); rules live in `eligibility`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("data/categories_juridiques.tsv");

static CATEGORIES: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(code, label)| (code.trim(), label.trim()))
        .collect()
});

/// Labels of the first level of the nomenclature (first digit).
fn division_label(first: char) -> Option<&'static str> {
    Some(match first {
        '1' => "Entrepreneur individuel",
        '2' => "Groupement de droit privé non doté de la personnalité morale",
        '3' => "Personne morale de droit étranger",
        '4' => "Personne morale de droit public soumise au droit commercial",
        '5' => "Société commerciale",
        '6' => "Autre personne morale immatriculée au RCS",
        '7' => "Personne morale et organisme soumis au droit administratif",
        '8' => "Organisme privé spécialisé",
        '9' => "Groupement de droit privé",
        _ => return None,
    })
}

/// A legal category code (4 digits) with its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalCategory {
    pub code: String,
    pub label: String,
}

impl LegalCategory {
    /// Looks a code up; unknown but well-formed codes get their division's
    /// label. `None` when the code is not 4 digits.
    pub fn from_code(code: &str) -> Option<LegalCategory> {
        let code = code.trim();
        if code.len() != 4 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let label = match CATEGORIES.get(code) {
            Some(label) => (*label).to_owned(),
            None => {
                let first = code.chars().next()?;
                format!("{} (catégorie {code})", division_label(first)?)
            }
        };
        Some(LegalCategory {
            code: code.to_owned(),
            label,
        })
    }

    /// Public-law entities (7xxx) are eligible as such.
    pub fn is_public_law(&self) -> bool {
        self.code.starts_with('7')
    }

    /// Every code of the table, in order.
    pub fn all() -> impl Iterator<Item = LegalCategory> {
        CATEGORIES.iter().map(|(code, label)| LegalCategory {
            code: (*code).to_owned(),
            label: (*label).to_owned(),
        })
    }
}

/// Whether an organisation may apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Eligibility {
    /// A public-law entity: eligible as such.
    Eligible,
    /// Not public law: eligible only with a justification of its public-service
    /// mission, judged by the instructor.
    NeedsJustification,
    /// Cannot apply (closed organisation, unknown category).
    NotEligible { reason: NotEligibleReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEligibleReason {
    /// État administratif "F" (fermé).
    Closed,
}

impl Eligibility {
    /// Eligibility from the legal category and the administrative state.
    pub fn of(category: &LegalCategory, active: bool) -> Eligibility {
        if !active {
            Eligibility::NotEligible {
                reason: NotEligibleReason::Closed,
            }
        } else if category.is_public_law() {
            Eligibility::Eligible
        } else {
            Eligibility::NeedsJustification
        }
    }

    /// A French explanation for the applicant.
    pub fn message(&self) -> &'static str {
        match self {
            Eligibility::Eligible => {
                "Votre organisation est une personne morale de droit public : elle peut demander un accès."
            }
            Eligibility::NeedsJustification => {
                "Votre organisation n’est pas une personne morale de droit public : décrivez la mission \
                 de service public qui lui est confiée ; l’instructeur jugera de votre éligibilité."
            }
            Eligibility::NotEligible {
                reason: NotEligibleReason::Closed,
            } => {
                "Cette organisation est fermée (état administratif « cessé ») : elle ne peut pas demander d’accès."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        let all: Vec<_> = LegalCategory::all().collect();
        assert!(all.len() >= 100, "{} categories", all.len());
        for c in &all {
            assert_eq!(c.code.len(), 4, "{c:?}");
            assert!(c.code.chars().all(|ch| ch.is_ascii_digit()), "{c:?}");
            assert!(!c.label.is_empty());
        }
        // Every 7xxx code of the table is public law; no other is.
        assert!(all.iter().filter(|c| c.is_public_law()).count() >= 60);
    }

    #[test]
    fn known_codes_have_their_labels() {
        let commune = LegalCategory::from_code("7210").expect("known");
        assert_eq!(commune.label, "Commune et commune nouvelle");
        let cc = LegalCategory::from_code("7346").expect("known");
        assert_eq!(cc.label, "Communauté de communes");
        assert_eq!(
            LegalCategory::from_code("7230").map(|c| c.label),
            Some("Région".into())
        );
        assert_eq!(
            LegalCategory::from_code("5710").map(|c| c.label),
            Some("SAS, société par actions simplifiée".into())
        );
    }

    #[test]
    fn unknown_codes_fall_back_to_their_division() {
        let c = LegalCategory::from_code("5998").expect("well formed");
        assert_eq!(c.label, "Société commerciale (catégorie 5998)");
        assert!(LegalCategory::from_code("0000").is_none());
        assert!(LegalCategory::from_code("72100").is_none());
        assert!(LegalCategory::from_code("72a0").is_none());
        assert!(LegalCategory::from_code("").is_none());
    }

    #[test]
    fn eligibility_rules() {
        let commune = LegalCategory::from_code("7210").expect("known");
        let sas = LegalCategory::from_code("5710").expect("known");
        let epic = LegalCategory::from_code("4110").expect("known");
        assert_eq!(Eligibility::of(&commune, true), Eligibility::Eligible);
        assert_eq!(Eligibility::of(&sas, true), Eligibility::NeedsJustification);
        assert_eq!(
            Eligibility::of(&epic, true),
            Eligibility::NeedsJustification
        );
        for c in [&commune, &sas, &epic] {
            assert_eq!(
                Eligibility::of(c, false),
                Eligibility::NotEligible {
                    reason: NotEligibleReason::Closed
                }
            );
        }
        let json = serde_json::to_string(&Eligibility::of(&commune, false)).expect("json");
        assert_eq!(json, r#"{"status":"not_eligible","reason":"closed"}"#);
    }
}
