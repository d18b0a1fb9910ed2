//! The one query layer, for SQLite and PostgreSQL alike.
//!
//! Every query is written once, in portable SQL with `$1, $2…` placeholders, and
//! runs through sqlx's `Any` driver on either backend; only the migrations differ
//! (one folder per backend under `migrations/`). Times are stored as integers
//! (milliseconds since the Unix epoch).

pub mod attachments;
pub mod directory;
pub mod gateways;
pub mod identities;
pub mod instruction;
pub mod links;
pub mod outbox;
pub mod rate;
pub mod renewals;
pub mod requests;
pub mod second_factor;
pub mod sessions;
pub mod spaces;
pub mod templates;
pub mod transfers;
pub mod updates;
pub mod usage;
pub mod users;

use crate::domain::RequestState;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// `('draft', 'changes_requested')`: a list of states for `state IN …`,
/// written from the lifecycle's own lists.
pub fn states_sql(states: &[RequestState]) -> String {
    let list: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", list.join(", "))
}

/// The states in which a request's data may change (`lifecycle::EDITABLE_STATES`).
pub static EDITABLE_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| states_sql(&crate::domain::lifecycle::EDITABLE_STATES));

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a caller waits for a connection before the database is declared
/// unavailable (answered with a 503, never a hang).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle for longer than this is checked (a round trip)
/// before it is lent. sqlx's default checks every connection at every
/// acquisition, and checks it again when it is given back: two extra round
/// trips per query, which made half the autosave's database work under load
/// (docs/BENCHMARKS.md, "Ten times the editors"). A connection given back
/// less than this ago was just checked by that return.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads, and the writes that are neither transactions nor frequent.
    pub pool: AnyPool,
    /// Every transaction (`Db::begin`) and the frequent small writes
    /// (autosaves, session records). On PostgreSQL, the same pool as `pool`.
    /// On SQLite, which lets one connection write at a time, a pool of one
    /// connection: writers wait their turn in it, in order and without
    /// sleeping, where on several connections they waited in SQLite's busy
    /// handler, which sleeps 1, 2, 5, 10… ms and made the slowest autosaves
    /// 20 to 90 ms at 2,000 editors (docs/BENCHMARKS.md, "Ten times the
    /// editors").
    pub writer: AnyPool,
    pub backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("adresse de base de données non prise en charge : {0}")]
    UnsupportedUrl(String),
    #[error("impossible de créer le dossier de données {path} : {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("base de données injoignable : {0}")]
    Unavailable(sqlx::Error),
    #[error("erreur de base de données : {0}")]
    Query(sqlx::Error),
    #[error("échec des migrations : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            DbError::Unavailable(err)
        } else {
            DbError::Query(err)
        }
    }
}

/// Errors that mean "the database cannot be reached right now", as opposed to
/// a bad query.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => match db.code() {
            // SQLite (decimal, maybe extended: the primary code is the low
            // byte): SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_CANTOPEN (14).
            Some(code) if code.len() < 5 && !code.starts_with('0') => code
                .parse::<u32>()
                .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 14)),
            // PostgreSQL: connection exceptions (08xxx), operator intervention
            // (57xxx: shutdown, cannot connect now), too many connections (53300).
            Some(code) => code.starts_with("08") || code.starts_with("57") || code == "53300",
            None => false,
        },
        _ => false,
    }
}

impl Db {
    /// Connects to `url`; for SQLite, creates the data directory and the file
    /// when missing and switches the file to WAL mode.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let (backend, options) = Self::options(url)?;
        let pool = options.clone().connect(url).await?;
        let writer = match backend {
            Backend::Sqlite => options.max_connections(1).connect(url).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    /// A pool that connects on first use (used to start even when the
    /// database is down, and in tests of that case).
    pub fn connect_lazy(url: &str) -> Result<Db, DbError> {
        let (backend, options) = Self::options(url)?;
        let pool = options.clone().connect_lazy(url)?;
        let writer = match backend {
            Backend::Sqlite => options.max_connections(1).connect_lazy(url)?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    /// Begins a transaction; the only way the application does.
    ///
    /// On SQLite it runs on the writer connection and takes the write lock
    /// first (`BEGIN IMMEDIATE`). A deferred transaction that reads, then
    /// writes after another connection committed, fails with
    /// `SQLITE_BUSY_SNAPSHOT`, which no busy handler retries; one that holds
    /// the lock from its start cannot. Keep other awaits (hashing, network)
    /// out of a transaction: on SQLite it holds the one writer.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            #[allow(clippy::disallowed_methods)]
            Backend::Postgres => self.pool.begin().await,
        }
    }

    fn options(url: &str) -> Result<(Backend, AnyPoolOptions), DbError> {
        install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| DbError::UnsupportedUrl(redact(url)))?;
        let mut options = AnyPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_CHECK_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            });
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_parent_dir(url) {
                std::fs::create_dir_all(&dir).map_err(|source| DbError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        Ok((backend, options))
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => {
                // On a connection of its own, closed after: a migration that
                // edits a table's definition in place leaves no connection
                // holding the old one.
                let mut conn = self.pool.acquire().await?.detach();
                SQLITE_MIGRATOR.run(&mut conn).await?;
                sqlx::Connection::close(conn).await?;
            }
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        let filled = requests::fill_search(self).await?;
        if filled > 0 {
            tracing::info!(filled, "search column filled");
        }
        let added = templates::seed(self, &templates::builtin(), now_ms()).await?;
        if added > 0 {
            tracing::info!(added, "modèles de demande ajoutés");
        }
        Ok(())
    }

    /// Closes both pools (one on PostgreSQL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// The directory holding a SQLite file, if the URL names a file.
fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

/// Removes a password from a URL before it is shown or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Milliseconds since the Unix epoch, the stored form of every time.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_parent_dir_is_found() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/guichet.db?mode=rwc"),
            Some("data".into())
        );
        assert_eq!(
            sqlite_parent_dir("sqlite:///srv/g/guichet.db"),
            Some("/srv/g".into())
        );
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
        assert_eq!(sqlite_parent_dir("sqlite://guichet.db"), None);
        assert_eq!(sqlite_parent_dir("postgres://x"), None);
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://h/db"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://user:secret@db:5432/g"),
            "postgres://user:***@db:5432/g"
        );
        assert_eq!(redact("postgres://user@db/g"), "postgres://user@db/g");
        assert_eq!(redact("sqlite://data/g.db"), "sqlite://data/g.db");
    }
}
