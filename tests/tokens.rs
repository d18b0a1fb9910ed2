//! Acceptance to token, on SQLite and PostgreSQL: the client space, the
//! token and the accesses written in the acceptance's transaction (or
//! nothing), the JWKS checked by an independent JWT library (PyJWT), and
//! the API-Entreprise-compatible endpoints with each of their error codes.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::request::RequestData;
use guichet::server::db::{self, spaces};
use guichet::server::directory::index::{Entry, EntryKind, Index};
use guichet::server::tokens::Claims;
use serde_json::{Value, json};

/// The example request of Alice's with this title, submitted; answers its
/// id and version.
async fn submitted(w: &World, title: &str) -> (i64, i64) {
    let mut data = RequestData::example();
    data.context.title = title.into();
    submitted_with(w, &data).await
}

async fn count(t: &TestDb, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&t.db.pool)
        .await
        .expect("count");
    n
}

pub(crate) const TECHNICAL: &str = "technique@occitanie.fr";

#[tokio::test]
async fn acceptance_creates_the_space_the_token_and_the_accesses() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (first, v1) = submitted(&w, "Pré-remplissage des formulaires").await;
        let a = accept(
            &w,
            first,
            v1,
            &[
                "unites_legales_etablissements_insee",
                "open_data_unites_legales_etablissements_insee",
                "open_data_numero_tva_dgfip",
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);

        let token = spaces::token_of_request(&t.db, first)
            .await
            .expect("db")
            .expect("a token for the accepted request");
        assert_eq!(token.name, "Pré-remplissage des formulaires");
        assert_eq!(
            token.scope_list(),
            ["open_data", "unites_legales_etablissements_insee"],
            "{}: open_data_* scopes become open_data",
            t.name
        );
        let lifetime = token.expires_at - token.issued_at;
        assert_eq!(lifetime, guichet::domain::renewal::LIFETIME_MS, "18 months");
        assert!(token.revoked_at.is_none());
        let held = spaces::held_token(&t.db, &token.id)
            .await
            .expect("db")
            .expect("held");
        assert_eq!(
            (
                held.holders.applicant_email.as_deref(),
                held.holders.technical_email.as_deref()
            ),
            (Some("alice@occitanie.fr"), Some(TECHNICAL)),
            "{}",
            t.name
        );
        let (siret, name): (String, String) =
            sqlx::query_as("SELECT siret, name FROM client_spaces WHERE id = $1")
                .bind(token.space_id)
                .fetch_one(&t.db.pool)
                .await
                .expect("space");
        assert_eq!(siret, "20005379100014");
        // The directory's name, not the one typed.
        assert_eq!(name, "Région — Occitanie");

        // The emails: Alice has a password, a link to the space; the
        // technical contact's account is new, a link to choose one.
        let mails = outbox(&t.db).await;
        let accepted: Vec<&str> = mails
            .iter()
            .filter(|(k, _)| k == "request_accepted")
            .map(|(_, to)| to.as_str())
            .collect();
        assert_eq!(accepted, ["alice@occitanie.fr", TECHNICAL], "{}", t.name);
        let body = |to: &'static str| {
            let db = t.db.clone();
            async move {
                let (b,): (String,) = sqlx::query_as(
                    "SELECT body_text FROM email_outbox WHERE kind = 'request_accepted' \
                     AND to_address = $1",
                )
                .bind(to)
                .fetch_one(&db.pool)
                .await
                .expect("mail");
                b
            }
        };
        let alice_mail = body("alice@occitanie.fr").await;
        assert!(alice_mail.contains("/espace"), "{alice_mail}");
        assert!(alice_mail.contains("/conditions-generales"), "{alice_mail}");
        assert!(!alice_mail.contains("jeton="), "{alice_mail}");
        let tech_mail = body(TECHNICAL).await;
        assert!(
            tech_mail.contains("/choisir-mot-de-passe?jeton="),
            "{tech_mail}"
        );
        assert!(tech_mail.contains("Bienvenue."), "{tech_mail}");
        // The link works: the technical contact chooses a password.
        let a = choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);

        // Accepting again does nothing more.
        let a = accept(&w, first, v1, &["unites_legales_etablissements_insee"]).await;
        assert_ne!(a.status, 200, "{}", t.name);
        assert_eq!(count(&t, "tokens").await, 1);
        assert_eq!(outbox(&t.db).await.len(), mails.len());

        // A second request of the organisation: the same space, a second
        // token with its own scopes; nobody is invited twice.
        let (second, v2) = submitted(&w, "Instruction des aides").await;
        let a = accept(&w, second, v2, &["open_data_numero_tva_dgfip"]).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let other = spaces::token_of_request(&t.db, second)
            .await
            .expect("db")
            .expect("token");
        assert_eq!(other.space_id, token.space_id);
        assert_eq!(other.scope_list(), ["open_data"]);
        assert_eq!(count(&t, "client_spaces").await, 1);
        assert_eq!(
            spaces::tokens_of_space(&t.db, token.space_id)
                .await
                .expect("tokens")
                .len(),
            2
        );
        let tech_mail = body_of_last(&t, TECHNICAL).await;
        assert!(
            tech_mail.contains("/espace") && !tech_mail.contains("jeton="),
            "{tech_mail}"
        );
        t.cleanup().await;
    }
}

pub(crate) async fn body_of_last(t: &TestDb, to: &str) -> String {
    let (b,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(&t.db.pool)
    .await
    .expect("mail");
    b
}

#[tokio::test]
async fn a_failed_acceptance_leaves_nothing() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (id, version) = submitted(&w, "Cas d’usage").await;
        // A token already holds this request (it cannot: the test forces the
        // token's insert, inside the acceptance, to fail).
        sqlx::query("INSERT INTO client_spaces (siret, name, created_at) VALUES ('0', 'x', 0)")
            .execute(&t.db.pool)
            .await
            .expect("space");
        sqlx::query(
            "INSERT INTO tokens (id, space_id, request_id, name, scopes, issued_at, expires_at) \
             SELECT 'occupe', id, $1, 'x', '[]', 0, 0 FROM client_spaces",
        )
        .bind(id)
        .execute(&t.db.pool)
        .await
        .expect("token");
        let mails = outbox(&t.db).await.len();
        let events = guichet::server::db::requests::events(&t.db, id)
            .await
            .expect("events")
            .len();
        let a = accept(&w, id, version, &["unites_legales_etablissements_insee"]).await;
        assert_eq!(a.status, 500, "{}: {}", t.name, a.json);
        let r = get(&w, &w.alice, id).await;
        assert_eq!(r.json["state"], "submitted", "{}", t.name);
        assert_eq!(count(&t, "client_spaces").await, 1, "no new space");
        assert_eq!(outbox(&t.db).await.len(), mails, "no email");
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = $1")
            .bind(TECHNICAL)
            .fetch_one(&t.db.pool)
            .await
            .expect("users");
        assert_eq!(users, 0, "no account");
        assert_eq!(
            guichet::server::db::requests::events(&t.db, id)
                .await
                .expect("events")
                .len(),
            events,
            "no event"
        );
        t.cleanup().await;
    }
}

/// Montpellier in the directory, so that the INSEE endpoints have something
/// to answer.
fn directory() -> Index {
    Index::new(vec![Entry {
        siren: "213401722".into(),
        siret: None,
        name: "Montpellier".into(),
        kind: EntryKind::Commune,
        code: "34172".into(),
        departement: Some("34".into()),
        population: Some(302_454),
    }])
}

/// A world on the real router (with Montpellier in the directory) where
/// Alice's request is accepted with the INSEE scope: its token's row, the
/// token string, the signing keys and the API's runtime.
pub(crate) struct Accepted {
    pub app: axum::Router,
    pub w: World,
    pub id: i64,
    pub row: spaces::TokenRow,
    pub token: String,
    pub runtime: std::sync::Arc<guichet::server::api_entreprise::ApiRuntime>,
    pub keys: std::sync::Arc<guichet::server::tokens::Keys>,
}

pub(crate) async fn accepted(t: &TestDb) -> Accepted {
    accepted_in(t, state(t.db.clone())).await
}

/// An accepted request's token (INSEE data only) on the router of `st`.
pub(crate) async fn accepted_in(t: &TestDb, mut st: guichet::server::state::AppState) -> Accepted {
    st.directory = std::sync::Arc::new(directory());
    let keys = st.tokens.clone();
    let runtime = st.api.clone();
    let app = guichet::server::http::router(st);
    let w = world_on(t, app.clone()).await;
    let (id, version) = submitted(&w, "Pré-remplissage").await;
    let a = accept(&w, id, version, &["unites_legales_etablissements_insee"]).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let row = spaces::token_of_request(&t.db, id)
        .await
        .expect("db")
        .expect("token");
    let token = keys.mint(&Claims::of(&row)).expect("mint");
    assert!(
        token.starts_with(common::JWT_PREFIX),
        "the tests' token marker is stale: {token}"
    );
    Accepted {
        app,
        w,
        id,
        row,
        token,
        runtime,
        keys,
    }
}

pub(crate) async fn call(
    app: &axum::Router,
    path: &str,
    token: Option<&str>,
) -> (u16, Value, axum::http::HeaderMap) {
    let mut req = axum::http::Request::get(path);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    send(app, req.body(axum::body::Body::empty()).expect("request")).await
}

/// Sends `req` to `app`: (status, JSON body or `null`, headers).
pub(crate) async fn send(
    app: &axum::Router,
    req: axum::http::Request<axum::body::Body>,
) -> (u16, Value, axum::http::HeaderMap) {
    use tower::ServiceExt;
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        headers,
    )
}

pub(crate) const PARAMS: &str = "context=Aides&object=Dossier%2042&recipient=21310555400017";

#[tokio::test]
async fn the_endpoints_check_tokens_scopes_and_parameters() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            row,
            token,
            runtime,
            ..
        } = accepted(&t).await;
        let unite = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");

        // 200 in the sandbox: the contract's example for an identifier it
        // documents, marked as fictitious.
        let (status, body, headers) = call(&app, &unite, Some(&token)).await;
        assert_eq!(status, 200, "{}: {body}", t.name);
        let op = |path: &str| {
            guichet::domain::contract::operations()
                .iter()
                .find(|o| o.path == path)
                .expect("operation")
        };
        assert_eq!(body, op("/v4/insee/sirene/unites_legales/{siren}").sample);
        assert_eq!(headers["x-donnees-fictives"], "true");
        assert_eq!(headers["ratelimit-limit"], "250");
        assert_eq!(headers["ratelimit-remaining"], "249");
        let etab = format!("/v4/insee/sirene/etablissements/41816609600069?{PARAMS}");
        let (status, body, _) = call(&app, &etab, Some(&token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, op("/v4/insee/sirene/etablissements/{siret}").sample);
        // An identifier the contract does not document: its 404.
        let (status, body, _) = call(
            &app,
            &format!("/v4/insee/sirene/unites_legales/552100554?{PARAMS}"),
            Some(&token),
        )
        .await;
        assert_eq!(
            (status, &body["errors"][0]["code"]),
            (404, &json!("01003")),
            "{body}"
        );
        assert_eq!(body["errors"][0]["meta"]["donnees_fictives"], true);
        assert_eq!(body["errors"][0]["meta"]["provider"], "INSEE");

        let code = |b: &Value| {
            b["errors"][0]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        // Outside the token's scopes.
        let (status, body, _) = call(
            &app,
            &format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}"),
            Some(&token),
        )
        .await;
        assert_eq!((status, code(&body).as_str()), (403, "00100"), "{body}");
        // No token, a forged one, another key's.
        for bad in [
            None,
            Some("abc.def.ghi"),
            Some(
                &*guichet::server::tokens::Keys::ephemeral()
                    .mint(&Claims::of(&row))
                    .expect("mint"),
            ),
        ] {
            let (status, body, _) = call(&app, &unite, bad).await;
            assert_eq!((status, code(&body).as_str()), (401, "00101"), "{body}");
        }
        // Parameters.
        for (query, status_code, err, parameter) in [
            ("object=x&recipient=21310555400017", 422, "00201", "context"),
            ("context=x&recipient=21310555400017", 422, "00202", "object"),
            (
                "context=x&object=Un%20objet%20de%20cinquante%20caract%C3%A8res%20exactement%2C%20oui%21%21&recipient=21310555400017",
                422,
                "00202",
                "object",
            ),
            ("context=x&object=y", 422, "00203", "recipient"),
            (
                "context=x&object=y&recipient=12345678901234",
                422,
                "00210",
                "recipient",
            ),
            (
                "context=x&object=y&recipient=41816609600069",
                422,
                "00210",
                "recipient",
            ),
        ] {
            let (status, body, _) = call(
                &app,
                &format!("/v4/insee/sirene/unites_legales/418166096?{query}"),
                Some(&token),
            )
            .await;
            assert_eq!(
                (
                    status,
                    code(&body).as_str(),
                    &body["errors"][0]["source"]["parameter"]
                ),
                (status_code, err, &json!(parameter)),
                "{}: {query}: {body}",
                t.name
            );
        }
        let (status, body, _) = call(
            &app,
            &format!("/v4/insee/sirene/unites_legales/13002?{PARAMS}"),
            Some(&token),
        )
        .await;
        assert_eq!((status, code(&body).as_str()), (422, "00301"), "{body}");
        let (status, body, _) = call(
            &app,
            &format!("/v4/insee/sirene/etablissements/21340172200012?{PARAMS}"),
            Some(&token),
        )
        .await;
        assert_eq!((status, code(&body).as_str()), (422, "00302"), "{body}");

        // Calls are counted per token.
        runtime.flush(&t.db).await.expect("flush");
        let (calls,): (i64,) =
            sqlx::query_as("SELECT CAST(SUM(calls) AS BIGINT) FROM api_calls WHERE token_id = $1")
                .bind(&row.id)
                .fetch_one(&t.db.pool)
                .await
                .expect("usage");
        assert_eq!(calls, 12, "{}: every call past the token checks", t.name);
        let row = spaces::token(&t.db, &row.id)
            .await
            .expect("db")
            .expect("row");
        assert!(row.last_used_at.is_some());

        // Rate limit: 3 per minute for this token (changed by hand: the
        // cached row is dropped, as it would be after `ROW_TTL`). The calls
        // above count in this minute's window: start from a new one, and
        // not in its last second.
        let left = db::rate::seconds_left(db::now_ms());
        if left < 3 {
            tokio::time::sleep(std::time::Duration::from_secs(left)).await;
        }
        sqlx::query("DELETE FROM rate_windows")
            .execute(&t.db.pool)
            .await
            .expect("windows");
        runtime.forget_all();
        sqlx::query("UPDATE tokens SET rate_limit_per_minute = 3 WHERE id = $1")
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("limit");
        runtime.forget_all();
        for remaining in ["2", "1", "0"] {
            let (status, _, headers) = call(&app, &unite, Some(&token)).await;
            assert_eq!(
                (status, &headers["ratelimit-remaining"]),
                (
                    200,
                    &remaining.parse::<axum::http::HeaderValue>().expect("h")
                )
            );
        }
        let (status, body, headers) = call(&app, &unite, Some(&token)).await;
        assert_eq!((status, code(&body).as_str()), (429, "00429"), "{body}");
        assert!(headers.contains_key("retry-after"));
        assert_eq!(headers["ratelimit-limit"], "3");

        // Revoked, then expired: refused on the very next call.
        sqlx::query("UPDATE tokens SET revoked_at = 1 WHERE id = $1")
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("revoke");
        runtime.forget_all();
        let (status, body, _) = call(&app, &unite, Some(&token)).await;
        assert_eq!((status, code(&body).as_str()), (401, "00105"), "{body}");
        sqlx::query("UPDATE tokens SET revoked_at = NULL, expires_at = 1 WHERE id = $1")
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("expire");
        runtime.forget_all();
        let (status, body, _) = call(&app, &unite, Some(&token)).await;
        assert_eq!((status, code(&body).as_str()), (401, "00103"), "{body}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_published_keys_verify_tokens_with_pyjwt() {
    let t = TestDb::sqlite().await;
    let st = state(t.db.clone());
    let keys = st.tokens.clone();
    let app = guichet::server::http::router(st);
    let claims = Claims {
        uid: "5a3f1c0e-8d1b-4f7e-9a51-0c6f2b8e4d11".into(),
        jti: "5a3f1c0e-8d1b-4f7e-9a51-0c6f2b8e4d11".into(),
        sub: "Pré-remplissage".into(),
        scopes: vec![
            "unites_legales_etablissements_insee".into(),
            "open_data".into(),
        ],
        iat: 1_795_000_000,
        exp: 1_842_000_000,
        version: "1.0".into(),
    };
    let token = keys.mint(&claims).expect("mint");
    let (status, jwks, headers) = call(&app, "/.well-known/jwks.json", None).await;
    assert_eq!(status, 200);
    assert!(
        headers[axum::http::header::CACHE_CONTROL]
            .to_str()
            .unwrap_or_default()
            .contains("max-age")
    );
    let script = r#"
import json, sys, jwt
jwks, token = json.loads(sys.argv[1]), sys.argv[2]
kid = jwt.get_unverified_header(token)["kid"]
key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
claims = jwt.decode(token, key.key, algorithms=["EdDSA"], options={"verify_exp": True})
print(json.dumps(claims))
try:
    jwt.decode(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), key.key, algorithms=["EdDSA"])
    print("FORGED ACCEPTED")
except jwt.InvalidSignatureError:
    pass
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &jwks.to_string(), &token])
        .output()
        .expect("python3 (PyJWT is installed by scripts/test.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("FORGED"), "{stdout}");
    let verified: Value = serde_json::from_str(stdout.trim()).expect("claims");
    assert_eq!(verified, serde_json::to_value(&claims).expect("json"));
}

#[tokio::test]
async fn the_space_shows_tokens_to_its_members_only() {
    for t in TestDb::all().await {
        let Accepted {
            app, w, row, keys, ..
        } = accepted(&t).await;

        // Alice sees her organisation's space and its token, never its string.
        let a = post_form(&app, "/api/space/overview", &[], Some(&w.alice)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let space = &a.json["spaces"][0];
        assert_eq!(space["siret"], "20005379100014");
        let token = &space["tokens"][0];
        assert_eq!(token["id"], row.id.as_str());
        assert_eq!(token["status"], "new");
        assert_eq!(token["renewable"], false, "18 months left");
        assert!(
            !a.json.to_string().contains(common::JWT_PREFIX),
            "no token string in the overview"
        );

        // The technical contact, once their password is chosen, too.
        let a = choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let tech = sign_in(&app, TECHNICAL, PASSWORD, [10, 1, 0, 9]).await;
        let a = post_form(&app, "/api/space/reveal", &[("id", &row.id)], Some(&tech)).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let shown = a.json.as_str().expect("string").to_owned();
        assert_eq!(keys.verify(&shown), Some(Claims::of(&row)));
        // Shown again: the same string (minted again, not stored).
        let again = post_form(
            &app,
            "/api/space/reveal",
            &[("id", &row.id)],
            Some(&w.alice),
        )
        .await;
        assert_eq!(again.json.as_str(), Some(shown.as_str()));
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM tokens WHERE scopes LIKE '%eyJ%' OR name LIKE '%eyJ%'",
        )
        .fetch_one(&t.db.pool)
        .await
        .expect("count");
        assert_eq!(n, 0);

        // Another organisation's applicant and the instructor: nothing.
        let a = post_form(&app, "/api/space/overview", &[], Some(&w.bob)).await;
        assert_eq!(a.json["spaces"], json!([]));
        for who in [&w.bob, &w.instructor] {
            let a = post_form(&app, "/api/space/reveal", &[("id", &row.id)], Some(who)).await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (404, "not_found"),
                "{}",
                t.name
            );
        }

        // Renewal: tests/renewals.rs.
        t.cleanup().await;
    }
}

#[tokio::test]
async fn revocation_holds_from_the_next_call() {
    for t in TestDb::all().await {
        let Accepted {
            app, w, id, token, ..
        } = accepted(&t).await;
        let unite = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");
        assert_eq!(call(&app, &unite, Some(&token)).await.0, 200);

        let version = get(&w, &w.alice, id).await.json["version"]
            .as_i64()
            .expect("version");
        let revoke = |reason: &'static str| {
            let app = app.clone();
            let cookie = w.instructor.clone();
            async move {
                post_json(
                    &app,
                    "/api/instruction/revoke",
                    &json!({ "id": id, "version": version, "reason": reason }),
                    Some(&cookie),
                )
                .await
            }
        };
        let a = revoke("  ").await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("reason"))
        );
        assert_eq!(call(&app, &unite, Some(&token)).await.0, 200, "still valid");
        // Applicants cannot revoke.
        let a = post_json(
            &app,
            "/api/instruction/revoke",
            &json!({ "id": id, "version": version, "reason": "x" }),
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 403);
        let started = std::time::Instant::now();
        let a = revoke("Usage non conforme au cadre déclaré.").await;
        assert_eq!(a.status, 200, "{}", a.json);
        let (status, body, _) = call(&app, &unite, Some(&token)).await;
        let elapsed = started.elapsed();
        assert_eq!(
            (status, &body["errors"][0]["code"]),
            (401, &json!("00105")),
            "{body}"
        );
        eprintln!("{}: revocation to refusal: {elapsed:?}", t.name);
        assert_eq!(get(&w, &w.alice, id).await.json["state"], "revoked");
        let mail = body_of_last(&t, "alice@occitanie.fr").await;
        assert!(mail.contains("Usage non conforme"), "{mail}");
        assert!(
            outbox(&t.db)
                .await
                .iter()
                .any(|(k, _)| k == "token_revoked")
        );
        // Twice: nothing more.
        let a = revoke("Encore.").await;
        assert_ne!(a.status, 200);
        let space = post_form(&app, "/api/space/overview", &[], Some(&w.alice)).await;
        assert_eq!(space.json["spaces"][0]["tokens"][0]["status"], "revoked");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn expiry_reminders_are_sent_once_each() {
    for t in TestDb::all().await {
        let Accepted { row, .. } = accepted(&t).await;
        let day = 86_400_000;
        let expiry = row.expires_at;
        let reminders = || async {
            sqlx::query_as::<_, (String,)>(
                "SELECT subject FROM email_outbox WHERE kind = 'token_expiry_reminder' ORDER BY id",
            )
            .fetch_all(&t.db.pool)
            .await
            .expect("outbox")
            .into_iter()
            .map(|(s,)| s)
            .collect::<Vec<_>>()
        };
        let mut state = state(t.db.clone());
        state.public_url = "https://guichet.test".to_owned();
        let run = |now: i64| {
            let state = state.clone();
            async move {
                guichet::server::flows::remind::send_due(&state, now)
                    .await
                    .expect("reminders")
            }
        };
        assert_eq!(run(expiry - 100 * day).await, 0);
        assert_eq!(run(expiry - 90 * day).await, 1);
        assert_eq!(run(expiry - 89 * day).await, 0, "once");
        // First seen again 20 days before: J-30 only, J-60 passed over.
        assert_eq!(run(expiry - 20 * day).await, 1);
        assert_eq!(run(expiry - 20 * day).await, 0);
        assert_eq!(run(expiry - 15 * day).await, 1);
        assert_eq!(run(expiry - 7 * day).await, 1);
        assert_eq!(run(expiry - day).await, 0);
        assert_eq!(run(expiry + 3_600_000).await, 1);
        assert_eq!(run(expiry + 2 * day).await, 0);
        let subjects = reminders().await;
        assert_eq!(subjects.len(), 5, "{}: {subjects:?}", t.name);
        assert!(subjects[0].contains("expire dans 90 jours"), "{subjects:?}");
        assert!(subjects[1].contains("expire dans 30 jours"), "{subjects:?}");
        assert!(subjects[4].contains("a expiré"), "{subjects:?}");
        // Renewed: a new series for the new expiry.
        let new_expiry = guichet::domain::renewal::extended(expiry);
        sqlx::query("UPDATE tokens SET expires_at = $1 WHERE id = $2")
            .bind(new_expiry)
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("renewed");
        assert_eq!(run(new_expiry - 90 * day).await, 1);
        // Revoked: no more reminders.
        sqlx::query("UPDATE tokens SET revoked_at = 1 WHERE id = $1")
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("revoke");
        assert_eq!(run(new_expiry - 30 * day).await, 0);
        t.cleanup().await;
    }
}
