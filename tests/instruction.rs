//! The instructors' decisions through the real router, on SQLite and
//! PostgreSQL: ask for changes (message, fields), the applicant's
//! resubmission, refuse, accept with fewer scopes; each with its event and
//! email; repeated or stale decisions change nothing.

mod common;

use common::world::*;
use common::*;
use guichet::domain::request::RequestData;
use serde_json::{Value, json};

/// A complete request of Alice's, submitted; answers its id and version.
async fn submitted(w: &World) -> (i64, i64) {
    let id = create(w).await;
    let a = save(w, &w.alice, id, 1, "complet", &RequestData::example()).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let a = submit(w, id, 2).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let version = get(w, &w.alice, id).await.json["version"]
        .as_i64()
        .expect("version");
    (id, version)
}

async fn decide(w: &World, cookie: &str, what: &str, body: Value) -> Answer {
    post_json(
        &w.app,
        &format!("/api/instruction/{what}"),
        &body,
        Some(cookie),
    )
    .await
}

fn kinds(mails: &[(String, String)]) -> Vec<&str> {
    mails.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn changes_asked_then_resubmitted_then_refused() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (id, version) = submitted(&w).await;
        let before = outbox(&t.db).await.len();

        // The message is required; fields must be the request's.
        let a = decide(
            &w,
            &w.instructor,
            "request_changes",
            json!({
                "id": id, "version": version, "message": "  ", "fields": []
            }),
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (422, "invalid"));
        assert_eq!(a.json["field"], "message");
        let a = decide(&w, &w.instructor, "request_changes", json!({
            "id": id, "version": version, "message": "Précisez.", "fields": ["users.password_hash"]
        }))
        .await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("fields"))
        );
        // Applicants do not decide.
        let a = decide(
            &w,
            &w.alice,
            "request_changes",
            json!({
                "id": id, "version": version, "message": "Je m’accepte", "fields": []
            }),
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));

        let body = json!({
            "id": id, "version": version,
            "message": "Le lien vers la délibération ne fonctionne pas : joignez-la en PDF.",
            "fields": ["legal.urls", "legal.attachments", "legal.urls"]
        });
        let a = decide(&w, &w.instructor, "request_changes", body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), &a.json),
            (200, &json!("changes_requested")),
            "{}: {}",
            t.name,
            a.json
        );
        // Sent twice (a double click): no second effect.
        let a = decide(&w, &w.instructor, "request_changes", body).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}",
            a.json
        );
        let mails = outbox(&t.db).await;
        assert_eq!(
            &mails[before..],
            &[(
                "changes_requested".to_owned(),
                "alice@occitanie.fr".to_owned()
            )]
        );

        // The applicant sees the message and the fields, edits, resubmits.
        let a = get(&w, &w.alice, id).await;
        assert_eq!(a.json["state"], "changes_requested");
        assert_eq!(a.json["editable"], true);
        assert!(
            a.json["changes_message"]
                .as_str()
                .unwrap_or("")
                .contains("délibération")
        );
        assert_eq!(
            a.json["changes_fields"],
            json!(["legal.attachments", "legal.urls"])
        );
        let mut data: RequestData = serde_json::from_value(a.json["data"].clone()).expect("data");
        data.legal.urls =
            vec!["https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000000000001".into()];
        let v = a.json["version"].as_i64().expect("version");
        let a = save(&w, &w.alice, id, v, "corrige", &data).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = submit(&w, id, v + 1).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = get(&w, &w.instructor, id).await;
        assert_eq!(a.json["state"], "submitted");
        let version = a.json["version"].as_i64().expect("version");

        // A decision on an older version (before the resubmission) is stale.
        let a = decide(
            &w,
            &w.instructor,
            "refuse",
            json!({
                "id": id, "version": 1, "reason": "Trop tard"
            }),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "conflict"),
            "{}",
            a.json
        );

        // Refused, with its reason; then nothing else can be decided.
        let a = decide(
            &w,
            &w.instructor,
            "refuse",
            json!({
                "id": id, "version": version, "reason": ""
            }),
        )
        .await;
        assert_eq!(a.json["field"], "reason");
        let a = decide(
            &w,
            &w.instructor,
            "refuse",
            json!({
                "id": id, "version": version,
                "reason": "Les données demandées excèdent le besoin décrit."
            }),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), &a.json),
            (200, &json!("refused")),
            "{}",
            a.json
        );
        let a = decide(&w, &w.instructor, "accept", json!({
            "id": id, "version": version, "scopes": ["unites_legales_etablissements_insee"], "message": ""
        }))
        .await;
        assert_eq!(a.status, 409, "{}", a.json);

        let events: Vec<String> = guichet::server::db::requests::events(&t.db, id)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            events,
            [
                "created",
                "submitted",
                "changes_requested",
                "resubmitted",
                "refused"
            ]
        );
        let mails = outbox(&t.db).await;
        assert_eq!(
            kinds(&mails[before..]),
            [
                "changes_requested",
                "request_received",
                "new_request",
                "request_refused"
            ]
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn acceptance_keeps_the_scopes_granted() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (id, version) = submitted(&w).await;
        let asked = RequestData::example().data.scopes;
        assert!(asked.len() >= 2, "the example asks for several scopes");

        for (scopes, words) in [
            (json!([]), "au moins une"),
            (json!(["inventee"]), "n’a pas été demandée"),
        ] {
            let a = decide(
                &w,
                &w.instructor,
                "accept",
                json!({
                    "id": id, "version": version, "scopes": scopes, "message": ""
                }),
            )
            .await;
            assert_eq!(
                (a.status.as_u16(), a.json["field"].as_str()),
                (422, Some("scopes"))
            );
            assert!(
                a.json["message"].as_str().unwrap_or("").contains(words),
                "{}",
                a.json
            );
        }
        let granted = &asked[..1];
        let a = decide(
            &w,
            &w.instructor,
            "accept",
            json!({
                "id": id, "version": version, "scopes": granted, "message": "Bienvenue."
            }),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), &a.json),
            (200, &json!("accepted")),
            "{}: {}",
            t.name,
            a.json
        );
        let last = guichet::server::db::requests::events(&t.db, id)
            .await
            .expect("events")
            .pop()
            .expect("event");
        assert_eq!(last.kind, "accepted");
        assert_eq!(last.message.as_deref(), Some("Bienvenue."));
        let payload: Value =
            serde_json::from_str(last.payload.as_deref().unwrap_or("")).expect("payload");
        assert_eq!(payload, json!({ "scopes": granted }));
        let mails = outbox(&t.db).await;
        assert_eq!(
            mails.last(),
            Some(&(
                "request_accepted".to_owned(),
                "alice@occitanie.fr".to_owned()
            ))
        );
        // Accepted: a second acceptance does nothing.
        let a = decide(
            &w,
            &w.instructor,
            "accept",
            json!({
                "id": id, "version": version, "scopes": granted, "message": ""
            }),
        )
        .await;
        assert_eq!(a.status, 409);
        assert_eq!(outbox(&t.db).await.len(), mails.len());
        t.cleanup().await;
    }
}
