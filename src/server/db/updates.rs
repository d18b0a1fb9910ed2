//! Updates of accepted authorisations: a request of kind `update` whose
//! `parent_id` is the accepted request it changes. Started as a copy of the
//! parent (its attachments too), instructed like any request; accepting it
//! writes its data onto the parent and its scopes onto the parent's token.

use super::requests::{NewEvent, RequestWriteError, decode, encode, insert_event, search_of};
use super::{Db, DbError};
use crate::domain::RequestState;
use crate::domain::lifecycle::{self, EventKind, RequestKind, Role};

/// States in which an update is still open (not decided, not abandoned).
const OPEN: &str = "('draft', 'submitted', 'changes_requested')";

/// What `start` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    pub id: i64,
    /// `false`: an update was already open; its id is answered.
    pub created: bool,
}

/// The open update of an accepted request, if any.
pub async fn open_of(db: &Db, parent_id: i64) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM requests WHERE parent_id = $1 AND kind = 'update' AND state IN {OPEN} \
         ORDER BY id LIMIT 1"
    ))
    .bind(parent_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Starts an update of accepted request `parent_id` by `applicant_id` (its
/// applicant or its technical contact: `policy::can_start_update`, checked
/// by the caller), who owns the draft, in one transaction: a draft copying
/// its data (the terms to accept again) and its attachments, the `created`
/// event on the draft and `update_started` on the parent. One open update
/// per request: when one exists, its id is answered and nothing is
/// written. `NotFound` when the parent is not an accepted first request.
pub async fn start(
    db: &Db,
    parent_id: i64,
    applicant_id: i64,
    now: i64,
) -> Result<Started, RequestWriteError> {
    let mut tx = db.begin().await?;
    // Locks the parent: two clicks start one update.
    let locked = sqlx::query(
        "UPDATE requests SET version = version WHERE id = $1 AND state = 'accepted' \
         AND kind = 'initial'",
    )
    .bind(parent_id)
    .execute(&mut *tx)
    .await?;
    if locked.rows_affected() != 1 {
        return Err(RequestWriteError::NotFound);
    }
    let open: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM requests WHERE parent_id = $1 AND kind = 'update' AND state IN {OPEN}"
    ))
    .bind(parent_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id,)) = open {
        return Ok(Started { id, created: false });
    }
    let (data, template_slug, template_version): (String, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT data, template_slug, template_version FROM requests WHERE id = $1")
            .bind(parent_id)
            .fetch_one(&mut *tx)
            .await?;
    let mut data = decode(&data)?;
    data.terms = Default::default();
    data.legal.attachments.clear();
    let id = insert_derived_in(
        &mut tx,
        &Derived {
            parent_id,
            applicant_id,
            kind: RequestKind::Update,
            state: lifecycle::INITIAL.0,
            data: &data,
            template: (template_slug, template_version),
            submitted_at: None,
            now,
        },
    )
    .await?;
    super::attachments::copy_in(&mut tx, parent_id, id, false, now).await?;
    let created = format!("mise à jour de la demande n° {parent_id}");
    event_in(
        &mut tx,
        id,
        EventKind::Created,
        None,
        RequestState::Draft,
        applicant_id,
        &created,
        now,
    )
    .await?;
    let started = format!("demande n° {id}");
    event_in(
        &mut tx,
        parent_id,
        EventKind::UpdateStarted,
        Some(RequestState::Accepted),
        RequestState::Accepted,
        applicant_id,
        &started,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Started { id, created: true })
}

/// A request made from an accepted one (`parent_id`): an update or a
/// renewal.
pub(super) struct Derived<'a> {
    pub parent_id: i64,
    pub applicant_id: i64,
    pub kind: RequestKind,
    pub state: RequestState,
    pub data: &'a crate::domain::request::RequestData,
    /// The parent's template (slug, version).
    pub template: (Option<String>, Option<i64>),
    /// Set for a request that is on the dashboard from the start.
    pub submitted_at: Option<i64>,
    pub now: i64,
}

/// Inserts `d` inside the caller's transaction, with the parent's check of
/// the organisation (the same SIRET); answers its id.
pub(super) async fn insert_derived_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    d: &Derived<'_>,
) -> Result<i64, DbError> {
    let data = d.data;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO requests (state, applicant_id, siret, title, data, version, kind, parent_id, \
         created_at, updated_at, organisation_name, sensitive, search, technical_email, \
         template_slug, template_version, submitted_at, organisation_check) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8, $9, $10, \
         CAST($11 AS TEXT) || COALESCE((SELECT LOWER(u.email) FROM users u WHERE u.id = $2), ''), \
         $12, $13, $14, $15, (SELECT p.organisation_check FROM requests p WHERE p.id = $7)) \
         RETURNING id",
    )
    .bind(d.state.as_str())
    .bind(d.applicant_id)
    .bind(super::requests::siret_column(&data.organisation.siret))
    .bind(data.context.title.trim())
    .bind(encode(data)?)
    .bind(d.kind.as_str())
    .bind(d.parent_id)
    .bind(d.now)
    .bind(data.organisation.name.trim())
    .bind(i64::from(super::requests::asks_sensitive(data)))
    .bind(search_of(data))
    .bind(super::requests::technical_email_of(data))
    .bind(d.template.0.clone())
    .bind(d.template.1)
    .bind(d.submitted_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn event_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    request_id: i64,
    kind: EventKind,
    from: Option<RequestState>,
    to: RequestState,
    actor_id: i64,
    message: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    insert_event(
        tx,
        &NewEvent {
            request_id,
            kind,
            from,
            to,
            actor_id: Some(actor_id),
            role: Role::Applicant,
            message: Some(message),
            payload: None,
            now,
        },
    )
    .await
}

/// What the parent became when an update was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub parent_id: i64,
    /// The authorisation's applicant (an update may have been started by
    /// its technical contact).
    pub parent_applicant_id: Option<i64>,
    /// The parent's technical contact before (normalised), to tell a new
    /// one apart.
    pub previous_technical: Option<String>,
    pub event_id: i64,
}

/// Writes accepted update `update_id` onto its parent, inside the
/// acceptance's transaction: the parent's data (and attachments) become the
/// update's, its token's scopes `scopes` and its name the update's title
/// (the same token: its strings do not change), and `update_accepted` is
/// written on the parent by `actor_id` in `role`. `None` when the parent is
/// no longer accepted or its token is revoked: nothing is written then.
pub async fn apply_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    update_id: i64,
    scopes: &[String],
    actor_id: i64,
    role: Role,
    now: i64,
) -> Result<Option<Applied>, DbError> {
    let (parent_id, data): (Option<i64>, String) =
        sqlx::query_as("SELECT parent_id, data FROM requests WHERE id = $1")
            .bind(update_id)
            .fetch_one(&mut **tx)
            .await?;
    let Some(parent_id) = parent_id else {
        return Ok(None);
    };
    let data = decode(&data)?;
    let (previous_technical, parent_applicant_id): (Option<String>, Option<i64>) =
        sqlx::query_as("SELECT technical_email, applicant_id FROM requests WHERE id = $1")
            .bind(parent_id)
            .fetch_one(&mut **tx)
            .await?;
    let title = data.context.title.trim().to_owned();
    let token_scopes = serde_json::to_string(scopes)
        .map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))?;
    let before: Vec<String> =
        sqlx::query_as::<_, (String,)>("SELECT scopes FROM tokens WHERE request_id = $1")
            .bind(parent_id)
            .fetch_optional(&mut **tx)
            .await?
            .and_then(|(s,)| serde_json::from_str(&s).ok())
            .unwrap_or_default();
    let token = sqlx::query(
        "UPDATE tokens SET scopes = $1, name = $2 WHERE request_id = $3 AND revoked_at IS NULL",
    )
    .bind(&token_scopes)
    .bind(&title)
    .bind(parent_id)
    .execute(&mut **tx)
    .await?;
    if token.rows_affected() != 1 {
        return Ok(None);
    }
    // A scope the update adds counts as unused from its grant, not from
    // the token's issuance.
    let (token_id,): (String,) = sqlx::query_as("SELECT id FROM tokens WHERE request_id = $1")
        .bind(parent_id)
        .fetch_one(&mut **tx)
        .await?;
    for scope in scopes.iter().filter(|s| !before.contains(s)) {
        sqlx::query(
            "INSERT INTO token_scope_usage (token_id, scope, granted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_id, scope) DO UPDATE SET granted_at = excluded.granted_at",
        )
        .bind(&token_id)
        .bind(scope)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let parent = sqlx::query(
        "UPDATE requests SET data = $1, title = $2, organisation_name = $3, sensitive = $4, \
         search = CAST($5 AS TEXT) || COALESCE((SELECT LOWER(u.email) FROM users u \
                                  WHERE u.id = requests.applicant_id), ''), \
         technical_email = $6, version = version + 1, updated_at = $7 \
         WHERE id = $8 AND state = 'accepted'",
    )
    .bind(encode(&data)?)
    .bind(&title)
    .bind(data.organisation.name.trim())
    .bind(i64::from(super::requests::asks_sensitive(&data)))
    .bind(search_of(&data))
    .bind(super::requests::technical_email_of(&data))
    .bind(now)
    .bind(parent_id)
    .execute(&mut **tx)
    .await?;
    if parent.rows_affected() != 1 {
        return Ok(None);
    }
    super::attachments::copy_in(tx, update_id, parent_id, true, now).await?;
    let payload = serde_json::json!({ "update": update_id, "scopes": scopes }).to_string();
    let message = format!("demande n° {update_id}");
    let event_id = insert_event(
        tx,
        &NewEvent {
            request_id: parent_id,
            kind: EventKind::UpdateAccepted,
            from: Some(RequestState::Accepted),
            to: RequestState::Accepted,
            actor_id: Some(actor_id),
            role,
            message: Some(&message),
            payload: Some(&payload),
            now,
        },
    )
    .await?;
    Ok(Some(Applied {
        parent_id,
        parent_applicant_id,
        previous_technical,
        event_id,
    }))
}
