//! Connections to a real `sandbox-server`, byte by byte: slow and idle
//! clients are cut off while others stay served, the connection cap, a
//! client that half-closes still gets its answer, and web pages from other
//! origins (or reached by DNS rebinding) are refused.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serving::{TestServer, execute, http};

/// The `host:port` of `server`.
fn address(server: &TestServer) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// A raw POST /execute of `code`, without its last `hold_back` bytes.
fn raw_execute(address: &str, code: &str, hold_back: usize) -> (TcpStream, Vec<u8>) {
    let body = json!({ "code": code }).to_string();
    let request = format!(
        "POST /execute HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    let mut stream = TcpStream::connect(address).unwrap();
    let (now, later) = request.split_at(request.len() - hold_back);
    stream.write_all(now).unwrap();
    (stream, later.to_vec())
}

/// Everything `stream` receives until the server closes it (or `limit`).
fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let closed = stream.read_to_end(&mut received).is_ok();
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_while_others_are_served() {
    let server = TestServer::start(
        &[
            "--header-timeout",
            "1",
            "--body-timeout",
            "2",
            "--idle-timeout",
            "1",
        ],
        &[],
    );
    let address = address(&server);
    // 300 slow clients: silent ones, ones stuck in their headers, ones
    // stuck in their body.
    let mut silent = Vec::new();
    let mut slow_headers = Vec::new();
    let mut slow_bodies = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(&address).unwrap());
        let mut stuck = TcpStream::connect(&address).unwrap();
        stuck
            .write_all(b"POST /execute HTTP/1.1\r\nHost: ")
            .unwrap();
        slow_headers.push(stuck);
        slow_bodies.push(raw_execute(&address, "print(1)", 5).0);
    }
    // Ordinary clients are served meanwhile.
    let started = Instant::now();
    for _ in 0..10 {
        let response = execute(&server, &json!({"code": "print(1)"}), None).await;
        assert_eq!(response.status(), 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "ordinary requests waited behind slow clients: {:?}",
        started.elapsed()
    );
    // Each slow client is cut off: 408, then the connection closes.
    for stream in silent.iter_mut().chain(slow_headers.iter_mut()) {
        let (received, closed) = read_to_close(stream, Duration::from_secs(10));
        assert!(closed, "a slow client was never disconnected");
        assert!(received.starts_with("HTTP/1.1 408"), "{received:?}");
    }
    for stream in &mut slow_bodies {
        let (received, _) = read_to_close(stream, Duration::from_secs(10));
        assert!(received.starts_with("HTTP/1.1 408"), "{received:?}");
        assert!(received.contains("request_timeout"), "{received:?}");
    }

    // A keep-alive connection left idle is closed after the idle timeout.
    let (mut stream, rest) = raw_execute(&address, "print(1)", 0);
    assert!(rest.is_empty());
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let idle_since = Instant::now();
    let (_, closed) = read_to_close(&mut stream, Duration::from_secs(10));
    assert!(closed);
    assert!(
        idle_since.elapsed() >= Duration::from_millis(800),
        "closed while the response was still being read"
    );
    let health = http().get(server.at("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let server = TestServer::start(&["--max-connections", "2", "--header-timeout", "60"], &[]);
    let address = address(&server);
    let first = TcpStream::connect(&address).unwrap();
    let _second = TcpStream::connect(&address).unwrap();
    let waiting = tokio::spawn({
        let url = server.at("/healthz");
        async move { http().get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served past the cap"
    );
    drop(first);
    let response = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn a_client_that_half_closes_gets_its_answer() {
    let server = TestServer::start(&[], &[]);
    let (mut stream, _) = raw_execute(
        &address(&server),
        "import time\ntime.sleep(1.5)\nprint('answered')",
        0,
    );
    stream.shutdown(Shutdown::Write).unwrap();
    let (received, closed) = read_to_close(&mut stream, Duration::from_secs(20));
    assert!(closed);
    // Interim `102 Processing` answers come first; HTTP/1.1 clients skip them.
    let last = received.rfind("HTTP/1.1 ").map_or("", |at| &received[at..]);
    assert!(last.starts_with("HTTP/1.1 200"), "{received:?}");
    assert!(last.contains("answered\\n"), "{received:?}");
}

#[tokio::test]
async fn other_origins_and_rebound_hosts_are_refused() {
    let server = TestServer::start(&["--allowed-origins", "https://app.example"], &[]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let body = json!({"code": "print(1)"}).to_string();
    let post = |path: &str, headers: &[(&str, String)]| {
        let mut request = http()
            .post(server.at(path))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send()
    };

    // A name rebound to loopback: refused everywhere.
    let rebound = format!("evil.example:{port}");
    for path in ["/healthz", "/execute"] {
        let response = http()
            .get(server.at(path))
            .header("host", &rebound)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "forbidden");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("evil.example"),
            "{error}"
        );
    }
    // Pages of other origins cannot run code, over either API.
    for path in ["/execute", "/mcp"] {
        let response = post(path, &[("origin", "http://evil.example".into())])
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    // The server's own origin (its docs page) and an allowed one can.
    let own = format!("http://127.0.0.1:{port}");
    for origin in [own.as_str(), "https://app.example"] {
        let response = post("/execute", &[("origin", origin.into())])
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{origin}");
    }
    // Clients that send no Origin (curl, SDKs, agents) are unaffected.
    assert_eq!(post("/execute", &[]).await.unwrap().status(), 200);
}
