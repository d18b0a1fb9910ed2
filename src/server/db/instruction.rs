//! The instructors' side of the database: the dashboard's queue (filters,
//! sort, bounded pages), assignment, and the messages between applicant and
//! instructors (internal notes included).

use super::{Db, DbError};
use crate::domain::RequestState;

pub use crate::api::instruction::VISIBLE_STATES;

/// Above this many matching requests the dashboard says "more than".
pub const COUNT_CAP: i64 = MAX_PAGE * PAGE_SIZE;

/// Rows per dashboard page.
pub const PAGE_SIZE: i64 = 25;
pub use crate::api::instruction::MAX_PAGE;

/// Whose requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Assigned {
    #[default]
    Anyone,
    Me,
    Nobody,
}

/// The order of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Waiting longest first (oldest submission).
    #[default]
    Waiting,
    /// Newest submission first.
    Newest,
    /// Last changed first.
    Updated,
}

/// The dashboard's filters, as its address carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub q: String,
    pub state: Option<RequestState>,
    pub assigned: Assigned,
    pub sensitive: bool,
    pub sort: Sort,
    /// From 1.
    pub page: i64,
}

/// One line of the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub organisation: String,
    pub siret: Option<String>,
    pub title: String,
    pub state: String,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    pub sensitive: i64,
    pub assigned_to: Option<i64>,
    pub assigned_email: Option<String>,
    pub applicant_email: Option<String>,
    /// Applicant messages no instructor has read.
    pub unread: i64,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// `%term%` for LIKE, with the wildcards of the term escaped.
fn like(term: &str) -> String {
    let mut out = String::from("%");
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One page of the queue and the number of requests matching.
pub async fn queue(db: &Db, viewer_id: i64, f: &Filters) -> Result<(Vec<QueueRow>, i64), DbError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let param = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    match f.state {
        Some(s) => {
            let p = param(Bind::Text(s.as_str().to_owned()), &mut binds);
            conditions.push(format!("r.state = {p}"));
        }
        // Every request ever submitted, and only those (drafts, archived
        // drafts never are): the submission index serves filter and order.
        None => conditions.push("r.submitted_at IS NOT NULL".to_owned()),
    }
    match f.assigned {
        Assigned::Anyone => {}
        Assigned::Me => {
            let p = param(Bind::Int(viewer_id), &mut binds);
            conditions.push(format!("r.assigned_to = {p}"));
        }
        Assigned::Nobody => conditions.push("r.assigned_to IS NULL".to_owned()),
    }
    if f.sensitive {
        conditions.push("r.sensitive = 1".to_owned());
    }
    let q = f.q.trim();
    if !q.is_empty() {
        let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        let mut any = Vec::new();
        let p = param(Bind::Text(like(q)), &mut binds);
        for column in ["r.title", "r.organisation_name", "u.email"] {
            any.push(format!("LOWER({column}) LIKE {p} ESCAPE '\\'"));
        }
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let p = param(Bind::Text(format!("{digits}%")), &mut binds);
            any.push(format!("r.siret LIKE {p}"));
            if let Ok(n) = digits.parse::<i64>() {
                let p = param(Bind::Int(n), &mut binds);
                any.push(format!("r.id = {p}"));
            }
        }
        conditions.push(format!("({})", any.join(" OR ")));
    }
    let from = format!(
        "FROM requests r LEFT JOIN users u ON u.id = r.applicant_id WHERE {}",
        conditions.join(" AND ")
    );
    let order = match f.sort {
        Sort::Waiting => "r.submitted_at ASC, r.id ASC",
        Sort::Newest => "r.submitted_at DESC, r.id DESC",
        Sort::Updated => "r.updated_at DESC, r.id DESC",
    };
    let page = f.page.clamp(1, MAX_PAGE);
    let limit = param(Bind::Int(PAGE_SIZE), &mut binds);
    let offset = param(Bind::Int((page - 1) * PAGE_SIZE), &mut binds);
    let sql = format!(
        "SELECT r.id, r.organisation_name AS organisation, r.siret, r.title, r.state, \
         r.submitted_at, r.updated_at, r.sensitive, r.assigned_to, \
         (SELECT a.email FROM users a WHERE a.id = r.assigned_to) AS assigned_email, \
         u.email AS applicant_email, \
         (SELECT COUNT(*) FROM messages m WHERE m.request_id = r.id \
          AND m.author_role = 'applicant' AND m.read_by_instructors_at IS NULL) AS unread \
         {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    let mut query = sqlx::query_as::<_, QueueRow>(&sql);
    for b in &binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    let rows = query.fetch_all(&db.pool).await?;
    // The count takes the same filters, without the page's two parameters,
    // and stops at what the pages can reach (bounded: counting 100,000 rows
    // for every page would cost more than the page itself).
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS one {from} LIMIT {}) AS matching",
        COUNT_CAP + 1
    );
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds[..binds.len() - 2] {
        count = match b {
            Bind::Text(t) => count.bind(t.clone()),
            Bind::Int(i) => count.bind(*i),
        };
    }
    let (total,) = count.fetch_one(&db.pool).await?;
    Ok((rows, total))
}

/// "Je m'en occupe": assigns the request to `instructor_id` (or frees it
/// with `None`). `false` when the request does not exist or is a draft.
pub async fn assign(
    db: &Db,
    request_id: i64,
    instructor_id: Option<i64>,
    now: i64,
) -> Result<bool, DbError> {
    let list: Vec<String> = VISIBLE_STATES
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let sql = format!(
        "UPDATE requests SET assigned_to = $1, updated_at = $2 WHERE id = $3 AND state IN ({})",
        list.join(", ")
    );
    let done = sqlx::query(&sql)
        .bind(instructor_id)
        .bind(now)
        .bind(request_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One message of a request's conversation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub request_id: i64,
    pub author_id: Option<i64>,
    pub author_role: String,
    pub author_email: Option<String>,
    pub body: String,
    /// An instructors' note, never shown to the applicant.
    pub internal: i64,
    pub created_at: i64,
    pub read_by_applicant_at: Option<i64>,
    pub read_by_instructors_at: Option<i64>,
}

/// A message to write.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub request_id: i64,
    pub author_id: i64,
    pub author_role: crate::domain::lifecycle::Role,
    pub body: &'a str,
    /// A note between instructors.
    pub internal: bool,
    pub now: i64,
}

/// Writes a message and queues its notification `emails`, in one
/// transaction; a message to the other side (not a note) also writes a
/// `message_sent` event, whose id is answered second.
pub async fn add_message(
    db: &Db,
    m: &NewMessage<'_>,
    emails: &[crate::server::db::outbox::NewEmail],
) -> Result<(i64, Option<i64>), DbError> {
    let mut tx = db.pool.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO messages (request_id, author_id, author_role, body, internal, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(m.request_id)
    .bind(m.author_id)
    .bind(m.author_role.as_str())
    .bind(m.body)
    .bind(i64::from(m.internal))
    .bind(m.now)
    .fetch_one(&mut *tx)
    .await?;
    let mut event_id = None;
    if !m.internal {
        let (state,): (String,) = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
            .bind(m.request_id)
            .fetch_one(&mut *tx)
            .await?;
        let state = RequestState::parse(&state).unwrap_or(RequestState::Submitted);
        let payload = format!("{{\"message_id\":{id}}}");
        event_id = Some(
            crate::server::db::requests::insert_event(
                &mut tx,
                m.request_id,
                crate::domain::lifecycle::EventKind::MessageSent,
                Some(state),
                state,
                Some(m.author_id),
                m.author_role,
                None,
                Some(&payload),
                m.now,
            )
            .await?,
        );
    }
    for email in emails {
        crate::server::db::outbox::enqueue(&mut tx, email, m.now).await?;
    }
    tx.commit().await?;
    Ok((id, event_id))
}

/// The conversation of a request, oldest first; `with_internal` adds the
/// instructors' notes (staff only).
pub async fn messages(
    db: &Db,
    request_id: i64,
    with_internal: bool,
) -> Result<Vec<StoredMessage>, DbError> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.request_id, m.author_id, m.author_role, u.email AS author_email, m.body, \
         m.internal, m.created_at, m.read_by_applicant_at, m.read_by_instructors_at \
         FROM messages m LEFT JOIN users u ON u.id = m.author_id \
         WHERE m.request_id = $1 AND (m.internal = 0 OR $2 = 1) ORDER BY m.id",
    )
    .bind(request_id)
    .bind(i64::from(with_internal))
    .fetch_all(&db.pool)
    .await?)
}

/// Marks the other side's messages as read: by the applicant (`staff` false:
/// the instructors' messages) or by the instructors (`staff` true: the
/// applicant's).
pub async fn mark_read(db: &Db, request_id: i64, staff: bool, now: i64) -> Result<(), DbError> {
    let sql = if staff {
        "UPDATE messages SET read_by_instructors_at = $1 WHERE request_id = $2 \
         AND author_role = 'applicant' AND read_by_instructors_at IS NULL"
    } else {
        "UPDATE messages SET read_by_applicant_at = $1 WHERE request_id = $2 \
         AND author_role <> 'applicant' AND internal = 0 AND read_by_applicant_at IS NULL"
    };
    sqlx::query(sql)
        .bind(now)
        .bind(request_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Messages from the instructors the applicant has not read, per request.
pub async fn unread_for_applicant(db: &Db, applicant_id: i64) -> Result<Vec<(i64, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT m.request_id, COUNT(*) FROM messages m JOIN requests r ON r.id = m.request_id \
         WHERE r.applicant_id = $1 AND m.author_role <> 'applicant' AND m.internal = 0 \
         AND m.read_by_applicant_at IS NULL GROUP BY m.request_id",
    )
    .bind(applicant_id)
    .fetch_all(&db.pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like("Région"), "%région%");
        assert_eq!(like("50%_x"), "%50\\%\\_x%");
    }
}
