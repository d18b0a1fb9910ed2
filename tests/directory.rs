//! The organisation directory: import from the npm package's data into both
//! backends, in-memory search, and the JSON endpoints used by the wizard.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestDb;
use guichet::server::db;
use guichet::server::directory::{self, index, index::Index};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

/// A small copy of the package's data, in its format.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("communes.json"),
        r#"[
 {"code":"77284","nom":"Meaux","type":"commune-actuelle","siren":"217702844","departement":"77","population":56905},
 {"code":"44109","nom":"Nantes","type":"commune-actuelle","siren":"214401093","departement":"44","population":320732},
 {"code":"01015","nom":"Arboys en Bugey","type":"commune-actuelle","siren":"200040434","departement":"01","population":650},
 {"code":"01340","nom":"Saint-Bois","type":"commune-deleguee","departement":"01"},
 {"code":"75101","nom":"Paris 1er Arrondissement","type":"arrondissement-municipal"}
]"#,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("epci.json"),
        r#"[
 {"code":"244400404","nom":"Nantes Métropole","type":"METRO","populationTotale":680000,"membres":[]},
 {"code":"200072130","nom":"CA du Pays de Meaux","type":"CA","populationTotale":110000,"membres":[]}
]"#,
    )
    .expect("write");
    dir
}

fn package_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(directory::DEFAULT_DATA_DIR);
    if dir.join("communes.json").is_file() {
        Some(dir)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} manque : lancez scripts/setup.sh (npm ci)",
            dir.display()
        );
    } else {
        eprintln!("données de l’annuaire absentes : test sauté");
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_load_on_both_backends() {
    let data = fixture();
    for t in TestDb::all().await {
        let n = directory::import(&t.db, data.path()).await.expect("import");
        assert_eq!(n, 5, "{}: 3 communes with a SIREN + 2 EPCI", t.name);
        // A second import replaces, never duplicates.
        directory::import(&t.db, data.path())
            .await
            .expect("re-import");
        assert_eq!(db::directory::count(&t.db).await.expect("count"), 5);
        let index = directory::load(&t.db, Path::new("/nonexistent"))
            .await
            .expect("load");
        assert_eq!(index.len(), 5 + index::collectivites().len());
        assert_eq!(
            index.get("244400404").map(|e| e.name.as_str()),
            Some("Nantes Métropole")
        );
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_imports_by_itself_when_the_table_is_empty() {
    let data = fixture();
    let t = TestDb::sqlite().await;
    let index = directory::load(&t.db, data.path()).await.expect("load");
    assert_eq!(index.len(), 5 + index::collectivites().len());
    let missing = directory::import(&t.db, Path::new("/nonexistent")).await;
    let err = missing.expect_err("no data");
    assert!(err.to_string().contains("illisible"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_endpoints() {
    let data = fixture();
    let t = TestDb::sqlite().await;
    let index = directory::load(&t.db, data.path()).await.expect("load");
    let app = common::app_with_directory(t.db.clone(), index);

    let (status, body) = common::get_json(app.clone(), "/api/organisations/21770284400010").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Meaux");
    assert_eq!(body["siren"], "217702844");
    assert_eq!(body["siret"], "21770284400010");
    assert_eq!(body["legal_category"], "7210");
    assert_eq!(body["legal_category_label"], "Commune et commune nouvelle");
    assert_eq!(body["eligibility"]["status"], "eligible");

    // Spaces typed in the URL are accepted.
    let (status, body) =
        common::get_json(app.clone(), "/api/organisations/217%20702%20844%2000010").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = common::get_json(app.clone(), "/api/organisations/21770284400011").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_siret");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Clé de contrôle invalide")
    );

    let (status, body) = common::get_json(app.clone(), "/api/organisations/1234").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "Le SIRET doit comporter 14 chiffres (4 chiffres saisis)."
    );

    // Valid but not a body of the directory: 404 that lets the applicant go on.
    let (status, body) = common::get_json(app.clone(), "/api/organisations/13002737600016").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "organisation_not_found");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("continuer")
    );

    let (status, body) =
        common::get_json(app.clone(), "/api/organisations?q=commune%20de%20meaux").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"][0]["name"], "Meaux");
    assert_eq!(body["results"][1]["name"], "CA du Pays de Meaux");
    assert_eq!(body["results"][1]["legal_category"], "7348");

    let (_, body) = common::get_json(app.clone(), "/api/organisations?q=CHU%20Nantes").await;
    let names: Vec<&str> = body["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["Nantes", "Nantes Métropole"]);

    let (_, body) = common::get_json(app.clone(), "/api/organisations?q=244400404").await;
    assert_eq!(body["results"][0]["name"], "Nantes Métropole");
    // An EPCI is known by its SIREN only; each result says its source.
    assert_eq!(body["results"][0]["siret"], serde_json::Value::Null);
    assert_eq!(body["results"][0]["dataset"], "decoupage_administratif");

    // A région of the built-in list comes with its head office's SIRET.
    let (_, body) =
        common::get_json(app.clone(), "/api/organisations?q=r%C3%A9gion%20occitanie").await;
    assert_eq!(body["results"][0]["name"], "Région — Occitanie", "{body}");
    assert_eq!(body["results"][0]["siret"], "20005379100014");
    assert_eq!(body["results"][0]["legal_category"], "7230");
    assert_eq!(body["results"][0]["dataset"], "collectivites_sirene");
    assert!(
        body["results"][0]["dataset_label"]
            .as_str()
            .is_some_and(|l| l.contains("Sirene"))
    );

    for (q, code) in [("", "query_too_short"), ("a", "query_too_short")] {
        let (status, body) =
            common::get_json(app.clone(), &format!("/api/organisations?q={q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], code);
    }
    let long = "a".repeat(101);
    let (status, body) =
        common::get_json(app.clone(), &format!("/api/organisations?q={long}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "query_too_long");
    let (status, body) = common::get_json(app.clone(), "/api/organisations?q=%FF%FE").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_package_data() {
    let Some(dir) = package_data() else { return };
    let entries = directory::parse_package(&dir).expect("parse");
    let communes = entries
        .iter()
        .filter(|e| e.kind == directory::index::EntryKind::Commune)
        .count();
    assert!(communes > 34_000, "{communes} communes");
    assert!(entries.len() > 36_000, "{} entries", entries.len());
    let index = Index::new(entries);
    let meaux = index.search("commune de meaux", 20);
    assert_eq!(meaux[0].siren, "217702844");
    assert_eq!(index.search("Meaux", 20)[0].name, "Meaux");
    let nantes: Vec<&str> = index
        .search("CHU Nantes", 20)
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(nantes[0], "Nantes", "{nantes:?}");
    assert!(
        index.get("244400404").is_some(),
        "Nantes Métropole is an EPCI"
    );
    assert!(index.search("commune", 20).is_empty());
    // The Grand Paris territorial public bodies (EPT), by SIREN.
    let plaine = index.get("200057867").expect("Plaine Commune, an EPT");
    assert_eq!(plaine.kind, directory::index::EntryKind::Ept);
    assert_eq!(plaine.kind.legal_category(), "7349");
    assert!(
        index
            .search("paris terres d'envol", 20)
            .first()
            .is_some_and(|e| e.kind == directory::index::EntryKind::Ept),
        "found by its name"
    );

    // What applicants type, on the package's data plus the built-in régions,
    // départements and collectivités (with their head office's SIRET).
    let first = |q: &str| {
        let found = index.search(q, 20);
        let top = found.first().map(|e| (*e).clone());
        assert!(top.is_some(), "{q}: nothing found");
        top.unwrap_or_else(|| unreachable!())
    };
    let occitanie = first("région occitanie");
    assert_eq!(occitanie.name, "Région — Occitanie");
    assert_eq!(occitanie.kind, directory::index::EntryKind::Region);
    assert_eq!(occitanie.siret.as_deref(), Some("20005379100014"));
    assert_eq!(
        occitanie.dataset(),
        directory::index::Dataset::CollectivitesSirene
    );
    assert_eq!(
        first("gironde").name,
        "Département — Gironde",
        "the département before Gironde-sur-Dropt"
    );
    assert_eq!(first("occitanie").name, "Région — Occitanie");
    let gironde = first("département de la gironde");
    assert_eq!(gironde.name, "Département — Gironde");
    assert_eq!(gironde.kind.legal_category(), "7220");
    assert!(
        gironde
            .siret
            .as_deref()
            .is_some_and(|s| guichet::domain::siret::Siret::parse(s).is_ok()),
        "{gironde:?}"
    );
    let fayence = first("cc du pays de fayence");
    assert_eq!(fayence.name, "CC du Pays de Fayence");
    assert_eq!(fayence.kind, directory::index::EntryKind::Cc);
    assert_eq!(fayence.siret, None, "an EPCI is known by its SIREN only");
    assert_eq!(
        fayence.dataset(),
        directory::index::Dataset::DecoupageAdministratif
    );
    assert!(
        index
            .search("collectivité de corse", 20)
            .iter()
            .any(|e| e.kind == directory::index::EntryKind::CollectiviteStatutParticulier),
        "the Collectivité de Corse"
    );
    // Every built-in SIRET is valid and belongs to its SIREN.
    for e in directory::index::collectivites() {
        let siret = e.siret.as_deref().unwrap_or_default();
        assert!(
            guichet::domain::siret::Siret::parse(siret).is_ok_and(|s| s.siren() == e.siren),
            "{e:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_endpoints_are_rate_limited_per_client() {
    use guichet::server::http::DIRECTORY_BURST;
    let t = TestDb::sqlite().await;
    let app = common::app_with_directory(t.db.clone(), Index::default());
    let from = |ip: [u8; 4]| {
        let mut req = Request::get("/api/organisations?q=meaux")
            .body(Body::empty())
            .expect("request");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                ip, 1234,
            ))));
        req
    };
    for i in 0..DIRECTORY_BURST {
        let res = app
            .clone()
            .oneshot(from([198, 51, 100, 7]))
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::OK, "request {i} within the burst");
    }
    let res = app
        .clone()
        .oneshot(from([198, 51, 100, 7]))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res
        .headers()
        .get(axum::http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry >= 1);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(body["code"], "rate_limited");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Trop de requêtes")
    );

    // Another client is not affected.
    let res = app
        .clone()
        .oneshot(from([198, 51, 100, 8]))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);

    // Without a trusted proxy, a forged X-Forwarded-For changes nothing.
    let mut req = from([198, 51, 100, 7]);
    req.headers_mut()
        .insert("x-forwarded-for", "203.0.113.9".parse().expect("header"));
    let res = app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}
