//! Directory benchmark: index memory and search latency over 1,000 queries.
//!
//! `cargo run --release --features ssr --example bench_directory`
//! (needs `npm ci` for the package data).

// Only its memory helper serves here.
#[allow(dead_code)]
#[path = "support/scratch.rs"]
mod scratch;

use guichet::server::directory::{self, index::Index};
use scratch::rss_mib;
use std::path::Path;
use std::time::Instant;

fn main() {
    let dir = Path::new(directory::DEFAULT_DATA_DIR);
    let t = Instant::now();
    let entries = directory::parse_package(dir).expect("package data (run npm ci)");
    let parse = t.elapsed();
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let before = rss_mib();
    let t = Instant::now();
    let index = Index::new(entries);
    let build = t.elapsed();
    let after = rss_mib();

    // 1,000 queries: whole names, first words, lowercase prefixes, and a few
    // misses, spread over the whole directory.
    let mut queries = Vec::new();
    let step = names.len() / 250;
    for (i, name) in names.iter().step_by(step.max(1)).take(250).enumerate() {
        queries.push(name.clone());
        queries.push(format!("commune de {}", name.to_lowercase()));
        let prefix: String = name.chars().take(4).collect();
        queries.push(prefix);
        queries.push(if i % 2 == 0 {
            format!("CHU {name}")
        } else {
            format!("zz{i}")
        });
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut found = 0;
    for q in &queries {
        let t = Instant::now();
        let hits = index.search(q, 20);
        times.push(t.elapsed().as_micros());
        found += usize::from(!hits.is_empty());
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!("entries: {}", index.len());
    println!(
        "parse package JSON: {} ms, build index: {} ms",
        parse.as_millis(),
        build.as_millis()
    );
    println!(
        "index memory: ~{:.1} MiB by size accounting, RSS +{:.1} MiB",
        index.approximate_bytes() as f64 / 1_048_576.0,
        (after - before).max(0.0)
    );
    println!(
        "search over {} queries ({} with results): p50 {} µs, p99 {} µs, max {} µs",
        queries.len(),
        found,
        pct(0.50),
        pct(0.99),
        times.last().copied().unwrap_or(0)
    );
}
