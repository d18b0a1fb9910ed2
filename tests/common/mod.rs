//! Test support: a real SQLite file and a fresh PostgreSQL database per test.
#![allow(dead_code)]

pub mod oidc;
pub mod process;
pub mod smtp;
pub mod world;

use guichet::server::config::Config;
use guichet::server::db::Db;
use guichet::server::directory::index::Index;
use guichet::server::directory::online::OnlineDirectory;
use guichet::server::http::router;
use guichet::server::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// How every token string Guichet mints begins: the base64url of its header
/// `{"typ":"JWT",…`. Long enough that a random nonce or id never holds it by
/// chance (three letters, `eyJ`, once appeared in a CSP nonce).
pub const JWT_PREFIX: &str = "eyJ0eXAiOiJKV1Qi";

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
        admin.close().await;
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
        self.db.close().await;
        if let Some((admin_url, name)) = self.pg_drop
            && let Ok(admin) = Db::connect(&admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin.pool)
                .await;
            admin.close().await;
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
    let mut state = state(db);
    state.directory = Arc::new(directory);
    router(state)
}

/// The real router with a directory index and an online directory.
pub fn app_with_online(db: Db, directory: Index, online: OnlineDirectory) -> axum::Router {
    let mut state = state(db);
    state.directory = Arc::new(directory);
    state.online_directory = Some(online);
    router(state)
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
    let mut state = state(db);
    state.https = true;
    router(state)
}

/// An answer to a POST: status, JSON body (Null when not JSON) and the
/// session cookie set, if any (`None` also when cleared).
pub struct Answer {
    pub status: axum::http::StatusCode,
    pub json: serde_json::Value,
    pub set_cookie: Option<String>,
    pub headers: axum::http::HeaderMap,
}

impl Answer {
    /// The `code` of a JSON error answer.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
}

/// POSTs a form to a server function from this site, with `cookie` (the
/// `guichet_session=…` pair) and from the client address `ip`.
pub async fn post_form_from(
    router: &axum::Router,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    ip: [u8; 4],
) -> Answer {
    let body = serde_urlencoded_like(form);
    let req = same_site_post(path, "application/x-www-form-urlencoded", cookie);
    send(
        router,
        req.body(axum::body::Body::from(body)).expect("request"),
        ip,
    )
    .await
}

/// A POST from this site's own pages, with the session `cookie` if any, as
/// a browser sends it: offering compression (answers are read decompressed).
fn same_site_post(
    path: &str,
    content_type: &str,
    cookie: Option<&str>,
) -> axum::http::request::Builder {
    let req = axum::http::Request::post(path)
        .header("host", "guichet.test")
        .header("origin", "http://guichet.test")
        .header("content-type", content_type)
        .header("accept", "application/json")
        .header("accept-encoding", BROWSER_ENCODINGS);
    match cookie {
        Some(c) => req.header("cookie", c),
        None => req,
    }
}

/// Sends a request from the client address `ip` and collects the answer.
async fn send(
    router: &axum::Router,
    mut req: axum::http::Request<axum::body::Body>,
    ip: [u8; 4],
) -> Answer {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40_000,
        ))));
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let set_cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("guichet_session="))
        .map(str::to_owned);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let bytes = decoded(&headers, &bytes);
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        json,
        set_cookie,
        headers,
    }
}

/// A body as the browser reads it: decompressed by its `Content-Encoding`.
pub fn decoded(headers: &axum::http::HeaderMap, bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
    {
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("gzip body");
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .expect("brotli body");
        }
        Some(other) => panic!("unexpected content encoding {other}"),
        None => out.extend_from_slice(bytes),
    }
    out
}

/// What every browser offers: every request of these helpers says so.
pub const BROWSER_ENCODINGS: &str = "gzip, br";

/// `post_bytes` as a script sends it: no compression offered.
pub async fn post_bytes_uncompressed(
    router: &axum::Router,
    path: &str,
    content_type: &str,
    bytes: Vec<u8>,
    cookie: Option<&str>,
) -> Answer {
    let mut req = same_site_post(path, content_type, cookie)
        .body(axum::body::Body::from(bytes))
        .expect("request");
    req.headers_mut().remove("accept-encoding");
    send(router, req, [192, 0, 2, 1]).await
}

/// POSTs a JSON body to a server function (those declared `input = Json`).
pub async fn post_json(
    router: &axum::Router,
    path: &str,
    body: &serde_json::Value,
    cookie: Option<&str>,
) -> Answer {
    let req = same_site_post(path, "application/json", cookie);
    send(
        router,
        req.body(axum::body::Body::from(body.to_string()))
            .expect("request"),
        [192, 0, 2, 1],
    )
    .await
}

/// An empty form POST with extra `headers`, from the peer address `ip`.
pub async fn post_form_with(
    router: &axum::Router,
    path: &str,
    headers: &[(&str, &str)],
    ip: [u8; 4],
) -> Answer {
    let mut req = same_site_post(path, "application/x-www-form-urlencoded", None);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(
        router,
        req.body(axum::body::Body::empty()).expect("request"),
        ip,
    )
    .await
}

/// `post_form_from` from the default client address.
pub async fn post_form(
    router: &axum::Router,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> Answer {
    post_form_from(router, path, form, cookie, [192, 0, 2, 1]).await
}

/// The `name=value` pair of a `Set-Cookie` header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or("").trim().to_owned()
}

fn serde_urlencoded_like(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Creates a confirmed account with a password, straight in the database.
pub async fn create_account(
    db: &Db,
    email: &str,
    password: &str,
    role: guichet::domain::lifecycle::Role,
) -> i64 {
    let hash = guichet::server::auth::password::hash(password).expect("hash");
    let now = guichet::server::db::now_ms();
    let mut tx = db.begin().await.expect("tx");
    let id = guichet::server::db::users::create_in(&mut tx, email, role, Some(&hash), now)
        .await
        .expect("user");
    sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .expect("verify");
    if role != guichet::domain::lifecycle::Role::Applicant {
        // Staff have their authenticator app set up, with the secret
        // `totp_secret(email)`.
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, created_at, confirmed_at) \
             VALUES ($1, $2, $3, $3)",
        )
        .bind(id)
        .bind(totp_secret(email))
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("second factor");
    }
    tx.commit().await.expect("commit");
    id
}

/// The authenticator app's secret (base32) of a staff account made by
/// `create_account`.
pub fn totp_secret(email: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("guichet-test:{email}").as_bytes());
    match totp_rs::Secret::Raw(digest[..20].to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => unreachable!("encoded"),
    }
}

/// The code an authenticator app with `secret` (base32, spaces allowed)
/// shows at time step `step` (30 s since the epoch).
pub fn totp_code(secret: &str, step: i64) -> String {
    guichet::server::auth::second_factor::code_at(secret, step).expect("code")
}

/// The current time step of the codes.
pub fn totp_step() -> i64 {
    guichet::server::db::now_ms() / 30_000
}

/// The second step of a staff sign-in, through the real endpoints: the
/// app's setup (first sign-in: its secret read from the setup page's data)
/// or its code (the secret of `create_account`). A code already used is
/// refused: the next step's code is tried, then the next step awaited.
/// Answers the session cookie of the completed sign-in.
pub async fn second_factor(
    post: impl AsyncFn(&str, &[(&str, &str)], &str) -> (u16, serde_json::Value, Option<String>),
    target: &str,
    email: &str,
    cookie: &str,
) -> String {
    if target.starts_with(guichet::paths::SECOND_FACTOR_SETUP) {
        let (status, json, _) = post("/api/auth/second_factor_setup", &[], cookie).await;
        assert_eq!(status, 200, "setup of {email}: {json}");
        let secret = json["secret"].as_str().expect("secret").to_owned();
        let code = totp_code(&secret, totp_step());
        let (status, json, set) = post(
            "/api/auth/activate_second_factor",
            &[("code", &code)],
            cookie,
        )
        .await;
        assert_eq!(status, 200, "activation of {email}: {json}");
        return set.expect("session cookie");
    }
    assert!(
        target.starts_with(guichet::paths::SECOND_FACTOR),
        "{target}"
    );
    let secret = totp_secret(email);
    for _ in 0..3 {
        for delta in [0, 1] {
            let code = totp_code(&secret, totp_step() + delta);
            let (status, json, set) =
                post("/api/auth/verify_second_factor", &[("code", &code)], cookie).await;
            if status == 200 {
                return set.expect("session cookie");
            }
            assert_eq!(json["field"], "code", "second factor of {email}: {json}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(
            30_000 - (guichet::server::db::now_ms() % 30_000) as u64 + 50,
        ))
        .await;
    }
    panic!("no code accepted for {email}");
}

/// Signs in through the real endpoint (with the second factor for staff);
/// answers the session cookie pair.
pub async fn sign_in(router: &axum::Router, email: &str, password: &str, ip: [u8; 4]) -> String {
    let a = post_form_from(
        router,
        "/api/auth/login",
        &[("email", email), ("password", password)],
        None,
        ip,
    )
    .await;
    assert_eq!(a.status, 200, "login {email}: {}", a.json);
    let cookie = cookie_pair(a.set_cookie.as_deref().expect("session cookie"));
    let target = a.json.as_str().unwrap_or_default().to_owned();
    if !target.starts_with(guichet::paths::SIGN_IN) {
        return cookie;
    }
    second_factor_on(router, &target, email, &cookie, ip).await
}

/// `second_factor` through the router, from the client address `ip`.
pub async fn second_factor_on(
    router: &axum::Router,
    target: &str,
    email: &str,
    cookie: &str,
    ip: [u8; 4],
) -> String {
    let post = async |path: &str, form: &[(&str, &str)], cookie: &str| {
        let a = post_form_from(router, path, form, Some(cookie), ip).await;
        (
            a.status.as_u16(),
            a.json,
            a.set_cookie.as_deref().map(cookie_pair),
        )
    };
    second_factor(post, target, email, cookie).await
}

/// The one-time token in the last email of `kind` sent to `to`.
pub async fn last_token(db: &Db, kind: &str, to: &str) -> String {
    let (body,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE kind = $1 AND to_address = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(to)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("no {kind} email to {to}: {e}"));
    let start = body.find("jeton=").expect("link with a token") + "jeton=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The emails of the outbox: (kind, to).
pub async fn outbox(db: &Db) -> Vec<(String, String)> {
    sqlx::query_as("SELECT kind, to_address FROM email_outbox ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("outbox")
}

/// The emails of this kind, oldest first: (to, text body).
pub async fn mails_of(db: &Db, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT to_address, body_text FROM email_outbox WHERE kind = $1 ORDER BY id")
        .bind(kind)
        .fetch_all(&db.pool)
        .await
        .expect("mails")
}

/// Who the session cookie belongs to (`None`: anonymous).
pub async fn whoami(router: &axum::Router, cookie: Option<&str>) -> Option<String> {
    let a = post_form(router, "/api/auth/whoami", &[], cookie).await;
    assert_eq!(a.status, 200, "whoami: {}", a.json);
    a.json["email"].as_str().map(str::to_owned)
}

/// POSTs raw bytes (an uploaded file) from this site's pages.
pub async fn post_bytes(
    router: &axum::Router,
    path: &str,
    content_type: &str,
    bytes: Vec<u8>,
    cookie: Option<&str>,
) -> Answer {
    let req = same_site_post(path, content_type, cookie);
    send(
        router,
        req.body(axum::body::Body::from(bytes)).expect("request"),
        [192, 0, 2, 1],
    )
    .await
}

/// GETs `path` with the session `cookie`: status, headers and raw body.
pub async fn get_raw(
    router: &axum::Router,
    path: &str,
    cookie: Option<&str>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::get(path)
        .header("host", "guichet.test")
        .header("accept-encoding", BROWSER_ENCODINGS);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let req = from_client(req.body(axum::body::Body::empty()).expect("request"));
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers.clone(), decoded(&headers, &bytes))
}
