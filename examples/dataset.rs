//! Writes the instructors' data set (`support/dataset.rs`) into a database:
//! the applicant and the instructor, N requests and 20,000 messages. The
//! database is migrated first; it should hold no requests yet.
//!
//! `cargo run --release --features ssr --example dataset -- <database-url> [requests]`
//! (default 1,000,000), or `bash scripts/dataset.sh <database-url> [requests]`.

#[path = "support/dataset.rs"]
mod dataset;

#[path = "support/scratch.rs"]
#[allow(dead_code)] // Only its accounts are used here.
mod scratch;

use guichet::server::db::Db;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(url) = args.get(1) else {
        eprintln!("usage: dataset <database-url> [requests]");
        std::process::exit(2);
    };
    let n: usize = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let (applicant, instructor) = dataset::people(&db).await;
    dataset::seed(&db, n, applicant, instructor).await;
    println!(
        "{n} requests written; sign in as {} or {} with « {} »",
        dataset::APPLICANT,
        dataset::INSTRUCTOR,
        dataset::PASSWORD
    );
    db.close().await;
}
