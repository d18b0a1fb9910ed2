//! Handing a request — or an accepted authorisation — to a colleague: its
//! applicant (to an address of their own organisation's domain) or staff
//! (to any address) offer it; the colleague accepts through the link
//! emailed to them, and becomes its applicant. The token is untouched: it
//! keeps working, and its people are read from the request at every call.

use crate::domain::RequestState;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::links;
use crate::server::auth::session::Viewer;
use crate::server::db::{self, transfers};
use crate::server::mail::templates;
use crate::server::policy;
use crate::server::state::AppState;

/// Where the emailed link leads.
pub const PAGE: &str = crate::paths::TRANSFER;

/// The domain of an address (after its `@`), lower-case.
fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Offers request `id` to `to` by `by`; answers the offer's end.
pub async fn offer(state: &AppState, by: &Viewer, id: i64, to: &str) -> Result<i64, AppError> {
    let r = db::requests::get(&state.db, id).await?.ok_or_else(|| {
        AppError::with_message(ErrorCode::NotFound, "Cette demande n’existe pas.")
    })?;
    let facts = policy::RequestFacts::of(&r);
    if policy::reads_all_requests(by.role) && !facts.submitted {
        // Staff do not learn that a draft exists.
        return Err(AppError::with_message(
            ErrorCode::NotFound,
            "Cette demande n’existe pas.",
        ));
    }
    if !policy::can_transfer_request(by, facts) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Seul le demandeur de cette demande, ou l’instruction, peut la transférer.",
        ));
    }
    if r.state == RequestState::Archived {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Un brouillon archivé ne se transfère pas.",
        ));
    }
    if r.kind == crate::domain::lifecycle::RequestKind::Renewal {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Un renouvellement ne se transfère pas : transférez l’habilitation qu’il prolonge.",
        ));
    }
    let to = crate::server::auth::accounts::check_email(to)?;
    let from = match r.applicant_id {
        Some(a) => db::users::get(&state.db, a).await?,
        None => None,
    };
    let Some(from) = from else {
        return Err(AppError::with_message(
            ErrorCode::NotEditable,
            "Cette demande n’a pas de demandeur : elle ne peut pas être transférée.",
        ));
    };
    if to == from.email {
        return Err(AppError::invalid(
            "email",
            "Cette adresse est déjà celle du demandeur.",
        ));
    }
    if !policy::is_staff(by.role) && domain_of(&to) != domain_of(&from.email) {
        return Err(AppError::invalid(
            "email",
            format!(
                "Transférez la demande à un collègue de votre organisation : son adresse doit \
                 se terminer par @{}. Pour une autre adresse, écrivez à l’instructeur.",
                domain_of(&from.email)
            ),
        ));
    }
    let (token, hash) = links::new_token().map_err(|e| {
        tracing::error!(error = %e, "random source");
        AppError::new(ErrorCode::Internal)
    })?;
    let now = db::now_ms();
    let title = r.data.context.title.trim().to_owned();
    let mut tx = state.db.begin().await?;
    let to_user_id = match db::users::insert_if_absent_in(
        &mut tx,
        &to,
        crate::domain::lifecycle::Role::Applicant,
        None,
        now,
    )
    .await?
    {
        Some(id) => id,
        None => {
            let existing = db::users::find_by_email_in(&mut tx, &to)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::Internal))?;
            if existing.role != crate::domain::lifecycle::Role::Applicant {
                return Err(AppError::invalid(
                    "email",
                    "Cette adresse est celle d’un compte de l’équipe d’instruction : une \
                     demande se transfère à un agent de l’organisation.",
                ));
            }
            existing.id
        }
    };
    let message = format!("à {to}, par {}", by.email);
    transfers::offer_in(
        &mut tx,
        &transfers::Offer {
            request_id: id,
            from_user_id: Some(from.id),
            to_user_id,
            token_hash: &hash,
            offered_by: by.id,
            role: by.role,
            message: &message,
        },
        r.state,
        now,
    )
    .await?;
    let expires_at = now + transfers::OFFER_LIFETIME_MS;
    let link = state.link(&format!("{PAGE}?jeton={token}"));
    let mail = templates::transfer_offered(&to, id, &title, &from.email, &link, expires_at);
    db::outbox::enqueue(&mut tx, &mail, now).await?;
    tx.commit().await?;
    Ok(expires_at)
}

/// What accepting an offer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub request_id: i64,
    /// A link to choose a password, for an account that has none.
    pub password_link: Option<String>,
}

/// Accepts the offer of the link `token`: the colleague becomes the
/// request's applicant (and of its open updates), in one transaction with
/// the event and the emails.
pub async fn accept(state: &AppState, token: &str) -> Result<Accepted, AppError> {
    let now = db::now_ms();
    let invalid = || {
        AppError::with_message(
            ErrorCode::InvalidLink,
            "Ce lien de transfert n’est plus valable : il a déjà servi, a expiré (7 jours) ou a \
             été remplacé. Demandez un nouveau transfert.",
        )
    };
    let Some(p) = transfers::pending(&state.db, &links::hash_token(token.trim()), now).await?
    else {
        return Err(invalid());
    };
    let to = db::users::get(&state.db, p.to_user_id)
        .await?
        .ok_or_else(invalid)?;
    let from = match p.from_user_id {
        Some(f) => db::users::get(&state.db, f).await?,
        None => None,
    };
    let mut tx = state.db.begin().await?;
    // An account nobody proved (registered ahead by someone) loses any
    // password it had: its owner chooses one through the link below.
    let to = db::users::unconfirmed_loses_password_in(&mut tx, to.id, now).await?;
    let message = format!(
        "de {} à {}",
        from.as_ref().map_or("—", |u| u.email.as_str()),
        to.email
    );
    if transfers::accept_in(&mut tx, &p, &message, now)
        .await?
        .is_none()
    {
        return Err(invalid());
    }
    let password_link = match to.password_hash {
        None => Some(super::grant::choose_password_link(state, &mut tx, to.id, now).await?),
        Some(_) => None,
    };
    if let Some(from) = &from {
        let mail = templates::transfer_done(
            &from.email,
            p.request_id,
            &p.title,
            &to.email,
            &state.link(&crate::paths::request(p.request_id)),
        );
        db::outbox::enqueue(&mut tx, &mail, now).await?;
    }
    tx.commit().await?;
    Ok(Accepted {
        request_id: p.request_id,
        password_link,
    })
}
