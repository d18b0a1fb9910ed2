//! Persistence benchmark: insert then read 100,000 requests on SQLite and on
//! PostgreSQL through the one query layer.
//!
//! `cargo run --release --features ssr --example bench_persistence [N]`
//! (PostgreSQL from `GUICHET_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; a scratch database is created
//! and dropped).

use guichet::domain::lifecycle::{Action, Role};
use guichet::domain::request::RequestData;
use guichet::server::db::{Db, requests, users};
use std::time::Instant;

async fn run(name: &str, db: &Db, n: usize) {
    db.migrate().await.expect("migrate");
    let who = users::create(db, &format!("bench-{name}@exemple.fr"), Role::Applicant, 0)
        .await
        .expect("user");
    let mut data = RequestData::new_draft();
    data.context.title = "Pré-remplissage des formulaires d’aides".into();
    data.context.description = "x".repeat(500);

    let t = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(
            requests::create_draft(db, who, &data, i as i64)
                .await
                .expect("insert"),
        );
    }
    let insert = t.elapsed();

    let t = Instant::now();
    for id in &ids {
        let r = requests::get(db, *id).await.expect("read");
        assert!(r.is_some());
    }
    let read = t.elapsed();

    let t = Instant::now();
    for (i, id) in ids.iter().take(n / 10).enumerate() {
        data.context.end_users = format!("public {i}");
        requests::save(db, *id, 1, &data, 1).await.expect("save");
    }
    let save = t.elapsed();

    let t = Instant::now();
    for id in ids.iter().take(n / 10) {
        let submit = requests::Change::new(*id, Action::Submit, Role::Applicant, Some(who), 2);
        requests::transition(db, &submit).await.expect("submit");
    }
    let submit = t.elapsed();

    let t = Instant::now();
    let counts = requests::count_by_state(db).await.expect("count");
    let count = t.elapsed();

    let per_s = |k: usize, d: std::time::Duration| k as f64 / d.as_secs_f64();
    println!(
        "{name}: {n} drafts created (row + event, one transaction each) in {:.1} s = {:.0}/s; \
         read back in {:.1} s = {:.0}/s; {} versioned saves {:.0}/s; {} submissions \
         (state + event + snapshot) {:.0}/s; count by state over {} rows {} ms ({counts:?})",
        insert.as_secs_f64(),
        per_s(n, insert),
        read.as_secs_f64(),
        per_s(n, read),
        n / 10,
        per_s(n / 10, save),
        n / 10,
        per_s(n / 10, submit),
        n,
        count.as_millis(),
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);

    let dir = tempfile::tempdir().expect("tmp");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = Db::connect(&url).await.expect("sqlite");
    run("sqlite", &db, n).await;

    let admin_url = std::env::var("GUICHET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = Db::connect(&admin_url).await.expect("postgres");
    let name = format!("guichet_bench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .expect("create db");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let db = Db::connect(&format!("{base}/{name}"))
        .await
        .expect("bench db");
    run("postgres", &db, n).await;
    db.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await;
}
