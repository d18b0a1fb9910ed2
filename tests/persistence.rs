//! The persistence layer on both backends: drafts with optimistic
//! concurrency, state changes with their event in one transaction, snapshots,
//! the append-only event log.

use crate::common;

use common::TestDb;
use guichet::domain::RequestState;
use guichet::domain::lifecycle::{Action, LifecycleError, Role};
use guichet::domain::request::RequestData;
use guichet::server::db::requests::{self, RequestWriteError};
use guichet::server::db::users;

async fn applicant(t: &TestDb, email: &str) -> i64 {
    users::create(&t.db, email, Role::Applicant, 1_000)
        .await
        .expect("user")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_saved_with_versions_and_stale_saves_conflict() {
    for t in TestDb::all().await {
        let who = applicant(&t, "Agent@Occitanie.fr").await;
        let mut data = RequestData::new_draft();
        let id = requests::create_draft(&t.db, who, &data, 2_000)
            .await
            .expect("create");
        let stored = requests::get(&t.db, id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(stored.version, 1);
        assert_eq!(stored.state, RequestState::Draft);
        assert_eq!(stored.applicant_id, Some(who));
        assert_eq!(stored.data, data, "{}", t.name);

        data.context.title = "Pré-remplissage « aides » <b>".into();
        let v2 = requests::save(&t.db, id, 1, &data, 3_000)
            .await
            .expect("save");
        assert_eq!(v2, 2);

        // A second tab still editing version 1.
        let mut other = data.clone();
        other.context.title = "Autre titre".into();
        match requests::save(&t.db, id, 1, &other, 3_500).await {
            Err(RequestWriteError::Conflict { expected, current }) => {
                assert_eq!((expected, current), (1, 2));
            }
            other => panic!("{}: expected a conflict, got {other:?}", t.name),
        }
        let err = requests::save(&t.db, id, 1, &other, 3_500)
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("Conflit"), "{err}");

        let stored = requests::get(&t.db, id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(stored.version, 2);
        assert_eq!(stored.data.context.title, "Pré-remplissage « aides » <b>");
        assert_eq!(stored.updated_at, 3_000);

        assert!(matches!(
            requests::save(&t.db, 999_999, 1, &data, 4_000).await,
            Err(RequestWriteError::NotFound)
        ));
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_write_their_event_and_snapshot_together() {
    for t in TestDb::all().await {
        let who = applicant(&t, "agent@meaux.fr").await;
        let instructor = users::create(&t.db, "instructeur@beta.gouv.fr", Role::Instructor, 1_000)
            .await
            .expect("instructor");
        let mut data = RequestData::new_draft();
        data.context.title = "Instruction des aides".into();
        let id = requests::create_draft(&t.db, who, &data, 2_000)
            .await
            .expect("create");

        let tr = requests::transition(
            &t.db,
            &requests::Change::new(id, Action::Submit, Role::Applicant, Some(who), 3_000),
        )
        .await
        .expect("submit");
        assert_eq!(tr.transition.to, RequestState::Submitted);

        // Illegal: editing a submitted request; nothing is written.
        let err = requests::save(&t.db, id, 1, &data, 3_100)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            RequestWriteError::Lifecycle(LifecycleError::IllegalState {
                action: Action::Edit,
                ..
            })
        ));
        // Forbidden: an applicant accepting.
        let err = requests::transition(
            &t.db,
            &requests::Change::new(id, Action::Accept, Role::Applicant, Some(who), 3_200),
        )
        .await
        .unwrap_err();
        assert!(matches!(
            err,
            RequestWriteError::Lifecycle(LifecycleError::Forbidden { .. })
        ));

        requests::transition(
            &t.db,
            &requests::Change {
                message: Some("Précisez le public concerné."),
                ..requests::Change::new(
                    id,
                    Action::RequestChanges,
                    Role::Instructor,
                    Some(instructor),
                    4_000,
                )
            },
        )
        .await
        .expect("request changes");
        data.context.end_users = "Entreprises de moins de 50 salariés".into();
        let v = requests::save(&t.db, id, 1, &data, 5_000)
            .await
            .expect("edit after changes");
        assert_eq!(v, 2);
        let tr = requests::transition(
            &t.db,
            &requests::Change::new(id, Action::Submit, Role::Applicant, Some(who), 6_000),
        )
        .await
        .expect("resubmit");
        assert_eq!(tr.transition.to, RequestState::Submitted);

        let events = requests::events(&t.db, id).await.expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["created", "submitted", "changes_requested", "resubmitted"],
            "{}: refused attempts leave no event",
            t.name
        );
        assert_eq!(
            events[2].message.as_deref(),
            Some("Précisez le public concerné.")
        );
        assert_eq!(events[2].actor_id, Some(instructor));
        assert_eq!(events[2].from_state.as_str(), Some("submitted"));

        let snaps = requests::snapshots(&t.db, id).await.expect("snapshots");
        assert_eq!(snaps.len(), 2);
        assert_eq!((snaps[0].submission_no, snaps[0].version), (1, 1));
        assert_eq!((snaps[1].submission_no, snaps[1].version), (2, 2));
        assert_eq!(snaps[0].data.context.end_users, "");
        assert_eq!(
            snaps[1].data.context.end_users,
            "Entreprises de moins de 50 salariés"
        );

        let stored = requests::get(&t.db, id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(stored.submitted_at, Some(6_000));
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_actions_cannot_both_succeed() {
    for t in TestDb::all().await {
        let who = applicant(&t, "agent@nantes.fr").await;
        for round in 0..30 {
            let id = requests::create_draft(&t.db, who, &RequestData::new_draft(), 1)
                .await
                .expect("create");
            requests::transition(
                &t.db,
                &requests::Change::new(id, Action::Submit, Role::Applicant, Some(who), 2),
            )
            .await
            .expect("submit");
            let (db_a, db_b) = (t.db.clone(), t.db.clone());
            let a = tokio::spawn(async move {
                requests::transition(
                    &db_a,
                    &requests::Change::new(id, Action::Accept, Role::Instructor, None, 3),
                )
                .await
            });
            let b = tokio::spawn(async move {
                requests::transition(
                    &db_b,
                    &requests::Change {
                        message: Some("Hors périmètre"),
                        ..requests::Change::new(id, Action::Refuse, Role::Admin, None, 3)
                    },
                )
                .await
            });
            let (a, b) = (a.await.expect("task"), b.await.expect("task"));
            assert!(
                a.is_ok() != b.is_ok(),
                "{} round {round}: exactly one decision wins: {a:?} / {b:?}",
                t.name
            );
            let loser = if a.is_ok() {
                b.unwrap_err()
            } else {
                a.unwrap_err()
            };
            assert!(
                matches!(
                    loser,
                    RequestWriteError::Lifecycle(LifecycleError::IllegalState { .. })
                ),
                "{} round {round}: the loser is told the request was already decided, \
                 not a database error: {loser:?}",
                t.name
            );
            let events = requests::events(&t.db, id).await.expect("events");
            assert_eq!(events.len(), 3, "created, submitted, one decision");
        }
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_log_is_append_only() {
    for t in TestDb::all().await {
        let who = applicant(&t, "agent@lyon.fr").await;
        let id = requests::create_draft(&t.db, who, &RequestData::new_draft(), 1)
            .await
            .expect("create");
        let update = sqlx::query("UPDATE events SET kind = 'accepted' WHERE request_id = $1")
            .bind(id)
            .execute(&t.db.pool)
            .await;
        assert!(update.is_err(), "{}: UPDATE refused", t.name);
        let delete = sqlx::query("DELETE FROM events WHERE request_id = $1")
            .bind(id)
            .execute(&t.db.pool)
            .await;
        assert!(delete.is_err(), "{}: DELETE refused", t.name);
        assert_eq!(requests::events(&t.db, id).await.expect("events").len(), 1);
        t.cleanup().await;
    }
}

/// Table → sorted column names, read from the database's own catalogue
/// (SQLite's full-text index of the dashboard, `requests_search` and its
/// shadow tables, is PostgreSQL's trigram index: not a table there).
async fn columns(t: &TestDb) -> std::collections::BTreeMap<String, Vec<String>> {
    let rows: Vec<(String, String)> = match t.name {
        "sqlite" => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             AND m.name NOT LIKE 'requests_search%'",
        )
        .fetch_all(&t.db.pool)
        .await
        .expect("sqlite catalogue"),
        _ => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&t.db.pool)
        .await
        .expect("postgres catalogue"),
    };
    let mut map = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (table, column) in rows {
        map.entry(table).or_default().push(column);
    }
    for cols in map.values_mut() {
        cols.sort();
    }
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_schema() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    let (a, b) = (columns(&sqlite).await, columns(&postgres).await);
    for table in [
        "users",
        "organisations",
        "requests",
        "request_snapshots",
        "events",
        "messages",
        "attachments",
        "client_spaces",
        "tokens",
        "sign_in_failures",
        "one_time_links",
        "email_outbox",
        "directory_entries",
    ] {
        assert!(a.contains_key(table), "sqlite lacks {table}");
    }
    assert_eq!(a, b, "the migrations of the two backends have drifted");
    postgres.cleanup().await;
}

/// Transactions that read, then write, while other connections write
/// outside any transaction: none fails. On SQLite, a deferred transaction
/// that read before another connection committed could not write after it
/// (`SQLITE_BUSY_SNAPSHOT`, which no busy handler retries); `Db::begin`
/// takes the write lock first, so they run one after the other and no
/// increment is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_then_write_transactions_survive_concurrent_writes() {
    for t in TestDb::all().await {
        let who = applicant(&t, "agent@occitanie.fr").await;
        let id = requests::create_draft(&t.db, who, &RequestData::new_draft(), 1_000)
            .await
            .expect("create");
        let (tasks, rounds) = (8_i64, 10_i64);
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let db = t.db.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..rounds {
                    let mut tx = db.begin().await?;
                    let (version,): (i64,) =
                        sqlx::query_as("SELECT version FROM requests WHERE id = $1")
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await?;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    sqlx::query("UPDATE requests SET version = $1 WHERE id = $2")
                        .bind(version + 1)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok::<(), sqlx::Error>(())
            }));
        }
        for n in 0..tasks {
            let db = t.db.clone();
            handles.push(tokio::spawn(async move {
                for round in 0..rounds {
                    sqlx::query("UPDATE requests SET updated_at = $1 WHERE id = $2")
                        .bind(n * 100 + round)
                        .bind(id)
                        .execute(&db.pool)
                        .await?;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Ok(())
            }));
        }
        for h in handles {
            h.await.expect("task").expect(t.name);
        }
        if t.name == "sqlite" {
            let stored = requests::get(&t.db, id).await.expect("get").expect("row");
            assert_eq!(stored.version, 1 + tasks * rounds, "no increment lost");
        }
        t.cleanup().await;
    }
}
