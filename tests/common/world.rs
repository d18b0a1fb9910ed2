//! A small world for request tests: two applicants and an instructor,
//! signed in, and the calls the applicant's pages make.

use super::*;
use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use serde_json::json;

pub const PASSWORD: &str = "cheval agrafe batterie correcte";

pub struct World {
    pub app: axum::Router,
    pub alice: String,
    pub bob: String,
    pub instructor: String,
}

/// Alice and Bob (applicants) and an instructor, signed in on the real router.
pub async fn world(t: &TestDb) -> World {
    world_on(t, app(t.db.clone())).await
}

/// `world` on a router of the caller's.
pub async fn world_on(t: &TestDb, app: axum::Router) -> World {
    create_account(&t.db, "alice@occitanie.fr", PASSWORD, Role::Applicant).await;
    create_account(&t.db, "bob@herault.fr", PASSWORD, Role::Applicant).await;
    create_account(
        &t.db,
        "instructeur@beta.gouv.fr",
        PASSWORD,
        Role::Instructor,
    )
    .await;
    let alice = sign_in(&app, "alice@occitanie.fr", PASSWORD, [10, 1, 0, 1]).await;
    let bob = sign_in(&app, "bob@herault.fr", PASSWORD, [10, 1, 0, 2]).await;
    let instructor = sign_in(&app, "instructeur@beta.gouv.fr", PASSWORD, [10, 1, 0, 3]).await;
    World {
        app,
        alice,
        bob,
        instructor,
    }
}

pub async fn create(w: &World) -> i64 {
    let a = post_form(&w.app, "/api/requests/create", &[], Some(&w.alice)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json.as_i64().expect("id")
}

pub async fn save(
    w: &World,
    cookie: &str,
    id: i64,
    version: i64,
    save_id: &str,
    data: &RequestData,
) -> Answer {
    post_json(
        &w.app,
        "/api/requests/save",
        &json!({ "id": id, "version": version, "save_id": save_id, "data": data }),
        Some(cookie),
    )
    .await
}

/// `save` naming the device's earlier saves over `version` that got no answer.
pub async fn save_after(
    w: &World,
    id: i64,
    version: i64,
    save_id: &str,
    earlier: &[&str],
    data: &RequestData,
) -> Answer {
    post_json(
        &w.app,
        "/api/requests/save",
        &json!({ "id": id, "version": version, "save_id": save_id, "earlier": earlier, "data": data }),
        Some(&w.alice),
    )
    .await
}

pub async fn submit(w: &World, id: i64, version: i64) -> Answer {
    post_form(
        &w.app,
        "/api/requests/submit",
        &[("id", &id.to_string()), ("version", &version.to_string())],
        Some(&w.alice),
    )
    .await
}

pub async fn get(w: &World, cookie: &str, id: i64) -> Answer {
    post_form(
        &w.app,
        "/api/requests/get",
        &[("id", &id.to_string())],
        Some(cookie),
    )
    .await
}

/// A request of Alice's with `data`, saved and submitted; answers its id
/// and its version after the submission.
pub async fn submitted_with(w: &World, data: &RequestData) -> (i64, i64) {
    let id = create(w).await;
    let a = save(w, &w.alice, id, 1, "complet", data).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let a = submit(w, id, 2).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let version = get(w, &w.alice, id).await.json["version"]
        .as_i64()
        .expect("version");
    (id, version)
}

/// The current version of request `id`, as its applicant reads it.
pub async fn version_of(w: &World, id: i64) -> i64 {
    get(w, &w.alice, id).await.json["version"]
        .as_i64()
        .expect("version")
}

/// The instructor revokes accepted request `id` (at its current version).
pub async fn revoke(w: &World, id: i64, reason: &str) -> Answer {
    let version = version_of(w, id).await;
    post_json(
        &w.app,
        "/api/instruction/revoke",
        &json!({ "id": id, "version": version, "reason": reason }),
        Some(&w.instructor),
    )
    .await
}

/// The instructor accepts request `id` at `version` with these scopes (and
/// the message "Bienvenue.").
pub async fn accept(w: &World, id: i64, version: i64, scopes: &[&str]) -> Answer {
    post_json(
        &w.app,
        "/api/instruction/accept",
        &json!({ "id": id, "version": version, "scopes": scopes, "message": "Bienvenue." }),
        Some(&w.instructor),
    )
    .await
}

/// `email` chooses the password `PASSWORD` through the link of the last
/// acceptance email sent to it.
pub async fn choose_password_from_acceptance(w: &World, db: &Db, email: &str) -> Answer {
    let link = last_token(db, "request_accepted", email).await;
    post_form(
        &w.app,
        "/api/auth/choose_password",
        &[("token", &link), ("password", PASSWORD)],
        None,
    )
    .await
}
