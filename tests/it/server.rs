//! One test over a real socket: bind port 0, serve, request, shut down gracefully.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_server_answers_on_a_socket_and_stops_on_signal() {
    let test = TestApp::demo().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gridsafe::http::serve(listener, test.app.clone(), async {
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

#[tokio::test]
async fn the_login_lock_says_the_same_wait_in_retry_after_and_in_the_message() {
    let app = TestApp::demo().await;
    let wrong = serde_json::json!({"username": "expert3", "password": "wrong-password"});
    for _ in 0..gridsafe::service::login::MAX_FAILURES_PER_USER {
        app.json_as("POST", None, "/api/v1/login", &wrong).await.expect_error(401, "unauthenticated");
    }
    let response = app.json_as("POST", None, "/api/v1/login", &wrong).await;
    let error = response.expect_error(429, "rate_limited");
    let retry: u64 = response.headers["retry-after"].to_str().unwrap().parse().unwrap();
    // Locked just now: close to the whole window (15 minutes), not a minute.
    let window = gridsafe::service::login::WINDOW_S.unsigned_abs();
    assert!(retry > window - 60 && retry <= window, "Retry-After {retry}");
    assert_eq!(error["details"]["retry_after_s"], retry);
    let minutes = retry.div_ceil(60);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&format!("{minutes} 分钟")), "{message} vs Retry-After {retry}");
}

#[tokio::test]
async fn a_document_asked_for_with_its_own_etag_answers_304_without_the_bytes() {
    use axum::body::Body;
    use axum::http::Request;

    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = crate::cases::registered(&app, &admin, 41).await;
    let dispatch = serde_json::json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-02-01"});
    let case = crate::cases::act(&app, &admin, &number, None, dispatch).await.expect(200);
    let url = case["documents"][0]["url"].as_str().unwrap().to_owned();
    let first = app.get_as(&admin, &url).await;
    assert_eq!(first.status, 200);
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    let conditional = |token: &str, tag: &str| {
        let request = Request::get(&url)
            .header("authorization", format!("Bearer {token}"))
            .header("if-none-match", tag)
            .body(Body::empty())
            .unwrap();
        app.send(request)
    };
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_owned()] {
        let response = conditional(&admin, &tag).await;
        assert_eq!(response.status, 304, "If-None-Match: {tag}; body: {}", response.text);
        assert!(response.text.is_empty(), "a 304 carries no body");
        assert_eq!(response.headers["etag"].to_str().unwrap(), etag);
    }
    let changed = conditional(&admin, "\"0000\"").await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.text.len(), first.text.len());
    // Out of scope stays 404 even with the right ETag: a 304 would confirm the document exists.
    let other = app.login("tf0102.safety").await;
    conditional(&other, &etag).await.expect_error(404, "not_found");
}

#[tokio::test]
async fn a_wrong_query_parameter_is_worded_like_a_body_error() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let error = app.get_as(&admin, "/api/v1/cases?cursor=1.5").await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "cursor");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("未知的查询参数 cursor；可用的参数："), "{message}");
    assert!(message.contains("after"), "{message}");
    assert!(error["message_en"].as_str().unwrap().contains("accepted:"), "{error}");
    assert!(!error.to_string().contains("deserialize"), "{error}");

    let error = app.get_as(&admin, "/api/v1/cases?limit=many").await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "limit");
    assert_eq!(error["message"], "查询参数 limit 无效：须为数字");
}
