//! The online directory adapter against a local fake of the public search
//! endpoint (never the internet): answers, timeouts, errors, and the
//! organisation endpoints' fallback.

use crate::common;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use common::TestDb;
use guichet::domain::legal_category::Eligibility;
use guichet::domain::siret::Siret;
use guichet::server::directory::index::Index;
use guichet::server::directory::online::OnlineDirectory;
use std::collections::HashMap;
use std::time::Duration;

/// A fake of `GET /search?q=…`, on a free loopback port.
async fn fake_server() -> String {
    async fn search(Query(params): Query<HashMap<String, String>>) -> axum::response::Response {
        let q = params.get("q").cloned().unwrap_or_default();
        match q.as_str() {
            "lent" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                axum::Json(serde_json::json!({ "results": [] })).into_response()
            }
            "panne" => (StatusCode::INTERNAL_SERVER_ERROR, "erreur").into_response(),
            "casse" => (StatusCode::OK, "<html>maintenance</html>").into_response(),
            // A company before a public body, as the online search may rank them.
            "transport" => axum::Json(serde_json::json!({
                "results": [
                    { "siren": "552100554", "nom_complet": "SOCIETE DE TRANSPORT", "nature_juridique": "5710", "etat_administratif": "A" },
                    { "siren": "246700488", "nom_complet": "EUROMETROPOLE DE STRASBOURG (TRANSPORTS)", "nature_juridique": "7344", "etat_administratif": "A" }
                ]
            }))
            .into_response(),
            _ => axum::Json(serde_json::json!({
                "results": [
                    {
                        "siren": "264400136",
                        "nom_complet": "CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES",
                        "nature_juridique": "7364",
                        "etat_administratif": "A",
                        "siege": { "siret": "26440013600018", "etat_administratif": "A" }
                    },
                    {
                        "siren": "552100554",
                        "nom_complet": "SOCIETE DE TRANSPORT",
                        "nature_juridique": "5710",
                        "etat_administratif": "A",
                        "siege": { "siret": "55210055400013" }
                    },
                    {
                        "siren": "383474814",
                        "nom_complet": "ANCIENNE REGIE",
                        "nature_juridique": "4150",
                        "etat_administratif": "C",
                        "siege": { "siret": "38347481400019" }
                    },
                    { "siren": "pas-un-siren", "nom_complet": "Ligne invalide" }
                ]
            }))
            .into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new().route("/search", get(search))).await;
    });
    format!("http://{addr}")
}

fn client(base: &str) -> OnlineDirectory {
    OnlineDirectory::new(base, Duration::from_millis(500)).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_maps_results_and_eligibility() {
    let base = fake_server().await;
    let found = client(&base).search("CHU Nantes").await.expect("answer");
    assert_eq!(found.len(), 3, "the invalid row is dropped");
    assert_eq!(found[0].name, "CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES");
    assert_eq!(
        found[0].legal_category_label,
        "Établissement d'hospitalisation"
    );
    assert_eq!(found[0].eligibility, Eligibility::Eligible);
    assert_eq!(found[1].eligibility, Eligibility::NeedsJustification);
    assert!(!found[2].active);
    assert!(matches!(
        found[2].eligibility,
        Eligibility::NotEligible { .. }
    ));

    let siret = Siret::parse("26440013600018").expect("valid");
    let org = client(&base)
        .lookup(&siret)
        .await
        .expect("answer")
        .expect("found");
    assert_eq!(org.siren, "264400136");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_unavailable_never_a_hang() {
    let base = fake_server().await;
    for q in ["lent", "panne", "casse"] {
        let started = std::time::Instant::now();
        let err = client(&base).search(q).await.expect_err(q);
        assert!(
            err.to_string()
                .starts_with("annuaire en ligne indisponible"),
            "{q}: {err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{q}: the timeout holds"
        );
    }
    // Nothing listens there.
    let err = client("http://127.0.0.1:1")
        .search("x")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("indisponible"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_fall_back_to_the_online_search() {
    let base = fake_server().await;
    let t = TestDb::sqlite().await;
    let app = common::app_with_online(t.db.clone(), Index::default(), client(&base));

    let (status, body) = common::get_json(app.clone(), "/api/organisations/26440013600018").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "recherche_entreprises");
    assert_eq!(body["legal_category"], "7364");
    assert_eq!(body["eligibility"]["status"], "eligible");

    let (status, body) = common::get_json(app.clone(), "/api/organisations?q=CHU%20Nantes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["online"], "ok");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(3));

    // With the commune of Nantes in the offline index: "CHU Nantes" (no
    // offline name holds "CHU") gives the public hospital found online
    // first, then the commune, then the company; "Nantes" gives the commune.
    let nantes = guichet::server::directory::index::Entry {
        siren: "214401093".into(),
        siret: None,
        name: "Nantes".into(),
        kind: guichet::server::directory::index::EntryKind::Commune,
        code: "44109".into(),
        departement: Some("44".into()),
        population: Some(320_732),
    };
    let with_nantes =
        common::app_with_online(t.db.clone(), Index::new(vec![nantes]), client(&base));
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, body) =
        common::get_json(with_nantes.clone(), "/api/organisations?q=CHU%20Nantes").await;
    let found = names(&body);
    assert_eq!(
        found[..2],
        ["CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES", "Nantes"],
        "{body}"
    );
    assert_eq!(found[2], "SOCIETE DE TRANSPORT", "{body}");
    let (_, body) = common::get_json(with_nantes, "/api/organisations?q=Nantes").await;
    assert_eq!(
        names(&body)[..2],
        ["Nantes", "CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES"],
        "{body}"
    );

    // Public-law bodies first, then the others in the online order; each
    // marked as found online.
    let (_, body) = common::get_json(app.clone(), "/api/organisations?q=transport").await;
    let names: Vec<&str> = body["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        vec![
            "EUROMETROPOLE DE STRASBOURG (TRANSPORTS)",
            "SOCIETE DE TRANSPORT"
        ],
        "{body}"
    );
    assert_eq!(body["results"][0]["source"], "recherche_entreprises");

    // The online search fails: the offline answer stands, with a clear word.
    let (status, body) = common::get_json(app.clone(), "/api/organisations?q=panne").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["online"], "indisponible");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("indisponible")
    );

    // A SIRET lookup while the online search is down: 503 with a French message.
    let down =
        common::app_with_online(t.db.clone(), Index::default(), client("http://127.0.0.1:1"));
    let (status, body) = common::get_json(down, "/api/organisations/26440013600018").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "directory_unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("continuer")
    );
}
