//! The client against the real server: verbatim paths, arbitrary methods, reused connections,
//! a chosen source address.

use http::{Method, StatusCode};
use sipprov::http::RequestSpec;

use crate::support::TestServer;

#[tokio::test]
async fn paths_reach_the_handler_verbatim() {
    let server = TestServer::start(Default::default()).await;
    let mut connection = server.client().connect().await.unwrap();
    for path in [
        "/../../etc/passwd",
        "/%2e%2e%2f",
        "/a/./b//c?mac=%2F..%2F&x",
        "/y000000000000.cfg",
    ] {
        let response = connection.send(RequestSpec::get(path)).await.unwrap();
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.text(), format!("GET {path}"));
    }
}

#[tokio::test]
async fn unknown_methods_reach_the_handler() {
    let server = TestServer::start(Default::default()).await;
    let brew = Method::from_bytes(b"BREW").unwrap();
    let response = server
        .client()
        .send(RequestSpec::new(brew, "/pot"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.text(), "BREW /pot");
}

#[tokio::test]
async fn one_connection_carries_several_requests() {
    let server = TestServer::start(Default::default()).await;
    let client = server.client();
    let mut connection = client.connect().await.unwrap();
    let mut peers = Vec::new();
    for _ in 0..3 {
        let response = connection.send(RequestSpec::get("/peer")).await.unwrap();
        peers.push(response.text().into_owned());
    }
    assert!(peers.iter().all(|peer| *peer == peers[0]), "{peers:?}");

    let fresh = client.send(RequestSpec::get("/peer")).await.unwrap();
    assert_ne!(
        fresh.text(),
        peers[0],
        "Client::send opens a new connection"
    );
}

#[tokio::test]
async fn headers_are_sent_as_given() {
    let server = TestServer::start(Default::default()).await;
    let mut connection = server.client().connect().await.unwrap();
    let user_agent = "Yealink SIP-T46U 108.86.0.20 00:15:65:aa:bb:cc";
    let request = RequestSpec::get("/header/user-agent").header("User-Agent", user_agent);
    assert_eq!(connection.send(request).await.unwrap().text(), user_agent);

    let request = RequestSpec::get("/header/host");
    let default_host = server.address.to_string();
    assert_eq!(connection.send(request).await.unwrap().text(), default_host);
    let request = RequestSpec::get("/header/host").header("host", "prov.example.com");
    assert_eq!(
        connection.send(request).await.unwrap().text(),
        "prov.example.com"
    );
}

#[tokio::test]
async fn connections_come_from_the_chosen_local_address() {
    let server = TestServer::start(Default::default()).await;
    for local in ["127.0.0.2", "127.0.0.50"] {
        let client = server.client().with_local_address(local.parse().unwrap());
        let response = client.send(RequestSpec::get("/peer")).await.unwrap();
        let peer = response.text().into_owned();
        assert!(
            peer.starts_with(&format!("tls=true address={local}:")),
            "{peer}"
        );
    }
}
