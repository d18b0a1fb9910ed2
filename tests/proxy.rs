//! Proxy mode against a local upstream started by the test (a real HTTP
//! server on loopback): Guichet's checks first, then the call forwarded with
//! Guichet's own credentials, the upstream's answer returned, and its
//! outages answered in the contract's shape (timeout, non-JSON, circuit
//! breaker, concurrency limit).

use crate::common::{self, TestDb};
use crate::tokens::{PARAMS, accepted_in, call};
use guichet::server::api_entreprise::ApiMode;
use guichet::server::api_entreprise::upstream::{BREAKER_FAILURES, Upstream, UpstreamConfig};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the upstream saw, and how it answers (by the path's SIREN/SIRET).
#[derive(Default)]
struct Seen {
    calls: Vec<(String, Option<String>, Option<String>)>,
}

/// A loopback upstream: `…/418166096…` answers 200 JSON, `…/552100554…`
/// the contract's 404, `…/lent…`-like slowness for `389839937`, a non-JSON
/// 500 for `339379984`; it records each call's path, query and
/// `Authorization`.
async fn upstream() -> (String, Arc<Mutex<Seen>>) {
    use axum::extract::{OriginalUri, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = |State(seen): State<Arc<Mutex<Seen>>>, uri: OriginalUri, headers: HeaderMap| async move {
        let path = uri.path().to_owned();
        seen.lock().expect("lock").calls.push((
            path.clone(),
            uri.query().map(str::to_owned),
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ));
        if path.contains("389839937") {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        if path.contains("339379984") {
            return (StatusCode::INTERNAL_SERVER_ERROR, "<html>panne</html>").into_response();
        }
        if path.contains("552100554") {
            return (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "errors": [{ "code": "03003", "title": "Entité non trouvée",
                    "detail": "Inconnue en amont", "source": null, "meta": { "provider": "DGFIP - Adélie" } }] })),
            )
                .into_response();
        }
        axum::Json(
            json!({ "data": { "vient_de": "amont", "chemin": path }, "links": {}, "meta": {} }),
        )
        .into_response()
    };
    let app = axum::Router::new()
        .fallback(handler)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

fn code(body: &Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_forwards_after_the_checks_and_answers_outages_in_the_contract_shape() {
    let t = TestDb::sqlite().await;
    let (base, seen) = upstream().await;
    let mut st = common::state(t.db.clone());
    st.api_mode = ApiMode::Proxy(Arc::new(
        Upstream::new(UpstreamConfig {
            base_url: base.clone(),
            token: "jeton-de-guichet".to_owned(),
            timeout: Duration::from_millis(800),
            concurrency: 1,
        })
        .expect("client"),
    ));
    let a = accepted_in(&t, st).await;
    // Every scope of the DGFIP's operations and INSEE's.
    sqlx::query("UPDATE tokens SET scopes = $1 WHERE id = $2")
        .bind(
            json!([
                "chiffre_affaires_dgfip",
                "liasses_fiscales_dgfip",
                "unites_legales_etablissements_insee"
            ])
            .to_string(),
        )
        .bind(&a.row.id)
        .execute(&t.db.pool)
        .await
        .expect("scopes");
    a.runtime.forget_all();
    let calls = || seen.lock().expect("lock").calls.len();

    // Forwarded with Guichet's credentials; the answer passed on.
    let path = format!("/v3/dgfip/unites_legales/418166096/liasses_fiscales/2022?{PARAMS}");
    let (status, body, headers) = call(&a.app, &path, Some(&a.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["vient_de"], "amont");
    assert!(headers.get("x-donnees-fictives").is_none());
    assert_eq!(headers["ratelimit-limit"], "250");
    {
        let seen = seen.lock().expect("lock");
        let (p, q, auth) = &seen.calls[0];
        assert_eq!(
            p,
            "/v3/dgfip/unites_legales/418166096/liasses_fiscales/2022"
        );
        assert_eq!(q.as_deref(), Some(PARAMS));
        assert_eq!(auth.as_deref(), Some("Bearer jeton-de-guichet"));
    }
    // Guichet's own refusals never reach the upstream.
    let before = calls();
    let (status, body, _) = call(
        &a.app,
        &format!("/v4/dgfip/unites_legales/418166096/attestation_fiscale?{PARAMS}"),
        Some(&a.token),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "00100"));
    let (status, body, _) = call(
        &a.app,
        "/v3/dgfip/unites_legales/418166096/liasses_fiscales/2022?context=x&object=y",
        Some(&a.token),
    )
    .await;
    assert_eq!((status, code(&body)), (422, "00203"));
    let (status, _, _) = call(&a.app, &path, None).await;
    assert_eq!(status, 401);
    assert_eq!(calls(), before, "refused calls are not forwarded");

    // The upstream's documented 404, passed on.
    let (status, body, _) = call(
        &a.app,
        &format!("/v3/dgfip/unites_legales/552100554/liasses_fiscales/2022?{PARAMS}"),
        Some(&a.token),
    )
    .await;
    assert_eq!((status, code(&body)), (404, "03003"));
    assert_eq!(body["errors"][0]["detail"], "Inconnue en amont");

    // Too slow: 504 with the provider's "hors-délai".
    let slow = format!("/v3/dgfip/unites_legales/389839937/liasses_fiscales/2022?{PARAMS}");
    let started = std::time::Instant::now();
    let (status, body, _) = call(&a.app, &slow, Some(&a.token)).await;
    assert_eq!((status, code(&body)), (504, "03002"), "{body}");
    assert!(started.elapsed() < Duration::from_millis(1_800));
    assert_eq!(body["errors"][0]["meta"]["provider"], "DGFIP - Adélie");

    // The one slot busy with a slow call: the next waits a quarter of the
    // timeout, then 504 "service non disponible" without being forwarded.
    let busy = {
        let app = a.app.clone();
        let token = a.token.clone();
        let slow = slow.clone();
        tokio::spawn(async move { call(&app, &slow, Some(&token)).await.0 })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = calls();
    let insee = format!("/v4/insee/sirene/unites_legales/418166096?{PARAMS}");
    let (status, body, headers) = call(&a.app, &insee, Some(&a.token)).await;
    assert_eq!((status, code(&body)), (504, "01001"), "{body}");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(calls(), before);
    assert_eq!(busy.await.expect("join"), 504);

    // Not JSON: 502 with the provider's "erreur inconnue".
    let broken = format!("/v3/dgfip/unites_legales/339379984/liasses_fiscales/2022?{PARAMS}");
    let (status, body, _) = call(&a.app, &broken, Some(&a.token)).await;
    assert_eq!((status, code(&body)), (502, "03999"), "{body}");

    // The DGFIP's failures in a row (2 timeouts and a 502 so far) open its
    // circuit: answered at once, without calling, while INSEE still goes.
    for _ in 3..BREAKER_FAILURES {
        let (status, _, _) = call(&a.app, &broken, Some(&a.token)).await;
        assert_eq!(status, 502);
    }
    let before = calls();
    let (status, body, headers) = call(&a.app, &path, Some(&a.token)).await;
    assert_eq!((status, code(&body)), (504, "03001"), "{body}");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(calls(), before, "an open circuit does not call");
    let (status, body, _) = call(&a.app, &insee, Some(&a.token)).await;
    assert_eq!(status, 200, "another provider's circuit is closed: {body}");
    assert_eq!(calls(), before + 1);

    // Every answer is counted with its outcome.
    a.runtime.flush(&t.db).await.expect("flush");
    let rows: Vec<(i32, String, i64)> = sqlx::query_as(
        "SELECT status, code, CAST(SUM(calls) AS BIGINT) FROM api_calls WHERE token_id = $1 \
         GROUP BY status, code ORDER BY status, code",
    )
    .bind(&a.row.id)
    .fetch_all(&t.db.pool)
    .await
    .expect("usage");
    assert!(rows.contains(&(404, "03003".to_owned(), 1)), "{rows:?}");
    assert!(rows.contains(&(403, "00100".to_owned(), 1)), "{rows:?}");
    assert!(rows.contains(&(504, "03001".to_owned(), 1)), "{rows:?}");
    assert!(rows.contains(&(200, String::new(), 2)), "{rows:?}");
    t.cleanup().await;
}
