//! An organisation's identity as the server's directory knows it, against
//! what the applicant typed (a claim). Eligibility is always judged on the
//! server's side; an organisation no directory knows may still apply, with
//! a justification, and is flagged for the instructor.

use super::legal_category::{Eligibility, LegalCategory};
use serde::{Deserialize, Serialize};

/// Which directory answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectorySource {
    /// The offline index: communes, EPCI, régions, départements and
    /// collectivités à statut particulier.
    Offline,
    /// The online company search (Sirene).
    Online,
}

impl DirectorySource {
    /// How the instructor reads it.
    pub fn label(self) -> &'static str {
        match self {
            DirectorySource::Offline => "annuaire des collectivités",
            DirectorySource::Online => "recherche d’entreprises, Sirene",
        }
    }
}

/// What the server found for a SIRET, on save and on submit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OrganisationCheck {
    /// A directory knows it: this is its identity.
    Found {
        source: DirectorySource,
        /// Digits only.
        siret: String,
        name: String,
        legal_category: String,
        active: bool,
    },
    /// No directory knows this SIRET.
    NotFound { siret: String },
    /// The online search could not answer (timeout, error).
    Unavailable { siret: String },
}

impl OrganisationCheck {
    /// The SIRET checked (digits only).
    pub fn siret(&self) -> &str {
        match self {
            OrganisationCheck::Found { siret, .. }
            | OrganisationCheck::NotFound { siret }
            | OrganisationCheck::Unavailable { siret } => siret,
        }
    }

    /// The eligibility the directory's identity implies; `None` when no
    /// directory answered (the instructor judges from the justification).
    pub fn eligibility(&self) -> Option<Eligibility> {
        match self {
            OrganisationCheck::Found {
                legal_category,
                active,
                ..
            } => LegalCategory::from_code(legal_category).map(|c| Eligibility::of(&c, *active)),
            _ => None,
        }
    }

    /// Whether the instructor must check the organisation by hand.
    pub fn to_verify(&self) -> bool {
        self.eligibility().is_none()
    }

    /// One line for the instructor: where the identity comes from.
    pub fn verdict(&self) -> String {
        match self {
            OrganisationCheck::Found { source, .. } => {
                format!("Vérifié dans l’annuaire ({})", source.label())
            }
            OrganisationCheck::NotFound { .. } => {
                "Non trouvé dans l’annuaire : à vérifier".to_owned()
            }
            OrganisationCheck::Unavailable { .. } => {
                "Annuaire injoignable lors du dépôt : à vérifier".to_owned()
            }
        }
    }

    /// What the instructor reads about eligibility.
    pub fn eligibility_message(&self) -> String {
        match self.eligibility() {
            Some(Eligibility::Eligible) => {
                "Personne morale de droit public selon l’annuaire : elle peut demander un accès."
                    .to_owned()
            }
            Some(Eligibility::NeedsJustification) => {
                "Pas une personne morale de droit public selon l’annuaire : éligible seulement \
                 pour une mission de service public, à juger sur la justification."
                    .to_owned()
            }
            Some(e @ Eligibility::NotEligible { .. }) => e.message().to_owned(),
            None => "Organisation inconnue de l’annuaire : son éligibilité est à vérifier sur \
                     la justification et auprès de l’INSEE (Sirene)."
                .to_owned(),
        }
    }
}

impl super::request::Organisation {
    /// The organisation as the server knows it: the directory's name,
    /// category and state when it knows the SIRET; otherwise what was typed,
    /// without any category (so the request needs a justification).
    pub fn as_checked(&self, check: &OrganisationCheck) -> super::request::Organisation {
        let mut o = self.clone();
        match check {
            OrganisationCheck::Found {
                name,
                legal_category,
                active,
                ..
            } => {
                o.name = name.clone();
                o.legal_category = legal_category.clone();
                o.active = Some(*active);
            }
            OrganisationCheck::NotFound { .. } | OrganisationCheck::Unavailable { .. } => {
                o.legal_category.clear();
                o.active = None;
            }
        }
        o
    }
}

/// Longest name search accepted, in characters.
pub const SEARCH_MAX_CHARS: usize = 100;

/// Why a name search is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchRefusal {
    /// Control characters or bytes that were not UTF-8.
    Invalid,
    TooShort,
    TooLong,
}

impl SearchRefusal {
    pub fn code(self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode;
        match self {
            SearchRefusal::Invalid => ErrorCode::InvalidQuery,
            SearchRefusal::TooShort => ErrorCode::QueryTooShort,
            SearchRefusal::TooLong => ErrorCode::QueryTooLong,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SearchRefusal::Invalid => "La recherche contient des caractères invalides.",
            SearchRefusal::TooShort => {
                "Saisissez au moins 2 caractères du nom de votre organisation, ou son SIRET."
            }
            SearchRefusal::TooLong => "La recherche est limitée à 100 caractères.",
        }
    }
}

/// The query of a search for an organisation by name or number, trimmed, or
/// why it is refused.
pub fn search_query(q: &str) -> Result<&str, SearchRefusal> {
    let q = q.trim();
    if q.contains('\u{FFFD}') || q.chars().any(char::is_control) {
        return Err(SearchRefusal::Invalid);
    }
    match q.chars().count() {
        0..2 => Err(SearchRefusal::TooShort),
        n if n > SEARCH_MAX_CHARS => Err(SearchRefusal::TooLong),
        _ => Ok(q),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{RequestData, Step};

    fn found(category: &str, active: bool) -> OrganisationCheck {
        OrganisationCheck::Found {
            source: DirectorySource::Online,
            siret: "55203253400646".into(),
            name: "DANONE".into(),
            legal_category: category.into(),
            active,
        }
    }

    #[test]
    fn the_directory_not_the_claim_decides() {
        // A company claimed as a commune.
        let mut r = RequestData::example();
        r.organisation.siret = "552 032 534 00646".into();
        r.organisation.name = "Mairie de Danone".into();
        r.organisation.legal_category = "7210".into();
        r.organisation.justification.clear();
        let mut checked = r.clone();
        checked.organisation = r.organisation.as_checked(&found("5599", true));
        assert_eq!(checked.organisation.name, "DANONE");
        let errors = checked.validate_step(Step::Organisation);
        assert_eq!(errors[0].field, "organisation.justification", "{errors:?}");
        assert_eq!(
            found("5599", true).eligibility(),
            Some(Eligibility::NeedsJustification)
        );
        // Closed: refused whatever is claimed.
        checked.organisation = r.organisation.as_checked(&found("7210", false));
        let errors = checked.validate_step(Step::Organisation);
        assert!(errors[0].message.contains("fermée"), "{errors:?}");
    }

    #[test]
    fn an_unknown_organisation_applies_with_a_justification() {
        let mut r = RequestData::example();
        let unknown = OrganisationCheck::NotFound {
            siret: "20005379100014".into(),
        };
        r.organisation = r.organisation.as_checked(&unknown);
        assert!(r.organisation.legal_category.is_empty());
        assert_eq!(
            r.validate_step(Step::Organisation)
                .iter()
                .map(|e| e.field.as_str())
                .collect::<Vec<_>>(),
            ["organisation.justification"]
        );
        r.organisation.justification = "Région : collectivité territoriale.".into();
        assert!(r.validate_step(Step::Organisation).is_empty());
        assert!(unknown.to_verify());
        assert_eq!(unknown.verdict(), "Non trouvé dans l’annuaire : à vérifier");
        assert!(!found("7230", true).to_verify());
        assert!(
            found("7230", true)
                .verdict()
                .starts_with("Vérifié dans l’annuaire")
        );
    }

    #[test]
    fn stored_as_tagged_json() {
        let json = serde_json::to_string(&OrganisationCheck::NotFound { siret: "1".into() })
            .expect("json");
        assert_eq!(json, r#"{"status":"not_found","siret":"1"}"#);
    }

    #[test]
    fn a_search_query_is_trimmed_or_refused_in_french() {
        assert_eq!(
            super::search_query("  région occitanie "),
            Ok("région occitanie")
        );
        assert_eq!(super::search_query("Ô é"), Ok("Ô é"));
        assert_eq!(
            super::search_query(" a "),
            Err(super::SearchRefusal::TooShort)
        );
        assert_eq!(
            super::search_query("a\u{0}b"),
            Err(super::SearchRefusal::Invalid)
        );
        assert_eq!(
            super::search_query("a\u{FFFD}b"),
            Err(super::SearchRefusal::Invalid)
        );
        assert_eq!(super::search_query(&"é".repeat(100)).map(str::len), Ok(200));
        assert_eq!(
            super::search_query(&"é".repeat(101)),
            Err(super::SearchRefusal::TooLong)
        );
        assert!(
            super::SearchRefusal::TooShort
                .message()
                .starts_with("Saisissez au moins 2")
        );
    }
}
