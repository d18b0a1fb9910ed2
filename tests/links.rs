//! One-time links on both backends: single use, expiry, replacement, purpose.

use crate::common;

use common::TestDb;
use guichet::domain::lifecycle::Role;
use guichet::server::auth::links::{Purpose, new_token};
use guichet::server::db::links::{self, LinkError};
use guichet::server::db::users;

async fn issue(t: &TestDb, user: i64, purpose: Purpose, now: i64) -> String {
    let (token, hash) = new_token().expect("rng");
    let mut tx = t.db.begin().await.expect("tx");
    links::create(&mut tx, user, purpose, &hash, now)
        .await
        .expect("create");
    tx.commit().await.expect("commit");
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_single_use_expiring_and_replaced() {
    for t in TestDb::all().await {
        let user = users::create(&t.db, "agent@meaux.fr", Role::Applicant, 0)
            .await
            .expect("user");
        let hour = 3_600_000;

        // Single use.
        let token = issue(&t, user, Purpose::PasswordReset, 1_000).await;
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, &token, 2_000)
                .await
                .expect("db"),
            Ok(user),
            "{}",
            t.name
        );
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, &token, 2_001)
                .await
                .expect("db"),
            Err(LinkError::AlreadyUsed)
        );

        // Expiry: a reset link lives one hour.
        let token = issue(&t, user, Purpose::PasswordReset, 10_000).await;
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, &token, 10_000 + hour)
                .await
                .expect("db"),
            Err(LinkError::Expired)
        );

        // A new link voids the previous ones of the same purpose only.
        let old = issue(&t, user, Purpose::PasswordReset, 20_000).await;
        let invitation = issue(&t, user, Purpose::Invitation, 20_000).await;
        let new = issue(&t, user, Purpose::PasswordReset, 21_000).await;
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, &old, 22_000)
                .await
                .expect("db"),
            Err(LinkError::Replaced)
        );
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, &new, 22_000)
                .await
                .expect("db"),
            Ok(user)
        );
        // An invitation is still valid after 6 days, not for another purpose.
        assert_eq!(
            links::consume(&t.db, Purpose::EmailConfirmation, &invitation, 22_000)
                .await
                .expect("db"),
            Err(LinkError::Unknown)
        );
        assert_eq!(
            links::consume(
                &t.db,
                Purpose::Invitation,
                &invitation,
                20_000 + 6 * 24 * hour
            )
            .await
            .expect("db"),
            Ok(user)
        );

        // Unknown token; the stored value is a hash, not the token.
        assert_eq!(
            links::consume(&t.db, Purpose::PasswordReset, "inconnu", 0)
                .await
                .expect("db"),
            Err(LinkError::Unknown)
        );
        let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM one_time_links")
            .fetch_all(&t.db.pool)
            .await
            .expect("rows");
        assert!(stored.iter().all(|(h,)| h != &new && h.len() == 64));
        assert!(LinkError::Expired.message().contains("expiré"));
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uses_of_one_link_succeed_once() {
    for t in TestDb::all().await {
        let user = users::create(&t.db, "agent@lyon.fr", Role::Applicant, 0)
            .await
            .expect("user");
        for _ in 0..10 {
            let token = issue(&t, user, Purpose::EmailConfirmation, 1).await;
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (db, token) = (t.db.clone(), token.clone());
                    tokio::spawn(async move {
                        links::consume(&db, Purpose::EmailConfirmation, &token, 2).await
                    })
                })
                .collect();
            let mut ok = 0;
            for task in tasks {
                if matches!(task.await.expect("task"), Ok(Ok(_))) {
                    ok += 1;
                }
            }
            assert_eq!(ok, 1, "{}", t.name);
        }
        t.cleanup().await;
    }
}
