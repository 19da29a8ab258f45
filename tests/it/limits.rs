//! The limits of DESIGN §4 against misbehaving clients: deadlines, sizes, the cap.

use std::time::Duration;

use http::{Method, StatusCode};
use sipprov::http::{Limits, RequestSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{BODY_LIMIT, TestServer, quick_limits, read_until_closed, tls_connect};

#[tokio::test]
async fn a_client_that_sends_nothing_is_dropped_after_the_head_timeout() {
    let limits = quick_limits();
    let server = TestServer::start_plain(limits).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let (received, after) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(received.is_empty());
    assert!(
        after >= limits.head_timeout - Duration::from_millis(50),
        "{after:?}"
    );
    assert!(
        after < limits.idle_timeout,
        "the head timeout applied, not the idle one: {after:?}"
    );
}

#[tokio::test]
async fn a_client_that_completes_tls_then_sends_nothing_is_dropped_after_the_head_timeout() {
    let limits = Limits {
        tls_handshake_timeout: Duration::from_secs(5),
        ..quick_limits()
    };
    let server = TestServer::start(limits).await;
    let mut stream = tls_connect(&server, &rustls::version::TLS13).await.unwrap();
    let (_, after) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(after < limits.idle_timeout, "{after:?}");
}

#[tokio::test]
async fn a_client_that_never_starts_the_tls_handshake_is_dropped() {
    let limits = Limits {
        head_timeout: Duration::from_secs(5),
        ..quick_limits()
    };
    let server = TestServer::start(limits).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let (received, after) = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    assert!(received.is_empty());
    assert!(
        after >= limits.tls_handshake_timeout - Duration::from_millis(50),
        "{after:?}"
    );
}

#[tokio::test]
async fn a_trickled_head_is_cut_off_at_the_head_timeout() {
    let limits = quick_limits();
    let server = TestServer::start_plain(limits).await;
    let stream = TcpStream::connect(server.address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let head = b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for byte in head {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let (received, after) = read_until_closed(&mut reader, Duration::from_secs(5)).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(
        after < limits.idle_timeout,
        "bytes kept arriving, yet the head timed out: {after:?}"
    );
    trickle.abort();
}

#[tokio::test]
async fn an_idle_connection_outlives_the_head_timeout_then_closes_at_the_idle_timeout() {
    let limits = quick_limits();
    let server = TestServer::start(limits).await;
    let mut connection = server.client().connect().await.unwrap();
    let first = connection.send(RequestSpec::get("/peer")).await.unwrap();

    tokio::time::sleep(limits.head_timeout * 2).await;
    let second = connection.send(RequestSpec::get("/peer")).await.unwrap();
    assert_eq!(second.text(), first.text(), "still the same connection");

    tokio::time::sleep(limits.idle_timeout + Duration::from_millis(500)).await;
    assert!(connection.send(RequestSpec::get("/peer")).await.is_err());
}

#[tokio::test]
async fn an_oversized_header_is_refused_and_the_server_keeps_serving() {
    let server = TestServer::start(Limits::default()).await;
    let client = server.client();
    let request = RequestSpec::get("/peer").header("X-Big", "a".repeat(64 * 1024));
    match client.send(request).await {
        Ok(response) => assert_eq!(response.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Err(error) => println!("connection closed instead of a 431: {error}"),
    }
    let response = client.send(RequestSpec::get("/peer")).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn a_malformed_request_gets_400_and_the_server_keeps_serving() {
    let server = TestServer::start_plain(Limits::default()).await;
    for garbage in [
        &b"NOT HTTP AT ALL\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"\x16\x03\x01\x00\xff",
    ] {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let (received, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        let received = String::from_utf8_lossy(&received);
        assert!(
            received.is_empty() || received.starts_with("HTTP/1.1 400"),
            "{received}"
        );
    }
    let response = server
        .client()
        .send(RequestSpec::get("/peer"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let server = TestServer::start(Limits::default()).await;
    let mut connection = server.client().connect().await.unwrap();
    let small = RequestSpec::new(Method::POST, "/upload").body(vec![b'x'; BODY_LIMIT]);
    let response = connection.send(small).await.unwrap();
    assert_eq!(
        (response.status, response.text().as_ref()),
        (StatusCode::OK, "1024")
    );

    let large = RequestSpec::new(Method::POST, "/upload").body(vec![b'x'; BODY_LIMIT + 1]);
    let response = server.client().send(large).await.unwrap();
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    let server = TestServer::start_plain(Limits::default()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("200\r\n{}\r\n", "x".repeat(0x200));
    let mut response = Vec::new();
    for _ in 0..4 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let client = server.client();
    let first = client.connect().await.unwrap();
    let _second = client.connect().await.unwrap();
    assert!(
        client.connect().await.is_err(),
        "a third connection is refused"
    );

    drop(first);
    let mut reconnected = None;
    for _ in 0..50 {
        if let Ok(connection) = client.connect().await {
            reconnected = Some(connection);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut connection = reconnected.expect("a freed place is available again");
    let response = connection.send(RequestSpec::get("/peer")).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn a_connection_serves_a_bounded_number_of_requests() {
    let limits = Limits {
        max_requests_per_connection: 3,
        ..quick_limits()
    };
    let server = TestServer::start_plain(limits).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let pipelined = "GET /peer HTTP/1.1\r\nHost: x\r\n\r\n".repeat(10);
    stream.write_all(pipelined.as_bytes()).await.unwrap();
    let (received, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert_eq!(text.matches("http/1.1 200 ok").count(), 3, "{text}");
    assert_eq!(
        text.matches("connection: close").count(),
        1,
        "the third says so"
    );
}
