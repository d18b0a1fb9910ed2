//! A request handed to a colleague, on SQLite and PostgreSQL: offered by its
//! applicant (to an address of the same domain) or by staff (to any), accepted
//! once through the emailed link; the colleague becomes its applicant and sees
//! its token, which keeps working; the former applicant loses access.

use crate::common;
use crate::tokens::{Accepted, PARAMS, accepted, call};

use common::world::*;
use common::*;
use guichet::domain::lifecycle::EventKind;
use guichet::server::db;

const CLAIRE: &str = "claire@occitanie.fr";

async fn offer(w: &World, who: &str, id: i64, to: &str) -> Answer {
    post_form(
        &w.app,
        "/api/requests/transfer",
        &[("id", &id.to_string()), ("email", to)],
        Some(who),
    )
    .await
}

async fn accept_link(w: &World, token: &str) -> Answer {
    post_form(
        &w.app,
        "/api/requests/accept_transfer",
        &[("token", token)],
        None,
    )
    .await
}

#[tokio::test]
async fn a_colleague_accepts_by_email_and_the_token_keeps_working() {
    for t in TestDb::all().await {
        let Accepted {
            app,
            w,
            id,
            token,
            row,
            ..
        } = accepted(&t).await;
        let unite = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");

        // Refused, in French, on the field: another domain, oneself.
        for to in ["bob@herault.fr", "alice@occitanie.fr"] {
            let a = offer(&w, &w.alice, id, to).await;
            assert_eq!(
                (a.status.as_u16(), a.json["field"].as_str()),
                (422, Some("email")),
                "{}: {to}: {}",
                t.name,
                a.json
            );
        }
        // Another applicant cannot hand Alice's request over.
        let a = offer(&w, &w.bob, id, "bob2@herault.fr").await;
        assert_eq!(a.status, 403, "{}", a.json);

        let a = offer(&w, &w.alice, id, CLAIRE).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let got = get(&w, &w.alice, id).await;
        assert_eq!(got.json["pending_transfer"]["email"], CLAIRE);
        let link = last_token(&t.db, "transfer_offered", CLAIRE).await;
        // A second offer voids the first link.
        let a = offer(&w, &w.alice, id, CLAIRE).await;
        assert_eq!(a.status, 200);
        assert_eq!(accept_link(&w, &link).await.code(), "invalid_link");
        let link = last_token(&t.db, "transfer_offered", CLAIRE).await;
        assert_eq!(accept_link(&w, "inconnu").await.status, 410);

        // Accepted: Claire is the applicant; the link served once.
        let a = accept_link(&w, &link).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json["request_id"], id);
        let password = a.json["password_link"]
            .as_str()
            .expect("a new account")
            .to_owned();
        assert_eq!(accept_link(&w, &link).await.status, 410);
        let kinds: Vec<EventKind> = db::requests::events(&t.db, id)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.contains(&EventKind::TransferOffered)
                && kinds.contains(&EventKind::TransferAccepted)
        );
        let done = mails_of(&t.db, "transfer_done").await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, "alice@occitanie.fr");
        assert!(done[0].1.contains(CLAIRE), "{}", done[0].1);

        // Alice no longer reaches it; Claire does, and its token.
        assert_eq!(get(&w, &w.alice, id).await.status, 403);
        let space = post_form(&app, "/api/space/overview", &[], Some(&w.alice)).await;
        assert_eq!(space.json["spaces"], serde_json::json!([]));
        let choose = password.rsplit('=').next().expect("token").to_owned();
        let a = post_form(
            &app,
            "/api/auth/choose_password",
            &[("token", &choose), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let claire = sign_in(&app, CLAIRE, PASSWORD, [10, 4, 0, 1]).await;
        assert_eq!(get(&w, &claire, id).await.json["state"], "accepted");
        let shown = post_form(&app, "/api/space/reveal", &[("id", &row.id)], Some(&claire)).await;
        assert_eq!(shown.json.as_str(), Some(token.as_str()), "the same string");
        assert_eq!(call(&app, &unite, Some(&token)).await.0, 200, "{}", t.name);

        // Staff hand it to anyone; Bob accepts.
        let a = offer(&w, &w.instructor, id, "bob@herault.fr").await;
        assert_eq!(a.status, 200, "{}", a.json);
        let link = last_token(&t.db, "transfer_offered", "bob@herault.fr").await;
        let a = accept_link(&w, &link).await;
        assert_eq!(
            (a.status.as_u16(), &a.json["password_link"]),
            (200, &serde_json::Value::Null)
        );
        assert_eq!(get(&w, &w.bob, id).await.status, 200);
        assert_eq!(get(&w, &claire, id).await.status, 403);
        t.cleanup().await;
    }
}
