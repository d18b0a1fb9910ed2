//! The instructors' decisions on a submitted request: ask for changes (with
//! a message, possibly pointing at fields), refuse (with a reason), accept
//! (possibly with fewer scopes than asked). Each writes its event and queues
//! its email to the applicant in one transaction, over the version the
//! instructor reviewed; a repeated decision finds the request already decided
//! and changes nothing. Who may call: `server::policy` (staff only).

use crate::domain::RequestState;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// States an instructor sees (drafts and archived drafts stay private).
pub const VISIBLE_STATES: [RequestState; 5] = [
    RequestState::Submitted,
    RequestState::ChangesRequested,
    RequestState::Accepted,
    RequestState::Refused,
    RequestState::Revoked,
];

/// Last dashboard page reachable (bounded pagination: search or filter to go
/// further).
pub const MAX_PAGE: i64 = 400;

/// Where the live stream of the dashboard is served (server-sent events).
pub const LIVE_ROUTE: &str = "/instruction/flux";

/// Longest message or reason, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Most fields one request for changes may point at.
pub const MAX_FIELDS: usize = 40;

/// Checks a field path pointed at by a request for changes: one of the
/// request's blocks, then lower-case names, digits and dots.
pub fn is_field_path(path: &str) -> bool {
    use crate::domain::request::BLOCKS;
    let block = path.split('.').next().unwrap_or_default();
    path.len() <= 80
        && BLOCKS.contains(&block)
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        && !path.ends_with('.')
        && !path.contains("..")
}

#[cfg(feature = "ssr")]
mod server_side {
    use crate::domain::lifecycle::{Action, Role};
    use crate::error::{AppError, ErrorCode};
    use crate::server::auth::session::Viewer;
    use crate::server::db;
    use crate::server::db::outbox::NewEmail;
    use crate::server::db::requests::{ActionRecord, RequestWriteError, StoredRequest};
    use crate::server::respond_error;
    use crate::server::state::AppState;

    /// A required text of at most `MAX_MESSAGE_CHARS`, trimmed.
    pub fn required_text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(respond_error(AppError::invalid(
                field,
                format!("{what} est obligatoire."),
            )));
        }
        optional_text(field, v)
    }

    pub fn optional_text(field: &str, value: &str) -> Result<String, AppError> {
        let v = value.trim();
        if v.chars().count() > super::MAX_MESSAGE_CHARS {
            return Err(respond_error(AppError::invalid(
                field,
                format!("Le texte dépasse {} caractères.", super::MAX_MESSAGE_CHARS),
            )));
        }
        Ok(v.to_owned())
    }

    /// The request and its applicant's address.
    pub async fn load(state: &AppState, id: i64) -> Result<(StoredRequest, String), AppError> {
        let r = db::requests::get(&state.db, id)
            .await
            .map_err(respond_error)?
            .ok_or_else(|| {
                respond_error(AppError::with_message(
                    ErrorCode::NotFound,
                    "Cette demande n’existe pas.",
                ))
            })?;
        let applicant = match r.applicant_id {
            Some(a) => db::users::get(&state.db, a)
                .await
                .map_err(respond_error)?
                .map(|u| u.email),
            None => None,
        };
        let Some(email) = applicant else {
            return Err(respond_error(AppError::with_message(
                ErrorCode::NotEditable,
                "Cette demande n’a pas de demandeur : aucune décision n’est possible.",
            )));
        };
        Ok((r, email))
    }

    /// A decision on request `r` (over `version`): its event (with `message`
    /// and `payload`) and the email to the applicant made from `template`
    /// and `text`.
    pub struct Decision<'a> {
        pub r: &'a StoredRequest,
        pub applicant: &'a str,
        pub version: i64,
        pub action: Action,
        pub message: Option<&'a str>,
        pub payload: Option<&'a str>,
        pub template: fn(&str, i64, &str, &str, &str) -> NewEmail,
        pub text: &'a str,
        /// An acceptance's space, token and accesses (its emails replace
        /// `template`'s).
        pub grant: Option<db::spaces::Grant>,
    }

    /// A decision whose `reason` is required and sent to the applicant with
    /// `template` (refusal, revocation), by the signed-in staff member.
    pub async fn with_reason(
        id: i64,
        version: i64,
        reason: &str,
        action: Action,
        what: &str,
        template: fn(&str, i64, &str, &str, &str) -> NewEmail,
        path: &str,
    ) -> Result<crate::domain::RequestState, AppError> {
        let state = crate::server::app_state()?;
        let me = crate::server::caller(path).await?;
        let reason = required_text("reason", reason, what)?;
        let (r, applicant) = load(&state, id).await?;
        let decision = Decision {
            r: &r,
            applicant: &applicant,
            version,
            action,
            message: Some(&reason),
            payload: None,
            template,
            text: &reason,
            grant: None,
        };
        decide(&state, &me, decision).await
    }

    /// Writes the decision; a repeated or stale one says what happened.
    pub async fn decide(
        state: &AppState,
        me: &Viewer,
        d: Decision<'_>,
    ) -> Result<crate::domain::RequestState, AppError> {
        let id = d.r.id;
        let link = state.link(&format!("/demandes/{id}"));
        let email = (d.template)(
            d.applicant,
            id,
            d.r.data.context.title.trim(),
            d.text,
            &link,
        );
        let (version, action, message, payload) = (d.version, d.action, d.message, d.payload);
        let mail = db::requests::GrantMail {
            public_url: state.public_url.clone(),
            message: d.text.to_owned(),
        };
        let emails = if d.grant.is_some() {
            Vec::new()
        } else {
            vec![email]
        };
        let role = if me.role == Role::Admin {
            Role::Admin
        } else {
            Role::Instructor
        };
        let t = db::requests::act(
            &state.db,
            &ActionRecord {
                id,
                action,
                role,
                actor_id: Some(me.id),
                message,
                payload,
                expected_version: Some(version),
                emails: &emails,
                grant: d.grant.as_ref().map(|g| (g, &mail)),
                now: db::now_ms(),
            },
        )
        .await
        .map_err(|e| {
            respond_error(match e {
                RequestWriteError::NotFound => AppError::new(ErrorCode::NotFound),
                RequestWriteError::Conflict { .. } => AppError::with_message(
                    ErrorCode::Conflict,
                    "La demande a changé depuis que vous l’avez ouverte (le demandeur l’a \
                     modifiée ou redéposée) : rechargez-la avant de décider.",
                ),
                RequestWriteError::Lifecycle(l) => AppError::with_message(
                    ErrorCode::NotEditable,
                    format!("Décision impossible, rien n’a été fait : {l}"),
                ),
                RequestWriteError::Db(d) => d.into(),
            })
        })?;
        if t.transition.event == crate::domain::lifecycle::EventKind::Revoked {
            // Refused from the next call on this instance; the others hear
            // the event below.
            state.api.forget_request(id);
        }
        state
            .live
            .publish(&state.db, t.transition.event.as_str(), id, Some(t.event_id))
            .await;
        Ok(t.transition.to)
    }
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
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    use crate::server::{app_state, respond_error};
    let state = app_state()?;
    let me = crate::server::caller("/api/instruction/request_changes").await?;
    let message = server_side::required_text("message", &message, "Le message au demandeur")?;
    let mut fields: Vec<String> = fields.into_iter().map(|f| f.trim().to_owned()).collect();
    fields.sort();
    fields.dedup();
    if fields.len() > MAX_FIELDS || fields.iter().any(|f| !is_field_path(f)) {
        return Err(respond_error(AppError::invalid(
            "fields",
            "Les champs désignés ne font pas partie de la demande.",
        )));
    }
    let (r, applicant) = server_side::load(&state, id).await?;
    let payload = serde_json::json!({ "fields": fields }).to_string();
    let decision = server_side::Decision {
        r: &r,
        applicant: &applicant,
        version,
        action: Action::RequestChanges,
        message: Some(&message),
        payload: Some(&payload),
        template: templates::changes_requested,
        text: &message,
        grant: None,
    };
    server_side::decide(&state, &me, decision).await
}

/// Refuses the request; `reason` is required and sent to the applicant.
#[server(endpoint = "instruction/refuse", input = Json)]
pub async fn refuse_request(
    id: i64,
    version: i64,
    reason: String,
) -> Result<RequestState, AppError> {
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    server_side::with_reason(
        id,
        version,
        &reason,
        Action::Refuse,
        "Le motif du refus",
        templates::request_refused,
        "/api/instruction/refuse",
    )
    .await
}

/// Revokes an accepted request's access: its token is refused from the next
/// API call on; `reason` is required and sent to the applicant.
#[server(endpoint = "instruction/revoke", input = Json)]
pub async fn revoke_request(
    id: i64,
    version: i64,
    reason: String,
) -> Result<RequestState, AppError> {
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    server_side::with_reason(
        id,
        version,
        &reason,
        Action::Revoke,
        "Le motif de la révocation",
        templates::token_revoked,
        "/api/instruction/revoke",
    )
    .await
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
    use crate::domain::lifecycle::Action;
    use crate::server::mail::templates;
    use crate::server::{app_state, db, respond_error};
    let state = app_state()?;
    let me = crate::server::caller("/api/instruction/accept").await?;
    let message = server_side::optional_text("message", &message)?;
    let (r, applicant) = server_side::load(&state, id).await?;
    let mut accepted: Vec<String> = Vec::new();
    for s in scopes {
        if !r.data.data.scopes.contains(&s) {
            return Err(respond_error(AppError::invalid(
                "scopes",
                format!("La donnée « {s} » n’a pas été demandée : elle ne peut pas être accordée."),
            )));
        }
        if !accepted.contains(&s) {
            accepted.push(s);
        }
    }
    if accepted.is_empty() {
        return Err(respond_error(AppError::invalid(
            "scopes",
            "Cochez au moins une donnée à accorder, ou refusez la demande.",
        )));
    }
    let payload = serde_json::json!({ "scopes": accepted }).to_string();
    let decision = server_side::Decision {
        r: &r,
        applicant: &applicant,
        version,
        action: Action::Accept,
        message: (!message.is_empty()).then_some(message.as_str()),
        payload: Some(&payload),
        template: templates::request_accepted,
        text: &message,
        grant: Some(db::spaces::Grant {
            request_id: r.id,
            siret: db::requests::siret_column(&r.data.organisation.siret),
            // The directory's name when it knows the SIRET, not the one typed.
            organisation_name: match &r.organisation_check {
                Some(c) => r.data.organisation.as_checked(c).name,
                None => r.data.organisation.name.clone(),
            },
            title: r.data.context.title.clone(),
            scopes: crate::domain::scopes::token_scopes(&accepted),
            applicant_id: r.applicant_id.unwrap_or_default(),
            technical_email: Some(r.data.contacts.technical.email.clone()),
        }),
    };
    server_side::decide(&state, &me, decision).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths() {
        assert!(is_field_path("context.title"));
        assert!(is_field_path("legal.urls.0"));
        assert!(is_field_path("contacts.dpo.email"));
        assert!(!is_field_path("password_hash"));
        assert!(!is_field_path("context."));
        assert!(!is_field_path("context..title"));
        assert!(!is_field_path("context.<script>"));
        assert!(!is_field_path(&format!("context.{}", "a".repeat(100))));
    }
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
/// (`1`), `sort` (`attente`, `recentes`, `modifiees`), `page` (from 1).
#[server(endpoint = "instruction/dashboard")]
pub async fn dashboard(
    #[server(default)] q: String,
    #[server(default)] state: String,
    #[server(default)] assigned: String,
    #[server(default)] sensitive: String,
    #[server(default)] sort: String,
    #[server(default)] page: String,
) -> Result<DashboardView, AppError> {
    use crate::server::db::instruction::{self, Assigned, Filters, Sort};
    use crate::server::{app_state, db, respond_error};
    let app = app_state()?;
    let me = crate::server::caller("/api/instruction/dashboard").await?;
    let filters = Filters {
        q: q.chars().take(200).collect(),
        state: RequestState::parse(state.trim())
            .filter(|s| instruction::VISIBLE_STATES.contains(s)),
        assigned: match assigned.trim() {
            "moi" => Assigned::Me,
            "personne" => Assigned::Nobody,
            _ => Assigned::Anyone,
        },
        sensitive: sensitive.trim() == "1",
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
    let instruction::QueuePage { rows, total, cap } = instruction::queue(&app.db, me.id, &filters)
        .await
        .map_err(respond_error)?;
    let counts = db::requests::count_by_state(&app.db)
        .await
        .map_err(respond_error)?
        .into_iter()
        .filter(|(s, _)| instruction::VISIBLE_STATES.contains(s))
        .collect();
    let lines = rows
        .into_iter()
        .filter_map(|r| {
            Some(QueueLine {
                state: RequestState::parse(&r.state)?,
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
                        serde_json::from_str::<crate::domain::organisation::OrganisationCheck>(c)
                            .ok()
                    })
                    .is_none_or(|c| c.to_verify()),
                assigned_to_me: r.assigned_to == Some(me.id),
                assigned_email: r.assigned_email,
                applicant_email: r.applicant_email.unwrap_or_default(),
                unread: r.unread,
            })
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
    pub kind: String,
    pub to_state: String,
    pub actor_role: Option<String>,
    pub message: Option<String>,
    pub at: i64,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageView {
    pub id: i64,
    /// `applicant`, `instructor` or `admin`.
    pub author_role: String,
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
}

/// The request for review, with the differences against the previous
/// submission, the timeline and the conversation (notes included). Opening
/// it marks the applicant's messages as read by the instructors.
#[server(endpoint = "instruction/review")]
pub async fn review(id: i64) -> Result<ReviewView, AppError> {
    use crate::domain::legal_category::{Eligibility, LegalCategory};
    use crate::domain::organisation::OrganisationCheck;
    use crate::domain::scopes;
    use crate::error::ErrorCode;
    use crate::server::db::instruction;
    use crate::server::{app_state, db, respond_error};
    let app = app_state()?;
    let me = crate::server::caller("/api/instruction/review").await?;
    let r = db::requests::get(&app.db, id)
        .await
        .map_err(respond_error)?
        .filter(|r| instruction::VISIBLE_STATES.contains(&r.state))
        .ok_or_else(|| {
            respond_error(AppError::with_message(
                ErrorCode::NotFound,
                "Cette demande n’existe pas ou n’a pas encore été déposée.",
            ))
        })?;
    instruction::mark_read(&app.db, id, true, db::now_ms())
        .await
        .map_err(respond_error)?;
    let snapshots = db::requests::snapshots(&app.db, id)
        .await
        .map_err(respond_error)?;
    let changes = match snapshots.as_slice() {
        [.., previous, last] => crate::domain::request::differences(&previous.2, &last.2),
        _ => Vec::new(),
    };
    let applicant_email = match r.applicant_id {
        Some(a) => db::users::get(&app.db, a)
            .await
            .map_err(respond_error)?
            .map(|u| u.email)
            .unwrap_or_default(),
        None => String::new(),
    };
    let (assigned_to, assigned_email): (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT r.assigned_to, u.email FROM requests r LEFT JOIN users u ON u.id = r.assigned_to \
             WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .map_err(|e| respond_error(crate::server::db::DbError::from(e)))?;
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
        .await
        .map_err(respond_error)?
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
        .await
        .map_err(respond_error)?
        .into_iter()
        .map(|m| message_view(m, true))
        .collect();
    Ok(ReviewView {
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
    let read = if m.author_role == "applicant" {
        m.read_by_instructors_at.is_some()
    } else {
        m.read_by_applicant_at.is_some()
    };
    MessageView {
        id: m.id,
        author: if m.author_role == "applicant" || staff {
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
    use crate::server::{app_state, db, respond_error};
    let app = app_state()?;
    let me = crate::server::caller("/api/instruction/assign").await?;
    let done = db::instruction::assign(&app.db, id, take.then_some(me.id), db::now_ms())
        .await
        .map_err(respond_error)?;
    if !done {
        return Err(respond_error(AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas ou n’a pas encore été déposée.",
        )));
    }
    app.live.publish(&app.db, "assigned", id, None).await;
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
    use crate::error::ErrorCode;
    use crate::server::mail::templates;
    use crate::server::{app_state, db, policy, respond_error};
    let app = app_state()?;
    let me = crate::server::caller("/api/messages/send").await?;
    let body = server_side::required_text("body", &body, "Le message")?;
    let r = db::requests::get(&app.db, id)
        .await
        .map_err(respond_error)?
        .ok_or_else(|| respond_error(AppError::new(ErrorCode::NotFound)))?;
    let staff = policy::is_staff(me.role);
    let facts = policy::RequestFacts::of(&r);
    if staff && !facts.submitted {
        return Err(respond_error(AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas ou n’a pas encore été déposée.",
        )));
    }
    if !policy::can_read_request(&me, facts) {
        return Err(respond_error(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        )));
    }
    if !policy::can_write_message(&me, facts, internal) {
        return Err(respond_error(AppError::new(ErrorCode::Forbidden)));
    }
    if !db::instruction::VISIBLE_STATES.contains(&r.state) {
        return Err(respond_error(AppError::with_message(
            ErrorCode::NotEditable,
            "Les messages s’ouvrent une fois la demande déposée.",
        )));
    }
    let now = db::now_ms();
    let mut emails = Vec::new();
    if !internal {
        let title = r.data.context.title.trim().to_owned();
        let (recipients, link) = if staff {
            let applicant = match r.applicant_id {
                Some(a) => db::users::get(&app.db, a)
                    .await
                    .map_err(respond_error)?
                    .map(|u| u.email),
                None => None,
            };
            (
                applicant.into_iter().collect::<Vec<_>>(),
                app.link(&format!("/demandes/{id}")),
            )
        } else {
            (
                db::users::staff_emails(&app.db)
                    .await
                    .map_err(respond_error)?,
                app.link(&format!("/instruction/demandes/{id}")),
            )
        };
        for to in recipients {
            emails.push(templates::new_message(&to, id, &title, &link));
        }
    }
    let (message_id, event_id) = db::instruction::add_message(
        &app.db,
        &db::instruction::NewMessage {
            request_id: id,
            author_id: me.id,
            author_role: me.role,
            body: &body,
            internal,
            now,
        },
        &emails,
    )
    .await
    .map_err(respond_error)?;
    if let Some(event_id) = event_id {
        app.live
            .publish(&app.db, "message_sent", id, Some(event_id))
            .await;
    }
    Ok(MessageView {
        id: message_id,
        author_role: me.role.as_str().to_owned(),
        author: me.email,
        body,
        internal,
        at: now,
        read: false,
    })
}

/// The conversation of one of the applicant's requests (no notes); opening
/// it marks the instructors' messages as read.
#[server(endpoint = "messages/list")]
pub async fn list_messages(id: i64) -> Result<Vec<MessageView>, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db, policy, respond_error};
    let app = app_state()?;
    let me = crate::server::caller("/api/messages/list").await?;
    let r = db::requests::get(&app.db, id)
        .await
        .map_err(respond_error)?
        .ok_or_else(|| respond_error(AppError::new(ErrorCode::NotFound)))?;
    if !policy::can_edit_request(&me, policy::RequestFacts::of(&r)) {
        return Err(respond_error(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        )));
    }
    db::instruction::mark_read(&app.db, id, false, db::now_ms())
        .await
        .map_err(respond_error)?;
    Ok(db::instruction::messages(&app.db, id, false)
        .await
        .map_err(respond_error)?
        .into_iter()
        .map(|m| message_view(m, false))
        .collect())
}
