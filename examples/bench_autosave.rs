//! Autosave under load, over real HTTP: a Guichet server on a loopback port and
//! N editors, each signed in with its own session and its own draft.
//!
//! Phase 1 (paced): every editor saves once a second for D seconds, as the
//! wizard does while someone types. Phase 2 (closed loop): every editor saves
//! again as soon as its previous save is answered, for 10 s: the throughput
//! ceiling. Then every draft is read back: its version must be 1 + the saves
//! acknowledged (none lost, none counted twice), and a save sent again with
//! its id must get the same version (idempotent retry).
//!
//! `cargo run --release --features ssr --example bench_autosave -- [sqlite|postgres] [editors] [seconds]`
//! (defaults: sqlite 200 60; PostgreSQL from `GUICHET_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/test`, on a scratch database).

#[path = "support/scratch.rs"]
mod scratch;

use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use guichet::server::auth::password;
use guichet::server::config::Config;
use guichet::server::db;
use guichet::server::state::AppState;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "cheval agrafe batterie correcte";

#[derive(Clone)]
struct Editor {
    cookie: String,
    id: i64,
    version: i64,
    acknowledged: i64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn save(
    client: &reqwest::Client,
    base: &str,
    e: &Editor,
    save_id: &str,
    data: &RequestData,
) -> Result<i64, String> {
    let body =
        serde_json::json!({ "id": e.id, "version": e.version, "save_id": save_id, "data": data });
    let res = client
        .post(format!("{base}/api/requests/save"))
        .header("cookie", &e.cookie)
        .header("origin", base)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|x| format!("{x:?}"))?;
    let status = res.status();
    let text = res.text().await.map_err(|x| x.to_string())?;
    if !status.is_success() {
        return Err(format!("{status} {text}"));
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|x| x.to_string())?;
    v["version"].as_i64().ok_or_else(|| text.clone())
}

async fn phase(
    client: &reqwest::Client,
    base: &str,
    editors: &mut [Editor],
    seconds: u64,
    paced: bool,
    tag: &str,
) -> Phase {
    let mut data = RequestData::new_draft();
    data.context.description = "Pré-remplir les formulaires à partir du SIRET. ".repeat(10);
    let data = Arc::new(data);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    let total = editors.len().max(1);
    for (n, mut e) in editors.iter().cloned().enumerate() {
        let client = client.clone();
        let base = base.to_owned();
        let data = data.clone();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut done_at = Vec::new();
            let mut errors = 0usize;
            // Spread the paced editors over the second.
            if paced {
                let offset = (n as u64 * 1000) / total as u64;
                tokio::time::sleep(Duration::from_millis(offset)).await;
            }
            let mut k = 0u64;
            while Instant::now() < deadline {
                let tick = Instant::now();
                let mut d = (*data).clone();
                d.context.title = format!("{tag} {k}");
                let t = Instant::now();
                match save(&client, &base, &e, &format!("{tag}-{n}-{k}"), &d).await {
                    Ok(v) => {
                        latencies.push(t.elapsed());
                        done_at.push(start.elapsed());
                        e.version = v;
                        e.acknowledged += 1;
                    }
                    Err(msg) => {
                        errors += 1;
                        if errors < 3 {
                            eprintln!("save error: {msg}");
                        }
                    }
                }
                k += 1;
                if paced {
                    let next = tick + Duration::from_secs(1);
                    tokio::time::sleep_until(next.into()).await;
                }
            }
            (e, latencies, done_at, errors)
        }));
    }
    let mut all = Vec::new();
    let mut done = Vec::new();
    let mut errors = 0;
    let mut back = Vec::new();
    for t in tasks {
        let (e, l, d, x) = t.await.expect("task");
        all.extend(l);
        done.extend(d);
        errors += x;
        back.push(e);
    }
    let elapsed = start.elapsed();
    for (slot, e) in editors.iter_mut().zip(back) {
        *slot = e;
    }
    all.sort();
    // The steady rate: saves answered between the first second (the
    // editors' start is spread over it) and the deadline.
    let window = (1.0, seconds as f64);
    let steady = done
        .iter()
        .filter(|d| (window.0..window.1).contains(&d.as_secs_f64()))
        .count() as f64
        / (window.1 - window.0).max(1.0);
    Phase {
        latencies: all,
        errors,
        elapsed,
        steady,
    }
}

struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
    /// Saves answered per second once every editor has started.
    steady: f64,
}

/// An endpoint answering the save's shape without doing anything: what the
/// load generator alone can send and read.
async fn stub_server() -> String {
    async fn save(body: String) -> axum::Json<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let version = v["version"].as_i64().unwrap_or(0) + 1;
        axum::Json(serde_json::json!({ "version": version, "saved_at": 0 }))
    }
    // A listen queue for every editor's first connection at once.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let listener = socket.listen(4096).expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route("/api/requests/save", axum::routing::post(save));
    tokio::spawn(guichet::server::listen::serve_forever(listener, app));
    base
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(60);

    let scratch = scratch::Scratch::new(&backend).await;
    let db = scratch.db.clone();

    // Accounts (one hash shared: hashing is not what is measured).
    let hash = password::hash(PASSWORD).expect("hash");
    for i in 0..n {
        scratch::account(&db, &format!("editeur{i}@bench.fr"), Role::Applicant, &hash).await;
    }

    let config = Config::load(std::path::Path::new("Leptos.toml")).expect("Leptos.toml");
    let mut state = AppState::new(config.leptos, db.clone());
    state.proxy = guichet::server::client_ip::ProxyTrust::Hops(1);
    state.auth_per_minute = 1_000_000;
    let base = scratch::serve(state).await;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(n)
        .build()
        .expect("client");
    // The load generator's own ceiling, in this run and this process, first
    // (its connections closed before the server's open): the same number of
    // editors and the same bodies, on a client of its own, against an
    // endpoint that only reads the JSON and answers the next version.
    {
        let stub = stub_server().await;
        let stub_client = reqwest::Client::builder()
            .pool_max_idle_per_host(n)
            .build()
            .expect("client");
        let mut ghosts: Vec<Editor> = (0..n)
            .map(|i| Editor {
                cookie: String::new(),
                id: i as i64,
                version: 1,
                acknowledged: 0,
            })
            .collect();
        let ceiling = phase(&stub_client, &stub, &mut ghosts, 5, false, "plafond").await;
        let rate = ceiling.latencies.len() as f64 / ceiling.elapsed.as_secs_f64();
        scratch::figure(
            &format!("autosave.{backend}.e{n}.generator_saves_per_s"),
            rate,
        );
        println!(
            "load generator's ceiling ({n} editors, a client of the same kind, an endpoint doing nothing, 5 s): {rate:.0} saves/s, errors {}",
            ceiling.errors
        );
    }
    let mut editors = Vec::with_capacity(n);
    for i in 0..n {
        let res = client
            .post(format!("{base}/api/auth/login"))
            .header("origin", &base)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("10.{}.{}.1", i / 250, i % 250))
            .body(format!(
                "email=editeur{i}%40bench.fr&password={}",
                PASSWORD.replace(' ', "+")
            ))
            .send()
            .await
            .expect("login");
        let cookie = scratch::session_cookie(&res);
        let res = client
            .post(format!("{base}/api/requests/create"))
            .header("cookie", &cookie)
            .header("origin", &base)
            .header("accept", "application/json")
            .send()
            .await
            .expect("create");
        let id: i64 = res.text().await.expect("id").trim().parse().expect("id");
        editors.push(Editor {
            cookie,
            id,
            version: 1,
            acknowledged: 0,
        });
    }
    println!("{backend}: {n} editors signed in, one draft each");

    let paced = phase(&client, &base, &mut editors, seconds, true, "rythme").await;
    let lat = &paced.latencies;
    scratch::figure(
        &format!("autosave.{backend}.e{n}.paced_p99_ms"),
        percentile(lat, 0.99),
    );
    scratch::figure(
        &format!("autosave.{backend}.e{n}.paced_saves_per_s"),
        paced.steady,
    );
    scratch::figure(
        &format!("autosave.{backend}.e{n}.errors"),
        paced.errors as f64,
    );
    println!(
        "paced ({n} editors, 1 save/s each, {seconds} s): {} saves in {:.1} s, {:.0} saves/s once all started ({n} asked), p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {}",
        lat.len(),
        paced.elapsed.as_secs_f64(),
        paced.steady,
        percentile(lat, 0.50),
        percentile(lat, 0.95),
        percentile(lat, 0.99),
        percentile(lat, 1.0),
        paced.errors,
    );
    let closed = phase(&client, &base, &mut editors, 10, false, "continu").await;
    let lat = &closed.latencies;
    let rate = lat.len() as f64 / closed.elapsed.as_secs_f64();
    scratch::figure(&format!("autosave.{backend}.e{n}.closed_saves_per_s"), rate);
    println!(
        "closed loop ({n} editors, 10 s): {} saves = {rate:.0} saves/s, p50 {:.2} ms, p99 {:.2} ms, errors {}",
        lat.len(),
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        closed.errors,
    );
    // Nothing lost, nothing counted twice; a retry is answered, not applied.
    let mut bad = 0;
    for e in &editors {
        let r = db::requests::get(&db, e.id)
            .await
            .expect("read")
            .expect("draft");
        if r.version != 1 + e.acknowledged || r.version != e.version {
            bad += 1;
        }
    }
    let e = &editors[0];
    let mut d = RequestData::new_draft();
    d.context.title = "retry".into();
    let before = Editor {
        cookie: e.cookie.clone(),
        id: e.id,
        version: e.version,
        acknowledged: 0,
    };
    let v1 = save(&client, &base, &before, "retry-1", &d)
        .await
        .expect("save");
    let v2 = save(&client, &base, &before, "retry-1", &d)
        .await
        .expect("retry");
    println!(
        "check: {} drafts, {bad} with a version different from 1 + acknowledged saves; retry answered version {v2} (first {v1})",
        editors.len()
    );
    scratch::figure(&format!("autosave.{backend}.e{n}.lost"), f64::from(bad));
    assert_eq!(bad, 0, "lost or duplicated versions");
    assert_eq!(v1, v2, "retry not idempotent");

    scratch.finish().await;
}
