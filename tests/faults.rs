//! Faults, scripted against the real `guichet` binary: a `kill -9` in the
//! middle of an autosave storm, SMTP down during an acceptance with a
//! restart in between, the database unavailable. On both backends.

use crate::common;

use common::process::{Server, sign_in_at};
use common::smtp::smtp_sink;
use common::{TestDb, create_account};
use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use serde_json::json;
use std::time::{Duration, Instant};

const PASSWORD: &str = "cheval agrafe batterie correcte";

/// The environment of a server on `t`, its files in `data`.
fn env_of<'a>(t: &'a TestDb, data: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("DATABASE_URL", t.url.as_str()),
        ("GUICHET_DATA_DIR", data),
        // Every editor signs in from 127.0.0.1.
        ("GUICHET_AUTH_PER_MINUTE", "10000"),
    ]
}

/// A database of each backend (PostgreSQL when it answers), each with a
/// folder for the server's files.
fn both(rt: &tokio::runtime::Runtime) -> Vec<(TestDb, tempfile::TempDir)> {
    let mut dbs = vec![rt.block_on(TestDb::sqlite())];
    dbs.extend(rt.block_on(TestDb::postgres()));
    dbs.into_iter()
        .map(|t| (t, tempfile::tempdir().expect("tmp")))
        .collect()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// What editor `k` has typed by its `i`-th save.
fn typed(k: usize, i: u32) -> RequestData {
    let mut d = RequestData::example();
    d.context.title = format!("Éditeur {k}, frappe {i}");
    d.context.description = format!("{} {i}", d.context.description);
    d
}

/// One browser tab autosaving: what the server acknowledged, and the save
/// in flight when the answers stopped (kept in the browser's buffer).
#[derive(Debug, Clone)]
struct Editor {
    k: usize,
    cookie: String,
    id: i64,
    /// Version of the last acknowledged save, and which keystroke it held.
    version: i64,
    acked: u32,
    /// The save sent and not answered: its keystroke.
    pending: Option<u32>,
}

async fn send_save(
    http: &reqwest::Client,
    base: &str,
    e: &Editor,
    i: u32,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let body = json!({
        "id": e.id, "version": e.version,
        "save_id": format!("editeur-{}-{i}", e.k), "data": typed(e.k, i),
    });
    let res = http
        .post(format!("{base}/api/requests/save"))
        .header("origin", base)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("cookie", &e.cookie)
        .body(body.to_string())
        .send()
        .await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    ))
}

/// Saves keystroke after keystroke until the server stops answering.
async fn storm(http: reqwest::Client, base: String, mut e: Editor) -> Editor {
    let mut i = e.acked;
    loop {
        i += 1;
        e.pending = Some(i);
        match send_save(&http, &base, &e, i).await {
            Ok((200, json)) => {
                e.version = json["version"].as_i64().expect("version");
                e.acked = i;
                e.pending = None;
            }
            Ok((status, json)) => panic!("editor {}: save answered {status}: {json}", e.k),
            Err(_) => return e,
        }
    }
}

async fn stored(t: &TestDb, id: i64) -> (i64, String) {
    let (version, data): (i64, String) =
        sqlx::query_as("SELECT version, data FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .expect("row");
    let data: RequestData = serde_json::from_str(&data).expect("stored data");
    (version, data.context.title)
}

#[test]
fn kill_9_in_an_autosave_storm_loses_no_acknowledged_save() {
    const EDITORS: usize = 50;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (t, data) in both(&rt) {
        let data_dir = data.path().to_str().expect("utf-8");
        let env = env_of(&t, data_dir);
        let server = Server::start(&env);
        let base = server.base();
        let http = client();
        let editors: Vec<Editor> = rt.block_on(async {
            let mut editors = Vec::new();
            for k in 0..EDITORS {
                let email = format!("editeur{k}@mairie-{k}.fr");
                create_account(&t.db, &email, PASSWORD, Role::Applicant).await;
                let cookie = sign_in_at(&http, &base, &email, PASSWORD).await;
                let (status, id) =
                    post_json_at(&http, &base, "/api/requests/create", &cookie, json!({})).await;
                assert_eq!(status, 200, "{}: {id}", t.name);
                let id = id.as_i64().expect("id");
                editors.push(Editor {
                    k,
                    cookie,
                    id,
                    version: 1,
                    acked: 0,
                    pending: None,
                });
            }
            editors
        });

        // The storm, and a SIGKILL in its middle.
        let tasks: Vec<_> = editors
            .into_iter()
            .map(|e| rt.spawn(storm(http.clone(), base.clone(), e)))
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        server.kill_9();
        let editors: Vec<Editor> = rt.block_on(async {
            let mut out = Vec::new();
            for task in tasks {
                out.push(task.await.expect("editor task"));
            }
            out
        });
        let acknowledged: u32 = editors.iter().map(|e| e.acked).sum();
        let in_flight = editors.iter().filter(|e| e.pending.is_some()).count();
        eprintln!(
            "{}: {acknowledged} saves acknowledged by {EDITORS} editors, {in_flight} in flight at the kill",
            t.name
        );
        assert!(
            acknowledged >= EDITORS as u32,
            "{}: the storm saved",
            t.name
        );

        // Restarted on the same database: every acknowledged save is there;
        // a save in flight is there whole or not at all.
        let server = Server::start(&env);
        let base = server.base();
        rt.block_on(async {
            let mut committed_unanswered = 0;
            for e in &editors {
                let (version, title) = stored(&t, e.id).await;
                let acked = typed(e.k, e.acked).context.title;
                match (version - e.version, e.pending) {
                    (0, _) => assert!(
                        e.acked == 0 || title == acked,
                        "{}: editor {} lost its save: {title}",
                        t.name,
                        e.k
                    ),
                    (1, Some(p)) => {
                        committed_unanswered += 1;
                        assert_eq!(title, typed(e.k, p).context.title, "{}", t.name);
                    }
                    (d, p) => panic!(
                        "{}: editor {}: version {version}, acknowledged {} ({d}), pending {p:?}",
                        t.name, e.k, e.version
                    ),
                }
            }
            eprintln!(
                "{}: after restart, {committed_unanswered} saves committed but not answered",
                t.name
            );
            // Each browser re-sends its buffer (the same save, same id), then
            // types on: both are accepted, nothing conflicts.
            for mut e in editors {
                let next = match e.pending {
                    Some(p) => {
                        let (status, json) = send_save(&http, &base, &e, p).await.expect("resend");
                        assert_eq!(status, 200, "{}: editor {} resend: {json}", t.name, e.k);
                        e.version = json["version"].as_i64().expect("version");
                        p + 1
                    }
                    None => e.acked + 1,
                };
                let (status, json) = send_save(&http, &base, &e, next).await.expect("save");
                assert_eq!(
                    status, 200,
                    "{}: editor {} after restart: {json}",
                    t.name, e.k
                );
                let (version, title) = stored(&t, e.id).await;
                assert_eq!(version, json["version"].as_i64().expect("version"));
                assert_eq!(title, typed(e.k, next).context.title);
            }
        });
        assert!(server.stop().success());
        rt.block_on(t.cleanup());
    }
}

#[test]
fn smtp_down_during_acceptance_sends_each_email_once_after_a_restart() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (t, data) in both(&rt) {
        let data_dir = data.path().to_str().expect("utf-8");
        // Nothing listens on the SMTP port yet.
        let smtp_port = common::process::free_port();
        let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
        let mut env = env_of(&t, data_dir);
        env.push(("SMTP_URL", smtp_url.as_str()));
        let w = rt.block_on(common::world::world(&t));
        let (id, version) = rt.block_on(common::world::submitted_with(&w, &RequestData::example()));
        let server = Server::start(&env);
        let base = server.base();
        let http = client();
        rt.block_on(async {
            let instructor = sign_in_at(&http, &base, "instructeur@beta.gouv.fr", PASSWORD).await;
            let res = http
                .post(format!("{base}/api/instruction/accept"))
                .header("origin", &base)
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .header("cookie", &instructor)
                .body(
                    json!({ "id": id, "version": version,
                        "scopes": ["unites_legales_etablissements_insee"], "message": "" })
                    .to_string(),
                )
                .send()
                .await
                .expect("accept");
            assert_eq!(res.status(), 200, "{}: the acceptance succeeds", t.name);
            let state: (String,) = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
                .bind(id)
                .fetch_one(&t.db.pool)
                .await
                .expect("state");
            assert_eq!(state.0, "accepted");
            // The worker tries (every 2 s) and fails: nothing is lost.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let (failed,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM email_outbox WHERE kind = 'request_accepted' \
                     AND sent_at IS NULL AND attempts > 0",
                )
                .fetch_one(&t.db.pool)
                .await
                .expect("outbox");
                if failed > 0 {
                    break;
                }
                assert!(Instant::now() < deadline, "{}: no delivery attempt", t.name);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        // A restart in between (a crash), then SMTP back.
        server.kill_9();
        let (received, total) = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", smtp_port))
                .await
                .expect("smtp port");
            let received = smtp_sink(listener).await;
            let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM email_outbox")
                .fetch_one(&t.db.pool)
                .await
                .expect("outbox");
            (received, total)
        });
        let server = Server::start(&env);
        rt.block_on(async {
            // The first retry waits out the backoff (30 s after one failure).
            let deadline = Instant::now() + Duration::from_secs(90);
            loop {
                let (unsent,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL")
                        .fetch_one(&t.db.pool)
                        .await
                        .expect("outbox");
                if unsent == 0 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: {unsent} emails still unsent",
                    t.name
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            // Two more worker rounds: nothing goes twice.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let got = received.lock().expect("sink").clone();
            assert_eq!(got.len() as i64, total, "{}: each email once", t.name);
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT kind, to_address, attempts FROM email_outbox ORDER BY id")
                    .fetch_all(&t.db.pool)
                    .await
                    .expect("outbox");
            for (kind, to, attempts) in &rows {
                let header = format!("To: {to}");
                let sent_to = rows.iter().filter(|(_, t, _)| t == to).count();
                let got_to = got
                    .iter()
                    .filter(|m| m.lines().any(|l| l == header))
                    .count();
                assert_eq!(got_to, sent_to, "{}: {kind} to {to}", t.name);
                if kind == "request_accepted" {
                    assert_eq!(*attempts, 2, "{}: failed once, then sent", t.name);
                }
            }
            assert!(
                rows.iter()
                    .any(|(k, to, _)| k == "request_accepted" && to == "alice@occitanie.fr"),
                "{}: {rows:?}",
                t.name
            );
        });
        assert!(server.stop().success());
        rt.block_on(t.cleanup());
    }
}

/// A token of `limit` calls a minute, written in the database, and its JWT
/// signed with the keys in `keys_dir` (the servers load the same folder).
async fn token_with_limit(t: &TestDb, keys_dir: &std::path::Path, limit: i64) -> String {
    let now = guichet::server::db::now_ms();
    for sql in [
        "INSERT INTO users (email, role, created_at, updated_at) \
         VALUES ('demandeur@occitanie.fr', 'applicant', 0, 0)",
        "INSERT INTO client_spaces (siret, name, created_at) \
         VALUES ('13002737600016', 'Région Occitanie', 0)",
    ] {
        sqlx::query(sql).execute(&t.db.pool).await.expect("row");
    }
    sqlx::query(
        "INSERT INTO requests (id, state, applicant_id, title, data, version, created_at, \
         updated_at, submitted_at) VALUES (1, 'accepted', 1, 'Marchés publics', '{}', 1, $1, $1, $1)",
    )
    .bind(now)
    .execute(&t.db.pool)
    .await
    .expect("request");
    let id = "00000000-0000-4000-8000-000000000001";
    sqlx::query(
        "INSERT INTO tokens (id, space_id, request_id, name, scopes, issued_at, expires_at, \
         rate_limit_per_minute) VALUES ($1, 1, 1, 'Marchés publics', \
         '[\"unites_legales_etablissements_insee\"]', $2, $3, $4)",
    )
    .bind(id)
    .bind(now)
    .bind(now + 86_400_000)
    .bind(limit)
    .execute(&t.db.pool)
    .await
    .expect("token");
    sqlx::query("INSERT INTO token_strings (jti, token_id, issued_at) VALUES ($1, $1, $2)")
        .bind(id)
        .bind(now)
        .execute(&t.db.pool)
        .await
        .expect("its string");
    let row = guichet::server::db::spaces::token(&t.db, id)
        .await
        .expect("db")
        .expect("row");
    let keys = guichet::server::tokens::Keys::load_or_create(keys_dir).expect("keys");
    keys.mint(&guichet::server::tokens::Claims::of(&row))
        .expect("mint")
}

#[test]
fn two_instances_on_postgres_share_the_rate_limits() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let Some(t) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let data = tempfile::tempdir().expect("tmp");
    let keys_dir = data.path().join("cles");
    const LIMIT: i64 = 250;
    let jwt = rt.block_on(token_with_limit(&t, &keys_dir, LIMIT));
    let env = [
        ("DATABASE_URL", t.url.as_str()),
        ("GUICHET_DATA_DIR", data.path().to_str().expect("utf-8")),
        ("GUICHET_AUTH_PER_MINUTE", "10"),
        ("GUICHET_JWT_KEYS_DIR", keys_dir.to_str().expect("utf-8")),
    ];
    let one = Server::start(&env);
    let two = Server::start(&env);
    let http = client();
    rt.block_on(async {
        // Not across a minute's end: the windows are whole minutes.
        let left = guichet::server::db::rate::seconds_left(guichet::server::db::now_ms());
        if left < 20 {
            tokio::time::sleep(Duration::from_secs(left)).await;
        }
        // Calls alternate between the two instances: together they get the
        // token's limit, not twice it.
        let path = "/v4/insee/sirene/unites_legales/418166096\
                    ?context=x&object=y&recipient=13002737600016";
        let (mut granted, mut refused) = (0, 0);
        for n in 0..(LIMIT + 30) {
            let base = if n % 2 == 0 { one.base() } else { two.base() };
            let res = http
                .get(format!("{base}{path}"))
                .bearer_auth(&jwt)
                .send()
                .await
                .expect("call");
            match res.status().as_u16() {
                200 | 404 => granted += 1,
                429 => {
                    refused += 1;
                    assert!(res.headers().contains_key("retry-after"));
                    let body: serde_json::Value =
                        serde_json::from_str(&res.text().await.expect("text")).expect("json");
                    assert_eq!(body["errors"][0]["code"], "00429");
                }
                s => panic!("call {n}: {s}"),
            }
        }
        assert_eq!((granted, refused), (LIMIT, 30));

        // Sign-in attempts: 10 a minute per address, across both instances
        // (a new account each time: the per-account lock is another test's).
        let mut statuses = Vec::new();
        for n in 0..12 {
            let base = if n % 2 == 0 { one.base() } else { two.base() };
            let email = format!("personne{n}@ville.fr");
            let res = http
                .post(format!("{base}/api/auth/login"))
                .header("origin", &base)
                .header("accept", "application/json")
                .form(&[("email", email.as_str()), ("password", "mauvais")])
                .send()
                .await
                .expect("login");
            statuses.push(res.status().as_u16());
        }
        assert_eq!(&statuses[..10], &[401; 10]);
        assert_eq!(&statuses[10..], &[429, 429]);
    });
    assert!(one.stop().success());
    assert!(two.stop().success());
    rt.block_on(t.cleanup());
}

/// A TCP relay in front of PostgreSQL that can be cut (every connection
/// dropped, new ones refused) and restored on the same port: the database
/// "stopped" for the server behind it only, not for the other tests.
struct Relay {
    port: u16,
    upstream: String,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let relay = Relay {
            port: common::process::free_port(),
            upstream,
            tasks: Default::default(),
        };
        relay.restore().await;
        relay
    }

    async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("relay port");
        let upstream = self.upstream.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                if let Ok(mut t) = tasks.lock() {
                    t.push(conn);
                }
            }
        });
        if let Ok(mut t) = self.tasks.lock() {
            t.push(accept);
        }
    }

    fn cut(&self) {
        if let Ok(mut t) = self.tasks.lock() {
            for task in t.drain(..) {
                task.abort();
            }
        }
    }
}

/// POST of a JSON body with the session `cookie`; (status, JSON).
async fn post_json_at(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = http
        .post(format!("{base}{path}"))
        .header("origin", base)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(body.to_string())
        .send()
        .await
        .expect("answer");
    let status = res.status().as_u16();
    let text = res.text().await.expect("text");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

async fn get_page(http: &reqwest::Client, base: &str, path: &str, cookie: &str) -> (u16, String) {
    let res = http
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("page");
    let status = res.status().as_u16();
    (status, res.text().await.expect("text"))
}

/// The database down for the server: PostgreSQL behind a cut relay, or the
/// SQLite file locked by another process's write transaction.
#[test]
fn database_unavailable_is_a_french_503_and_the_save_goes_through_after() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (t, data) in both(&rt) {
        let data_dir = data.path().to_str().expect("utf-8");
        let relay = (t.name == "postgres").then(|| {
            let mut url = reqwest::Url::parse(&t.url).expect("url");
            let upstream = format!(
                "{}:{}",
                url.host_str().unwrap_or("127.0.0.1"),
                url.port().unwrap_or(5432)
            );
            let relay = rt.block_on(Relay::start(upstream));
            url.set_port(Some(relay.port)).expect("port");
            (relay, url.to_string())
        });
        let url = relay.as_ref().map_or(t.url.clone(), |(_, u)| u.clone());
        let env = [
            ("DATABASE_URL", url.as_str()),
            ("GUICHET_DATA_DIR", data_dir),
        ];
        rt.block_on(create_account(
            &t.db,
            "alice@occitanie.fr",
            PASSWORD,
            Role::Applicant,
        ));
        let server = Server::start(&env);
        let base = server.base();
        let http = client();
        rt.block_on(async {
            let alice = sign_in_at(&http, &base, "alice@occitanie.fr", PASSWORD).await;
            let (status, id) =
                post_json_at(&http, &base, "/api/requests/create", &alice, json!({})).await;
            assert_eq!(status, 200, "{}: {id}", t.name);
            let id = id.as_i64().expect("id");
            let save = |save_id: &str, version: i64, title: &str| {
                let mut data = RequestData::example();
                data.context.title = title.to_owned();
                json!({ "id": id, "version": version, "save_id": save_id, "data": data })
            };
            let (status, _) = post_json_at(
                &http,
                &base,
                "/api/requests/save",
                &alice,
                save("avant", 1, "Avant la panne"),
            )
            .await;
            assert_eq!(status, 200, "{}", t.name);

            // The outage.
            let mut lock = None;
            match &relay {
                Some((relay, _)) => relay.cut(),
                None => {
                    use sqlx::Connection;
                    let mut conn = sqlx::SqliteConnection::connect(&t.url)
                        .await
                        .expect("second connection");
                    sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut conn)
                        .await
                        .expect("write lock");
                    lock = Some(conn);
                }
            }
            // The save typed during the outage, as the browser sends it (and
            // sends it again, with the same id, until it goes through).
            let during = || {
                post_json_at(
                    &http,
                    &base,
                    "/api/requests/save",
                    &alice,
                    save("pendant", 2, "Pendant la panne"),
                )
            };
            let started = Instant::now();
            let (status, err) = during().await;
            eprintln!(
                "{}: save refused after {} ms",
                t.name,
                started.elapsed().as_millis()
            );
            assert_eq!(status, 503, "{}: {err}", t.name);
            assert_eq!(err["code"], "database_unavailable", "{}", t.name);
            let message = err["message"].as_str().unwrap_or_default();
            assert!(message.contains("momentanément indisponible"), "{message}");
            // Pages: readable on SQLite (only writes wait for the lock), a
            // French 503 page when PostgreSQL is gone.
            let (status, page) = get_page(&http, &base, &format!("/demandes/{id}"), &alice).await;
            if relay.is_some() {
                assert_eq!(status, 503, "{}: {page}", t.name);
                assert!(page.contains("indisponible"), "{page}");
                assert!(page.contains("lang=\"fr\""), "{page}");
                let (status, _) = get_page(&http, &base, "/healthz", &alice).await;
                assert_eq!(status, 503);
            } else {
                assert_eq!(status, 200, "{}: {page}", t.name);
                assert!(page.contains("Avant la panne"), "{page}");
            }

            // Back: the browser sends the same save again, it goes through.
            match &relay {
                Some((relay, _)) => relay.restore().await,
                None => {
                    if let Some(mut conn) = lock.take() {
                        sqlx::query("ROLLBACK")
                            .execute(&mut conn)
                            .await
                            .expect("unlock");
                    }
                }
            }
            let deadline = Instant::now() + Duration::from_secs(15);
            let saved = loop {
                let (status, saved) = during().await;
                if status == 200 || Instant::now() > deadline {
                    assert_eq!(status, 200, "{}: {saved}", t.name);
                    break saved;
                }
                assert_eq!(status, 503, "{}: {saved}", t.name);
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            assert_eq!(saved["version"], 3);
            let (version, title) = stored(&t, id).await;
            assert_eq!((version, title.as_str()), (3, "Pendant la panne"));
        });
        assert!(server.stop().success());
        rt.block_on(t.cleanup());
    }
}
