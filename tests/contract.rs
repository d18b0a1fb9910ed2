//! API Entreprise's OpenAPI contract (`../shared/data/api_entreprise_openapi.yaml`)
//! checked against the real binary by an outside tool: schemathesis (PyPI)
//! runs every operation of the file, with a token holding every scope, on
//! SQLite and on PostgreSQL. No server error, no status or content type the
//! contract does not document, every answer valid against its schemas.

use crate::common::{self, TestDb};
use crate::tokens::accepted;
use common::process::Server;
use std::process::Command;

/// The contract, beside the project as CI lays it out.
const CONTRACT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/api_entreprise_openapi.yaml"
);

/// The checks the contract test asks for (schemathesis' own names).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

/// The contract with its one kind of invalid schema corrected: four
/// properties of two operations (`/v4/dgfip/…/attestation_fiscale`,
/// `/v3/insee/…/successions`) are typed `date`, which is not an OpenAPI
/// type; schemathesis cannot validate an answer against them. They become
/// `type: string` with `format: date`, what the contract means. Nothing
/// else changes.
fn corrected_contract(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(CONTRACT).expect("contract");
    let mut out = String::with_capacity(text.len() + 200);
    let mut fixed = 0;
    for line in text.lines() {
        match line.strip_suffix("type: date") {
            Some(indent) if indent.trim().is_empty() => {
                out.push_str(&format!("{indent}type: string\n{indent}format: date\n"));
                fixed += 1;
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert_eq!(
        fixed, 4,
        "the contract changed: look at its invalid types again"
    );
    let path = dir.join("api_entreprise_openapi.yaml");
    std::fs::write(&path, out).expect("write");
    path
}

fn schemathesis() -> Option<String> {
    let found = Command::new("st").arg("--version").output().ok()?;
    found
        .status
        .success()
        .then(|| String::from_utf8_lossy(&found.stdout).trim().to_owned())
}

/// A token of `t`'s database holding every scope, minted with the keys of
/// `keys_dir` (the server's).
async fn token_with_every_scope(t: &TestDb, keys_dir: &std::path::Path) -> String {
    let a = accepted(t).await;
    let every: std::collections::BTreeSet<&str> = guichet::domain::contract::operations()
        .iter()
        .flat_map(|o| o.scopes.iter().map(String::as_str))
        .collect();
    sqlx::query(
        "UPDATE tokens SET scopes = $1, rate_limit_per_minute = 1000000 WHERE request_id = $2",
    )
    .bind(serde_json::to_string(&every).expect("json"))
    .bind(a.id)
    .execute(&t.db.pool)
    .await
    .expect("scopes");
    let row = guichet::server::db::spaces::token_of_request(&t.db, a.id)
        .await
        .expect("db")
        .expect("token");
    let keys = guichet::server::tokens::Keys::load_or_create(keys_dir).expect("keys");
    keys.mint(&guichet::server::tokens::Claims::of(&row))
        .expect("mint")
}

#[test]
fn schemathesis_finds_every_operation_answered_as_the_contract_says() {
    let Some(version) = schemathesis() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "schemathesis (st) is missing: scripts/test.sh installs it"
        );
        eprintln!("schemathesis absent: contract test skipped");
        return;
    };
    assert!(
        std::path::Path::new(CONTRACT).is_file(),
        "the contract is missing: {CONTRACT}"
    );
    let work = tempfile::tempdir().expect("tmp");
    let contract = corrected_contract(work.path());
    let contract = contract.to_str().expect("utf-8");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for t in rt.block_on(TestDb::all()) {
        let keys = tempfile::tempdir().expect("tmp");
        let token = rt.block_on(token_with_every_scope(&t, keys.path()));
        let keys_dir = keys.path().to_str().expect("utf-8");
        let server = Server::start(&[
            ("DATABASE_URL", t.url.as_str()),
            ("GUICHET_JWT_KEYS_DIR", keys_dir),
        ]);
        let started = std::time::Instant::now();
        let out = Command::new("st")
            .args(["run", contract, "--url", &server.base()])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", CHECKS])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "30", "--seed", "20261130"])
            .args(["--request-timeout", "10", "--no-color"])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .expect("st runs");
        let report = String::from_utf8_lossy(&out.stdout);
        eprintln!(
            "{}: {version}, {:.0} s\n{}",
            t.name,
            started.elapsed().as_secs_f64(),
            report
                .lines()
                .filter(|l| l.contains("passed") || l.contains("failed") || l.contains("cases"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            out.status.success(),
            "{}: schemathesis found answers outside the contract:\n{report}\n{}",
            t.name,
            String::from_utf8_lossy(&out.stderr)
        );
        drop(server);
        rt.block_on(t.cleanup());
    }
}
