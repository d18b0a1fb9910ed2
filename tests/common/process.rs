//! The real `guichet` binary, run as a child process: started, stopped
//! gracefully or killed, and spoken to over HTTP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_guichet");
pub const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml");

/// The binary with the project's configuration and a clean environment.
pub fn guichet(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["--config", CONFIG])
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GUICHET_DATA_DIR")
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A minimal HTTP/1.1 GET; returns (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// A running `guichet serve`.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Starts on a free port and waits until it answers (any status: a
    /// server whose database is down still answers `/healthz`).
    pub fn start(envs: &[(&str, &str)]) -> Server {
        Server::start_on(free_port(), envs)
    }

    pub fn start_on(port: u16, envs: &[(&str, &str)]) -> Server {
        let addr = format!("127.0.0.1:{port}");
        let mut all = vec![("LEPTOS_SITE_ADDR", addr.as_str())];
        all.extend_from_slice(envs);
        let child = guichet(&["serve"], &all)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http_get(port, "/healthz").is_some() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("guichet serve did not answer on {addr} within 30 s");
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("guichet serve did not stop within 10 s of SIGTERM");
    }

    /// SIGKILL: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Signs in through the HTTP API of the server at `base` (with the second
/// factor for staff); answers the session cookie pair.
pub async fn sign_in_at(http: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let post = async |path: &str, form: &[(&str, &str)], cookie: Option<&str>| {
        let mut req = http
            .post(format!("{base}{path}"))
            .header("origin", base)
            .header("accept", "application/json")
            .form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.expect("sign-in request");
        let status = res.status().as_u16();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("guichet_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let json: serde_json::Value = serde_json::from_str(&res.text().await.unwrap_or_default())
            .unwrap_or(serde_json::Value::Null);
        (status, json, cookie)
    };
    let (status, json, cookie) = post(
        "/api/auth/login",
        &[("email", email), ("password", password)],
        None,
    )
    .await;
    assert_eq!(status, 200, "sign-in of {email}: {json}");
    let cookie = cookie.expect("session cookie");
    let target = json.as_str().unwrap_or_default().to_owned();
    if !target.starts_with(guichet::paths::SIGN_IN) {
        return cookie;
    }
    super::second_factor(
        async |path, form, cookie| post(path, form, Some(cookie)).await,
        &target,
        email,
        &cookie,
    )
    .await
}
