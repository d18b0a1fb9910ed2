//! The staff's second factor: the authenticator app set up at the first
//! sign-in (QR code, first code, recovery codes), a code per sign-in used
//! once, recovery codes, the lock after wrong codes, and an administrator's
//! reset. Codes are computed here as an app computes them (RFC 6238).

use crate::common::world::PASSWORD;
use crate::common::*;
use guichet::domain::lifecycle::Role;
use guichet::paths::{SECOND_FACTOR, SECOND_FACTOR_SETUP};

/// A staff account with a password but no app yet (a first sign-in).
async fn staff_without_app(t: &TestDb, email: &str, role: Role) -> i64 {
    let id = create_account(&t.db, email, PASSWORD, Role::Applicant).await;
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(&t.db.pool)
        .await
        .expect("role");
    id
}

async fn password_step(app: &axum::Router, email: &str, ip: [u8; 4]) -> (String, String) {
    let a = post_form_from(
        app,
        "/api/auth/login",
        &[("email", email), ("password", PASSWORD)],
        None,
        ip,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    (
        a.json.as_str().expect("target").to_owned(),
        cookie_pair(a.set_cookie.as_deref().expect("cookie")),
    )
}

#[tokio::test]
async fn a_first_sign_in_sets_up_the_app_and_gives_recovery_codes() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        staff_without_app(&t, "nouvel.instructeur@beta.gouv.fr", Role::Instructor).await;
        let (target, cookie) =
            password_step(&app, "nouvel.instructeur@beta.gouv.fr", [10, 5, 0, 1]).await;
        assert_eq!(target, SECOND_FACTOR_SETUP);
        // The password alone signs nobody in.
        assert_eq!(whoami(&app, Some(&cookie)).await, None);
        let d = post_form(&app, "/api/instruction/dashboard", &[], Some(&cookie)).await;
        assert_eq!(d.status, 401);
        // The setup: a QR code of the otpauth address, the key to type.
        let s = post_form(&app, "/api/auth/second_factor_setup", &[], Some(&cookie)).await;
        assert_eq!(s.status, 200, "{}", s.json);
        let uri = s.json["uri"].as_str().expect("uri");
        assert!(
            uri.starts_with(
                "otpauth://totp/Guichet%20API%20Entreprise:nouvel.instructeur%40beta.gouv.fr?"
            ),
            "{uri}"
        );
        assert!(uri.contains("issuer=Guichet%20API%20Entreprise"));
        assert!(s.json["qr_svg"].as_str().expect("svg").contains("<svg"));
        let secret = s.json["secret"].as_str().expect("secret").to_owned();
        assert_eq!(secret.replace(' ', "").len(), 32, "160 bits in base32");
        // A reload shows the same QR code.
        let again = post_form(&app, "/api/auth/second_factor_setup", &[], Some(&cookie)).await;
        assert_eq!(again.json["secret"], secret.as_str());
        // A wrong code is refused on its field; nothing is set up.
        let wrong = totp_code(&secret, totp_step() + 5);
        let a = post_form(
            &app,
            "/api/auth/activate_second_factor",
            &[("code", &wrong)],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "code");
        let a = post_form(
            &app,
            "/api/auth/activate_second_factor",
            &[("code", "12a")],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 422);
        // The app's code: set up, ten recovery codes, signed in.
        let code = totp_code(&secret, totp_step());
        let a = post_form(
            &app,
            "/api/auth/activate_second_factor",
            &[("code", &code)],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["target"], guichet::paths::DASHBOARD);
        let codes: Vec<String> = a.json["recovery_codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(|c| c.as_str().expect("code").to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        let signed = cookie_pair(a.set_cookie.as_deref().expect("new session id"));
        assert_ne!(signed, cookie, "the session id changes when signed in");
        assert_eq!(
            whoami(&app, Some(&signed)).await.as_deref(),
            Some("nouvel.instructeur@beta.gouv.fr")
        );
        let d = post_form(&app, "/api/instruction/dashboard", &[], Some(&signed)).await;
        assert_eq!(d.status, 200);

        // Next sign-in: the code page. The code just used is refused.
        let (target, cookie) =
            password_step(&app, "nouvel.instructeur@beta.gouv.fr", [10, 5, 0, 2]).await;
        assert_eq!(target, SECOND_FACTOR);
        let s = post_form(&app, "/api/auth/second_factor_setup", &[], Some(&cookie)).await;
        assert_eq!(s.json, serde_json::Value::Null, "no second setup");
        let a = post_form(
            &app,
            "/api/auth/verify_second_factor",
            &[("code", &code)],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or_default()
                .contains("déjà servi")
        );
        // A recovery code, typed loosely, works once.
        let loose = codes[0].to_uppercase().replace('-', " ");
        let a = post_form(
            &app,
            "/api/auth/verify_second_factor",
            &[("code", &loose)],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let (_, cookie) =
            password_step(&app, "nouvel.instructeur@beta.gouv.fr", [10, 5, 0, 3]).await;
        let a = post_form(
            &app,
            "/api/auth/verify_second_factor",
            &[("code", &codes[0])],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 422, "a recovery code serves once");
        let a = post_form(
            &app,
            "/api/auth/verify_second_factor",
            &[("code", &codes[1])],
            Some(&cookie),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let t = TestDb::sqlite().await;
    let app = app(t.db.clone());
    create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
    let (target, cookie) = password_step(&app, "admin@beta.gouv.fr", [10, 6, 0, 1]).await;
    assert_eq!(target, SECOND_FACTOR);
    let wrong = totp_code(&totp_secret("admin@beta.gouv.fr"), totp_step() + 10);
    let mut last = None;
    for _ in 0..5 {
        last = Some(
            post_form(
                &app,
                "/api/auth/verify_second_factor",
                &[("code", &wrong)],
                Some(&cookie),
            )
            .await,
        );
    }
    let last = last.expect("answers");
    assert_eq!(last.status, 429, "{}", last.json);
    let right = totp_code(&totp_secret("admin@beta.gouv.fr"), totp_step());
    let a = post_form(
        &app,
        "/api/auth/verify_second_factor",
        &[("code", &right)],
        Some(&cookie),
    )
    .await;
    assert_eq!(a.status, 429, "locked, even with the right code");
    assert_eq!(mails_of(&t.db, "sign_in_locked").await.len(), 1);
    // No sign-in waiting: the code page says so.
    let a = post_form(
        &app,
        "/api/auth/verify_second_factor",
        &[("code", &right)],
        None,
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (410, "sign_in_expired"),
        "{}",
        a.json
    );
    t.cleanup().await;
}

#[tokio::test]
async fn an_administrator_resets_a_lost_app() {
    for t in TestDb::all().await {
        let app = app(t.db.clone());
        create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
        create_account(
            &t.db,
            "instructeur@beta.gouv.fr",
            PASSWORD,
            Role::Instructor,
        )
        .await;
        let admin = sign_in(&app, "admin@beta.gouv.fr", PASSWORD, [10, 7, 0, 1]).await;
        let instructor = sign_in(&app, "instructeur@beta.gouv.fr", PASSWORD, [10, 7, 0, 2]).await;
        let list = post_form(&app, "/api/admin/accounts", &[], Some(&admin)).await;
        let row = list
            .json
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["email"] == "instructeur@beta.gouv.fr")
            .cloned()
            .expect("row");
        assert_eq!(row["second_factor"], true);
        // Not one's own, not by an instructor.
        let a = post_form(
            &app,
            "/api/admin/reset_second_factor",
            &[("email", "admin@beta.gouv.fr")],
            Some(&admin),
        )
        .await;
        assert_eq!(a.status, 422, "{}", a.json);
        let a = post_form(
            &app,
            "/api/admin/reset_second_factor",
            &[("email", "admin@beta.gouv.fr")],
            Some(&instructor),
        )
        .await;
        assert_eq!(a.status, 403);
        let a = post_form(
            &app,
            "/api/admin/reset_second_factor",
            &[("email", "instructeur@beta.gouv.fr")],
            Some(&admin),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(
            whoami(&app, Some(&instructor)).await,
            None,
            "their sessions end"
        );
        let mails = mails_of(&t.db, "second_factor_reset").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].0, "instructeur@beta.gouv.fr");
        // They set the app up again at their next sign-in.
        let (target, _) = password_step(&app, "instructeur@beta.gouv.fr", [10, 7, 0, 3]).await;
        assert_eq!(target, SECOND_FACTOR_SETUP);
        let list = post_form(&app, "/api/admin/accounts", &[], Some(&admin)).await;
        let row = list
            .json
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["email"] == "instructeur@beta.gouv.fr")
            .cloned()
            .expect("row");
        assert_eq!(row["second_factor"], false);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_applicant_signs_in_with_a_password_alone() {
    let t = TestDb::sqlite().await;
    let app = app(t.db.clone());
    create_account(&t.db, "alice@occitanie.fr", PASSWORD, Role::Applicant).await;
    let (target, cookie) = password_step(&app, "alice@occitanie.fr", [10, 8, 0, 1]).await;
    assert_eq!(target, guichet::paths::MY_REQUESTS);
    assert_eq!(
        whoami(&app, Some(&cookie)).await.as_deref(),
        Some("alice@occitanie.fr")
    );
    // And a staff session signed in before the second factor existed (no
    // mark in its record) is over.
    let id = create_account(&t.db, "ancien@beta.gouv.fr", PASSWORD, Role::Instructor).await;
    let cookie = sign_in(&app, "ancien@beta.gouv.fr", PASSWORD, [10, 8, 0, 2]).await;
    assert_eq!(
        whoami(&app, Some(&cookie)).await.as_deref(),
        Some("ancien@beta.gouv.fr")
    );
    let (data,): (String,) = sqlx::query_as("SELECT data FROM sessions WHERE user_id = $1")
        .bind(id)
        .fetch_one(&t.db.pool)
        .await
        .expect("session");
    let mut data: serde_json::Value = serde_json::from_str(&data).expect("json");
    data.as_object_mut()
        .expect("object")
        .remove("second_factor");
    sqlx::query("UPDATE sessions SET data = $1 WHERE user_id = $2")
        .bind(data.to_string())
        .bind(id)
        .execute(&t.db.pool)
        .await
        .expect("old session");
    assert_eq!(whoami(&app, Some(&cookie)).await, None);
    t.cleanup().await;
}
