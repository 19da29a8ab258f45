//! TLS on the listener: the versions it speaks, and what happens to plain HTTP.

use http::StatusCode;
use sipprov::http::{Client, ClientError, Limits, RequestSpec, Trust};
use tokio::io::AsyncWriteExt;

use crate::support::{TestServer, read_until_closed, tls_connect};

#[tokio::test]
async fn tls_1_2_and_1_3_handshakes_both_succeed() {
    let server = TestServer::start(Limits::default()).await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut stream = tls_connect(&server, version).await.unwrap();
        assert_eq!(stream.get_ref().1.protocol_version(), Some(version.version));
        assert_eq!(
            stream.get_ref().1.alpn_protocol(),
            None,
            "the client offered no ALPN"
        );
        stream
            .write_all(b"GET /peer HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (response, _) = read_until_closed(&mut stream, std::time::Duration::from_secs(5)).await;
        let response = String::from_utf8_lossy(&response);
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            response.contains("\r\n\r\ntls=true address=127.0.0.1:"),
            "{response}"
        );
    }
}

#[tokio::test]
async fn the_client_negotiates_http_1_1_over_tls() {
    let server = TestServer::start(Limits::default()).await;
    let response = server
        .client()
        .send(RequestSpec::get("/peer"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.text().starts_with("tls=true address=127.0.0.1:"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly_and_the_server_keeps_serving() {
    let server = TestServer::start(Limits::default()).await;
    let plain = Client::new(&format!("http://{}", server.address), Trust::none())
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(5));
    let result = plain.send(RequestSpec::get("/peer")).await;
    assert!(
        matches!(result, Err(ClientError::Exchange { .. })),
        "{result:?}"
    );

    let response = server
        .client()
        .send(RequestSpec::get("/peer"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let server = TestServer::start(Limits::default()).await;
    let other = TestServer::start(Limits::default()).await;
    let wrong_trust = Trust::pem(other.certificate_pem.as_deref().unwrap()).unwrap();
    let client = Client::new(&server.base_url(), wrong_trust).unwrap();
    let result = client.send(RequestSpec::get("/peer")).await;
    assert!(
        matches!(result, Err(ClientError::Handshake { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_insecure_listener_serves_plain_http() {
    let server = TestServer::start_plain(Limits::default()).await;
    let response = server
        .client()
        .send(RequestSpec::get("/peer"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.text().starts_with("tls=false"),
        "{}",
        response.text()
    );
}
