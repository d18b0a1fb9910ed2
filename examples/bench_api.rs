//! API-Entreprise-compatible calls under load, and revocation.
//!
//! 1. Seeds T accepted requests (default 1,000), each with its token in one
//!    client space.
//! 2. Serves the real router on a loopback port and calls
//!    `/v4/insee/sirene/unites_legales/{siren}` for D seconds (default 10)
//!    from C concurrent HTTP/1.1 keep-alive clients (default 64), each call
//!    with the next of the T tokens. Every call is verified (signature, the
//!    token's row, rate limit, scopes, parameters), counted for the usage
//!    page, and answered by the sandbox (the contract's example). Reports
//!    calls per second and latency (p50 / p99); the load generator runs in
//!    the same process, on the same 2 cores; then the same from `wrk`.
//! 3. Proxy mode: a second router forwards the same calls to a local
//!    upstream (an axum server in this process answering a fixed JSON body,
//!    as API Entreprise would); the upstream's own rate, called directly, is
//!    measured in the same run: the proxy's figure reads against it.
//! 4. Revokes one token as the instructor's button does (`act`, then the
//!    live event that makes every instance drop the token's cached row; on
//!    PostgreSQL it goes through NOTIFY and back) and measures the time to
//!    the first refused call (`00105`), 20 times.
//!
//! `cargo run --release --features ssr --example bench_api -- [sqlite|postgres] [tokens] [seconds] [clients]`

#[path = "support/scratch.rs"]
mod scratch;

use guichet::domain::lifecycle::{Action, EventKind, Role};
use guichet::server::config::Config;
use guichet::server::db::{self, requests::Change};
use guichet::server::state::AppState;
use guichet::server::tokens::Claims;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PATH: &str = "/v4/insee/sirene/unites_legales/418166096?context=Bench&object=Charge&recipient=21310555400017";

use guichet::server::api_entreprise::ApiMode;
use guichet::server::api_entreprise::upstream::{Upstream, UpstreamConfig};
use scratch::pct;

/// Calls `url` for `seconds` from `clients` keep-alive clients, each call
/// with the next token; prints and answers (calls/s, calls not 200).
async fn load(
    client: &reqwest::Client,
    url: &str,
    jwts: &Arc<Vec<String>>,
    clients: usize,
    seconds: u64,
    what: &str,
) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, jwts, stop) =
            (client.clone(), url.to_owned(), jwts.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut refused = 0u64;
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let token = &jwts[i % jwts.len()];
                i += clients;
                let t = Instant::now();
                let ok = status(&client, &url, token).await == 200;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                if !ok {
                    refused += 1;
                }
            }
            (latencies, refused)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (l, r) = t.await.expect("task");
        all.extend(l);
        refused += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let rate = all.len() as f64 / elapsed;
    println!(
        "{what}: {} calls in {elapsed:.1} s = {rate:.0}/s (not 200: {refused}); latency p50 {:.2} ms, p99 {:.2} ms",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99)
    );
    (rate, refused)
}

/// A stand-in for API Entreprise on loopback: every GET answers the
/// contract's example of the operation benchmarked.
async fn local_upstream() -> String {
    let body = guichet::domain::contract::operations()
        .iter()
        .find(|o| o.path == "/v4/insee/sirene/unites_legales/{siren}")
        .map(|o| o.sample.to_string())
        .unwrap_or_default();
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([("content-type", "application/json")], body) }
    });
    scratch::serve_app(app).await
}

/// An axum "hello" endpoint on loopback, answering every GET, served by the
/// same loop as the server (`listen::serve`).
async fn hello_server() -> String {
    let app = axum::Router::new().fallback(|| async { "bonjour" });
    format!("{}{PATH}", scratch::serve_app(app).await)
}

/// Runs `wrk` (one thread, `clients` connections) with the token script on
/// `url`; prints its summary and answers its rate.
async fn wrk(
    script: &std::path::Path,
    url: &str,
    tokens: &std::path::Path,
    clients: usize,
    seconds: u64,
    what: &str,
) -> Option<f64> {
    let (script, url, tokens) = (script.to_owned(), url.to_owned(), tokens.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args([
                "-t1",
                &format!("-c{clients}"),
                &format!("-d{seconds}s"),
                "--latency",
                "-s",
            ])
            .arg(&script)
            .arg(&url)
            .env("TOKENS", &tokens)
            .output()
    })
    .await
    .expect("join")
    .expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rate = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(r) = l.strip_prefix("Requests/sec:") {
            rate = r.trim().parse::<f64>().ok();
        }
        if l.starts_with("Requests/sec")
            || l.starts_with("50%")
            || l.starts_with("99%")
            || l.starts_with("Non-2xx")
            || l.contains("requests in")
        {
            println!("{what}: {l}");
        }
    }
    rate
}

/// One call with `token`; its status, the body read.
async fn status(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    let res = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("call");
    let code = res.status().as_u16();
    let _ = res.bytes().await;
    code
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let seconds: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(10);
    let clients: usize = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(64);

    let scratch = scratch::Scratch::new(&backend).await;
    let db = scratch.db.clone();
    let now = db::now_ms();
    sqlx::query(
        "INSERT INTO users (email, role, created_at, updated_at) VALUES \
         ('demandeur@bench.fr', 'applicant', 0, 0), ('instructeur@bench.fr', 'instructor', 0, 0)",
    )
    .execute(&db.pool)
    .await
    .expect("users");
    sqlx::query(
        "INSERT INTO client_spaces (siret, name, created_at) VALUES ('13002737600016', 'Région Occitanie', 0)",
    )
    .execute(&db.pool)
    .await
    .expect("space");
    // Twice as many: the first n for the in-process clients, the other n
    // for wrk, so that each run starts with fresh per-token limits.
    for chunk in (0..2 * n).collect::<Vec<_>>().chunks(500) {
        let mut requests = String::from(
            "INSERT INTO requests (id, state, applicant_id, title, data, version, created_at, \
             updated_at, submitted_at) VALUES ",
        );
        let mut tokens = String::from(
            "INSERT INTO tokens (id, space_id, request_id, name, scopes, issued_at, expires_at, \
             rate_limit_per_minute) VALUES ",
        );
        for (i, k) in chunk.iter().enumerate() {
            if i > 0 {
                requests.push(',');
                tokens.push(',');
            }
            let id = k + 1;
            requests.push_str(&format!(
                "({id}, 'accepted', 1, 'Cas {id}', '{{}}', 1, {now}, {now}, {now})"
            ));
            tokens.push_str(&format!(
                "('00000000-0000-4000-8000-{id:012}', 1, {id}, 'Cas {id}', \
                 '[\"unites_legales_etablissements_insee\"]', {now}, {}, 1000000)",
                now + 548 * 86_400_000
            ));
        }
        sqlx::query(&requests)
            .execute(&db.pool)
            .await
            .expect("requests");
        sqlx::query(&tokens)
            .execute(&db.pool)
            .await
            .expect("tokens");
    }
    // Each token's first string (its `jti` is the token's id).
    sqlx::query(
        "INSERT INTO token_strings (jti, token_id, issued_at) SELECT id, id, issued_at FROM tokens",
    )
    .execute(&db.pool)
    .await
    .expect("token strings");
    let config = Config::load(std::path::Path::new("Leptos.toml")).expect("Leptos.toml");
    let state = AppState::new(config.leptos.clone(), db.clone());
    let keys = state.tokens.clone();
    let mut jwts = Vec::with_capacity(2 * n);
    for k in 0..2 * n {
        let id = k + 1;
        let row = db::spaces::token(&db, &format!("00000000-0000-4000-8000-{id:012}"))
            .await
            .expect("db")
            .expect("token");
        jwts.push(keys.mint(&Claims::of(&row)).expect("mint"));
    }
    let wrk_jwts = jwts.split_off(n);
    let jwts = Arc::new(jwts);
    let live = state.live.clone();
    if db.backend == db::Backend::Postgres {
        live.start_listener(scratch.url.clone()).await;
    }
    guichet::server::api_entreprise::spawn_revocation_watch(state.clone());
    let base = scratch::serve(state).await;
    let url = format!("{base}{PATH}");
    println!("{backend}: {n} tokens, {clients} clients, {seconds} s");

    // Throughput. The tokens' limit is raised to 1,000,000 calls a minute:
    // the limiter still runs on every call, but 1,000 tokens at the default
    // 250 a minute would cap the run at 4,167 calls a second.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let (rate, refused) = load(&client, &url, &jwts, clients, seconds, "sandbox").await;
    scratch::figure(&format!("api.{backend}.inprocess_calls_per_s"), rate);
    scratch::figure(&format!("api.{backend}.refused"), refused as f64);

    // The same load from `wrk` (Debian's package), a separate process in C
    // with one thread: the server keeps more of the machine than with the
    // in-process clients above.
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok()
    {
        let dir = tempfile::tempdir().expect("tmp");
        let tokens_file = dir.path().join("tokens.txt");
        std::fs::write(&tokens_file, wrk_jwts.join("\n")).expect("tokens");
        let script = dir.path().join("tokens.lua");
        std::fs::write(
            &script,
            "local tokens = {}\n\
             for line in io.lines(os.getenv(\"TOKENS\")) do tokens[#tokens + 1] = line end\n\
             local i = 0\n\
             request = function()\n\
               i = i + 1\n\
               return wrk.format(\"GET\", nil, {[\"Authorization\"] = \"Bearer \" .. tokens[(i % #tokens) + 1]})\n\
             end\n",
        )
        .expect("script");
        if let Some(rate) = wrk(&script, &url, &tokens_file, clients, seconds, "wrk").await {
            scratch::figure(&format!("api.{backend}.wrk_calls_per_s"), rate);
        }
        // The generator's own ceiling: the same wrk and script against an
        // axum hello endpoint in this process (same headers sent, 7 bytes
        // answered). The API's rate reads against it.
        let hello = hello_server().await;
        if let Some(rate) = wrk(
            &script,
            &hello,
            &tokens_file,
            clients,
            seconds,
            "wrk, hello",
        )
        .await
        {
            scratch::figure(&format!("api.{backend}.wrk_hello_same_script_per_s"), rate);
        }
    }

    // Proxy mode: the same calls through a second router that forwards
    // them to a local upstream; first the upstream alone, called directly.
    let upstream = local_upstream().await;
    let direct = format!("{upstream}{PATH}");
    let (upstream_rate, _) =
        load(&client, &direct, &jwts, clients, seconds, "upstream alone").await;
    scratch::figure(
        &format!("api.{backend}.upstream_calls_per_s"),
        upstream_rate,
    );
    let mut proxy_state = AppState::new(config.leptos.clone(), db.clone());
    proxy_state.tokens = keys.clone();
    proxy_state.api_mode = ApiMode::Proxy(Arc::new(
        Upstream::new(UpstreamConfig {
            base_url: upstream,
            token: "jeton-de-guichet".into(),
            timeout: Duration::from_secs(10),
            concurrency: 256,
        })
        .expect("upstream"),
    ));
    let proxy_base = scratch::serve(proxy_state).await;
    let proxy_url = format!("{proxy_base}{PATH}");
    let (proxy_rate, proxy_refused) =
        load(&client, &proxy_url, &jwts, clients, seconds, "proxy").await;
    scratch::figure(&format!("api.{backend}.proxy_calls_per_s"), proxy_rate);
    scratch::figure(
        &format!("api.{backend}.proxy_refused"),
        proxy_refused as f64,
    );

    // Revocation to refusal.
    let mut delays = Vec::new();
    for k in 0..20 {
        let id = (k + 1) as i64;
        let token = &jwts[k];
        assert_eq!(status(&client, &url, token).await, 200, "before revocation");
        let t = Instant::now();
        // As the instructor's decision does, without its email: the state
        // change and the token revoked in one transaction.
        let now = db::now_ms();
        let mut tx = db.begin().await.expect("transaction");
        let revoke = Change {
            message: Some("Bench"),
            ..Change::new(id, Action::Revoke, Role::Instructor, Some(2), now)
        };
        db::requests::change_state_in(&mut tx, &revoke)
            .await
            .expect("revoke");
        db::spaces::revoke_tokens_in(&mut tx, id, now)
            .await
            .expect("tokens");
        tx.commit().await.expect("commit");
        // Then the event that makes every
        // instance drop the token's cached row (through PostgreSQL's
        // NOTIFY on PostgreSQL).
        live.publish(&db, EventKind::Revoked, id, None).await;
        loop {
            if status(&client, &url, token).await == 401 {
                break;
            }
        }
        delays.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    delays.sort_by(f64::total_cmp);
    scratch::figure(
        &format!("api.{backend}.revocation_max_ms"),
        pct(&delays, 1.0),
    );
    println!(
        "revocation → first refused call: p50 {:.2} ms, max {:.2} ms (20 tokens)",
        pct(&delays, 0.5),
        pct(&delays, 1.0)
    );
    scratch.finish().await;
}
