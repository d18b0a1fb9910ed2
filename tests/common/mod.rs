//! Test support: a real SQLite file and a fresh PostgreSQL database per test.
#![allow(dead_code)]

use guichet::server::config::Config;
use guichet::server::db::Db;
use guichet::server::directory::index::Index;
use guichet::server::directory::online::OnlineDirectory;
use guichet::server::http::router;
use guichet::server::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where PostgreSQL tests connect: `GUICHET_TEST_POSTGRES_URL`, by default the
/// CI machine's server (trust auth, database `test`).
pub fn postgres_admin_url() -> String {
    std::env::var("GUICHET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// PostgreSQL tests must run in CI: a missing server fails loudly there.
fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("GUICHET_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// One database under test.
pub struct TestDb {
    pub name: &'static str,
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("nested/guichet.db").display()
        );
        let db = Db::connect(&url).await.expect("sqlite connects");
        db.migrate().await.expect("sqlite migrations");
        TestDb {
            name: "sqlite",
            db,
            url,
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// A fresh database on the PostgreSQL server, or `None` (with a message)
    /// when no server answers outside CI.
    pub async fn postgres() -> Option<TestDb> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = postgres_admin_url();
        let admin = match Db::connect(&admin_url).await {
            Ok(db) => db,
            Err(e) => {
                if postgres_required() {
                    panic!("PostgreSQL requis (CI=true) mais injoignable sur {admin_url} : {e}");
                }
                eprintln!("PostgreSQL injoignable sur {admin_url} ({e}) : tests PostgreSQL sautés");
                return None;
            }
        };
        sweep_stale_databases(&admin).await;
        let name = format!(
            "guichet_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            guichet::server::db::now_ms()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin.pool)
            .await
            .expect("create test database");
        admin.pool.close().await;
        let url = replace_db_name(&admin_url, &name);
        let db = Db::connect(&url).await.expect("postgres connects");
        db.migrate().await.expect("postgres migrations");
        Some(TestDb {
            name: "postgres",
            db,
            url,
            _dir: None,
            pg_drop: Some((admin_url, name)),
        })
    }

    /// Every backend available: SQLite always, PostgreSQL when reachable.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite().await];
        v.extend(TestDb::postgres().await);
        v
    }

    /// Drops the PostgreSQL database (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        self.db.pool.close().await;
        if let Some((admin_url, name)) = self.pg_drop
            && let Ok(admin) = Db::connect(&admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin.pool)
                .await;
            admin.pool.close().await;
        }
    }
}

/// Drops test databases left by crashed or panicked runs (older than an hour),
/// once per test process.
async fn sweep_stale_databases(admin: &Db) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let names: Vec<(String,)> = sqlx::query_as(
                "SELECT datname FROM pg_database WHERE datname LIKE 'guichet\\_t\\_%'",
            )
            .fetch_all(&admin.pool)
            .await
            .unwrap_or_default();
            let cutoff = guichet::server::db::now_ms() - 3_600_000;
            for (name,) in names {
                let created = name
                    .rsplit('_')
                    .next()
                    .and_then(|t| t.parse::<i64>().ok())
                    .unwrap_or(0);
                if created < cutoff {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin.pool)
                        .await;
                }
            }
        })
        .await;
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The state of a test server on `db`: the project's Leptos.toml, no
/// online directory, http.
pub fn state(db: Db) -> AppState {
    AppState::new(project_config().leptos, db)
}

/// The real router on the given database, with the project's Leptos.toml.
pub fn app(db: Db) -> axum::Router {
    router(state(db))
}

/// The real router with the given directory index.
pub fn app_with_directory(db: Db, directory: Index) -> axum::Router {
    router(AppState {
        directory: Arc::new(directory),
        ..state(db)
    })
}

/// The real router with a directory index and an online directory.
pub fn app_with_online(db: Db, directory: Index, online: OnlineDirectory) -> axum::Router {
    router(AppState {
        directory: Arc::new(directory),
        online_directory: Some(online),
        ..state(db)
    })
}

/// The real router serving static files from `site_root`.
pub fn app_with_site_root(db: Db, site_root: &std::path::Path) -> axum::Router {
    let mut s = state(db);
    s.leptos_options.site_root = site_root.display().to_string().into();
    router(s)
}

fn project_config() -> Config {
    Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/Leptos.toml"
    )))
    .expect("Leptos.toml")
}

/// Requests carry the client address the server gets from its listener.
pub fn from_client(
    mut req: axum::http::Request<axum::body::Body>,
) -> axum::http::Request<axum::body::Body> {
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 1],
            40_000,
        ))));
    req
}

/// GETs `uri` from a client address and parses the JSON answer.
pub async fn get_json(
    router: axum::Router,
    uri: &str,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .expect("request");
    let res = router.oneshot(from_client(req)).await.expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, json)
}

/// The real router as served over https (HSTS on, Secure cookies).
pub fn app_https(db: Db) -> axum::Router {
    router(AppState {
        https: true,
        ..state(db)
    })
}
