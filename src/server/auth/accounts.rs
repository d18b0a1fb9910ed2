//! Account operations behind the server functions of `api::auth`: each email
//! is queued in the same transaction as the change that causes it.

use crate::domain::lifecycle::Role;
use crate::domain::request::is_email;
use crate::error::{AppError, ErrorCode};
use crate::server::auth::links::{self, Purpose};
use crate::server::auth::password as pw;
use crate::server::auth::{federation, second_factor, session};
use crate::server::db::links::LinkError;
use crate::server::db::{self, DbError, outbox, users};
use crate::server::mail::templates;
use crate::server::state::AppState;
use std::sync::OnceLock;
use tower_sessions::Session;

/// Longest email address (RFC 5321).
const EMAIL_MAX: usize = 254;

/// Checks and normalises an email address typed in a form.
pub fn check_email(email: &str) -> Result<String, AppError> {
    let email = users::normalise_email(email);
    if email.is_empty() {
        return Err(AppError::invalid(
            "email",
            "Saisissez votre adresse électronique.",
        ));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(AppError::invalid(
            "email",
            format!("L’adresse électronique doit comporter au plus {EMAIL_MAX} caractères."),
        ));
    }
    if !is_email(&email) {
        return Err(AppError::invalid(
            "email",
            "Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.gouv.fr.",
        ));
    }
    Ok(email)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "account operation");
    AppError::new(ErrorCode::Internal)
}

fn link_error(e: LinkError) -> AppError {
    AppError::with_message(ErrorCode::InvalidLink, e.message())
}

async fn hash_blocking(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || pw::hash(&password))
        .await
        .map_err(internal)?
        .map_err(internal)
}

async fn verify_blocking(password: &str, hash: &str) -> Result<bool, AppError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || pw::verify(&password, &hash))
        .await
        .map_err(internal)
}

/// A hash no password matches in practice, verified when the address has no
/// account so that the answer takes as long as for a real one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        pw::hash("guichet: aucun compte pour cette adresse").unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c2VsZ3VpY2hldA$0000000000000000000000000000000000000000000".to_owned()
        })
    })
}

/// A new one-time link for `user_id`, stored (earlier ones of the same kind
/// voided) inside `tx`; answers the absolute URL to put in the email.
async fn new_link(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    purpose: Purpose,
    page: &str,
    now: i64,
) -> Result<String, AppError> {
    let (token, hash) = links::new_token().map_err(internal)?;
    db::links::create(tx, user_id, purpose, &hash, now).await?;
    Ok(state.link(&format!("{page}?jeton={token}")))
}

/// Emails `user` a new link for `purpose` (confirmation or reset), the link
/// and the email written in one transaction.
async fn email_link(
    state: &AppState,
    user: &users::User,
    purpose: Purpose,
) -> Result<(), AppError> {
    let (page, template): (&str, fn(&str, &str) -> outbox::NewEmail) = match purpose {
        Purpose::PasswordReset => (RESET_PAGE, templates::password_reset),
        _ => (CONFIRM_PAGE, templates::email_confirmation),
    };
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let link = new_link(state, &mut tx, user.id, purpose, page, now).await?;
    outbox::enqueue(&mut tx, &template(&user.email, &link), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

use crate::paths::{
    CHOOSE_PASSWORD as INVITATION_PAGE, CONFIRM_EMAIL as CONFIRM_PAGE,
    FORGOT_PASSWORD as FORGOT_PAGE, RESET_PASSWORD as RESET_PAGE, SIGN_IN as LOGIN_PAGE,
    TERMS as CGU_PAGE,
};

/// Registration: a new applicant account and its confirmation email, or, when
/// the address has an account, an email telling its owner. An unconfirmed
/// account (nobody proved the mailbox) takes the new password instead, with
/// a new confirmation link (earlier ones are void): registering someone
/// else's address first gives nothing. The password is hashed in every case
/// so that all take the same time.
pub async fn register(state: &AppState, email: &str, password: &str) -> Result<(), AppError> {
    let hash = hash_blocking(password).await?;
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let unconfirmed = match users::insert_if_absent_in(
        &mut tx,
        email,
        Role::Applicant,
        Some(&hash),
        now,
    )
    .await?
    {
        Some(id) => Some(id),
        None => match users::find_by_email_in(&mut tx, email).await? {
            Some(u)
                if u.role == Role::Applicant
                    && users::replace_unconfirmed_password_in(&mut tx, u.id, &hash, now)
                        .await? =>
            {
                Some(u.id)
            }
            _ => None,
        },
    };
    match unconfirmed {
        Some(id) => {
            let link = new_link(
                state,
                &mut tx,
                id,
                Purpose::EmailConfirmation,
                CONFIRM_PAGE,
                now,
            )
            .await?;
            outbox::enqueue(&mut tx, &templates::email_confirmation(email, &link), now).await?;
        }
        None => {
            let mail =
                templates::account_exists(email, &state.link(LOGIN_PAGE), &state.link(FORGOT_PAGE));
            outbox::enqueue(&mut tx, &mail, now).await?;
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Confirms an address with the link's token.
pub async fn confirm_email(state: &AppState, token: &str) -> Result<(), AppError> {
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let user_id = db::links::consume_in(&mut tx, Purpose::EmailConfirmation, token, now)
        .await?
        .map_err(link_error)?;
    users::mark_verified_in(&mut tx, user_id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Failed sign-ins per account before it is locked, within this window.
pub const SIGN_IN_FAILURES_MAX: i64 = 5;
pub const SIGN_IN_WINDOW_MS: i64 = 15 * 60_000;
/// How long a locked account refuses sign-ins.
pub const SIGN_IN_LOCK_MS: i64 = 15 * 60_000;

fn locked(until: i64, now: i64) -> AppError {
    let minutes = ((until - now) + 59_999) / 60_000;
    AppError::with_message(
        ErrorCode::RateLimited,
        format!(
            "Trop de tentatives de connexion ont échoué pour ce compte : la connexion est \
             bloquée pendant encore {minutes} minute{}. Vous pouvez aussi choisir un nouveau mot \
             de passe avec «\u{a0}Mot de passe oublié\u{a0}».",
            if minutes > 1 { "s" } else { "" }
        ),
    )
}

/// Where a password sign-in goes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Signed in.
    SignedIn(Role),
    /// Staff: the second factor is awaited; `setup` when the app is not set
    /// up yet.
    SecondFactor { setup: bool },
}

/// Signs in. Wrong address and wrong password get the same answer, after the
/// same work. An unconfirmed address gets a fresh confirmation link. After
/// `SIGN_IN_FAILURES_MAX` failures on one address (whether it has an account
/// or not, so the lock tells nothing), sign-ins are refused for a while and
/// the account's owner is emailed, whatever address the attempts came from.
/// Staff then prove their second factor; a ProConnect identity waiting for
/// this account is linked once the sign-in is complete.
pub async fn login(
    state: &AppState,
    session: &Session,
    email: &str,
    password: &str,
    suite: Option<String>,
) -> Result<Next, AppError> {
    let now = db::now_ms();
    if let Some(until) = users::sign_in_locked_until(&state.db, email, now).await? {
        return Err(locked(until, now));
    }
    let user = users::find_by_email(&state.db, email).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let matches = verify_blocking(password, &hash).await?;
    let user = match user {
        Some(u) if matches && u.password_hash.is_some() => u,
        user => return Err(failed_sign_in(state, email, user.as_ref()).await?),
    };
    users::clear_sign_in_failures(&state.db, email).await?;
    // Said only to whoever knows the password.
    if user.deactivated_at.is_some() {
        return Err(deactivated());
    }
    if user.role == Role::Applicant && !state.applicant_password {
        return Err(password_closed());
    }
    if user.email_verified_at.is_none() {
        email_link(state, &user, Purpose::EmailConfirmation).await?;
        return Err(AppError::new(ErrorCode::EmailNotConfirmed));
    }
    if user.role != Role::Applicant {
        let setup = !second_factor::is_set_up(&state.db, user.id).await?;
        session::await_second_factor(
            session,
            session::Pending {
                user_id: user.id,
                method: session::Method::Password,
                id_token: None,
                suite,
                at: now,
            },
        )
        .await?;
        return Ok(Next::SecondFactor { setup });
    }
    session::sign_in(session, user.id, session::Method::Password, false, None).await?;
    federation::link_waiting(state, session, &user).await?;
    Ok(Next::SignedIn(user.role))
}

/// Counts a failed sign-in (password or second factor) for `email`, locks
/// after too many and tells the account's owner; answers the error to show.
async fn failed_sign_in(
    state: &AppState,
    email: &str,
    user: Option<&users::User>,
) -> Result<AppError, AppError> {
    let now = db::now_ms();
    let lock = users::record_sign_in_failure(
        &state.db,
        email,
        now,
        SIGN_IN_WINDOW_MS,
        SIGN_IN_FAILURES_MAX,
        SIGN_IN_LOCK_MS,
    )
    .await?;
    let Some(lock) = lock else {
        return Ok(AppError::new(ErrorCode::InvalidCredentials));
    };
    if let Some(u) = user {
        let mail =
            templates::sign_in_locked(&u.email, SIGN_IN_LOCK_MS / 60_000, &state.link(FORGOT_PAGE));
        let mut tx = state.db.begin().await.map_err(DbError::from)?;
        outbox::enqueue(&mut tx, &mail, now).await?;
        tx.commit().await.map_err(DbError::from)?;
    }
    Ok(locked(lock.until, now))
}

/// The answer to an applicant's password sign-in or registration when
/// applicants sign in with ProConnect only.
pub fn password_closed() -> AppError {
    AppError::with_message(
        ErrorCode::Forbidden,
        "Les demandeurs se connectent avec ProConnect : utilisez le bouton «\u{a0}S’identifier \
         avec ProConnect\u{a0}».",
    )
}

/// The second factor of the sign-in waiting on this session: an app's code
/// or a recovery code. Wrong codes count as failed sign-ins (and lock the
/// account as wrong passwords do). Answers the account's role and the page
/// to go to.
pub async fn verify_second_factor(
    state: &AppState,
    session: &Session,
    typed: &str,
) -> Result<(Role, Option<String>), AppError> {
    let (pending, user) = waiting(state, session).await?;
    let now = db::now_ms();
    if let Some(until) = users::sign_in_locked_until(&state.db, &user.email, now).await? {
        return Err(locked(until, now));
    }
    let code =
        crate::domain::identity::parse_code(typed).map_err(|m| AppError::invalid("code", m))?;
    match second_factor::verify(&state.db, user.id, &user.email, &code).await? {
        Ok(()) => {}
        Err(second_factor::Refused::NoSetup) => return Err(second_factor_expired()),
        Err(refused) => {
            let e = failed_sign_in(state, &user.email, Some(&user)).await?;
            if e.code == ErrorCode::RateLimited {
                return Err(e);
            }
            return Err(AppError::invalid(
                "code",
                if refused == second_factor::Refused::Used {
                    "Ce code a déjà servi : attendez que l’application en affiche un nouveau."
                } else {
                    "Ce code n’est pas le bon : saisissez le code affiché maintenant par votre \
                     application, ou un code de secours encore inutilisé."
                },
            ));
        }
    }
    users::clear_sign_in_failures(&state.db, &user.email).await?;
    complete(state, session, &user, &pending).await?;
    Ok((user.role, pending.suite))
}

/// The session once both factors are proved.
async fn complete(
    state: &AppState,
    session: &Session,
    user: &users::User,
    pending: &session::Pending,
) -> Result<(), AppError> {
    session::sign_in(
        session,
        user.id,
        pending.method,
        true,
        pending.id_token.as_deref(),
    )
    .await?;
    federation::link_waiting(state, session, user).await?;
    Ok(())
}

fn second_factor_expired() -> AppError {
    AppError::new(ErrorCode::SignInExpired)
}

/// The sign-in waiting for its second factor on this session, and its
/// (active) account; `sign_in_expired` when there is none.
async fn waiting(
    state: &AppState,
    session: &Session,
) -> Result<(session::Pending, users::User), AppError> {
    let pending = session::pending(session)
        .await?
        .ok_or_else(second_factor_expired)?;
    let user = users::get(&state.db, pending.user_id)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or_else(second_factor_expired)?;
    Ok((pending, user))
}

/// The authenticator app's setup for the sign-in waiting on this session
/// (its first sign-in); none when the app is already set up.
pub async fn second_factor_setup(
    state: &AppState,
    session: &Session,
) -> Result<Option<second_factor::Setup>, AppError> {
    let (_, user) = waiting(state, session).await?;
    second_factor::setup(&state.db, user.id, &user.email).await
}

/// Confirms the app's setup with its first code and completes the sign-in;
/// answers the recovery codes (shown once), the role and the page to go to.
pub async fn activate_second_factor(
    state: &AppState,
    session: &Session,
    typed: &str,
) -> Result<(Vec<String>, Role, Option<String>), AppError> {
    let (pending, user) = waiting(state, session).await?;
    let code = match crate::domain::identity::parse_code(typed) {
        Ok(crate::domain::identity::TypedCode::Totp(code)) => code,
        _ => {
            return Err(AppError::invalid(
                "code",
                "Saisissez le code à 6 chiffres affiché par votre application.",
            ));
        }
    };
    let codes = match second_factor::activate(&state.db, user.id, &user.email, &code).await? {
        Ok(codes) => codes,
        Err(second_factor::Refused::NoSetup) => {
            return Err(AppError::with_message(
                ErrorCode::Conflict,
                "L’application est déjà configurée pour ce compte : saisissez le code qu’elle \
                 affiche.",
            ));
        }
        Err(_) => {
            return Err(AppError::invalid(
                "code",
                "Ce code n’est pas le bon : vérifiez que l’application a bien lu le QR code, \
                 puis saisissez le code qu’elle affiche maintenant.",
            ));
        }
    };
    complete(state, session, &user, &pending).await?;
    Ok((codes, user.role, pending.suite))
}

/// An administrator resets another staff account's second factor (a lost
/// phone): the app and the recovery codes are removed, the account's
/// sessions end, and its owner is told; they set it up again at their next
/// sign-in.
pub async fn reset_second_factor(
    state: &AppState,
    admin_id: i64,
    email: &str,
) -> Result<(), AppError> {
    let user = users::find_by_email(&state.db, email)
        .await?
        .filter(|u| u.role != Role::Applicant)
        .ok_or_else(unknown_staff)?;
    if user.id == admin_id {
        return Err(AppError::invalid(
            "email",
            "Vous ne pouvez pas réinitialiser votre propre double authentification : demandez-le \
             à un autre administrateur.",
        ));
    }
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let had = db::second_factor::remove_in(&mut tx, user.id).await?;
    if had {
        let mail = templates::second_factor_reset(&user.email, &state.link(LOGIN_PAGE));
        outbox::enqueue(&mut tx, &mail, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    session::end_all_for_user(&state.db, user.id, None).await?;
    Ok(())
}

/// An administrator's action on an address without a staff account.
fn unknown_staff() -> AppError {
    AppError::with_message(
        ErrorCode::NotFound,
        "Aucun compte d’instructeur, d’administrateur ou de rapporteur n’a cette adresse.",
    )
}

/// The answer to a deactivated account that signs in.
pub fn deactivated() -> AppError {
    AppError::with_message(
        ErrorCode::Forbidden,
        "Ce compte a été désactivé par un administrateur de Guichet. Si vous devez encore \
         instruire des demandes, demandez-lui de le réactiver.",
    )
}

/// An administrator deactivates (`active` false) or reactivates the staff
/// account `email`; its sessions end at once on deactivation. An
/// administrator cannot deactivate their own account (someone must stay to
/// reactivate the others).
pub async fn set_active(
    state: &AppState,
    admin_id: i64,
    email: &str,
    active: bool,
) -> Result<(), AppError> {
    let user = users::find_by_email(&state.db, email)
        .await?
        .ok_or_else(unknown_staff)?;
    if user.id == admin_id && !active {
        return Err(AppError::invalid(
            "email",
            "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre \
             administrateur.",
        ));
    }
    let now = db::now_ms();
    let changed =
        users::set_deactivated(&state.db, user.id, (!active).then_some(now), admin_id, now).await?;
    if !changed {
        return Err(unknown_staff());
    }
    Ok(())
}

/// Sends a reset link when the address has an account; nothing otherwise.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let Some(user) = users::find_by_email(&state.db, email).await? else {
        tracing::info!("password reset asked for an address without an account");
        return Ok(());
    };
    email_link(state, &user, Purpose::PasswordReset).await?;
    Ok(())
}

/// Sets a password with a reset or invitation link. The link is checked, then
/// the password, and only then used: a refused password does not burn it.
/// Every session of the account ends.
pub async fn set_password_with_link(
    state: &AppState,
    purpose: Purpose,
    token: &str,
    password: &str,
) -> Result<(), AppError> {
    let now = db::now_ms();
    let user_id = db::links::check(&state.db, purpose, token, now)
        .await?
        .map_err(link_error)?;
    let user = users::get(&state.db, user_id)
        .await?
        .ok_or_else(|| link_error(LinkError::Unknown))?;
    pw::check_new(password, &[user.email.as_str()])
        .map_err(|e| AppError::invalid("password", e.message()))?;
    let hash = hash_blocking(password).await?;
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let used_by = db::links::consume_in(&mut tx, purpose, token, now)
        .await?
        .map_err(link_error)?;
    users::set_password_in(&mut tx, used_by, &hash, true, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    session::end_all_for_user(&state.db, used_by, None).await?;
    // A new password proved by the mailbox lifts a sign-in lock.
    users::clear_sign_in_failures(&state.db, &user.email).await?;
    Ok(())
}

/// Changes the signed-in user's password: every session of the account ends,
/// and this one continues under a new id.
pub async fn change_password(
    state: &AppState,
    s: &Session,
    current: &str,
    password: &str,
) -> Result<(), AppError> {
    let viewer = session::viewer(s, &state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
    let user = users::get(&state.db, viewer.id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
    let stored = user.password_hash.clone().unwrap_or_default();
    if !verify_blocking(current, &stored).await? {
        return Err(AppError::invalid(
            "current",
            "Le mot de passe actuel est incorrect.",
        ));
    }
    if current == password {
        return Err(AppError::invalid(
            "password",
            "Choisissez un mot de passe différent de l’actuel.",
        ));
    }
    pw::check_new(password, &[user.email.as_str()])
        .map_err(|e| AppError::invalid("password", e.message()))?;
    let hash = hash_blocking(password).await?;
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    users::set_password_in(&mut tx, user.id, &hash, false, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    session::end_all_for_user(&state.db, user.id, None).await?;
    session::renew(s).await
}

/// Creates an instructor or administrator account (or finds the invited one)
/// and a 7-day link to choose a password; queues the invitation email when
/// `send` is set. Answers the link.
pub async fn invite(
    state: &AppState,
    email: &str,
    role: Role,
    send: bool,
) -> Result<String, AppError> {
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(DbError::from)?;
    let id = match users::insert_if_absent_in(&mut tx, email, role, None, now).await? {
        Some(id) => id,
        None => {
            let existing = users::find_by_email_in(&mut tx, email)
                .await?
                .ok_or_else(|| internal("account vanished during invitation"))?;
            if existing.password_hash.is_some() && existing.email_verified_at.is_some() {
                return Err(AppError::invalid(
                    "email",
                    "Ce compte est déjà actif : la personne peut se connecter, ou utiliser \
                     « Mot de passe oublié ».",
                ));
            }
            // Unconfirmed: whoever chose its password never proved the
            // mailbox; the invited person chooses one through the link.
            users::unconfirmed_loses_password_in(&mut tx, existing.id, now).await?;
            if existing.role != role
                && existing.role == Role::Applicant
                && existing.email_verified_at.is_none()
            {
                // An applicant account nobody ever proved (registered ahead
                // by someone, or a technical contact's never activated): it
                // becomes the invited account.
                users::set_role_in(&mut tx, existing.id, role, now).await?;
            } else if existing.role != role {
                return Err(AppError::invalid(
                    "email",
                    format!(
                        "Un compte existe déjà pour cette adresse, avec le rôle « {} ».",
                        existing.role.label()
                    ),
                ));
            }
            existing.id
        }
    };
    let link = new_link(
        state,
        &mut tx,
        id,
        Purpose::Invitation,
        INVITATION_PAGE,
        now,
    )
    .await?;
    if send {
        let mail = templates::invitation(email, &link, &state.link(CGU_PAGE));
        outbox::enqueue(&mut tx, &mail, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(link)
}
