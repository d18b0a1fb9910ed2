//! Accounts and sessions through the real router, on SQLite and PostgreSQL:
//! registration, confirmation, sign-in, sign-out, reset, change, invitations,
//! session fixation, timeouts, enumeration, link reuse and expiry, rate
//! limits, cross-site posts.

use crate::common;

use common::*;
use guichet::domain::lifecycle::Role;
use guichet::server::auth::accounts;
use guichet::server::db;

const PASSWORD: &str = "cheval agrafe batterie correcte";
const NEW_PASSWORD: &str = "une autre phrase bien longue";

#[tokio::test]
async fn register_confirm_login_logout() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        let email = "camille.martin@occitanie.fr";

        // A common password is refused, with the field named.
        let a = post_form(
            &app,
            "/api/auth/register",
            &[("email", email), ("password", "motdepasse")],
            None,
        )
        .await;
        assert_eq!(a.status, 422, "{}", t.name);
        assert_eq!(a.json["field"], "password");
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("trop courant")
        );
        let a = post_form(
            &app,
            "/api/auth/register",
            &[("email", "pas-une-adresse"), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("email"))
        );
        assert!(
            outbox(&t.db).await.is_empty(),
            "nothing sent for refused forms"
        );

        // Registration: mixed case and spaces are normalised.
        let a = post_form(
            &app,
            "/api/auth/register",
            &[
                ("email", "  Camille.Martin@Occitanie.fr "),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(
            outbox(&t.db).await,
            vec![("email_confirmation".to_owned(), email.to_owned())]
        );
        let first = last_token(&t.db, "email_confirmation", email).await;

        // Not confirmed yet: sign-in refused, a new link sent, the first voided.
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", email), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "email_not_confirmed"));
        assert!(a.set_cookie.is_none(), "no session before confirmation");
        let second = last_token(&t.db, "email_confirmation", email).await;
        assert_ne!(first, second);
        let a = post_form(&app, "/api/auth/confirm_email", &[("token", &first)], None).await;
        assert_eq!((a.status.as_u16(), a.code()), (410, "invalid_link"));
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("plus récent")
        );

        // Confirmation, once.
        let a = post_form(&app, "/api/auth/confirm_email", &[("token", &second)], None).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = post_form(&app, "/api/auth/confirm_email", &[("token", &second)], None).await;
        assert_eq!((a.status.as_u16(), a.code()), (410, "invalid_link"));
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("déjà servi")
        );

        // Sign-in: cookie HttpOnly, SameSite=Lax, not Secure over http.
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", email), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json, "/demandes");
        let set_cookie = a.set_cookie.clone().expect("session cookie");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        assert!(!set_cookie.contains("Secure"), "{set_cookie}");
        let cookie = cookie_pair(&set_cookie);
        assert_eq!(whoami(&app, Some(&cookie)).await.as_deref(), Some(email));
        assert_eq!(whoami(&app, None).await, None);

        // Back to the page that asked for the sign-in, never to another site.
        for (suite, target) in [
            (
                "/demandes/nouvelle?modele=marches-publics",
                "/demandes/nouvelle?modele=marches-publics",
            ),
            ("https://exemple.fr/piege", "/demandes"),
            ("//exemple.fr/piege", "/demandes"),
            ("/\\exemple.fr", "/demandes"),
        ] {
            let a = post_form(
                &app,
                "/api/auth/login",
                &[("email", email), ("password", PASSWORD), ("suite", suite)],
                None,
            )
            .await;
            assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
            assert_eq!(a.json, target, "{}: suite {suite}", t.name);
            let other = cookie_pair(&a.set_cookie.expect("session cookie"));
            post_form(&app, "/api/auth/logout", &[], Some(&other)).await;
        }

        // Sign-out ends the session on the server: replaying the cookie
        // afterwards gives an anonymous visitor.
        let a = post_form(&app, "/api/auth/logout", &[], Some(&cookie)).await;
        assert_eq!(a.status, 200);
        assert_eq!(whoami(&app, Some(&cookie)).await, None);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions")
            .fetch_one(&t.db.pool)
            .await
            .expect("count");
        assert_eq!(n, 0, "{}: no session record left", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn nothing_reveals_whether_an_address_has_an_account() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        create_account(&t.db, "connu@ville.fr", PASSWORD, Role::Applicant).await;

        // Registration: same answer; the owner is told by email instead.
        let known = post_form(
            &app,
            "/api/auth/register",
            &[("email", "connu@ville.fr"), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
        let unknown = post_form(
            &app,
            "/api/auth/register",
            &[("email", "nouveau@ville.fr"), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
        assert_eq!((known.status, &known.json), (unknown.status, &unknown.json));
        assert_eq!(
            outbox(&t.db).await,
            vec![
                ("account_exists".to_owned(), "connu@ville.fr".to_owned()),
                (
                    "email_confirmation".to_owned(),
                    "nouveau@ville.fr".to_owned()
                ),
            ]
        );
        // The existing password did not change.
        sign_in(&app, "connu@ville.fr", PASSWORD, [10, 0, 0, 1]).await;

        // Sign-in: wrong password and unknown address get the same answer.
        let wrong = post_form(
            &app,
            "/api/auth/login",
            &[("email", "connu@ville.fr"), ("password", "pas le bon")],
            None,
        )
        .await;
        let nobody = post_form(
            &app,
            "/api/auth/login",
            &[("email", "personne@ville.fr"), ("password", "pas le bon")],
            None,
        )
        .await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.code(), "invalid_credentials");
        assert_eq!((wrong.status, &wrong.json), (nobody.status, &nobody.json));

        // Reset request: same answer; only the real account gets an email.
        let before = outbox(&t.db).await.len();
        let known = post_form(
            &app,
            "/api/auth/request_password_reset",
            &[("email", "connu@ville.fr")],
            None,
        )
        .await;
        let unknown = post_form(
            &app,
            "/api/auth/request_password_reset",
            &[("email", "personne@ville.fr")],
            None,
        )
        .await;
        assert_eq!(known.status, 200);
        assert_eq!((known.status, &known.json), (unknown.status, &unknown.json));
        let after = outbox(&t.db).await;
        assert_eq!(after.len(), before + 1);
        assert_eq!(
            after.last(),
            Some(&("password_reset".to_owned(), "connu@ville.fr".to_owned()))
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn session_ids_change_at_sign_in() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        create_account(&t.db, "victime@ville.fr", PASSWORD, Role::Applicant).await;
        create_account(&t.db, "attaquant@ville.fr", NEW_PASSWORD, Role::Applicant).await;

        // An id made up by an attacker and planted in the victim's browser
        // is not adopted.
        let planted = "guichet_session=AAAAAAAAAAAAAAAAAAAAAA";
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", "victime@ville.fr"), ("password", PASSWORD)],
            Some(planted),
        )
        .await;
        assert_eq!(a.status, 200);
        let victim = cookie_pair(a.set_cookie.as_deref().expect("cookie"));
        assert_ne!(victim, planted);
        assert_eq!(whoami(&app, Some(planted)).await, None);

        // A real session of the attacker, planted, then used by the victim
        // to sign in: the victim gets a new id, the attacker's id is dead.
        let attacker = sign_in(&app, "attaquant@ville.fr", NEW_PASSWORD, [10, 0, 0, 2]).await;
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", "victime@ville.fr"), ("password", PASSWORD)],
            Some(&attacker),
        )
        .await;
        assert_eq!(a.status, 200);
        let fresh = cookie_pair(a.set_cookie.as_deref().expect("cookie"));
        assert_ne!(fresh, attacker);
        assert_eq!(
            whoami(&app, Some(&fresh)).await.as_deref(),
            Some("victime@ville.fr")
        );
        assert_eq!(whoami(&app, Some(&attacker)).await, None);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        create_account(&t.db, "agent@ville.fr", PASSWORD, Role::Applicant).await;

        // Idle: the record's expiry passed.
        let cookie = sign_in(&app, "agent@ville.fr", PASSWORD, [10, 0, 0, 1]).await;
        assert!(whoami(&app, Some(&cookie)).await.is_some());
        sqlx::query("UPDATE sessions SET expires_at = $1")
            .bind(db::now_ms() - 1)
            .execute(&t.db.pool)
            .await
            .expect("age");
        assert_eq!(whoami(&app, Some(&cookie)).await, None, "{}", t.name);

        // Absolute: signed in 12 hours ago, active since.
        let cookie = sign_in(&app, "agent@ville.fr", PASSWORD, [10, 0, 0, 1]).await;
        let (id, data): (String, String) =
            sqlx::query_as("SELECT id, data FROM sessions WHERE expires_at > $1")
                .bind(db::now_ms())
                .fetch_one(&t.db.pool)
                .await
                .expect("session");
        let mut data: serde_json::Value = serde_json::from_str(&data).expect("json");
        let old = db::now_ms() - 12 * 3_600_000 - 1_000;
        data["auth_at"] = old.into();
        sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
            .bind(data.to_string())
            .bind(&id)
            .execute(&t.db.pool)
            .await
            .expect("age");
        assert_eq!(whoami(&app, Some(&cookie)).await, None, "{}", t.name);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE id = $1")
            .bind(&id)
            .fetch_one(&t.db.pool)
            .await
            .expect("count");
        assert_eq!(n, 0, "the expired session is deleted");

        // Expired records are swept.
        sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ('vieux', NULL, '{}', 1)",
        )
        .execute(&t.db.pool)
        .await
        .expect("insert");
        assert!(
            guichet::server::auth::session::delete_expired(&t.db)
                .await
                .expect("sweep")
                >= 1
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_sessions() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        let email = "agent@commune.fr";
        create_account(&t.db, email, PASSWORD, Role::Applicant).await;
        let open_session = sign_in(&app, email, PASSWORD, [10, 0, 0, 1]).await;

        post_form(
            &app,
            "/api/auth/request_password_reset",
            &[("email", email)],
            None,
        )
        .await;
        let first = last_token(&t.db, "password_reset", email).await;
        post_form(
            &app,
            "/api/auth/request_password_reset",
            &[("email", email)],
            None,
        )
        .await;
        let token = last_token(&t.db, "password_reset", email).await;
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &first), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (410, "invalid_link"),
            "first link voided"
        );

        // A refused password does not use the link up.
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &token), ("password", "court")],
            None,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("password"))
        );
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &token), ("password", "encore une autre phrase")],
            None,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (410, "invalid_link"),
            "single use"
        );

        // The session opened before the reset is over; the new password works,
        // the old one does not.
        assert_eq!(whoami(&app, Some(&open_session)).await, None);
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", email), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 401);
        sign_in(&app, email, NEW_PASSWORD, [10, 0, 0, 1]).await;

        // An expired link says so.
        post_form(
            &app,
            "/api/auth/request_password_reset",
            &[("email", email)],
            None,
        )
        .await;
        let token = last_token(&t.db, "password_reset", email).await;
        sqlx::query(
            "UPDATE one_time_links SET expires_at = $1 WHERE used_at IS NULL AND voided_at IS NULL",
        )
        .bind(db::now_ms() - 1)
        .execute(&t.db.pool)
        .await
        .expect("expire");
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &token), ("password", "encore une autre phrase")],
            None,
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (410, "invalid_link"));
        assert!(a.json["message"].as_str().unwrap_or("").contains("expiré"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        let email = "agent@departement.fr";
        create_account(&t.db, email, PASSWORD, Role::Applicant).await;
        let laptop = sign_in(&app, email, PASSWORD, [10, 0, 0, 1]).await;
        let phone = sign_in(&app, email, PASSWORD, [10, 0, 0, 2]).await;

        let a = post_form(
            &app,
            "/api/auth/change_password",
            &[("current", "pas le bon"), ("password", NEW_PASSWORD)],
            Some(&laptop),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.json["field"].as_str()),
            (422, Some("current"))
        );
        let a = post_form(
            &app,
            "/api/auth/change_password",
            &[("current", PASSWORD), ("password", NEW_PASSWORD)],
            Some(&laptop),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let renewed = cookie_pair(a.set_cookie.as_deref().expect("new session id"));
        assert_ne!(renewed, laptop);
        assert_eq!(whoami(&app, Some(&renewed)).await.as_deref(), Some(email));
        assert_eq!(
            whoami(&app, Some(&phone)).await,
            None,
            "other device signed out"
        );
        assert_eq!(whoami(&app, Some(&laptop)).await, None, "old id dead");

        // Anonymous callers are refused by the policy gate.
        let a = post_form(
            &app,
            "/api/auth/change_password",
            &[
                ("current", NEW_PASSWORD),
                ("password", "troisième phrase de passe"),
            ],
            None,
        )
        .await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "unauthenticated"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn invitations_let_staff_choose_a_password() {
    for t in TestDb::all().await {
        let state = state(t.db.clone());
        let app = guichet::server::http::router(state.clone());
        let link = accounts::invite(&state, "instructeur@beta.gouv.fr", Role::Instructor, false)
            .await
            .expect("invite");
        assert!(
            link.starts_with("http://127.0.0.1:3000/choisir-mot-de-passe?jeton="),
            "{link}"
        );
        let token = link.rsplit('=').next().expect("token").to_owned();

        // Before choosing, nobody can sign in to the account.
        let a = post_form(
            &app,
            "/api/auth/login",
            &[("email", "instructeur@beta.gouv.fr"), ("password", "")],
            None,
        )
        .await;
        assert_eq!(a.status, 401);

        // A second invitation voids the first link.
        let link2 = accounts::invite(&state, "instructeur@beta.gouv.fr", Role::Instructor, true)
            .await
            .expect("invite again");
        let token2 = link2.rsplit('=').next().expect("token").to_owned();
        assert_eq!(
            outbox(&t.db).await,
            vec![(
                "invitation".to_owned(),
                "instructeur@beta.gouv.fr".to_owned()
            )]
        );
        let a = post_form(
            &app,
            "/api/auth/choose_password",
            &[("token", &token), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.code(), "invalid_link");
        let a = post_form(
            &app,
            "/api/auth/choose_password",
            &[("token", &token2), ("password", PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let cookie = sign_in(&app, "instructeur@beta.gouv.fr", PASSWORD, [10, 0, 0, 3]).await;
        assert!(whoami(&app, Some(&cookie)).await.is_some());

        // An active account cannot be invited again; another role is refused.
        let err = accounts::invite(&state, "instructeur@beta.gouv.fr", Role::Instructor, false)
            .await
            .expect_err("already active");
        assert_eq!(err.field.as_deref(), Some("email"));
        accounts::invite(&state, "admin@beta.gouv.fr", Role::Admin, false)
            .await
            .expect("admin invite");
        let err = accounts::invite(&state, "admin@beta.gouv.fr", Role::Instructor, false)
            .await
            .expect_err("other role");
        assert!(err.message.contains("Administrateur"), "{}", err.message);
        // A reset link is not an invitation link.
        let a = post_form(
            &app,
            "/api/auth/reset_password",
            &[("token", &token2), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
        assert_eq!(a.code(), "invalid_link");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_address() {
    let t = TestDb::sqlite().await;
    let app = app(t.db.clone());
    // Another address each time: the per-account lock is another test's.
    for i in 0..guichet::server::state::AUTH_PER_MINUTE {
        let a = post_form_from(
            &app,
            "/api/auth/login",
            &[
                ("email", &format!("x{i}@ville.fr")),
                ("password", "mauvais"),
            ],
            None,
            [198, 51, 100, 7],
        )
        .await;
        assert_eq!(a.status, 401, "attempt {i}");
    }
    let a = post_form_from(
        &app,
        "/api/auth/login",
        &[("email", "x@ville.fr"), ("password", "mauvais")],
        None,
        [198, 51, 100, 7],
    )
    .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.code(), "rate_limited");
    assert!(
        a.json["message"]
            .as_str()
            .unwrap_or("")
            .contains("réessayez dans")
    );
    let retry: u64 = a
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    // Registration and reset share the budget; another address does not.
    let a = post_form_from(
        &app,
        "/api/auth/request_password_reset",
        &[("email", "x@ville.fr")],
        None,
        [198, 51, 100, 7],
    )
    .await;
    assert_eq!(a.status, 429);
    let a = post_form_from(
        &app,
        "/api/auth/login",
        &[("email", "x@ville.fr"), ("password", "mauvais")],
        None,
        [198, 51, 100, 8],
    )
    .await;
    assert_eq!(a.status, 401);
    // Pages and public functions are not limited by it.
    assert_eq!(whoami(&app, None).await, None);
    t.cleanup().await;
}

#[tokio::test]
async fn cross_site_sign_in_is_refused() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let t = TestDb::sqlite().await;
    create_account(&t.db, "agent@ville.fr", PASSWORD, Role::Applicant).await;
    let req = axum::http::Request::post("/api/auth/login")
        .header("host", "guichet.test")
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "email=agent%40ville.fr&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .expect("request");
    let res = app(t.db.clone())
        .oneshot(from_client(req))
        .await
        .expect("infallible");
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(json["code"], "cross_site_request");
    t.cleanup().await;
}

#[tokio::test]
async fn cookies_are_secure_over_https() {
    let t = TestDb::sqlite().await;
    create_account(&t.db, "agent@ville.fr", PASSWORD, Role::Applicant).await;
    let a = post_form(
        &app_https(t.db.clone()),
        "/api/auth/login",
        &[("email", "agent@ville.fr"), ("password", PASSWORD)],
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let c = a.set_cookie.expect("cookie");
    assert!(c.contains("Secure") && c.contains("HttpOnly"), "{c}");
    t.cleanup().await;
}

#[tokio::test]
async fn the_outbox_page_exists_only_in_development() {
    let t = TestDb::sqlite().await;
    create_account(&t.db, "agent@ville.fr", PASSWORD, Role::Applicant).await;
    let prod = app(t.db.clone());
    post_form(
        &prod,
        "/api/auth/request_password_reset",
        &[("email", "agent@ville.fr")],
        None,
    )
    .await;
    let a = post_form(&prod, "/api/dev/mails", &[], None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));

    let mut dev_state = state(t.db.clone());
    dev_state.dev_mode = true;
    let dev = guichet::server::http::router(dev_state);
    // From another machine: nothing, neither the function nor the page.
    let a = post_form_from(&dev, "/api/dev/mails", &[], None, [192, 0, 2, 1]).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));
    let (status, _, page) = get_raw(&dev, "/dev/mails", None).await;
    let page = String::from_utf8_lossy(&page);
    assert!(
        !page.contains("agent@ville.fr") && !page.contains("jeton="),
        "{status}: the page shows the outbox to another machine"
    );
    // Through a trusted proxy on this machine, for a remote client: nothing.
    let mut proxied = state(t.db.clone());
    proxied.dev_mode = true;
    proxied.proxy = guichet::server::client_ip::ProxyTrust::Hops(1);
    let proxied = guichet::server::http::router(proxied);
    let a = post_form_with(
        &proxied,
        "/api/dev/mails",
        &[("x-forwarded-for", "192.0.2.1")],
        [127, 0, 0, 1],
    )
    .await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));
    // From this machine: the outbox.
    let a = post_form_from(&dev, "/api/dev/mails", &[], None, [127, 0, 0, 1]).await;
    assert_eq!(a.status, 200);
    let mails = a.json.as_array().expect("list");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], "agent@ville.fr");
    assert!(
        mails[0]["body_text"]
            .as_str()
            .unwrap_or("")
            .contains("/nouveau-mot-de-passe?jeton=")
    );
    t.cleanup().await;
}
