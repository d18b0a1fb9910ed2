//! What an integrator and the other gateways get beside the data:
//! `/privileges`, every contract operation routed with its scopes, the
//! usage of a token in the client space (exact across instances), the
//! "integration failing" email, and introspection with the revocation feed
//! for gateways that verify tokens offline.

use crate::common::world::*;
use crate::common::*;
use crate::tokens::{PARAMS, TECHNICAL, accepted, accepted_in, call, send};
use guichet::domain::contract::{OperationKind, operations};
use guichet::server::db;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or_default()
}

/// A path of `op` with documented identifiers and valid months and years.
fn documented_path(op: &guichet::domain::contract::Operation) -> String {
    let mut path = op.path.clone();
    let values = op.documented_values();
    for p in &op.path_params {
        let value = match p.name.as_str() {
            "year" => "2022",
            "month" => "01",
            name => values[name][0],
        };
        path = path.replace(&format!("{{{}}}", p.name), value);
    }
    path
}

#[tokio::test]
async fn privileges_and_every_operation_answer_by_the_tokens_scopes() {
    for t in TestDb::all().await {
        let a = accepted(&t).await;
        // `/privileges`: the token's scopes and what they open.
        let (status, body, headers) = call(&a.app, "/privileges", Some(&a.token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["privileges"],
            json!(["unites_legales_etablissements_insee"])
        );
        assert_eq!(headers["x-donnees-fictives"], "true");
        assert_eq!(body["meta"]["mode"], "bac_a_sable");
        let opened: Vec<&str> = body["data"]["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .filter_map(|o| o["path"].as_str())
            .collect();
        assert!(opened.contains(&"/v4/insee/sirene/unites_legales/{siren}"));
        assert!(!opened.iter().any(|p| p.contains("dgfip")), "{opened:?}");
        let (status, body, _) = call(&a.app, "/privileges", None).await;
        assert_eq!((status, code(&body)), (401, "00101"));

        // Every data operation of the contract: 200 with its example where
        // the token's scope opens it, 403 00100 elsewhere, never the HTML
        // 404 page.
        let mut answered = 0;
        for op in operations()
            .iter()
            .filter(|o| o.kind == OperationKind::Data)
        {
            let path = format!("{}?{PARAMS}", documented_path(op));
            let (status, body, _) = call(&a.app, &path, Some(&a.token)).await;
            if op
                .scopes
                .iter()
                .any(|s| s == "unites_legales_etablissements_insee")
            {
                assert_eq!(status, 200, "{}: {body}", op.path);
                assert_eq!(body, op.sample, "{}", op.path);
                answered += 1;
            } else {
                assert_eq!((status, code(&body)), (403, "00100"), "{}: {body}", op.path);
            }
        }
        assert_eq!(
            answered, 16,
            "the INSEE scope opens the 16 INSEE and RNE operations"
        );
        t.cleanup().await;
    }
}

async fn usage_of(app: &axum::Router, cookie: &str, token_id: &str) -> Answer {
    post_form(app, "/api/space/usage", &[("id", token_id)], Some(cookie)).await
}

#[tokio::test]
async fn the_space_shows_a_tokens_usage_exact_across_instances_to_its_people_only() {
    for t in TestDb::all().await {
        let a = accepted(&t).await;
        // A second instance on the same database: its own runtime.
        let mut st = state(t.db.clone());
        st.tokens = a.keys.clone();
        let other_runtime = st.api.clone();
        let other = guichet::server::http::router(st);
        let insee = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");
        let unknown = format!("/v4/insee/sirene/unites_legales/552100554?{PARAMS}");
        let outside = format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}");
        for (app, path, n) in [
            (&a.app, &insee, 3),
            (&other, &insee, 4),
            (&other, &unknown, 1),
            (&a.app, &outside, 2),
        ] {
            for _ in 0..n {
                call(app, path, Some(&a.token)).await;
            }
        }
        call(
            &other,
            "/v4/insee/sirene/unites_legales/418166096",
            Some(&a.token),
        )
        .await;
        // Each instance adds its own counts.
        a.runtime.flush(&t.db).await.expect("flush");
        other_runtime.flush(&t.db).await.expect("flush");

        let got = usage_of(&a.app, &a.w.alice, &a.row.id).await;
        assert_eq!(got.status, 200, "{}", got.json);
        let windows = &got.json["windows"];
        for w in 0..3 {
            assert_eq!(windows[w]["total"], 11, "{}", got.json);
            assert_eq!(windows[w]["answered"], 7);
            assert_eq!(windows[w]["not_found"], 1);
            assert_eq!(windows[w]["refused"], 3);
        }
        let ops = got.json["operations"].as_array().expect("operations");
        assert_eq!(ops[0]["key"], "/v4/insee/sirene/unites_legales/{siren}");
        assert_eq!(ops[0]["calls"], json!([9, 9, 9]));
        let refusals = got.json["refusals"].as_array().expect("refusals");
        let by_code = |c: &str| {
            refusals
                .iter()
                .find(|r| r["key"] == c)
                .map(|r| r["calls"][2].clone())
        };
        assert_eq!(by_code("00100"), Some(json!(2)));
        assert_eq!(by_code("01003"), Some(json!(1)));
        assert_eq!(by_code("00201"), Some(json!(1)));
        let hours = got.json["hours"].as_array().expect("hours");
        assert_eq!(hours.len(), 30);
        assert_eq!(hours[29]["answered"], 7);
        assert_eq!(hours[29]["refused"], 3);
        assert_eq!(got.json["sandbox"], true);

        // Its people and staff (who see a token's details, never its
        // string): another applicant of the same organisation or of another
        // gets the same 404 as an unknown token.
        create_account(
            &t.db,
            "carole@occitanie.fr",
            PASSWORD,
            guichet::domain::lifecycle::Role::Applicant,
        )
        .await;
        let carole = sign_in(&a.app, "carole@occitanie.fr", PASSWORD, [10, 1, 0, 9]).await;
        for cookie in [&carole, &a.w.bob] {
            let got = usage_of(&a.app, cookie, &a.row.id).await;
            assert_eq!(got.status, 404, "{}", got.json);
        }
        let got = usage_of(&a.app, &a.w.instructor, &a.row.id).await;
        assert_eq!(got.status, 200, "{}", got.json);
        let got = post_form(
            &a.app,
            "/api/space/usage",
            &[("id", a.row.id.as_str())],
            None,
        )
        .await;
        assert_eq!(got.status, 401);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_token_that_worked_and_is_now_refused_alerts_its_technical_contact_once_a_day() {
    for t in TestDb::all().await {
        let st = state(t.db.clone());
        let a = accepted_in(&t, st.clone()).await;
        let insee = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");
        let (status, _, _) = call(&a.app, &insee, Some(&a.token)).await;
        assert_eq!(status, 200);
        // Below the threshold: nothing.
        for _ in 0..5 {
            call(
                &a.app,
                &format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}"),
                Some(&a.token),
            )
            .await;
        }
        a.runtime.flush(&t.db).await.expect("flush");
        let now = db::now_ms();
        let sent = guichet::server::flows::alerts::send_due(&st, now)
            .await
            .expect("alerts");
        assert_eq!(sent, 0);
        // Revoked: its calls are refused, above the threshold.
        let r = revoke(&a.w, a.id, "Fin du marché.").await;
        assert_eq!(r.status, 200, "{}", r.json);
        for _ in 0..guichet::domain::usage::ALERT_THRESHOLD {
            let (status, body, _) = call(&a.app, &insee, Some(&a.token)).await;
            assert_eq!((status, code(&body)), (401, "00105"));
        }
        a.runtime.flush(&t.db).await.expect("flush");
        let sent = guichet::server::flows::alerts::send_due(&st, now)
            .await
            .expect("alerts");
        assert_eq!(sent, 1);
        let mails = mails_of(&t.db, "integration_failing").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].0, TECHNICAL);
        let body = crate::tokens::body_of_last(&t, TECHNICAL).await;
        assert!(
            body.contains("20 × jeton révoqué ou remplacé (code 00105)"),
            "{body}"
        );
        assert!(
            body.contains("5 × données hors de l’habilitation (code 00100)"),
            "{body}"
        );
        assert!(
            body.contains(&guichet::paths::token_usage(&a.row.id)),
            "{body}"
        );
        // Once a day per token, whichever instance looks.
        let again = guichet::server::flows::alerts::send_due(&st, now + 60_000)
            .await
            .expect("alerts");
        assert_eq!(again, 0);
        let next_day = now + guichet::domain::usage::ALERT_EVERY_MS;
        // A day later the refusals are older than the window: still none.
        let later = guichet::server::flows::alerts::send_due(&st, next_day)
            .await
            .expect("alerts");
        assert_eq!(later, 0);
        assert_eq!(mails_of(&t.db, "integration_failing").await.len(), 1);
        t.cleanup().await;
    }
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn oauth(
    app: &axum::Router,
    method: &str,
    path: &str,
    auth: Option<&str>,
    form: &str,
) -> (u16, Value, axum::http::HeaderMap) {
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    send(
        app,
        req.body(axum::body::Body::from(form.to_owned()))
            .expect("req"),
    )
    .await
}

#[tokio::test]
async fn gateways_introspect_tokens_and_follow_revocations_with_an_admin_credential() {
    for t in TestDb::all().await {
        let a = accepted(&t).await;
        create_account(
            &t.db,
            "admin@beta.gouv.fr",
            PASSWORD,
            guichet::domain::lifecycle::Role::Admin,
        )
        .await;
        let admin = sign_in(&a.app, "admin@beta.gouv.fr", PASSWORD, [10, 1, 0, 7]).await;
        // Only administrators create credentials.
        for cookie in [&a.w.instructor, &a.w.alice] {
            let r = post_form(
                &a.app,
                "/api/admin/gateways/create",
                &[("name", "X")],
                Some(cookie),
            )
            .await;
            assert_eq!(r.status, 403, "{}", r.json);
        }
        let r = post_form(
            &a.app,
            "/api/admin/gateways/create",
            &[("name", " ")],
            Some(&admin),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (422, Some("name")),
            "{}",
            r.json
        );
        let r = post_form(
            &a.app,
            "/api/admin/gateways/create",
            &[("name", "Passerelle de la région")],
            Some(&admin),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        let id = r.json["id"].as_str().expect("id").to_owned();
        let secret = r.json["secret"].as_str().expect("secret").to_owned();
        let auth = basic(&id, &secret);

        // Introspection (RFC 7662).
        let form = format!("token={}&token_type_hint=access_token", a.token);
        let (status, body, headers) =
            oauth(&a.app, "POST", "/oauth/introspect", Some(&auth), &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(body["active"], true);
        assert_eq!(body["scope"], "unites_legales_etablissements_insee");
        assert_eq!(body["sub"], a.row.id);
        assert_eq!(body["exp"], a.row.expires_at / 1000);
        assert_eq!(body["siret"], "20005379100014");
        // The credential in the form works too; a wrong secret, none, or
        // another's id do not.
        let in_form = format!("{form}&client_id={id}&client_secret={secret}");
        let (status, body, _) = oauth(&a.app, "POST", "/oauth/introspect", None, &in_form).await;
        assert_eq!((status, &body["active"]), (200, &json!(true)));
        for bad in [
            Some(basic(&id, "mauvais")),
            None,
            Some(basic("passerelle-x", &secret)),
        ] {
            let (status, body, headers) =
                oauth(&a.app, "POST", "/oauth/introspect", bad.as_deref(), &form).await;
            assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
            assert!(headers.contains_key("www-authenticate"));
        }
        let (status, body, _) = oauth(&a.app, "POST", "/oauth/introspect", Some(&auth), "").await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
        for forged in ["abc", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"] {
            let (status, body, _) = oauth(
                &a.app,
                "POST",
                "/oauth/introspect",
                Some(&auth),
                &format!("token={forged}"),
            )
            .await;
            assert_eq!((status, body), (200, json!({ "active": false })));
        }

        // Revoked: inactive at once, and in the feed with its string.
        let (_, feed, _) =
            oauth(&a.app, "GET", "/oauth/revocations?since=0", Some(&auth), "").await;
        assert_eq!(feed["revoked"], json!([]));
        let cursor = feed["next"].as_i64().expect("next");
        let r = revoke(&a.w, a.id, "Fin du marché.").await;
        assert_eq!(r.status, 200, "{}", r.json);
        let (_, body, _) = oauth(&a.app, "POST", "/oauth/introspect", Some(&auth), &form).await;
        assert_eq!(body, json!({ "active": false }));
        let claims = a.keys.verify(&a.token).expect("claims");
        let (status, feed, _) = oauth(
            &a.app,
            "GET",
            &format!("/oauth/revocations?since={cursor}"),
            Some(&auth),
            "",
        )
        .await;
        assert_eq!(status, 200, "{feed}");
        let revoked = feed["revoked"].as_array().expect("revoked");
        assert_eq!(revoked.len(), 1, "{feed}");
        assert_eq!(revoked[0]["jti"], claims.jti);
        assert_eq!(revoked[0]["reason"], "revoked");
        assert_eq!(feed["poll_after_seconds"], 5);
        let (status, _, _) = oauth(
            &a.app,
            "GET",
            "/oauth/revocations?since=hier",
            Some(&auth),
            "",
        )
        .await;
        assert_eq!(status, 400);

        // The credential revoked: refused at once.
        let r = post_form(
            &a.app,
            "/api/admin/gateways/revoke",
            &[("id", id.as_str())],
            Some(&admin),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        let (status, _, _) = oauth(&a.app, "GET", "/oauth/revocations", Some(&auth), "").await;
        assert_eq!(status, 401);
        let listed = post_form(&a.app, "/api/admin/gateways", &[], Some(&admin)).await;
        assert!(listed.json[0]["revoked_at"].is_i64(), "{}", listed.json);
        assert!(listed.json[0]["last_used_at"].is_i64(), "{}", listed.json);
        t.cleanup().await;
    }
}
