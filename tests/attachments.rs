//! PDF attachments through the real router, on SQLite and PostgreSQL, with
//! files in a real folder: content checks, limits, who uploads and who
//! downloads, removal, submission; and the antivirus, with a real ClamAV
//! daemon and a signature of our own (no internet).

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::request::{MAX_ATTACHMENT_BYTES, RequestData};
use guichet::server::attachments::{Clamd, open_store};
use guichet::server::http::router;
use serde_json::json;
use std::path::Path;

/// A small, real-looking PDF (`fill` makes it unique).
fn pdf(fill: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n% {fill}\n\
         trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// The router with attachments kept in `dir` (and the given antivirus).
fn app_storing_in(t: &TestDb, dir: &Path, clamd: Option<Clamd>) -> axum::Router {
    let mut s = state(t.db.clone());
    s.attachments = open_store(Some(&dir.display().to_string()), dir).expect("store");
    s.clamd = clamd;
    router(s)
}

async fn upload(w: &World, cookie: Option<&str>, id: i64, name: &str, bytes: Vec<u8>) -> Answer {
    post_bytes(
        &w.app,
        &format!(
            "/demandes/{id}/pieces-jointes?nom={}",
            name.replace(' ', "%20").replace('/', "%2F")
        ),
        "application/pdf",
        bytes,
        cookie,
    )
    .await
}

/// Every file under `dir`, relative paths.
fn files_in(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn pdfs_are_checked_stored_and_served_to_their_readers_only() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = world_on(&t, app_storing_in(&t, dir.path(), None)).await;
        let id = create(&w).await;

        // A PDF: accepted under a server-made name; the name given is only
        // shown, cleaned of its folders.
        let first = pdf("délibération");
        let a = upload(
            &w,
            Some(&w.alice),
            id,
            "../../Délibération du conseil.pdf",
            first.clone(),
        )
        .await;
        assert_eq!(a.status, 201, "{}: {}", t.name, a.json);
        assert_eq!(a.json["file_name"], "Délibération du conseil.pdf");
        assert_eq!(a.json["size_bytes"], first.len());
        let att = a.json["id"].as_str().expect("id").to_owned();
        assert_eq!(att.len(), 32);
        assert_eq!(
            files_in(dir.path()),
            vec![format!("demandes/{id}/{att}.pdf")]
        );
        assert_eq!(
            std::fs::read(dir.path().join(format!("demandes/{id}/{att}.pdf"))).expect("file"),
            first
        );
        let a = get(&w, &w.alice, id).await;
        assert_eq!(
            a.json["data"]["legal"]["attachments"],
            json!([{ "id": att, "file_name": "Délibération du conseil.pdf", "size_bytes": first.len() }])
        );

        // Checked by content, not by name: HTML named .pdf, a truncated
        // PDF, an empty file are refused, with the field named; nothing
        // is stored.
        for (bytes, words) in [
            (
                b"<html><script>alert(1)</script>%PDF-1.4 %%EOF</html>".to_vec(),
                "n’est pas un PDF",
            ),
            (b"%PDF-1.4\n1 0 obj\n<<".to_vec(), "incomplet"),
            (Vec::new(), "vide"),
        ] {
            let a = upload(&w, Some(&w.alice), id, "arrete.pdf", bytes).await;
            assert_eq!(
                (a.status.as_u16(), a.code()),
                (422, "invalid"),
                "{}",
                a.json
            );
            assert_eq!(a.json["field"], "legal.attachments");
            let message = a.json["message"].as_str().unwrap_or("");
            assert!(message.contains(words), "{message}");
        }
        assert_eq!(files_in(dir.path()).len(), 1);

        // 10 MB is the limit: at it, accepted; over it, 413.
        let mut big = pdf("gros");
        let eof = big.split_off(big.len() - 6);
        big.resize(MAX_ATTACHMENT_BYTES as usize - eof.len(), b' ');
        big.extend(eof);
        assert_eq!(big.len() as u64, MAX_ATTACHMENT_BYTES);
        let a = upload(&w, Some(&w.alice), id, "gros.pdf", big.clone()).await;
        assert_eq!(a.status, 201, "{}", a.json);
        big.insert(20, b' ');
        let a = upload(&w, Some(&w.alice), id, "trop gros.pdf", big).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (413, "too_large"),
            "{}",
            a.json
        );
        assert!(a.json["message"].as_str().unwrap_or("").contains("10 Mo"));

        // Only its applicant uploads.
        let a = upload(&w, None, id, "x.pdf", pdf("anonyme")).await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "unauthenticated"));
        let a = upload(&w, Some(&w.bob), id, "x.pdf", pdf("bob")).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));
        let a = upload(&w, Some(&w.instructor), id, "x.pdf", pdf("instr")).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));
        let a = upload(&w, Some(&w.alice), id + 1000, "x.pdf", pdf("inconnue")).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "not_found"));

        // Downloads: the applicant, as an attachment; staff once the
        // request is submitted (a draft is its applicant's alone).
        let link = format!("/pieces-jointes/{att}");
        assert_eq!(get_raw(&w.app, &link, Some(&w.instructor)).await.0, 404);
        for cookie in [&w.alice] {
            let (status, headers, body) = get_raw(&w.app, &link, Some(cookie)).await;
            assert_eq!(status, 200);
            assert_eq!(headers["content-type"], "application/pdf");
            assert_eq!(
                headers["content-disposition"],
                "attachment; filename=\"D_lib_ration du conseil.pdf\"; \
                 filename*=UTF-8''D%C3%A9lib%C3%A9ration%20du%20conseil.pdf"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(body, first);
        }
        let (status, _, _) = get_raw(&w.app, &link, Some(&w.bob)).await;
        assert_eq!(status, 403);
        let (status, headers, _) = get_raw(&w.app, &link, None).await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(headers["location"], "/connexion");
        for unknown in [
            "/pieces-jointes/00000000000000000000000000000000",
            "/pieces-jointes/..%2F..%2Fetc%2Fpasswd",
        ] {
            let (status, _, _) = get_raw(&w.app, unknown, Some(&w.alice)).await;
            assert_eq!(status, 404, "{unknown}");
        }

        // A list sent with a save is not taken: the table is the authority.
        let mut data = RequestData::example();
        data.legal.attachments = vec![guichet::domain::request::AttachmentRef {
            id: "inventee".into(),
            file_name: "faux.pdf".into(),
            size_bytes: 1,
        }];
        let a = save(&w, &w.alice, id, 1, "s1", &data).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let listed = get(&w, &w.alice, id).await.json["data"]["legal"]["attachments"].clone();
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        assert!(!listed.to_string().contains("inventee"));

        // Six at most.
        for n in 3..=6 {
            let a = upload(
                &w,
                Some(&w.alice),
                id,
                &format!("texte {n}.pdf"),
                pdf(&n.to_string()),
            )
            .await;
            assert_eq!(a.status, 201, "{n}: {}", a.json);
        }
        let a = upload(&w, Some(&w.alice), id, "septieme.pdf", pdf("7")).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, "invalid"));
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("6 pièces jointes")
        );

        // Removal: the applicant only; nobody downloads it any more, and the
        // file, which no submission names, is deleted.
        let remove = |cookie: String, which: String| {
            let app = w.app.clone();
            async move {
                post_form(
                    &app,
                    "/api/requests/remove_attachment",
                    &[("id", &id.to_string()), ("attachment_id", &which)],
                    Some(&cookie),
                )
                .await
            }
        };
        let a = remove(w.bob.clone(), att.clone()).await;
        assert_eq!(a.status, 403);
        let a = remove(w.alice.clone(), att.clone()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let listed = get(&w, &w.alice, id).await.json["data"]["legal"]["attachments"].clone();
        assert_eq!(listed.as_array().map(Vec::len), Some(5));
        assert_eq!(get_raw(&w.app, &link, Some(&w.alice)).await.0, 404);
        assert!(
            !files_in(dir.path()).contains(&format!("demandes/{id}/{att}.pdf")),
            "{}: the removed file is still stored",
            t.name
        );
        assert_eq!(files_in(dir.path()).len(), 5);

        // Submitted: the snapshot keeps the list; no more changes.
        let a = submit(&w, id, 2).await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let snapshots = guichet::server::db::requests::snapshots(&t.db, id)
            .await
            .expect("snapshots");
        assert_eq!(snapshots[0].data.legal.attachments.len(), 5);
        let a = upload(&w, Some(&w.alice), id, "tard.pdf", pdf("tard")).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));
        let second = snapshots[0].data.legal.attachments[0].id.clone();
        let a = remove(w.alice.clone(), second.clone()).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, "not_editable"));
        let link = format!("/pieces-jointes/{second}");
        assert_eq!(get_raw(&w.app, &link, Some(&w.instructor)).await.0, 200);

        // Changes requested: a file the submission names stays when removed
        // (staff still read it); one never submitted goes.
        let a = post_json(
            &w.app,
            "/api/instruction/request_changes",
            &json!({ "id": id, "version": 3, "message": "Précisez.", "fields": ["legal.attachments"] }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = remove(w.alice.clone(), second.clone()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(get_raw(&w.app, &link, Some(&w.alice)).await.0, 404);
        assert_eq!(get_raw(&w.app, &link, Some(&w.instructor)).await.0, 200);
        let a = upload(&w, Some(&w.alice), id, "nouveau.pdf", pdf("nouveau")).await;
        assert_eq!(a.status, 201, "{}", a.json);
        let fresh = a.json["id"].as_str().expect("id").to_owned();
        let a = remove(w.alice.clone(), fresh.clone()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let stored = files_in(dir.path());
        assert!(
            stored.contains(&format!("demandes/{id}/{second}.pdf")),
            "{stored:?}"
        );
        assert!(
            !stored.contains(&format!("demandes/{id}/{fresh}.pdf")),
            "{stored:?}"
        );
        t.cleanup().await;
    }
}

/// Each account keeps at most its quota in the store (removed files that a
/// submission names count), and runs at most two uploads at once.
#[tokio::test]
async fn an_account_has_a_quota_and_two_uploads_at_once() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = state(t.db.clone());
        s.attachments =
            open_store(Some(&dir.path().display().to_string()), dir.path()).expect("store");
        s.attachment_quota_bytes = 2 * 1024 * 1024;
        let w = world_on(&t, router(s)).await;
        let id = create(&w).await;
        let mut big = pdf("un");
        let eof = big.split_off(big.len() - 6);
        big.resize(1024 * 1024 - eof.len(), b' ');
        big.extend(eof);
        let a = upload(&w, Some(&w.alice), id, "un.pdf", big.clone()).await;
        assert_eq!(a.status, 201, "{}", a.json);
        big[10] = b'2';
        let a = upload(&w, Some(&w.alice), id, "deux.pdf", big.clone()).await;
        assert_eq!(a.status, 201, "{}", a.json);
        big[10] = b'3';
        let a = upload(&w, Some(&w.alice), id, "trois.pdf", big.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (422, "invalid"),
            "{}",
            a.json
        );
        let message = a.json["message"].as_str().unwrap_or("");
        assert!(message.contains("2 Mo permis par compte"), "{message}");
        assert_eq!(files_in(dir.path()).len(), 2, "{}", t.name);
        // Another account is not held by Alice's quota.
        let other = post_form(&w.app, "/api/requests/create", &[], Some(&w.bob)).await;
        let bob_id = other.json.as_i64().expect("id");
        let a = upload(&w, Some(&w.bob), bob_id, "bob.pdf", pdf("bob")).await;
        assert_eq!(a.status, 201, "{}", a.json);

        // Two uploads still sending: a third waits its turn.
        let mut senders = Vec::new();
        let mut pending = Vec::new();
        for _ in 0..2 {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
            senders.push(tx);
            let body = axum::body::Body::from_stream(tokio_stream_of(rx));
            let req = axum::http::Request::post(format!(
                "/demandes/{bob_id}/pieces-jointes?nom=lent.pdf"
            ))
            .header("host", "guichet.test")
            .header("origin", "http://guichet.test")
            .header("content-type", "application/pdf")
            .header("cookie", &w.bob)
            .body(body)
            .expect("request");
            let app = w.app.clone();
            pending.push(tokio::spawn(async move {
                use tower::ServiceExt;
                app.oneshot(from_client(req))
                    .await
                    .expect("infallible")
                    .status()
            }));
        }
        // Let both reach their body.
        for tx in &senders {
            tx.send(Ok(b"%PDF-1.4
"
            .to_vec()))
                .await
                .expect("send");
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let a = upload(&w, Some(&w.bob), bob_id, "troisieme.pdf", pdf("3")).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (429, "rate_limited"),
            "{}",
            a.json
        );
        // Through another instance on the same database: the same.
        let mut s2 = state(t.db.clone());
        s2.attachments =
            open_store(Some(&dir.path().display().to_string()), dir.path()).expect("store");
        let other = router(s2);
        let a = post_bytes(
            &other,
            &format!("/demandes/{bob_id}/pieces-jointes?nom=ailleurs.pdf"),
            "application/pdf",
            pdf("ailleurs"),
            Some(&w.bob),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (429, "rate_limited"),
            "{}",
            a.json
        );
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("deux fichiers")
        );
        for tx in senders {
            tx.send(Ok(b"% fin
%%EOF
"
            .to_vec()))
                .await
                .expect("send");
        }
        for p in pending {
            assert_eq!(p.await.expect("join"), 201);
        }
        // Done: the next one goes.
        let a = upload(&w, Some(&w.bob), bob_id, "apres.pdf", pdf("apres")).await;
        assert_eq!(a.status, 201, "{}", a.json);
        // A slot left by an instance that died frees itself when its lease ends.
        sqlx::query(
            "INSERT INTO upload_slots (user_id, slot, lease_id, lease_until) \
             SELECT id, s.n, 'morte', $1 FROM users, (SELECT 0 AS n UNION SELECT 1) s \
             WHERE email = 'bob@herault.fr'",
        )
        .bind(guichet::server::db::now_ms() + 60_000)
        .execute(&t.db.pool)
        .await
        .expect("dead leases");
        let a = upload(&w, Some(&w.bob), bob_id, "bloque.pdf", pdf("bloque")).await;
        assert_eq!(a.status, 429, "{}", a.json);
        sqlx::query("UPDATE upload_slots SET lease_until = 0 WHERE lease_id = 'morte'")
            .execute(&t.db.pool)
            .await
            .expect("leases over");
        let a = upload(&w, Some(&w.bob), bob_id, "repris.pdf", pdf("repris")).await;
        assert_eq!(a.status, 201, "{}", a.json);
        t.cleanup().await;
    }
}

/// A body stream fed by a channel (an upload still being sent).
fn tokio_stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// A ClamAV daemon of the test's own: a database holding one signature (a
/// text no real file has), a TCP port of its own.
struct TestClamd {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for TestClamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SIGNATURE_TEXT: &str = "GUICHET-SIGNATURE-DE-TEST-ANTIVIRUS";

async fn start_clamd() -> Option<TestClamd> {
    let binary = ["/usr/sbin/clamd", "/usr/bin/clamd"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(binary) = binary else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: clamd must be installed (scripts/test.sh installs clamav-daemon)"
        );
        eprintln!("clamd absent: antivirus test skipped");
        return None;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    std::fs::create_dir(&db).expect("db dir");
    let hex: String = SIGNATURE_TEXT.bytes().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        db.join("guichet-test.ndb"),
        format!("Guichet.Test.Signature:0:*:{hex}\n"),
    )
    .expect("signature");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let conf = dir.path().join("clamd.conf");
    std::fs::write(
        &conf,
        format!(
            "Foreground yes\nDatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n\
             LogFile {}\nPidFile {}\n",
            db.display(),
            dir.path().join("clamd.log").display(),
            dir.path().join("clamd.pid").display(),
        ),
    )
    .expect("conf");
    let child = std::process::Command::new(binary)
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("clamd starts");
    let clamd = TestClamd {
        child,
        port,
        _dir: dir,
    };
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..300 {
        let ping = clamav_client::tokio::ping(clamav_client::tokio::Tcp {
            host_address: addr.as_str(),
        })
        .await;
        if matches!(ping, Ok(ref r) if r == b"PONG\0") {
            return Some(clamd);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("clamd did not answer within 30 s");
}

#[tokio::test]
async fn the_antivirus_refuses_infected_files_and_unscanned_ones() {
    let Some(clamd) = start_clamd().await else {
        return;
    };
    let t = TestDb::sqlite().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let address = Clamd::Tcp(format!("127.0.0.1:{}", clamd.port));
    let w = world_on(&t, app_storing_in(&t, dir.path(), Some(address))).await;
    let id = create(&w).await;

    let a = upload(&w, Some(&w.alice), id, "sain.pdf", pdf("rien à signaler")).await;
    assert_eq!(a.status, 201, "{}", a.json);

    let a = upload(&w, Some(&w.alice), id, "piege.pdf", pdf(SIGNATURE_TEXT)).await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (422, "invalid"),
        "{}",
        a.json
    );
    let message = a.json["message"].as_str().unwrap_or("");
    assert!(
        message.contains("antivirus") && message.contains("Guichet.Test.Signature"),
        "{message}"
    );
    assert_eq!(
        files_in(dir.path()).len(),
        1,
        "the infected file is not kept"
    );

    // The daemon gone: nothing is stored unscanned.
    drop(clamd);
    let a = upload(&w, Some(&w.alice), id, "plus tard.pdf", pdf("sans analyse")).await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (503, "unavailable"),
        "{}",
        a.json
    );
    assert!(
        a.json["message"]
            .as_str()
            .unwrap_or("")
            .contains("Réessayez")
    );
    assert_eq!(files_in(dir.path()).len(), 1);
    t.cleanup().await;
}

/// An S3 server of the test's own (moto, from PyPI), killed at the end.
struct TestS3 {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for TestS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_s3() -> Option<TestS3> {
    let has_moto = std::process::Command::new("python3")
        .args(["-c", "import moto.server"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_moto {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: moto must be installed (scripts/test.sh installs it)"
        );
        eprintln!("moto absent: S3 test skipped");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = std::process::Command::new("python3")
        .args(["-m", "moto.server", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto starts");
    let s3 = TestS3 {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http.get(&s3.endpoint).send().await.is_ok() {
            let made = http
                .put(format!("{}/guichet-test", s3.endpoint))
                .send()
                .await
                .expect("bucket");
            assert!(made.status().is_success(), "{}", made.status());
            return Some(s3);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto did not answer within 30 s");
}

#[tokio::test]
async fn files_can_live_in_an_s3_bucket() {
    let Some(s3) = start_s3().await else {
        return;
    };
    let t = TestDb::sqlite().await;
    let mut s = state(t.db.clone());
    s.attachments = guichet::server::attachments::s3_store(
        "s3://guichet-test/production",
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true)
            .with_region("eu-west-3")
            .with_access_key_id("guichet")
            .with_secret_access_key("secret-de-test"),
    )
    .expect("s3 store");
    let w = world_on(&t, router(s)).await;
    let id = create(&w).await;
    let bytes = pdf("dans le bucket");
    let a = upload(&w, Some(&w.alice), id, "arrêté.pdf", bytes.clone()).await;
    assert_eq!(a.status, 201, "{}", a.json);
    let att = a.json["id"].as_str().expect("id").to_owned();

    // In the bucket, under the prefix, by the server's name.
    let listing = reqwest::get(format!("{}/guichet-test?list-type=2", s3.endpoint))
        .await
        .expect("list")
        .text()
        .await
        .expect("listing");
    assert!(
        listing.contains(&format!("<Key>production/demandes/{id}/{att}.pdf</Key>")),
        "{listing}"
    );
    let (status, _, body) =
        get_raw(&w.app, &format!("/pieces-jointes/{att}"), Some(&w.alice)).await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);

    // The bucket gone: a clear 503, nothing recorded.
    drop(s3);
    let a = upload(&w, Some(&w.alice), id, "second.pdf", pdf("perdu")).await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (503, "unavailable"),
        "{}",
        a.json
    );
    let listed = get(&w, &w.alice, id).await.json["data"]["legal"]["attachments"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    t.cleanup().await;
}
