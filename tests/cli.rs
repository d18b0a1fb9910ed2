//! Runs the real `guichet` binary: `migrate` and `serve` on SQLite and
//! PostgreSQL, configuration errors, graceful shutdown.

use crate::common;

use common::process::{Server, guichet, http_get, sign_in_at};
use common::{TestDb, app, sign_in};
use std::process::Output;
use std::time::{Duration, Instant};

#[test]
fn migrate_creates_the_sqlite_file_in_the_data_dir() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("donnees");
    let data_str = data.to_str().expect("utf-8 path");
    for _ in 0..2 {
        let out = run(&["migrate"], &[("GUICHET_DATA_DIR", data_str)]);
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Migrations appliquées"));
    }
    assert!(data.join("guichet.db").is_file());
}

#[test]
fn bad_database_url_is_a_clear_french_error() {
    let out = run(
        &["migrate"],
        &[("DATABASE_URL", "mysql://localhost/guichet")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DATABASE_URL doit commencer par"), "{err}");
}

#[test]
fn unreachable_database_fails_the_start_without_leaking_the_password() {
    let out = run(
        &["migrate"],
        &[(
            "DATABASE_URL",
            "postgres://guichet:motdepasse@127.0.0.1:1/guichet",
        )],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("connexion à la base"), "{err}");
    assert!(!err.contains("motdepasse"), "password leaked: {err}");
}

#[test]
fn missing_config_file_is_reported() {
    let out = std::process::Command::new(common::process::BIN)
        .args(["--config", "/nonexistent/Leptos.toml", "migrate"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fichier de configuration"));
}

#[test]
fn serve_on_sqlite_answers_and_stops_gracefully() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_str().expect("utf-8 path");
    let server = Server::start(&[("GUICHET_DATA_DIR", data)]);
    let (status, body) = http_get(server.port, "/healthz").expect("healthz");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(server.port, "/").expect("home");
    assert_eq!(status, 200);
    assert!(body.contains("Accéder à API Entreprise"));
    let (status, _) = http_get(server.port, "/pas-de-page-ici").expect("404");
    assert_eq!(status, 404);
    // The directory endpoints get the client address from the listener.
    let (status, body) = http_get(server.port, "/api/organisations/1234").expect("directory");
    assert_eq!(status, 422, "{body}");
    assert!(server.stop().success(), "SIGTERM ends serve cleanly");
    assert!(dir.path().join("guichet.db").is_file());
}

#[test]
fn serve_on_postgres_with_the_same_binary() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let Some(t) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let server = Server::start(&[("DATABASE_URL", t.url.as_str())]);
    let (status, body) = http_get(server.port, "/healthz").expect("healthz");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(server.port, "/").expect("home");
    assert_eq!(status, 200);
    assert!(body.contains("Les demandes en chiffres"));
    assert!(server.stop().success());
    rt.block_on(t.cleanup());
}

#[test]
fn directory_import_reads_the_package_data() {
    let data = tempfile::tempdir().expect("tmp");
    std::fs::write(
        data.path().join("communes.json"),
        r#"[{"code":"77284","nom":"Meaux","type":"commune-actuelle","siren":"217702844"}]"#,
    )
    .expect("write");
    std::fs::write(data.path().join("epci.json"), "[]").expect("write");
    let db_dir = tempfile::tempdir().expect("tmp");
    let out = run(
        &[
            "directory",
            "import",
            "--from",
            data.path().to_str().expect("utf-8"),
        ],
        &[("GUICHET_DATA_DIR", db_dir.path().to_str().expect("utf-8"))],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Annuaire importé : 1 organismes publics")
    );

    let out = run(
        &["directory", "import", "--from", "/nonexistent"],
        &[("GUICHET_DATA_DIR", db_dir.path().to_str().expect("utf-8"))],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fichier de l’annuaire illisible"));
}

#[tokio::test]
async fn admin_create_instructor_prints_a_one_time_link() {
    for t in TestDb::all().await {
        let out = run(
            &[
                "admin",
                "create-instructor",
                "--email",
                "Instructeur@Beta.Gouv.fr",
            ],
            &[
                ("DATABASE_URL", &t.url),
                ("GUICHET_PUBLIC_URL", "https://guichet.example"),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {stdout} {}",
            t.name,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("instructeur@beta.gouv.fr"), "{stdout}");
        let link = stdout
            .split_whitespace()
            .find(|w| w.starts_with("https://guichet.example/choisir-mot-de-passe?jeton="))
            .unwrap_or_else(|| panic!("no link in: {stdout}"));
        let token = link.rsplit('=').next().expect("token");
        assert_eq!(token.len(), 43);
        let (role, hash): (String, Option<String>) =
            sqlx::query_as("SELECT role, password_hash FROM users WHERE email = $1")
                .bind("instructeur@beta.gouv.fr")
                .fetch_one(&t.db.pool)
                .await
                .expect("account");
        assert_eq!((role.as_str(), hash), ("instructor", None));

        let out = run(
            &["admin", "create-admin", "--email", "pas-une-adresse"],
            &[("DATABASE_URL", &t.url)],
        );
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("adresse électronique valide"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(
            &["admin", "create-admin", "--email", "admin@beta.gouv.fr"],
            &[("DATABASE_URL", &t.url)],
        );
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("administrateur"));
        t.cleanup().await;
    }
}

async fn sign_in_on(http: &reqwest::Client, port: u16, email: &str, password: &str) -> String {
    sign_in_at(http, &format!("http://127.0.0.1:{port}"), email, password).await
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    guichet(args, envs).output().expect("binary runs")
}

#[test]
fn live_events_cross_two_server_processes_on_postgres() {
    use guichet::domain::lifecycle::Role;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let Some(t) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let password = "cheval agrafe batterie correcte";
    rt.block_on(async {
        common::create_account(&t.db, "alice@occitanie.fr", password, Role::Applicant).await;
        common::create_account(
            &t.db,
            "instructeur@beta.gouv.fr",
            password,
            Role::Instructor,
        )
        .await;
    });
    // One folder of token keys for both, as on a shared secret volume.
    let keys = tempfile::tempdir().expect("tmp");
    let keys_dir = keys.path().join("cles");
    let keys_dir = keys_dir.to_str().expect("utf-8");
    let envs = [
        ("DATABASE_URL", t.url.as_str()),
        ("GUICHET_JWT_KEYS_DIR", keys_dir),
    ];
    let one = Server::start(&envs);
    let two = Server::start(&envs);
    rt.block_on(async {
        let http = reqwest::Client::new();
        let alice = sign_in_on(&http, one.port, "alice@occitanie.fr", password).await;
        let instructor = sign_in_on(&http, two.port, "instructeur@beta.gouv.fr", password).await;
        let instructor_one =
            sign_in_on(&http, one.port, "instructeur@beta.gouv.fr", password).await;
        // The instructor's stream, on the second process.
        let mut stream = http
            .get(format!("http://127.0.0.1:{}/instruction/flux", two.port))
            .header("cookie", &instructor)
            .send()
            .await
            .expect("stream");
        assert_eq!(stream.status(), 200);
        // The applicant, on the first process, fills and submits a request.
        let base = format!("http://127.0.0.1:{}", one.port);
        let post = |path: &str| {
            http.post(format!("{base}{path}"))
                .header("origin", &base)
                .header("accept", "application/json")
                .header("cookie", &alice)
        };
        let id: i64 = post("/api/requests/create")
            .send()
            .await
            .expect("create")
            .text()
            .await
            .expect("id")
            .parse()
            .expect("a number");
        let body = serde_json::json!({
            "id": id, "version": 1, "save_id": "deux-processus",
            "data": guichet::domain::request::RequestData::example(),
        });
        let saved = post("/api/requests/save")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("save");
        assert_eq!(saved.status(), 200);
        let started = Instant::now();
        let submitted = post("/api/requests/submit")
            .form(&[("id", id.to_string()), ("version", "2".to_owned())])
            .send()
            .await
            .expect("submit");
        assert_eq!(submitted.status(), 200);
        let needle = format!("\"request_id\":{id}");
        let mut seen = String::new();
        while !seen.contains(&needle) {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
                .await
                .unwrap_or_else(|_| panic!("not received on the other process; got: {seen}"))
                .expect("stream open")
                .expect("chunk");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(seen.contains("\"kind\":\"submitted\""), "{seen}");
        eprintln!(
            "process 1 → process 2 (submit answered and event received): {} ms",
            started.elapsed().as_millis()
        );

        // Accepted on process 2; the token shown on process 1 works on
        // process 2 (same keys); revoked on process 1, refused on process 2.
        let json_post = |port: u16, path: &str, cookie: &str, body: serde_json::Value| {
            let base = format!("http://127.0.0.1:{port}");
            http.post(format!("{base}{path}"))
                .header("origin", &base)
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .header("cookie", cookie)
                .body(body.to_string())
                .send()
        };
        let version = |port: u16| {
            let base = format!("http://127.0.0.1:{port}");
            let cookie = alice.clone();
            let http = http.clone();
            async move {
                let text = http
                    .post(format!("{base}/api/requests/get"))
                    .header("origin", &base)
                    .header("accept", "application/json")
                    .header("cookie", &cookie)
                    .form(&[("id", id.to_string())])
                    .send()
                    .await
                    .expect("get")
                    .text()
                    .await
                    .expect("text");
                let r: serde_json::Value = serde_json::from_str(&text).expect("json");
                r["version"].as_i64().expect("version")
            }
        };
        let v = version(one.port).await;
        let accepted = json_post(
            two.port,
            "/api/instruction/accept",
            &instructor,
            serde_json::json!({ "id": id, "version": v,
                "scopes": ["unites_legales_etablissements_insee"], "message": "" }),
        )
        .await
        .expect("accept");
        assert_eq!(accepted.status(), 200);
        let token_id: (String,) = sqlx::query_as("SELECT id FROM tokens WHERE request_id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .expect("token");
        let shown = post("/api/space/reveal")
            .form(&[("id", token_id.0.as_str())])
            .send()
            .await
            .expect("reveal")
            .text()
            .await
            .expect("text");
        let jwt: String = serde_json::from_str(&shown).expect("a JSON string");
        // An entity the directory may not hold: 404 or 200, past every
        // token check either way.
        let call = format!(
            "http://127.0.0.1:{}/v4/insee/sirene/unites_legales/418166096?context=x&object=y&recipient=13002737600016",
            two.port
        );
        let status = http.get(&call).bearer_auth(&jwt).send().await.expect("call").status();
        assert!(status == 200 || status == 404, "{status}");
        let v = version(one.port).await;
        let started = Instant::now();
        let revoked = json_post(
            one.port,
            "/api/instruction/revoke",
            &instructor_one,
            serde_json::json!({ "id": id, "version": v, "reason": "Fin du marché." }),
        )
        .await
        .expect("revoke");
        assert_eq!(revoked.status(), 200);
        loop {
            let res = http.get(&call).bearer_auth(&jwt).send().await.expect("call");
            if res.status() == 401 {
                let body: serde_json::Value =
                    serde_json::from_str(&res.text().await.expect("text")).expect("json");
                assert_eq!(body["errors"][0]["code"], "00105");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "still accepted on the other process"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        eprintln!(
            "revocation on process 1 → refused on process 2: {} ms",
            started.elapsed().as_millis()
        );
    });
    assert!(one.stop().success());
    assert!(two.stop().success());
    rt.block_on(t.cleanup());
}

#[tokio::test]
async fn demo_seeds_the_example_once() {
    for t in TestDb::all().await {
        let keys = tempfile::tempdir().expect("tmp");
        let keys_dir = keys.path().join("cles");
        let envs = [
            ("DATABASE_URL", t.url.as_str()),
            ("GUICHET_PUBLIC_URL", "https://guichet.example"),
            ("GUICHET_JWT_KEYS_DIR", keys_dir.to_str().expect("utf-8")),
        ];
        let out = run(&["demo"], &envs);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{}: {stdout} {}",
            t.name,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Démonstration créée"), "{stdout}");
        assert!(stdout.contains("demandeur@occitanie.example"), "{stdout}");
        assert!(stdout.contains("Authorization: Bearer ey"), "{stdout}");
        // Three accepted requests, one space, three tokens with different
        // scopes; the other states too.
        let tokens: Vec<(String,)> =
            sqlx::query_as("SELECT scopes FROM tokens ORDER BY request_id")
                .fetch_all(&t.db.pool)
                .await
                .expect("tokens");
        assert_eq!(tokens.len(), 3, "{}", t.name);
        assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);
        let (spaces,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM client_spaces")
            .fetch_one(&t.db.pool)
            .await
            .expect("spaces");
        assert_eq!(spaces, 1);
        let states: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
                .fetch_all(&t.db.pool)
                .await
                .expect("states");
        assert_eq!(
            states,
            [
                ("accepted".to_owned(), 3),
                ("changes_requested".to_owned(), 1),
                ("draft".to_owned(), 1),
                ("refused".to_owned(), 1),
                ("submitted".to_owned(), 1)
            ],
            "{}",
            t.name
        );
        // The printed password opens the three accounts.
        let router = app(t.db.clone());
        for (i, email) in [
            "demandeur@occitanie.example",
            "technique@occitanie.example",
            "instructeur@guichet.example",
        ]
        .into_iter()
        .enumerate()
        {
            sign_in(
                &router,
                email,
                "demonstration-guichet-occitanie",
                [10, 9, 0, i as u8],
            )
            .await;
        }
        // Again: nothing more.
        let out = run(&["demo"], &envs);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("déjà en place"));
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM requests")
            .fetch_one(&t.db.pool)
            .await
            .expect("requests");
        assert_eq!(n, 7);
        t.cleanup().await;
    }
}
