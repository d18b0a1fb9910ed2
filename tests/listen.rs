//! The server loop (`guichet::server::listen`) over real TCP, as a browser
//! or the reverse proxy reaches it.

use axum::extract::ConnectInfo;
use axum::routing::get;
use guichet::server::listen;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends one request on a new connection and reads the whole answer (the
/// connection is closed after it).
async fn exchange(stream: &mut TcpStream, path: &str) -> String {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: guichet.test\r\nAccept-Encoding: gzip, br\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_serves_with_the_peer_address_and_lets_requests_finish_on_shutdown() {
    let app = axum::Router::new()
        .route(
            "/pair",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/lent",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "fini"
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(listen::serve(listener, app, async {
        let _ = stopped.await;
    }));

    // The handler sees the address the client connected from.
    let mut client = TcpStream::connect(addr).await.expect("connect");
    let local = client.local_addr().expect("local addr");
    let answer = exchange(&mut client, "/pair").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "{answer}");

    // A request in flight when the shutdown comes is answered; then the
    // loop ends and no new connection is taken.
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    let in_flight = tokio::spawn(async move { exchange(&mut slow, "/lent").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).expect("stop");
    let answer = in_flight.await.expect("in flight");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("fini"), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the loop ends after its requests")
        .expect("loop");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_request_is_refused_and_the_loop_goes_on() {
    let app = axum::Router::new().route("/", get(|| async { "bonjour" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(listen::serve_forever(listener, app));

    let mut bad = TcpStream::connect(addr).await.expect("connect");
    bad.write_all(b"\x16\x03\x01 not http at all\r\n\r\n")
        .await
        .expect("write");
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), bad.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");

    let mut good = TcpStream::connect(addr).await.expect("connect");
    let answer = exchange(&mut good, "/").await;
    assert!(answer.ends_with("bonjour"), "{answer}");
}
