//! The instructors' dashboard under volume, and its live stream under fan-out.
//!
//! 1. Seeds N requests (default 100,000: 40 % submitted, 10 % awaiting
//!    changes, 35 % accepted, 10 % refused, 5 % drafts; one in ten assigned;
//!    one in five asking sensitive scopes) and 20,000 unread messages, then
//!    times what the dashboard's server function does for one page (the
//!    queue query and the counts per state) for several filters and sorts:
//!    p50 / p95 / max over 200 runs each.
//! 2. Serves the real router on a loopback port; a second process (this
//!    program with `--hold`) opens S event streams (default 1,000) as a
//!    signed-in instructor over HTTP; 100 events go out 100 ms apart (so
//!    that every stream's session is checked while they arrive). Measures
//!    the delay from publication to reception of every delivery (p50 / p99 /
//!    max, from the holder) and this process's resident memory (the
//!    server's alone: the clients are in the holder) before and after the
//!    streams open, and its peak while the events go out. Each process
//!    stays under its limit of open files at 10,000 streams.
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

use scratch::rss_mib;

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

/// `--hold <stream url> <cookie> <streams> <events>`: opens the streams
/// (200 at a time), prints `OPEN <n>`, then collects each event's delay
/// (its `at` to its arrival, ms clock) until every stream has every event
/// or 30 s pass, and prints `LAT <deliveries> <p50> <p99> <max>`.
async fn hold(args: &[String]) {
    let (Some(url), Some(cookie)) = (args.first(), args.get(1)) else {
        eprintln!("--hold <url> <cookie> <streams> <events>");
        return;
    };
    let streams: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let events: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(100);
    let latencies = Arc::new(Mutex::new(Vec::<f64>::with_capacity(streams * events)));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let mut opened = 0;
    let mut started = 0;
    while started < streams {
        let batch = (streams - started).min(200);
        started += batch;
        let mut opening = Vec::new();
        for _ in 0..batch {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            opening.push(tokio::spawn(async move {
                client.get(url).header("cookie", cookie).send().await
            }));
        }
        for o in opening {
            let Ok(Ok(mut res)) = o.await else { continue };
            let kind = res.headers().get("content-type").cloned();
            assert!(
                kind.is_some_and(|k| k.as_bytes().starts_with(b"text/event-stream")),
                "not an event stream (signed out?)"
            );
            opened += 1;
            let latencies = latencies.clone();
            tokio::spawn(async move {
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
    }
    println!("OPEN {opened}");
    let expected = opened * events;
    let waited = Instant::now();
    // The events start once the parent has read `OPEN`: wait for them all,
    // 30 s at most after the first arrives.
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let got = latencies.lock().map(|l| l.len()).unwrap_or(0);
        if got >= expected || waited.elapsed() > Duration::from_secs(45) {
            break;
        }
    }
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort_by(f64::total_cmp);
    println!(
        "LAT {} {} {} {}",
        l.len(),
        pct(&l, 0.5),
        pct(&l, 0.99),
        pct(&l, 1.0)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--hold") {
        hold(&args[2..]).await;
        return;
    }
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
    // The streams are held by a second process (this program, `--hold`):
    // this one holds only the server's side, so its memory is the server's,
    // and each process stays under its limit of open files.
    let events: usize = 100;
    let before = rss_mib();
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--hold", &format!("{base_url}/instruction/flux"), &cookie])
        .arg(streams.to_string())
        .arg(events.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("stream holder");
    // Its lines, read on a thread of their own.
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut opened = 0;
    while let Some(line) = lines.recv().await {
        if let Some(n) = line.strip_prefix("OPEN ") {
            opened = n.trim().parse().unwrap_or(0);
            break;
        }
        println!("holder: {line}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_mib();
    scratch::figure(
        &format!("fanout.{backend}.server_mib_per_1000_streams"),
        (after - before) * 1000.0 / opened.max(1) as f64,
    );
    scratch::figure(&format!("fanout.{backend}.server_rss_mib"), after);
    scratch::figure(&format!("fanout.{backend}.streams"), opened as f64);
    println!(
        "{opened} streams held by another process: server resident memory {before:.1} MiB → {after:.1} MiB (+{:.1} MiB)",
        after - before
    );
    // 100 events over 10 s: every stream's session is checked (every
    // `live::SESSION_CHECK`, 5 s) at least once while they arrive.
    let mut peak = after;
    for k in 0..events {
        live.publish(&db, Submitted, k as i64 + 1, None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(rss_mib());
    }
    scratch::figure(&format!("fanout.{backend}.server_peak_rss_mib"), peak);
    println!("server resident memory while the events went out: at most {peak:.1} MiB");
    while let Some(line) = lines.recv().await {
        let Some(figures) = line.strip_prefix("LAT ") else {
            println!("holder: {line}");
            continue;
        };
        let v: Vec<f64> = figures
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [count, p50, p99, max] = v[..] else {
            break;
        };
        scratch::figure(&format!("fanout.{backend}.p99_ms"), p99);
        scratch::figure(
            &format!("fanout.{backend}.delivered_pct"),
            100.0 * count / (events * opened).max(1) as f64,
        );
        println!(
            "fan-out: {count} deliveries of {} expected ({events} events × {opened} streams): p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms (ms clock)",
            events * opened
        );
        break;
    }
    let _ = child.wait();
    scratch.finish().await;
}
