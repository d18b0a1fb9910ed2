//! A token's API usage as its people see it, and when its integration is
//! failing.

use serde::{Deserialize, Serialize};

/// The three windows of the client space, in minutes: 10 minutes, 30 hours,
/// 8 days.
pub const WINDOWS_MINUTES: [i64; 3] = [10, 30 * 60, 8 * 24 * 60];

/// Counters older than this are deleted (minutes): the longest window and
/// a day more.
pub const KEPT_MINUTES: i64 = 9 * 24 * 60;

/// What an answer was, for its people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// 2xx: data answered.
    Answered,
    /// 404 and the like: the call was right, the entity unknown.
    NotFound,
    /// 401, 403, 422, 429: refused by Guichet's checks.
    Refused,
    /// 5xx: the provider (or Guichet) failed.
    Failed,
    /// Counted before outcomes were kept (status 0).
    Unknown,
}

impl Outcome {
    pub fn of(status: i32) -> Outcome {
        match status {
            0 => Outcome::Unknown,
            200..=299 => Outcome::Answered,
            401 | 403 | 422 | 429 => Outcome::Refused,
            500.. => Outcome::Failed,
            _ => Outcome::NotFound,
        }
    }
}

/// The refusals that mean a token that worked stopped working, with what
/// they mean and what to do, in French.
pub const FAILING_CODES: [(&str, &str, &str); 4] = [
    (
        "00103",
        "jeton expiré",
        "Prolongez l’habilitation depuis votre espace (« Vérifier et prolonger de 18 mois ») ou \
         faites une nouvelle demande.",
    ),
    (
        "00105",
        "jeton révoqué ou remplacé",
        "Déployez le jeton affiché dans votre espace : l’ancien a été révoqué ou remplacé.",
    ),
    (
        "00100",
        "données hors de l’habilitation",
        "Vérifiez les droits du jeton avec GET /privileges ; si ces données sont nécessaires, \
         demandez une mise à jour de l’habilitation depuis votre espace.",
    ),
    (
        "00429",
        "trop d’appels par minute",
        "Réduisez la cadence des appels (en-têtes RateLimit-Remaining et Retry-After) ou \
         mettez en cache les réponses.",
    ),
];

/// What an answer's code means, in French, for the usage tables.
pub fn code_label(status: i32, code: &str) -> String {
    let known = match code {
        "00100" => Some("données hors des droits du jeton"),
        "00101" => Some("jeton invalide"),
        "00103" => Some("jeton expiré"),
        "00105" => Some("jeton révoqué ou remplacé"),
        "00429" => Some("trop d’appels par minute"),
        "00201" | "00202" | "00203" | "00210" => Some("paramètre context, object ou recipient"),
        "00501" => Some("erreur réseau"),
        _ => None,
    };
    match (known, status) {
        (Some(label), _) => label.to_owned(),
        (None, 422) => "paramètre mal formé".to_owned(),
        (None, 404) => "entité non trouvée".to_owned(),
        (None, 0) => "appels comptés avant le détail par réponse".to_owned(),
        (None, s) if s >= 500 => "erreur du fournisseur de données".to_owned(),
        (None, s) => format!("réponse {s}"),
    }
}

/// Refusals within `ALERT_WINDOW_MINUTES` from which a token's technical
/// contact is told.
pub const ALERT_THRESHOLD: i64 = 20;
/// The window the refusals are counted over, in minutes.
pub const ALERT_WINDOW_MINUTES: i64 = 60;
/// One alert per token at most in this time (milliseconds).
pub const ALERT_EVERY_MS: i64 = 24 * 3_600_000;

/// The label of a failing code.
pub fn failing_label(code: &str) -> Option<&'static str> {
    FAILING_CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, label, _)| *label)
}

/// Whether a token's refusals (per failing code) call for an alert, given
/// that it answered data before: the token used to work and now fails.
pub fn failing(refusals: &[(String, i64)], answered_before: i64) -> bool {
    answered_before > 0 && refusals.iter().map(|(_, n)| n).sum::<i64>() >= ALERT_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        assert_eq!(Outcome::of(200), Outcome::Answered);
        assert_eq!(Outcome::of(404), Outcome::NotFound);
        assert_eq!(Outcome::of(451), Outcome::NotFound);
        assert_eq!(Outcome::of(429), Outcome::Refused);
        assert_eq!(Outcome::of(422), Outcome::Refused);
        assert_eq!(Outcome::of(504), Outcome::Failed);
        assert_eq!(Outcome::of(0), Outcome::Unknown);
    }

    #[test]
    fn an_alert_needs_a_token_that_worked_and_enough_refusals() {
        let refusals = vec![("00103".to_owned(), 15), ("00429".to_owned(), 5)];
        assert!(failing(&refusals, 1));
        assert!(!failing(&refusals, 0));
        assert!(!failing(&refusals[..1], 1));
        assert_eq!(failing_label("00105"), Some("jeton révoqué ou remplacé"));
        assert_eq!(failing_label("01003"), None);
    }
}
