//! A token's string replaced (rotation), on SQLite and PostgreSQL: the old
//! string answers during the grace its holder chose, then only the new one;
//! staff can force it; another applicant of the same organisation cannot;
//! revocation beats everything; the timeline and the emails say it.

use crate::common;
use crate::tokens::{Accepted, PARAMS, TECHNICAL, accepted, call};

use common::world::*;
use common::*;
use guichet::domain::lifecycle::{EventKind, Role};
use guichet::server::db::{self, spaces};
use serde_json::{Value, json};

const HOUR_MS: i64 = 3_600_000;

fn unite() -> String {
    format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}")
}

/// The API's error code of a refused call (`None` when it answered).
async fn refusal(app: &axum::Router, token: &str) -> Option<String> {
    let (status, body, _) = call(app, &unite(), Some(token)).await;
    if status == 200 {
        return None;
    }
    assert_eq!(status, 401, "{body}");
    Some(body["errors"][0]["code"].as_str().unwrap_or("").to_owned())
}

async fn rotate(app: &axum::Router, who: &str, token_id: &str, grace: &str) -> Answer {
    post_form(
        app,
        "/api/space/rotate",
        &[("id", token_id), ("grace", grace)],
        Some(who),
    )
    .await
}

async fn reveal(app: &axum::Router, who: &str, token_id: &str) -> String {
    let a = post_form(app, "/api/space/reveal", &[("id", token_id)], Some(who)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json.as_str().expect("string").to_owned()
}

async fn current_strings(t: &TestDb, token_id: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM token_strings WHERE token_id = $1 AND retired_at IS NULL",
    )
    .bind(token_id)
    .fetch_one(&t.db.pool)
    .await
    .expect("count");
    n
}

#[tokio::test]
async fn the_old_string_answers_for_its_grace_then_only_the_new_one() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id,
            row,
            token: old,
            runtime,
            keys,
        } = accepted(&t).await;
        assert_eq!(refusal(&app, &old).await, None, "{}", t.name);

        // Another applicant of the same organisation, and of another one:
        // the same 404 as an unknown token.
        create_account(&t.db, "carol@occitanie.fr", PASSWORD, Role::Applicant).await;
        let carol = sign_in(&app, "carol@occitanie.fr", PASSWORD, [10, 1, 0, 7]).await;
        for who in [&carol, &w.bob] {
            let a = rotate(&app, who, &row.id, "24h").await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (404, "not_found"),
                "{}",
                t.name
            );
        }
        // A grace that is not offered: a French error on the field.
        let a = rotate(&app, &w.alice, &row.id, "90j").await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("grace")),
            "{}",
            a.json
        );
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("24 heures")
        );
        assert_eq!(current_strings(&t, &row.id).await, 1);

        // Alice replaces it with 24 hours of grace.
        let before = db::now_ms();
        let a = rotate(&app, &w.alice, &row.id, "24h").await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let end = a.json.as_i64().expect("the old string's end");
        assert!(
            (before + 24 * HOUR_MS..=db::now_ms() + 24 * HOUR_MS).contains(&end),
            "{end}"
        );
        let new = reveal(&app, &w.alice, &row.id).await;
        assert_ne!(new, old);
        let claims = keys.verify(&new).expect("signed here");
        assert_eq!(claims.uid, row.id, "the same authorisation");
        assert_ne!(claims.jti, row.id, "a new jti");
        // The technical contact is shown the same new string.
        choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        let tech = sign_in(&app, TECHNICAL, PASSWORD, [10, 1, 0, 9]).await;
        assert_eq!(reveal(&app, &tech, &row.id).await, new);

        // Both answer during the grace, with the same scopes and limits.
        assert_eq!(refusal(&app, &old).await, None, "{}", t.name);
        assert_eq!(refusal(&app, &new).await, None, "{}", t.name);
        let space = post_form(&app, "/api/space/overview", &[], Some(&w.alice)).await;
        let strings = &space.json["spaces"][0]["tokens"][0]["strings"];
        assert_eq!(
            strings.as_array().map(Vec::len),
            Some(2),
            "{space:?}",
            space = space.json
        );
        assert_eq!(strings[0]["ends_at"], Value::Null, "the new one first");
        assert_eq!(strings[1]["ends_at"], json!(end));
        assert!(!space.json.to_string().contains(common::JWT_PREFIX));
        // Staff see the same, never the strings.
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.json["token"]["strings"][1]["ends_at"], json!(end));
        assert!(!review.json.to_string().contains(common::JWT_PREFIX));

        // The timeline and the emails (applicant and technical contact).
        let events = db::requests::events(&t.db, id).await.expect("events");
        let e = events
            .iter()
            .find(|e| e.kind == EventKind::TokenRotated)
            .expect("a rotation event");
        let message = e.message.clone().unwrap_or_default();
        assert!(message.contains("alice@occitanie.fr"), "{message}");
        assert!(message.contains("accepté jusqu’au"), "{message}");
        let mails = mails_of(&t.db, "token_rotated").await;
        let to: Vec<&str> = mails.iter().map(|(to, _)| to.as_str()).collect();
        assert_eq!(to, ["alice@occitanie.fr", TECHNICAL], "{}", t.name);
        assert!(
            mails[0].1.contains("Une personne de votre organisation"),
            "{}",
            mails[0].1
        );
        assert!(
            mails[0].1.contains("reste accepté jusqu’au"),
            "{}",
            mails[0].1
        );

        // The grace ends (moved back by hand): only the new string answers.
        sqlx::query("UPDATE token_strings SET retired_at = $1 WHERE jti = $2")
            .bind(db::now_ms() - 1)
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("end of grace");
        runtime.forget_all();
        assert_eq!(
            refusal(&app, &old).await.as_deref(),
            Some("00105"),
            "{}",
            t.name
        );
        let (_, body, _) = call(&app, &unite(), Some(&old)).await;
        assert!(
            body["errors"][0]["detail"]
                .as_str()
                .unwrap_or("")
                .contains("remplacé"),
            "{body}"
        );
        assert_eq!(refusal(&app, &new).await, None, "{}", t.name);
        let space = post_form(&app, "/api/space/overview", &[], Some(&w.alice)).await;
        assert_eq!(
            space.json["spaces"][0]["tokens"][0]["strings"]
                .as_array()
                .map(Vec::len),
            Some(1),
            "an ended string is not listed"
        );

        // Staff force a rotation with no grace: the string Alice deployed is
        // refused at once (no cache to wait for), the newest answers.
        let a = rotate(&app, &w.instructor, &row.id, "aucun").await;
        assert_eq!(
            (a.status.as_u16(), &a.json),
            (200, &Value::Null),
            "{}",
            t.name
        );
        assert_eq!(
            refusal(&app, &new).await.as_deref(),
            Some("00105"),
            "{}",
            t.name
        );
        let newest = reveal(&app, &w.alice, &row.id).await;
        assert_eq!(refusal(&app, &newest).await, None, "{}", t.name);
        let mails = mails_of(&t.db, "token_rotated").await;
        assert_eq!(mails.len(), 4);
        assert!(
            mails[3].1.contains("L’équipe d’instruction"),
            "{}",
            mails[3].1
        );
        assert!(
            mails[3].1.contains("refusé dès maintenant"),
            "{}",
            mails[3].1
        );
        // Staff never display the string.
        let a = post_form(
            &app,
            "/api/space/reveal",
            &[("id", &row.id)],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 404);

        // Revocation beats everything: every string refused, no rotation.
        let a = revoke(&w, id, "Usage non conforme.").await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(refusal(&app, &newest).await.as_deref(), Some("00105"));
        let a = rotate(&app, &w.alice, &row.id, "24h").await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}",
            a.json
        );
        assert_eq!(current_strings(&t, &row.id).await, 1);
        t.cleanup().await;
    }
}

/// A grace never outlives the authorisation, and a second rotation never
/// lengthens the first one's grace.
#[tokio::test]
async fn a_grace_is_never_lengthened() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            row,
            token: first,
            ..
        } = accepted(&t).await;
        let a = rotate(&app, &w.alice, &row.id, "24h").await;
        let first_end = a.json.as_i64().expect("end");
        let second = reveal(&app, &w.alice, &row.id).await;
        let a = rotate(&app, &w.alice, &row.id, "30j").await;
        let second_end = a.json.as_i64().expect("end");
        assert!(second_end > first_end + 28 * 24 * HOUR_MS);
        let ends: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT jti, retired_at FROM token_strings WHERE token_id = $1 ORDER BY issued_at, jti",
        )
        .bind(&row.id)
        .fetch_all(&t.db.pool)
        .await
        .expect("strings");
        let end_of = |jti: &str| ends.iter().find(|(j, _)| j == jti).and_then(|(_, e)| *e);
        assert_eq!(end_of(&row.id), Some(first_end), "{}: kept at 24 h", t.name);
        assert_eq!(ends.iter().filter(|(_, e)| e.is_none()).count(), 1);
        assert_eq!(refusal(&app, &first).await, None);
        assert_eq!(refusal(&app, &second).await, None);

        // Near expiry: the grace stops with the token.
        let soon = db::now_ms() + 2 * 24 * HOUR_MS;
        sqlx::query("UPDATE tokens SET expires_at = $1 WHERE id = $2")
            .bind(soon)
            .bind(&row.id)
            .execute(&t.db.pool)
            .await
            .expect("expiry");
        let a = rotate(&app, &w.alice, &row.id, "7j").await;
        assert_eq!(a.json, json!(soon), "{}", t.name);
        t.cleanup().await;
    }
}

/// Two rotations of one token at the same moment: both are answered (one
/// after the other), never a server error, and one string stays current.
#[tokio::test]
async fn concurrent_rotations_leave_one_current_string() {
    for t in TestDb::all().await {
        let Accepted { app, w, row, .. } = accepted(&t).await;
        let (a, b) = tokio::join!(
            rotate(&app, &w.alice, &row.id, "24h"),
            rotate(&app, &w.instructor, &row.id, "7j"),
        );
        for x in [&a, &b] {
            assert!(
                matches!(x.status.as_u16(), 200 | 409),
                "{}: {} {}",
                t.name,
                x.status,
                x.json
            );
        }
        assert_eq!(current_strings(&t, &row.id).await, 1, "{}", t.name);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM token_strings WHERE token_id = $1")
            .bind(&row.id)
            .fetch_one(&t.db.pool)
            .await
            .expect("count");
        let done = [&a, &b].iter().filter(|x| x.status == 200).count() as i64;
        assert_eq!(n, 1 + done, "{}", t.name);
        let _ = spaces::token(&t.db, &row.id).await.expect("db");
        t.cleanup().await;
    }
}
