//! Queries on requests (dossiers): drafts with optimistic concurrency, state
//! changes written with their event in one transaction, submission snapshots.

use super::{Db, DbError};
use crate::domain::RequestState;
use crate::domain::lifecycle::{
    self, Action, EventKind, LifecycleError, RequestKind, Role, Transition,
};
use crate::domain::organisation::OrganisationCheck;
use crate::domain::request::RequestData;

/// A request as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRequest {
    pub id: i64,
    pub applicant_id: Option<i64>,
    pub state: RequestState,
    pub version: i64,
    pub data: RequestData,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    /// What the server's directory said of the SIRET at the last save or
    /// submission (`None`: never checked, or no valid SIRET).
    pub organisation_check: Option<OrganisationCheck>,
    pub kind: RequestKind,
    /// The accepted request an update changes.
    pub parent_id: Option<i64>,
    /// Whether ProConnect showed the applicant to be an agent of the
    /// organisation at the last submission.
    pub agent_link: crate::domain::identity::AgentLink,
}

/// One row of the event log.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: EventKind,
    /// `None` for the event that created the request.
    #[sqlx(try_from = "Option<String>")]
    pub from_state: FromState,
    #[sqlx(try_from = "String")]
    pub to_state: RequestState,
    pub actor_id: Option<i64>,
    pub message: Option<String>,
    /// JSON of the event's details (fields to change, scopes accepted…).
    pub payload: Option<String>,
    pub created_at: i64,
}

/// The state an event left (`None`: the request's creation), read from its
/// stored value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FromState(pub Option<RequestState>);

impl TryFrom<Option<String>> for FromState {
    type Error = String;

    fn try_from(value: Option<String>) -> Result<Self, Self::Error> {
        value.map(RequestState::try_from).transpose().map(FromState)
    }
}

impl FromState {
    /// The stored value.
    pub fn as_str(self) -> Option<&'static str> {
        self.0.map(RequestState::as_str)
    }
}

/// Why a write on a request did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RequestWriteError {
    #[error("demande introuvable")]
    NotFound,
    /// The save named an older version: someone saved in between.
    #[error(
        "Conflit : la demande a été modifiée ailleurs (version {current} enregistrée, vous modifiiez la version {expected})."
    )]
    Conflict { expected: i64, current: i64 },
    #[error("{0}")]
    Lifecycle(#[from] LifecycleError),
    #[error("{0}")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for RequestWriteError {
    fn from(e: sqlx::Error) -> Self {
        RequestWriteError::Db(e.into())
    }
}

pub(super) fn encode(data: &RequestData) -> Result<String, DbError> {
    serde_json::to_string(data).map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))
}

pub(super) fn decode(text: &str) -> Result<RequestData, DbError> {
    serde_json::from_str(text).map_err(|e| DbError::Query(sqlx::Error::Decode(Box::new(e))))
}

fn state_of(text: &str) -> Result<RequestState, DbError> {
    RequestState::parse(text).ok_or_else(|| {
        DbError::Query(sqlx::Error::Decode(
            format!("unknown request state {text:?}").into(),
        ))
    })
}

/// Number of requests per stored state. States unknown to this build are
/// logged and left out rather than failing the whole count.
pub async fn count_by_state(db: &Db) -> Result<Vec<(RequestState, i64)>, DbError> {
    // Kept by triggers at every insert, state change and deletion.
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, n FROM request_counts WHERE n <> 0 ORDER BY state")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(state, count)| match RequestState::parse(&state) {
            Some(s) => Some((s, count)),
            None => {
                tracing::warn!(state, "unknown request state in database");
                None
            }
        })
        .collect())
}

/// Inserts a bare request in the given state and returns its id (seeding and
/// tests; the applicant's path is `create_draft`).
pub async fn insert(db: &Db, state: RequestState, at_ms: i64) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO requests (state, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
    )
    .bind(state.as_str())
    .bind(at_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}

/// Creates a draft owned by `applicant_id`, with its `created` event, in one
/// transaction. Returns the id (version 1).
pub async fn create_draft(
    db: &Db,
    applicant_id: i64,
    data: &RequestData,
    now: i64,
) -> Result<i64, DbError> {
    insert_draft(db, applicant_id, data, None, now).await
}

/// A new draft started from version `version` of the template `slug`
/// (`data` already pre-filled from it).
pub async fn create_draft_from_template(
    db: &Db,
    applicant_id: i64,
    data: &RequestData,
    slug: &str,
    version: i64,
    now: i64,
) -> Result<i64, DbError> {
    insert_draft(db, applicant_id, data, Some((slug, version)), now).await
}

async fn insert_draft(
    db: &Db,
    applicant_id: i64,
    data: &RequestData,
    template: Option<(&str, i64)>,
    now: i64,
) -> Result<i64, DbError> {
    let json = encode(data)?;
    let mut tx = db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO requests (state, applicant_id, title, data, version, created_at, updated_at, \
         siret, organisation_name, sensitive, search, technical_email, template_slug, template_version) \
         VALUES ($1, $2, $3, $4, 1, $5, $5, $6, $7, $8, \
         CAST($9 AS TEXT) || COALESCE((SELECT LOWER(u.email) FROM users u WHERE u.id = $2), ''), \
         $10, $11, $12) RETURNING id",
    )
    .bind(lifecycle::INITIAL.0.as_str())
    .bind(applicant_id)
    .bind(data.context.title.trim())
    .bind(json)
    .bind(now)
    .bind(siret_column(&data.organisation.siret))
    .bind(data.organisation.name.trim())
    .bind(i64::from(asks_sensitive(data)))
    .bind(search_of(data))
    .bind(technical_email_of(data))
    .bind(template.map(|(slug, _)| slug.to_owned()))
    .bind(template.map(|(_, version)| version))
    .fetch_one(&mut *tx)
    .await?;
    insert_created_event(&mut tx, id, applicant_id, now).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    applicant_id: Option<i64>,
    #[sqlx(try_from = "String")]
    state: RequestState,
    version: i64,
    data: String,
    created_at: i64,
    updated_at: i64,
    submitted_at: Option<i64>,
    organisation_check: Option<String>,
    #[sqlx(try_from = "String")]
    kind: RequestKind,
    parent_id: Option<i64>,
    agent_link: Option<String>,
}

/// What a save needs to know of a request, without its data: whose it is and
/// what the directory last said of its SIRET.
#[derive(Clone, Debug, PartialEq)]
pub struct SaveFacts {
    pub applicant_id: Option<i64>,
    pub submitted_at: Option<i64>,
    pub organisation_check: Option<OrganisationCheck>,
}

/// [`SaveFacts`] of request `id`: one small row, where [`get`] decodes the
/// whole data and lists the attachments (the autosave runs this at every save).
pub async fn save_facts(db: &Db, id: i64) -> Result<Option<SaveFacts>, DbError> {
    let row: Option<(Option<i64>, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT applicant_id, submitted_at, organisation_check FROM requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(applicant_id, submitted_at, check)| SaveFacts {
        applicant_id,
        submitted_at,
        organisation_check: check_of(check.as_deref()),
    }))
}

/// A stored directory check; one this build cannot read is as good as none
/// (it is made again).
fn check_of(stored: Option<&str>) -> Option<OrganisationCheck> {
    stored.and_then(|c| serde_json::from_str(c).ok())
}

/// Reads one request, with the list of its attachments (from their table).
pub async fn get(db: &Db, id: i64) -> Result<Option<StoredRequest>, DbError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, applicant_id, state, version, data, created_at, updated_at, submitted_at, \
         organisation_check, kind, parent_id, agent_link FROM requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut data = decode(&row.data)?;
    data.legal.attachments = super::attachments::list(&db.pool, row.id).await?;
    Ok(Some(StoredRequest {
        id: row.id,
        applicant_id: row.applicant_id,
        state: row.state,
        version: row.version,
        data,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        organisation_check: check_of(row.organisation_check.as_deref()),
        kind: row.kind,
        parent_id: row.parent_id,
        agent_link: crate::domain::identity::AgentLink::from_stored(row.agent_link.as_deref()),
    }))
}

/// Records whether the applicant submitting is an agent of the request's
/// organisation according to ProConnect.
pub async fn set_agent_link_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    link: crate::domain::identity::AgentLink,
) -> Result<(), DbError> {
    sqlx::query("UPDATE requests SET agent_link = $1 WHERE id = $2")
        .bind(link.stored())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Keeps what the directory said of the request's SIRET.
pub async fn set_organisation_check(
    db: &Db,
    id: i64,
    check: Option<&OrganisationCheck>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE requests SET organisation_check = $1 WHERE id = $2")
        .bind(check_column(check)?)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

fn check_column(check: Option<&OrganisationCheck>) -> Result<Option<String>, DbError> {
    check
        .map(|c| {
            serde_json::to_string(c).map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))
        })
        .transpose()
}

/// Saves the request's data over `expected_version`; returns the new version.
/// A stale version is a `Conflict`, never an overwrite. Only editable states
/// (draft, changes requested) accept saves.
pub async fn save(
    db: &Db,
    id: i64,
    expected_version: i64,
    data: &RequestData,
    now: i64,
) -> Result<i64, RequestWriteError> {
    save_once(
        db,
        id,
        expected_version,
        data,
        None,
        SaveLineage::default(),
        now,
    )
    .await
}

/// A save as the wizard sends it: named by the browser, and naming the saves
/// it sent earlier over the same version without learning their fate.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaveLineage<'a> {
    /// This save's id: sent again after a lost answer, it gets the same answer.
    pub id: Option<&'a str>,
    /// Ids of this device's earlier saves over `expected_version` whose answer
    /// never came (network cut, page reloaded while the database was locked):
    /// one of them may have been written, and this save may go over it.
    pub earlier: &'a [String],
}

/// `save`, for the wizard: idempotent for a given save id, and free to go
/// over the device's own earlier saves.
///
/// - When the row's last save is this very id, its version is answered again
///   and nothing is written twice.
/// - When the row's last save is one of `lineage.earlier`, every version since
///   `expected_version` came from this device (each of its saves is written
///   only over the base version or over one of its own): this save, typed
///   after them, is written over the current version.
/// - Anything else over another version is a `Conflict`.
///
/// `check` is what the directory says of the SIRET saved (kept beside the
/// data, which holds only what the applicant typed).
pub async fn save_once(
    db: &Db,
    id: i64,
    expected_version: i64,
    data: &RequestData,
    check: Option<&OrganisationCheck>,
    lineage: SaveLineage<'_>,
    now: i64,
) -> Result<i64, RequestWriteError> {
    let check = check_column(check)?;
    // The attachments' table is their authority: a list sent with the data
    // is not stored (it could name files that are not there).
    let json = if data.legal.attachments.is_empty() {
        encode(data)?
    } else {
        let mut data = data.clone();
        data.legal.attachments.clear();
        encode(&data)?
    };
    // Over the expected version first; then, once, over the device's own
    // earlier save. A third writer in between is a conflict.
    let mut over = expected_version;
    loop {
        let result = sqlx::query(&SAVE_SQL)
            .bind(&json)
            .bind(data.context.title.trim())
            .bind(siret_column(&data.organisation.siret))
            .bind(now)
            .bind(lineage.id)
            .bind(id)
            .bind(over)
            .bind(data.organisation.name.trim())
            .bind(i64::from(asks_sensitive(data)))
            .bind(search_of(data))
            .bind(technical_email_of(data))
            .bind(check.as_deref())
            .execute(&db.writer)
            .await?;
        if result.rows_affected() == 1 {
            return Ok(over + 1);
        }
        // Nothing written: say why.
        let current: Option<(String, i64, Option<String>)> =
            sqlx::query_as("SELECT state, version, last_save_id FROM requests WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?;
        let Some((state, version, last)) = current else {
            return Err(RequestWriteError::NotFound);
        };
        let state = state_of(&state)?;
        let last = last.as_deref();
        if version > expected_version && lineage.id.is_some() && last == lineage.id {
            return Ok(version);
        }
        // Not editable any more (submitted…): say so, whatever the version.
        if !lifecycle::is_editable(state) {
            return Err(LifecycleError::IllegalState {
                state,
                action: Action::Edit,
            }
            .into());
        }
        let own_earlier = last.is_some_and(|last| lineage.earlier.iter().any(|e| e == last));
        if over == expected_version && version > expected_version && own_earlier {
            over = version;
            continue;
        }
        return Err(RequestWriteError::Conflict {
            expected: expected_version,
            current: version,
        });
    }
}

/// A save: the data over the expected version, while the request is editable.
static SAVE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "UPDATE requests SET data = $1, title = $2, siret = $3, version = version + 1, \
         updated_at = $4, last_save_id = $5, organisation_name = $8, sensitive = $9, \
         search = CAST($10 AS TEXT) || COALESCE((SELECT LOWER(u.email) FROM users u \
         WHERE u.id = requests.applicant_id), ''), technical_email = $11, \
         organisation_check = $12 \
         WHERE id = $6 AND version = $7 AND state IN {}",
        *super::EDITABLE_SQL
    )
});

/// The SIRET as the `siret` column keeps it (for search and the directory):
/// its digits only, as typed with or without spaces.
pub fn siret_column(typed: &str) -> String {
    typed.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The application's part of the `search` column (the database appends the
/// applicant's email): the organisation's name and the context's title,
/// folded, and the SIRET, one per line.
pub(super) fn search_of(data: &RequestData) -> String {
    search_text(
        &data.organisation.name,
        &data.context.title,
        &siret_column(&data.organisation.siret),
    )
}

/// `search_of`, from the columns.
pub fn search_text(organisation: &str, title: &str, siret: &str) -> String {
    format!(
        "{}\n{}\n{}\n",
        super::instruction::fold(organisation),
        super::instruction::fold(title),
        siret
    )
}

/// Fills the `search` column of the submitted requests written before it
/// existed (or inserted by hand), 250 per statement. Run at start-up, after
/// the migrations; answers how many were filled.
pub async fn fill_search(db: &Db) -> Result<u64, DbError> {
    let mut filled = 0;
    let mut after = 0;
    loop {
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, organisation_name, title, siret FROM requests \
             WHERE id > $1 AND search = '' AND submitted_at IS NOT NULL ORDER BY id LIMIT 250",
        )
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(filled);
        };
        after = last.0;
        // One statement for the batch (one per row costs far more).
        let mut cases = String::new();
        let mut ids = Vec::with_capacity(rows.len());
        for (i, _) in rows.iter().enumerate() {
            cases.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
            ids.push(format!("${}", 2 * i + 1));
        }
        let sql = format!(
            "UPDATE requests SET search = CAST(CASE id{cases} END AS TEXT) || \
             COALESCE((SELECT LOWER(u.email) FROM users u WHERE u.id = requests.applicant_id), '') \
             WHERE id IN ({})",
            ids.join(", ")
        );
        let mut update = sqlx::query(&sql);
        for (id, organisation, title, siret) in &rows {
            update = update.bind(*id).bind(search_text(
                organisation,
                title,
                siret.as_deref().unwrap_or_default(),
            ));
        }
        filled += update.execute(&db.pool).await?.rows_affected();
    }
}

/// The `technical_email` column: the technical contact's address, normalised
/// as accounts' addresses are, or `None` when the request names none.
pub fn technical_email_of(data: &RequestData) -> Option<String> {
    let email = super::users::normalise_email(&data.contacts.technical.email);
    (!email.is_empty()).then_some(email)
}

/// Whether the request asks for at least one sensitive scope.
pub fn asks_sensitive(data: &RequestData) -> bool {
    data.data
        .scopes
        .iter()
        .any(|s| crate::domain::scopes::find(s).is_some_and(|sc| sc.sensitive))
}

/// Copies a request into a new draft of the same applicant (another business
/// context of the same organisation): the organisation, data, legal and
/// contact blocks are kept; the context and the acceptance of the terms
/// start empty. Writes the `duplicated` event on the source and `created` on
/// the copy, in one transaction. Returns the new id.
pub async fn duplicate(
    db: &Db,
    source_id: i64,
    applicant_id: i64,
    now: i64,
) -> Result<i64, RequestWriteError> {
    let source = get(db, source_id)
        .await?
        .ok_or(RequestWriteError::NotFound)?;
    let mut data = source.data.clone();
    data.context = Default::default();
    data.terms = Default::default();
    data.legal.attachments.clear();
    let json = encode(&data)?;
    let mut tx = db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO requests (state, applicant_id, siret, title, data, version, duplicated_from, \
         created_at, updated_at, organisation_name, sensitive, search, technical_email) \
         VALUES ($1, $2, $3, '', $4, 1, $5, $6, $6, $7, $8, \
         CAST($9 AS TEXT) || COALESCE((SELECT LOWER(u.email) FROM users u WHERE u.id = $2), ''), \
         $10) RETURNING id",
    )
    .bind(lifecycle::INITIAL.0.as_str())
    .bind(applicant_id)
    .bind(siret_column(&data.organisation.siret))
    .bind(json)
    .bind(source_id)
    .bind(now)
    .bind(data.organisation.name.trim())
    .bind(i64::from(asks_sensitive(&data)))
    .bind(search_of(&data))
    .bind(technical_email_of(&data))
    .fetch_one(&mut *tx)
    .await?;
    insert_created_event(&mut tx, id, applicant_id, now).await?;
    insert_event(
        &mut tx,
        &NewEvent {
            request_id: source_id,
            kind: EventKind::Duplicated,
            from: Some(source.state),
            to: source.state,
            actor_id: Some(applicant_id),
            role: Role::Applicant,
            message: Some(&format!("copiée dans la demande n° {id}")),
            payload: None,
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A line of "Mes demandes".
#[derive(Clone, Debug, PartialEq)]
pub struct RequestLine {
    pub id: i64,
    pub kind: RequestKind,
    pub parent_id: Option<i64>,
    pub state: RequestState,
    pub title: String,
    pub organisation: String,
    pub siret: String,
    pub version: i64,
    pub updated_at: i64,
}

/// The requests of an applicant, most recently changed first (archived ones
/// last).
pub async fn list_for_applicant(db: &Db, applicant_id: i64) -> Result<Vec<RequestLine>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        id: i64,
        #[sqlx(try_from = "String")]
        state: RequestState,
        title: String,
        data: String,
        version: i64,
        updated_at: i64,
        #[sqlx(try_from = "String")]
        kind: RequestKind,
        parent_id: Option<i64>,
    }
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT id, state, title, data, version, updated_at, kind, parent_id FROM requests \
         WHERE applicant_id = $1 \
         ORDER BY CASE WHEN state = 'archived' THEN 1 ELSE 0 END, updated_at DESC, id DESC",
    )
    .bind(applicant_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let data = decode(&r.data)?;
            Ok(RequestLine {
                id: r.id,
                kind: r.kind,
                parent_id: r.parent_id,
                state: r.state,
                title: r.title,
                organisation: data.organisation.name,
                siret: data.organisation.siret,
                version: r.version,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// One state change as the lifecycle allows it, with its event.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub id: i64,
    pub action: Action,
    pub role: Role,
    pub actor_id: Option<i64>,
    /// The message shown with the event (reason, changes asked…).
    pub message: Option<&'a str>,
    /// JSON kept with the event (fields to change, scopes accepted…).
    pub payload: Option<&'a str>,
    /// The version the actor decided on: another one is a `Conflict`.
    pub expected_version: Option<i64>,
    pub now: i64,
}

impl<'a> Change<'a> {
    /// A change with no message, payload or expected version.
    pub fn new(id: i64, action: Action, role: Role, actor_id: Option<i64>, now: i64) -> Self {
        Change {
            id,
            action,
            role,
            actor_id,
            message: None,
            payload: None,
            expected_version: None,
            now,
        }
    }
}

/// What `change_state_in` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Changed {
    pub transition: Transition,
    /// The id of its row in `events`.
    pub event_id: i64,
    /// The request's version after the change.
    pub version: i64,
}

/// Changes a request's state inside the caller's transaction: locks the row,
/// checks the action with the lifecycle (for this role, in the state read,
/// on the expected version), writes the new state (guarded by the state
/// read, so two racing actions cannot both succeed) and its event; a
/// submission also records the terms of use accepted and keeps its
/// snapshot. A repeated decision finds the state changed and is refused by
/// the lifecycle, so it has no second effect.
pub async fn change_state_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    c: &Change<'_>,
) -> Result<Changed, RequestWriteError> {
    // Write first: this takes the row lock on PostgreSQL and the write lock on
    // SQLite before anything is read, so racing actions wait their turn and
    // then see the new state, instead of failing on a lock upgrade.
    let locked = sqlx::query("UPDATE requests SET version = version WHERE id = $1")
        .bind(c.id)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(RequestWriteError::NotFound);
    }
    let (state, version): (String, i64) =
        sqlx::query_as("SELECT state, version FROM requests WHERE id = $1")
            .bind(c.id)
            .fetch_one(&mut **tx)
            .await?;
    let from = state_of(&state)?;
    let t = lifecycle::apply(from, c.action, c.role)?;
    if let Some(expected) = c.expected_version
        && expected != version
    {
        return Err(RequestWriteError::Conflict {
            expected,
            current: version,
        });
    }
    let submitted = matches!(t.event, EventKind::Submitted | EventKind::Resubmitted);
    let updated = sqlx::query(
        "UPDATE requests SET state = $1, updated_at = $2, \
         submitted_at = CASE WHEN $3 = 1 THEN $2 ELSE submitted_at END \
         WHERE id = $4 AND state = $5",
    )
    .bind(t.to.as_str())
    .bind(c.now)
    .bind(i64::from(submitted))
    .bind(c.id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        // Another action changed the state since we read it.
        return Err(RequestWriteError::Conflict {
            expected: version,
            current: version,
        });
    }
    let mut version = version;
    if submitted {
        version = stamp_terms_in(tx, c.id, version, c.now).await?;
        snapshot_in(tx, c.id, version, c.now).await?;
    }
    let event_id = insert_event(
        tx,
        &NewEvent {
            request_id: c.id,
            kind: t.event,
            from: Some(from),
            to: t.to,
            actor_id: c.actor_id,
            role: c.role,
            message: c.message,
            payload: c.payload,
            now: c.now,
        },
    )
    .await?;
    Ok(Changed {
        transition: t,
        event_id,
        version,
    })
}

/// `change_state_in` in a transaction of its own: a state change that
/// writes nothing else (archiving a draft, seeding, tests).
pub async fn transition(db: &Db, c: &Change<'_>) -> Result<Changed, RequestWriteError> {
    let mut tx = db.begin().await?;
    let changed = change_state_in(&mut tx, c).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Records in the request's data, inside the caller's transaction, that the
/// current terms of use were accepted at `now` (when the applicant ticked
/// them); answers the version after it.
async fn stamp_terms_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    version: i64,
    now: i64,
) -> Result<i64, DbError> {
    let (data,): (String,) = sqlx::query_as("SELECT data FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let mut parsed = decode(&data)?;
    if !parsed.terms.accepted {
        return Ok(version);
    }
    parsed.terms.version = crate::domain::request::CURRENT_CGU_VERSION.to_owned();
    parsed.terms.accepted_at = Some(now);
    sqlx::query("UPDATE requests SET data = $1, version = $2 WHERE id = $3")
        .bind(encode(&parsed)?)
        .bind(version + 1)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(version + 1)
}

/// Keeps, inside the caller's transaction, the request as submitted at
/// `version` (with the attachments submitted with it): the next submission
/// is compared against it.
async fn snapshot_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    version: i64,
    now: i64,
) -> Result<(), DbError> {
    let (data,): (String,) = sqlx::query_as("SELECT data FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let mut parsed = decode(&data)?;
    parsed.legal.attachments = super::attachments::list(&mut **tx, id).await?;
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM request_snapshots WHERE request_id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query(
        "INSERT INTO request_snapshots (request_id, submission_no, version, data, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(n + 1)
    .bind(version)
    .bind(encode(&parsed)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The `created` event of a new draft.
async fn insert_created_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    applicant_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    insert_event(
        tx,
        &NewEvent {
            request_id: id,
            kind: lifecycle::INITIAL.1,
            from: None,
            to: lifecycle::INITIAL.0,
            actor_id: Some(applicant_id),
            role: Role::Applicant,
            message: None,
            payload: None,
            now,
        },
    )
    .await?;
    Ok(())
}

/// One row of the event log, to write.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    pub request_id: i64,
    pub kind: EventKind,
    pub from: Option<RequestState>,
    pub to: RequestState,
    pub actor_id: Option<i64>,
    pub role: Role,
    pub message: Option<&'a str>,
    pub payload: Option<&'a str>,
    pub now: i64,
}

/// Writes an event inside the caller's transaction; answers its id.
pub async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    e: &NewEvent<'_>,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO events (request_id, kind, from_state, to_state, actor_id, actor_role, message, \
         payload, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(e.request_id)
    .bind(e.kind.as_str())
    .bind(e.from.map(RequestState::as_str))
    .bind(e.to.as_str())
    .bind(e.actor_id)
    .bind(e.role.as_str())
    .bind(e.message)
    .bind(e.payload)
    .bind(e.now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The state of a request, read inside the caller's transaction.
pub async fn state_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
) -> Result<Option<RequestState>, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|(s,)| state_of(&s)).transpose()
}

/// The event log of a request, oldest first.
pub async fn events(db: &Db, id: i64) -> Result<Vec<StoredEvent>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, from_state, to_state, actor_id, message, payload, created_at \
             FROM events WHERE request_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}

/// A request as submitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// 1 for the first submission.
    pub submission_no: i64,
    pub version: i64,
    pub data: RequestData,
}

/// The snapshots taken at each submission, first to last.
pub async fn snapshots(db: &Db, id: i64) -> Result<Vec<Snapshot>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        submission_no: i64,
        version: i64,
        data: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT submission_no, version, data FROM request_snapshots \
         WHERE request_id = $1 ORDER BY submission_no",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Snapshot {
                submission_no: r.submission_no,
                version: r.version,
                data: decode(&r.data)?,
            })
        })
        .collect()
}
