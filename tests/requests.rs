//! The applicant's requests through the real router, on SQLite and
//! PostgreSQL: drafts, saves with versions, idempotent retries, conflicts,
//! ownership, editability, duplicate, archive, submission with its emails.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use serde_json::json;

#[tokio::test]
async fn saves_are_versioned_idempotent_and_never_overwrite() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;
        let a = get(&w, &w.alice, id).await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["version"], 1);
        assert_eq!(a.json["state"], "draft");
        assert_eq!(a.json["editable"], true);

        let mut data = RequestData::new_draft();
        data.context.title = "Pré-remplissage des formulaires".into();
        let a = save(&w, &w.alice, id, 1, "s1", &data).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json["version"], 2);

        // The same save sent again (its answer was lost): same answer, no
        // third version.
        let a = save(&w, &w.alice, id, 1, "s1", &data).await;
        assert_eq!((a.status.as_u16(), &a.json["version"]), (200, &json!(2)));
        assert_eq!(get(&w, &w.alice, id).await.json["version"], 2);

        // Another tab still on version 1: conflict, nothing overwritten.
        let mut other = data.clone();
        other.context.title = "Titre de l’autre onglet".into();
        let a = save(&w, &w.alice, id, 1, "t1", &other).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "conflict"),
            "{}",
            t.name
        );
        let a = get(&w, &w.alice, id).await;
        assert_eq!(
            a.json["data"]["context"]["title"],
            "Pré-remplissage des formulaires"
        );

        // Over the current version, it goes through.
        let a = save(&w, &w.alice, id, 2, "t2", &other).await;
        assert_eq!(a.json["version"], 3);

        // Length limits, with the field named.
        let mut long = other.clone();
        long.context.title = "x".repeat(5_000);
        let a = save(&w, &w.alice, id, 3, "s4", &long).await;
        assert_eq!(a.status, 422);
        assert_eq!(a.json["field"], "context.title");

        // The list shows it.
        let a = post_form(&w.app, "/api/requests/mine", &[], Some(&w.alice)).await;
        let list = a.json.as_array().expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["title"], "Titre de l’autre onglet");
        t.cleanup().await;
    }
}

/// The save went through, to `version`.
fn saved(t: &TestDb, a: &Answer, version: i64) {
    assert_eq!(
        (a.status.as_u16(), a.json["version"].as_i64()),
        (200, Some(version)),
        "{}: {}",
        t.name,
        a.json
    );
}

/// The save was refused, with this status and code.
fn refused(t: &TestDb, a: &Answer, status: u16, code: &str) {
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (status, code),
        "{}: {}",
        t.name,
        a.json
    );
}

#[tokio::test]
async fn a_save_goes_over_the_devices_own_unanswered_saves_never_over_another() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;
        let typed = |title: &str| {
            let mut data = RequestData::new_draft();
            data.context.title = title.into();
            data
        };
        let title = |a: &Answer| a.json["data"]["context"]["title"].clone();

        // s1 is written but its answer is lost (network cut, page reloaded
        // while the database was locked): the device still thinks version 1.
        let a = save(&w, &w.alice, id, 1, "p-1-0", &typed("Un")).await;
        assert_eq!(a.json["version"], 2, "{}: {}", t.name, a.json);
        // Without naming s1, the next save over version 1 is a conflict…
        let a = save(&w, &w.alice, id, 1, "p-2-1", &typed("Deux")).await;
        refused(&t, &a, 409, "conflict");
        // …naming it, it goes over it: the device's own save, typed before.
        let a = save_after(&w, id, 1, "p-2-1", &["p-1-0"], &typed("Deux")).await;
        saved(&t, &a, 3);
        // Its answer lost too, a third one goes over both (a chain of the
        // device's own saves)…
        let a = save_after(&w, id, 1, "p-3-2", &["p-1-0", "p-2-1"], &typed("Trois")).await;
        saved(&t, &a, 4);
        // …and sent again with the same id, it is not written twice.
        let a = save_after(&w, id, 1, "p-3-2", &["p-1-0", "p-2-1"], &typed("Trois")).await;
        saved(&t, &a, 4);
        assert_eq!(title(&get(&w, &w.alice, id).await), "Trois");

        // A late copy of an earlier save, arriving after a newer one was
        // written, never overwrites it.
        let a = save(&w, &w.alice, id, 1, "p-2-1", &typed("Deux")).await;
        refused(&t, &a, 409, "conflict");
        let a = save_after(&w, id, 1, "p-2-1", &["p-1-0"], &typed("Deux")).await;
        refused(&t, &a, 409, "conflict");

        // Another tab saves: the device's saves over older versions, whatever
        // they name, are conflicts and overwrite nothing.
        let a = save(&w, &w.alice, id, 4, "autre-onglet", &typed("Autre onglet")).await;
        assert_eq!(a.json["version"], 5, "{}: {}", t.name, a.json);
        let a = save_after(&w, id, 4, "p-4-3", &["p-3-2"], &typed("Quatre")).await;
        refused(&t, &a, 409, "conflict");
        let a = save_after(
            &w,
            id,
            1,
            "p-4-3",
            &["p-1-0", "p-2-1", "p-3-2"],
            &typed("Quatre"),
        )
        .await;
        refused(&t, &a, 409, "conflict");
        let a = get(&w, &w.alice, id).await;
        assert_eq!(
            (title(&a), &a.json["version"]),
            (json!("Autre onglet"), &json!(5))
        );

        // Malformed lists: a clear 400, nothing written.
        let many: Vec<String> = (0..33).map(|i| format!("p-{i}")).collect();
        let long = "x".repeat(65);
        for bad in [many, vec![long], vec![String::new()]] {
            let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
            let a = save_after(&w, id, 5, "p-5-4", &bad, &typed("Trop")).await;
            refused(&t, &a, 400, "bad_request");
        }
        assert_eq!(get(&w, &w.alice, id).await.json["version"], 5);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn only_the_applicant_edits_staff_reads() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;
        let data = RequestData::new_draft();

        let a = get(&w, &w.bob, id).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));
        let a = save(&w, &w.bob, id, 1, "b1", &data).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));
        for path in ["/api/requests/duplicate", "/api/requests/archive"] {
            let a = post_form(&w.app, path, &[("id", &id.to_string())], Some(&w.bob)).await;
            assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"), "{path}");
        }
        let a = post_form(&w.app, "/api/requests/mine", &[], Some(&w.bob)).await;
        assert_eq!(a.json, json!([]));

        // Staff never edit, and read a request only once it is submitted
        // (a draft is its applicant's alone: not even said to exist).
        let a = get(&w, &w.instructor, id).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));
        let a = save(&w, &w.instructor, id, 1, "i1", &data).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));

        // Unknown number.
        let a = get(&w, &w.alice, id + 1000).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));
        assert_eq!(
            get(&w, &w.alice, id).await.json["version"],
            1,
            "nothing changed"
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn submission_records_terms_snapshots_and_emails_then_locks() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;

        // Incomplete: refused, saying which steps.
        let a = submit(&w, id, 1).await;
        assert_eq!(a.status, 422);
        let message = a.json["message"].as_str().unwrap_or("");
        assert!(
            message.contains("incomplète") && message.contains("étape 1"),
            "{message}"
        );

        // The box ticked on the current terms; the time is the server's.
        let data = RequestData::example();
        assert_eq!(data.terms.accepted_at, None);
        let a = save(&w, &w.alice, id, 1, "full", &data).await;
        assert_eq!(a.json["version"], 2);
        // Submitting an older version than the current one is a conflict.
        let a = submit(&w, id, 1).await;
        assert_eq!(a.code(), "conflict");
        let before = outbox(&t.db).await.len();
        let a = submit(&w, id, 2).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);

        let a = get(&w, &w.alice, id).await;
        assert_eq!(a.json["state"], "submitted");
        assert_eq!(a.json["editable"], false);
        assert_eq!(a.json["data"]["terms"]["version"], "2026-11");
        assert!(a.json["data"]["terms"]["accepted_at"].as_i64().is_some());
        let mails = outbox(&t.db).await;
        assert_eq!(
            &mails[before..],
            &[
                (
                    "request_received".to_owned(),
                    "alice@occitanie.fr".to_owned()
                ),
                (
                    "new_request".to_owned(),
                    "instructeur@beta.gouv.fr".to_owned()
                ),
            ]
        );
        let snapshots = guichet::server::db::requests::snapshots(&t.db, id)
            .await
            .expect("snapshots");
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].data.terms.version, "2026-11");

        // Submitted: no more saves, no second submission.
        let version = a.json["version"].as_i64().expect("version");
        let a = save(&w, &w.alice, id, version, "late", &data).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));
        let a = submit(&w, id, version).await;
        assert_eq!(a.code(), "not_editable");
        assert_eq!(outbox(&t.db).await.len(), before + 2, "no second email");

        // Changes requested: the applicant sees the message, edits, resubmits.
        guichet::server::db::requests::transition(
            &t.db,
            &guichet::server::db::requests::Change {
                message: Some("Précisez la durée de conservation."),
                ..guichet::server::db::requests::Change::new(
                    id,
                    guichet::domain::lifecycle::Action::RequestChanges,
                    Role::Instructor,
                    None,
                    guichet::server::db::now_ms(),
                )
            },
        )
        .await
        .expect("request changes");
        let a = get(&w, &w.alice, id).await;
        assert_eq!(a.json["state"], "changes_requested");
        assert_eq!(a.json["editable"], true);
        assert_eq!(
            a.json["changes_message"],
            "Précisez la durée de conservation."
        );
        let mut edited = RequestData::example();
        edited.legal.retention_months = "12".into();
        let a = save(&w, &w.alice, id, version, "edit", &edited).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let version = a.json["version"].as_i64().expect("version");
        let a = submit(&w, id, version).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = get(&w, &w.alice, id).await;
        assert_eq!(a.json["state"], "submitted");
        assert_eq!(a.json["changes_message"], serde_json::Value::Null);
        let snapshots = guichet::server::db::requests::snapshots(&t.db, id)
            .await
            .expect("snapshots");
        assert_eq!(snapshots.len(), 2, "one snapshot per submission");
        assert_eq!(snapshots[1].data.legal.retention_months, "12");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn duplicate_and_archive() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;
        let a = save(&w, &w.alice, id, 1, "full", &RequestData::example()).await;
        assert_eq!(a.status, 200);

        let a = post_form(
            &w.app,
            "/api/requests/duplicate",
            &[("id", &id.to_string())],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let copy = a.json.as_i64().expect("id");
        assert_ne!(copy, id);
        let a = get(&w, &w.alice, copy).await;
        assert_eq!(a.json["state"], "draft");
        assert_eq!(a.json["data"]["organisation"]["name"], "Région Occitanie");
        assert_eq!(a.json["data"]["context"]["title"], "");
        assert_eq!(a.json["data"]["terms"]["accepted"], false);

        let a = post_form(
            &w.app,
            "/api/requests/archive",
            &[("id", &copy.to_string())],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = get(&w, &w.alice, copy).await;
        assert_eq!(
            (a.json["state"].as_str(), &a.json["editable"]),
            (Some("archived"), &json!(false))
        );
        let list = post_form(&w.app, "/api/requests/mine", &[], Some(&w.alice)).await;
        let states: Vec<_> = list
            .json
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["state"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(states, vec!["draft", "archived"], "archived last");
        t.cleanup().await;
    }
}
