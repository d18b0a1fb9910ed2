//! The applicant's requests: "Mes demandes", the wizard's draft (read, save
//! with optimistic versions, idempotent retries), duplicate, archive, submit.
//! Who may call: `server::policy`; whose request: `policy::can_*_request`.

use crate::domain::RequestState;
use crate::domain::lifecycle::RequestKind;
use crate::domain::request::RequestData;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The longest save id the server takes (the wizard's are about 25 bytes).
pub const SAVE_ID_MAX_LEN: usize = 64;
/// How many unanswered earlier saves a save may name; the wizard keeps the
/// most recent ones.
pub const SAVE_EARLIER_MAX: usize = 32;

/// A line of "Mes demandes".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    pub state: RequestState,
    pub title: String,
    pub organisation: String,
    pub siret: String,
    pub updated_at: i64,
    /// Messages from the instructors not read yet.
    #[serde(default)]
    pub unread: i64,
    #[serde(default)]
    pub kind: RequestKind,
    /// The accepted request an update changes.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// A request as the wizard and the summary page read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub state: RequestState,
    pub version: i64,
    pub data: RequestData,
    pub updated_at: i64,
    /// Whether the viewer may change it now.
    pub editable: bool,
    /// While changes are requested: the instructor's message.
    #[serde(default)]
    pub changes_message: Option<String>,
    /// While changes are requested: the fields the instructor pointed at.
    #[serde(default)]
    pub changes_fields: Vec<String>,
    #[serde(default)]
    pub kind: RequestKind,
    /// The accepted request an update changes.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// An accepted request's update not decided yet, if any.
    #[serde(default)]
    pub open_update: Option<i64>,
    /// The viewer may start an update now (its applicant, accepted, none
    /// open).
    #[serde(default)]
    pub updatable: bool,
    /// The viewer may hand it to a colleague (its applicant).
    #[serde(default)]
    pub transferable: bool,
    /// The offer waiting for a colleague's acceptance, if any.
    #[serde(default)]
    pub pending_transfer: Option<PendingTransfer>,
}

/// A transfer offered and not accepted yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransfer {
    pub email: String,
    pub expires_at: i64,
}

/// The answer to a save.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub version: i64,
    pub saved_at: i64,
}

#[cfg(feature = "ssr")]
mod server_side {
    use crate::error::{AppError, ErrorCode};

    pub fn not_yours() -> AppError {
        AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        )
    }

    /// The request, when the viewer may change it (its applicant).
    pub async fn owned(
        state: &crate::server::state::AppState,
        me: &crate::server::auth::session::Viewer,
        id: i64,
    ) -> Result<crate::server::db::requests::StoredRequest, AppError> {
        let r = crate::server::db::requests::get(&state.db, id)
            .await?
            .ok_or_else(not_found)?;
        if !crate::server::policy::can_edit_request(me, crate::server::policy::RequestFacts::of(&r))
        {
            return Err(not_yours());
        }
        Ok(r)
    }

    /// What a save needs of the request, when the viewer may change it: the
    /// same check as [`owned`], without reading the request's data.
    pub async fn owned_for_save(
        state: &crate::server::state::AppState,
        me: &crate::server::auth::session::Viewer,
        id: i64,
    ) -> Result<crate::server::db::requests::SaveFacts, AppError> {
        use crate::server::policy::{RequestFacts, can_edit_request};
        let r = crate::server::db::requests::save_facts(&state.db, id)
            .await?
            .ok_or_else(not_found)?;
        if !can_edit_request(me, RequestFacts::of_save(&r)) {
            return Err(not_yours());
        }
        Ok(r)
    }

    pub fn not_found() -> AppError {
        AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas ou a été supprimée.",
        )
    }
}

/// The signed-in applicant's requests, most recent first.
#[server(endpoint = "requests/mine")]
pub async fn my_requests() -> Result<Vec<RequestSummary>, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<MyRequests>().await?;
    let lines = db::requests::list_for_applicant(&state.db, me.id).await?;
    let unread = db::instruction::unread_for_applicant(&state.db, me.id).await?;
    Ok(lines
        .into_iter()
        .map(|l| RequestSummary {
            unread: unread
                .iter()
                .find(|(id, _)| *id == l.id)
                .map_or(0, |(_, n)| *n),
            id: l.id,
            kind: l.kind,
            parent_id: l.parent_id,
            state: l.state,
            title: l.title,
            organisation: l.organisation,
            siret: l.siret,
            updated_at: l.updated_at,
        })
        .collect())
}

/// Starts a new draft; answers its number.
#[server(endpoint = "requests/create")]
pub async fn create_request() -> Result<i64, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<CreateRequest>().await?;
    let mut data = RequestData::new_draft();
    crate::server::flows::templates::prefill_agent_organisation(&state, me.id, &mut data).await?;
    let id = db::requests::create_draft(&state.db, me.id, &data, db::now_ms()).await?;
    crate::server::after_form(&crate::paths::wizard_step(id, 1));
    Ok(id)
}

/// One request, for its applicant or for staff.
#[server(endpoint = "requests/get")]
pub async fn get_request(id: i64) -> Result<RequestView, AppError> {
    use crate::domain::lifecycle::is_editable;
    use crate::server::{app_state, db, policy};
    let state = app_state()?;
    let me = crate::server::caller::<GetRequest>().await?;
    let r = db::requests::get(&state.db, id)
        .await?
        .ok_or_else(server_side::not_found)?;
    let facts = policy::RequestFacts::of(&r);
    if !policy::can_read_request(&me, facts) {
        // Staff do not learn that a draft exists.
        return Err(if policy::reads_all_requests(me.role) {
            server_side::not_found()
        } else {
            server_side::not_yours()
        });
    }
    let asked = if r.state == RequestState::ChangesRequested {
        db::requests::events(&state.db, id)
            .await?
            .into_iter()
            .rev()
            .find(|e| e.kind == crate::domain::lifecycle::EventKind::ChangesRequested)
    } else {
        None
    };
    let changes_fields = asked
        .as_ref()
        .and_then(|e| e.payload.as_deref())
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| serde_json::from_value::<Vec<String>>(v["fields"].clone()).ok())
        .unwrap_or_default();
    let open_update = if r.state == RequestState::Accepted && r.kind == RequestKind::Initial {
        db::updates::open_of(&state.db, r.id).await?
    } else {
        None
    };
    let updatable = r.state == RequestState::Accepted
        && r.kind == RequestKind::Initial
        && open_update.is_none()
        && policy::can_edit_request(&me, facts);
    let transferable = r.state != RequestState::Archived
        && r.kind != RequestKind::Renewal
        && policy::can_edit_request(&me, facts);
    let pending_transfer = if transferable {
        db::transfers::pending_of(&state.db, r.id, db::now_ms())
            .await?
            .map(|(email, expires_at)| PendingTransfer { email, expires_at })
    } else {
        None
    };
    Ok(RequestView {
        transferable,
        pending_transfer,
        kind: r.kind,
        parent_id: r.parent_id,
        open_update,
        updatable,
        changes_message: asked.and_then(|e| e.message),
        changes_fields,
        id: r.id,
        state: r.state,
        version: r.version,
        editable: is_editable(r.state) && policy::can_edit_request(&me, facts),
        data: r.data,
        updated_at: r.updated_at,
    })
}

/// Saves the wizard's data over `version`. `save_id` names this save: sent
/// again after a lost answer, it gets the same answer. `earlier` names the
/// saves this device sent over the same `version` without an answer: when one
/// of them was written meanwhile, this one goes over it. Any other change of
/// version is refused with `conflict` (nothing is overwritten); every field
/// has a length limit.
#[server(endpoint = "requests/save", input = Json)]
pub async fn save_request(
    id: i64,
    version: i64,
    save_id: String,
    #[server(default)] earlier: Vec<String>,
    data: RequestData,
) -> Result<Saved, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<SaveRequest>().await?;
    let bad_id = |s: &String| s.is_empty() || s.len() > SAVE_ID_MAX_LEN;
    if bad_id(&save_id) || earlier.len() > SAVE_EARLIER_MAX || earlier.iter().any(bad_id) {
        return Err(AppError::new(ErrorCode::BadRequest));
    }
    if let Some(e) = data.validate_limits().into_iter().next() {
        return Err(AppError::invalid(&e.field, e.message));
    }
    let stored = server_side::owned_for_save(&state, &me, id).await?;
    // What the directory says of the SIRET typed (asked again only when it
    // changed): the instructor reads this, not the name typed.
    let check = state
        .check_siret(&data.organisation.siret, stored.organisation_check.as_ref())
        .await;
    let now = db::now_ms();
    let lineage = db::requests::SaveLineage {
        id: Some(&save_id),
        earlier: &earlier,
    };
    let version =
        db::requests::save_once(&state.db, id, version, &data, check.as_ref(), lineage, now)
            .await?;
    Ok(Saved {
        version,
        saved_at: now,
    })
}

/// Copies a request into a new draft for another business context; answers
/// the new number.
#[server(endpoint = "requests/duplicate")]
pub async fn duplicate_request(id: i64) -> Result<i64, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<DuplicateRequest>().await?;
    server_side::owned(&state, &me, id).await?;
    let new_id = db::requests::duplicate(&state.db, id, me.id, db::now_ms()).await?;
    crate::server::after_form(&crate::paths::wizard_step(new_id, 2));
    Ok(new_id)
}

/// Starts an update of an accepted request (its applicant): a draft copying
/// it, instructed like a request while the current authorisation stays in
/// force; accepting it changes the same token's scopes. Answers the
/// update's number (the open one, when there is one already).
#[server(endpoint = "requests/start_update")]
pub async fn start_update(id: i64) -> Result<i64, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db, policy};
    let state = app_state()?;
    let me = crate::server::caller::<StartUpdate>().await?;
    let r = db::requests::get(&state.db, id)
        .await?
        .ok_or_else(server_side::not_found)?;
    let held = db::spaces::held_of_request(&state.db, id).await?;
    let facts = policy::RequestFacts::of(&r);
    if !policy::can_start_update(&me, facts, held.as_ref().map(|h| &h.holders)) {
        return Err(server_side::not_yours());
    }
    if r.state != RequestState::Accepted || r.kind != RequestKind::Initial {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Seule une habilitation validée et en vigueur peut être mise à jour.",
        ));
    }
    let started = db::updates::start(&state.db, id, me.id, db::now_ms()).await?;
    if !started.created {
        // Opened by the other person of the authorisation: they own it.
        let open = db::requests::get(&state.db, started.id).await?;
        if open.is_some_and(|u| u.applicant_id != Some(me.id)) {
            return Err(AppError::with_message(
                ErrorCode::Conflict,
                format!(
                    "Une mise à jour de cette habilitation est déjà en cours (demande n° {}), \
                     ouverte par une autre personne de l’habilitation.",
                    started.id
                ),
            ));
        }
    }
    crate::server::after_form(&crate::paths::wizard_step(started.id, 2));
    Ok(started.id)
}

/// Offers request `id` to the colleague at `email` (its applicant: an
/// address of the same domain; staff: any); answers when the offer ends.
#[server(endpoint = "requests/transfer")]
pub async fn transfer_request(id: i64, email: String) -> Result<i64, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<TransferRequest>().await?;
    crate::server::flows::transfer::offer(&state, &me, id, &email).await
}

/// What accepting a transfer did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferDone {
    pub request_id: i64,
    /// A link to choose a password, for a new account.
    pub password_link: Option<String>,
}

/// Accepts the transfer of the emailed link's `token`.
#[server(endpoint = "requests/accept_transfer")]
pub async fn accept_transfer(token: String) -> Result<TransferDone, AppError> {
    let state = crate::server::app_state()?;
    let done = crate::server::flows::transfer::accept(&state, &token).await?;
    Ok(TransferDone {
        request_id: done.request_id,
        password_link: done.password_link,
    })
}

/// Archives a draft (it stays listed, no longer editable).
#[server(endpoint = "requests/archive")]
pub async fn archive_request(id: i64) -> Result<(), AppError> {
    use crate::domain::lifecycle::{Action, Role};
    use crate::server::db::requests::Change;
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<ArchiveRequest>().await?;
    server_side::owned(&state, &me, id).await?;
    let archive = Change::new(
        id,
        Action::Archive,
        Role::Applicant,
        Some(me.id),
        db::now_ms(),
    );
    db::requests::transition(&state.db, &archive).await?;
    crate::server::after_form(crate::paths::MY_REQUESTS);
    Ok(())
}

/// Removes an attachment from a draft (or a request awaiting changes).
/// Removing one that is already gone is not an error.
#[server(endpoint = "requests/remove_attachment")]
pub async fn remove_attachment(id: i64, attachment_id: String) -> Result<(), AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<RemoveAttachment>().await?;
    server_side::owned(&state, &me, id).await?;
    db::attachments::remove(&state.db, id, &attachment_id, db::now_ms()).await?;
    // A file no submission names is deleted for good (it no longer counts
    // in the account's quota).
    crate::server::attachments::purge_removed(&state, id).await;
    Ok(())
}

/// Submits a complete request (first submission or resubmission after
/// changes were requested): records the terms accepted, snapshots the
/// request, writes the event and queues the emails, in one transaction.
/// `version` must be the one the applicant reviewed.
#[server(endpoint = "requests/submit")]
pub async fn submit_request(id: i64, version: i64) -> Result<(), AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<SubmitRequest>().await?;
    let r = server_side::owned(&state, &me, id).await?;
    crate::server::flows::submit::submit(&state, &me, &r, version).await?;
    crate::server::after_form(&crate::paths::request(id));
    Ok(())
}

/// An organisation found from its SIRET, for step 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundOrganisation {
    pub name: String,
    pub legal_category: String,
    pub legal_category_label: String,
    pub active: bool,
    pub eligibility: crate::domain::legal_category::Eligibility,
    pub eligibility_message: String,
}

/// Looks a SIRET up in the directory (offline, then online when configured):
/// `None` when no directory knows it.
#[server(endpoint = "requests/lookup_organisation")]
pub async fn lookup_organisation(siret: String) -> Result<Option<FoundOrganisation>, AppError> {
    use crate::domain::siret::Siret;
    use crate::server::app_state;
    use crate::server::directory::{OrganisationInfo, Resolved};
    let state = app_state()?;
    crate::server::caller::<LookupOrganisation>().await?;
    let siret = Siret::parse(&siret)
        .map_err(|e| AppError::invalid("organisation.siret", e.message("SIRET")))?;
    match state.resolve(&siret).await {
        Resolved::Offline(entry) => {
            let info = OrganisationInfo::from_entry(entry);
            Ok(Some(FoundOrganisation {
                name: info.name,
                legal_category: info.legal_category,
                legal_category_label: info.legal_category_label,
                active: true,
                eligibility: info.eligibility,
                eligibility_message: info.eligibility_message,
            }))
        }
        Resolved::Online(o) => Ok(Some(FoundOrganisation {
            name: o.name,
            legal_category: o.legal_category,
            legal_category_label: o.legal_category_label,
            active: o.active,
            eligibility: o.eligibility,
            eligibility_message: o.eligibility_message,
        })),
        Resolved::NotFound => Ok(None),
        Resolved::Unavailable(_) => Err(AppError::with_message(
            crate::error::ErrorCode::DatabaseUnavailable,
            crate::server::directory::online::UNAVAILABLE_MESSAGE,
        )),
    }
}

/// An organisation the wizard's name search offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationHit {
    pub siren: String,
    /// The head office's SIRET when a directory gives it; otherwise the
    /// applicant completes the SIREN with the establishment's NIC.
    pub siret: Option<String>,
    pub name: String,
    pub legal_category: String,
    pub legal_category_label: String,
    pub departement: Option<String>,
    pub active: bool,
    /// Found by the online company search (Sirene), not in the offline index.
    pub online: bool,
    /// Where the entry comes from, as the applicant reads it.
    pub source_label: String,
}

/// What the wizard's name search answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationSearch {
    pub hits: Vec<OrganisationHit>,
    /// The online search is configured but did not answer.
    pub online_unavailable: bool,
}

/// Most organisations the wizard's search offers.
pub const ORGANISATION_SEARCH_LIMIT: usize = 10;

/// Finds organisations by name (or SIREN/SIRET) for the wizard's step 1:
/// the offline directory, then the online search when configured.
#[server(endpoint = "requests/search_organisations")]
pub async fn search_organisations(q: String) -> Result<OrganisationSearch, AppError> {
    use crate::server::app_state;
    use crate::server::directory::{Hit, OnlineStatus, OrganisationInfo};
    let state = app_state()?;
    crate::server::caller::<SearchOrganisations>().await?;
    let q = crate::domain::organisation::search_query(&q)
        .map_err(|refusal| AppError::invalid("recherche", refusal.message()))?;
    let found = crate::server::directory::search(
        &state.directory,
        state.online_directory.as_ref(),
        q,
        ORGANISATION_SEARCH_LIMIT,
    )
    .await;
    let hits = found
        .hits
        .into_iter()
        .map(|hit| match hit {
            Hit::Offline(entry) => {
                let info = OrganisationInfo::from_entry(entry);
                OrganisationHit {
                    siren: info.siren,
                    siret: entry.siret.clone(),
                    name: info.name,
                    legal_category: info.legal_category,
                    legal_category_label: info.legal_category_label,
                    departement: info.departement,
                    active: true,
                    online: false,
                    source_label: entry.dataset().label().to_owned(),
                }
            }
            Hit::Online(o) => OrganisationHit {
                siren: o.siren,
                siret: o.siret,
                name: o.name,
                legal_category: o.legal_category,
                legal_category_label: o.legal_category_label,
                departement: None,
                active: o.active,
                online: true,
                source_label: "Recherche d’entreprises (registre Sirene, en ligne)".to_owned(),
            },
        })
        .collect();
    Ok(OrganisationSearch {
        hits,
        online_unavailable: found.online == OnlineStatus::Unavailable,
    })
}
