//! Sessions: `tower-sessions` manages the cookie, the random ids, rotation and
//! expiry; its records live in the `sessions` table of the application's own
//! database (either backend), through the `DbSessionStore` below.
//!
//! A signed-in session holds the user's id, the time of sign-in and the time
//! it was last seen. Idle timeout: the record and the cookie expire
//! [`IDLE_TIMEOUT`] after the last save, and a session is saved again at most
//! every [`TOUCH_EVERY_MS`]. Absolute timeout: [`ABSOLUTE_TIMEOUT_MS`] after
//! sign-in, whatever the activity.

use crate::domain::lifecycle::Role;
use crate::error::{AppError, ErrorCode};
use crate::server::db::{self, Db, DbError};
use async_trait::async_trait;
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "guichet_session";
/// A session unused for this long ends.
pub const IDLE_TIMEOUT: time::Duration = time::Duration::hours(2);
/// A session ends this long after sign-in, even when in use.
pub const ABSOLUTE_TIMEOUT_MS: i64 = 12 * 3_600_000;
/// How often an active session's expiry is pushed back.
pub const TOUCH_EVERY_MS: i64 = 5 * 60_000;

const USER_ID: &str = "user_id";
const AUTH_AT: &str = "auth_at";
const SEEN_AT: &str = "seen_at";
/// How the user signed in (`Method`).
const METHOD: &str = "method";
/// Set once a staff member's second factor is proved (app code, recovery
/// code, or a ProConnect sign-in at a strong enough `acr`).
const SECOND_FACTOR: &str = "second_factor";
/// The ProConnect ID token, the hint of the provider's sign-out.
const ID_TOKEN: &str = "id_token";
/// Between the first factor and the second: who, how, and where to go.
const PENDING: &str = "pending_second_factor";
/// A ProConnect identity waiting for its account's owner to prove the
/// account (password) before they are linked.
const PENDING_LINK: &str = "pending_link";

/// The account the record is signed in to, as the store read it with the
/// record (`db::sessions::Account`). Never stored: `save` leaves it out.
const ACCOUNT: &str = "_account";

/// A ProConnect sign-in under way (`proconnect::Started`).
const PROCONNECT_STARTED: &str = "proconnect_started";

/// How long the second factor may be waited for after the password.
pub const PENDING_MS: i64 = 10 * 60_000;

/// How a session was signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    Password,
    ProConnect,
}

/// A sign-in in progress: the first factor is proved, the second is not.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub user_id: i64,
    pub method: Method,
    pub id_token: Option<String>,
    /// The page to go to once signed in.
    pub suite: Option<String>,
    pub at: i64,
}

/// The session layer: HttpOnly, SameSite=Lax, Secure over https, ids rotated
/// at sign-in.
pub fn layer(db: Db, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore { db })
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT))
}

/// Session records in the `sessions` table.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn user_of(record: &Record) -> Option<i64> {
    record.data.get(USER_ID).and_then(serde_json::Value::as_i64)
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    async fn insert_new(&self, record: &Record) -> session_store::Result<bool> {
        let data = encode(record)?;
        db::sessions::insert_new(&self.db, &stored(record, &record.id.to_string(), &data))
            .await
            .map_err(backend)
    }
}

/// A record's data as stored: all of it but the account read with it.
fn encode(record: &Record) -> session_store::Result<String> {
    let kept: HashMap<&String, &serde_json::Value> =
        record.data.iter().filter(|(k, _)| *k != ACCOUNT).collect();
    serde_json::to_string(&kept).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// A record as the `sessions` table keeps it.
fn stored<'a>(record: &Record, id: &'a str, data: &'a str) -> db::sessions::Stored<'a> {
    db::sessions::Stored {
        id,
        user_id: user_of(record),
        data,
        expires_at: expiry_ms(record),
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.insert_new(record).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = encode(record)?;
        db::sessions::save(&self.db, &stored(record, &record.id.to_string(), &data))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = db::sessions::load(&self.db, &id.to_string(), db::now_ms())
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let decode = |e: serde_json::Error| session_store::Error::Decode(e.to_string());
        let mut data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&row.data).map_err(decode)?;
        data.remove(ACCOUNT);
        if let Some(account) = row.account {
            data.insert(
                ACCOUNT.to_owned(),
                serde_json::to_value(account).map_err(decode)?,
            );
        }
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at) * 1_000_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        db::sessions::delete(&self.db, &id.to_string())
            .await
            .map_err(backend)
    }
}

/// Ends every session of a user (password change, reset), but `keep`.
pub async fn end_all_for_user(db: &Db, user_id: i64, keep: Option<&Id>) -> Result<u64, DbError> {
    let keep = keep.map(ToString::to_string);
    db::sessions::end_for_user(&db.pool, user_id, keep.as_deref()).await
}

/// Deletes expired session records; returns how many.
pub async fn delete_expired(db: &Db) -> Result<u64, DbError> {
    db::sessions::delete_expired(db, db::now_ms()).await
}

pub fn spawn_cleanup(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = delete_expired(&db).await {
                tracing::warn!(error = %e, "session cleanup");
            }
            // And the sign-in failures that no longer count.
            let window = crate::server::auth::accounts::SIGN_IN_WINDOW_MS;
            if let Err(e) = db::users::prune_sign_in_failures(&db, db::now_ms(), window).await {
                tracing::warn!(error = %e, "sign-in failures cleanup");
            }
        }
    });
}

/// The signed-in user of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The account has a password (not only ProConnect).
    pub has_password: bool,
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %e, "session store");
    AppError::new(ErrorCode::DatabaseUnavailable)
}

/// Who is signed in on this session, if anyone. Ends the session when its
/// absolute lifetime is over or its account is gone or deactivated; pushes its idle expiry
/// back when it was last seen more than [`TOUCH_EVERY_MS`] ago.
pub async fn viewer(session: &Session, db: &Db) -> Result<Option<Viewer>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(session_error)? else {
        return Ok(None);
    };
    let now = db::now_ms();
    let auth_at = session
        .get::<i64>(AUTH_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    let method = session
        .get::<Method>(METHOD)
        .await
        .map_err(session_error)?
        .unwrap_or(Method::Password);
    let second_factor = session
        .get::<bool>(SECOND_FACTOR)
        .await
        .map_err(session_error)?
        .unwrap_or(false);
    let user = account_of(session, db, user_id).await?;
    let user = match user {
        Some(u)
            if now - auth_at <= ABSOLUTE_TIMEOUT_MS
                // A password session ends with its password (an invitation
                // taking over an unproved account drops it).
                && (u.has_password || method == Method::ProConnect)
                && u.deactivated_at.is_none()
                // Staff sessions need the second factor.
                && (u.role == Role::Applicant || second_factor) =>
        {
            u
        }
        _ => {
            session.flush().await.map_err(session_error)?;
            return Ok(None);
        }
    };
    let seen_at = session
        .get::<i64>(SEEN_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if now - seen_at > TOUCH_EVERY_MS {
        session.insert(SEEN_AT, now).await.map_err(session_error)?;
    }
    Ok(Some(Viewer {
        id: user.id,
        has_password: user.has_password,
        email: user.email,
        role: user.role,
    }))
}

/// The account `user_id` as the store read it with the record, or read now
/// (the session was signed in to it during this request).
async fn account_of(
    session: &Session,
    db: &Db,
    user_id: i64,
) -> Result<Option<db::sessions::Account>, AppError> {
    let loaded = session
        .get::<db::sessions::Account>(ACCOUNT)
        .await
        .map_err(session_error)?;
    if let Some(account) = loaded.filter(|a| a.id == user_id) {
        return Ok(Some(account));
    }
    Ok(db::users::get(db, user_id)
        .await?
        .map(|u| db::sessions::Account {
            id: u.id,
            has_password: u.password_hash.is_some(),
            email: u.email,
            role: u.role,
            deactivated_at: u.deactivated_at,
        }))
}

/// What a long-lived answer (the live stream) needs to end with its session:
/// the record's id and the absolute deadline (milliseconds).
pub async fn lifetime(session: &Session) -> Option<(Id, i64)> {
    let id = session.id()?;
    let auth_at = session.get::<i64>(AUTH_AT).await.ok()??;
    Some((id, auth_at + ABSOLUTE_TIMEOUT_MS))
}

/// Signs a user in on this session: a new session id (the one the browser
/// came with, possibly planted, is dropped), then the user's id, how they
/// signed in, whether their second factor is proved, and the ProConnect ID
/// token when there is one.
pub async fn sign_in(
    session: &Session,
    user_id: i64,
    method: Method,
    second_factor: bool,
    id_token: Option<&str>,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    // The account as loaded with the record is read again (the sign-in may
    // have just changed it: a password chosen, an identity linked).
    for key in [PENDING, ACCOUNT] {
        let _ = session.remove_value(key).await.map_err(session_error)?;
    }
    let now = db::now_ms();
    session
        .insert(USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session.insert(AUTH_AT, now).await.map_err(session_error)?;
    session.insert(SEEN_AT, now).await.map_err(session_error)?;
    session
        .insert(METHOD, method)
        .await
        .map_err(session_error)?;
    session
        .insert(SECOND_FACTOR, second_factor)
        .await
        .map_err(session_error)?;
    match id_token {
        Some(t) => session.insert(ID_TOKEN, t).await.map_err(session_error)?,
        None => {
            let _ = session
                .remove_value(ID_TOKEN)
                .await
                .map_err(session_error)?;
        }
    }
    Ok(())
}

/// After a password change: a new session id and a new sign-in time; the
/// rest (second factor included) stays.
pub async fn renew(session: &Session) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    let _ = session.remove_value(ACCOUNT).await.map_err(session_error)?;
    session
        .insert(AUTH_AT, db::now_ms())
        .await
        .map_err(session_error)
}

/// The first factor is proved, the second is awaited: nobody is signed in
/// on this session until it is (a new id all the same).
pub async fn await_second_factor(session: &Session, pending: Pending) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    for key in [USER_ID, AUTH_AT, SEEN_AT, METHOD, SECOND_FACTOR, ID_TOKEN] {
        let _ = session.remove_value(key).await.map_err(session_error)?;
    }
    session
        .insert(PENDING, pending)
        .await
        .map_err(session_error)
}

/// The sign-in waiting for its second factor on this session, if it is
/// recent enough.
pub async fn pending(session: &Session) -> Result<Option<Pending>, AppError> {
    let p = session
        .get::<Pending>(PENDING)
        .await
        .map_err(session_error)?;
    Ok(p.filter(|p| db::now_ms() - p.at <= PENDING_MS))
}

/// Keeps a ProConnect identity to link once its account's owner proves
/// the account.
pub async fn keep_pending_link<T: serde::Serialize>(
    session: &Session,
    identity: &T,
) -> Result<(), AppError> {
    session
        .insert(PENDING_LINK, identity)
        .await
        .map_err(session_error)
}

/// Takes the identity waiting to be linked, if any.
pub async fn take_pending_link<T: serde::de::DeserializeOwned>(
    session: &Session,
) -> Result<Option<T>, AppError> {
    session
        .remove::<T>(PENDING_LINK)
        .await
        .map_err(session_error)
}

/// Peeks at the identity waiting to be linked, if any.
pub async fn pending_link<T: serde::de::DeserializeOwned>(
    session: &Session,
) -> Result<Option<T>, AppError> {
    session.get::<T>(PENDING_LINK).await.map_err(session_error)
}

/// Keeps a ProConnect sign-in under way until the provider's return.
pub async fn keep_started<T: serde::Serialize>(
    session: &Session,
    started: &T,
) -> Result<(), AppError> {
    session
        .insert(PROCONNECT_STARTED, started)
        .await
        .map_err(session_error)
}

/// Takes the ProConnect sign-in under way (used once).
pub async fn take_started<T: serde::de::DeserializeOwned>(
    session: &Session,
) -> Result<Option<T>, AppError> {
    session
        .remove::<T>(PROCONNECT_STARTED)
        .await
        .map_err(session_error)
}

/// The ProConnect ID token of this session, if it was signed in that way.
pub async fn id_token(session: &Session) -> Result<Option<String>, AppError> {
    session.get::<String>(ID_TOKEN).await.map_err(session_error)
}

/// Signs out: the session record is deleted and the cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}
