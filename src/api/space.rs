//! The client space ("Mon espace"): API tokens by organisation, each shown
//! to its own request's applicant and current technical contact only
//! (`policy::can_see_token`), revealed on demand (written in the request's
//! timeline), renewed by its people in their last 90 days after a check of
//! its purpose, contacts and data, its string replaced (rotation) by its
//! people or staff.

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

/// One string of a token still accepted: the current one, or one replaced
/// and accepted until the end of its grace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StringView {
    /// The end of its `jti`, to tell strings apart (never the string).
    pub suffix: String,
    pub issued_at: i64,
    /// `None`: the current string; else when it stops being accepted.
    pub ends_at: Option<i64>,
}

/// The strings of a token still accepted at `now`, current first.
#[cfg(feature = "ssr")]
pub async fn string_views(
    db: &crate::server::db::Db,
    token_id: &str,
    now: i64,
) -> Result<Vec<StringView>, AppError> {
    Ok(crate::server::db::spaces::strings_of(db, token_id, now)
        .await?
        .into_iter()
        .map(|s| StringView {
            suffix: s
                .jti
                .chars()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
            issued_at: s.issued_at,
            ends_at: s.retired_at,
        })
        .collect())
}

/// The use of one sensitive scope of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveUse {
    pub scope: String,
    pub label: String,
    /// When it last opened a call (`None`: never).
    pub last_used_at: Option<i64>,
    /// No call for 90 days since it was granted: proposed for removal at
    /// renewal.
    pub unused: bool,
}

/// The uses of a token's sensitive scopes, in the token's order.
#[cfg(feature = "ssr")]
pub async fn sensitive_uses(
    db: &crate::server::db::Db,
    row: &crate::server::db::spaces::TokenRow,
    now: i64,
) -> Result<Vec<SensitiveUse>, AppError> {
    let uses = crate::server::db::spaces::scope_uses(db, &row.id).await?;
    Ok(row
        .scope_list()
        .into_iter()
        .filter_map(|scope| {
            let s = crate::domain::scopes::find(&scope).filter(|s| s.sensitive)?;
            let found = uses.iter().find(|u| u.scope == scope);
            let last_used_at = found.and_then(|u| u.last_used_at);
            let granted = found.and_then(|u| u.granted_at).unwrap_or(row.issued_at);
            Some(SensitiveUse {
                label: s.label.clone(),
                unused: crate::domain::token::unused(granted, last_used_at, now),
                last_used_at,
                scope,
            })
        })
        .collect())
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
    /// The caller may renew it now (its people, in the last 90 days).
    pub renewable: bool,
    /// Who sees it: the request's applicant and technical contact.
    #[serde(default)]
    pub people: Vec<TokenPerson>,
    /// Its strings still accepted, current first (more than one during a
    /// rotation's grace).
    #[serde(default)]
    pub strings: Vec<StringView>,
    /// The caller may replace its string now (not revoked, not expired).
    #[serde(default)]
    pub rotatable: bool,
    /// Its sensitive scopes and when each last opened a call.
    #[serde(default)]
    pub sensitive_uses: Vec<SensitiveUse>,
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
    /// The API answers the contract's fictitious examples (sandbox), not
    /// API Entreprise's data (proxy).
    #[serde(default)]
    pub sandbox: bool,
}

/// The tokens of the requests the caller is the applicant or the technical
/// contact of, by organisation (never the strings, never another request's
/// token, even of the same organisation).
#[server(endpoint = "space/overview")]
pub async fn space_overview() -> Result<SpacesView, AppError> {
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
        let calls = db::usage::calls_since(&state.db, &row.id, now - 6 * 86_400_000).await?;
        let scopes = row.scope_list();
        let status = status_at(row.revoked_at, row.expires_at, row.last_used_at, now);
        let token = TokenView {
            rotatable: policy::can_rotate_token(&me, &h.holders)
                && matches!(status, TokenStatus::New | TokenStatus::Active),
            strings: string_views(&state.db, &row.id, now).await?,
            sensitive_uses: sensitive_uses(&state.db, row, now).await?,
            status,
            renewable: policy::can_renew_token(&me, &h.holders)
                && crate::domain::renewal::open(row.revoked_at.is_some(), row.expires_at, now),
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
    Ok(SpacesView {
        spaces,
        now,
        sandbox: state.api_mode.is_sandbox(),
    })
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

/// One contact of an authorisation, as the renewal's check lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactLine {
    /// "Délégué à la protection des données", … (`Contacts::with_roles`)
    pub role: String,
    pub name: String,
    pub email: String,
}

/// One scope of an authorisation, as the renewal's check lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalScope {
    pub scope: String,
    pub label: String,
    pub sensitive: bool,
    /// A sensitive scope without a call for 90 days: proposed for removal
    /// (its box is ticked).
    pub unused: bool,
    pub last_used_at: Option<i64>,
}

/// What a person of a token checks before renewing its authorisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalView {
    pub token_id: String,
    pub request_id: i64,
    pub title: String,
    pub organisation: String,
    pub siret: String,
    pub description: String,
    pub end_users: String,
    pub contacts: Vec<ContactLine>,
    pub scopes: Vec<RenewalScope>,
    pub expires_at: i64,
    /// The expiry once renewed.
    pub new_expiry: i64,
    /// In its last 90 days, not revoked: it may be renewed now.
    pub open: bool,
    /// The caller may start an update instead (its applicant or its
    /// technical contact; always, for whoever may renew).
    pub may_update: bool,
    /// An update of it already under way.
    pub open_update: Option<i64>,
}

/// The renewal's check of token `id`: its authorisation's purpose,
/// contacts and data, with the sensitive scopes unused for 90 days. Its
/// people only (the same 404 as an unknown token for anyone else).
#[server(endpoint = "space/renewal")]
pub async fn renewal_check(id: String) -> Result<RenewalView, AppError> {
    use crate::server::{app_state, db, flows, policy};
    let state = app_state()?;
    let me = crate::server::caller::<RenewalCheck>().await?;
    let held = flows::renewal::reachable(&state, &me, &id).await?;
    let row = &held.token;
    let now = db::now_ms();
    let request = db::requests::get(&state.db, row.request_id)
        .await?
        .ok_or_else(|| crate::error::AppError::new(crate::error::ErrorCode::NotFound))?;
    let data = &request.data;
    let contacts = data
        .contacts
        .with_roles()
        .into_iter()
        .map(|(role, p)| ContactLine {
            role: role.to_owned(),
            name: format!("{} {}", p.given_name.trim(), p.family_name.trim())
                .trim()
                .to_owned(),
            email: p.email.trim().to_owned(),
        })
        .collect();
    let uses = sensitive_uses(&state.db, row, now).await?;
    let scopes = row
        .scope_list()
        .into_iter()
        .map(|scope| {
            let found = uses.iter().find(|u| u.scope == scope);
            RenewalScope {
                label: crate::domain::scopes::find(&scope).map_or_else(
                    || scope_groups(std::slice::from_ref(&scope))[0].1[0].clone(),
                    |s| s.label.clone(),
                ),
                sensitive: found.is_some(),
                unused: found.is_some_and(|u| u.unused),
                last_used_at: found.and_then(|u| u.last_used_at),
                scope,
            }
        })
        .collect();
    Ok(RenewalView {
        token_id: row.id.clone(),
        request_id: row.request_id,
        title: row.name.clone(),
        organisation: held.space_name.clone(),
        siret: held.siret.clone(),
        description: data.context.description.clone(),
        end_users: data.context.end_users.clone(),
        contacts,
        scopes,
        expires_at: row.expires_at,
        new_expiry: crate::domain::renewal::extended(row.expires_at),
        open: crate::domain::renewal::open(row.revoked_at.is_some(), row.expires_at, now),
        may_update: policy::can_start_update(
            &me,
            policy::RequestFacts {
                applicant_id: held.holders.applicant_id,
                submitted: true,
            },
            Some(&held.holders),
        ),
        open_update: db::updates::open_of(&state.db, row.request_id).await?,
    })
}

/// What a renewal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalDone {
    /// The request recording it on the instructors' dashboard.
    pub renewal_id: i64,
    pub expires_at: i64,
}

/// Renews token `id`'s authorisation by 18 months once `check` confirms
/// its purpose, contacts and data, without the sensitive scopes `remove`;
/// its people only, in its last 90 days.
#[server(endpoint = "space/renew", input = leptos::server_fn::codec::Json)]
pub async fn renew_token(
    id: String,
    check: crate::domain::renewal::Check,
    #[server(default)] remove: Vec<String>,
) -> Result<RenewalDone, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<RenewToken>().await?;
    let done = crate::server::flows::renewal::renew(&state, &me, &id, check, &remove).await?;
    Ok(RenewalDone {
        renewal_id: done.renewal_id,
        expires_at: done.expires_at,
    })
}

/// Gives the token a new string; the old one stays accepted for `grace`
/// (`aucun`, `24h`, `7j`, `30j`). Its people and staff. Answers when the
/// old string stops being accepted (`None`: at once).
#[server(endpoint = "space/rotate")]
pub async fn rotate_token(id: String, grace: String) -> Result<Option<i64>, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<RotateToken>().await?;
    let grace = crate::domain::token::Grace::parse(&grace).ok_or_else(|| {
        AppError::invalid(
            "grace",
            "Choisissez pendant combien de temps l’ancien jeton reste accepté : aucun délai, \
             24 heures, 7 jours ou 30 jours.",
        )
    })?;
    crate::server::flows::tokens::rotate(&state, &me, &id, grace).await
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

/// A token's calls over one window, by kind of answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageWindow {
    pub label: String,
    pub total: i64,
    pub answered: i64,
    pub not_found: i64,
    pub refused: i64,
    pub failed: i64,
}

/// A token's calls of one operation (or with one answer code), over the
/// three windows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageLine {
    /// The operation's path, or the answer's code.
    pub key: String,
    /// The operation's summary, or what the code means.
    pub label: String,
    pub calls: [i64; 3],
}

/// One hour of the chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageHour {
    /// The hour's start (milliseconds).
    pub start: i64,
    pub answered: i64,
    pub refused: i64,
    pub other: i64,
}

/// A token's API usage, as its people see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    pub token_id: String,
    pub request_id: i64,
    pub name: String,
    pub organisation: String,
    pub windows: Vec<UsageWindow>,
    pub operations: Vec<UsageLine>,
    /// Every answer that is not data, by code.
    pub refusals: Vec<UsageLine>,
    /// The last 30 hours, oldest first.
    pub hours: Vec<UsageHour>,
    pub sandbox: bool,
}

/// The API usage of token `id` over the last 10 minutes, 30 hours and 8
/// days: per operation, refusals by code, and per hour. Its applicant and
/// technical contact only (the same 404 as an unknown token for anyone
/// else).
#[server(endpoint = "space/usage")]
pub async fn token_usage(id: String) -> Result<UsageView, AppError> {
    use crate::domain::usage::{Outcome, WINDOWS_MINUTES, code_label};
    use crate::server::{app_state, db, flows};
    let state = app_state()?;
    let me = crate::server::caller::<TokenUsage>().await?;
    let held = flows::tokens::visible(&state, &me, &id).await?;
    let minute = db::now_ms().div_euclid(60_000);
    let starts = WINDOWS_MINUTES.map(|w| minute - w + 1);
    let totals = db::usage::totals(&state.db, &held.token.id, starts).await?;
    let labels = [
        "10 dernières minutes",
        "30 dernières heures",
        "8 derniers jours",
    ];
    let mut windows: Vec<UsageWindow> = labels
        .iter()
        .map(|l| UsageWindow {
            label: (*l).to_owned(),
            ..UsageWindow::default()
        })
        .collect();
    let mut operations: Vec<UsageLine> = Vec::new();
    let mut refusals: Vec<UsageLine> = Vec::new();
    let add = |lines: &mut Vec<UsageLine>, key: &str, label: String, calls: [i64; 3]| match lines
        .iter_mut()
        .find(|l| l.key == key)
    {
        Some(line) => (0..3).for_each(|i| line.calls[i] += calls[i]),
        None => lines.push(UsageLine {
            key: key.to_owned(),
            label,
            calls,
        }),
    };
    for t in &totals {
        let calls = [t.recent, t.day, t.week];
        for (w, n) in windows.iter_mut().zip(calls) {
            w.total += n;
            match Outcome::of(t.status) {
                Outcome::Answered => w.answered += n,
                Outcome::NotFound => w.not_found += n,
                Outcome::Refused => w.refused += n,
                Outcome::Failed | Outcome::Unknown => w.failed += n,
            }
        }
        if !t.operation.is_empty() {
            let summary = crate::domain::contract::operations()
                .iter()
                .find(|o| o.path == t.operation)
                .map_or_else(|| t.operation.clone(), |o| o.summary.clone());
            add(&mut operations, &t.operation, summary, calls);
        }
        if Outcome::of(t.status) != Outcome::Answered {
            let key = if t.code.is_empty() {
                t.status.to_string()
            } else {
                t.code.clone()
            };
            add(&mut refusals, &key, code_label(t.status, &t.code), calls);
        }
    }
    operations.sort_by(|a, b| b.calls[2].cmp(&a.calls[2]).then(a.key.cmp(&b.key)));
    refusals.sort_by(|a, b| b.calls[2].cmp(&a.calls[2]).then(a.key.cmp(&b.key)));
    let first_hour = (minute + 1).div_euclid(60) - 29;
    let mut hours: Vec<UsageHour> = (0..30)
        .map(|i| UsageHour {
            start: (first_hour + i) * 3_600_000,
            answered: 0,
            refused: 0,
            other: 0,
        })
        .collect();
    for (hour, status, n) in db::usage::hourly(&state.db, &held.token.id, first_hour * 60).await? {
        let Some(h) = usize::try_from(hour - first_hour)
            .ok()
            .and_then(|i| hours.get_mut(i))
        else {
            continue;
        };
        match Outcome::of(status) {
            Outcome::Answered => h.answered += n,
            Outcome::Refused => h.refused += n,
            _ => h.other += n,
        }
    }
    Ok(UsageView {
        token_id: held.token.id.clone(),
        request_id: held.token.request_id,
        name: held.token.name.clone(),
        organisation: held.space_name.clone(),
        windows,
        operations,
        refusals,
        hours,
        sandbox: state.api_mode.is_sandbox(),
    })
}
