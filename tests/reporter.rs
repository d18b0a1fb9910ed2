//! The read-only "rapporteur": invited by an administrator, reads the
//! dashboard, the submitted requests and their live events, and decides,
//! assigns, writes and touches tokens never; on both backends.

use crate::common;
use crate::live::open;

use common::world::*;
use common::*;
use guichet::domain::lifecycle::Role;
use serde_json::json;
use std::time::Duration;

const REPORTER: &str = "rapporteur@beta.gouv.fr";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rapporteur_reads_everything_and_decides_nothing() {
    for t in TestDb::all().await {
        let st = state(t.db.clone());
        if t.name == "postgres" {
            st.live.start_listener(t.url.clone()).await;
        }
        let w = world_on(&t, guichet::server::http::router(st)).await;
        // Invited by an administrator, like instructors.
        create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
        let admin = sign_in(&w.app, "admin@beta.gouv.fr", PASSWORD, [10, 3, 0, 1]).await;
        let a = post_form(
            &w.app,
            "/api/admin/invite",
            &[("email", REPORTER), ("role", "reporter")],
            Some(&admin),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let link = last_token(&t.db, "invitation", REPORTER).await;
        let a = post_form(
            &w.app,
            "/api/auth/choose_password",
            &[("token", &link), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let accounts = post_form(&w.app, "/api/admin/accounts", &[], Some(&admin)).await;
        assert!(
            accounts
                .json
                .as_array()
                .expect("accounts")
                .iter()
                .any(|a| a["email"] == REPORTER && a["role"] == "reporter"),
            "{}",
            accounts.json
        );
        let reporter = sign_in(&w.app, REPORTER, PASSWORD, [10, 3, 0, 2]).await;
        let me = post_form(&w.app, "/api/auth/whoami", &[], Some(&reporter)).await;
        assert_eq!(me.json["role"], "reporter");

        // A draft stays its applicant's; a submitted request is read.
        let draft = create(&w).await;
        let a = post_form(
            &w.app,
            "/api/requests/get",
            &[("id", &draft.to_string())],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);
        let (mut stream_status, mut stream) = open(&w.app, &reporter, None).await;
        assert_eq!(stream_status, 200, "{}: the live stream", t.name);
        let (id, version) =
            submitted_with(&w, &guichet::domain::request::RequestData::example()).await;
        let got = stream
            .until(&format!("\"request_id\":{id}"), Duration::from_secs(5))
            .await;
        assert!(got.contains("\"kind\":\"submitted\""), "{got}");
        let dash = post_form(&w.app, "/api/instruction/dashboard", &[], Some(&reporter)).await;
        assert_eq!(dash.status, 200, "{}", dash.json);
        assert!(
            dash.json.to_string().contains(&format!("\"id\":{id}")),
            "{}",
            dash.json
        );
        let a = post_form(
            &w.app,
            "/api/requests/get",
            &[("id", &id.to_string())],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);

        // The applicant writes; the rapporteur reading the request does not
        // mark it read for the instructors.
        let a = post_form(
            &w.app,
            "/api/messages/send",
            &[("id", &id.to_string()), ("body", "Une précision")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let review = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&reporter),
        )
        .await;
        assert_eq!(review.status, 200, "{}", review.json);
        assert_eq!(review.json["decides"], false);
        assert_eq!(review.json["messages"][0]["read"], false);
        let unread = |json: &serde_json::Value| {
            json["lines"]
                .as_array()
                .and_then(|l| l.iter().find(|l| l["id"] == id))
                .map(|l| l["unread"].clone())
        };
        let dash = post_form(
            &w.app,
            "/api/instruction/dashboard",
            &[],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(unread(&dash.json), Some(json!(1)), "{}", dash.json);
        let review = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.json["decides"], true);

        // Every decision, the assignment and writing: refused.
        let id_s = id.to_string();
        for (path, body) in [
            (
                "/api/instruction/accept",
                json!({"id": id, "version": version, "scopes": [], "message": ""}),
            ),
            (
                "/api/instruction/refuse",
                json!({"id": id, "version": version, "reason": "Non."}),
            ),
            (
                "/api/instruction/request_changes",
                json!({"id": id, "version": version, "message": "Précisez.", "fields": []}),
            ),
            (
                "/api/instruction/revoke",
                json!({"id": id, "version": version, "reason": "Non."}),
            ),
        ] {
            let a = post_json(&w.app, path, &body, Some(&reporter)).await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (403, "forbidden"),
                "{}: {path}",
                t.name
            );
        }
        let a = post_form(
            &w.app,
            "/api/instruction/assign",
            &[("id", &id_s), ("take", "true")],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 403, "{}", a.json);
        for internal in ["false", "true"] {
            let a = post_form(
                &w.app,
                "/api/messages/send",
                &[("id", &id_s), ("body", "Bonjour"), ("internal", internal)],
                Some(&reporter),
            )
            .await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (403, "forbidden"),
                "{}",
                a.json
            );
            assert!(
                a.json["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("pas y écrire")
            );
        }
        assert_eq!(get(&w, &w.alice, id).await.json["state"], "submitted");

        // Accepted: the rapporteur sees the token's details, never touches it.
        let a = accept(&w, id, version, &["unites_legales_etablissements_insee"]).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let review = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id_s)],
            Some(&reporter),
        )
        .await;
        let token_id = review.json["token"]["id"]
            .as_str()
            .expect("token")
            .to_owned();
        let a = post_form(
            &w.app,
            "/api/space/reveal",
            &[("id", &token_id)],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);
        let a = post_json(
            &w.app,
            "/api/space/renew",
            &crate::trust::confirmed(&token_id),
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);
        let a = post_form(
            &w.app,
            "/api/space/renewal",
            &[("id", &token_id)],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 403, "the check is for applicants: {}", a.json);
        let a = post_form(
            &w.app,
            "/api/space/rotate",
            &[("id", &token_id), ("grace", "aucun")],
            Some(&reporter),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);
        let space = post_form(&w.app, "/api/space/overview", &[], Some(&reporter)).await;
        assert_eq!(space.json["spaces"], json!([]));

        // Deactivated like any staff account: the stream and the calls stop.
        let a = post_form(
            &w.app,
            "/api/admin/set_account_active",
            &[("email", REPORTER), ("active", "false")],
            Some(&admin),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let dash = post_form(&w.app, "/api/instruction/dashboard", &[], Some(&reporter)).await;
        assert_eq!(dash.status, 401, "{}", dash.json);
        (stream_status, stream) = open(&w.app, &reporter, None).await;
        assert_ne!(stream_status, 200);
        drop(stream);
        t.cleanup().await;
    }
}
