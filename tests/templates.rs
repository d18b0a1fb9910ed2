//! Use-case templates: seeded with the migrations on both backends, offered
//! to everyone, and a draft started from one with what the address gives.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::lifecycle::Role;
use guichet::server::db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_seeded_once_and_start_prefilled_drafts() {
    for t in TestDb::all().await {
        // Seeded by the migrations, and again by a second run: no duplicate.
        let first = db::templates::list(&t.db, false).await.expect("list");
        assert!(first.len() >= 8, "{}: {} templates", t.name, first.len());
        t.db.migrate().await.expect("second run");
        let again = db::templates::list(&t.db, false).await.expect("list");
        assert_eq!(again, first, "{}", t.name);
        assert_eq!(
            first[0].template.slug, "marches-publics",
            "the file's order"
        );
        assert_eq!(first[0].version, 1);
        assert_eq!(
            db::templates::version(&t.db, "marches-publics", 1)
                .await
                .expect("history")
                .map(|v| v.title),
            Some("Marchés publics".to_owned()),
            "{}: version 1 kept in the history",
            t.name
        );

        let w = world(&t).await;
        // Public: the list and a template's page, without an account.
        let a = post_form(&w.app, "/api/templates/list", &[], None).await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json.as_array().map(Vec::len), Some(first.len()));
        let a = public(&w, "aides-publiques").await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert!(a.json["scopes"].as_array().is_some_and(|s| {
            s.iter()
                .any(|s| s["value"] == "chiffre_affaires_dgfip" && s["sensitive"] == true)
        }));
        let a = post_form(&w.app, "/api/templates/get", &[("slug", "inconnu")], None).await;
        assert_eq!(a.status, 404, "{}", a.json);
        assert!(
            a.json["message"]
                .as_str()
                .is_some_and(|m| m.contains("n’existe pas"))
        );

        // Started from a template, with the vendor's SIRET and title.
        let a = post_form(
            &w.app,
            "/api/requests/start_from_template",
            &[
                ("modele", "aides-publiques"),
                ("siret", "200 053 791 00014<script>"),
                ("intitule", "  Aides à l’innovation  "),
            ],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let id = a.json.as_i64().expect("id");
        let stored = db::requests::get(&t.db, id)
            .await
            .expect("get")
            .expect("stored");
        let data = &stored.data;
        assert_eq!(data.organisation.siret, "200 053 791 00014", "digits kept");
        assert_eq!(
            data.organisation.name, "Région — Occitanie",
            "from the directory"
        );
        assert_eq!(data.organisation.legal_category, "7230");
        assert_eq!(data.context.title, "Aides à l’innovation");
        assert!(data.context.description.contains("aide"), "{data:?}");
        assert!(
            data.data
                .scopes
                .contains(&"chiffre_affaires_dgfip".to_owned())
        );
        assert!(data.data.justifications.is_empty(), "still to be justified");
        assert!(data.legal.basis.contains("collectivités territoriales"));
        let (slug, version): (Option<String>, Option<i64>) =
            sqlx::query_as("SELECT template_slug, template_version FROM requests WHERE id = $1")
                .bind(id)
                .fetch_one(&t.db.pool)
                .await
                .expect("origin");
        assert_eq!(slug.as_deref(), Some("aides-publiques"), "{}", t.name);
        assert_eq!(version, Some(1));
        // Alice completes it, swapping one of the template's data for another,
        // and submits: the instructor sees the template and what changed.
        let mut complete = guichet::domain::request::RequestData::example();
        let mut scopes = guichet::domain::scopes::default_selection();
        for s in &data.data.scopes {
            if s != "bilans_bdf" && !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        scopes.push("mandataires_sociaux_infogreffe".to_owned());
        complete.data.justifications = scopes
            .iter()
            .filter(|s| guichet::domain::scopes::find(s).is_some_and(|c| c.sensitive))
            .map(|s| (s.clone(), "Instruire les aides régionales.".to_owned()))
            .collect();
        complete.data.scopes = scopes;
        let a = save(&w, &w.alice, id, 1, "complet", &complete).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = submit(&w, id, 2).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = post_form(
            &w.app,
            "/api/instruction/review",
            &[("id", &id.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let origin = &a.json["template"];
        assert_eq!(origin["slug"], "aides-publiques", "{}", a.json);
        assert_eq!(origin["title"], "Aides publiques aux entreprises");
        assert_eq!(origin["version"], 1);
        assert_eq!(
            origin["added"],
            serde_json::json!(["Mandataires sociaux - Infogreffe"])
        );
        assert_eq!(
            origin["removed"],
            serde_json::json!(["3 derniers bilans annuels - Banque de France"])
        );

        // The dashboard filters by template; a submitted request without one
        // is left out, and a malformed slug filters nothing.
        let (free, _) = submitted_with(&w, &guichet::domain::request::RequestData::example()).await;
        let lines = |args: Vec<(&'static str, &'static str)>| {
            let w = &w;
            async move {
                let a = post_form(
                    &w.app,
                    "/api/instruction/dashboard",
                    &args,
                    Some(&w.instructor),
                )
                .await;
                assert_eq!(a.status, 200, "{}", a.json);
                let mut ids: Vec<i64> = a.json["lines"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|l| l["id"].as_i64()).collect())
                    .unwrap_or_default();
                ids.sort_unstable();
                ids
            }
        };
        assert_eq!(
            lines(vec![("modele", "aides-publiques")]).await,
            [id],
            "{}",
            t.name
        );
        assert_eq!(
            lines(vec![("modele", "marches-publics")]).await,
            Vec::<i64>::new()
        );
        assert_eq!(
            lines(vec![("modele", "aides-publiques"), ("sensibles", "1")]).await,
            [id]
        );
        assert_eq!(lines(vec![("modele", "../x")]).await, [id, free]);

        // It is Alice's request: Bob does not see it.
        let a = post_form(
            &w.app,
            "/api/requests/get",
            &[("id", &id.to_string())],
            Some(&w.bob),
        )
        .await;
        assert_eq!(a.status, 403, "{}", a.json);

        // A very long title is cut to the field's limit; no SIRET is fine.
        let long = "é".repeat(400);
        let a = post_form(
            &w.app,
            "/api/requests/start_from_template",
            &[("modele", "marches-publics"), ("intitule", &long)],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let stored = db::requests::get(&t.db, a.json.as_i64().expect("id"))
            .await
            .expect("get")
            .expect("stored");
        assert_eq!(stored.data.context.title.chars().count(), 200);
        assert_eq!(stored.data.organisation.siret, "");

        // Unknown template: a French 404, nothing created.
        let count = || async {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM requests")
                .fetch_one(&t.db.pool)
                .await
                .expect("count");
            n
        };
        let before = count().await;
        let a = start(&w, "../etc", &w.alice).await;
        assert_eq!(a.status, 404, "{}", a.json);
        assert_eq!(count().await, before);
        // Staff do not file requests.
        let a = start(&w, "marches-publics", &w.instructor).await;
        assert_eq!(a.status, 403, "{}", a.json);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_edit_templates_and_every_version_is_kept() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
        let admin = sign_in(&w.app, "admin@beta.gouv.fr", PASSWORD, [10, 1, 0, 9]).await;
        let get = |slug: &'static str| {
            let (app, admin) = (&w.app, &admin);
            async move {
                post_form(
                    app,
                    "/api/admin/templates/get",
                    &[("slug", slug)],
                    Some(admin),
                )
                .await
            }
        };
        let v1 = get("marches-publics").await;
        assert_eq!(v1.status, 200, "{}: {}", t.name, v1.json);
        assert_eq!(v1.json["version"], 1);
        let mut edited = v1.json["template"].clone();

        // A request started from version 1, before any edit.
        let a = start(&w, "marches-publics", &w.alice).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let started = a.json.as_i64().expect("id");

        // Only administrators: not an applicant, not an instructor, not anyone.
        let body = serde_json::json!({ "template": edited, "expected": 1 });
        for (who, cookie, status) in [
            ("applicant", Some(w.alice.as_str()), 403),
            ("instructor", Some(w.instructor.as_str()), 403),
            ("anonymous", None, 401),
        ] {
            let a = post_json(&w.app, "/api/admin/templates/save", &body, cookie).await;
            assert_eq!(a.status, status, "{}: {who}: {}", t.name, a.json);
            let a = post_form(&w.app, "/api/admin/templates/list", &[], cookie).await;
            assert_eq!(a.status, status, "{}: {who}: {}", t.name, a.json);
        }

        // Version 2: another title, one data dropped and one added, a blank
        // line among the links.
        edited["title"] = "  Achats publics ".into();
        let scopes: Vec<serde_json::Value> = edited["scopes"]
            .as_array()
            .expect("scopes")
            .iter()
            .filter(|s| *s != "cotisations_probtp")
            .cloned()
            .chain([serde_json::json!("bilans_bdf")])
            .collect();
        edited["scopes"] = scopes.into();
        edited["legal_urls"]
            .as_array_mut()
            .expect("links")
            .push("  ".into());
        let body = serde_json::json!({ "template": edited, "expected": 1 });
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json, 2);
        // Applicants see it at once, trimmed.
        let a = public(&w, "marches-publics").await;
        assert_eq!(a.json["template"]["title"], "Achats publics", "{}", t.name);
        assert_eq!(a.json["version"], 2);
        assert_eq!(
            a.json["template"]["legal_urls"], v1.json["template"]["legal_urls"],
            "the blank link is dropped"
        );
        // The history: who saved what, and what changed.
        let v2 = get("marches-publics").await;
        let history = v2.json["history"].as_array().expect("history");
        assert_eq!(history.len(), 2, "{}", v2.json);
        assert_eq!(history[0]["version"], 2);
        assert_eq!(history[0]["saved_by"], "admin@beta.gouv.fr");
        assert_eq!(
            history[0]["changes"]["fields"],
            serde_json::json!([{ "label": "Nom du modèle", "before": "Marchés publics", "after": "Achats publics" }])
        );
        assert_eq!(
            history[0]["changes"]["scopes"],
            serde_json::json!({ "added": ["bilans_bdf"], "removed": ["cotisations_probtp"] })
        );
        assert_eq!(history[1]["version"], 1);
        assert_eq!(history[1]["saved_by"], serde_json::Value::Null, "the seed");

        // Saved again from the page opened at version 1: refused, nothing
        // written, and the French message says the text is still there.
        let mut stale = v1.json["template"].clone();
        stale["summary"] = "Autre résumé.".into();
        let body = serde_json::json!({ "template": stale, "expected": 1 });
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 409, "{}: {}", t.name, a.json);
        assert!(
            a.json["message"]
                .as_str()
                .is_some_and(|m| m.contains("version 2") && m.contains("formulaire")),
            "{}",
            a.json
        );
        assert_eq!(get("marches-publics").await.json["version"], 2);

        // Two administrators saving the same version at the same moment: one
        // wins, the other is told.
        let mut x = v2.json["template"].clone();
        x["summary"] = "X".into();
        let mut y = v2.json["template"].clone();
        y["summary"] = "Y".into();
        let (bx, by) = (
            serde_json::json!({ "template": x, "expected": 2 }),
            serde_json::json!({ "template": y, "expected": 2 }),
        );
        let (ax, ay) = tokio::join!(save_as(&w, &bx, &admin), save_as(&w, &by, &admin),);
        let mut statuses = [ax.status.as_u16(), ay.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "{}: {} / {}",
            t.name,
            ax.json,
            ay.json
        );
        let v3 = get("marches-publics").await;
        assert_eq!(v3.json["version"], 3);
        assert_eq!(v3.json["history"].as_array().map(Vec::len), Some(3));

        // Wrong texts: the first field at fault, in French; nothing written.
        let mut bad = v3.json["template"].clone();
        bad["title"] = " ".into();
        bad["legal_urls"] = serde_json::json!(["http://exemple.fr"]);
        let body = serde_json::json!({ "template": bad, "expected": 3 });
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "title");
        assert_eq!(a.json["message"], "Indiquez le nom du modèle.");
        assert_eq!(get("marches-publics").await.json["version"], 3);

        // A new template, offered at once at the end of the list; its
        // address cannot be taken twice, nor be the "new" page's.
        let mut new = v3.json["template"].clone();
        new["slug"] = "cantine-scolaire".into();
        new["title"] = "Restauration scolaire".into();
        let body = serde_json::json!({ "template": new, "expected": null });
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json, 1);
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "slug");
        new["slug"] = "nouveau".into();
        let body = serde_json::json!({ "template": new, "expected": null });
        let a = save_as(&w, &body, &admin).await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "slug");
        let listed = post_form(&w.app, "/api/templates/list", &[], None).await;
        let slugs: Vec<&str> = listed
            .json
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|t| t["template"]["slug"].as_str())
            .collect();
        assert_eq!(slugs.last(), Some(&"cantine-scolaire"), "{}", t.name);

        // Withdrawn: gone for applicants (list, page, new request), kept for
        // administrators and for the request that started from it.
        let a = archive(&w, "marches-publics", 3, true, &admin).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        assert_eq!(a.json, 4);
        let listed = post_form(&w.app, "/api/templates/list", &[], None).await;
        assert!(
            !listed.json.to_string().contains("\"marches-publics\""),
            "{}",
            t.name
        );
        let a = public(&w, "marches-publics").await;
        assert_eq!(a.status, 404);
        let a = start(&w, "marches-publics", &w.alice).await;
        assert_eq!(a.status, 404, "{}", a.json);
        let rows = post_form(&w.app, "/api/admin/templates/list", &[], Some(&admin)).await;
        let row = rows
            .json
            .as_array()
            .and_then(|r| r.iter().find(|r| r["slug"] == "marches-publics"))
            .cloned()
            .expect("still listed for administrators");
        assert_eq!(row["archived"], true);
        assert_eq!(row["uses"], 1, "the request started from it");
        assert_eq!(
            db::templates::origin_of(&t.db, started)
                .await
                .expect("origin"),
            Some(("marches-publics".to_owned(), 1)),
            "the request keeps the version it started from"
        );
        let v4 = get("marches-publics").await;
        assert_eq!(v4.json["history"][0]["archiving"], true);
        assert_eq!(
            v4.json["history"][0]["changes"]["fields"],
            serde_json::json!([])
        );
        // Offered again.
        let a = archive(&w, "marches-publics", 4, false, &admin).await;
        assert_eq!(a.json, 5, "{}", a.json);
        let a = public(&w, "marches-publics").await;
        assert_eq!(a.status, 200);
        assert_eq!(a.json["version"], 5);
        t.cleanup().await;
    }
}

async fn start(w: &World, slug: &str, cookie: &str) -> Answer {
    post_form(
        &w.app,
        "/api/requests/start_from_template",
        &[("modele", slug)],
        Some(cookie),
    )
    .await
}

async fn public(w: &World, slug: &str) -> Answer {
    post_form(&w.app, "/api/templates/get", &[("slug", slug)], None).await
}

async fn save_as(w: &World, body: &serde_json::Value, cookie: &str) -> Answer {
    post_json(&w.app, "/api/admin/templates/save", body, Some(cookie)).await
}

async fn archive(w: &World, slug: &str, expected: i64, archived: bool, cookie: &str) -> Answer {
    let (expected, archived) = (expected.to_string(), archived.to_string());
    post_form(
        &w.app,
        "/api/admin/templates/archive",
        &[
            ("slug", slug),
            ("expected", &expected),
            ("archived", &archived),
        ],
        Some(cookie),
    )
    .await
}
