//! Live updates of the instructors' dashboard: server-sent events.
//!
//! Every change an instructor should see at once (a submission, a
//! resubmission, a decision, a message, an assignment) is published after its
//! transaction commits. On SQLite (one instance) the event goes straight to
//! this process's subscribers. On PostgreSQL it goes through
//! `NOTIFY guichet_live`, and every instance's listener (`LISTEN`) hands it to
//! its own subscribers, so a dashboard connected to one instance sees what
//! happened on another.
//!
//! `GET /instruction/flux` (staff only) streams them. Events that have a row
//! in the `events` table carry its id as the SSE id; a browser that reconnects
//! sends `Last-Event-ID` and first receives what it missed (up to
//! `REPLAY_LIMIT`), then the live stream. The page also reloads its data on
//! every (re)connection, which covers the rest.

use crate::domain::lifecycle::EventKind;
use crate::server::db::{Backend, Db};
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel.
pub const CHANNEL: &str = "guichet_live";
/// Where the stream is served.
pub const ROUTE: &str = crate::paths::LIVE;
/// Most missed events replayed to a reconnecting browser.
pub const REPLAY_LIMIT: i64 = 500;
/// Events kept for a slow subscriber before it is told it lagged.
const BUFFER: usize = 1024;

/// One change, as dashboards receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// The id of its row in `events`, when it has one.
    pub id: Option<i64>,
    /// One of the kinds `EventKind::is_announced` (the dashboards'), or
    /// one that `changes_token` (the API caches').
    pub kind: EventKind,
    pub request_id: i64,
    /// Its request's kind: the dashboard names updates and renewals.
    #[serde(default)]
    pub nature: crate::domain::lifecycle::RequestKind,
    /// When the server published it (ms), for latency measurements.
    pub at: i64,
}

/// This process's fan-out of live events.
#[derive(Clone, Debug)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    sessions: std::sync::Arc<SessionWatch>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(BUFFER).0,
            sessions: std::sync::Arc::default(),
        }
    }
}

/// The sessions of this process's open streams, checked together: one
/// query every `SESSION_CHECK` for all of them (by chunks of
/// `CHECK_CHUNK`), however many streams and sessions are open, rather than
/// one per stream.
#[derive(Debug, Default)]
struct SessionWatch {
    /// Session id → its "ended" flag, watched by its streams.
    watched: std::sync::Mutex<std::collections::HashMap<String, tokio::sync::watch::Sender<bool>>>,
    /// The checking task runs (started by the first stream).
    started: std::sync::atomic::AtomicBool,
}

/// Session ids per query of the check.
const CHECK_CHUNK: usize = 500;

impl SessionWatch {
    fn watched(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, tokio::sync::watch::Sender<bool>>,
    > {
        self.watched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks every watched session, each `SESSION_CHECK`, for as long as
    /// the process runs; ends the streams of those that ended. A database
    /// that cannot answer ends nothing (the next check decides).
    async fn run(self: std::sync::Arc<Self>, db: Db) {
        loop {
            tokio::time::sleep(SESSION_CHECK).await;
            let ids: Vec<String> = {
                let mut watched = self.watched();
                // Sessions whose streams all closed.
                watched.retain(|_, flag| flag.receiver_count() > 0);
                watched.keys().cloned().collect()
            };
            let now = crate::server::db::now_ms();
            for chunk in ids.chunks(CHECK_CHUNK) {
                let alive = match crate::server::db::sessions::alive_among(&db, chunk, now).await {
                    Ok(alive) => alive,
                    Err(e) => {
                        tracing::warn!(error = %e, "live streams: session check");
                        continue;
                    }
                };
                let mut watched = self.watched();
                for id in chunk.iter().filter(|id| !alive.contains(*id)) {
                    if let Some(flag) = watched.remove(id) {
                        let _ = flag.send(true);
                    }
                }
            }
        }
    }
}

impl Live {
    /// A new subscription to this process's events.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Hands an event to this process's subscribers.
    pub fn deliver(&self, event: LiveEvent) {
        // No subscriber is not an error.
        let _ = self.tx.send(event);
    }

    /// Publishes an event once its transaction has committed: to every
    /// instance through PostgreSQL, or to this process on SQLite. A failure
    /// is logged, never returned: the change itself is done, and dashboards
    /// reload on reconnection.
    pub async fn publish(&self, db: &Db, kind: EventKind, request_id: i64, id: Option<i64>) {
        // Announced after its commit: a request that cannot be read now is
        // told as a first request (the page reloads its data anyway).
        let nature = crate::server::db::instruction::kind_of(db, request_id)
            .await
            .unwrap_or_default();
        let event = LiveEvent {
            id,
            kind,
            request_id,
            nature,
            at: crate::server::db::now_ms(),
        };
        match db.backend {
            Backend::Sqlite => self.deliver(event),
            Backend::Postgres => {
                let payload = serde_json::to_string(&event).unwrap_or_default();
                let sent = crate::server::db::instruction::notify(db, CHANNEL, &payload).await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "live event not published");
                }
            }
        }
    }

    /// On PostgreSQL: listens to the channel (the `LISTEN` is in place when
    /// this returns, unless the database cannot be reached: then it keeps
    /// trying in the background) and delivers what arrives to this process's
    /// subscribers, reconnecting after a failure.
    pub async fn start_listener(&self, database_url: String) {
        let first = connect(&database_url).await;
        let live = self.clone();
        tokio::spawn(async move {
            let mut listener = first;
            loop {
                let next = match listener.take() {
                    Some(l) => Some(l),
                    None => connect(&database_url).await,
                };
                match next {
                    Some(l) => {
                        if let Err(e) = forward(&live, l).await {
                            tracing::warn!(error = %e, "live listener lost; reconnecting");
                        }
                    }
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        });
    }
}

async fn connect(url: &str) -> Option<sqlx::postgres::PgListener> {
    let attempt = async {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match attempt.await {
        Ok(l) => {
            tracing::info!("écoute des événements en direct (LISTEN {CHANNEL})");
            Some(l)
        }
        Err(e) => {
            tracing::warn!(error = %e, "LISTEN {CHANNEL} impossible for now");
            None
        }
    }
}

async fn forward(live: &Live, mut listener: sqlx::postgres::PgListener) -> Result<(), sqlx::Error> {
    loop {
        let n = listener.recv().await?;
        match serde_json::from_str::<LiveEvent>(n.payload()) {
            Ok(event) => live.deliver(event),
            Err(e) => tracing::warn!(error = %e, "malformed live event"),
        }
    }
}

/// The events after `after` (a reconnecting browser's `Last-Event-ID`) that
/// dashboards show, oldest first.
async fn missed(db: &Db, after: i64) -> Vec<LiveEvent> {
    let kinds: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|k| k.is_announced())
        .collect();
    match crate::server::db::instruction::events_since(db, after, &kinds, REPLAY_LIMIT).await {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|e| {
                Some(LiveEvent {
                    id: Some(e.id),
                    kind: EventKind::parse(&e.kind)?,
                    request_id: e.request_id,
                    nature: e.nature,
                    at: e.created_at,
                })
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "replay of missed events");
            Vec::new()
        }
    }
}

fn sse_event(e: &LiveEvent) -> Event {
    let data = serde_json::to_string(e).unwrap_or_default();
    let event = Event::default().event("changement").data(data);
    match e.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// How often an open stream checks that its session still lives.
pub const SESSION_CHECK: Duration = Duration::from_secs(5);

/// Resolves when the session `id` ends: signed out, its password changed or
/// reset (the records are deleted), idle (found by the shared check,
/// `SessionWatch`) or past its absolute `deadline`.
async fn session_end(live: &Live, db: &Db, id: tower_sessions::session::Id, deadline: i64) {
    let sessions = live.sessions.clone();
    if !sessions
        .started
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        tokio::spawn(sessions.clone().run(db.clone()));
    }
    let mut ended = {
        let mut watched = sessions.watched();
        match watched.get(&id.to_string()) {
            Some(flag) => flag.subscribe(),
            None => {
                let (flag, ended) = tokio::sync::watch::channel(false);
                watched.insert(id.to_string(), flag);
                ended
            }
        }
    };
    let left = u64::try_from(deadline - crate::server::db::now_ms()).unwrap_or(0);
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(left)) => {}
        // An error: the flag's sender is gone, so is the watch (never
        // while a stream holds it).
        _ = ended.wait_for(|ended| *ended) => {}
    }
}

/// `GET /instruction/flux`: the live stream, for staff; it ends with the
/// session that opened it.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let viewer = match &session {
        Some(s) => crate::server::auth::session::viewer(s, &state.db).await,
        None => Ok(None),
    };
    let lifetime = match &session {
        Some(s) => crate::server::auth::session::lifetime(s).await,
        None => None,
    };
    match viewer {
        Ok(Some(v)) if crate::server::policy::reads_all_requests(v.role) => {}
        Ok(Some(_)) => {
            return crate::error::AppError::new(crate::error::ErrorCode::Forbidden).into_response();
        }
        Ok(None) => {
            return Redirect::to(crate::paths::SIGN_IN).into_response();
        }
        Err(e) => return e.into_response(),
    }
    // Subscribe before reading the missed events: nothing falls in between
    // (a duplicate may, and the page ignores ids it has seen).
    let rx = state.live.subscribe();
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let replay = match last {
        Some(after) => missed(&state.db, after).await,
        None => Vec::new(),
    };
    let replayed = futures_util::stream::iter(
        replay
            .into_iter()
            .map(|e| Ok::<Event, Infallible>(sse_event(&e))),
    );
    let live = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = loop {
            match rx.recv().await {
                // Published for the API's caches (a rotation), not for the
                // dashboards.
                Ok(e) if !e.kind.is_announced() => continue,
                Ok(e) => break sse_event(&e),
                // Too slow: say so; the page reloads its data.
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    break Event::default()
                        .event("retard")
                        .data(format!("{{\"missed\":{n}}}"));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        };
        Some((Ok::<Event, Infallible>(event), rx))
    });
    use futures_util::StreamExt;
    let Some((session_id, deadline)) = lifetime else {
        return Redirect::to(crate::paths::SIGN_IN).into_response();
    };
    let (live_state, db) = (state.live.clone(), state.db.clone());
    let ended = async move { session_end(&live_state, &db, session_id, deadline).await };
    let mut res = Sse::new(replayed.chain(live).take_until(ended))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}
