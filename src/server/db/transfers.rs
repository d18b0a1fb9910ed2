//! Requests handed to a colleague: an offer to an account (created when
//! missing) with a one-time link, then its acceptance, which makes the
//! colleague the request's applicant (and of its open updates).

use super::requests::{NewEvent, insert_event};
use super::{Db, DbError};
use crate::domain::RequestState;
use crate::domain::lifecycle::{EventKind, Role};

/// How long an offer waits for its acceptance.
pub const OFFER_LIFETIME_MS: i64 = 7 * 86_400_000;

/// A new offer, written by `offer_in`.
#[derive(Clone, Debug)]
pub struct Offer<'a> {
    pub request_id: i64,
    pub from_user_id: Option<i64>,
    pub to_user_id: i64,
    pub token_hash: &'a str,
    pub offered_by: i64,
    pub role: Role,
    /// For the timeline ("à …, par …").
    pub message: &'a str,
}

/// Writes an offer in the caller's transaction, voiding the request's
/// pending one, with its `transfer_offered` event; answers the event's id.
pub async fn offer_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    o: &Offer<'_>,
    state: RequestState,
    now: i64,
) -> Result<i64, DbError> {
    sqlx::query(
        "UPDATE transfers SET voided_at = $1 WHERE request_id = $2 \
         AND accepted_at IS NULL AND voided_at IS NULL",
    )
    .bind(now)
    .bind(o.request_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO transfers (request_id, from_user_id, to_user_id, token_hash, offered_by, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(o.request_id)
    .bind(o.from_user_id)
    .bind(o.to_user_id)
    .bind(o.token_hash)
    .bind(o.offered_by)
    .bind(now)
    .bind(now + OFFER_LIFETIME_MS)
    .execute(&mut **tx)
    .await?;
    Ok(insert_event(
        tx,
        &NewEvent {
            request_id: o.request_id,
            kind: EventKind::TransferOffered,
            from: Some(state),
            to: state,
            actor_id: Some(o.offered_by),
            role: o.role,
            message: Some(o.message),
            payload: None,
            now,
        },
    )
    .await?)
}

/// A pending offer, as its link finds it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub request_id: i64,
    pub from_user_id: Option<i64>,
    pub to_user_id: i64,
    pub expires_at: i64,
    pub title: String,
}

/// The offer of this link, while pending and not expired.
pub async fn pending(db: &Db, token_hash: &str, now: i64) -> Result<Option<Pending>, DbError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.request_id, t.from_user_id, t.to_user_id, t.expires_at, r.title \
         FROM transfers t JOIN requests r ON r.id = t.request_id \
         WHERE t.token_hash = $1 AND t.accepted_at IS NULL AND t.voided_at IS NULL \
         AND t.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?)
}

/// The pending offer of a request, if any: (its addressee's email, its end).
pub async fn pending_of(
    db: &Db,
    request_id: i64,
    now: i64,
) -> Result<Option<(String, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT u.email, t.expires_at FROM transfers t JOIN users u ON u.id = t.to_user_id \
         WHERE t.request_id = $1 AND t.accepted_at IS NULL AND t.voided_at IS NULL \
         AND t.expires_at > $2 ORDER BY t.id DESC LIMIT 1",
    )
    .bind(request_id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?)
}

/// Accepts offer `p` in the caller's transaction: used once (a second use
/// finds nothing), the request and its open updates change applicant, the
/// addressee's address counts as confirmed, and `transfer_accepted` is
/// written. `None` when the offer was used or voided meanwhile, or the
/// request changed applicant since.
pub async fn accept_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    p: &Pending,
    message: &str,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let used = sqlx::query(
        "UPDATE transfers SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL \
         AND voided_at IS NULL",
    )
    .bind(now)
    .bind(p.id)
    .execute(&mut **tx)
    .await?;
    if used.rows_affected() != 1 {
        return Ok(None);
    }
    let moved = sqlx::query(
        "UPDATE requests SET applicant_id = $1, updated_at = $2 \
         WHERE (id = $3 OR (parent_id = $3 AND state IN ('draft', 'submitted', 'changes_requested'))) \
         AND applicant_id = $4",
    )
    .bind(p.to_user_id)
    .bind(now)
    .bind(p.request_id)
    .bind(p.from_user_id)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE users SET email_verified_at = $1, updated_at = $1 \
         WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now)
    .bind(p.to_user_id)
    .execute(&mut **tx)
    .await?;
    let state = super::requests::state_in(tx, p.request_id)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
    Ok(Some(
        insert_event(
            tx,
            &NewEvent {
                request_id: p.request_id,
                kind: EventKind::TransferAccepted,
                from: Some(state),
                to: state,
                actor_id: Some(p.to_user_id),
                role: Role::Applicant,
                message: Some(message),
                payload: None,
                now,
            },
        )
        .await?,
    ))
}
