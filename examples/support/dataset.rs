//! The instructors' data set: N requests (40 % submitted, 10 % awaiting
//! changes, 35 % accepted, 10 % refused, 5 % drafts; one in ten assigned to
//! the instructor; one in five asking sensitive scopes; one in twenty an
//! update, one in ten from a template, one submitted in three by an agent
//! ProConnect vouched for) and 20,000 unread messages. Used by
//! `bench_dashboard` and by the `dataset` example, which writes it into any
//! database for a look by hand.

use guichet::domain::lifecycle::Role;
use guichet::server::auth::password;
use guichet::server::db::{self, Db, users};
use std::time::Instant;

/// The password of the data set's accounts.
pub const PASSWORD: &str = "cheval agrafe batterie correcte";
/// The applicant of every request, and the instructor.
pub const APPLICANT: &str = "demandeur@bench.fr";
pub const INSTRUCTOR: &str = "instructeur@bench.fr";

/// The instructor's authenticator app (base32): staff sign in with a second
/// factor.
pub const INSTRUCTOR_TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The code the instructor's app shows now.
#[allow(dead_code)] // The generator signs nobody in.
pub fn instructor_code() -> String {
    use guichet::server::auth::second_factor::{code_at, step_of};
    code_at(INSTRUCTOR_TOTP, step_of(db::now_ms())).expect("code")
}

/// Creates the applicant and the instructor (emails confirmed, the
/// instructor's app set up); answers their ids.
pub async fn people(db: &Db) -> (i64, i64) {
    let hash = password::hash(PASSWORD).expect("hash");
    let applicant = super::scratch::account(db, APPLICANT, Role::Applicant, &hash).await;
    let instructor = super::scratch::account(db, INSTRUCTOR, Role::Instructor, &hash).await;
    let now = db::now_ms();
    sqlx::query(
        "INSERT INTO totp_factors (user_id, secret, created_at, confirmed_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(instructor)
    .bind(INSTRUCTOR_TOTP)
    .bind(now)
    .execute(&db.pool)
    .await
    .expect("second factor");
    (applicant, instructor)
}

/// The ids of the applicant and the instructor of a data set written before.
#[allow(dead_code)] // The generator does not read them back.
pub async fn people_of(db: &Db) -> (i64, i64) {
    let mut ids = Vec::new();
    for email in [APPLICANT, INSTRUCTOR] {
        let user = users::find_by_email(db, email)
            .await
            .expect("read")
            .expect("the data set's people");
        ids.push(user.id);
    }
    (ids[0], ids[1])
}

/// Seeds `n` requests of `applicant`, one in ten assigned to `instructor`,
/// and 20,000 unread messages, then fills the search column as `serve` does
/// at start-up (and, on PostgreSQL, runs what autovacuum would).
pub async fn seed(db: &Db, n: usize, applicant: i64, instructor: i64) {
    let now = db::now_ms();
    let started = Instant::now();
    let batch = 500;
    let mut i = 0;
    while i < n {
        let mut sql = String::from(
            "INSERT INTO requests (state, applicant_id, title, organisation_name, siret, data, \
             version, created_at, updated_at, submitted_at, sensitive, assigned_to, kind, \
             template_slug, agent_link) VALUES ",
        );
        let end = (i + batch).min(n);
        for k in i..end {
            let state = match k % 20 {
                0..=7 => "submitted",
                8 | 9 => "changes_requested",
                10..=16 => "accepted",
                17 | 18 => "refused",
                _ => "draft",
            };
            let submitted = if state == "draft" {
                "NULL".to_owned()
            } else {
                (now - (k as i64) * 60_000).to_string()
            };
            let assigned = if k % 10 == 0 {
                instructor.to_string()
            } else {
                "NULL".to_owned()
            };
            // One in twenty an update, one in ten from a template, one
            // submitted in three by an agent ProConnect vouched for.
            let kind = if k % 20 == 3 { "update" } else { "initial" };
            let template = if k % 10 == 1 {
                "'marches-publics'"
            } else {
                "NULL"
            };
            let agent = if state != "draft" && k % 3 == 0 {
                "'proconnect'"
            } else {
                "NULL"
            };
            if k > i {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{state}', {applicant}, 'Cas d''usage n° {k}', 'Commune n° {}', '{:014}', '{{}}', \
                 1, {now}, {}, {submitted}, {}, {assigned}, '{kind}', {template}, {agent})",
                k % 5_000,
                21_000_000_000_000u64 + k as u64,
                now - (k as i64) * 30_000,
                i64::from(k % 5 == 0),
            ));
        }
        sqlx::query(&sql).execute(&db.pool).await.expect("seed");
        i = end;
    }
    // 20,000 unread messages from applicants on the first requests.
    for chunk in 0..40 {
        let mut sql = String::from(
            "INSERT INTO messages (request_id, author_id, author_role, body, internal, created_at) VALUES ",
        );
        for k in 0..500 {
            if k > 0 {
                sql.push(',');
            }
            let request = (chunk * 500 + k) % n + 1;
            sql.push_str(&format!(
                "({request}, {applicant}, 'applicant', 'Une question', 0, {now})"
            ));
        }
        sqlx::query(&sql).execute(&db.pool).await.expect("messages");
    }
    println!(
        "seeded {n} requests and 20,000 messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // What `serve` does when it starts: fill the search column of rows
    // written without it (as these were).
    let started = Instant::now();
    let filled = db::requests::fill_search(db).await.expect("fill search");
    if db.backend == db::Backend::Postgres {
        // What autovacuum would do shortly after such a load.
        sqlx::query("VACUUM ANALYZE")
            .execute(&db.pool)
            .await
            .expect("analyze");
    }
    println!(
        "filled the search column of {filled} requests in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
