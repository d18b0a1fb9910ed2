//! Renewals with a check, on SQLite and PostgreSQL: in its last 90 days, a
//! person of the token (applicant or technical contact, nobody else, not
//! another applicant of the same organisation) confirms purpose, contacts
//! and data before the authorisation is extended by 18 months, once; unused
//! sensitive scopes are proposed and removed from the same token; the
//! instructors' dashboard lists renewals as their own kind, and the live
//! stream names them.

use crate::common;
use crate::tokens::{Accepted, PARAMS, TECHNICAL, accepted, call};
use crate::trust::confirmed;
use crate::updates::{changed, submitted_update};

use common::world::*;
use common::*;
use guichet::domain::lifecycle::{EventKind, RequestKind, Role};
use guichet::domain::renewal::LIFETIME_MS;
use guichet::server::db::{self, spaces};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

fn unite() -> String {
    format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}")
}

fn attestation() -> String {
    format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}")
}

async fn renew(app: &axum::Router, who: &str, body: &Value) -> Answer {
    post_json(app, "/api/space/renew", body, Some(who)).await
}

async fn check_of(app: &axum::Router, who: &str, token_id: &str) -> Answer {
    post_form(app, "/api/space/renewal", &[("id", token_id)], Some(who)).await
}

async fn expire_in(t: &TestDb, token_id: &str, days: i64) -> i64 {
    let at = db::now_ms() + days * DAY_MS;
    sqlx::query("UPDATE tokens SET expires_at = $1 WHERE id = $2")
        .bind(at)
        .bind(token_id)
        .execute(&t.db.pool)
        .await
        .expect("expiry");
    at
}

async fn expiry(t: &TestDb, token_id: &str) -> i64 {
    spaces::token(&t.db, token_id)
        .await
        .expect("db")
        .expect("token")
        .expires_at
}

async fn dashboard(w: &World, nature: &str) -> Vec<(i64, String, Option<i64>)> {
    let a = post_form(
        &w.app,
        "/api/instruction/dashboard",
        &[("state", "accepted"), ("nature", nature)],
        Some(&w.instructor),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().expect("id"),
                l["kind"].as_str().unwrap_or("").to_owned(),
                l["parent_id"].as_i64(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_renewal_needs_the_check_of_a_person_of_the_token_and_extends_once() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id,
            row,
            token,
            ..
        } = accepted(&t).await;
        choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        let tech = sign_in(&app, TECHNICAL, PASSWORD, [10, 1, 0, 9]).await;
        create_account(&t.db, "carol@occitanie.fr", PASSWORD, Role::Applicant).await;
        let carol = sign_in(&app, "carol@occitanie.fr", PASSWORD, [10, 1, 0, 7]).await;

        // Eighteen months ahead: the check is shown, closed; renewing is
        // refused.
        let c = check_of(&app, &w.alice, &row.id).await;
        assert_eq!(c.status, 200, "{}: {}", t.name, c.json);
        assert_eq!(c.json["open"], false);
        let a = renew(&app, &w.alice, &confirmed(&row.id)).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));

        let soon = expire_in(&t, &row.id, 10).await;
        // What the person checks: the purpose, the four contacts, the data.
        let c = check_of(&app, &tech, &row.id).await;
        assert_eq!(c.status, 200, "{}", c.json);
        assert_eq!(c.json["open"], true);
        assert_eq!(c.json["request_id"], id);
        assert_eq!(c.json["new_expiry"], soon + LIFETIME_MS);
        assert_eq!(c.json["contacts"].as_array().map(Vec::len), Some(4));
        assert_eq!(c.json["contacts"][3]["email"], TECHNICAL);
        assert_eq!(
            c.json["scopes"][0]["scope"],
            "unites_legales_etablissements_insee"
        );
        assert_eq!(c.json["may_update"], true, "the technical contact");
        let c = check_of(&app, &w.alice, &row.id).await;
        assert_eq!(c.json["may_update"], true, "the applicant");

        // Nobody else: another applicant of the same organisation, another
        // organisation (404, as an unknown token); staff (403 on renewing,
        // the check is for applicants).
        for who in [&carol, &w.bob] {
            let a = check_of(&app, who, &row.id).await;
            assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));
            let a = renew(&app, who, &confirmed(&row.id)).await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (404, "not_found"),
                "{}",
                t.name
            );
        }
        let a = renew(&app, &w.instructor, &confirmed(&row.id)).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));

        // A point not confirmed: a French error on its box; nothing moves.
        let mut body = confirmed(&row.id);
        body["check"]["contacts"] = json!(false);
        let a = renew(&app, &w.alice, &body).await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("check.contacts")),
            "{}",
            a.json
        );
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("contacts sont à jour"),
            "{}",
            a.json
        );
        // Removing what is not a sensitive scope of it, or every scope.
        for (remove, says) in [
            (json!(["open_data"]), "n’est pas une donnée sensible"),
            (json!(["attestation_fiscale_dgfip"]), "n’est pas une donnée"),
            (
                json!(["unites_legales_etablissements_insee"]),
                "au moins une donnée",
            ),
        ] {
            let mut body = confirmed(&row.id);
            body["remove"] = remove;
            let a = renew(&app, &w.alice, &body).await;
            assert_eq!(
                (a.status.as_u16(), a.json["field"].as_str()),
                (422, Some("remove")),
                "{}",
                a.json
            );
            assert!(
                a.json["message"].as_str().unwrap_or("").contains(says),
                "{}",
                a.json
            );
        }
        assert_eq!(expiry(&t, &row.id).await, soon);

        // The technical contact confirms: 18 months more, from the expiry.
        let a = renew(&app, &tech, &confirmed(&row.id)).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json["expires_at"], soon + LIFETIME_MS);
        let renewal = a.json["renewal_id"].as_i64().expect("renewal");
        assert_eq!(expiry(&t, &row.id).await, soon + LIFETIME_MS);
        // The same string keeps answering.
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        // A second confirmation: the window is closed, nothing more.
        let a = renew(&app, &w.alice, &confirmed(&row.id)).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));
        assert_eq!(expiry(&t, &row.id).await, soon + LIFETIME_MS);

        // The record: a request of its own, accepted, of the parent.
        let r = db::requests::get(&t.db, renewal)
            .await
            .expect("db")
            .expect("renewal");
        assert_eq!(
            (r.kind, r.parent_id, r.state),
            (
                RequestKind::Renewal,
                Some(id),
                guichet::domain::RequestState::Accepted
            )
        );
        // With the authorisation's check of the organisation (not « À vérifier »).
        let parent_check = db::requests::get(&t.db, id)
            .await
            .expect("db")
            .expect("parent")
            .organisation_check;
        assert!(parent_check.is_some());
        assert_eq!(r.organisation_check, parent_check);
        // In both timelines, saying who and until when.
        for on in [id, renewal] {
            let events = db::requests::events(&t.db, on).await.expect("events");
            let e = events
                .iter()
                .find(|e| e.kind == EventKind::Renewed)
                .unwrap_or_else(|| panic!("{}: no renewed event on {on}", t.name));
            let m = e.message.clone().unwrap_or_default();
            assert!(
                m.contains(TECHNICAL) && m.contains("contact technique"),
                "{m}"
            );
            assert!(m.contains("objet, contacts et données confirmés"), "{m}");
        }
        // An email to each person of the token.
        let mails = mails_of(&t.db, "token_renewed").await;
        let to: Vec<&str> = mails.iter().map(|(to, _)| to.as_str()).collect();
        assert_eq!(to, ["alice@occitanie.fr", TECHNICAL], "{}", t.name);
        assert!(mails[0].1.contains("prolongée jusqu’au"), "{}", mails[0].1);

        // The dashboard: renewals as their own kind.
        let renewals = dashboard(&w, "renouvellement").await;
        assert_eq!(
            renewals,
            [(renewal, "renewal".to_owned(), Some(id))],
            "{}",
            t.name
        );
        assert!(
            dashboard(&w, "initiale")
                .await
                .iter()
                .all(|(i, _, _)| *i != renewal)
        );
        assert!(dashboard(&w, "mise_a_jour").await.is_empty());
        // The live stream tells it as a renewal (replayed after a reconnection).
        let announced = db::instruction::events_since(&t.db, 0, &[EventKind::Renewed], 10)
            .await
            .expect("events");
        assert_eq!(announced.len(), 2);
        assert!(
            announced
                .iter()
                .any(|e| e.request_id == renewal && e.nature == RequestKind::Renewal)
        );
        // The instructor reads it, and has nothing to decide: it cannot be
        // revoked, nor transferred, on its own.
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &renewal.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.status, 200, "{}", review.json);
        assert_eq!(review.json["kind"], "renewal");
        let a = post_json(
            &app,
            "/api/instruction/revoke",
            &json!({ "id": renewal, "version": r.version, "reason": "Essai." }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 409, "{}", a.json);
        let a = post_form(
            &app,
            "/api/requests/transfer",
            &[
                ("id", &renewal.to_string()),
                ("email", "collegue@occitanie.fr"),
            ],
            Some(&w.alice),
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn unused_sensitive_scopes_are_proposed_and_removed_from_the_same_token() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id: parent,
            row,
            token,
            runtime,
            ..
        } = accepted(&t).await;
        // One more sensitive scope through an update.
        let (update, version) = submitted_update(&w, parent, changed).await;
        let a = accept(
            &w,
            update,
            version,
            &[
                "unites_legales_etablissements_insee",
                "attestation_fiscale_dgfip",
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        // Granted: whatever the data say, the scope is no longer refused.
        assert_ne!(call(&app, &attestation(), Some(&token)).await.0, 403);
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        runtime.flush(&t.db).await.expect("flush");
        // A hundred days later: the attestation has had no call for 91 days,
        // the other was called yesterday.
        let now = db::now_ms();
        for (scope, granted, last) in [
            (
                "attestation_fiscale_dgfip",
                now - 100 * DAY_MS,
                now - 91 * DAY_MS,
            ),
            (
                "unites_legales_etablissements_insee",
                now - 100 * DAY_MS,
                now - DAY_MS,
            ),
        ] {
            sqlx::query(
                "UPDATE token_scope_usage SET granted_at = $1, last_used_at = $2 \
                 WHERE token_id = $3 AND scope = $4",
            )
            .bind(granted)
            .bind(last)
            .bind(&row.id)
            .bind(scope)
            .execute(&t.db.pool)
            .await
            .expect("usage");
        }
        let soon = expire_in(&t, &row.id, 30).await;

        let c = check_of(&app, &w.alice, &row.id).await;
        assert_eq!(c.status, 200, "{}", c.json);
        let mut proposed: Vec<(&str, bool)> = c.json["scopes"]
            .as_array()
            .expect("scopes")
            .iter()
            .map(|s| {
                (
                    s["scope"].as_str().unwrap_or(""),
                    s["unused"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        proposed.sort();
        assert_eq!(
            proposed,
            [
                ("attestation_fiscale_dgfip", true),
                ("unites_legales_etablissements_insee", false),
            ],
            "{}",
            t.name
        );

        let mut body = confirmed(&row.id);
        body["remove"] = json!(["attestation_fiscale_dgfip"]);
        let a = renew(&app, &w.alice, &body).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let renewal = a.json["renewal_id"].as_i64().expect("renewal");
        // The same token, narrowed at once, on every instance (the cache
        // forgets it); the other scope still answers, with the same string.
        let now_row = spaces::token(&t.db, &row.id)
            .await
            .expect("db")
            .expect("token");
        assert_eq!(
            now_row.scope_list(),
            ["unites_legales_etablissements_insee"]
        );
        assert_eq!(now_row.expires_at, soon + LIFETIME_MS);
        let (status, body, _) = call(&app, &attestation(), Some(&token)).await;
        assert_eq!(
            (status, &body["errors"][0]["code"]),
            (403, &json!("00100")),
            "{}: {body}",
            t.name
        );
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        // The authorisation's data lose it too, justification included; the
        // renewal records that version.
        for id in [parent, renewal] {
            let r = db::requests::get(&t.db, id)
                .await
                .expect("db")
                .expect("request");
            assert!(
                !r.data
                    .data
                    .scopes
                    .iter()
                    .any(|s| s == "attestation_fiscale_dgfip")
                    && !r
                        .data
                        .data
                        .justifications
                        .contains_key("attestation_fiscale_dgfip"),
                "{}: {id}",
                t.name
            );
        }
        let events = db::requests::events(&t.db, parent).await.expect("events");
        let m = events
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::Renewed)
            .and_then(|e| e.message.clone())
            .unwrap_or_default();
        assert!(m.contains("données retirées : "), "{m}");
        let mails = mails_of(&t.db, "token_renewed").await;
        assert!(
            mails
                .iter()
                .all(|(_, body)| body.contains("ont été retirées")),
            "{mails:?}"
        );
        t.cleanup().await;
    }
}

/// Something changed: the technical contact, from the renewal's check,
/// starts the update themselves (another applicant of the organisation
/// cannot; the applicant is then told one is open); once accepted, the
/// authorisation's applicant is told too.
#[tokio::test]
async fn the_technical_contact_turns_a_change_into_an_update() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id: parent,
            row,
            token,
            ..
        } = accepted(&t).await;
        choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        let tech = sign_in(&app, TECHNICAL, PASSWORD, [10, 1, 0, 9]).await;
        create_account(&t.db, "carol@occitanie.fr", PASSWORD, Role::Applicant).await;
        let carol = sign_in(&app, "carol@occitanie.fr", PASSWORD, [10, 1, 0, 7]).await;
        expire_in(&t, &row.id, 30).await;
        let start = |who: String| {
            let app = app.clone();
            async move {
                post_form(
                    &app,
                    "/api/requests/start_update",
                    &[("id", &parent.to_string())],
                    Some(&who),
                )
                .await
            }
        };
        let a = start(carol.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (403, "forbidden"),
            "{}",
            t.name
        );

        let a = start(tech.clone()).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let update = a.json.as_i64().expect("update");
        let c = check_of(&app, &tech, &row.id).await;
        assert_eq!(c.json["open_update"], update);
        // The applicant cannot take it over, and is told why.
        let a = start(w.alice.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "conflict"),
            "{}",
            a.json
        );
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains(&format!("n° {update}")),
            "{}",
            a.json
        );

        // The technical contact fills and files it.
        let got = get(&w, &tech, update).await;
        assert_eq!(got.status, 200, "{}", got.json);
        let data: guichet::domain::request::RequestData =
            serde_json::from_value(got.json["data"].clone()).expect("data");
        let version = got.json["version"].as_i64().expect("version");
        let a = save(&w, &tech, update, version, "maj-tech", &changed(data)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = post_form(
            &app,
            "/api/requests/submit",
            &[
                ("id", &update.to_string()),
                ("version", &(version + 1).to_string()),
            ],
            Some(&tech),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let version = get(&w, &tech, update).await.json["version"]
            .as_i64()
            .expect("version");
        let a = accept(
            &w,
            update,
            version,
            &[
                "unites_legales_etablissements_insee",
                "attestation_fiscale_dgfip",
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        // Told: the authorisation's applicant, its new technical contact,
        // and the one who started it.
        let mut to: Vec<String> = mails_of(&t.db, "update_accepted")
            .await
            .into_iter()
            .map(|(to, _)| to)
            .collect();
        to.sort();
        assert_eq!(
            to,
            [
                "alice@occitanie.fr",
                "nouveau.technique@occitanie.fr",
                TECHNICAL
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}
