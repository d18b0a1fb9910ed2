//! The machine's limits, measured in the same run as the benchmarks they
//! bound (`scripts/bench.sh`):
//! - an axum "hello" endpoint's requests per second, loaded by the same
//!   in-process clients as `bench_api` (64 keep-alive connections) and by
//!   `wrk` when installed: the most any endpoint can answer here;
//! - SQLite's and PostgreSQL's commit rates (one-row `INSERT`s, each its own
//!   transaction), one writer and 8 at once: the most saves a second any
//!   autosave can commit here.
//!
//! `cargo run --release --features ssr --example bench_limits -- [seconds]`

#[path = "support/scratch.rs"]
mod scratch;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

async fn hello(seconds: u64, clients: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "bonjour" }));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, stop, count) = (client.clone(), url.clone(), stop.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(res) = client.get(&url).send().await
                    && res.bytes().await.is_ok()
                {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let rate = count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("axum hello, {clients} in-process clients: {rate:.0} requests/s");
    scratch::figure("limit.hello_inprocess_per_s", rate);

    let url_w = url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args(["-t1", &format!("-c{clients}"), &format!("-d{seconds}s")])
            .arg(&url_w)
            .output()
    })
    .await
    .expect("join");
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(rate) = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
                .and_then(|r| r.trim().parse::<f64>().ok())
            {
                println!("axum hello, wrk -t1 -c{clients}: {rate:.0} requests/s");
                scratch::figure("limit.hello_wrk_per_s", rate);
            }
        }
        Err(_) => println!("wrk absent: hello not measured with wrk"),
    }
}

async fn commits(backend: &str, seconds: u64) {
    let scratch = scratch::Scratch::new(backend).await;
    let db = scratch.db.clone();
    sqlx::query("CREATE TABLE commit_rate (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    let version: (String,) = sqlx::query_as(if backend == "postgres" {
        "SELECT version()"
    } else {
        "SELECT 'SQLite ' || sqlite_version()"
    })
    .fetch_one(&db.pool)
    .await
    .expect("version");
    println!("INFO {backend}_version {}", version.0);
    let next = Arc::new(AtomicU64::new(1));
    for writers in [1usize, 8] {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let (db, stop, next) = (db.clone(), stop.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    sqlx::query("INSERT INTO commit_rate (id, body) VALUES ($1, $2)")
                        .bind(i64::try_from(id).unwrap_or(i64::MAX))
                        .bind("x".repeat(1000))
                        .execute(&db.pool)
                        .await
                        .expect("insert");
                    n += 1;
                }
                n
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("writer");
        }
        let rate = total as f64 / started.elapsed().as_secs_f64();
        println!(
            "{backend}: {writers} writer(s), one-row transactions of 1 KB: {rate:.0} commits/s"
        );
        scratch::figure(&format!("limit.{backend}_commits_per_s_{writers}w"), rate);
    }
    scratch.finish().await;
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    hello(seconds, 64).await;
    commits("sqlite", seconds).await;
    commits("postgres", seconds).await;
}
