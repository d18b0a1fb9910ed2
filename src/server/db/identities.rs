//! Queries on the identities of an identity provider (ProConnect) linked to
//! accounts.

use super::{Db, DbError};

/// The provider name stored for ProConnect.
pub const PROCONNECT: &str = "proconnect";

/// What the provider said of an agent at their last sign-in.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Identity {
    pub subject: String,
    pub user_id: i64,
    pub email: String,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
    pub siret: Option<String>,
    pub uid: Option<String>,
}

const COLUMNS: &str = "subject, user_id, email, given_name, usual_name, siret, uid";

/// The account linked to this identity, if any.
pub async fn find(db: &Db, provider: &str, subject: &str) -> Result<Option<Identity>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM user_identities WHERE provider = $1 AND subject = $2"
    ))
    .bind(provider)
    .bind(subject)
    .fetch_optional(&db.pool)
    .await?)
}

/// The identity of this provider linked to an account, if any.
pub async fn of_user(db: &Db, provider: &str, user_id: i64) -> Result<Option<Identity>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM user_identities WHERE provider = $1 AND user_id = $2"
    ))
    .bind(provider)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Same, inside the caller's transaction.
pub async fn of_user_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    provider: &str,
    user_id: i64,
) -> Result<Option<Identity>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM user_identities WHERE provider = $1 AND user_id = $2"
    ))
    .bind(provider)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Links `identity` to its account, or refreshes its claims when it is
/// already linked to it. Answers false when the account already has another
/// identity of this provider, or the identity another account (nothing
/// written).
pub async fn link_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    provider: &str,
    identity: &Identity,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO user_identities (provider, subject, user_id, email, given_name, \
         usual_name, siret, uid, linked_at, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (provider, subject) DO UPDATE SET email = excluded.email, \
         given_name = excluded.given_name, usual_name = excluded.usual_name, \
         siret = excluded.siret, uid = excluded.uid, seen_at = excluded.seen_at \
         WHERE user_identities.user_id = excluded.user_id",
    )
    .bind(provider)
    .bind(&identity.subject)
    .bind(identity.user_id)
    .bind(&identity.email)
    .bind(&identity.given_name)
    .bind(&identity.usual_name)
    .bind(&identity.siret)
    .bind(&identity.uid)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        // The account already has another identity of this provider.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The accounts with an identity of this provider.
pub async fn linked_accounts(db: &Db, provider: &str) -> Result<Vec<i64>, DbError> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT user_id FROM user_identities WHERE provider = $1")
            .bind(provider)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
