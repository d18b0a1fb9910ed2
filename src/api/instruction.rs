//! The instructors' decisions on a submitted request: ask for changes (with
//! a message, possibly pointing at fields), refuse (with a reason), accept
//! (possibly with fewer scopes than asked). Each writes its event and queues
//! its email to the applicant in one transaction, over the version the
//! instructor reviewed; a repeated decision finds the request already decided
//! and changes nothing. Who may call: `server::policy` (staff decide;
//! rapporteurs read the dashboard and the review).

// `dashboard` takes each filter of its address as a form field (the
// documented wire format); the browser's side of the macro has no place
// for an attribute of its own.
#![allow(clippy::too_many_arguments)]

use crate::domain::RequestState;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

pub use crate::domain::dashboard::MAX_PAGE;

/// A decision by the signed-in staff member (`server::flows::decide`).
#[cfg(feature = "ssr")]
async fn decide<F: leptos::server_fn::ServerFn>(
    id: i64,
    version: i64,
    verdict: crate::server::flows::decide::Verdict,
) -> Result<RequestState, AppError> {
    use crate::server::flows::decide::{Decision, decide};
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<F>().await?;
    let decision = Decision {
        id,
        version: Some(version),
        verdict,
    };
    decide(&state, &me, decision).await
}

/// Asks the applicant for changes: `message` (required) says what, `fields`
/// (optional) point at the fields to change, which the wizard highlights.
#[server(endpoint = "instruction/request_changes", input = Json)]
pub async fn request_changes(
    id: i64,
    version: i64,
    message: String,
    fields: Vec<String>,
) -> Result<RequestState, AppError> {
    use crate::server::flows::decide::Verdict;
    decide::<RequestChanges>(id, version, Verdict::RequestChanges { message, fields }).await
}

/// Refuses the request; `reason` is required and sent to the applicant.
#[server(endpoint = "instruction/refuse", input = Json)]
pub async fn refuse_request(
    id: i64,
    version: i64,
    reason: String,
) -> Result<RequestState, AppError> {
    use crate::server::flows::decide::Verdict;
    decide::<RefuseRequest>(id, version, Verdict::Refuse { reason }).await
}

/// Revokes an accepted request's access: its token is refused from the next
/// API call on; `reason` is required and sent to the applicant.
#[server(endpoint = "instruction/revoke", input = Json)]
pub async fn revoke_request(
    id: i64,
    version: i64,
    reason: String,
) -> Result<RequestState, AppError> {
    use crate::server::flows::decide::Verdict;
    decide::<RevokeRequest>(id, version, Verdict::Revoke { reason }).await
}

/// Accepts the request with `scopes` (all or some of those asked; at least
/// one); `message` is optional.
#[server(endpoint = "instruction/accept", input = Json)]
pub async fn accept_request(
    id: i64,
    version: i64,
    scopes: Vec<String>,
    message: String,
) -> Result<RequestState, AppError> {
    use crate::server::flows::decide::Verdict;
    decide::<AcceptRequest>(id, version, Verdict::Accept { scopes, message }).await
}

/// One line of the instructors' dashboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueLine {
    pub id: i64,
    pub organisation: String,
    pub siret: String,
    pub title: String,
    pub state: RequestState,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    pub sensitive: bool,
    pub assigned_email: Option<String>,
    pub assigned_to_me: bool,
    pub applicant_email: String,
    pub unread: i64,
    /// No directory vouched for the organisation: the instructor checks it.
    #[serde(default)]
    pub to_verify: bool,
    #[serde(default)]
    pub kind: crate::domain::lifecycle::RequestKind,
    /// The accepted request an update changes.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Whether ProConnect showed the applicant to be an agent of the
    /// organisation when submitting.
    #[serde(default)]
    pub agent_link: crate::domain::identity::AgentLink,
}

/// The dashboard: counts per state and one page of the queue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DashboardView {
    pub counts: Vec<(RequestState, i64)>,
    pub lines: Vec<QueueLine>,
    /// Requests matching the filters (counted up to `COUNT_CAP` + 1).
    pub total: i64,
    /// More requests match than the count went to.
    pub more: bool,
    pub page: i64,
    pub page_size: i64,
    /// The server's time (for "waiting for N days").
    pub now: i64,
}

/// The dashboard for the filters of its address: `q` searches organisation,
/// SIRET, title, applicant's email and number; `state` (a state's code or
/// empty for all), `assigned` (`moi`, `personne` or empty), `sensitive`
/// (`1`), `sort` (`attente`, `recentes`, `modifiees`), `page` (from 1),
/// `modele` (a template's slug: the requests started from it), `nature`
/// (`initiale`, `mise_a_jour`, `renouvellement`), `rattachement`
/// (`proconnect`, `non_verifie`).
#[server(endpoint = "instruction/dashboard")]
pub async fn dashboard(
    #[server(default)] q: String,
    #[server(default)] state: String,
    #[server(default)] assigned: String,
    #[server(default)] sensitive: String,
    #[server(default)] sort: String,
    #[server(default)] page: String,
    #[server(default)] modele: String,
    #[server(default)] nature: String,
    #[server(default)] rattachement: String,
) -> Result<DashboardView, AppError> {
    use crate::domain::lifecycle::RequestKind;
    use crate::server::db::instruction::{self, Assigned, Filters, Sort};
    use crate::server::{app_state, db};
    let app = app_state()?;
    let me = crate::server::caller::<Dashboard>().await?;
    let filters = Filters {
        q: q.chars().take(200).collect(),
        state: RequestState::parse(state.trim())
            .filter(|s| crate::domain::lifecycle::SUBMITTED_STATES.contains(s)),
        assigned: match assigned.trim() {
            "moi" => Assigned::Me,
            "personne" => Assigned::Nobody,
            _ => Assigned::Anyone,
        },
        sensitive: sensitive.trim() == "1",
        template: Some(modele.trim())
            .filter(|m| crate::domain::template::is_slug(m))
            .map(str::to_owned),
        kind: match nature.trim() {
            "initiale" => Some(RequestKind::Initial),
            "mise_a_jour" => Some(RequestKind::Update),
            "renouvellement" => Some(RequestKind::Renewal),
            _ => None,
        },
        agent_link: crate::domain::identity::AgentLink::from_query(rattachement.trim()),
        sort: match sort.trim() {
            "recentes" => Sort::Newest,
            "modifiees" => Sort::Updated,
            _ => Sort::Waiting,
        },
        page: page
            .trim()
            .parse()
            .unwrap_or(1)
            .clamp(1, instruction::MAX_PAGE),
    };
    let instruction::QueuePage { rows, total, cap } =
        instruction::queue(&app.db, me.id, &filters).await?;
    let counts = db::requests::count_by_state(&app.db)
        .await?
        .into_iter()
        .filter(|(s, _)| crate::domain::lifecycle::SUBMITTED_STATES.contains(s))
        .collect();
    let lines = rows
        .into_iter()
        .map(|r| QueueLine {
            state: r.state,
            id: r.id,
            organisation: r.organisation,
            siret: r.siret.unwrap_or_default(),
            title: r.title,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            sensitive: r.sensitive != 0,
            to_verify: r
                .organisation_check
                .as_deref()
                .and_then(|c| {
                    serde_json::from_str::<crate::domain::organisation::OrganisationCheck>(c).ok()
                })
                .is_none_or(|c| c.to_verify()),
            assigned_to_me: r.assigned_to == Some(me.id),
            assigned_email: r.assigned_email,
            applicant_email: r.applicant_email.unwrap_or_default(),
            unread: r.unread,
            kind: r.kind,
            parent_id: r.parent_id,
            agent_link: crate::domain::identity::AgentLink::from_stored(r.agent_link.as_deref()),
        })
        .collect();
    Ok(DashboardView {
        counts,
        lines,
        more: total > cap,
        total: total.min(cap),
        page: filters.page.min(cap / instruction::PAGE_SIZE),
        page_size: instruction::PAGE_SIZE,
        now: db::now_ms(),
    })
}

/// One entry of a request's timeline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimelineEntry {
    pub kind: crate::domain::lifecycle::EventKind,
    pub to_state: RequestState,
    pub actor_role: Option<crate::domain::lifecycle::Role>,
    pub message: Option<String>,
    pub at: i64,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageView {
    pub id: i64,
    pub author_role: crate::domain::lifecycle::Role,
    pub author: String,
    pub body: String,
    /// An instructors' note (never sent to the applicant).
    pub internal: bool,
    pub at: i64,
    /// Read by the other side.
    pub read: bool,
}

/// The organisation's identity as the instructor reads it: what the
/// directory says, beside what the applicant typed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityView {
    /// "Vérifié dans l’annuaire (…)" or "Non trouvé dans l’annuaire : à vérifier".
    pub verdict: String,
    pub verified: bool,
    /// The directory's name and legal category ("7230 — Région"), when found.
    pub name: Option<String>,
    pub legal_category: Option<String>,
    /// What the applicant typed.
    pub claimed_name: String,
    pub justification: String,
}

/// A request as an instructor reviews it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReviewView {
    pub id: i64,
    pub state: RequestState,
    pub version: i64,
    pub data: crate::domain::request::RequestData,
    pub applicant_email: String,
    pub submitted_at: Option<i64>,
    pub assigned_email: Option<String>,
    pub assigned_to_me: bool,
    pub eligibility_message: String,
    pub eligible: bool,
    /// Who the organisation is, as the server's directory says.
    pub identity: IdentityView,
    /// Sensitive scopes asked, with their justification.
    pub sensitive: Vec<(String, String)>,
    /// What changed since the previous submission (empty at the first).
    pub changes: Vec<crate::domain::request::FieldChange>,
    /// Which submission this is (1 for the first).
    pub submission_no: i64,
    pub timeline: Vec<TimelineEntry>,
    pub messages: Vec<MessageView>,
    /// The use-case template the request started from, and how its data
    /// differ from it.
    pub template: Option<TemplateOrigin>,
    /// The token of an accepted (or revoked) request.
    #[serde(default)]
    pub token: Option<ReviewToken>,
    /// The caller decides (instructors, administrators); `false` for a
    /// rapporteur, who reads only.
    #[serde(default)]
    pub decides: bool,
    #[serde(default)]
    pub kind: crate::domain::lifecycle::RequestKind,
    /// The accepted request an update changes; `changes` are then against
    /// its data in force.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// A transfer to another applicant waiting for acceptance.
    #[serde(default)]
    pub pending_transfer: Option<crate::api::requests::PendingTransfer>,
    /// Whether ProConnect showed the applicant to be an agent of the
    /// organisation when submitting.
    #[serde(default)]
    pub agent_link: crate::domain::identity::AgentLink,
    /// The applicant as ProConnect last described them, if they use it.
    #[serde(default)]
    pub agent: Option<AgentView>,
}

/// An applicant as their ProConnect identity describes them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentView {
    /// First and usual names.
    pub name: String,
    /// The SIRET of the organisation they work for.
    pub siret: Option<String>,
}

/// A request's token as staff see it (never its string).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewToken {
    pub id: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
    pub revoked: bool,
    pub last_used_at: Option<i64>,
    pub strings: Vec<crate::api::space::StringView>,
    #[serde(default)]
    pub sensitive_uses: Vec<crate::api::space::SensitiveUse>,
}

/// A request's template, as the instructor reads it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateOrigin {
    pub slug: String,
    pub title: String,
    pub version: i64,
    /// Labels of the scopes the applicant added to the template's.
    pub added: Vec<String>,
    /// Labels of the template's scopes the applicant removed.
    pub removed: Vec<String>,
}

/// The request for review, with the differences against the previous
/// submission, the timeline and the conversation (notes included). Opening
/// it marks the applicant's messages as read by the instructors (not when a
/// rapporteur opens it).
#[server(endpoint = "instruction/review")]
pub async fn review(id: i64) -> Result<ReviewView, AppError> {
    use crate::domain::legal_category::{Eligibility, LegalCategory};
    use crate::domain::organisation::OrganisationCheck;
    use crate::domain::scopes;
    use crate::error::ErrorCode;
    use crate::server::db::instruction;
    use crate::server::{app_state, db};
    let app = app_state()?;
    let me = crate::server::caller::<Review>().await?;
    let r = db::requests::get(&app.db, id)
        .await?
        .filter(|r| crate::domain::lifecycle::SUBMITTED_STATES.contains(&r.state))
        .ok_or_else(|| {
            AppError::with_message(
                ErrorCode::NotFound,
                "Cette demande n’existe pas ou n’a pas encore été déposée.",
            )
        })?;
    // A rapporteur reading it does not mark it read for the instructors.
    let decides = crate::server::policy::is_staff(me.role);
    if decides {
        instruction::mark_read(&app.db, id, true, db::now_ms()).await?;
    }
    let snapshots = db::requests::snapshots(&app.db, id).await?;
    let changes = match (r.parent_id, snapshots.as_slice()) {
        // An update: what it changes against the authorisation in force.
        (Some(parent), [.., last]) => match db::requests::get(&app.db, parent).await? {
            Some(p) => {
                let mut accepted = p.data;
                accepted.terms = last.data.terms.clone();
                crate::domain::request::differences(&accepted, &last.data)
            }
            None => Vec::new(),
        },
        (_, [.., previous, last]) => {
            crate::domain::request::differences(&previous.data, &last.data)
        }
        _ => Vec::new(),
    };
    let applicant_email = match r.applicant_id {
        Some(a) => db::users::get(&app.db, a)
            .await?
            .map(|u| u.email)
            .unwrap_or_default(),
        None => String::new(),
    };
    let (assigned_to, assigned_email) = instruction::assignment(&app.db, id).await?;
    let org = &r.data.organisation;
    // Requests saved before checks were kept are checked now.
    let check = match r.organisation_check.clone() {
        Some(c) => Some(c),
        None => app.check_siret(&org.siret, None).await,
    };
    let eligibility = check.as_ref().and_then(|c| c.eligibility());
    let identity = match &check {
        Some(
            c @ OrganisationCheck::Found {
                name,
                legal_category,
                ..
            },
        ) => IdentityView {
            verdict: c.verdict(),
            verified: true,
            name: Some(name.clone()),
            legal_category: Some(match LegalCategory::from_code(legal_category) {
                Some(cat) => format!("{} — {}", cat.code, cat.label),
                None => legal_category.clone(),
            }),
            claimed_name: org.name.clone(),
            justification: org.justification.clone(),
        },
        other => IdentityView {
            verdict: other.as_ref().map_or_else(
                || "SIRET invalide : organisation à vérifier".to_owned(),
                OrganisationCheck::verdict,
            ),
            verified: false,
            name: None,
            legal_category: None,
            claimed_name: org.name.clone(),
            justification: org.justification.clone(),
        },
    };
    let sensitive = r
        .data
        .data
        .scopes
        .iter()
        .filter_map(|s| scopes::find(s).filter(|sc| sc.sensitive))
        .map(|sc| {
            let why = r
                .data
                .data
                .justifications
                .get(&sc.value)
                .cloned()
                .unwrap_or_default();
            (sc.label.clone(), why)
        })
        .collect();
    let timeline = db::requests::events(&app.db, id)
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            kind: e.kind,
            to_state: e.to_state,
            actor_role: None,
            message: e.message,
            at: e.created_at,
        })
        .collect();
    let messages = instruction::messages(&app.db, id, true)
        .await?
        .into_iter()
        .map(|m| message_view(m, true))
        .collect();
    let template = match db::templates::origin_of(&app.db, id).await? {
        Some((slug, version)) => db::templates::version(&app.db, &slug, version)
            .await?
            .map(|t| {
                let changes = t.scope_changes(&r.data.data.scopes);
                let labels = |values: Vec<String>| -> Vec<String> {
                    values
                        .iter()
                        .map(|v| scopes::find(v).map_or_else(|| v.clone(), |s| s.label.clone()))
                        .collect()
                };
                TemplateOrigin {
                    slug,
                    title: t.title,
                    version,
                    added: labels(changes.added),
                    removed: labels(changes.removed),
                }
            }),
        None => None,
    };
    let now = db::now_ms();
    let token = match db::spaces::token_of_request(&app.db, id).await? {
        Some(t) => Some(ReviewToken {
            strings: crate::api::space::string_views(&app.db, &t.id, now).await?,
            sensitive_uses: crate::api::space::sensitive_uses(&app.db, &t, now).await?,
            scopes: t.scope_list(),
            expires_at: t.expires_at,
            revoked: t.revoked_at.is_some(),
            last_used_at: t.last_used_at,
            id: t.id,
        }),
        None => None,
    };
    let pending_transfer = db::transfers::pending_of(&app.db, id, now)
        .await?
        .map(|(email, expires_at)| crate::api::requests::PendingTransfer { email, expires_at });
    let agent = match r.applicant_id {
        Some(applicant) => db::identities::of_user(&app.db, db::identities::PROCONNECT, applicant)
            .await?
            .map(|a| AgentView {
                name: [a.given_name, a.usual_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                siret: a.siret,
            }),
        None => None,
    };
    Ok(ReviewView {
        agent_link: r.agent_link,
        agent,
        pending_transfer,
        kind: r.kind,
        parent_id: r.parent_id,
        decides,
        token,
        template,
        id,
        state: r.state,
        version: r.version,
        applicant_email,
        submitted_at: r.submitted_at,
        assigned_to_me: assigned_to == Some(me.id),
        assigned_email,
        eligible: matches!(eligibility, Some(Eligibility::Eligible)),
        eligibility_message: check.as_ref().map_or_else(
            || "Organisation inconnue : éligibilité à vérifier.".to_owned(),
            OrganisationCheck::eligibility_message,
        ),
        identity,
        sensitive,
        changes,
        submission_no: snapshots.len() as i64,
        timeline,
        messages,
        data: r.data,
    })
}

#[cfg(feature = "ssr")]
fn message_view(m: crate::server::db::instruction::StoredMessage, staff: bool) -> MessageView {
    use crate::domain::lifecycle::Role;
    let read = if m.author_role == Role::Applicant {
        m.read_by_instructors_at.is_some()
    } else {
        m.read_by_applicant_at.is_some()
    };
    MessageView {
        id: m.id,
        author: if m.author_role == Role::Applicant || staff {
            m.author_email.unwrap_or_default()
        } else {
            "L’équipe d’instruction".to_owned()
        },
        author_role: m.author_role,
        body: m.body,
        internal: m.internal != 0,
        at: m.created_at,
        read,
    }
}

/// "Je m'en occupe" (`take` true) or "Libérer" (`take` false).
#[server(endpoint = "instruction/assign")]
pub async fn assign(id: i64, take: bool) -> Result<(), AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db};
    let app = app_state()?;
    let me = crate::server::caller::<Assign>().await?;
    let done = db::instruction::assign(&app.db, id, take.then_some(me.id), db::now_ms()).await?;
    if !done {
        return Err(AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas ou n’a pas encore été déposée.",
        ));
    }
    app.live
        .publish(
            &app.db,
            crate::domain::lifecycle::EventKind::Assigned,
            id,
            None,
        )
        .await;
    Ok(())
}

/// Writes in a request's conversation: its applicant to the instructors, or
/// an instructor to the applicant (`internal`: a note the applicant never
/// sees). The other side is emailed (not for notes).
#[server(endpoint = "messages/send")]
pub async fn send_message(
    id: i64,
    body: String,
    #[server(default)] internal: bool,
) -> Result<MessageView, AppError> {
    let state = crate::server::app_state()?;
    let me = crate::server::caller::<SendMessage>().await?;
    let sent = crate::server::flows::message::send(&state, &me, id, &body, internal).await?;
    Ok(MessageView {
        id: sent.id,
        author_role: me.role,
        author: me.email,
        body: sent.body,
        internal,
        at: sent.at,
        read: false,
    })
}

/// The conversation of one of the applicant's requests (no notes); opening
/// it marks the instructors' messages as read.
#[server(endpoint = "messages/list")]
pub async fn list_messages(id: i64) -> Result<Vec<MessageView>, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db, policy};
    let app = app_state()?;
    let me = crate::server::caller::<ListMessages>().await?;
    let r = db::requests::get(&app.db, id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if !policy::can_edit_request(&me, policy::RequestFacts::of(&r)) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        ));
    }
    db::instruction::mark_read(&app.db, id, false, db::now_ms()).await?;
    Ok(db::instruction::messages(&app.db, id, false)
        .await?
        .into_iter()
        .map(|m| message_view(m, false))
        .collect())
}
