//! The instructors' live stream (server-sent events) through the real router:
//! a submission reaches an open stream; a reconnecting stream gets what it
//! missed; only staff may listen; and on PostgreSQL, a change made through
//! one server instance reaches a stream opened on another (LISTEN/NOTIFY).

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::request::RequestData;
use guichet::server::http::router;
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

/// An open event stream: the body of `GET /instruction/flux`.
pub(crate) struct Stream {
    body: axum::body::Body,
    seen: String,
}

pub(crate) async fn open(app: &axum::Router, cookie: &str, last_id: Option<i64>) -> (u16, Stream) {
    let mut req = axum::http::Request::get("/instruction/flux")
        .header("host", "guichet.test")
        .header("cookie", cookie)
        .header("accept", "text/event-stream");
    if let Some(id) = last_id {
        req = req.header("last-event-id", id.to_string());
    }
    let req = from_client(req.body(axum::body::Body::empty()).expect("request"));
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    (
        status,
        Stream {
            body: res.into_body(),
            seen: String::new(),
        },
    )
}

impl Stream {
    /// Reads until the stream ends, which it must within two session
    /// checks and a margin.
    pub(crate) async fn ends_after_sign_out(&mut self, backend: &str) {
        let deadline = tokio::time::Instant::now()
            + guichet::server::live::SESSION_CHECK * 2
            + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => panic!("{backend}: the stream is still open after sign-out"),
                Ok(None) => break,
                Ok(Some(Err(e))) => panic!("stream error: {e}"),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.seen.push_str(&String::from_utf8_lossy(&data));
                    }
                }
            }
        }
    }

    /// Reads until `needle` has arrived (within `within`); answers all read.
    pub(crate) async fn until(&mut self, needle: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        while !self.seen.contains(needle) {
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("« {needle} » not received; got: {}", self.seen))
                .expect("stream open")
                .expect("frame");
            if let Ok(data) = frame.into_data() {
                self.seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        self.seen.clone()
    }
}

async fn complete_draft(w: &World) -> i64 {
    let id = create(w).await;
    assert_eq!(
        save(w, &w.alice, id, 1, "complet", &RequestData::example())
            .await
            .status,
        200
    );
    id
}

#[tokio::test]
async fn a_submission_reaches_an_open_stream_and_a_reconnection_catches_up() {
    for t in TestDb::all().await {
        let s = state(t.db.clone());
        if t.name == "postgres" {
            s.live.start_listener(t.url.clone()).await;
        }
        let w = world_on(&t, router(s)).await;
        // Only staff listen.
        let (status, _) = open(&w.app, &w.alice, None).await;
        assert_eq!(status, 403);
        let (status, _) = open(&w.app, "guichet_session=inconnue", None).await;
        assert_eq!(status, 303);

        let (status, mut stream) = open(&w.app, &w.instructor, None).await;
        assert_eq!(status, 200);
        let id = complete_draft(&w).await;
        assert_eq!(submit(&w, id, 2).await.status, 200);
        let got = stream
            .until(&format!("\"request_id\":{id}"), Duration::from_secs(5))
            .await;
        assert!(got.contains("event: changement"), "{got}");
        assert!(got.contains("\"kind\":\"submitted\""), "{got}");
        let event_id: i64 = got
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("an SSE id");

        // A message while this browser is away; it comes back with its last id.
        drop(stream);
        let a = post_form(
            &w.app,
            "/api/messages/send",
            &[("id", &id.to_string()), ("body", "Une question.")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let (_, mut again) = open(&w.app, &w.instructor, Some(event_id)).await;
        let got = again.until("message_sent", Duration::from_secs(5)).await;
        assert!(
            !got.contains("\"kind\":\"submitted\""),
            "only what was missed: {got}"
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn on_postgresql_a_change_on_one_instance_reaches_another() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    // Two instances on one database, each with its own listener.
    let one = state(t.db.clone());
    let two = state(t.db.clone());
    one.live.start_listener(t.url.clone()).await;
    two.live.start_listener(t.url.clone()).await;
    let app_two = router(two);
    let w = world_on(&t, router(one)).await;
    let instructor_on_two = sign_in(
        &app_two,
        "instructeur@beta.gouv.fr",
        PASSWORD,
        [10, 2, 0, 3],
    )
    .await;
    let (status, mut stream) = open(&app_two, &instructor_on_two, None).await;
    assert_eq!(status, 200);
    let id = complete_draft(&w).await;
    let started = std::time::Instant::now();
    assert_eq!(submit(&w, id, 2).await.status, 200);
    stream
        .until(&format!("\"request_id\":{id}"), Duration::from_secs(5))
        .await;
    eprintln!(
        "instance 1 → instance 2: {} ms",
        started.elapsed().as_millis()
    );
    t.cleanup().await;
}

/// The stream ends with its session: signed out elsewhere (the record is
/// deleted), the open stream closes within a few session checks.
#[tokio::test]
async fn the_stream_ends_when_its_session_ends() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (status, mut stream) = open(&w.app, &w.instructor, None).await;
        assert_eq!(status, 200);
        let a = post_form(&w.app, "/api/auth/logout", &[], Some(&w.instructor)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        stream.ends_after_sign_out(t.name).await;
        // And it cannot be opened again with that cookie.
        let (status, _) = open(&w.app, &w.instructor, None).await;
        assert_eq!(status, 303, "{}", t.name);
        t.cleanup().await;
    }
}

/// The sessions of the open streams are checked together: the stream of a
/// session that ended closes, the stream of another session of the same
/// instructor stays open and still receives events.
#[tokio::test]
async fn one_ended_session_closes_only_its_own_streams() {
    for t in TestDb::all().await {
        let s = state(t.db.clone());
        if t.name == "postgres" {
            s.live.start_listener(t.url.clone()).await;
        }
        let w = world_on(&t, router(s)).await;
        let other = sign_in(&w.app, "instructeur@beta.gouv.fr", PASSWORD, [10, 1, 0, 9]).await;
        let (status, mut ending) = open(&w.app, &w.instructor, None).await;
        assert_eq!(status, 200);
        let (status, mut staying) = open(&w.app, &other, None).await;
        assert_eq!(status, 200);
        let a = post_form(&w.app, "/api/auth/logout", &[], Some(&w.instructor)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        ending.ends_after_sign_out(t.name).await;
        let id = complete_draft(&w).await;
        assert_eq!(submit(&w, id, 2).await.status, 200);
        staying
            .until(&format!("\"request_id\":{id}"), Duration::from_secs(5))
            .await;
        t.cleanup().await;
    }
}
