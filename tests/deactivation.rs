//! Staff accounts deactivated and reactivated by an administrator: the
//! sessions end at once, sign-in is refused (said only to whoever knows the
//! password), no more emails; on both backends.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::lifecycle::Role;
use guichet::server::db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_deactivates_and_reactivates_a_staff_account() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
        let admin = sign_in(&w.app, "admin@beta.gouv.fr", PASSWORD, [10, 2, 0, 9]).await;
        let set = |email: &'static str, active: bool, cookie: String| {
            let app = &w.app;
            async move {
                let active = active.to_string();
                post_form(
                    app,
                    "/api/admin/set_account_active",
                    &[("email", email), ("active", &active)],
                    Some(&cookie),
                )
                .await
            }
        };
        let dashboard = |cookie: String| {
            let app = &w.app;
            async move {
                post_form(app, "/api/instruction/dashboard", &[], Some(&cookie))
                    .await
                    .status
            }
        };
        let login = |password: &'static str| {
            let app = &w.app;
            async move {
                post_form_from(
                    app,
                    "/api/auth/login",
                    &[
                        ("email", "instructeur@beta.gouv.fr"),
                        ("password", password),
                    ],
                    None,
                    [10, 2, 0, 10],
                )
                .await
            }
        };
        assert_eq!(dashboard(w.instructor.clone()).await, 200);
        assert!(
            db::users::staff_emails(&t.db)
                .await
                .expect("staff")
                .contains(&"instructeur@beta.gouv.fr".to_owned())
        );

        // Only administrators.
        let a = set("instructeur@beta.gouv.fr", false, w.instructor.clone()).await;
        assert_eq!(a.status, 403, "{}: {}", t.name, a.json);
        let a = set("instructeur@beta.gouv.fr", false, w.alice.clone()).await;
        assert_eq!(a.status, 403, "{}", a.json);

        // Deactivated: the open session ends on its next call, sign-in is
        // refused in French (a wrong password still says only that), and
        // the account is told of no new request.
        let a = set("instructeur@beta.gouv.fr", false, admin.clone()).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(dashboard(w.instructor.clone()).await, 401, "{}", t.name);
        let a = login(PASSWORD).await;
        assert_eq!(a.status, 403, "{}", a.json);
        assert!(
            a.json["message"]
                .as_str()
                .is_some_and(|m| m.contains("désactivé")),
            "{}",
            a.json
        );
        let a = login("pas le bon mot de passe").await;
        assert_eq!(a.status, 401, "{}", a.json);
        assert_eq!(a.json["code"], "invalid_credentials");
        assert!(
            !db::users::staff_emails(&t.db)
                .await
                .expect("staff")
                .contains(&"instructeur@beta.gouv.fr".to_owned())
        );
        let a = post_form(&w.app, "/api/admin/accounts", &[], Some(&admin)).await;
        let row = a
            .json
            .as_array()
            .and_then(|r| r.iter().find(|r| r["email"] == "instructeur@beta.gouv.fr"))
            .cloned()
            .expect("listed");
        assert_eq!(row["deactivated"], true);

        // Not one's own account; not an applicant's.
        let a = set("admin@beta.gouv.fr", false, admin.clone()).await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "email");
        let a = set("alice@occitanie.fr", false, admin.clone()).await;
        assert_eq!(a.status, 404, "{}", a.json);
        let a = post_form(&w.app, "/api/requests/mine", &[], Some(&w.alice)).await;
        assert_eq!(a.status, 200, "Alice untouched");

        // Reactivated: signs in again.
        let a = set("instructeur@beta.gouv.fr", true, admin.clone()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let again = sign_in(&w.app, "instructeur@beta.gouv.fr", PASSWORD, [10, 2, 0, 10]).await;
        assert_eq!(dashboard(again).await, 200, "{}", t.name);
        t.cleanup().await;
    }
}
