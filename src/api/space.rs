//! The client space ("Mon espace"): API tokens by organisation, each shown
//! to its own request's applicant and current technical contact only
//! (`policy::can_see_token`), revealed on demand (written in the request's
//! timeline), renewed by the applicant in their last 90 days.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A token's status, as the space shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// Issued, never used.
    New,
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn label(self) -> &'static str {
        match self {
            TokenStatus::New => "Nouveau",
            TokenStatus::Active => "Actif",
            TokenStatus::Expired => "Expiré",
            TokenStatus::Revoked => "Révoqué",
        }
    }

    /// The DSFR badge's modifier.
    pub fn badge(self) -> &'static str {
        match self {
            TokenStatus::New => "fr-badge--new",
            TokenStatus::Active => "fr-badge--success",
            TokenStatus::Expired => "fr-badge--warning",
            TokenStatus::Revoked => "fr-badge--error",
        }
    }
}

/// The status of a token at `now` (milliseconds).
pub fn status_at(
    revoked_at: Option<i64>,
    expires_at: i64,
    last_used_at: Option<i64>,
    now: i64,
) -> TokenStatus {
    if revoked_at.is_some() {
        TokenStatus::Revoked
    } else if expires_at <= now {
        TokenStatus::Expired
    } else if last_used_at.is_none() {
        TokenStatus::New
    } else {
        TokenStatus::Active
    }
}

/// The scopes of a token, by group, with their labels.
pub fn scope_groups(scopes: &[String]) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for s in scopes {
        let (group, label) = match crate::domain::scopes::find(s) {
            Some(scope) => (scope.group.clone(), scope.label.clone()),
            None if s == crate::domain::scopes::OPEN_DATA_TOKEN_SCOPE => (
                "Données publiques".to_owned(),
                "Données publiques (open data)".to_owned(),
            ),
            None => ("Autres".to_owned(), s.clone()),
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, labels)) => labels.push(label),
            None => groups.push((group, vec![label])),
        }
    }
    groups
}

/// Someone who sees a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPerson {
    pub email: String,
    /// "demandeur de l’accès" or "contact technique".
    pub relation: String,
}

/// One token of the space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: String,
    pub request_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub scope_groups: Vec<(String, Vec<String>)>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub calls_last_7_days: i64,
    pub status: TokenStatus,
    /// The caller may renew it now (its applicant, in the last 90 days).
    pub renewable: bool,
    /// Who sees it: the request's applicant and technical contact.
    #[serde(default)]
    pub people: Vec<TokenPerson>,
}

/// One organisation's space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceView {
    pub siret: String,
    pub name: String,
    pub tokens: Vec<TokenView>,
}

/// What "Mon espace" shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpacesView {
    pub spaces: Vec<SpaceView>,
    pub now: i64,
}

/// The tokens of the requests the caller is the applicant or the technical
/// contact of, by organisation (never the strings, never another request's
/// token, even of the same organisation).
#[server(endpoint = "space/overview")]
pub async fn space_overview() -> Result<SpacesView, AppError> {
    use crate::server::flows::tokens::renewable;
    use crate::server::{app_state, db, policy};
    let state = app_state()?;
    let me = crate::server::caller::<SpaceOverview>().await?;
    let now = db::now_ms();
    let held = db::spaces::tokens_held_by(&state.db, me.id, &me.email).await?;
    let mut spaces: Vec<SpaceView> = Vec::new();
    for h in held {
        if !policy::can_see_token(&me, &h.holders) {
            continue;
        }
        let row = &h.token;
        let calls = db::spaces::calls_since(&state.db, &row.id, now - 6 * 86_400_000).await?;
        let scopes = row.scope_list();
        let token = TokenView {
            status: status_at(row.revoked_at, row.expires_at, row.last_used_at, now),
            renewable: policy::can_renew_token(&me, &h.holders) && renewable(row, now),
            scope_groups: scope_groups(&scopes),
            scopes,
            people: people(&h.holders),
            id: row.id.clone(),
            request_id: row.request_id,
            name: row.name.clone(),
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            calls_last_7_days: calls,
        };
        match spaces.last_mut() {
            Some(space) if space.siret == h.siret => space.tokens.push(token),
            _ => spaces.push(SpaceView {
                siret: h.siret,
                name: h.space_name,
                tokens: vec![token],
            }),
        }
    }
    Ok(SpacesView { spaces, now })
}

/// Who sees a token, as the space lists them.
#[cfg(feature = "ssr")]
fn people(h: &crate::server::db::spaces::TokenHolders) -> Vec<TokenPerson> {
    let mut people = Vec::new();
    if let Some(email) = &h.applicant_email {
        people.push(TokenPerson {
            email: email.clone(),
            relation: "demandeur de l’accès".to_owned(),
        });
    }
    if let Some(email) = &h.technical_email
        && h.applicant_email.as_deref() != Some(email.as_str())
    {
        people.push(TokenPerson {
            email: email.clone(),
            relation: "contact technique".to_owned(),
        });
    }
    people
}

/// The token's string, minted again, for its request's applicant or
/// technical contact; written in the request's timeline.
#[server(endpoint = "space/reveal")]
pub async fn reveal_token(id: String) -> Result<String, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<RevealToken>().await?;
    crate::server::flows::tokens::reveal(&state, &me, &id).await
}

/// Extends the token by 18 months; its applicant only, in its last 90 days.
/// Answers the new expiry.
#[server(endpoint = "space/renew")]
pub async fn renew_token(id: String) -> Result<i64, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<RenewToken>().await?;
    crate::server::flows::tokens::renew(&state, &me, &id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let day = 86_400_000;
        assert_eq!(status_at(None, 10 * day, None, day), TokenStatus::New);
        assert_eq!(
            status_at(None, 10 * day, Some(day), day),
            TokenStatus::Active
        );
        assert_eq!(
            status_at(None, day, Some(day), 2 * day),
            TokenStatus::Expired
        );
        assert_eq!(
            status_at(Some(1), 10 * day, None, day),
            TokenStatus::Revoked
        );
    }

    #[test]
    fn scopes_are_grouped_with_their_labels() {
        let groups = scope_groups(&[
            "open_data".to_owned(),
            "unites_legales_etablissements_insee".to_owned(),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].1, ["Données publiques (open data)"]);
        assert!(!groups[1].1[0].is_empty());
    }
}
