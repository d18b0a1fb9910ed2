//! The states a request (dossier) goes through. The full state machine (actions,
//! roles, events) grows here; this file holds the states and their French labels.

use serde::{Deserialize, Serialize};

/// Every state of a request's lifecycle (see `../shared/DOMAIN.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Draft,
    Submitted,
    ChangesRequested,
    Accepted,
    Refused,
    Archived,
    Revoked,
}

impl RequestState {
    /// All states, in lifecycle order.
    pub const ALL: [RequestState; 7] = [
        RequestState::Draft,
        RequestState::Submitted,
        RequestState::ChangesRequested,
        RequestState::Accepted,
        RequestState::Refused,
        RequestState::Archived,
        RequestState::Revoked,
    ];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Submitted => "submitted",
            RequestState::ChangesRequested => "changes_requested",
            RequestState::Accepted => "accepted",
            RequestState::Refused => "refused",
            RequestState::Archived => "archived",
            RequestState::Revoked => "revoked",
        }
    }

    /// Parses the stored value; unknown values are `None`, never a panic.
    pub fn parse(value: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The French label of one request in this state (badges).
    pub fn label(self) -> &'static str {
        match self {
            RequestState::Draft => "Brouillon",
            RequestState::Submitted => "En cours d’instruction",
            RequestState::ChangesRequested => "Modifications demandées",
            RequestState::Accepted => "Validée",
            RequestState::Refused => "Refusée",
            RequestState::Archived => "Archivée",
            RequestState::Revoked => "Révoquée",
        }
    }

    /// The French label shown to users (plural form for counters).
    pub fn label_plural(self) -> &'static str {
        match self {
            RequestState::Draft => "Brouillons",
            RequestState::Submitted => "En cours d’instruction",
            RequestState::ChangesRequested => "Modifications demandées",
            RequestState::Accepted => "Validées",
            RequestState::Refused => "Refusées",
            RequestState::Archived => "Archivées",
            RequestState::Revoked => "Révoquées",
        }
    }
}

impl TryFrom<String> for RequestState {
    type Error = String;

    /// Reads a stored value (rows are decoded through this).
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RequestState::parse(&value).ok_or_else(|| format!("unknown request state {value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_stored_value() {
        for state in RequestState::ALL {
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn unknown_stored_value_is_rejected() {
        assert_eq!(RequestState::parse("DRAFT"), None);
        assert_eq!(RequestState::parse(""), None);
        assert_eq!(RequestState::parse("deleted"), None);
    }

    #[test]
    fn stored_values_match_serde_names() {
        for state in RequestState::ALL {
            let json = serde_json::to_string(&state).expect("serialisable");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn labels_are_distinct_and_french() {
        let mut labels: Vec<_> = RequestState::ALL.iter().map(|s| s.label_plural()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), RequestState::ALL.len());
    }
}
