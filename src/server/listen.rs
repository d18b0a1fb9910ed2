//! The server loop: accepts TCP connections and serves the router on each,
//! over HTTP/1.1 (TLS and HTTP/2 are the reverse proxy's, README
//! "Deploying").
//!
//! `axum::serve` goes through hyper-util's protocol-sniffing builder, even
//! with HTTP/1 alone: an open connection (a dashboard's live stream) held
//! 27.7 KiB of the server's memory, against 18.7 KiB with hyper's HTTP/1
//! connection served directly, the same router and the same allocator
//! (docs/BENCHMARKS.md, "Ten thousand live dashboards"). Ten thousand
//! streams are 90 MiB apart.
//!
//! On each connection: the peer's address as `ConnectInfo` (rate limits,
//! `client_ip`), and 30 s to send the request's headers (a client that sends
//! them byte by byte does not hold a connection forever). No route upgrades
//! its connection (no WebSocket), so none is offered.

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a shutdown waits for the requests in flight (live streams never
/// end on their own: they are cut after this).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (at most `SHUTDOWN_GRACE`).
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, %peer, "connection ended on an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("arrêt : connexions encore ouvertes coupées après le délai de grâce");
    }
}

/// Serves `app` on `listener` for as long as the process runs (benchmarks,
/// tests).
pub async fn serve_forever(listener: TcpListener, app: Router) {
    serve(listener, app, std::future::pending()).await;
}

/// A failed accept: a connection reset before it was taken is nothing; any
/// other error (out of file descriptors…) is logged, and the loop waits a
/// second before accepting again, when connections may have closed.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
