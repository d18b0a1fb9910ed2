//! Accounts: registration, email confirmation, sign-in and sign-out, password
//! reset and change, invitations. Who may call each function is decided by
//! `server::policy`; none of them says whether an email address has an
//! account.

use crate::domain::lifecycle::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user, as pages see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub email: String,
    pub role: Role,
    /// The account has a password it can change (not only ProConnect).
    #[serde(default)]
    pub has_password: bool,
}

/// Where a signed-in user lands.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Applicant => crate::paths::MY_REQUESTS,
        Role::Instructor | Role::Reporter => crate::paths::DASHBOARD,
        Role::Admin => crate::paths::ACCOUNTS,
    }
}

/// Who is signed in on this browser, if anyone.
#[server(endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::{app_state, auth::session, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let viewer = session::viewer(&s, &state.db).await?;
    Ok(viewer.map(|v| CurrentUser {
        email: v.email,
        role: v.role,
        has_password: v.has_password,
    }))
}

/// Creates an applicant account and sends the confirmation link. The answer
/// is the same whether or not the address already has an account (that
/// account's owner gets an email saying so instead).
#[server(endpoint = "auth/register")]
pub async fn register(email: String, password: String) -> Result<(), AppError> {
    use crate::server::app_state;
    use crate::server::auth::{accounts, password as pw};
    let state = app_state()?;
    if !state.applicant_password {
        return Err(accounts::password_closed());
    }
    let email = accounts::check_email(&email)?;
    pw::check_new(&password, &[email.as_str()])
        .map_err(|e| AppError::invalid("password", e.message()))?;
    accounts::register(&state, &email, &password).await?;
    crate::server::after_form(&crate::paths::with_flag(crate::paths::REGISTER, "envoye"));
    Ok(())
}

/// Confirms an email address with the link's token.
#[server(endpoint = "auth/confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts};
    let state = app_state()?;
    accounts::confirm_email(&state, &token).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::CONFIRM_EMAIL,
        "confirme",
    ));
    Ok(())
}

/// Signs in; answers the page to go to: `suite` when it is a page of this
/// site (the page that asked for a sign-in), else the role's home; for
/// staff, the second factor's page first. The session id changes.
#[server(endpoint = "auth/login")]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] suite: Option<String>,
) -> Result<String, AppError> {
    use crate::server::auth::accounts::{self, Next};
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let suite = suite
        .as_deref()
        .and_then(crate::paths::safe_return)
        .map(str::to_owned);
    let target = match accounts::login(&state, &s, &email, &password, suite.clone()).await? {
        Next::SignedIn(role) => suite.unwrap_or_else(|| home_of(role).to_owned()),
        Next::SecondFactor { setup } => crate::paths::second_factor(setup, suite.as_deref()),
    };
    crate::server::after_form(&target);
    Ok(target)
}

/// How one may sign in on this instance, for the sign-in and registration
/// pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    /// The ProConnect button is offered.
    pub proconnect: bool,
    /// Applicants may register and sign in with a password.
    pub applicant_password: bool,
    /// A ProConnect identity waits for the account of this address to be
    /// proved (`/connexion?lier=proconnect`).
    pub link_email: Option<String>,
}

impl Default for SignInChoices {
    /// Passwords only: what a page shows when the options cannot be read.
    fn default() -> Self {
        SignInChoices {
            proconnect: false,
            applicant_password: true,
            link_email: None,
        }
    }
}

#[server(endpoint = "auth/options")]
pub async fn sign_in_options() -> Result<SignInChoices, AppError> {
    use crate::server::auth::{proconnect::Agent, session};
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let link_email = session::pending_link::<Agent>(&s).await?.map(|a| a.email);
    Ok(SignInChoices {
        proconnect: state.proconnect.is_some(),
        applicant_password: state.applicant_password,
        link_email,
    })
}

/// The authenticator app's setup, as the setup page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetup {
    /// The secret in groups of four, to type by hand.
    pub secret: String,
    /// The `otpauth://` address.
    pub uri: String,
    /// The QR code (SVG).
    pub qr_svg: String,
}

/// The app's setup of the sign-in waiting on this session; none when the
/// app is already set up (the code page then).
#[server(endpoint = "auth/second_factor_setup")]
pub async fn second_factor_setup() -> Result<Option<AppSetup>, AppError> {
    use crate::server::auth::accounts;
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    Ok(accounts::second_factor_setup(&state, &s)
        .await?
        .map(|setup| AppSetup {
            secret: setup.secret,
            uri: setup.uri,
            qr_svg: setup.qr_svg,
        }))
}

/// The app's setup confirmed: the recovery codes (shown once) and the page
/// to go to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorActivated {
    pub recovery_codes: Vec<String>,
    pub target: String,
}

/// Confirms the app's setup with the code it shows; the sign-in completes.
#[server(endpoint = "auth/activate_second_factor")]
pub async fn activate_second_factor(code: String) -> Result<SecondFactorActivated, AppError> {
    use crate::server::auth::accounts;
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let (recovery_codes, role, suite) = accounts::activate_second_factor(&state, &s, &code).await?;
    Ok(SecondFactorActivated {
        recovery_codes,
        target: suite.unwrap_or_else(|| home_of(role).to_owned()),
    })
}

/// The second factor of a staff sign-in: the app's code or a recovery
/// code; answers the page to go to.
#[server(endpoint = "auth/verify_second_factor")]
pub async fn verify_second_factor(code: String) -> Result<String, AppError> {
    use crate::server::auth::accounts;
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let (role, suite) = accounts::verify_second_factor(&state, &s, &code).await?;
    let target = suite.unwrap_or_else(|| home_of(role).to_owned());
    crate::server::after_form(&target);
    Ok(target)
}

/// Signs out: the session ends on the server. Answers where to go: the
/// home page, or ProConnect's sign-out (which comes back to the home page)
/// for a session signed in with it.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<String, AppError> {
    use crate::server::auth::session;
    use crate::server::{app_state, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    let id_token = session::id_token(&s).await?;
    session::sign_out(&s).await?;
    let target = match (&state.proconnect, id_token) {
        (Some(pc), Some(token)) => pc
            .logout_url(&token, &state.link("/"))
            .await
            .unwrap_or_else(|| "/".to_owned()),
        _ => "/".to_owned(),
    };
    // A form posted without script cannot be sent on to the provider (the
    // pages' `form-action 'self'`): it comes back home, signed out here.
    crate::server::after_form("/");
    Ok(target)
}

/// Sends a password reset link when the address has an account; answers the
/// same either way.
#[server(endpoint = "auth/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts};
    let state = app_state()?;
    let email = accounts::check_email(&email)?;
    accounts::request_password_reset(&state, &email).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::FORGOT_PASSWORD,
        "envoye",
    ));
    Ok(())
}

/// Sets a new password with a reset link; ends every session of the account.
#[server(endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::server::app_state;
    use crate::server::auth::{accounts, links::Purpose};
    let state = app_state()?;
    accounts::set_password_with_link(&state, Purpose::PasswordReset, &token, &password).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::RESET_PASSWORD,
        "enregistre",
    ));
    Ok(())
}

/// Sets the first password of an invited account.
#[server(endpoint = "auth/choose_password")]
pub async fn choose_password(token: String, password: String) -> Result<(), AppError> {
    use crate::server::app_state;
    use crate::server::auth::{accounts, links::Purpose};
    let state = app_state()?;
    accounts::set_password_with_link(&state, Purpose::Invitation, &token, &password).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::CHOOSE_PASSWORD,
        "enregistre",
    ));
    Ok(())
}

/// Changes the signed-in user's password; every other session of the account
/// ends, this one gets a new id.
#[server(endpoint = "auth/change_password")]
pub async fn change_password(current: String, password: String) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts, session as http_session};
    let state = app_state()?;
    let s = http_session().await?;
    accounts::change_password(&state, &s, &current, &password).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::MY_ACCOUNT,
        "modifie",
    ));
    Ok(())
}

/// An account as administrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub email: String,
    pub role: Role,
    pub confirmed: bool,
    pub has_password: bool,
    pub created_at: i64,
    /// Deactivated by an administrator.
    pub deactivated: bool,
    /// The administrator looking at the list.
    pub is_me: bool,
    /// Staff: the authenticator app is set up.
    #[serde(default)]
    pub second_factor: bool,
    /// A ProConnect identity is linked.
    #[serde(default)]
    pub proconnect: bool,
}

/// The accounts, newest first (administrators).
#[server(endpoint = "admin/accounts")]
pub async fn list_accounts() -> Result<Vec<AccountRow>, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<ListAccounts>().await?;
    let rows = db::users::list(&state.db, 500).await?;
    let with_app: std::collections::HashSet<i64> = db::second_factor::confirmed_accounts(&state.db)
        .await?
        .into_iter()
        .collect();
    let linked: std::collections::HashSet<i64> =
        db::identities::linked_accounts(&state.db, db::identities::PROCONNECT)
            .await?
            .into_iter()
            .collect();
    Ok(rows
        .into_iter()
        .map(|(u, created_at)| AccountRow {
            second_factor: with_app.contains(&u.id),
            proconnect: linked.contains(&u.id),
            email: u.email,
            role: u.role,
            confirmed: u.email_verified_at.is_some(),
            has_password: u.password_hash.is_some(),
            deactivated: u.deactivated_at.is_some(),
            is_me: u.id == me.id,
            created_at,
        })
        .collect())
}

/// Invites an instructor or an administrator (administrators): creates the
/// account and emails a link to choose a password, valid 7 days.
#[server(endpoint = "admin/invite")]
pub async fn invite(email: String, role: Role) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts};
    let state = app_state()?;
    crate::server::caller::<Invite>().await?;
    if role == Role::Applicant {
        return Err(AppError::invalid(
            "role",
            "Seuls les instructeurs, les administrateurs et les rapporteurs sont invités ; les \
             demandeurs créent leur compte eux-mêmes.",
        ));
    }
    let email = accounts::check_email(&email)?;
    accounts::invite(&state, &email, role, true).await?;
    crate::server::after_form(&crate::paths::with_flag(crate::paths::ACCOUNTS, "invite"));
    Ok(())
}

/// Deactivates (`active` false) or reactivates a staff account
/// (administrators).
#[server(endpoint = "admin/set_account_active")]
pub async fn set_account_active(email: String, active: bool) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts};
    let state = app_state()?;
    let me = crate::server::caller::<SetAccountActive>().await?;
    accounts::set_active(&state, me.id, &email, active).await?;
    crate::server::after_form(crate::paths::ACCOUNTS);
    Ok(())
}

/// Resets a staff account's second factor (administrators): its owner sets
/// up the app again at the next sign-in.
#[server(endpoint = "admin/reset_second_factor")]
pub async fn reset_second_factor(email: String) -> Result<(), AppError> {
    use crate::server::{app_state, auth::accounts};
    let state = app_state()?;
    let me = crate::server::caller::<ResetSecondFactor>().await?;
    accounts::reset_second_factor(&state, me.id, &email).await?;
    crate::server::after_form(&crate::paths::with_flag(
        crate::paths::ACCOUNTS,
        "reinitialise",
    ));
    Ok(())
}

/// An email of the outbox, for the development page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent: bool,
}

/// The last 50 emails of the outbox; only in development mode and for a
/// browser on this machine (otherwise "not found"): they hold one-time links.
#[server(endpoint = "dev/mails")]
pub async fn dev_mails() -> Result<Vec<DevMail>, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{app_state, db};
    let state = app_state()?;
    let local = crate::server::client_address(&state).is_some_and(|ip| ip.is_loopback());
    if !state.dev_mode || !local {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    let rows = db::outbox::recent(&state.db, 50).await?;
    Ok(rows
        .into_iter()
        .map(|r| DevMail {
            id: r.id,
            to: r.to_address,
            subject: r.subject,
            body_text: r.body_text,
            created_at: r.created_at,
            sent: r.sent_at.is_some(),
        })
        .collect())
}
