//! What Guichet knows of who an applicant is: the link between an agent and
//! the organisation of a request (ProConnect), and the codes of the staff's
//! second factor as people type them.

use serde::{Deserialize, Serialize};

/// Whether the applicant is an agent of the request's organisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentLink {
    /// When submitting, the applicant was signed in with ProConnect and the
    /// identity provider vouched that they work for the request's SIRET.
    ProConnect,
    /// Nothing shows it (password account, or another SIRET).
    #[default]
    Unverified,
}

impl AgentLink {
    /// The stored value (`None`: unverified).
    pub fn stored(self) -> Option<&'static str> {
        match self {
            AgentLink::ProConnect => Some("proconnect"),
            AgentLink::Unverified => None,
        }
    }

    /// The link of a stored value.
    pub fn from_stored(value: Option<&str>) -> AgentLink {
        match value {
            Some("proconnect") => AgentLink::ProConnect,
            _ => AgentLink::Unverified,
        }
    }

    /// The link of an applicant whose ProConnect identity says `agent_siret`
    /// (none without ProConnect) to a request for `request_siret`: the same
    /// 14 digits, whatever the spaces.
    pub fn of(agent_siret: Option<&str>, request_siret: &str) -> AgentLink {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        match agent_siret {
            Some(agent) if digits(agent).len() == 14 && digits(agent) == digits(request_siret) => {
                AgentLink::ProConnect
            }
            _ => AgentLink::Unverified,
        }
    }

    /// What the instructor reads.
    pub fn label(self) -> &'static str {
        match self {
            AgentLink::ProConnect => "Agent rattaché à l’organisation (ProConnect)",
            AgentLink::Unverified => "Rattachement non vérifié",
        }
    }

    /// The dashboard filter's value (`rattachement=`).
    pub fn query(self) -> &'static str {
        match self {
            AgentLink::ProConnect => "proconnect",
            AgentLink::Unverified => "non_verifie",
        }
    }

    /// The link of a dashboard filter's value.
    pub fn from_query(value: &str) -> Option<AgentLink> {
        [AgentLink::ProConnect, AgentLink::Unverified]
            .into_iter()
            .find(|l| l.query() == value)
    }
}

/// Digits of an authenticator app's code.
pub const TOTP_DIGITS: usize = 6;
/// Characters of a recovery code (spaces and dashes apart).
pub const RECOVERY_LEN: usize = 12;
/// The characters of recovery codes: no 0/o, 1/l/i to misread.
pub const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A second-factor code as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypedCode {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, lowercased, without separators.
    Recovery(String),
}

/// Reads a typed code: six digits (spaces allowed), or a recovery code
/// (any case, with or without its dashes). The error is the French message.
pub fn parse_code(typed: &str) -> Result<TypedCode, &'static str> {
    let kept: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    if kept.is_empty() {
        return Err("Saisissez le code à 6 chiffres affiché par votre application.");
    }
    if kept.chars().all(|c| c.is_ascii_digit()) {
        return if kept.len() == TOTP_DIGITS {
            Ok(TypedCode::Totp(kept))
        } else {
            Err("Le code de l’application comporte 6 chiffres.")
        };
    }
    if kept.len() == RECOVERY_LEN && kept.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return Ok(TypedCode::Recovery(kept));
    }
    Err(
        "Saisissez le code à 6 chiffres de votre application, ou un code de secours de la forme \
         abcd-efgh-jkmn.",
    )
}

/// A recovery code as shown: three groups of four.
pub fn show_recovery(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_needs_the_same_fourteen_digits() {
        assert_eq!(
            AgentLink::of(Some("20005379100014"), "200 053 791 00014"),
            AgentLink::ProConnect
        );
        assert_eq!(
            AgentLink::of(Some("20005379100022"), "20005379100014"),
            AgentLink::Unverified
        );
        assert_eq!(AgentLink::of(None, "20005379100014"), AgentLink::Unverified);
        assert_eq!(AgentLink::of(Some(""), ""), AgentLink::Unverified);
        for l in [AgentLink::ProConnect, AgentLink::Unverified] {
            assert_eq!(AgentLink::from_stored(l.stored()), l);
            assert_eq!(AgentLink::from_query(l.query()), Some(l));
        }
    }

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(
            parse_code(" 123 456 "),
            Ok(TypedCode::Totp("123456".into()))
        );
        assert!(parse_code("12345").is_err());
        assert!(parse_code("").is_err());
        assert_eq!(
            parse_code("ABCD-EFGH-JKMN"),
            Ok(TypedCode::Recovery("abcdefghjkmn".into()))
        );
        assert!(
            parse_code("abcd-efgh-jkm0").is_err(),
            "0 is not in the alphabet"
        );
        assert_eq!(show_recovery("abcdefghjkmn"), "abcd-efgh-jkmn");
    }
}
