//! Enterprise contacts (企业联系人): a role over one enterprise that sees that
//! enterprise's cases and documents and nothing else, reports the fix of its
//! dispatched cases (SPEC §5 "submit fix": inspector, enterprise contact,
//! admin) and is refused every other action.

use serde_json::{Value, json};

use crate::cases::{act, file, hazard, photo, registered};
use crate::helpers::{NOW, TestApp};

/// 世邦机械, whose contact person is the demo login `contact01`.
const SHIBANG: i64 = 6;

/// Files a hazard at enterprise 1 (华诚高科, not 世邦机械), registered; returns its number.
async fn registered_elsewhere(app: &TestApp, admin: &str, seed: u8) -> String {
    let mut body = hazard(app, &[photo(app, admin, seed).await]);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (lon, lat): (f64, f64) =
        conn.query_row("SELECT lon, lat FROM enterprises WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    body["enterprise_id"] = json!(1);
    body["lon"] = json!(lon);
    body["lat"] = json!(lat);
    let number = file(app, admin, &body).await;
    act(app, admin, &number, None, json!({"action": "register"})).await.expect(200);
    number
}

fn dispatch(deadline: &str) -> Value {
    json!({"action": "dispatch", "responsible": "世邦机械", "measures": "加装防护罩", "deadline": deadline})
}

fn numbers(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_contact_sees_their_enterprises_case_and_notice_and_reports_its_fix() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let contact = app.login("contact01").await;
    let me = app.get_as(&contact, "/api/v1/me").await.expect(200);
    assert_eq!(me["assignments"][0]["role"], "enterprise_contact");
    assert_eq!(me["scope"]["contact_of"], json!([SHIBANG]));

    let ours = registered(&app, &admin, 1).await;
    let theirs = registered_elsewhere(&app, &admin, 2).await;
    // Reads: our case 200 with nothing to do yet; another enterprise's case 404, as if it did not exist.
    let case = app.get_as(&contact, &format!("/api/v1/cases/{ours}")).await.expect(200);
    assert_eq!(case["allowed_actions"], json!([]));
    app.get_as(&contact, &format!("/api/v1/cases/{theirs}")).await.expect_error(404, "not_found");
    let listed = numbers(&app.get_as(&contact, "/api/v1/cases?limit=500").await.expect(200));
    assert!(listed.contains(&ours), "{listed:?}");
    assert!(!listed.contains(&theirs), "{listed:?}");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    for number in &listed {
        let enterprise: Option<i64> =
            conn.query_row("SELECT enterprise_id FROM cases WHERE number = ?1", [number], |r| r.get(0)).unwrap();
        assert_eq!(enterprise, Some(SHIBANG), "{number} is not 世邦机械's");
    }

    // Dispatch is the office's: the contact is refused, then the office dispatches both.
    act(&app, &contact, &ours, None, dispatch("2099-01-31")).await.expect_error(403, "forbidden");
    let dispatched = act(&app, &admin, &ours, None, dispatch("2099-01-31")).await.expect(200);
    act(&app, &admin, &theirs, None, dispatch("2099-01-31")).await.expect(200);
    let case = app.get_as(&contact, &format!("/api/v1/cases/{ours}")).await.expect(200);
    assert_eq!(case["allowed_actions"], json!(["submit"]), "only what a contact may do");

    // Documents: our notice (by case and by code) 200, theirs 404.
    let notice = app.get_bytes_as(&contact, &format!("/api/v1/cases/{ours}/notice.pdf")).await;
    assert!(notice.starts_with(b"%PDF"));
    let url = dispatched["documents"][0]["url"].as_str().unwrap();
    assert_eq!(app.get_bytes_as(&contact, url).await, notice);
    app.get_as(&contact, &format!("/api/v1/cases/{theirs}/notice.pdf")).await.expect_error(404, "not_found");
    let their_case = app.get_as(&admin, &format!("/api/v1/cases/{theirs}")).await.expect(200);
    let their_url = their_case["documents"][0]["url"].as_str().unwrap();
    app.get_as(&contact, their_url).await.expect_error(404, "not_found");

    // The fix: after-photos and what was done. Another enterprise's case stays out of reach.
    let after = photo(&app, &contact, 3).await;
    let fix = json!({"action": "submit", "photos": [after], "description": "已加装防护罩并上锁"});
    act(&app, &contact, &theirs, None, fix.clone()).await.expect_error(404, "not_found");
    let submitted = act(&app, &contact, &ours, None, fix).await.expect(200);
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["allowed_actions"], json!([]));
    assert_eq!(submitted["fix_description"], "已加装防护罩并上锁");
    let entry = submitted["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((entry["action"].clone(), entry["actor_id"].clone()), (json!("submit"), me["person"]["id"].clone()));
    // The photo they sent is readable to them; the sign-off is the expert's.
    app.get_as(&contact, &format!("/api/v1/media/{after}")).await.expect(200);
    let approve = json!({"action": "approve", "comment": "同意"});
    act(&app, &contact, &ours, None, approve).await.expect_error(403, "forbidden");
    let returned = json!({"action": "return", "reason": "不行"});
    act(&app, &contact, &ours, None, returned).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_contact_is_refused_filing_registering_and_everything_outside_their_enterprise() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let contact = app.login("contact01").await;
    // Filing, even at their own enterprise, is staff work (SPEC §5 "report").
    let body = hazard(&app, &[photo(&app, &contact, 1).await]);
    app.json_as("POST", Some(&contact), "/api/v1/cases", &body).await.expect_error(403, "forbidden");
    let reported = file(&app, &admin, &hazard(&app, &[photo(&app, &admin, 2).await])).await;
    let case = app.get_as(&contact, &format!("/api/v1/cases/{reported}")).await.expect(200);
    assert_eq!(case["allowed_actions"], json!([]));
    for action in [json!({"action": "register"}), json!({"action": "cancel", "reason": "重复"})] {
        act(&app, &contact, &reported, None, action).await.expect_error(403, "forbidden");
    }
    let supervise = json!({"action": "supervise"});
    act(&app, &contact, &reported, None, supervise).await.expect_error(403, "forbidden");
    // A joint notice and a correction are the office's too.
    let registered = registered(&app, &admin, 3).await;
    let joint = json!({"responsible": "世邦机械", "cases": [{"number": registered, "measures": "整改", "deadline": "2099-01-15"}]});
    app.json_as("POST", Some(&contact), "/api/v1/notices", &joint).await.expect_error(403, "forbidden");

    // Enterprises: their own only, and read-only.
    app.get_as(&contact, &format!("/api/v1/enterprises/{SHIBANG}")).await.expect(200);
    app.get_as(&contact, "/api/v1/enterprises/1").await.expect_error(404, "not_found");
    let listed = app.get_as(&contact, "/api/v1/enterprises").await.expect(200);
    let ids: Vec<i64> = listed["enterprises"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [SHIBANG]);
    // No grid, person, track or patrol of anyone.
    app.get_as(&contact, "/api/v1/grids/TF0101/responsible").await.expect_error(404, "not_found");
    app.get_as(&contact, "/api/v1/coverage").await.expect_error(403, "forbidden");
    let people = app.get_as(&contact, "/api/v1/people").await.expect(200);
    assert_eq!(people["people"].as_array().unwrap().len(), 1, "only themself: {people}");
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_patrols(c, &maps, NOW)).await.unwrap();
    let patrols = app.get_as(&contact, "/api/v1/patrols").await.expect(200);
    assert_eq!(patrols["patrols"], json!([]));
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let code: String = conn.query_row("SELECT code FROM patrols LIMIT 1", [], |r| r.get(0)).unwrap();
    app.get_as(&contact, &format!("/api/v1/patrols/{code}")).await.expect_error(404, "not_found");
    app.get_as(&contact, &format!("/api/v1/patrols/{code}/pdf")).await.expect_error(404, "not_found");
    let compliance = app.get_as(&contact, "/api/v1/patrols/compliance").await.expect(200);
    assert_eq!(compliance["chiefs"], json!([]));
    app.get_as(&contact, "/api/v1/rivers/mihe/report.pdf").await.expect_error(404, "not_found");
    // Assigning is the office's.
    let assign = json!({"username": "contact01", "role": "enterprise_contact", "scope": ["1"]});
    app.json_as("POST", Some(&contact), "/api/v1/assignments", &assign).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn the_ledger_and_statistics_of_a_contact_count_their_enterprises_cases_only() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let contact = app.login("contact01").await;
    let ours = registered(&app, &admin, 1).await;
    let theirs = registered_elsewhere(&app, &admin, 2).await;
    let csv = app.get_as(&contact, "/api/v1/ledger.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.text.contains(&ours) && !csv.text.contains(&theirs), "{}", csv.text);
    let stats = app.get_as(&contact, "/api/v1/stats?from=2026-01-01&to=2026-12-31").await.expect(200);
    let everyone = app.get_as(&admin, "/api/v1/stats?from=2026-01-01&to=2026-12-31").await.expect(200);
    assert_eq!(stats["total"]["filed"], 1, "{stats}");
    assert_eq!(everyone["total"]["filed"], 2, "{everyone}");
}

#[tokio::test]
async fn a_contact_assignment_needs_exactly_one_enterprise_given_by_id_or_uscc() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let new = json!({"username": "li.hua", "name": "李华", "phone": "13800000001", "password": "a-long-password"});
    app.json_as("POST", Some(&admin), "/api/v1/people", &new).await.expect(201);
    let assign = |scope: Value| json!({"username": "li.hua", "role": "enterprise_contact", "scope": scope});
    let post = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move { app.json_as("POST", Some(&admin), "/api/v1/assignments", &body).await }
    };
    let none = post(assign(json!([]))).await.expect_error(400, "invalid");
    assert_eq!(none["details"]["field"], "scope", "{none}");
    assert!(none["message"].as_str().unwrap().contains("企业"), "{none}");
    post(assign(json!(["1", "2"]))).await.expect_error(400, "invalid");
    post(assign(json!(["99999"]))).await.expect_error(400, "invalid");
    post(assign(json!(["TF0101"]))).await.expect_error(400, "invalid");
    let mut missing = assign(json!(["1"]));
    missing.as_object_mut().unwrap().remove("scope");
    post(missing).await.expect_error(400, "invalid");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let uscc: String = conn.query_row("SELECT uscc FROM enterprises WHERE id = ?1", [SHIBANG], |r| r.get(0)).unwrap();
    let created = post(assign(json!([uscc]))).await.expect(201);
    assert_eq!(created["role"], "enterprise_contact");
    assert_eq!(created["scope"], json!([{"kind": "enterprise", "code": SHIBANG}]));
    // The new contact reads 世邦机械 at once.
    let token = app.login_with("li.hua", "a-long-password").await;
    app.get_as(&token, &format!("/api/v1/enterprises/{SHIBANG}")).await.expect(200);
}

#[tokio::test]
async fn each_demo_contact_speaks_for_an_enterprise_with_demo_cases() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, NOW, 300)).await.unwrap();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    for login in ["contact01", "contact02", "contact03"] {
        let token = app.login(login).await;
        let me = app.get_as(&token, "/api/v1/me").await.expect(200);
        let enterprise = me["scope"]["contact_of"][0].as_i64().unwrap();
        let (name, contact_name): (String, String) = conn
            .query_row("SELECT name, contact_name FROM enterprises WHERE id = ?1", [enterprise], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(me["person"]["name"], contact_name.as_str(), "{login} is {name}'s contact person");
        let listed = numbers(&app.get_as(&token, "/api/v1/cases?limit=500").await.expect(200));
        let expected: i64 =
            conn.query_row("SELECT count(*) FROM cases WHERE enterprise_id = ?1", [enterprise], |r| r.get(0)).unwrap();
        assert!(expected > 0, "{login}: {name} has no demo cases");
        assert_eq!(listed.len() as i64, expected, "{login} lists exactly {name}'s cases");
    }
}
