//! Rules of an API token's strings: a rotation gives the same authorisation
//! a new string (a new `jti`) and keeps the old one accepted for a grace
//! period its holder chooses, so that a leaked string is replaced without
//! an outage.

use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;

/// How long the replaced string is still accepted after a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grace {
    /// Refused at once (a string known to be leaked).
    None,
    Day,
    Week,
    Month,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::Day, Grace::Week, Grace::Month];

    /// The value sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Grace::None => "aucun",
            Grace::Day => "24h",
            Grace::Week => "7j",
            Grace::Month => "30j",
        }
    }

    /// The grace of a form's value; anything else is `None` (the caller
    /// answers with a French error).
    pub fn parse(value: &str) -> Option<Grace> {
        Grace::ALL.into_iter().find(|g| g.as_str() == value.trim())
    }

    /// Its length in milliseconds.
    pub fn duration_ms(self) -> i64 {
        match self {
            Grace::None => 0,
            Grace::Day => 24 * HOUR_MS,
            Grace::Week => 7 * 24 * HOUR_MS,
            Grace::Month => 30 * 24 * HOUR_MS,
        }
    }

    /// Its French label (choices of the form, timeline, emails).
    pub fn label(self) -> &'static str {
        match self {
            Grace::None => "Aucun délai : l’ancien jeton est refusé immédiatement",
            Grace::Day => "24 heures",
            Grace::Week => "7 jours",
            Grace::Month => "30 jours",
        }
    }
}

/// When a string replaced at `now` with `grace` stops being accepted: never
/// after the authorisation's own expiry. (A string already in its grace
/// keeps the earlier of its end and this one: a rotation never lengthens a
/// grace; `db::spaces::rotate_in` applies it.)
pub fn grace_end(now: i64, grace: Grace, expires_at: i64) -> i64 {
    (now + grace.duration_ms()).min(expires_at)
}

/// Whether a string whose grace ends at `retired_at` (`None`: the current
/// string) is accepted at `now`.
pub fn string_accepted(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|end| now < end)
}

/// A scope unused this long is proposed for removal at renewal.
pub const UNUSED_AFTER_MS: i64 = 90 * 24 * HOUR_MS;

/// Whether a scope of a token granted at `granted_at` and last used at
/// `last_used_at` (`None`: never) has gone unused for 90 days at `now`: a
/// scope granted less than 90 days ago is not yet.
pub fn unused(granted_at: i64, last_used_at: Option<i64>, now: i64) -> bool {
    last_used_at.unwrap_or(granted_at).max(granted_at) <= now - UNUSED_AFTER_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graces_round_trip_and_are_at_most_thirty_days() {
        for g in Grace::ALL {
            assert_eq!(Grace::parse(g.as_str()), Some(g));
            assert!(g.duration_ms() <= 30 * 24 * HOUR_MS);
        }
        assert_eq!(Grace::parse("31j"), None);
        assert_eq!(Grace::parse(""), None);
    }

    #[test]
    fn a_grace_never_outlives_the_authorisation() {
        let day = 24 * HOUR_MS;
        let far = 500 * day;
        assert_eq!(grace_end(0, Grace::Day, far), day);
        assert_eq!(grace_end(7, Grace::None, far), 7);
        assert_eq!(grace_end(0, Grace::Month, 3 * day), 3 * day);
    }

    #[test]
    fn a_scope_is_unused_after_ninety_days_without_a_call() {
        let day = 24 * HOUR_MS;
        assert!(!unused(0, None, 89 * day), "granted 89 days ago");
        assert!(unused(0, None, 90 * day));
        assert!(!unused(0, Some(10 * day), 99 * day));
        assert!(unused(0, Some(10 * day), 100 * day));
    }

    #[test]
    fn accepted_until_the_end_of_its_grace() {
        assert!(string_accepted(None, i64::MAX));
        assert!(string_accepted(Some(10), 9));
        assert!(!string_accepted(Some(10), 10));
    }
}
