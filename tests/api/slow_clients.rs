//! Slow and stalled clients, and log hygiene under attack (issue 8, items 11 and 12): a
//! stalled body gets 408 and a closed connection by the configured deadline, an upgrade
//! request is answered at once, one address cannot hold more than its share of connections,
//! and malformed requests are counted as client errors rather than logged as server errors.
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_stalled_body_gets_408_and_a_closed_connection_by_the_deadline,
    stalled_headers_get_408_by_the_deadline,
    an_upgrade_request_with_a_body_is_answered_at_once,
    one_address_cannot_hold_more_than_its_connections,
    malformed_requests_are_counted_as_client_errors,
);

/// The server's address for raw sockets.
fn socket(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// Sends `raw`, then reads until the server closes the connection (or `limit` passes):
/// what arrived, and when the connection closed (None if it stayed open).
async fn exchange(app: &TestApp, raw: &[u8], limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(socket(app)).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut received = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok();
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

fn deadline_of_one_second(s: &mut ferrid::config::Settings) {
    s.server.request_timeout_ms = 1000;
}

async fn a_stalled_body_gets_408_and_a_closed_connection_by_the_deadline(backend: Backend) {
    let app = spawn_app_with(backend, deadline_of_one_second).await;
    for path in ["/token", "/login", "/"] {
        // Content-Length: 100, then 10 bytes, then nothing.
        let raw = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100\r\n\r\ngrant_type"
        );
        let (response, closed) = exchange(&app, raw.as_bytes(), Duration::from_secs(10)).await;
        assert!(response.starts_with("HTTP/1.1 408"), "{path}: {response}");
        let closed = closed.unwrap_or_else(|| panic!("{path}: the connection stayed open"));
        // The deadline is 1 s; the margin is for a loaded machine, not a second deadline.
        assert!(
            closed < Duration::from_secs(4),
            "{path}: closed after {closed:?}"
        );
    }
    assert_eq!(app.browser().status("/healthz").await, 200);
}

async fn stalled_headers_get_408_by_the_deadline(backend: Backend) {
    let app = spawn_app_with(backend, deadline_of_one_second).await;
    let (response, closed) = exchange(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(10),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        closed.is_some_and(|c| c < Duration::from_secs(4)),
        "{closed:?}"
    );
}

async fn an_upgrade_request_with_a_body_is_answered_at_once(backend: Backend) {
    // A long deadline: the answer must not wait for it.
    let app = spawn_app_with(backend, |s| s.server.request_timeout_ms = 30_000).await;
    for raw in [
        "POST /token HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Content-Length: 5\r\n\r\nhello",
        "GET /jwks HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    ] {
        let (response, closed) = exchange(&app, raw.as_bytes(), Duration::from_secs(10)).await;
        assert!(
            response.starts_with("HTTP/1.1 400") || response.starts_with("HTTP/1.1 426"),
            "{response}"
        );
        assert!(
            closed.is_some_and(|c| c < Duration::from_secs(5)),
            "answered and closed at once: {closed:?}"
        );
    }
}

async fn one_address_cannot_hold_more_than_its_connections(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.server.max_connections_per_ip = 3;
        // Idle connections must outlive the test, not the header deadline.
        s.server.request_timeout_ms = 60_000;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(socket(&app)).await.unwrap());
    }
    // The accept loop registers connections asynchronously: wait until the cap is reached.
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    eventually(Duration::from_secs(10), "never refused", || async {
        let (response, _) = exchange(&app, request, Duration::from_secs(5)).await;
        response.starts_with("HTTP/1.1 429")
    })
    .await;
    drop(held);
    eventually(
        Duration::from_secs(10),
        "closing connections frees their places",
        || async { app.browser().status("/healthz").await == 200 },
    )
    .await;
}

async fn malformed_requests_are_counted_as_client_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.state.client_errors();
    // A bad form at /token (a repeated parameter) and a bad query at /authorize.
    let r = reqwest::Client::new()
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let status = app
        .browser()
        .status("/authorize?client_id=a&client_id=b")
        .await;
    assert_eq!(status, 400);
    // A request actix itself refuses: it never reaches the application.
    let (response, _) = exchange(
        &app,
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    eventually(
        Duration::from_secs(5),
        "client errors not counted",
        || async { app.state.client_errors() >= before + 3 },
    )
    .await;
}
