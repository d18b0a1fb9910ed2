//! The PDF attachments of requests: one row per uploaded file, the file
//! itself in the object store under `storage_key`. The table is the authority
//! on a request's attachments; the request's data carries a copy of the list
//! only when it is read (`requests::get`) or snapshotted at submission.

use super::{Db, DbError};
use crate::domain::request::{AttachmentRef, MAX_ATTACHMENTS};

/// An attachment as stored, with its request's applicant.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAttachment {
    pub id: String,
    pub request_id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: i64,
    /// When the applicant removed it from the request.
    pub deleted_at: Option<i64>,
    pub applicant_id: Option<i64>,
    /// When its request was last submitted (never: a private draft).
    pub submitted_at: Option<i64>,
}

/// A new row.
#[derive(Clone, Debug)]
pub struct NewAttachment<'a> {
    pub id: &'a str,
    pub request_id: i64,
    pub file_name: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub uploaded_by: i64,
    pub now: i64,
}

/// Why an attachment was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("demande introuvable")]
    NotFound,
    /// The request has `MAX_ATTACHMENTS` already.
    #[error("trop de pièces jointes")]
    Full,
    /// The request is not a draft nor awaiting changes.
    #[error("demande non modifiable")]
    NotEditable,
    #[error("{0}")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for AddError {
    fn from(e: sqlx::Error) -> Self {
        AddError::Db(e.into())
    }
}

/// Records an attachment, unless the request already has the maximum or is
/// not editable. The request row is locked first, so two uploads at once
/// cannot both take the last place.
pub async fn add(db: &Db, a: &NewAttachment<'_>) -> Result<(), AddError> {
    let mut tx = db.begin().await?;
    let locked = sqlx::query("UPDATE requests SET version = version WHERE id = $1")
        .bind(a.request_id)
        .execute(&mut *tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(AddError::NotFound);
    }
    let (state,): (String,) = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
        .bind(a.request_id)
        .fetch_one(&mut *tx)
        .await?;
    let editable = crate::domain::RequestState::parse(&state)
        .is_some_and(crate::domain::lifecycle::is_editable);
    if !editable {
        return Err(AddError::NotEditable);
    }
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM attachments WHERE request_id = $1 AND deleted_at IS NULL",
    )
    .bind(a.request_id)
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_ATTACHMENTS as i64 {
        return Err(AddError::Full);
    }
    sqlx::query(
        "INSERT INTO attachments (id, request_id, file_name, content_type, size_bytes, sha256, \
         storage_key, uploaded_by, created_at) \
         VALUES ($1, $2, $3, 'application/pdf', $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(a.request_id)
    .bind(a.file_name)
    .bind(a.size_bytes)
    .bind(a.sha256)
    .bind(a.storage_key)
    .bind(a.uploaded_by)
    .bind(a.now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many attachments (not removed) a request has.
pub async fn count(db: &Db, request_id: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM attachments WHERE request_id = $1 AND deleted_at IS NULL",
    )
    .bind(request_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// The attachments (not removed) of a request, oldest first, as the request
/// refers to them.
pub async fn list<'e, E>(executor: E, request_id: i64) -> Result<Vec<AttachmentRef>, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        file_name: String,
        size_bytes: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, file_name, size_bytes FROM attachments \
         WHERE request_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
    )
    .bind(request_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AttachmentRef {
            id: r.id,
            file_name: r.file_name,
            size_bytes: u64::try_from(r.size_bytes).unwrap_or(0),
        })
        .collect())
}

/// One attachment, removed or not, with its request's applicant.
pub async fn get(db: &Db, id: &str) -> Result<Option<StoredAttachment>, DbError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.request_id, a.file_name, a.size_bytes, a.sha256, a.storage_key, \
         a.created_at, a.deleted_at, r.applicant_id, r.submitted_at \
         FROM attachments a JOIN requests r ON r.id = a.request_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Removes an attachment from its request (the row and the file stay, for
/// the record of earlier submissions). Only while the request is editable;
/// `false` when there was nothing to remove.
pub async fn remove(
    db: &Db,
    request_id: i64,
    id: &str,
    now: i64,
) -> Result<bool, crate::server::db::requests::RequestWriteError> {
    use crate::server::db::requests::RequestWriteError;
    let result = sqlx::query(&format!(
        "UPDATE attachments SET deleted_at = $1 \
         WHERE id = $2 AND request_id = $3 AND deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM requests r WHERE r.id = $3 AND r.state IN {})",
        *super::EDITABLE_SQL
    ))
    .bind(now)
    .bind(id)
    .bind(request_id)
    .execute(&db.pool)
    .await
    .map_err(|e| RequestWriteError::Db(e.into()))?;
    if result.rows_affected() == 1 {
        return Ok(true);
    }
    let state: Option<(String,)> = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(&db.pool)
        .await
        .map_err(|e| RequestWriteError::Db(e.into()))?;
    match state.and_then(|(s,)| crate::domain::RequestState::parse(&s)) {
        None => Err(RequestWriteError::NotFound),
        Some(s) if !crate::domain::lifecycle::is_editable(s) => {
            Err(crate::domain::lifecycle::LifecycleError::IllegalState {
                state: s,
                action: crate::domain::lifecycle::Action::Edit,
            }
            .into())
        }
        Some(_) => Ok(false),
    }
}

/// The bytes an account keeps in the store: its uploads not yet purged
/// (removed ones that a submission names are kept, and counted).
pub async fn account_usage(db: &Db, user_id: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM attachments \
         WHERE uploaded_by = $1 AND purged_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Copies the attachments on request `from` to request `to` (new ids, the
/// same stored files), inside the caller's transaction; with `replace`,
/// those on `to` are removed first (kept for the submissions that name
/// them). A copy counts in nobody's upload quota (`uploaded_by` empty).
pub async fn copy_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    from: i64,
    to: i64,
    replace: bool,
    now: i64,
) -> Result<(), DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        file_name: String,
        content_type: String,
        size_bytes: i64,
        sha256: String,
        storage_key: String,
    }
    if replace {
        sqlx::query(
            "UPDATE attachments SET deleted_at = $1 WHERE request_id = $2 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(to)
        .execute(&mut **tx)
        .await?;
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT file_name, content_type, size_bytes, sha256, storage_key FROM attachments \
         WHERE request_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
    )
    .bind(from)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        sqlx::query(
            "INSERT INTO attachments (id, request_id, file_name, content_type, size_bytes, \
             sha256, storage_key, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
        )
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .bind(to)
        .bind(r.file_name)
        .bind(r.content_type)
        .bind(r.size_bytes)
        .bind(r.sha256)
        .bind(r.storage_key)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The removed attachments of a request whose file no submission names
/// (no snapshot holds their id) and no other attachment still uses (a copy
/// made for an update shares its file), and is still stored: (id, storage
/// key).
pub async fn purgeable(db: &Db, request_id: i64) -> Result<Vec<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.storage_key FROM attachments a \
         WHERE a.request_id = $1 AND a.deleted_at IS NOT NULL AND a.purged_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM request_snapshots s WHERE s.request_id = a.request_id \
                         AND s.data LIKE '%' || a.id || '%') \
         AND NOT EXISTS (SELECT 1 FROM attachments o WHERE o.storage_key = a.storage_key \
                         AND o.id <> a.id AND o.purged_at IS NULL)",
    )
    .bind(request_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Records that a removed attachment's file was deleted from the store.
pub async fn mark_purged(db: &Db, id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE attachments SET purged_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Takes one of the `slots` upload slots of `user_id` for `lease_id` until
/// `lease_until`, if one is free (never taken, or its lease is over): one
/// statement per slot, so two instances never take the same one. Answers
/// the slot taken.
pub async fn take_upload_slot(
    db: &Db,
    user_id: i64,
    slots: i64,
    lease_id: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<i64>, DbError> {
    for slot in 0..slots {
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO upload_slots (user_id, slot, lease_id, lease_until) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, slot) DO UPDATE SET lease_id = excluded.lease_id, \
             lease_until = excluded.lease_until WHERE upload_slots.lease_until <= $5 \
             RETURNING slot",
        )
        .bind(user_id)
        .bind(slot)
        .bind(lease_id)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
        if taken.is_some() {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}

/// Gives an upload slot back (only if this lease still holds it).
pub async fn release_upload_slot(
    db: &Db,
    user_id: i64,
    slot: i64,
    lease_id: &str,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM upload_slots WHERE user_id = $1 AND slot = $2 AND lease_id = $3")
        .bind(user_id)
        .bind(slot)
        .bind(lease_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
