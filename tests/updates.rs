//! Updates of an accepted authorisation, on SQLite and PostgreSQL: started by
//! its applicant only, instructed while the authorisation stays in force,
//! accepted onto the same token (its string keeps working, with the new
//! scopes), refused with nothing changed, refused when the authorisation was
//! revoked meanwhile; the dashboard tells updates apart.

use crate::common;
use crate::tokens::{Accepted, PARAMS, TECHNICAL, accepted, call};

use common::world::*;
use common::*;
use guichet::domain::lifecycle::EventKind;
use guichet::domain::request::{CURRENT_CGU_VERSION, RequestData};
use guichet::server::db::{self, spaces};
use serde_json::json;

const NEW_TECHNICAL: &str = "nouveau.technique@occitanie.fr";

fn unite() -> String {
    format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}")
}

fn attestation() -> String {
    format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}")
}

async fn start(w: &World, who: &str, id: i64) -> Answer {
    post_form(
        &w.app,
        "/api/requests/start_update",
        &[("id", &id.to_string())],
        Some(who),
    )
    .await
}

/// The update's data as the applicant changes it: one more sensitive scope
/// (justified), a new technical contact, the terms accepted again.
pub(crate) fn changed(mut data: RequestData) -> RequestData {
    data.data.scopes.push("attestation_fiscale_dgfip".into());
    data.data.justifications.insert(
        "attestation_fiscale_dgfip".into(),
        "Vérifier la régularité fiscale avant le versement d’une aide.".into(),
    );
    data.contacts.technical.email = NEW_TECHNICAL.into();
    data.terms.accepted = true;
    data.terms.version = CURRENT_CGU_VERSION.into();
    data
}

/// Alice's update of `parent`, saved with `data` and submitted; answers its
/// id and version.
pub(crate) async fn submitted_update(
    w: &World,
    parent: i64,
    edit: fn(RequestData) -> RequestData,
) -> (i64, i64) {
    let a = start(w, &w.alice, parent).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let id = a.json.as_i64().expect("id");
    let got = get(w, &w.alice, id).await;
    let data: RequestData = serde_json::from_value(got.json["data"].clone()).expect("data");
    let version = got.json["version"].as_i64().expect("version");
    let a = save(w, &w.alice, id, version, &format!("maj-{id}"), &edit(data)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let a = submit(w, id, version + 1).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let version = get(w, &w.alice, id).await.json["version"]
        .as_i64()
        .expect("version");
    (id, version)
}

async fn events(t: &TestDb, id: i64) -> Vec<EventKind> {
    db::requests::events(&t.db, id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn an_update_changes_the_same_tokens_scopes_once_accepted() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id: parent,
            row,
            token,
            ..
        } = accepted(&t).await;

        // Only its applicant starts one: not another organisation, not staff.
        let a = start(&w, &w.bob, parent).await;
        assert_eq!(a.status, 403, "{}: {}", t.name, a.json);
        let a = start(&w, &w.instructor, parent).await;
        assert_eq!(a.status, 403, "{}", a.json);

        let a = start(&w, &w.alice, parent).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let update = a.json.as_i64().expect("id");
        // A second click answers the same draft.
        let a = start(&w, &w.alice, parent).await;
        assert_eq!(a.json.as_i64(), Some(update));
        let got = get(&w, &w.alice, update).await;
        assert_eq!(
            (
                got.json["kind"].as_str(),
                got.json["parent_id"].as_i64(),
                got.json["state"].as_str()
            ),
            (Some("update"), Some(parent), Some("draft"))
        );
        assert_eq!(got.json["data"]["context"]["title"], "Pré-remplissage");
        assert_eq!(
            got.json["data"]["terms"]["accepted"], false,
            "accepted again"
        );
        let p = get(&w, &w.alice, parent).await;
        assert_eq!(p.json["open_update"], json!(update));
        assert_eq!(p.json["updatable"], false);
        assert!(events(&t, parent).await.contains(&EventKind::UpdateStarted));

        // Filed: the authorisation in force answers as before.
        let data: RequestData = serde_json::from_value(got.json["data"].clone()).expect("data");
        let version = got.json["version"].as_i64().expect("version");
        let a = save(&w, &w.alice, update, version, "maj", &changed(data)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = submit(&w, update, version + 1).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        let (status, body, _) = call(&app, &attestation(), Some(&token)).await;
        assert_eq!((status, &body["errors"][0]["code"]), (403, &json!("00100")));

        // The instructor sees an update, against the authorisation in force.
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &update.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.json["kind"], "update");
        assert_eq!(review.json["parent_id"], json!(parent));
        let changes = review.json["changes"].to_string();
        assert!(
            changes.contains("Attestation fiscale")
                || changes.contains("attestation_fiscale_dgfip"),
            "{changes}"
        );
        assert!(changes.contains(NEW_TECHNICAL), "{changes}");
        assert!(!changes.contains("terms"), "{changes}");
        for (nature, expected, absent) in [
            ("mise_a_jour", update, parent),
            ("initiale", parent, update),
        ] {
            let d = post_form(
                &app,
                "/api/instruction/dashboard",
                &[("nature", nature)],
                Some(&w.instructor),
            )
            .await;
            let ids: Vec<i64> = d.json["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .filter_map(|l| l["id"].as_i64())
                .collect();
            assert!(
                ids.contains(&expected) && !ids.contains(&absent),
                "{nature}: {ids:?}"
            );
        }

        // Accepted: the same token, its string unchanged, the new scope open.
        let version = review.json["version"].as_i64().expect("version");
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
        let after = spaces::token_of_request(&t.db, parent)
            .await
            .expect("db")
            .expect("token");
        assert_eq!(after.id, row.id, "the same token");
        assert_eq!(
            after.scope_list(),
            [
                "attestation_fiscale_dgfip",
                "unites_legales_etablissements_insee"
            ]
        );
        assert!(
            spaces::token_of_request(&t.db, update)
                .await
                .expect("db")
                .is_none()
        );
        let (status, body, _) = call(&app, &attestation(), Some(&token)).await;
        assert_ne!(status, 403, "{}: {body}", t.name);
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        // The authorisation now says what the update said.
        let p = get(&w, &w.alice, parent).await;
        assert_eq!(
            p.json["data"]["contacts"]["technical"]["email"],
            NEW_TECHNICAL
        );
        assert_eq!(p.json["state"], "accepted");
        assert_eq!(p.json["updatable"], true, "a next update can start");
        assert!(
            events(&t, parent)
                .await
                .contains(&EventKind::UpdateAccepted)
        );
        let held = spaces::held_token(&t.db, &row.id)
            .await
            .expect("db")
            .expect("held");
        assert_eq!(held.holders.technical_email.as_deref(), Some(NEW_TECHNICAL));
        // Its people are told; the new technical contact gets a password link.
        let mails = mails_of(&t.db, "update_accepted").await;
        let to: Vec<&str> = mails.iter().map(|(to, _)| to.as_str()).collect();
        assert_eq!(to, ["alice@occitanie.fr", NEW_TECHNICAL], "{}", t.name);
        assert!(
            mails[0].1.contains("Le jeton reste le même"),
            "{}",
            mails[0].1
        );
        assert!(
            mails[1].1.contains("/choisir-mot-de-passe?jeton="),
            "{}",
            mails[1].1
        );
        // The former technical contact no longer sees it.
        assert_ne!(held.holders.technical_email.as_deref(), Some(TECHNICAL));
        // An accepted update is not revoked on its own.
        let a = revoke(&w, update, "Non.").await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}",
            a.json
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_refused_update_or_a_revoked_authorisation_changes_nothing() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id: parent,
            token,
            ..
        } = accepted(&t).await;
        let scopes = |t: &TestDb| {
            let db = t.db.clone();
            async move {
                spaces::token_of_request(&db, parent)
                    .await
                    .expect("db")
                    .expect("token")
                    .scope_list()
            }
        };
        let before = scopes(&t).await;

        // Refused: the authorisation as it was.
        let (update, version) = submitted_update(&w, parent, changed).await;
        let a = post_json(
            &app,
            "/api/instruction/refuse",
            &json!({ "id": update, "version": version, "reason": "Donnée non justifiée." }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(scopes(&t).await, before);
        let p = get(&w, &w.alice, parent).await;
        assert_eq!(p.json["data"]["contacts"]["technical"]["email"], TECHNICAL);
        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);

        // Another organisation's SIRET: refused at submission, in French.
        let a = start(&w, &w.alice, parent).await;
        let other = a.json.as_i64().expect("id");
        let got = get(&w, &w.alice, other).await;
        let mut data: RequestData = serde_json::from_value(got.json["data"].clone()).expect("data");
        data.organisation.siret = "213 401 722 00018".into();
        data.terms.accepted = true;
        data.terms.version = CURRENT_CGU_VERSION.into();
        let v = got.json["version"].as_i64().expect("version");
        assert_eq!(
            save(&w, &w.alice, other, v, "autre", &data).await.status,
            200
        );
        let a = submit(&w, other, v + 1).await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("organisation.siret")),
            "{}: {}",
            t.name,
            a.json
        );
        let got = get(&w, &w.alice, other).await;
        let mut data: RequestData = serde_json::from_value(got.json["data"].clone()).expect("data");
        data.organisation.siret = "200 053 791 00014".into();
        let v = got.json["version"].as_i64().expect("version");
        assert_eq!(
            save(&w, &w.alice, other, v, "retour", &data).await.status,
            200
        );
        assert_eq!(submit(&w, other, v + 1).await.status, 200);

        // Revoked while the update waits: it cannot be accepted.
        let a = revoke(&w, parent, "Fin du marché.").await;
        assert_eq!(a.status, 200, "{}", a.json);
        let v = version_of(&w, other).await;
        let a = accept(&w, other, v, &["unites_legales_etablissements_insee"]).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}: {}",
            t.name,
            a.json
        );
        assert_eq!(
            get(&w, &w.alice, other).await.json["state"],
            "submitted",
            "nothing written"
        );
        let (status, body, _) = call(&app, &unite(), Some(&token)).await;
        assert_eq!((status, &body["errors"][0]["code"]), (401, &json!("00105")));
        // And no new update starts on a revoked authorisation.
        let a = start(&w, &w.alice, parent).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}",
            a.json
        );
        t.cleanup().await;
    }
}

/// Each sensitive scope's last call, kept across flushes; unused after 90
/// days without one, counted for a scope added by an update from its grant.
#[tokio::test]
async fn sensitive_scopes_unused_for_ninety_days_are_told_apart() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id: parent,
            token,
            row,
            runtime,
            ..
        } = accepted(&t).await;
        let uses = |who: String| {
            let app = app.clone();
            async move {
                let a = post_form(&app, "/api/space/overview", &[], Some(&who)).await;
                a.json["spaces"][0]["tokens"][0]["sensitive_uses"].clone()
            }
        };
        let u = uses(w.alice.clone()).await;
        assert_eq!(u[0]["scope"], "unites_legales_etablissements_insee");
        assert_eq!(
            (&u[0]["last_used_at"], &u[0]["unused"]),
            (&json!(null), &json!(false))
        );

        assert_eq!(call(&app, &unite(), Some(&token)).await.0, 200);
        runtime.flush(&t.db).await.expect("flush");
        let u = uses(w.alice.clone()).await;
        assert!(u[0]["last_used_at"].as_i64().is_some(), "{}: {u}", t.name);

        // 91 days later, without a call: unused.
        let day = 86_400_000;
        let past = db::now_ms() - 200 * day;
        sqlx::query("UPDATE tokens SET issued_at = $1 WHERE id = $2")
            .bind(past)
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("issued");
        sqlx::query("UPDATE token_scope_usage SET last_used_at = $1 WHERE token_id = $2")
            .bind(db::now_ms() - 91 * day)
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("last use");
        let u = uses(w.alice.clone()).await;
        assert_eq!(u[0]["unused"], true, "{}: {u}", t.name);

        // A sensitive scope added by an update today is not unused.
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
        let u = uses(w.alice.clone()).await;
        let added = u
            .as_array()
            .and_then(|l| l.iter().find(|x| x["scope"] == "attestation_fiscale_dgfip"))
            .cloned()
            .expect("the added scope");
        assert_eq!(
            (&added["last_used_at"], &added["unused"]),
            (&json!(null), &json!(false)),
            "{}",
            t.name
        );
        // Staff read the same on the review page.
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &parent.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.json["token"]["sensitive_uses"], u);
        t.cleanup().await;
    }
}
