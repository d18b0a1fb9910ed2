#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    guichet::server::cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts from `guichet::hydrate`; the binary needs `ssr`.
}
