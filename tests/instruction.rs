//! The instructors' decisions through the real router, on SQLite and
//! PostgreSQL: ask for changes (message, fields), the applicant's
//! resubmission, refuse, accept with fewer scopes; each with its event and
//! email; repeated or stale decisions change nothing.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::request::RequestData;
use serde_json::{Value, json};

/// The example request of Alice's, submitted; answers its id and version.
async fn submitted(w: &World) -> (i64, i64) {
    submitted_with(w, &RequestData::example()).await
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
            .map(|e| e.kind.as_str().to_owned())
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
        assert_eq!(last.kind.as_str(), "accepted");
        assert_eq!(last.message.as_deref(), Some("Bienvenue."));
        let payload: Value =
            serde_json::from_str(last.payload.as_deref().unwrap_or("")).expect("payload");
        assert_eq!(payload, json!({ "scopes": granted }));
        let mails = outbox(&t.db).await;
        // The applicant and the technical contact (tests/tokens.rs: what
        // the acceptance grants them).
        let accepted: Vec<&str> = mails
            .iter()
            .filter(|(k, _)| k == "request_accepted")
            .map(|(_, to)| to.as_str())
            .collect();
        assert_eq!(accepted, ["alice@occitanie.fr", "technique@occitanie.fr"]);
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

/// Writes in the conversation of request `id` (`internal`: a note).
async fn send(w: &World, cookie: &str, id: i64, body: &str, internal: bool) -> Answer {
    let id = id.to_string();
    let mut args = vec![("id", id.as_str()), ("body", body)];
    if internal {
        args.push(("internal", "true"));
    }
    post_form(&w.app, "/api/messages/send", &args, Some(cookie)).await
}

async fn dashboard(w: &World, cookie: &str, args: &[(&str, &str)]) -> Answer {
    let a = post_form(&w.app, "/api/instruction/dashboard", args, Some(cookie)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    a
}

fn ids(a: &Answer) -> Vec<i64> {
    a.json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["id"].as_i64())
        .collect()
}

#[tokio::test]
async fn the_dashboard_filters_sorts_and_counts() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (first, _) = submitted(&w).await;
        let (second, v2) = submitted(&w).await;
        // A draft stays private to its applicant.
        let draft = create(&w).await;

        let a = dashboard(&w, &w.instructor, &[]).await;
        assert_eq!(
            ids(&a),
            [first, second],
            "{}: oldest waiting first: {}",
            t.name,
            a.json
        );
        assert_eq!(a.json["total"], 2);
        assert!(!ids(&a).contains(&draft));
        let counts = a.json["counts"].to_string();
        assert!(counts.contains("[\"submitted\",2]"), "{counts}");
        assert!(!counts.contains("draft"), "{counts}");
        let line = &a.json["lines"][0];
        assert_eq!(line["applicant_email"], "alice@occitanie.fr");
        assert_eq!(
            line["organisation"],
            RequestData::example().organisation.name
        );
        assert_eq!(
            line["sensitive"],
            RequestData::example()
                .data
                .scopes
                .iter()
                .any(|s| { guichet::domain::scopes::find(s).is_some_and(|sc| sc.sensitive) })
        );

        let a = dashboard(&w, &w.instructor, &[("sort", "recentes")]).await;
        assert_eq!(ids(&a), [second, first]);

        // "Je m'en occupe", then "assigned to me" / "unassigned".
        let a = post_form(
            &w.app,
            "/api/instruction/assign",
            &[("id", &second.to_string()), ("take", "true")],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = dashboard(&w, &w.instructor, &[("assigned", "moi")]).await;
        assert_eq!(ids(&a), [second]);
        assert_eq!(
            a.json["lines"][0]["assigned_email"],
            "instructeur@beta.gouv.fr"
        );
        assert_eq!(a.json["lines"][0]["assigned_to_me"], true);
        let a = dashboard(&w, &w.instructor, &[("assigned", "personne")]).await;
        assert_eq!(ids(&a), [first]);
        let a = post_form(
            &w.app,
            "/api/instruction/assign",
            &[("id", &draft.to_string()), ("take", "true")],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 404, "a draft cannot be taken");

        // State filter, search by number, SIRET, email; wildcards are literal.
        let a = post_json(
            &w.app,
            "/api/instruction/refuse",
            &json!({
                "id": second, "version": v2, "reason": "Hors champ."
            }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = dashboard(&w, &w.instructor, &[("state", "refused")]).await;
        assert_eq!(ids(&a), [second]);
        let a = dashboard(&w, &w.instructor, &[("q", &first.to_string())]).await;
        assert!(ids(&a).contains(&first));
        let siret = RequestData::example().organisation.siret;
        let a = dashboard(&w, &w.instructor, &[("q", &siret[..9])]).await;
        assert_eq!(ids(&a), [first, second]);
        let a = dashboard(&w, &w.instructor, &[("q", "ALICE@occitanie")]).await;
        assert_eq!(a.json["total"], 2);
        let a = dashboard(&w, &w.instructor, &[("q", "%")]).await;
        assert_eq!(a.json["total"], 0);
        let a = dashboard(&w, &w.instructor, &[("state", "draft")]).await;
        assert!(
            !ids(&a).contains(&draft),
            "the state filter cannot reach drafts"
        );
        // Pages beyond the end are empty, not errors.
        let a = dashboard(&w, &w.instructor, &[("page", "99")]).await;
        assert_eq!(ids(&a), Vec::<i64>::new());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn review_shows_the_differences_and_the_conversation() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (id, version) = submitted(&w).await;

        // The applicant writes; the instructors are told, and see it unread.
        let a = send(&w, &w.alice, id, "Le <b>DPO</b> a changé.", false).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = send(&w, &w.alice, id, "Note", true).await;
        assert_eq!(a.status, 403, "applicants write no internal notes");
        let a = send(&w, &w.bob, id, "Intrus", false).await;
        assert_eq!(a.status, 403);
        assert_eq!(
            outbox(&t.db).await.last().map(|m| m.0.as_str()),
            Some("new_message")
        );
        let a = dashboard(&w, &w.instructor, &[]).await;
        assert_eq!(a.json["lines"][0]["unread"], 1);

        // An internal note, then a question to the applicant.
        let a = send(&w, &w.instructor, id, "Vérifier la délibération.", true).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let mails = outbox(&t.db).await.len();
        let a = send(&w, &w.instructor, id, "Merci, c’est noté.", false).await;
        assert_eq!(a.status, 200);
        assert_eq!(
            outbox(&t.db).await.len(),
            mails + 1,
            "the note sent no email, the reply one"
        );

        // Opening the review marks the applicant's message read.
        let a = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["submission_no"], 1);
        assert_eq!(a.json["changes"], json!([]));
        assert_eq!(a.json["messages"].as_array().map(Vec::len), Some(3));
        assert_eq!(a.json["messages"][0]["body"], "Le <b>DPO</b> a changé.");
        assert_eq!(a.json["messages"][1]["internal"], true);
        let a = dashboard(&w, &w.instructor, &[]).await;
        assert_eq!(a.json["lines"][0]["unread"], 0);

        // The applicant sees one unread message in "Mes demandes" (the reply,
        // not the note), read once the conversation is opened.
        let a = post_form(&w.app, "/api/requests/mine", &[], Some(&w.alice)).await;
        assert_eq!(a.json[0]["unread"], 1, "{}", a.json);

        // The applicant never sees the note.
        let a = post_form(
            &w.app,
            "/api/messages/list",
            &[("id", &id.to_string())],
            Some(&w.alice),
        )
        .await;
        let bodies: Vec<&str> = a
            .json
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|m| m["body"].as_str())
            .collect();
        assert_eq!(bodies, ["Le <b>DPO</b> a changé.", "Merci, c’est noté."]);
        assert_eq!(a.json[1]["author"], "L’équipe d’instruction");
        let a = post_form(&w.app, "/api/requests/mine", &[], Some(&w.alice)).await;
        assert_eq!(a.json[0]["unread"], 0, "read once opened");
        let a = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 403);

        // Changes asked, made, resubmitted: the review lists what changed.
        let a = post_json(&w.app, "/api/instruction/request_changes", &json!({
            "id": id, "version": version, "message": "Changez l’intitulé.", "fields": ["context.title"]
        }), Some(&w.instructor)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let current = get(&w, &w.alice, id).await;
        let mut data: RequestData =
            serde_json::from_value(current.json["data"].clone()).expect("data");
        let before = data.context.title.clone();
        data.context.title = "Instruction des aides régionales".into();
        let v = current.json["version"].as_i64().expect("version");
        assert_eq!(save(&w, &w.alice, id, v, "titre", &data).await.status, 200);
        assert_eq!(submit(&w, id, v + 1).await.status, 200);
        let a = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.json["submission_no"], 2);
        assert_eq!(
            a.json["changes"],
            json!([{ "field": "context.title", "label": "Intitulé de la demande",
                     "before": before, "after": "Instruction des aides régionales" }])
        );
        let kinds: Vec<&str> = a.json["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        // Both messages to the other side are in the timeline; the note is not.
        assert_eq!(
            kinds,
            [
                "created",
                "submitted",
                "message_sent",
                "message_sent",
                "changes_requested",
                "resubmitted"
            ]
        );
        t.cleanup().await;
    }
}

/// The counts the triggers keep equal a real count of the table.
async fn counts_agree(t: &TestDb) {
    let kept: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, n FROM request_counts WHERE n <> 0 ORDER BY state")
            .fetch_all(&t.db.pool)
            .await
            .expect("kept counts");
    let real: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&t.db.pool)
            .await
            .expect("real counts");
    assert_eq!(kept, real, "{}", t.name);
    // The queue's counts, per combination of its filters, of submitted
    // requests only.
    let columns = "state, assigned_to, sensitive, template_slug, kind, agent_link";
    let kept: Vec<(String, i64, i64, String, String, String, i64)> = sqlx::query_as(&format!(
        "SELECT {columns}, n FROM queue_counts WHERE n <> 0 ORDER BY {columns}"
    ))
    .fetch_all(&t.db.pool)
    .await
    .expect("kept queue counts");
    let real: Vec<(String, i64, i64, String, String, String, i64)> = sqlx::query_as(&format!(
        "SELECT {columns}, CAST(COUNT(*) AS BIGINT) FROM (SELECT state, \
         COALESCE(assigned_to, 0) AS assigned_to, sensitive, \
         COALESCE(template_slug, '') AS template_slug, kind, \
         COALESCE(agent_link, '') AS agent_link FROM requests \
         WHERE submitted_at IS NOT NULL) AS r GROUP BY {columns} ORDER BY {columns}"
    ))
    .fetch_all(&t.db.pool)
    .await
    .expect("real queue counts");
    assert_eq!(kept, real, "{}", t.name);
}

#[tokio::test]
async fn the_dashboard_search_folds_accents_and_follows_edits() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (id, version) = submitted(&w).await;
        // Accents, case, spaces, curly apostrophes: "Région Occitanie",
        // "Pré-remplissage des formulaires d’aides", SIRET "200 053 791 00014".
        for q in [
            "region occitanie",
            "RÉGION",
            "pre-remplissage des formulaires d'aides",
            "200 053 791",
            "00014",
            "alice@OCCITANIE.fr",
            &id.to_string(),
        ] {
            let a = dashboard(&w, &w.instructor, &[("q", q)]).await;
            assert_eq!(ids(&a), [id], "{}: search {q:?}: {}", t.name, a.json);
        }
        for q in ["regions", "occitanie région", "200 053 792"] {
            let a = dashboard(&w, &w.instructor, &[("q", q)]).await;
            assert_eq!(ids(&a), Vec::<i64>::new(), "{}: search {q:?}", t.name);
        }

        // Changes asked, the title edited, resubmitted: the search follows.
        let a = decide(
            &w,
            &w.instructor,
            "request_changes",
            json!({ "id": id, "version": version, "message": "Précisez.", "fields": [] }),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let current = get(&w, &w.alice, id).await.json["version"]
            .as_i64()
            .expect("version");
        let mut data = RequestData::example();
        data.context.title = "Instruction des subventions aux Écoles".into();
        let a = save(&w, &w.alice, id, current, "titre", &data).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = submit(&w, id, current + 1).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = dashboard(&w, &w.instructor, &[("q", "subventions aux ecoles")]).await;
        assert_eq!(ids(&a), [id], "{}: the new title", t.name);
        let a = dashboard(&w, &w.instructor, &[("q", "pre-remplissage")]).await;
        assert_eq!(ids(&a), Vec::<i64>::new(), "{}: the old title", t.name);
        counts_agree(&t).await;
        t.cleanup().await;
    }
}

/// Every filter but the search is counted from the kept counts: they follow
/// each change of a counted column, and the dashboard's total equals a real
/// count of the rows it filters.
#[tokio::test]
async fn the_queue_counts_follow_every_filter() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let mut ids = Vec::new();
        let mut versions = Vec::new();
        for _ in 0..4 {
            let (id, version) = submitted(&w).await;
            ids.push(id);
            versions.push(version);
        }
        let draft = create(&w).await;
        let instructor: (i64,) =
            sqlx::query_as("SELECT id FROM users WHERE email = 'instructeur@beta.gouv.fr'")
                .fetch_one(&t.db.pool)
                .await
                .expect("instructor");
        let exec = |sql: String| {
            let pool = t.db.pool.clone();
            async move {
                sqlx::query(&sql).execute(&pool).await.expect(&sql);
            }
        };
        exec(format!(
            "UPDATE requests SET template_slug = 'marches-publics' WHERE id IN ({}, {})",
            ids[0], ids[1]
        ))
        .await;
        exec(format!(
            "UPDATE requests SET kind = 'update', agent_link = 'proconnect' WHERE id = {}",
            ids[1]
        ))
        .await;
        exec(format!(
            "UPDATE requests SET sensitive = 1, assigned_to = {} WHERE id IN ({}, {})",
            instructor.0, ids[2], ids[3]
        ))
        .await;
        // A draft's changes are not counted; its submission is.
        exec(format!(
            "UPDATE requests SET template_slug = 'marches-publics' WHERE id = {draft}"
        ))
        .await;
        counts_agree(&t).await;
        let a = decide(
            &w,
            &w.instructor,
            "refuse",
            json!({ "id": ids[3], "version": versions[3], "reason": "Hors du cadre" }),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        exec(format!(
            "UPDATE requests SET template_slug = NULL, agent_link = 'proconnect' WHERE id = {}",
            ids[0]
        ))
        .await;
        exec(format!(
            "UPDATE requests SET submitted_at = updated_at, state = 'submitted' WHERE id = {draft}"
        ))
        .await;
        counts_agree(&t).await;
        exec(format!(
            "INSERT INTO requests (state, applicant_id, title, organisation_name, data, version, \
             created_at, updated_at, submitted_at, sensitive) SELECT 'submitted', applicant_id, \
             'Copie', 'Commune', '{{}}', 1, 1, 1, 1, 1 FROM requests WHERE id = {}",
            ids[0]
        ))
        .await;
        counts_agree(&t).await;
        exec("DELETE FROM requests WHERE title = 'Copie'".into()).await;
        counts_agree(&t).await;

        let real = |filter: &str| {
            let pool = t.db.pool.clone();
            let sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM requests \
                 WHERE submitted_at IS NOT NULL{filter}"
            );
            async move {
                let n: (i64,) = sqlx::query_as(&sql).fetch_one(&pool).await.expect(&sql);
                n.0
            }
        };
        let me = instructor.0;
        let cases: [(&[(&str, &str)], String); 8] = [
            (&[], String::new()),
            (&[("state", "refused")], " AND state = 'refused'".into()),
            (&[("assigned", "moi")], format!(" AND assigned_to = {me}")),
            (
                &[("assigned", "personne")],
                " AND assigned_to IS NULL".into(),
            ),
            (
                &[
                    ("assigned", "moi"),
                    ("sensitive", "1"),
                    ("state", "submitted"),
                ],
                format!(" AND assigned_to = {me} AND sensitive = 1 AND state = 'submitted'"),
            ),
            (
                &[("modele", "marches-publics")],
                " AND template_slug = 'marches-publics'".into(),
            ),
            (&[("nature", "mise_a_jour")], " AND kind = 'update'".into()),
            (
                &[("rattachement", "proconnect")],
                " AND agent_link = 'proconnect'".into(),
            ),
        ];
        for (args, filter) in cases {
            let expected = real(&filter).await;
            let a = dashboard(&w, &w.instructor, args).await;
            assert_eq!(a.json["total"], expected, "{}: {args:?}", t.name);
            assert_eq!(
                a.json["lines"].as_array().map(Vec::len),
                Some(usize::try_from(expected).expect("count")),
                "{}: {args:?}",
                t.name
            );
        }
        assert!(
            real(" AND agent_link = 'proconnect'").await == 2,
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_dashboard_search_with_many_matches() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (own, _) = submitted(&w).await;
        // 1,500 submitted requests written without their search column (as
        // before the migration that made it), then filled as at start-up.
        let applicant: (i64,) = sqlx::query_as("SELECT applicant_id FROM requests WHERE id = $1")
            .bind(own)
            .fetch_one(&t.db.pool)
            .await
            .expect("applicant");
        let now = guichet::server::db::now_ms();
        for chunk in 0..3 {
            let mut sql = String::from(
                "INSERT INTO requests (state, applicant_id, title, organisation_name, siret, \
                 data, version, created_at, updated_at, submitted_at) VALUES ",
            );
            for k in 0..500 {
                let n = chunk * 500 + k;
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('submitted', {}, 'Cas n° {n}', 'Commune de Bèze', '{:014}', '{{}}', 1, \
                     {now}, {now}, {})",
                    applicant.0,
                    30_000_000_000_000u64 + n as u64,
                    now - 1_000_000 + n
                ));
            }
            sqlx::query(&sql).execute(&t.db.pool).await.expect("insert");
        }
        let filled = guichet::server::db::requests::fill_search(&t.db)
            .await
            .expect("fill");
        assert_eq!(filled, 1500, "{}", t.name);
        counts_agree(&t).await;

        // Broad: every one of them, oldest first, page by page; counted up
        // to 1,000 ("more than 1,000: refine"), paged up to page 40.
        let a = dashboard(&w, &w.instructor, &[("q", "beze")]).await;
        assert_eq!(
            (&a.json["total"], &a.json["more"]),
            (&json!(1000), &json!(true)),
            "{}: {}",
            t.name,
            a.json
        );
        assert_eq!(a.json["lines"][0]["title"], "Cas n° 0");
        assert_eq!(a.json["lines"][24]["title"], "Cas n° 24");
        let a = dashboard(&w, &w.instructor, &[("q", "BÈZE"), ("page", "60")]).await;
        assert_eq!(a.json["page"], 40, "{}", t.name);
        assert_eq!(a.json["lines"][24]["title"], "Cas n° 999", "{}", t.name);
        let a = dashboard(&w, &w.instructor, &[("q", "beze"), ("sort", "recentes")]).await;
        assert_eq!(a.json["lines"][0]["title"], "Cas n° 1499", "{}", t.name);
        // Narrow, in the same rows.
        let a = dashboard(&w, &w.instructor, &[("q", "cas n° 1234")]).await;
        assert_eq!(a.json["total"], 1, "{}: {}", t.name, a.json);
        assert_eq!(a.json["lines"][0]["title"], "Cas n° 1234");
        // Its number is looked up, the whole term checked on what is found:
        // 123 and 1230–1239; "1234" elsewhere than after "beze ", nowhere.
        let a = dashboard(&w, &w.instructor, &[("q", "Cas n° 123")]).await;
        assert_eq!(a.json["total"], 11, "{}: {}", t.name, a.json);
        let a = dashboard(&w, &w.instructor, &[("q", "bèze 1234")]).await;
        assert_eq!(a.json["total"], 0, "{}: {}", t.name, a.json);
        let a = dashboard(
            &w,
            &w.instructor,
            &[("q", "cas n° 12"), ("sort", "recentes")],
        )
        .await;
        // 12, 120–129, 1200–1299.
        assert_eq!(a.json["total"], 111, "{}: {}", t.name, a.json);
        assert_eq!(a.json["lines"][0]["title"], "Cas n° 1299");
        // Digits: a SIRET's end, or a request's number.
        let a = dashboard(&w, &w.instructor, &[("q", "3000 0000 0014 99")]).await;
        assert_eq!(a.json["total"], 1, "{}: {}", t.name, a.json);
        // (The own request, number 1, is the newest; "1" is in 700 others.)
        let a = dashboard(
            &w,
            &w.instructor,
            &[("q", &own.to_string()), ("sort", "recentes")],
        )
        .await;
        assert_eq!(ids(&a)[0], own, "{}: {}", t.name, a.json);
        // Combined with the state filter.
        let a = dashboard(&w, &w.instructor, &[("q", "beze"), ("state", "refused")]).await;
        assert_eq!(a.json["total"], 0, "{}", t.name);
        t.cleanup().await;
    }
}
