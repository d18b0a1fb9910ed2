//! The instructors' dashboard under volume, and its live stream under fan-out.
//!
//! 1. Seeds N requests (default 100,000: 40 % submitted, 10 % awaiting
//!    changes, 35 % accepted, 10 % refused, 5 % drafts; one in ten assigned;
//!    one in five asking sensitive scopes) and 20,000 unread messages, then
//!    times what the dashboard's server function does for one page (the
//!    queue query and the counts per state) for several filters and sorts:
//!    p50 / p95 / max over 200 runs each.
//! 2. Serves the real router on a loopback port, opens S event streams
//!    (default 1,000) as a signed-in instructor over HTTP, publishes 100
//!    events 100 ms apart (so that every stream checks its session while
//!    they arrive) and measures, for every stream, the delay from
//!    publication to reception (p50 / p99 / max) and the process's resident
//!    memory before and after opening the streams (server and clients share
//!    the process: the figure is an upper bound for the server). Before that,
//!    the same number of streams is held by `curl` processes, so that this
//!    process's memory is the server's alone.
//!
//! `cargo run --release --features ssr --example bench_dashboard -- [sqlite|postgres] [requests] [streams]`

#[path = "support/scratch.rs"]
mod scratch;

#[path = "support/dataset.rs"]
mod dataset;

use guichet::domain::lifecycle::EventKind::Submitted;
use guichet::server::config::Config;
use guichet::server::db::instruction::{Assigned, Filters, Sort, queue};
use guichet::server::db::{self, Db};
use guichet::server::state::AppState;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dataset::PASSWORD;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

use scratch::pct;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn time_dashboard(db: &Db, instructor: i64, label: &str, f: Filters) {
    let backend = if db.backend == db::Backend::Postgres {
        "postgres"
    } else {
        "sqlite"
    };
    for _ in 0..20 {
        let _ = queue(db, instructor, &f).await.expect("queue");
    }
    let mut samples = Vec::with_capacity(200);
    let mut rows = 0;
    let mut total = 0;
    for _ in 0..200 {
        let t = Instant::now();
        let page = queue(db, instructor, &f).await.expect("queue");
        let (r, n) = (page.rows, page.total);
        let _ = db::requests::count_by_state(db).await.expect("counts");
        samples.push(ms(t.elapsed()));
        rows = r.len();
        total = n;
    }
    samples.sort_by(f64::total_cmp);
    scratch::figure(&format!("dashboard.{backend}.p95_ms"), pct(&samples, 0.95));
    println!(
        "{label:<42} rows {rows:>2} of {total:>6}: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        pct(&samples, 0.5),
        pct(&samples, 0.95),
        pct(&samples, 1.0)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let streams: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1_000);

    let scratch = scratch::Scratch::new(&backend).await;
    // A data set written beforehand (`scripts/dataset.sh`) is read in place
    // of a new one: a million requests take minutes to write.
    let (db, url, instructor) = match std::env::var("GUICHET_BENCH_DATASET") {
        Ok(url) => {
            let db = Db::connect(&url).await.expect("data set");
            db.migrate().await.expect("migrate");
            let (_, instructor) = dataset::people_of(&db).await;
            println!("data set {}: reused", db::redact(&url));
            (db, url, instructor)
        }
        Err(_) => {
            let db = scratch.db.clone();
            let (applicant, instructor) = dataset::people(&db).await;
            dataset::seed(&db, n, applicant, instructor).await;
            (db, scratch.url.clone(), instructor)
        }
    };

    println!("{backend}: dashboard page (queue + counts), {n} requests");
    let base = Filters {
        page: 1,
        ..Filters::default()
    };
    time_dashboard(
        &db,
        instructor,
        "default (all, waiting longest)",
        base.clone(),
    )
    .await;
    time_dashboard(
        &db,
        instructor,
        "state = submitted, newest first",
        Filters {
            state: Some(guichet::domain::RequestState::Submitted),
            sort: Sort::Newest,
            ..base.clone()
        },
    )
    .await;
    time_dashboard(
        &db,
        instructor,
        "assigned to me, sensitive",
        Filters {
            assigned: Assigned::Me,
            sensitive: true,
            ..base.clone()
        },
    )
    .await;
    time_dashboard(
        &db,
        instructor,
        "unassigned, last changed, page 40",
        Filters {
            assigned: Assigned::Nobody,
            sort: Sort::Updated,
            page: 40,
            ..base.clone()
        },
    )
    .await;
    time_dashboard(
        &db,
        instructor,
        "search « commune n° 42 » (organisation)",
        Filters {
            q: "commune n° 42".into(),
            ..base.clone()
        },
    )
    .await;
    time_dashboard(
        &db,
        instructor,
        "search SIRET prefix 2100000000999",
        Filters {
            q: "2100000000999".into(),
            ..base.clone()
        },
    )
    .await;

    for (label, q) in [
        ("search « usage n° 4242 » (title)", "usage n° 4242"),
        ("search « 4242 » (number, SIRET, title)", "4242"),
        ("search « commune » (in every request)", "commune"),
        ("search « demandeur@bench » (email)", "demandeur@bench"),
        ("search « Région » (no match)", "Région"),
    ] {
        time_dashboard(
            &db,
            instructor,
            label,
            Filters {
                q: q.into(),
                ..base.clone()
            },
        )
        .await;
    }
    time_dashboard(
        &db,
        instructor,
        "search « commune n° 4 », submitted, page 10",
        Filters {
            q: "commune n° 4".into(),
            state: Some(guichet::domain::RequestState::Submitted),
            page: 10,
            ..base.clone()
        },
    )
    .await;
    for (label, f) in [
        (
            "updates only (kind = update)",
            Filters {
                kind: Some(guichet::domain::lifecycle::RequestKind::Update),
                ..base.clone()
            },
        ),
        (
            "from the template « marches-publics »",
            Filters {
                template: Some("marches-publics".into()),
                ..base.clone()
            },
        ),
        (
            "applicant vouched for by ProConnect",
            Filters {
                agent_link: Some(guichet::domain::identity::AgentLink::ProConnect),
                ..base.clone()
            },
        ),
        (
            "applicant not vouched for, submitted",
            Filters {
                agent_link: Some(guichet::domain::identity::AgentLink::Unverified),
                state: Some(guichet::domain::RequestState::Submitted),
                ..base.clone()
            },
        ),
    ] {
        time_dashboard(&db, instructor, label, f).await;
    }
    if streams == 0 {
        scratch.finish().await;
        return;
    }

    // Fan-out over HTTP.
    let config = Config::load(std::path::Path::new("Leptos.toml")).expect("Leptos.toml");
    let mut state = AppState::new(config.leptos, db.clone());
    state.auth_per_minute = 1_000_000;
    if db.backend == db::Backend::Postgres {
        state.live.start_listener(url.clone()).await;
    }
    let live = state.live.clone();
    let base_url = scratch::serve(state).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base_url}/api/auth/login"))
        .header("origin", &base_url)
        .header("accept", "application/json")
        .form(&[("email", dataset::INSTRUCTOR), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    let cookie = scratch::session_cookie(&res);
    // Staff prove the second factor: the session is signed in only then.
    let res = client
        .post(format!("{base_url}/api/auth/verify_second_factor"))
        .header("origin", &base_url)
        .header("accept", "application/json")
        .header("cookie", &cookie)
        .form(&[("code", dataset::instructor_code())])
        .send()
        .await
        .expect("second factor");
    assert_eq!(res.status(), 200, "second factor");
    let cookie = scratch::session_cookie(&res);
    // The server's memory alone: first, the streams are held by `curl`
    // processes, so this process holds only the server's side.
    let curl = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok();
    if curl {
        let before = rss_mib();
        let mut curls = Vec::new();
        for _ in 0..streams {
            let child = std::process::Command::new("curl")
                .args(["-sN", "-o", "/dev/null", "-H"])
                .arg(format!("cookie: {cookie}"))
                .arg(format!("{base_url}/instruction/flux"))
                .spawn();
            if let Ok(c) = child {
                curls.push(c);
            }
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        for k in 0..10 {
            live.publish(&db, Submitted, k + 1, None).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_mib();
        scratch::figure(
            &format!("fanout.{backend}.server_mib_per_1000_streams"),
            (after - before) * 1000.0 / curls.len().max(1) as f64,
        );
        scratch::figure(&format!("fanout.{backend}.server_rss_mib"), after);
        println!(
            "{} streams held by curl processes: server resident memory {before:.1} MiB → {after:.1} MiB (+{:.1} MiB)",
            curls.len(),
            after - before
        );
        for mut c in curls {
            let _ = c.kill();
            let _ = c.wait();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    } else {
        println!("curl absent: server-only memory not measured");
    }

    let before = rss_mib();
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let mut opened = 0;
    for _ in 0..streams {
        let c = reqwest::Client::new();
        let mut res = c
            .get(format!("{base_url}/instruction/flux"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("stream");
        assert_eq!(res.status(), 200);
        let kind = res.headers().get("content-type").cloned();
        assert!(
            kind.is_some_and(|k| k.as_bytes().starts_with(b"text/event-stream")),
            "not an event stream (signed out?)"
        );
        opened += 1;
        let latencies = latencies.clone();
        tokio::spawn(async move {
            let _keep = c;
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                let received = db::now_ms();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                        && let Ok(v) = serde_json::from_str::<serde_json::Value>(data)
                        && let Some(at) = v["at"].as_i64()
                        && let Ok(mut l) = latencies.lock()
                    {
                        l.push((received - at) as f64);
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    println!(
        "{opened} streams open: resident memory {before:.1} MiB → {after:.1} MiB (+{:.1} MiB, server and clients together)",
        after - before
    );
    // 100 events over 10 s: every stream checks its session (every
    // `live::SESSION_CHECK`, 5 s) at least once while they arrive.
    let events = 100;
    for k in 0..events {
        live.publish(&db, Submitted, k + 1, None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort_by(f64::total_cmp);
    scratch::figure(&format!("fanout.{backend}.p99_ms"), pct(&l, 0.99));
    scratch::figure(
        &format!("fanout.{backend}.delivered_pct"),
        100.0 * l.len() as f64 / (events as usize * opened).max(1) as f64,
    );
    println!(
        "fan-out: {} deliveries of {} expected ({events} events × {opened} streams): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (ms clock)",
        l.len(),
        events as usize * opened,
        pct(&l, 0.5),
        pct(&l, 0.99),
        pct(&l, 1.0)
    );
    scratch.finish().await;
}
