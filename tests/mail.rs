//! Email delivery through a real SMTP conversation on loopback (an in-process
//! SMTP sink), on both backends: nothing lost while SMTP is down, each email
//! delivered once when it is back.

use crate::common;

use common::TestDb;
use common::smtp::smtp_sink;
use guichet::server::db::{self, outbox};
use guichet::server::mail::{self, Transport, templates};
use tokio::net::TcpListener;

fn sender() -> lettre::message::Mailbox {
    mail::parse_from("Guichet API Entreprise <ne-pas-repondre@guichet.example>").expect("from")
}

async fn queue_two(t: &TestDb) -> (i64, i64) {
    let mut tx = t.db.begin().await.expect("tx");
    let a = outbox::enqueue(
        &mut tx,
        &templates::email_confirmation(
            "agent@meaux.fr",
            "https://guichet.example/confirmer/tok123",
        ),
        db::now_ms(),
    )
    .await
    .expect("enqueue");
    let b = outbox::enqueue(
        &mut tx,
        &templates::password_reset(
            "dpo@occitanie.fr",
            "https://guichet.example/reinitialiser/tok456",
        ),
        db::now_ms(),
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_loses_nothing_and_each_email_goes_once() {
    for t in TestDb::all().await {
        let (a, b) = queue_two(&t).await;

        // SMTP down: a port where nothing listens yet.
        let probe = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = probe.local_addr().expect("addr");
        drop(probe);
        let transport = Transport::new(Some(&format!("smtp://{addr}")), std::path::PathBuf::new())
            .expect("smtp");
        let (sent, failed) = mail::deliver_due(&t.db, &transport, &sender())
            .await
            .expect("run");
        assert_eq!((sent, failed), (0, 2), "{}", t.name);
        let (attempts, sent_at, error) = outbox::status(&t.db, a)
            .await
            .expect("status")
            .expect("row");
        assert_eq!((attempts, sent_at), (1, None));
        assert!(error.is_some());
        assert_eq!(outbox::counts(&t.db).await.expect("counts"), (0, 2));

        // Not retried before its backoff.
        let (sent, failed) = mail::deliver_due(&t.db, &transport, &sender())
            .await
            .expect("run");
        assert_eq!((sent, failed), (0, 0));

        // SMTP back; the backoff has passed.
        let received = smtp_sink(TcpListener::bind(addr).await.expect("rebind")).await;
        sqlx::query("UPDATE email_outbox SET next_attempt_at = 0")
            .execute(&t.db.pool)
            .await
            .expect("advance time");
        let (sent, failed) = mail::deliver_due(&t.db, &transport, &sender())
            .await
            .expect("run");
        assert_eq!((sent, failed), (2, 0), "{}", t.name);
        let (sent, failed) = mail::deliver_due(&t.db, &transport, &sender())
            .await
            .expect("run");
        assert_eq!((sent, failed), (0, 0), "nothing is sent twice");

        let messages = received.lock().expect("lock").clone();
        assert_eq!(messages.len(), 2);
        let all = messages.join("\n").replace("=\n", "");
        assert!(all.contains("agent@meaux.fr") && all.contains("dpo@occitanie.fr"));
        assert!(all.contains("tok123") && all.contains("tok456"));
        assert!(all.contains("text/plain") && all.contains("text/html"));
        let (attempts, sent_at, error) = outbox::status(&t.db, b)
            .await
            .expect("status")
            .expect("row");
        assert_eq!(attempts, 2);
        assert!(sent_at.is_some());
        assert_eq!(error, None);
        assert_eq!(outbox::counts(&t.db).await.expect("counts"), (2, 0));
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_email_is_not_handed_out_twice() {
    let t = TestDb::sqlite().await;
    queue_two(&t).await;
    let now = db::now_ms() + 1;
    let first = outbox::claim_due(&t.db, now, 60_000, 10)
        .await
        .expect("claim");
    let second = outbox::claim_due(&t.db, now, 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 2);
    assert!(
        second.is_empty(),
        "leased emails wait for their lease to end"
    );
    let later = outbox::claim_due(&t.db, now + 60_001, 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        later.len(),
        2,
        "an unfinished delivery is retried after the lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_mode_writes_eml_files() {
    let t = TestDb::sqlite().await;
    queue_two(&t).await;
    let dir = tempfile::tempdir().expect("tmp");
    let transport = Transport::new(None, dir.path().join("mails")).expect("files");
    let (sent, _) = mail::deliver_due(&t.db, &transport, &sender())
        .await
        .expect("run");
    assert_eq!(sent, 2);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("mails"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 2);
}

/// Once an email has left by SMTP, its one-time link is no longer readable
/// in the outbox; the recipient got it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_time_links_are_not_kept_once_sent() {
    for t in TestDb::all().await {
        let mut tx = t.db.begin().await.expect("tx");
        outbox::enqueue(
            &mut tx,
            &templates::invitation(
                "nouvel.agent@meaux.fr",
                "https://guichet.example/choisir-mot-de-passe?jeton=SECRETaBc_123",
                "https://guichet.example/conditions-generales",
            ),
            db::now_ms(),
        )
        .await
        .expect("enqueue");
        tx.commit().await.expect("commit");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = smtp_sink(listener).await;
        let transport = Transport::new(Some(&format!("smtp://{addr}")), std::path::PathBuf::new())
            .expect("smtp");
        let (sent, _) = mail::deliver_due(&t.db, &transport, &sender())
            .await
            .expect("run");
        assert_eq!(sent, 1, "{}", t.name);
        let got = received.lock().expect("lock").join("\n").replace("=\n", "");
        assert!(got.contains("SECRETaBc_123"), "the recipient has the link");
        let (text, html): (String, String) =
            sqlx::query_as("SELECT body_text, body_html FROM email_outbox")
                .fetch_one(&t.db.pool)
                .await
                .expect("row");
        for body in [&text, &html] {
            assert!(!body.contains("SECRETaBc_123"), "{}: {body}", t.name);
            assert!(body.contains("jeton=masque-apres-envoi"), "{body}");
        }
        t.cleanup().await;
    }
}
