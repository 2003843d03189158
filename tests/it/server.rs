//! One test over a real socket: bind port 0, serve, request, shut down gracefully.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

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

/// The same application with other request limits.
fn limited(test: &TestApp, limits: gridsafe::app::Limits) -> axum::Router {
    gridsafe::http::router(test.app.clone().with_limits(limits))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_is_answered_503_in_the_error_shape() {
    let test = TestApp::demo().await;
    let limits = gridsafe::app::Limits { request_timeout: std::time::Duration::from_millis(200), max_in_flight: 8 };
    let router = limited(&test, limits);
    // The writer is held for 1.5 s: a login, which writes its session, waits behind it.
    let store = test.app.store.clone();
    let held = tokio::spawn(async move {
        store
            .write(|_| {
                std::thread::sleep(std::time::Duration::from_millis(1500));
                Ok(())
            })
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let credentials = serde_json::json!({"username": "admin", "password": gridsafe::demo::DEMO_PASSWORD});
    let request = axum::http::Request::post("/api/v1/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(credentials.to_string()))
        .unwrap();
    let started = std::time::Instant::now();
    let response = router.oneshot(request).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_millis(1200), "answered only after {:?}", started.elapsed());
    assert_eq!(response.status(), 503);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("超时"), "{body}");
    held.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_beyond_the_in_flight_limit_are_shed_with_503_and_the_rest_served() {
    let test = TestApp::demo().await;
    let token = test.login("admin").await;
    let router =
        limited(&test, gridsafe::app::Limits { request_timeout: std::time::Duration::from_secs(30), max_in_flight: 1 });
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let (router, token) = (router.clone(), token.clone());
            tokio::spawn(async move {
                let request = axum::http::Request::get("/api/v1/cases?limit=100")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                (status, serde_json::from_slice::<serde_json::Value>(&body).unwrap())
            })
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for call in calls {
        let (status, body) = call.await.unwrap();
        if status == 503 {
            assert_eq!(body["error"]["code"], "busy", "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("繁忙"), "{body}");
        } else {
            assert_eq!(status, 200, "{body}");
        }
        *counts.entry(status).or_insert(0) += 1;
    }
    assert!(counts.get(&503).is_some_and(|n| *n > 0) && counts.get(&200).is_some_and(|n| *n > 0), "{counts:?}");
}

#[tokio::test]
async fn answers_are_not_cached_unless_the_route_says_so() {
    let test = TestApp::demo().await;
    let token = test.login("admin").await;
    let api = test.get_as(&token, "/api/v1/cases").await;
    assert_eq!(api.headers["cache-control"], "no-store");
    assert_eq!(api.headers["x-content-type-options"], "nosniff");
    let error = test.get("/api/v1/cases/nope").await;
    assert_eq!(error.headers["cache-control"], "no-store");
    let asset = test.get("/assets/app.css").await;
    assert!(asset.headers["cache-control"].to_str().unwrap().contains("max-age"), "{:?}", asset.headers);
}

#[tokio::test]
async fn metrics_are_for_the_admin_or_the_token_and_count_requests_logins_and_the_writer() {
    let test = TestApp::demo().await;
    test.get("/metrics").await.expect_error(401, "unauthenticated");
    let inspector = test.login("tf0101.env").await;
    test.get_as(&inspector, "/metrics").await.expect_error(403, "forbidden");
    let wrong = serde_json::json!({"username": "admin", "password": "not-the-password"});
    test.json_as("POST", None, "/api/v1/login", &wrong).await.expect_error(401, "unauthenticated");
    let admin = test.login("admin").await;
    test.get_as(&admin, "/api/v1/cases/YH-2099-000001").await.expect(404);
    test.get("/no/such/path/42").await.expect(404);
    let page = test.get_as(&admin, "/metrics").await;
    page.expect(200);
    assert!(page.content_type.starts_with("application/openmetrics-text"), "{}", page.content_type);
    let body = &page.text;
    for line in [
        "gridsafe_http_requests_total{method=\"GET\",route=\"/api/v1/cases/{number}\",status=\"404\"} 1",
        "gridsafe_http_requests_total{method=\"GET\",route=\"(unmatched)\",status=\"404\"} 1",
        "gridsafe_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"401\"} 1",
        "gridsafe_logins_refused_total 1",
        "gridsafe_audit_ok 1",
        "# TYPE gridsafe_http_request_duration_seconds histogram",
        "# TYPE gridsafe_writer_batch_size histogram",
        "# TYPE gridsafe_checkpoint_duration_seconds histogram",
        "# TYPE gridsafe_writer_queue_depth gauge",
        "# TYPE gridsafe_wal_bytes gauge",
        "# TYPE gridsafe_http_requests counter",
    ] {
        assert!(body.contains(line), "no {line:?} in\n{body}");
    }
    assert!(!body.contains("/no/such/path"), "an unmatched path made a series");
    // Logins wrote sessions: the writer committed batches.
    let batches = body.lines().find(|l| l.starts_with("gridsafe_writer_batch_size_count")).unwrap();
    assert!(batches.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 1, "{batches}");

    // A Prometheus server reads it with the configured token instead of a session.
    let app = test.app.clone().with_metrics_token(Some("scrape-secret-0123".into()));
    let router = gridsafe::http::router(app);
    let ask = |token: &str| {
        axum::http::Request::get("/metrics")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    assert_eq!(router.clone().oneshot(ask("scrape-secret-0123")).await.unwrap().status(), 200);
    assert_eq!(router.oneshot(ask("scrape-secret-9999")).await.unwrap().status(), 401);
}
