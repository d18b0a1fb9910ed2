//! The email outbox: written in the same transaction as the event that causes
//! the email, delivered by the background worker, each marked sent once.

use super::{Db, DbError};

/// An email waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEmail {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
}

/// What to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEmail {
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// Queues an email inside the caller's transaction.
pub async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &NewEmail,
    now: i64,
) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO email_outbox (kind, to_address, subject, body_text, body_html, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&email.kind)
    .bind(&email.to_address)
    .bind(&email.subject)
    .bind(&email.body_text)
    .bind(&email.body_html)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

type Row = (i64, String, String, String, String, String, i64);

/// Claims up to `limit` due emails for `lease_ms`: a claimed email is not
/// handed to another worker (or instance) until the lease ends, so a crash
/// mid-delivery retries it later rather than losing it.
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<OutboxEmail>, DbError> {
    let candidates: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::new();
    for (id,) in candidates {
        let row: Option<Row> = sqlx::query_as(
            "UPDATE email_outbox SET next_attempt_at = $1 \
             WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $3 \
             RETURNING id, kind, to_address, subject, body_text, body_html, attempts",
        )
        .bind(now + lease_ms)
        .bind(id)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
        if let Some((id, kind, to_address, subject, body_text, body_html, attempts)) = row {
            claimed.push(OutboxEmail {
                id,
                kind,
                to_address,
                subject,
                body_text,
                body_html,
                attempts,
            });
        }
    }
    Ok(claimed)
}

/// Marks an email sent; `kept` replaces its bodies (text, HTML) when given:
/// what stays of an email once it has left (its one-time links masked).
pub async fn mark_sent(
    db: &Db,
    id: i64,
    now: i64,
    kept: Option<(&str, &str)>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
         body_text = COALESCE($3, body_text), body_html = COALESCE($4, body_html) WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .bind(kept.map(|k| k.0))
    .bind(kept.map(|k| k.1))
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn mark_failed(
    db: &Db,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
    )
    .bind(next_attempt_at)
    .bind(error.chars().take(1_000).collect::<String>())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// (sent, pending) counts, for health and tests.
pub async fn counts(db: &Db) -> Result<(i64, i64), DbError> {
    let (sent, pending): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END), 0), \
                COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END), 0) FROM email_outbox",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((sent, pending))
}

/// The last error and attempt count of an email (tests, operations).
pub async fn status(
    db: &Db,
    id: i64,
) -> Result<Option<(i64, Option<i64>, Option<String>)>, DbError> {
    Ok(
        sqlx::query_as("SELECT attempts, sent_at, last_error FROM email_outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// An outbox row as the development page shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEmail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The most recent emails, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<StoredEmail>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, to_address, subject, body_text, created_at, sent_at FROM email_outbox \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
