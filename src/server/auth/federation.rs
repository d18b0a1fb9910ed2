//! What an agent verified by ProConnect becomes: the account it is linked
//! to, a new applicant account, or an existing account waiting for its
//! owner's proof; then the session (with the second factor for staff unless
//! the provider's `acr` counts as one). Each change is one transaction.

use crate::domain::lifecycle::Role;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::proconnect::Agent;
use crate::server::auth::session::{self, Method, Pending};
use crate::server::db::identities::{self, Identity, PROCONNECT};
use crate::server::db::{self, DbError, users};
use crate::server::state::AppState;
use tower_sessions::Session;

/// Where the browser goes after a ProConnect return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Landing {
    /// Signed in: this page.
    SignedIn(String),
    /// The second factor is awaited (staff).
    SecondFactor { setup: bool, suite: Option<String> },
    /// An account has this address: its owner signs in with its password
    /// to link it.
    ProveAccount,
}

fn identity_of(agent: &Agent, user_id: i64) -> Identity {
    Identity {
        subject: agent.subject.clone(),
        user_id,
        email: agent.email.clone(),
        given_name: agent.given_name.clone(),
        usual_name: agent.usual_name.clone(),
        siret: agent.siret.clone(),
        uid: agent.uid.clone(),
    }
}

fn already_linked() -> AppError {
    AppError::with_message(
        ErrorCode::Conflict,
        "Ce compte Guichet est déjà lié à une autre identité ProConnect. Connectez-vous avec \
         celle-ci, ou demandez à un administrateur de Guichet.",
    )
}

/// Signs in the agent ProConnect vouched for.
pub async fn sign_in(
    state: &AppState,
    s: &Session,
    agent: Agent,
    suite: Option<String>,
) -> Result<Landing, AppError> {
    let now = db::now_ms();
    if let Some(linked) = identities::find(&state.db, PROCONNECT, &agent.subject).await? {
        let mut tx = state.db.begin().await.map_err(DbError::from)?;
        identities::link_in(
            &mut tx,
            PROCONNECT,
            &identity_of(&agent, linked.user_id),
            now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        let user = users::get(&state.db, linked.user_id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
        return finish(state, s, &user, &agent, suite).await;
    }
    let existing = users::find_by_email(&state.db, &agent.email).await?;
    let user_id = match existing {
        None => {
            // A new applicant account; the provider vouches for the address.
            let mut tx = state.db.begin().await.map_err(DbError::from)?;
            let id = users::create_in(&mut tx, &agent.email, Role::Applicant, None, now).await?;
            users::mark_verified_in(&mut tx, id, now).await?;
            identities::link_in(&mut tx, PROCONNECT, &identity_of(&agent, id), now).await?;
            tx.commit().await.map_err(DbError::from)?;
            id
        }
        Some(u)
            if u.email_verified_at.is_none()
                || (u.role == Role::Applicant && !state.applicant_password) =>
        {
            // Nobody proved this mailbox before: the provider does now, and a
            // password chosen by whoever registered the address first is
            // dropped. Or password sign-in is closed to applicants: the
            // provider's word is the only proof there can be.
            let mut tx = state.db.begin().await.map_err(DbError::from)?;
            if u.email_verified_at.is_none() {
                users::unconfirmed_loses_password_in(&mut tx, u.id, now).await?;
                users::mark_verified_in(&mut tx, u.id, now).await?;
            }
            if !identities::link_in(&mut tx, PROCONNECT, &identity_of(&agent, u.id), now).await? {
                return Err(already_linked());
            }
            tx.commit().await.map_err(DbError::from)?;
            u.id
        }
        Some(_) => {
            // Linked only once the account's owner proves it.
            session::keep_pending_link(s, &agent).await?;
            return Ok(Landing::ProveAccount);
        }
    };
    let user = users::get(&state.db, user_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
    finish(state, s, &user, &agent, suite).await
}

/// The session of a verified agent's account.
async fn finish(
    state: &AppState,
    s: &Session,
    user: &users::User,
    agent: &Agent,
    suite: Option<String>,
) -> Result<Landing, AppError> {
    if user.deactivated_at.is_some() {
        return Err(crate::server::auth::accounts::deactivated());
    }
    let strong = state
        .proconnect
        .as_ref()
        .is_some_and(|p| p.strong(agent.acr.as_deref()));
    if user.role != Role::Applicant && !strong {
        let setup = !crate::server::auth::second_factor::is_set_up(&state.db, user.id).await?;
        session::await_second_factor(
            s,
            Pending {
                user_id: user.id,
                method: Method::ProConnect,
                id_token: Some(agent.id_token.clone()),
                suite: suite.clone(),
                at: db::now_ms(),
            },
        )
        .await?;
        return Ok(Landing::SecondFactor { setup, suite });
    }
    session::sign_in(
        s,
        user.id,
        Method::ProConnect,
        user.role != Role::Applicant,
        Some(&agent.id_token),
    )
    .await?;
    Ok(Landing::SignedIn(
        suite
            .as_deref()
            .and_then(crate::paths::safe_return)
            .unwrap_or(crate::api::auth::home_of(user.role))
            .to_owned(),
    ))
}

/// Once `user` proved their account (password, and second factor for
/// staff): links the ProConnect identity waiting in the session when it
/// has the account's address. Answers whether one was linked.
pub async fn link_waiting(
    state: &AppState,
    s: &Session,
    user: &users::User,
) -> Result<bool, AppError> {
    let Some(agent) = session::take_pending_link::<Agent>(s).await? else {
        return Ok(false);
    };
    if users::normalise_email(&agent.email) != user.email {
        return Ok(false);
    }
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    if !identities::link_in(
        &mut tx,
        PROCONNECT,
        &identity_of(&agent, user.id),
        db::now_ms(),
    )
    .await?
    {
        return Err(already_linked());
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// The ProConnect identity linked to an account, if any.
pub async fn identity(state: &AppState, user_id: i64) -> Result<Option<Identity>, AppError> {
    Ok(identities::of_user(&state.db, PROCONNECT, user_id).await?)
}
