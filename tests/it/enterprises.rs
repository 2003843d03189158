//! Enterprises through HTTP: USCC rules, location → grid, edits with
//! If-Match, and the 小散乱污 governance lifecycle.

use serde_json::{Value, json};

use crate::helpers::TestApp;

fn inside(app: &TestApp, grid: &str) -> (f64, f64) {
    let p = geo::InteriorPoint::interior_point(&app.app.maps().grid(grid).unwrap().shape).unwrap();
    (p.x(), p.y())
}

fn enterprise(app: &TestApp, uscc: Option<&str>) -> Value {
    let (lon, lat) = inside(app, "TF0301");
    json!({"name": "测试企业", "uscc": uscc, "address": "东山工业园", "lon": lon, "lat": lat,
           "industry": "建材", "above_scale": true, "key": false})
}

#[tokio::test]
async fn a_valid_enterprise_is_placed_in_its_village_and_a_duplicate_code_refused() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let body = enterprise(&app, Some(" 91512081ma62k0260e "));
    let created = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &body).await.expect(201);
    assert_eq!(created["uscc"], "91512081MA62K0260E");
    assert_eq!(created["grid_code"], "TF0301");
    assert_eq!(created["governance"], "normal");
    let again = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &body).await;
    again.expect_error(409, "conflict");
}

#[tokio::test]
async fn bad_codes_and_places_are_refused_naming_the_field() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    for (uscc, what) in [("91370781MAAY4CL12", "18"), ("91370I81MAAY4CL120", "I"), ("91370781MAAY4CL121", "check")] {
        let error = app
            .json_as("POST", Some(&admin), "/api/v1/enterprises", &enterprise(&app, Some(uscc)))
            .await
            .expect_error(400, "invalid");
        assert_eq!(error["details"]["field"], "uscc");
        assert!(error["message_en"].as_str().unwrap().contains(what), "{error}");
    }
    let mut outside = enterprise(&app, None);
    outside["lon"] = json!(118.30);
    let error = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &outside).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "point");
    assert!(error["message"].as_str().unwrap().contains("不在谭坊镇范围内"));
    let mut unknown = enterprise(&app, None);
    unknown["colour"] = json!("red");
    let error = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &unknown).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "colour");
    let mut wrong_type = enterprise(&app, None);
    wrong_type["above_scale"] = json!("very");
    let error =
        app.json_as("POST", Some(&admin), "/api/v1/enterprises", &wrong_type).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "above_scale");
    let nothing = app.get("/api/v1/enterprises").await;
    nothing.expect_error(401, "unauthenticated");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let stored: i64 =
        conn.query_row("SELECT count(*) FROM enterprises WHERE name = '测试企业'", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, 0, "a refused enterprise was stored");
}

#[tokio::test]
async fn only_the_town_office_may_override_a_failing_check_digit() {
    let app = TestApp::demo().await;
    let pilot = "91350100M0001TGQXM";
    let mut body = enterprise(&app, Some(pilot));
    body["uscc_override"] = json!("2015 年试点期间颁发，经市场监管所核实");
    // Its grid's inspector may register premises, but not override a code.
    let inspector = app.login("tf0301.safety").await;
    app.json_as("POST", Some(&inspector), "/api/v1/enterprises", &body).await.expect_error(403, "forbidden");
    let admin = app.login("admin").await;
    let created = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &body).await.expect(201);
    assert_eq!(created["uscc"], pilot);
    assert!(created["uscc_override"].as_str().unwrap().contains("试点"));
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let current = app.get_as(&admin, "/api/v1/enterprises/6").await.expect(200);
    let version = current["version"].as_i64().unwrap();
    let send = |v: i64, industry: &str| {
        let request = axum::http::Request::patch("/api/v1/enterprises/6")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .header("if-match", format!("\"{v}\""))
            .body(axum::body::Body::from(json!({"industry": industry}).to_string()))
            .unwrap();
        app.send(request)
    };
    let updated = send(version, "发动机配件制造").await.expect(200);
    assert_eq!(updated["version"], version + 1);
    send(version, "被覆盖").await.expect_error(412, "stale");
    let now = app.get_as(&admin, "/api/v1/enterprises/6").await.expect(200);
    assert_eq!(now["industry"], "发动机配件制造");
}

#[tokio::test]
async fn closing_premises_needs_the_full_checklist_and_schedules_reinspection() {
    let app = TestApp::demo().await;
    let token = app.login("tf0101.env").await;
    let (lon, lat) = inside(&app, "TF0101");
    let premises = json!({"name": "废旧塑料加工点", "lon": lon, "lat": lat, "industry": "小散乱污"});
    let created = app.json_as("POST", Some(&token), "/api/v1/enterprises", &premises).await.expect(201);
    let uri = format!("/api/v1/enterprises/{}/governance", created["id"]);
    let skip = json!({"to": "closed", "note": "直接关停"});
    app.json_as("POST", Some(&token), &uri, &skip).await.expect_error(409, "conflict");
    let listed =
        app.json_as("POST", Some(&token), &uri, &json!({"to": "listed", "note": "列入整治"})).await.expect(200);
    assert_eq!(listed["governance"], "listed");
    let partial = json!({"to": "closed", "note": "关停", "checklist": {"water_cut": "m1", "power_cut": "m2"}});
    let error = app.json_as("POST", Some(&token), &uri, &partial).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "checklist");
    let checklist = json!({"water_cut": "m1", "power_cut": "m2", "materials_cleared": "m3",
                           "products_cleared": "m4", "equipment_cleared": "m5"});
    let closed = app
        .json_as("POST", Some(&token), &uri, &json!({"to": "closed", "note": "两断三清完成", "checklist": checklist}))
        .await
        .expect(200);
    assert_eq!(closed["governance"], "closed");
    let closed_on = closed["closed_on"].as_str().unwrap();
    let due = gridsafe::domain::time::add_days(closed_on, 90).unwrap();
    assert_eq!(closed["next_reinspection"], due.as_str());
    let shown = app.get_as(&token, &format!("/api/v1/enterprises/{}", created["id"])).await.expect(200);
    assert_eq!(shown["closure_checklist"]["equipment_cleared"], "m5");
    let reopen = json!({"to": "normal", "note": "恢复"});
    app.json_as("POST", Some(&token), &uri, &reopen).await.expect_error(409, "conflict");
}

#[tokio::test]
async fn enterprises_filter_by_grid_scale_key_and_governance() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let all = app.get_as(&admin, "/api/v1/enterprises").await.expect(200);
    assert_eq!(all["enterprises"].as_array().unwrap().len(), 65);
    let key = app.get_as(&admin, "/api/v1/enterprises?key=true").await.expect(200);
    assert_eq!(key["enterprises"].as_array().unwrap().len(), 45);
    let dongshan = app.get_as(&admin, "/api/v1/enterprises?grid=TF03&above_scale=true").await.expect(200);
    let dongshan = dongshan["enterprises"].as_array().unwrap();
    assert!(dongshan.len() >= 5);
    assert!(dongshan.iter().all(|e| e["grid_code"].as_str().unwrap().starts_with("TF03") && e["above_scale"] == true));
    let normal = app.get_as(&admin, "/api/v1/enterprises?governance=normal").await.expect(200);
    assert_eq!(normal["enterprises"].as_array().unwrap().len(), 65);
    app.get_as(&admin, "/api/v1/enterprises?governance=gone").await.expect_error(400, "invalid");
    app.get_as(&admin, "/api/v1/enterprises?grid=TF99").await.expect_error(400, "invalid");
    app.get_as(&admin, "/api/v1/enterprises?key=maybe").await.expect_error(400, "invalid");
    // Keyset pages: 65 as 30 + 30 + 5, each next cursor continuing where the last page stopped.
    let mut ids = Vec::new();
    let mut uri = "/api/v1/enterprises?limit=30".to_owned();
    loop {
        let page = app.get_as(&admin, &uri).await.expect(200);
        ids.extend(page["enterprises"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()));
        let Some(next) = page["next"].as_str() else { break };
        uri = format!("/api/v1/enterprises?limit=30&after={next}");
    }
    let every: Vec<i64> = all["enterprises"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, every);
    let error = app.get_as(&admin, "/api/v1/enterprises?after=abc").await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "after");
}
