//! A database for a benchmark: a SQLite file in a temporary folder, or a
//! scratch PostgreSQL database (on `GUICHET_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`) dropped at the end. Migrated.

use guichet::server::db::{self, Db};

pub struct Scratch {
    pub db: Db,
    /// Not every benchmark needs it.
    #[allow(dead_code)]
    pub url: String,
    _dir: tempfile::TempDir,
    postgres: Option<(Db, String)>,
}

impl Scratch {
    /// `backend`: `postgres`, anything else is SQLite.
    pub async fn new(backend: &str) -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut postgres = None;
        let url = if backend == "postgres" {
            let admin_url = std::env::var("GUICHET_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let admin = Db::connect(&admin_url).await.expect("postgres");
            let name = format!("guichet_bench_{}", db::now_ms());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .expect("create db");
            let url = match admin_url.rfind('/') {
                Some(i) => format!("{}/{name}", &admin_url[..i]),
                None => admin_url.clone(),
            };
            postgres = Some((admin, name));
            url
        } else {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            )
        };
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        Scratch {
            db,
            url,
            _dir: dir,
            postgres,
        }
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.postgres {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin.pool)
                .await;
        }
    }
}

/// Serves the real router for `state` on a loopback port; answers its base URL.
#[allow(dead_code)] // Not every benchmark serves the router.
pub async fn serve(state: guichet::server::state::AppState) -> String {
    serve_app(guichet::server::http::router(state)).await
}

/// Serves `app` with the server's own loop on a loopback port; answers its
/// base URL.
#[allow(dead_code)] // Not every benchmark serves a router.
pub async fn serve_app(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(guichet::server::listen::serve_forever(listener, app));
    base
}

/// The `guichet_session=…` pair a sign-in answered.
#[allow(dead_code)] // Not every benchmark signs in.
pub fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("guichet_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// The `p` quantile (0 to 1) of sorted samples.
#[allow(dead_code)] // Not every benchmark reports quantiles.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// This process's resident memory, MiB.
#[allow(dead_code)] // Not every benchmark measures memory.
pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One figure for `scripts/bench.sh`'s report: `FIGURE <key> <value>`, on
/// its own line beside the readable output.
#[allow(dead_code)]
pub fn figure(key: &str, value: f64) {
    println!("FIGURE {key} {value:.3}");
}

/// Creates an account with its email confirmed; answers its id.
#[allow(dead_code)] // Not every benchmark creates accounts.
pub async fn account(
    db: &Db,
    email: &str,
    role: guichet::domain::lifecycle::Role,
    password_hash: &str,
) -> i64 {
    use guichet::server::db::users;
    let now = db::now_ms();
    let mut tx = db.begin().await.expect("tx");
    let id = users::create_in(&mut tx, email, role, Some(password_hash), now)
        .await
        .expect("user");
    users::mark_verified_in(&mut tx, id, now)
        .await
        .expect("verify");
    tx.commit().await.expect("commit");
    id
}
