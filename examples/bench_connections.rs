//! What an open connection costs the server, by server loop: `axum::serve`
//! (hyper-util's protocol-sniffing builder) against Guichet's own loop
//! (`listen::serve`: hyper's HTTP/1 connection), both serving the same
//! router, whose one route answers an event stream that never ends (the
//! shape of a dashboard's live stream, without the application around it).
//!
//! Each loop is served by a process of its own (this program with `--one`),
//! so that neither reuses the memory the other gave back. A second process
//! (`--hold`) opens N connections, sends the headers a browser sends and
//! keeps them open once the answer's headers came; the server's resident
//! memory is read before and after. The allocator is the server's
//! (mimalloc, from the library).
//!
//! `cargo run --release --features ssr --example bench_connections -- [connections]`

// Only its memory and figure helpers serve here.
#[allow(dead_code)]
#[path = "support/scratch.rs"]
mod scratch;

use axum::response::sse::{Event, KeepAlive, Sse};
use scratch::rss_mib;
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REQUEST: &[u8] = b"GET /flux HTTP/1.1\r\nHost: guichet.test\r\n\
Accept: text/event-stream\r\nAccept-Encoding: gzip, br\r\nAccept-Language: fr-FR,fr;q=0.9\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 Safari/537.36\r\n\
Cookie: guichet_session=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\r\n\r\n";

fn router() -> axum::Router {
    axum::Router::new().route(
        "/flux",
        axum::routing::get(|| async {
            Sse::new(futures_util::stream::pending::<Result<Event, Infallible>>())
                .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        }),
    )
}

/// The holder: opens `n` streams on `port`, says so on its output, and keeps
/// them until it is killed.
async fn hold(port: u16, n: usize) {
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        s.write_all(REQUEST).await.expect("send");
        let mut head = [0u8; 1024];
        let read = s.read(&mut head).await.expect("answer");
        assert!(head[..read].starts_with(b"HTTP/1.1 200"), "not a 200");
        open.push(s);
    }
    println!("held {n}");
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// Resident memory added by `n` open streams on `port`, MiB.
async fn measure(port: u16, n: usize) -> f64 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_mib();
    let exe = std::env::current_exe().expect("exe");
    let mut holder = std::process::Command::new(exe)
        .args(["--hold", &port.to_string(), &n.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("holder");
    let out = holder.stdout.take().expect("stdout");
    // Its one line, once every stream is open.
    let _ = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(out).lines().next()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    let _ = holder.kill();
    let _ = holder.wait();
    after - before
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--hold") {
        let port = args.get(1).and_then(|p| p.parse().ok()).expect("port");
        let n = args.get(2).and_then(|n| n.parse().ok()).expect("count");
        hold(port, n).await;
        return;
    }
    if args.first().map(String::as_str) == Some("--one") {
        let lp = args.get(1).cloned().unwrap_or_default();
        let n = args.get(2).and_then(|n| n.parse().ok()).expect("count");
        one(&lp, n).await;
        return;
    }
    let n: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let exe = std::env::current_exe().expect("exe");
    for lp in ["axum_serve", "listen_serve"] {
        let status = std::process::Command::new(&exe)
            .args(["--one", lp, &n.to_string()])
            .status()
            .expect("server process");
        assert!(status.success(), "{lp} failed");
    }
}

/// Serves `router` with the loop `lp`, measures `n` streams, prints it.
async fn one(lp: &str, n: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    match lp {
        "axum_serve" => tokio::spawn(async move {
            let _ = axum::serve(listener, router()).await;
        }),
        _ => tokio::spawn(guichet::server::listen::serve_forever(listener, router())),
    };
    let added = measure(port, n).await;
    let per = added * 1024.0 / n as f64;
    println!("{lp}: {n} open streams, server memory +{added:.1} MiB, {per:.2} KiB each");
    scratch::figure(&format!("connections.{lp}.kib_per_stream"), per);
}
