//! Client spaces (one per organisation, keyed by SIRET), their members and
//! their API tokens (one per accepted request).

use super::{Db, DbError};
use crate::domain::lifecycle::{EventKind, Role};

/// What an acceptance grants, written by `grant_in` in the transaction of
/// the acceptance itself.
#[derive(Clone, Debug)]
pub struct Grant {
    pub request_id: i64,
    /// Digits only.
    pub siret: String,
    pub organisation_name: String,
    /// The token's name.
    pub title: String,
    /// The token's scopes (`token_scopes` of the accepted ones).
    pub scopes: Vec<String>,
    pub applicant_id: i64,
    /// The technical contact's address, when the request names one.
    pub technical_email: Option<String>,
}

/// A person who sees the token an acceptance issued: its applicant or its
/// technical contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    /// No password (account just created, never activated, or unconfirmed
    /// and so emptied of the password someone chose for it): the email
    /// carries a link to choose one.
    pub needs_password: bool,
}

/// What `grant_in` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    pub space_id: i64,
    pub space_created: bool,
    pub token_id: String,
    pub expires_at: i64,
    pub members: Vec<Member>,
}

/// Creates the organisation's space if new and issues the request's token,
/// inside the caller's transaction. Answers who sees the token
/// (`members_in`).
pub async fn grant_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    g: &Grant,
    now: i64,
) -> Result<Granted, DbError> {
    let created: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO client_spaces (siret, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (siret) DO NOTHING RETURNING id",
    )
    .bind(&g.siret)
    .bind(g.organisation_name.trim())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let (space_id, space_created) = match created {
        Some((id,)) => (id, true),
        None => {
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM client_spaces WHERE siret = $1")
                .bind(&g.siret)
                .fetch_one(&mut **tx)
                .await?;
            (id, false)
        }
    };
    let token_id = uuid::Uuid::new_v4().to_string();
    let expires_at = now + crate::domain::renewal::LIFETIME_MS;
    let scopes = serde_json::to_string(&g.scopes)
        .map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))?;
    sqlx::query(
        "INSERT INTO tokens (id, space_id, request_id, name, scopes, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&token_id)
    .bind(space_id)
    .bind(g.request_id)
    .bind(g.title.trim())
    .bind(scopes)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    // Its first string's `jti` is the token's id.
    insert_string_in(tx, &token_id, &token_id, now).await?;
    let members = members_in(tx, g.applicant_id, g.technical_email.as_deref(), now).await?;
    Ok(Granted {
        space_id,
        space_created,
        token_id,
        expires_at,
        members,
    })
}

/// The people of a token, inside the caller's transaction: the applicant
/// and the technical contact (whose account is created when missing). An
/// unconfirmed account among them loses any password it had, so that
/// nobody who registered someone else's address ahead of time gets in; its
/// owner chooses a password through the emailed link.
pub async fn members_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    applicant_id: i64,
    technical_email: Option<&str>,
    now: i64,
) -> Result<Vec<Member>, DbError> {
    let mut ids = vec![applicant_id];
    if let Some(email) = technical_email.map(super::users::normalise_email)
        && !email.is_empty()
    {
        let id = match super::users::insert_if_absent_in(tx, &email, Role::Applicant, None, now)
            .await?
        {
            Some(id) => id,
            None => {
                super::users::find_by_email_in(tx, &email)
                    .await?
                    .ok_or(DbError::Query(sqlx::Error::RowNotFound))?
                    .id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut members = Vec::with_capacity(ids.len());
    for id in ids {
        let user = super::users::unconfirmed_loses_password_in(tx, id, now).await?;
        members.push(Member {
            user_id: id,
            needs_password: user.password_hash.is_none(),
            email: user.email,
        });
    }
    Ok(members)
}

/// One token row: the authority over what its string may do.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub space_id: i64,
    pub request_id: i64,
    pub name: String,
    /// JSON list.
    pub scopes: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub rate_limit_per_minute: i64,
    pub last_used_at: Option<i64>,
}

impl TokenRow {
    pub fn scope_list(&self) -> Vec<String> {
        serde_json::from_str(&self.scopes).unwrap_or_default()
    }
}

const TOKEN_COLUMNS: &str = "id, space_id, request_id, name, scopes, issued_at, expires_at, \
                             revoked_at, rate_limit_per_minute, last_used_at";

/// The token of this id.
pub async fn token(db: &Db, id: &str) -> Result<Option<TokenRow>, DbError> {
    Ok(
        sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// One string of a token: a JWT whose `jti` is `jti`.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenString {
    pub jti: String,
    pub token_id: String,
    pub issued_at: i64,
    /// `None` for the current string; else the end of its grace.
    pub retired_at: Option<i64>,
}

/// A token as a presented string finds it: the authorisation's row and the
/// string's own end.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Presented {
    #[sqlx(flatten)]
    pub token: TokenRow,
    /// The string's end of grace (`None`: the current string).
    pub retired_at: Option<i64>,
}

/// The token a string of this `jti` belongs to.
pub async fn token_by_jti(db: &Db, jti: &str) -> Result<Option<Presented>, DbError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.space_id, t.request_id, t.name, t.scopes, t.issued_at, t.expires_at, \
         t.revoked_at, t.rate_limit_per_minute, t.last_used_at, s.retired_at \
         FROM token_strings s JOIN tokens t ON t.id = s.token_id WHERE s.jti = $1",
    )
    .bind(jti)
    .fetch_optional(&db.pool)
    .await?)
}

/// The strings of a token still accepted at `now`: the current one first,
/// then those in their grace, latest end first.
pub async fn strings_of(db: &Db, token_id: &str, now: i64) -> Result<Vec<TokenString>, DbError> {
    Ok(sqlx::query_as(
        "SELECT jti, token_id, issued_at, retired_at FROM token_strings \
         WHERE token_id = $1 AND (retired_at IS NULL OR retired_at > $2) \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, retired_at DESC, jti",
    )
    .bind(token_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?)
}

async fn insert_string_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    jti: &str,
    token_id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO token_strings (jti, token_id, issued_at) VALUES ($1, $2, $3)")
        .bind(jti)
        .bind(token_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives a token a new current string `new_jti`, in the caller's
/// transaction: the current one, and any still in its grace, are accepted
/// until `grace_end` at most (a rotation never lengthens a grace). Answers
/// `None` when the token is revoked (revocation beats a rotation). The
/// first statement locks the token's row, so two rotations of one token
/// run one after the other.
pub async fn rotate_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_id: &str,
    new_jti: &str,
    by: i64,
    grace_end: i64,
    now: i64,
) -> Result<Option<()>, DbError> {
    let live = sqlx::query("UPDATE tokens SET name = name WHERE id = $1 AND revoked_at IS NULL")
        .bind(token_id)
        .execute(&mut **tx)
        .await?;
    if live.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE token_strings SET retired_at = $1, retired_by = $2 \
         WHERE token_id = $3 AND (retired_at IS NULL OR retired_at > $1)",
    )
    .bind(grace_end)
    .bind(by)
    .bind(token_id)
    .execute(&mut **tx)
    .await?;
    insert_string_in(tx, new_jti, token_id, now).await?;
    Ok(Some(()))
}

/// The token issued for a request.
pub async fn token_of_request(db: &Db, request_id: i64) -> Result<Option<TokenRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE request_id = $1"
    ))
    .bind(request_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The people of a token: its request's applicant and its current
/// technical contact (read from the request at every call, so a change of
/// contact holds at once).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenHolders {
    pub request_id: i64,
    pub applicant_id: Option<i64>,
    pub applicant_email: Option<String>,
    /// Normalised, as accounts' addresses are.
    pub technical_email: Option<String>,
}

impl TokenHolders {
    /// The addresses of its people (applicant, technical contact), once each.
    pub fn emails(&self) -> Vec<&str> {
        let mut emails: Vec<&str> = Vec::new();
        for e in [&self.applicant_email, &self.technical_email]
            .into_iter()
            .flatten()
        {
            if !emails.contains(&e.as_str()) {
                emails.push(e);
            }
        }
        emails
    }
}

/// A token with its organisation's space and its people.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldToken {
    #[sqlx(flatten)]
    pub token: TokenRow,
    pub siret: String,
    pub space_name: String,
    #[sqlx(flatten)]
    pub holders: TokenHolders,
}

const HELD_SELECT: &str = "SELECT t.id, t.space_id, t.request_id, t.name, t.scopes, \
     t.issued_at, t.expires_at, t.revoked_at, t.rate_limit_per_minute, t.last_used_at, \
     s.siret, s.name AS space_name, r.applicant_id, \
     u.email AS applicant_email, r.technical_email \
     FROM tokens t JOIN client_spaces s ON s.id = t.space_id \
     JOIN requests r ON r.id = t.request_id LEFT JOIN users u ON u.id = r.applicant_id";

/// The tokens whose request names this account as applicant or as
/// technical contact (`email`, normalised), by organisation then newest
/// first. Nobody else's, even of the same organisation.
pub async fn tokens_held_by(db: &Db, user_id: i64, email: &str) -> Result<Vec<HeldToken>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{HELD_SELECT} WHERE r.applicant_id = $1 OR r.technical_email = $2 \
         ORDER BY s.name, s.id, t.issued_at DESC, t.id"
    ))
    .bind(user_id)
    .bind(email)
    .fetch_all(&db.pool)
    .await?)
}

/// One token with its space and its people.
pub async fn held_token(db: &Db, token_id: &str) -> Result<Option<HeldToken>, DbError> {
    Ok(sqlx::query_as(&format!("{HELD_SELECT} WHERE t.id = $1"))
        .bind(token_id)
        .fetch_optional(&db.pool)
        .await?)
}

/// The token of request `request_id` with its people.
pub async fn held_of_request(db: &Db, request_id: i64) -> Result<Option<HeldToken>, DbError> {
    Ok(
        sqlx::query_as(&format!("{HELD_SELECT} WHERE t.request_id = $1"))
            .bind(request_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Who acted on a token, for its request's timeline.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub id: i64,
    pub email: &'a str,
    pub role: Role,
}

/// Writes in the request's timeline that `by` displayed its token.
pub async fn record_reveal(
    db: &Db,
    request_id: i64,
    by: Actor<'_>,
    now: i64,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    let message = format!("par {}", by.email);
    record_event_in(
        &mut tx,
        request_id,
        EventKind::TokenRevealed,
        by,
        &message,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes an event about the request's token in its timeline (the state
/// does not change), in the caller's transaction; answers its id.
pub async fn record_event_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    request_id: i64,
    kind: EventKind,
    by: Actor<'_>,
    message: &str,
    now: i64,
) -> Result<i64, DbError> {
    let state = super::requests::state_in(tx, request_id)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
    super::requests::insert_event(
        tx,
        &super::requests::NewEvent {
            request_id,
            kind,
            from: Some(state),
            to: state,
            actor_id: Some(by.id),
            role: by.role,
            message: Some(message),
            payload: None,
            now,
        },
    )
    .await
    .map_err(DbError::from)
}

/// The tokens of a space, newest first.
pub async fn tokens_of_space(db: &Db, space_id: i64) -> Result<Vec<TokenRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE space_id = $1 ORDER BY issued_at DESC, id"
    ))
    .bind(space_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Records that `scope` of a token opened a call at `at`, unless a later
/// one is recorded, in the caller's transaction.
pub async fn mark_scope_used_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_id: &str,
    scope: &str,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO token_scope_usage (token_id, scope, last_used_at) VALUES ($1, $2, $3) \
         ON CONFLICT (token_id, scope) DO UPDATE SET last_used_at = excluded.last_used_at \
         WHERE token_scope_usage.last_used_at IS NULL \
         OR token_scope_usage.last_used_at < excluded.last_used_at",
    )
    .bind(token_id)
    .bind(scope)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A scope's use: when an update granted it (`None`: with the token) and
/// when it last opened a call (`None`: never).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ScopeUse {
    pub scope: String,
    pub granted_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// The recorded uses of a token's scopes (a scope never used nor added by
/// an update is absent).
pub async fn scope_uses(db: &Db, token_id: &str) -> Result<Vec<ScopeUse>, DbError> {
    Ok(sqlx::query_as(
        "SELECT scope, granted_at, last_used_at FROM token_scope_usage WHERE token_id = $1 \
         ORDER BY scope",
    )
    .bind(token_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Records that a token was used at `at`, unless a later use is recorded,
/// in the caller's transaction.
pub async fn mark_used_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_id: &str,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE tokens SET last_used_at = $1 WHERE id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $1)",
    )
    .bind(at)
    .bind(token_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The reminders before a token's expiry, in days.
pub const REMINDER_DAYS: [i64; 6] = [90, 60, 30, 15, 7, 0];

const DAY_MS: i64 = 86_400_000;

/// The reminder due for a token expiring at `expires_at`, at `now`: the
/// smallest threshold reached (a token first seen 20 days before expiry gets
/// the J-30 one, not three at once). J-0 is sent up to 7 days after expiry.
pub fn reminder_due(expires_at: i64, now: i64) -> Option<i64> {
    if expires_at <= now - 7 * DAY_MS {
        return None;
    }
    if expires_at <= now {
        return Some(0);
    }
    REMINDER_DAYS
        .iter()
        .copied()
        .filter(|d| *d > 0 && expires_at - now <= d * DAY_MS)
        .min()
}

/// A token whose reminders may be due.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NearExpiry {
    pub token_id: String,
    pub request_id: i64,
    pub name: String,
    pub expires_at: i64,
    /// The applicant's address.
    pub email: Option<String>,
}

/// The tokens not revoked expiring within the largest reminder threshold,
/// or expired less than 7 days ago.
pub async fn tokens_near_expiry(db: &Db, now: i64) -> Result<Vec<NearExpiry>, DbError> {
    Ok(sqlx::query_as(
        "SELECT t.id AS token_id, t.request_id, t.name, t.expires_at, u.email FROM tokens t \
         JOIN requests r ON r.id = t.request_id LEFT JOIN users u ON u.id = r.applicant_id \
         WHERE t.revoked_at IS NULL AND t.expires_at <= $1 AND t.expires_at > $2",
    )
    .bind(now + REMINDER_DAYS[0] * DAY_MS)
    .bind(now - 7 * DAY_MS)
    .fetch_all(&db.pool)
    .await?)
}

/// Records, in the caller's transaction, the reminder `days` before
/// `expires_at` as sent, and the larger thresholds as passed over (never sent
/// late). `false` when it was already sent.
pub async fn mark_reminded_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_id: &str,
    expires_at: i64,
    days: i64,
    now: i64,
) -> Result<bool, DbError> {
    const INSERT: &str = "INSERT INTO token_reminders (token_id, expires_at, days, sent_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (token_id, expires_at, days) DO NOTHING";
    let inserted = sqlx::query(INSERT)
        .bind(token_id)
        .bind(expires_at)
        .bind(days)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    if inserted.rows_affected() != 1 {
        return Ok(false);
    }
    for larger in REMINDER_DAYS.iter().filter(|d| **d > days) {
        sqlx::query(INSERT)
            .bind(token_id)
            .bind(expires_at)
            .bind(*larger)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

/// Revokes, in the caller's transaction, the request's tokens not revoked
/// yet: refused from the next call on (every call reads its row).
pub async fn revoke_tokens_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    request_id: i64,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE request_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_threshold_reached_is_due() {
        let now = 1_000 * DAY_MS;
        assert_eq!(reminder_due(now + 120 * DAY_MS, now), None);
        assert_eq!(reminder_due(now + 90 * DAY_MS, now), Some(90));
        assert_eq!(reminder_due(now + 61 * DAY_MS, now), Some(90));
        assert_eq!(reminder_due(now + 20 * DAY_MS, now), Some(30));
        assert_eq!(reminder_due(now + 7 * DAY_MS, now), Some(7));
        assert_eq!(reminder_due(now + 1, now), Some(7));
        assert_eq!(reminder_due(now, now), Some(0));
        assert_eq!(reminder_due(now - 6 * DAY_MS, now), Some(0));
        assert_eq!(reminder_due(now - 8 * DAY_MS, now), None);
    }
}
