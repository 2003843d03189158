//! The closed loop through HTTP as the real roles: filing with photos, the
//! state machine's answers (200, 403, 404, 409, 412), idempotent retries,
//! gap-free numbers under concurrency, and the audit chain.

use std::io::Cursor;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

/// A small PNG, different per `seed` so each photo has its own id.
pub fn png(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([seed, (x * 4) as u8, (y * 5) as u8]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// Uploads bytes as multipart field `file`.
pub async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> TestResponse {
    upload_keyed(app, token, bytes, "gridsafe-test-boundary", None).await
}

/// Uploads bytes as multipart field `file` with this boundary and, if given, an `Idempotency-Key`.
pub async fn upload_keyed(app: &TestApp, token: &str, bytes: &[u8], boundary: &str, key: Option<&str>) -> TestResponse {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = Request::post("/api/v1/media")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

/// Uploads a fresh photo and returns its id.
pub async fn photo(app: &TestApp, token: &str, seed: u8) -> String {
    upload(app, token, &png(seed)).await.expect(201)["id"].as_str().unwrap().to_owned()
}

fn inside(app: &TestApp, grid: &str) -> (f64, f64) {
    let p = geo::InteriorPoint::interior_point(&app.app.maps().grid(grid).unwrap().shape).unwrap();
    (p.x(), p.y())
}

/// A general safety hazard at 世邦机械 (enterprise 6, in TF0101).
pub fn hazard(app: &TestApp, photos: &[String]) -> Value {
    let (lon, lat) = inside(app, "TF0101");
    json!({"kind": "safety", "category": "S-F10", "grade": "general", "title": "配电箱无防护罩",
           "description": "车间东侧配电箱门缺失，带电部位外露", "lon": lon, "lat": lat,
           "enterprise_id": 6, "photos": photos})
}

/// Files `body` as `token` and returns the new case's number.
pub async fn file(app: &TestApp, token: &str, body: &Value) -> String {
    app.json_as("POST", Some(token), "/api/v1/cases", body).await.expect(201)["number"].as_str().unwrap().to_owned()
}

/// Files the standard hazard with a fresh photo and registers it; returns its number.
pub async fn registered(app: &TestApp, admin: &str, seed: u8) -> String {
    let body = hazard(app, &[photo(app, admin, seed).await]);
    let number = file(app, admin, &body).await;
    act(app, admin, &number, None, json!({"action": "register"})).await.expect(200);
    number
}

pub async fn act(app: &TestApp, token: &str, number: &str, version: Option<i64>, body: Value) -> TestResponse {
    let mut request = Request::post(format!("/api/v1/cases/{number}/actions"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(v) = version {
        request = request.header("if-match", format!("\"{v}\""));
    }
    app.send(request.body(Body::from(body.to_string())).unwrap()).await
}

pub fn count(app: &TestApp, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_general_hazard_runs_the_whole_loop_as_the_real_roles() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let admin = app.login("admin").await;
    let before = photo(&app, &inspector, 1).await;
    let filed = app.json_as("POST", Some(&inspector), "/api/v1/cases", &hazard(&app, &[before])).await.expect(201);
    let number = filed["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("TF-20") && number.ends_with("-000001"), "{number}");
    assert_eq!(filed["status"], "reported");
    assert_eq!(filed["grid_code"], "TF0101");

    let registered = act(&app, &admin, &number, Some(1), json!({"action": "register"})).await.expect(200);
    assert_eq!(registered["status"], "registered");
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械 设备科", "measures": "加装防护罩并上锁",
                          "deadline": "2099-12-31"});
    let dispatched = act(&app, &admin, &number, Some(2), dispatch).await.expect(200);
    assert_eq!(dispatched["status"], "dispatched");
    let after = photo(&app, &inspector, 2).await;
    let fix = json!({"action": "submit", "photos": [after], "description": "已加装防护罩"});
    act(&app, &inspector, &number, Some(3), fix.clone()).await.expect(200);

    // A town expert may read it but does not sign general hazards at an enterprise with its own expert.
    let town_expert = app.login("expert1").await;
    act(&app, &town_expert, &number, None, json!({"action": "approve", "comment": "同意"}))
        .await
        .expect_error(403, "forbidden");
    // Another enterprise's expert cannot even see it.
    let other_expert = app.login("eexpert01").await;
    act(&app, &other_expert, &number, None, json!({"action": "approve", "comment": "同意"}))
        .await
        .expect_error(404, "not_found");
    // The reporter cannot approve.
    act(&app, &inspector, &number, None, json!({"action": "approve", "comment": "自验"}))
        .await
        .expect_error(403, "forbidden");

    // 世邦机械 (enterprise 6) hired eexpert06.
    let expert = app.login("eexpert06").await;
    let returned =
        act(&app, &expert, &number, Some(4), json!({"action": "return", "reason": "防护罩未固定"})).await.expect(200);
    assert_eq!(returned["status"], "dispatched");
    assert_eq!(returned["rework_count"], 1);
    let fix = json!({"action": "submit", "photos": [photo(&app, &inspector, 3).await], "description": "已用螺栓固定"});
    act(&app, &inspector, &number, Some(5), fix).await.expect(200);
    let closed = act(&app, &expert, &number, Some(6), json!({"action": "approve", "comment": "整改到位，同意销号"}))
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["version"], 7);
    let actions: Vec<&str> =
        closed["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "register", "dispatch", "submit", "return", "submit", "approve"]);
    assert_eq!(closed["photos"].as_array().unwrap().len(), 3);

    // Closed: nothing but reopen (admin) is allowed, and the refusal says so.
    let refused = act(&app, &admin, &number, None, json!({"action": "submit", "photos": [], "description": "x"})).await;
    let error = refused.expect_error(409, "refused");
    assert_eq!(error["details"]["allowed"], json!(["reopen"]));
    let reopened = act(&app, &admin, &number, Some(7), json!({"action": "reopen", "reason": "复查发现防护罩被拆除"}))
        .await
        .expect(200);
    assert_eq!(reopened["status"], "dispatched");
    assert!(reopened["closed_at"].is_null());
}

#[tokio::test]
async fn a_major_hazard_needs_a_plan_a_transfer_and_a_town_expert() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let mut body = hazard(&app, &[photo(&app, &admin, 9).await]);
    body["grade"] = json!("major");
    app.json_as("POST", Some(&admin), "/api/v1/cases", &body).await.expect_error(400, "invalid");
    body["criterion"] = json!("《工贸企业重大事故隐患判定标准》第四条第（一）项");
    let number = file(&app, &admin, &body).await;
    act(&app, &admin, &number, None, json!({"action": "register"})).await.expect(200);
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "停产整改", "deadline": "2099-06-30"});
    act(&app, &admin, &number, None, dispatch.clone()).await.expect_error(409, "conflict");
    let mut planned = dispatch;
    planned["plan"] = json!({"responsible_person": "张厂长", "measures": "更换配电系统", "funds": "20 万元",
                             "deadline": "2099-06-30", "contingency": "停电隔离，专人值守"});
    let dispatched = act(&app, &admin, &number, None, planned).await.expect(200);
    assert_eq!(dispatched["plan"]["funds"], "20 万元");
    let fix = json!({"action": "submit", "photos": [photo(&app, &admin, 10).await], "description": "已更换"});
    act(&app, &admin, &number, None, fix).await.expect(200);
    let town_expert = app.login("expert2").await;
    // The enterprise's own expert does not sign a major hazard.
    let hired = app.login("eexpert06").await;
    act(&app, &hired, &number, None, json!({"action": "approve", "comment": "同意"}))
        .await
        .expect_error(403, "forbidden");
    let blocked = act(&app, &town_expert, &number, None, json!({"action": "approve", "comment": "同意"})).await;
    assert!(blocked.expect_error(409, "conflict")["message_en"].as_str().unwrap().contains("transferred"));
    act(&app, &admin, &number, None, json!({"action": "transfer", "department": "青州市应急管理局"})).await.expect(200);
    let closed =
        act(&app, &town_expert, &number, None, json!({"action": "approve", "comment": "复查合格"})).await.expect(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["transferred_to"], "青州市应急管理局");
}

#[tokio::test]
async fn an_extension_is_granted_before_the_deadline_only() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 20).await;
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-01-31"});
    act(&app, &admin, &number, None, dispatch).await.expect(200);
    let extended = act(
        &app,
        &admin,
        &number,
        None,
        json!({"action": "extend", "deadline": "2099-03-31", "reason": "设备到货延迟"}),
    )
    .await
    .expect(200);
    assert_eq!(extended["deadline"], "2099-03-31");
    assert_eq!(extended["extension_count"], 1);
    // Once the deadline has passed, the case is overdue and can no longer be extended.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("UPDATE cases SET deadline = '2020-01-01' WHERE number = ?1", [&number]).unwrap();
    let late =
        act(&app, &admin, &number, None, json!({"action": "extend", "deadline": "2099-05-31", "reason": "再延"})).await;
    late.expect_error(409, "conflict");
    let list = app.get_as(&admin, "/api/v1/cases?overdue=true").await.expect(200);
    assert_eq!(list["items"][0]["number"], number.as_str());
    assert_eq!(list["items"][0]["overdue"], true);
}

#[tokio::test]
async fn a_retried_filing_with_the_same_key_files_once() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let body = hazard(&app, &[photo(&app, &inspector, 30).await]);
    let send = |key: &str, body: &Value| {
        let request = Request::post("/api/v1/cases")
            .header("authorization", format!("Bearer {inspector}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        app.send(request)
    };
    let first = send("phone-7f3a", &body).await.expect(201);
    let again = send("phone-7f3a", &body).await.expect(201);
    assert_eq!(first["number"], again["number"]);
    assert_eq!(count(&app, "cases"), 1);
    let mut other = body.clone();
    other["title"] = json!("另一处隐患");
    send("phone-7f3a", &other).await.expect_error(409, "conflict");
    assert_eq!(count(&app, "cases"), 1);
}

#[tokio::test]
async fn a_stale_if_match_gets_412_and_changes_nothing() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let body = hazard(&app, &[photo(&app, &admin, 40).await]);
    let number = file(&app, &admin, &body).await;
    act(&app, &admin, &number, Some(1), json!({"action": "register"})).await.expect(200);
    act(&app, &admin, &number, Some(1), json!({"action": "supervise"})).await.expect_error(412, "stale");
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["supervised"], false);
    assert_eq!(case["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_filings_get_distinct_gap_free_numbers() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let body = hazard(&app, &[photo(&app, &admin, 50).await]).to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (router, body, token) = (app.router.clone(), body.clone(), admin.clone());
        tasks.spawn(async move {
            let request = Request::post("/api/v1/cases")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            let response = router.oneshot(request).await.unwrap();
            assert_eq!(response.status(), 201);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let json: Value = serde_json::from_slice(&bytes).unwrap();
            json["number"].as_str().unwrap().rsplit('-').next().unwrap().parse::<u32>().unwrap()
        });
    }
    let mut numbers = tasks.join_all().await;
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=200).collect::<Vec<u32>>());
    assert_eq!(count(&app, "audit_log"), 200);
}

#[tokio::test]
async fn bad_filings_name_the_problem_and_store_nothing() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let good = photo(&app, &inspector, 60).await;
    let (cases_before, audit_before) = (count(&app, "cases"), count(&app, "audit_log"));
    let base = hazard(&app, std::slice::from_ref(&good));
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    let cases = [
        (with("photos", json!([])), 400, "photos"),
        (with("photos", json!(["0000"])), 400, "photos"),
        (with("lon", json!(118.3)), 400, "point"),
        (with("category", json!("S-X99")), 400, "category"),
        (with("category", json!("E-W01")), 400, "category"),
        (with("description", json!("很".repeat(4001))), 400, "description"),
        (with("kind", json!("fire")), 400, "kind"),
        (with("grade", json!("huge")), 400, "grade"),
        (with("colour", json!("red")), 400, "colour"),
    ];
    for (body, status, field) in cases {
        let error = app.json_as("POST", Some(&inspector), "/api/v1/cases", &body).await.expect_error(status, "invalid");
        assert_eq!(error["details"]["field"], field, "{error}");
    }
    // An enterprise outside the inspector's grids.
    let error = app
        .json_as("POST", Some(&inspector), "/api/v1/cases", &with("enterprise_id", json!(1)))
        .await
        .expect_error(403, "forbidden");
    assert!(error["message_en"].as_str().unwrap().contains("enterprise 1"));
    // A point in another village's grid.
    let (lon, lat) = inside(&app, "TF0201");
    let elsewhere = with("lon", json!(lon));
    let mut elsewhere = elsewhere;
    elsewhere["lat"] = json!(lat);
    elsewhere["enterprise_id"] = Value::Null;
    app.json_as("POST", Some(&inspector), "/api/v1/cases", &elsewhere).await.expect_error(403, "forbidden");
    assert_eq!((count(&app, "cases"), count(&app, "audit_log")), (cases_before, audit_before));
    assert_eq!(count(&app, "case_counters"), 0, "a refused filing must not use up a number");
}

#[tokio::test]
async fn photos_are_decoded_deduplicated_and_bad_files_refused() {
    let app = TestApp::demo().await;
    let token = app.login("tf0101.safety").await;
    let a = photo(&app, &token, 70).await;
    let b = photo(&app, &token, 70).await;
    assert_eq!(a, b, "the same photo twice is stored once");
    assert_eq!(count(&app, "media"), 1);
    upload(&app, &token, b"GIF89a not really").await.expect_error(400, "invalid");
    let whole = png(71);
    upload(&app, &token, &whole[..whole.len() / 2]).await.expect_error(400, "invalid");
    upload(&app, &token, &vec![0u8; 11 * 1024 * 1024]).await.expect_error(413, "too_large");
    assert_eq!(count(&app, "media"), 1);
    let image = app.get_as(&token, &format!("/api/v1/media/{a}")).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.content_type, "image/jpeg");
    app.get_as(&token, "/api/v1/media/nope").await.expect_error(404, "not_found");
}

#[test]
fn audit_verify_detects_a_row_edited_with_plain_sql() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, db) = runtime.block_on(async {
        let app = TestApp::demo().await;
        let admin = app.login("admin").await;
        let number = registered(&app, &admin, 80).await;
        act(&app, &admin, &number, None, json!({"action": "supervise"})).await.expect(200);
        let db = app.db_path();
        (app, db)
    });
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
            .args(["audit", "verify", "--db"])
            .arg(&db)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    assert!(verify().status.success());
    let conn = rusqlite::Connection::open(&db).unwrap();
    // The table refuses edits outright; a determined editor must drop the guard first.
    assert!(conn.execute("UPDATE audit_log SET comment = 'x' WHERE seq = 2", []).is_err());
    conn.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET comment = '篡改' WHERE seq = 2;")
        .unwrap();
    let broken = verify();
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("broken at entry 2"), "{stderr}");
    drop(app);
}

#[test]
fn audit_verify_detects_a_deleted_last_entry() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, db) = runtime.block_on(async {
        let app = TestApp::demo().await;
        let admin = app.login("admin").await;
        registered(&app, &admin, 81).await;
        let db = app.db_path();
        (app, db)
    });
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("entries were removed"));
    drop(app);
}

#[tokio::test]
async fn the_demo_cases_cover_every_state_with_overdue_and_major_ones() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let now = crate::helpers::NOW;
    let filed = app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, now, 300)).await.unwrap();
    assert_eq!(filed, 300);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut stmt = conn.prepare("SELECT status, count(*) FROM cases GROUP BY status ORDER BY status").unwrap();
    let by_status: Vec<(String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let names: Vec<&str> = by_status.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["cancelled", "closed", "dispatched", "registered", "reported", "submitted"], "{by_status:?}");
    let majors: i64 = conn
        .query_row("SELECT count(*) FROM cases WHERE grade = 'major' AND plan IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    assert!(majors >= 5, "{majors}");
    let reworked: i64 = conn.query_row("SELECT count(*) FROM cases WHERE rework_count > 0", [], |r| r.get(0)).unwrap();
    assert!(reworked >= 10, "{reworked}");
    let admin = app.login("admin").await;
    let overdue = app.get_as(&admin, "/api/v1/cases?overdue=true&limit=500").await.expect(200);
    assert!(overdue["items"].as_array().unwrap().len() >= 20);
    let first = app.get_as(&admin, "/api/v1/cases?limit=5").await.expect(200);
    assert_eq!(first["items"][0]["overdue"], true, "overdue cases come first");
    assert!(gridsafe::store::audit::verify(&conn).unwrap().is_ok());
    let stats =
        app.get_as(&admin, "/api/v1/stats?from=2026-01-01&to=2099-12-31&by=grid&level=community").await.expect(200);
    assert_eq!(stats["groups"].as_array().unwrap().len(), 9);
    assert!(stats["total"]["closure_rate"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn case_lists_page_by_keyset_and_leaders_see_overdue_cases_below_them() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let now = crate::helpers::NOW;
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, now, 300)).await.unwrap();
    let admin = app.login("admin").await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/cases?limit=40".to_owned();
    loop {
        let page = app.get_as(&admin, &uri).await.expect(200);
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => uri = format!("/api/v1/cases?limit=40&after={next}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (300, 300));

    let leader = app.login("tf01.leader").await;
    let below = app.get_as(&leader, "/api/v1/cases?overdue=true&scope=below").await.expect(200);
    let items = below["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|c| c["overdue"] == true && c["grid_code"].as_str().unwrap().starts_with("TF01")));
    let inspector = app.login("tf0101.safety").await;
    let mine = app.get_as(&inspector, "/api/v1/cases?limit=500").await.expect(200);
    let mine = mine["items"].as_array().unwrap();
    assert!(!mine.is_empty(), "the demo has cases in 八里");
    assert!(mine.iter().all(|c| c["grid_code"] == "TF0101"));
    for bad in
        ["status=open", "kind=fire", "grade=x", "scope=above", "after=zz", "grid=TF99", "from=2026-02-30", "colour=red"]
    {
        app.get_as(&admin, &format!("/api/v1/cases?{bad}")).await.expect_error(400, "invalid");
    }
    let by_person = app.get_as(&admin, "/api/v1/stats?from=2026-01-01&to=2026-12-31&by=person").await.expect(200);
    let groups = by_person["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    assert!(groups.iter().all(|g| g["name"].is_string()));
    app.get_as(&admin, "/api/v1/stats?from=2026-12-31&to=2026-01-01").await.expect_error(400, "invalid");
    app.get_as(&admin, "/api/v1/stats?from=2026-01-01&to=2026-12-31&by=mood").await.expect_error(400, "invalid");
}

#[tokio::test]
async fn the_town_office_edits_the_taxonomy_and_retired_categories_take_no_new_filings() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let new = json!({"code": "S-F13", "kind": "safety", "parent": "S-F", "name": "有限空间作业"});
    app.json_as("POST", Some(&admin), "/api/v1/categories", &new).await.expect(201);
    app.json_as("POST", Some(&admin), "/api/v1/categories", &new).await.expect_error(409, "conflict");
    let wrong_parent = json!({"code": "S-F14", "kind": "safety", "parent": "E-W", "name": "x"});
    let error =
        app.json_as("POST", Some(&admin), "/api/v1/categories", &wrong_parent).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "parent");
    let inspector = app.login("tf0101.safety").await;
    app.json_as("POST", Some(&inspector), "/api/v1/categories", &new).await.expect_error(403, "forbidden");
    let taxonomy = app.get("/api/v1/categories").await.expect(200);
    let site = taxonomy.as_array().unwrap().iter().find(|t| t["code"] == "S-F").unwrap();
    assert!(site["children"].as_array().unwrap().iter().any(|c| c["name"] == "有限空间作业"));

    let mut filing = hazard(&app, &[photo(&app, &inspector, 90).await]);
    filing["category"] = json!("S-F13");
    app.json_as("POST", Some(&inspector), "/api/v1/cases", &filing).await.expect(201);
    let retire = app.json_as("PATCH", Some(&admin), "/api/v1/categories/S-F13", &json!({"active": false})).await;
    assert_eq!(retire.status, 204);
    let error = app.json_as("POST", Some(&inspector), "/api/v1/cases", &filing).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "category");
    app.json_as("PATCH", Some(&admin), "/api/v1/categories/NOPE", &json!({"name": "x"}))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn a_photo_is_shown_only_to_those_who_may_see_its_case() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let id = photo(&app, &inspector, 95).await;
    // Uploaded but not yet filed: only the uploader (and the office) may see it.
    let other = app.login("tf0201.safety").await;
    app.get_as(&other, &format!("/api/v1/media/{id}")).await.expect_error(404, "not_found");
    assert_eq!(app.get_as(&inspector, &format!("/api/v1/media/{id}?thumbnail=true")).await.status, 200);
    file(&app, &inspector, &hazard(&app, std::slice::from_ref(&id))).await;
    // Once filed, whoever may read the case may see it; an inspector of another village still may not.
    let leader = app.login("tf01.leader").await;
    assert_eq!(app.get_as(&leader, &format!("/api/v1/media/{id}")).await.status, 200);
    app.get_as(&other, &format!("/api/v1/media/{id}")).await.expect_error(404, "not_found");
    let admin = app.login("admin").await;
    assert_eq!(app.get_as(&admin, &format!("/api/v1/media/{id}")).await.status, 200);
}
