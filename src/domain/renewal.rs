//! Rules of an authorisation's renewal: in its last 90 days, a person of
//! its token (its request's applicant or technical contact) extends it by
//! 18 months once they have confirmed that its purpose, its contacts and
//! its data are still right (what changed goes through an update instead).
//! Sensitive scopes without a call for 90 days are proposed for removal;
//! removing a scope narrows the authorisation, so it needs no instruction.

use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// An authorisation's validity: 18 months (548 days), from its grant and
/// from each renewal.
pub const LIFETIME_MS: i64 = 548 * DAY_MS;

/// Renewal opens this many days before expiry.
pub const WINDOW_DAYS: i64 = 90;

/// Whether an authorisation expiring at `expires_at` may be renewed at
/// `now`: in its last 90 days, not revoked, not expired.
pub fn open(revoked: bool, expires_at: i64, now: i64) -> bool {
    !revoked && expires_at > now && expires_at - now <= WINDOW_DAYS * DAY_MS
}

/// The expiry after a renewal: 18 months more, from the current expiry
/// (renewing early loses no day).
pub fn extended(expires_at: i64) -> i64 {
    expires_at + LIFETIME_MS
}

/// What the person confirms before the authorisation is extended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Check {
    /// The purpose (business context and end users) is unchanged.
    pub purpose: bool,
    /// The contacts (DPO, controller, business, technical) are right.
    pub contacts: bool,
    /// Every data scope kept is still needed.
    pub data: bool,
}

impl Check {
    /// The first point not confirmed: its field and a French message.
    pub fn missing(&self) -> Option<(&'static str, &'static str)> {
        if !self.purpose {
            return Some((
                "check.purpose",
                "Confirmez que l’objet de l’habilitation n’a pas changé, ou demandez une mise à \
                 jour.",
            ));
        }
        if !self.contacts {
            return Some((
                "check.contacts",
                "Confirmez que les contacts sont à jour, ou demandez une mise à jour.",
            ));
        }
        if !self.data {
            return Some((
                "check.data",
                "Confirmez que les données conservées sont toujours nécessaires.",
            ));
        }
        None
    }
}

/// Why a removal asked at renewal is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemovalError {
    /// Not a sensitive scope of this authorisation.
    NotRemovable(String),
    /// Every scope would go: revoking is the way to end an authorisation.
    Nothing,
}

impl RemovalError {
    /// Its French message.
    pub fn message(&self) -> String {
        match self {
            RemovalError::NotRemovable(scope) => format!(
                "« {} » n’est pas une donnée sensible de cette habilitation : elle ne peut pas \
                 être retirée au renouvellement.",
                super::scopes::find(scope).map_or(scope.as_str(), |s| s.label.as_str())
            ),
            RemovalError::Nothing => "Gardez au moins une donnée : pour mettre fin à \
                                      l’habilitation, ne la renouvelez pas."
                .to_owned(),
        }
    }
}

/// The scopes kept when `remove` is taken out of `scopes`: only sensitive
/// scopes the authorisation has may be removed, and at least one scope
/// stays. Order is kept; a scope named twice is removed once.
pub fn kept(scopes: &[String], remove: &[String]) -> Result<Vec<String>, RemovalError> {
    for r in remove {
        let sensitive = super::scopes::find(r).is_some_and(|s| s.sensitive);
        if !sensitive || !scopes.contains(r) {
            return Err(RemovalError::NotRemovable(r.clone()));
        }
    }
    let kept: Vec<String> = scopes
        .iter()
        .filter(|s| !remove.contains(s))
        .cloned()
        .collect();
    if kept.is_empty() {
        return Err(RemovalError::Nothing);
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensitive() -> String {
        crate::domain::scopes::catalogue()
            .iter()
            .find(|s| s.sensitive)
            .expect("a sensitive scope")
            .value
            .clone()
    }

    #[test]
    fn open_in_the_last_ninety_days_only() {
        let now = 1_000 * DAY_MS;
        assert!(!open(false, now + 91 * DAY_MS, now));
        assert!(open(false, now + 90 * DAY_MS, now));
        assert!(open(false, now + 1, now));
        assert!(!open(false, now, now), "expired");
        assert!(!open(true, now + DAY_MS, now), "revoked");
        assert_eq!(extended(now), now + 548 * DAY_MS);
    }

    #[test]
    fn every_point_must_be_confirmed() {
        let all = Check {
            purpose: true,
            contacts: true,
            data: true,
        };
        assert_eq!(all.missing(), None);
        assert_eq!(
            Check {
                purpose: false,
                ..all
            }
            .missing()
            .map(|m| m.0),
            Some("check.purpose")
        );
        assert_eq!(
            Check {
                contacts: false,
                ..all
            }
            .missing()
            .map(|m| m.0),
            Some("check.contacts")
        );
        assert_eq!(
            Check { data: false, ..all }.missing().map(|m| m.0),
            Some("check.data")
        );
    }

    #[test]
    fn only_sensitive_scopes_of_the_authorisation_go_and_one_stays() {
        let s = sensitive();
        let scopes = vec!["open_data".to_owned(), s.clone()];
        assert_eq!(kept(&scopes, &[]), Ok(scopes.clone()));
        assert_eq!(
            kept(&scopes, std::slice::from_ref(&s)),
            Ok(vec!["open_data".to_owned()])
        );
        assert_eq!(
            kept(&scopes, &["open_data".to_owned()]),
            Err(RemovalError::NotRemovable("open_data".to_owned()))
        );
        assert!(matches!(
            kept(&["open_data".to_owned()], std::slice::from_ref(&s)),
            Err(RemovalError::NotRemovable(_))
        ));
        assert_eq!(
            kept(std::slice::from_ref(&s), std::slice::from_ref(&s)),
            Err(RemovalError::Nothing)
        );
        assert!(RemovalError::Nothing.message().contains("au moins une"));
    }
}
