//! Use-case templates: seeded with the migrations on both backends, offered
//! to everyone, and a draft started from one with what the address gives.

use crate::common;

use common::world::*;
use common::*;
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
        let a = post_form(
            &w.app,
            "/api/templates/get",
            &[("slug", "aides-publiques")],
            None,
        )
        .await;
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
        let a = post_form(
            &w.app,
            "/api/requests/start_from_template",
            &[("modele", "../etc")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);
        assert_eq!(count().await, before);
        // Staff do not file requests.
        let a = post_form(
            &w.app,
            "/api/requests/start_from_template",
            &[("modele", "marches-publics")],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 403, "{}", a.json);
        t.cleanup().await;
    }
}
