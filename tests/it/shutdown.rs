//! Graceful shutdown: stop accepting, finish what is in flight, within a bound.

use std::time::Duration;

use http::StatusCode;
use sipprov::http::{Limits, RequestSpec};
use tokio::net::TcpStream;

use crate::support::{TestServer, quick_limits};

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_then_stops_accepting() {
    let server = TestServer::start(Limits::default()).await;
    let address = server.address;
    let mut connection = server.client().connect().await.unwrap();
    let in_flight =
        tokio::spawn(async move { connection.send(RequestSpec::get("/slow/500")).await });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let took = server.stop().await;
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(
        (response.status, response.text().as_ref()),
        (StatusCode::OK, "slept")
    );
    assert!(
        took >= Duration::from_millis(250),
        "serve waited for the request: {took:?}"
    );
    assert!(
        TcpStream::connect(address).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_connections() {
    let server = TestServer::start(Limits {
        shutdown_grace: Duration::from_secs(5),
        ..Limits::default()
    })
    .await;
    let mut idle = server.client().connect().await.unwrap();
    idle.send(RequestSpec::get("/peer")).await.unwrap();
    let took = server.stop().await;
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn shutdown_drops_requests_that_outlast_the_grace() {
    let limits = Limits {
        shutdown_grace: Duration::from_millis(300),
        ..quick_limits()
    };
    let server = TestServer::start(limits).await;
    let mut connection = server.client().connect().await.unwrap();
    let in_flight =
        tokio::spawn(async move { connection.send(RequestSpec::get("/slow/10000")).await });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let took = server.stop().await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        in_flight.await.unwrap().is_err(),
        "the dropped request fails"
    );
}
