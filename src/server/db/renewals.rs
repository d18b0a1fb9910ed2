//! Renewals of accepted authorisations: the token is extended (and
//! narrowed when sensitive scopes are removed), the parent's data loses the
//! removed scopes, and a request of kind `renewal` records the confirmed
//! version for the instructors, all in the caller's transaction.

use super::requests::{NewEvent, decode, encode, insert_event, search_of};
use super::updates::{Derived, insert_derived_in};
use super::{DbError, spaces::Actor};
use crate::domain::RequestState;
use crate::domain::lifecycle::{EventKind, RequestKind};

/// A confirmed renewal.
#[derive(Clone, Debug)]
pub struct Renewal<'a> {
    pub token_id: &'a str,
    pub parent_id: i64,
    /// The expiry the person saw: two confirmations extend once.
    pub expected_expiry: i64,
    pub new_expiry: i64,
    /// The token's scopes after the renewal.
    pub scopes: &'a [String],
    /// The sensitive scopes taken out.
    pub removed: &'a [String],
    /// The timeline's message (who, until when, what was removed).
    pub message: &'a str,
    pub now: i64,
}

/// What `record_in` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The `renewal` request.
    pub renewal_id: i64,
    /// Its `renewed` event (announced to the dashboards).
    pub event_id: i64,
}

/// Writes renewal `r` by `by`. `None` when the token is no longer the one
/// the person saw (renewed or revoked meanwhile) or its request is no
/// longer accepted: the caller then drops the transaction.
pub async fn record_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &Renewal<'_>,
    by: Actor<'_>,
) -> Result<Option<Recorded>, DbError> {
    let scopes = serde_json::to_string(r.scopes)
        .map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))?;
    let token = sqlx::query(
        "UPDATE tokens SET expires_at = $1, scopes = $2 WHERE id = $3 AND request_id = $4 \
         AND expires_at = $5 AND revoked_at IS NULL",
    )
    .bind(r.new_expiry)
    .bind(&scopes)
    .bind(r.token_id)
    .bind(r.parent_id)
    .bind(r.expected_expiry)
    .execute(&mut **tx)
    .await?;
    if token.rows_affected() != 1 {
        return Ok(None);
    }
    let parent: Option<(String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT data, applicant_id, template_slug, template_version FROM requests \
         WHERE id = $1 AND state = 'accepted'",
    )
    .bind(r.parent_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((data, applicant_id, template_slug, template_version)) = parent else {
        return Ok(None);
    };
    let mut data = decode(&data)?;
    data.data.scopes.retain(|s| !r.removed.contains(s));
    data.data
        .justifications
        .retain(|s, _| !r.removed.contains(s));
    sqlx::query(
        "UPDATE requests SET data = $1, sensitive = $2, search = CAST($3 AS TEXT) || \
         COALESCE((SELECT LOWER(u.email) FROM users u WHERE u.id = requests.applicant_id), ''), \
         version = version + 1, updated_at = $4 WHERE id = $5",
    )
    .bind(encode(&data)?)
    .bind(i64::from(super::requests::asks_sensitive(&data)))
    .bind(search_of(&data))
    .bind(r.now)
    .bind(r.parent_id)
    .execute(&mut **tx)
    .await?;
    let renewal_id = insert_derived_in(
        tx,
        &Derived {
            parent_id: r.parent_id,
            applicant_id,
            kind: RequestKind::Renewal,
            state: RequestState::Accepted,
            data: &data,
            template: (template_slug, template_version),
            submitted_at: Some(r.now),
            now: r.now,
        },
    )
    .await?;
    let payload = serde_json::json!({
        "renewal": renewal_id,
        "parent": r.parent_id,
        "expires_at": r.new_expiry,
        "removed": r.removed,
    })
    .to_string();
    let mut event_id = 0;
    for request_id in [r.parent_id, renewal_id] {
        event_id = insert_event(
            tx,
            &NewEvent {
                request_id,
                kind: EventKind::Renewed,
                from: Some(RequestState::Accepted),
                to: RequestState::Accepted,
                actor_id: Some(by.id),
                role: by.role,
                message: Some(r.message),
                payload: Some(&payload),
                now: r.now,
            },
        )
        .await?;
    }
    Ok(Some(Recorded {
        renewal_id,
        event_id,
    }))
}
