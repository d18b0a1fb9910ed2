//! Drives the real axum router (pages, server functions, /healthz) against a
//! real SQLite file and a real PostgreSQL database.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestDb, app};
use guichet::domain::RequestState;
use guichet::server::db::{Db, now_ms, requests};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn send(router: axum::Router, req: Request<Body>) -> (StatusCode, String, Option<String>) {
    // A page's render in this test binary has been seen, rarely, never to
    // finish: all threads idle, the first test of the binary waiting (seen
    // on clean clones; never with the real server). Until its cause is found
    // (noted in the issue), a GET that takes more than 20 s is sent once
    // more and the stall is reported, rather than holding CI until its limit.
    let retry = (req.method() == axum::http::Method::GET).then(|| {
        let mut again = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone());
        for (k, v) in req.headers() {
            again = again.header(k, v);
        }
        again
    });
    let once = |router: axum::Router, req: Request<Body>| async move {
        let res = router.oneshot(req).await.expect("infallible");
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            String::from_utf8_lossy(&bytes).into_owned(),
            content_type,
        )
    };
    match tokio::time::timeout(
        std::time::Duration::from_secs(20),
        once(router.clone(), req),
    )
    .await
    {
        Ok(answer) => answer,
        Err(_) => {
            let again = retry
                .expect("a request other than GET stalled for 20 s")
                .body(Body::empty())
                .expect("request");
            eprintln!("STALL: {} did not finish in 20 s; sent again", again.uri());
            tokio::time::timeout(std::time::Duration::from_secs(20), once(router, again))
                .await
                .expect("the page did not finish twice in a row")
        }
    }
}

/// The text of the element carrying `data-state="{state}"`.
fn rendered_count<'a>(body: &'a str, state: &str) -> Option<&'a str> {
    let at = body.find(&format!("data-state=\"{state}\""))?;
    let rest = &body[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(&rest[start..end])
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

fn post_counts() -> Request<Body> {
    Request::post("/api/public/request_counts")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ok_when_the_database_answers() {
    for t in TestDb::all().await {
        let (status, body, ctype) = send(app(t.db.clone()), get("/healthz")).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", t.name);
        assert_eq!(ctype.as_deref(), Some("application/json"));
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["status"], "ok");
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_with_a_french_message_when_the_database_is_down() {
    // Nothing listens on port 1; the SQLite file cannot be opened read-only
    // in a directory that does not exist.
    for url in [
        "postgres://postgres@127.0.0.1:1/test",
        "sqlite:///nonexistent-guichet-dir/sub/guichet.db?mode=ro",
    ] {
        let db = Db::connect_lazy(url).expect("lazy pool");
        let (status, body, _) = send(app(db), get("/healthz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{url}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["code"], "database_unavailable");
        assert!(
            json["message"]
                .as_str()
                .unwrap_or_default()
                .contains("indisponible"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_counts_server_function_reads_the_database() {
    for t in TestDb::all().await {
        // Empty database: every state listed with zero.
        let (status, body, _) = send(app(t.db.clone()), post_counts()).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", t.name);
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["total"], 0);
        assert_eq!(
            json["by_state"].as_array().map(Vec::len),
            Some(RequestState::ALL.len())
        );

        let now = now_ms();
        for state in [
            RequestState::Draft,
            RequestState::Draft,
            RequestState::Submitted,
            RequestState::Accepted,
            RequestState::Accepted,
            RequestState::Accepted,
        ] {
            requests::insert(&t.db, state, now).await.expect("insert");
        }

        let (status, body, _) = send(app(t.db.clone()), post_counts()).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", t.name);
        let counts: guichet::api::public::RequestCounts =
            serde_json::from_str(&body).expect("typed json");
        assert_eq!(counts.total, 6, "{}", t.name);
        assert_eq!(counts.get(RequestState::Draft), 2);
        assert_eq!(counts.get(RequestState::Submitted), 1);
        assert_eq!(counts.get(RequestState::Accepted), 3);
        assert_eq!(counts.get(RequestState::Refused), 0);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_counts_answers_503_when_the_database_is_down() {
    let db = Db::connect_lazy("postgres://postgres@127.0.0.1:1/test").expect("lazy pool");
    let (status, body, _) = send(app(db), post_counts()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let err: guichet::error::AppError = serde_json::from_str(&body).expect("app error json");
    assert_eq!(err.code, guichet::error::ErrorCode::DatabaseUnavailable);
    assert!(!body.contains("127.0.0.1"), "no internals leak: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_function_refuses_get() {
    let t = TestDb::sqlite().await;
    let (status, _, _) = send(app(t.db.clone()), get("/api/public/request_counts")).await;
    assert!(
        status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::BAD_REQUEST,
        "GET must not run the function: {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_is_rendered_in_french_with_the_figures() {
    for t in TestDb::all().await {
        requests::insert(&t.db, RequestState::Submitted, now_ms())
            .await
            .expect("insert");
        let (status, body, ctype) = send(app(t.db.clone()), get("/")).await;
        assert_eq!(status, StatusCode::OK, "{}", t.name);
        assert!(ctype.unwrap_or_default().starts_with("text/html"));
        assert!(body.contains("<html lang=\"fr\""), "{body}");
        assert!(body.contains("Accéder à API Entreprise"));
        assert!(body.contains("Qui peut demander un accès"));
        assert!(body.contains("Une demande par contexte métier"));
        assert!(body.contains("/dsfr/fonts/Marianne-Regular.woff2"));
        assert!(body.contains("fr-header") && body.contains("fr-footer"));
        // The figures come from the database in the server-rendered page.
        assert_eq!(
            rendered_count(&body, "submitted"),
            Some("1"),
            "the submitted count is rendered in place: {body}"
        );
        assert_eq!(rendered_count(&body, "total"), Some("1"));
        // In place, not in a template streamed after the page.
        assert!(
            !body.contains("<template"),
            "no out-of-order fragment: {body}"
        );
        let main_end = body.find("</main>").expect("main");
        assert!(body.find(r#"data-state="total""#).expect("total") < main_end);
        assert!(!body.contains("https://cdn"), "no CDN in pages");
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accessibility_page_states_its_level() {
    let t = TestDb::sqlite().await;
    let (status, body, _) = send(app(t.db.clone()), get("/accessibilite")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Déclaration d’accessibilité"));
    assert!(body.contains("non conforme"));
    assert!(body.contains("Ce qui n’est pas encore vérifié"));
    assert!(body.contains("clavier seul"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_page_is_a_french_404() {
    let t = TestDb::sqlite().await;
    let (status, body, _) = send(app(t.db.clone()), get("/pages/inexistante")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page non trouvée"), "{body}");
    assert!(body.contains("<html lang=\"fr\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_send_anonymous_visitors_to_the_sign_in_page() {
    let t = TestDb::sqlite().await;
    // Each comes back to the page asked for once signed in.
    for (path, back) in [
        ("/demandes", "%2Fdemandes"),
        ("/demandes/1", "%2Fdemandes%2F1"),
        ("/demandes/1/etape/2", "%2Fdemandes%2F1%2Fetape%2F2"),
        ("/mon-compte", "%2Fmon-compte"),
        (
            "/demandes/nouvelle?modele=marches-publics&siret=20005379100014",
            "%2Fdemandes%2Fnouvelle%3Fmodele%3Dmarches-publics%26siret%3D20005379100014",
        ),
    ] {
        let req = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .expect("request");
        let res = app(t.db.clone()).oneshot(req).await.expect("infallible");
        assert_eq!(res.status(), StatusCode::FOUND, "{path}");
        assert_eq!(
            res.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(format!("/connexion?suite={back}").as_str()),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_on_both_backends() {
    for t in TestDb::all().await {
        t.db.migrate().await.expect("second run is a no-op");
        let again = Db::connect(&t.url).await.expect("reconnect");
        again.migrate().await.expect("third run from a new pool");
        again.close().await;
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_and_its_directory_are_created_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a/b/guichet.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Db::connect(&url).await.expect("connect creates the file");
    db.migrate().await.expect("migrate");
    assert!(path.exists());
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&db.pool)
        .await
        .expect("pragma");
    assert_eq!(mode.to_lowercase(), "wal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_renders_the_figures_in_place_under_concurrent_requests() {
    let t = TestDb::sqlite().await;
    requests::insert(&t.db, RequestState::Accepted, now_ms())
        .await
        .expect("insert");
    let router = app(t.db.clone());
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let r = router.clone();
            tokio::spawn(async move { send(r, get("/")).await })
        })
        .collect();
    for task in tasks {
        let (status, body, _) = task.await.expect("no panic while rendering");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rendered_count(&body, "accepted"), Some("1"));
        assert!(!body.contains("<template"), "rendered in place");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_served_compressed_and_confined_to_the_site_root() {
    let t = TestDb::sqlite().await;
    let outer = tempfile::tempdir().expect("tmp");
    let site = outer.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).expect("mkdir");
    let css = ".fr-test { color: #000091; }\n".repeat(200);
    std::fs::write(site.join("pkg/guichet.css"), &css).expect("write");
    std::fs::write(outer.path().join("secret.txt"), "secret").expect("write");

    let router = common::app_with_site_root(t.db.clone(), &site);
    let req = Request::get("/pkg/guichet.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let compressed = res.into_body().collect().await.expect("body").to_bytes();
    assert!(compressed.len() < css.len() / 4, "gzip shrinks the file");

    let (status, body, _) = send(router.clone(), get("/pkg/guichet.css")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, css, "served as is without Accept-Encoding");

    for path in [
        "/../secret.txt",
        "/pkg/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let (status, body, _) = send(router.clone(), get(path)).await;
        assert_ne!(status, StatusCode::OK, "{path}");
        assert!(
            !body.contains("secret"),
            "{path} must not escape the site root"
        );
    }
}

/// A site root as `cargo leptos build` and `guichet precompress` leave it.
fn built_site(outer: &std::path::Path) -> std::path::PathBuf {
    let site = outer.join("site");
    for dir in ["pkg", "dsfr/fonts"] {
        std::fs::create_dir_all(site.join(dir)).expect("mkdir");
    }
    let wasm: Vec<u8> = (0..60_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 977) as u8)
        .collect();
    std::fs::write(site.join("pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm"), &wasm).expect("write");
    std::fs::write(
        site.join("dsfr/dsfr.module.min.js"),
        "export const dsfr = 1;\n".repeat(300),
    )
    .expect("write");
    std::fs::write(site.join("dsfr/fonts/Marianne-Regular.woff2"), [7u8; 3000]).expect("write");
    site
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_precompressed_and_cached_by_browsers() {
    use guichet::server::assets::{IMMUTABLE, REVALIDATE, precompress};
    let t = TestDb::sqlite().await;
    let outer = tempfile::tempdir().expect("tmp");
    let site = built_site(outer.path());
    let wasm = std::fs::read(site.join("pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm")).expect("read");

    // Once at build time: brotli beats gzip, which beats nothing; fonts are
    // left alone; a second run rewrites nothing.
    let done = precompress(&site).expect("precompress");
    assert_eq!(done.files, 2, "the wasm and the script, not the font");
    assert!(
        done.brotli_bytes < done.gzip_bytes && done.gzip_bytes < done.bytes,
        "{done:?}"
    );
    assert!(!site.join("dsfr/fonts/Marianne-Regular.woff2.br").exists());
    let br = site.join("pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm.br");
    let written = std::fs::metadata(&br)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(precompress(&site).expect("again"), done);
    assert_eq!(
        std::fs::metadata(&br)
            .and_then(|m| m.modified())
            .expect("mtime"),
        written
    );

    let router = common::app_with_site_root(t.db.clone(), &site);
    // What a browser sends: the brotli file, as built, cached for a year.
    let (status, headers, body) =
        common::get_raw(&router, "/pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
        Some(&b"br"[..])
    );
    assert_eq!(
        headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()),
        Some(
            std::fs::metadata(&br)
                .expect("br")
                .len()
                .to_string()
                .as_str()
        ),
        "the file written at build time, not a new compression"
    );
    assert_eq!(body, wasm, "decompressed, the very file");
    assert_eq!(
        headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(IMMUTABLE.as_bytes())
    );
    assert_eq!(
        headers.get(header::VARY).map(|v| v.as_bytes()),
        Some(&b"accept-encoding"[..])
    );
    assert!(headers.contains_key(header::ETAG));

    // A client that takes gzip only gets the gzip file.
    let req = Request::get("/pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );

    // A file without a hash in its name: an hour, then revalidated by its
    // ETag, which names its content: 304 without a body.
    let (status, headers, _) = common::get_raw(&router, "/dsfr/dsfr.module.min.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(REVALIDATE.as_bytes())
    );
    let etag = headers.get(header::ETAG).expect("etag").clone();
    let revalidate = |tag: axum::http::HeaderValue| {
        Request::get("/dsfr/dsfr.module.min.js")
            .header(header::ACCEPT_ENCODING, common::BROWSER_ENCODINGS)
            .header(header::IF_NONE_MATCH, tag)
            .body(Body::empty())
            .expect("request")
    };
    let res = router
        .clone()
        .oneshot(revalidate(etag.clone()))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers().get(header::ETAG), Some(&etag));
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert!(body.is_empty());
    let res = router
        .clone()
        .oneshot(revalidate(axum::http::HeaderValue::from_static(
            "\"autre\"",
        )))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::OK, "another version: the file");

    // The same ETag on another instance (same content, other file times).
    let other = tempfile::tempdir().expect("tmp");
    let site2 = built_site(other.path());
    let router2 = common::app_with_site_root(t.db.clone(), &site2);
    let (_, headers2, _) = common::get_raw(&router2, "/dsfr/dsfr.module.min.js", None).await;
    assert_eq!(headers2.get(header::ETAG), Some(&etag));

    // Fonts: served as they are, never recompressed.
    let (status, headers, body) =
        common::get_raw(&router, "/dsfr/fonts/Marianne-Regular.woff2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body.len(), 3000);

    // Pages are not static files: no long cache.
    let (status, headers, _) = common::get_raw(&router, "/accessibilite", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get(header::CACHE_CONTROL)
            .is_none_or(|v| !v.to_str().unwrap_or_default().contains("immutable"))
    );
    assert!(headers.get(header::ETAG).is_none());
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_pages_and_api() {
    let t = TestDb::sqlite().await;
    let res = app(t.db.clone())
        .oneshot(get("/"))
        .await
        .expect("infallible");
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let body = String::from_utf8_lossy(&body);
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .expect("page CSP")
        .to_owned();
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // The nonce of the header is the one every inline script carries.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("nonce");
    assert!(nonce.len() >= 16, "{nonce}");
    let inline_scripts =
        body.matches("<script").count() - body.matches("<script type=\"module\" src=").count();
    assert!(inline_scripts > 0);
    assert_eq!(
        body.matches(&format!("nonce=\"{nonce}\"")).count(),
        inline_scripts,
        "every inline script carries the nonce"
    );
    assert_eq!(
        headers
            .get(header::X_CONTENT_TYPE_OPTIONS)
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert!(headers.get(header::REFERRER_POLICY).is_some());

    // A second page gets another nonce.
    let res = app(t.db.clone())
        .oneshot(get("/"))
        .await
        .expect("infallible");
    let other = res.headers().get(header::CONTENT_SECURITY_POLICY).cloned();
    assert_ne!(
        other.as_ref().and_then(|v| v.to_str().ok()),
        Some(csp.as_str())
    );

    // JSON answers get the strict policy.
    let res = app(t.db.clone())
        .oneshot(get("/healthz"))
        .await
        .expect("infallible");
    assert_eq!(
        res.headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok()),
        Some(guichet::server::http::NON_PAGE_CSP)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_oversized_mutations_are_refused() {
    let t = TestDb::sqlite().await;
    let post = |origin: Option<&str>, referer: Option<&str>| {
        let mut b = Request::post("/api/public/request_counts")
            .header(header::HOST, "guichet.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(r) = referer {
            b = b.header(header::REFERER, r);
        }
        b.body(Body::empty()).expect("request")
    };
    for (origin, referer) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, None),
        (None, Some("https://evil.example/guichet.example")),
        (Some("https://guichet.example.evil.example"), None),
    ] {
        let (status, body, _) = send(app(t.db.clone()), post(origin, referer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?} {referer:?}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["code"], "cross_site_request");
        assert!(
            json["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Requête refusée")
        );
    }
    for (origin, referer) in [
        (Some("https://guichet.example"), None),
        (None, Some("https://guichet.example/demandes")),
    ] {
        let (status, body, _) = send(app(t.db.clone()), post(origin, referer)).await;
        assert_eq!(status, StatusCode::OK, "{origin:?} {referer:?}: {body}");
    }

    // Oversized, announced: refused before reading, in French.
    let big = Request::post("/api/public/request_counts")
        .header(header::HOST, "guichet.example")
        .header(header::ORIGIN, "https://guichet.example")
        .header(header::CONTENT_LENGTH, "2000000")
        .body(Body::from(vec![b'a'; 2_000_000]))
        .expect("request");
    let (status, body, _) = send(app(t.db.clone()), big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("trop volumineuse"), "{body}");

    // GET is never blocked by the origin check.
    let (status, _, _) = send(app(t.db.clone()), get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_only_when_served_over_https() {
    let t = TestDb::sqlite().await;
    let res = app(t.db.clone())
        .oneshot(get("/healthz"))
        .await
        .expect("infallible");
    assert!(
        res.headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
    let res = common::app_https(t.db.clone())
        .oneshot(get("/healthz"))
        .await
        .expect("infallible");
    assert_eq!(
        res.headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .and_then(|v| v.to_str().ok()),
        Some("max-age=63072000; includeSubDomains")
    );
}
