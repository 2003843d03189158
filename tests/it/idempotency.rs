//! SPEC §9: every POST that creates accepts an `Idempotency-Key`, so a retried
//! submission from a flaky phone is done once. For each creating route: the
//! same key and body twice give the same answer and one record; the same key
//! with another body is refused (409) and writes nothing.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::cases::{count, png, registered, upload_keyed};
use crate::helpers::{TestApp, TestResponse};

async fn post(app: &TestApp, token: &str, uri: &str, key: &str, body: &Value) -> TestResponse {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(request).await
}

/// Sends `first` twice and `other` once under one key; `table` counts what was created.
async fn honoured(app: &TestApp, token: &str, uri: &str, table: &str, first: &Value, other: &Value) {
    let before = count(app, table);
    let once = post(app, token, uri, &format!("key-{uri}"), first).await.expect(201);
    assert_eq!(count(app, table), before + 1, "{uri}: the first request creates one");
    let again = post(app, token, uri, &format!("key-{uri}"), first).await.expect(201);
    assert_eq!(again, once, "{uri}: a retry gets the first answer");
    assert_eq!(count(app, table), before + 1, "{uri}: a retry creates nothing");
    post(app, token, uri, &format!("key-{uri}"), other).await.expect_error(409, "conflict");
    assert_eq!(count(app, table), before + 1, "{uri}: a reused key with another body creates nothing");
    // The key belongs to its person: with another key the other body goes through.
    post(app, token, uri, &format!("other-key-{uri}"), other).await.expect(201);
    assert_eq!(count(app, table), before + 2, "{uri}");
}

#[tokio::test]
async fn every_creating_post_honours_the_same_idempotency_key() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let person = |u: &str| json!({"username": u, "name": "幂等", "password": "a-long-password"});
    honoured(&app, &admin, "/api/v1/people", "people", &person("idem.one"), &person("idem.two")).await;
    let assign = |role: &str| json!({"username": "idem.one", "role": role, "scope": ["TF"]});
    honoured(&app, &admin, "/api/v1/assignments", "assignments", &assign("town_expert"), &assign("admin")).await;
    let firm = |name: &str| json!({"name": name, "lon": 118.62, "lat": 36.73});
    honoured(&app, &admin, "/api/v1/enterprises", "enterprises", &firm("幂等一厂"), &firm("幂等二厂")).await;
    let category = |code: &str| json!({"code": code, "kind": "safety", "parent": "S-B", "name": "幂等类别"});
    honoured(&app, &admin, "/api/v1/categories", "categories", &category("S-B98"), &category("S-B99")).await;
    let notice = |number: &str| json!({"responsible": "世邦机械", "cases": [{"number": number, "measures": "加装防护罩", "deadline": "2026-12-15"}]});
    let (one, two) = (registered(&app, &admin, 201).await, registered(&app, &admin, 202).await);
    honoured(&app, &admin, "/api/v1/notices", "documents", &notice(&one), &notice(&two)).await;
    let code: String = rusqlite::Connection::open(app.db_path())
        .unwrap()
        .query_row("SELECT code FROM documents WHERE kind = 'notice' ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let uri = format!("/api/v1/documents/{code}/corrections");
    honoured(&app, &admin, &uri, "documents", &json!({"reason": "期限已延长"}), &json!({"reason": "地址有误"})).await;
}

#[tokio::test]
async fn a_retried_photo_upload_is_answered_once_and_a_reused_key_with_another_photo_is_refused() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let before = count(&app, "media");
    // The multipart boundary differs on each try, as a phone's would.
    let first = upload_keyed(&app, &inspector, &png(91), "b-one", Some("photo-1")).await.expect(201);
    let again = upload_keyed(&app, &inspector, &png(91), "b-two", Some("photo-1")).await.expect(201);
    assert_eq!(first, again);
    assert_eq!(count(&app, "media"), before + 1);
    upload_keyed(&app, &inspector, &png(92), "b-three", Some("photo-1")).await.expect_error(409, "conflict");
    assert_eq!(count(&app, "media"), before + 1, "nothing stored under a reused key");
}
