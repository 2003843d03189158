//! One test over a real socket: bind port 0, serve, request, shut down gracefully.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_server_answers_on_a_socket_and_stops_on_signal() {
    let test = TestApp::demo().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gridsafe::app::serve(listener, test.app.clone(), async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /api/v1/locate?lon=1&lat=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("application/json"), "{response}");
    assert!(response.contains("\"field\":\"point\""), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
