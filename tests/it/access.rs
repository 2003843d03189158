//! Login, sessions, rate limiting, the scope of every role, assignment
//! history and the coverage report, through HTTP as each demo user.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn login_with_the_right_password_gives_a_token_and_a_session_cookie() {
    let app = TestApp::demo().await;
    let body = json!({"username": "TF0101.Safety", "password": gridsafe::demo::DEMO_PASSWORD});
    let response = app.json_as("POST", None, "/api/v1/login", &body).await;
    let json = response.expect(200);
    let token = json["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert_eq!(json["user"]["person"]["username"], "tf0101.safety");
    assert_eq!(json["user"]["assignments"][0]["role"], "inspector");
    let cookie = response.headers.get("set-cookie").unwrap().to_str().unwrap();
    for attribute in ["gridsafe_session=", "HttpOnly", "SameSite=Strict", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Served over plain HTTP (no https public URL), a Secure cookie would be
    // dropped by a phone's browser; see pages::the_cookie_is_secure_behind_https.
    assert!(!cookie.contains("Secure"), "{cookie}");
    // The same session works as a bearer token and as a cookie.
    app.get_as(token, "/api/v1/me").await.expect(200);
    let request =
        Request::get("/api/v1/me").header("cookie", format!("other=1; gridsafe_session={token}")).body(Body::empty());
    let me = app.send(request.unwrap()).await.expect(200);
    assert_eq!(me["person"]["username"], "tf0101.safety");
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_the_same_401() {
    let app = TestApp::demo().await;
    for (user, password) in [("admin", "not-the-password"), ("nobody", "whatever-it-is")] {
        let body = json!({"username": user, "password": password});
        let error = app.json_as("POST", None, "/api/v1/login", &body).await.expect_error(401, "unauthenticated");
        assert_eq!(error["message_en"], "wrong username or password");
    }
    app.get("/api/v1/me").await.expect_error(401, "unauthenticated");
    app.get_as("not-a-token", "/api/v1/me").await.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn repeated_failures_lock_the_username_even_for_the_right_password() {
    let app = TestApp::demo().await;
    let wrong = json!({"username": "expert1", "password": "wrong-password"});
    for _ in 0..gridsafe::service::login::MAX_FAILURES_PER_USER {
        app.json_as("POST", None, "/api/v1/login", &wrong).await.expect_error(401, "unauthenticated");
    }
    let right = json!({"username": "expert1", "password": gridsafe::demo::DEMO_PASSWORD});
    let response = app.json_as("POST", None, "/api/v1/login", &right).await;
    response.expect_error(429, "rate_limited");
    assert!(response.headers.contains_key("retry-after"));
    // Another user from elsewhere is not affected.
    app.login("expert2").await;
}

#[tokio::test]
async fn an_expired_or_logged_out_session_is_refused() {
    let app = TestApp::demo().await;
    let token = app.login("admin").await;
    let response = app.json_as("POST", Some(&token), "/api/v1/logout", &json!({})).await;
    assert_eq!(response.status, 204);
    app.get_as(&token, "/api/v1/me").await.expect_error(401, "unauthenticated");

    let token = app.login("admin").await;
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("UPDATE sessions SET expires_at = created_at - 1", []).unwrap();
    app.get_as(&token, "/api/v1/me").await.expect_error(401, "unauthenticated");
}

/// Enterprise ids in the demo: 1 华诚高科 (东山社区), 6 世邦机械 (八里, TF0101), 2 冠泰管桩.
const IN_TF0101: i64 = 6;

/// (user, readable enterprise (0: none), unreadable enterprise, may write the readable one,
///  grid in scope, grid out of scope ("": none), is admin)
type ScopeRow = (&'static str, i64, Option<i64>, bool, Option<&'static str>, &'static str, bool);

#[tokio::test]
async fn every_role_reads_and_writes_exactly_its_scope() {
    let app = TestApp::demo().await;
    // (user, readable enterprise, unreadable enterprise, may write the readable one,
    //  grid in scope, grid out of scope, is admin)
    let table: &[ScopeRow] = &[
        ("admin", 1, None, true, Some("TF0201"), "", true),
        ("tf0101.safety", IN_TF0101, Some(1), true, Some("TF0101"), "TF0201", false),
        ("tf0101.env", IN_TF0101, Some(1), true, Some("TF0101"), "TF0102", false),
        ("tf01.leader", IN_TF0101, Some(1), true, Some("TF0102"), "TF0201", false),
        ("expert1", 1, None, false, None, "TF0101", false),
        ("eexpert01", 1, Some(2), false, None, "TF0101", false),
        ("cadre01", 2, Some(4), false, None, "TF0101", false),
        ("chief.mihe", 0, Some(1), false, None, "TF0101", false),
        ("police.mihe", 0, Some(1), false, None, "TF0101", false),
        ("contact01", IN_TF0101, Some(1), false, None, "TF0101", false),
    ];
    for &(user, readable, unreadable, writes, grid_in, grid_out, admin) in table {
        let token = app.login(user).await;
        let me = app.get_as(&token, "/api/v1/me").await.expect(200);
        let my_id = me["person"]["id"].as_i64().unwrap();

        // Enterprises: read in scope 200, out of scope 404; write in scope 200 or 403, out of scope 403.
        if readable > 0 {
            app.get_as(&token, &format!("/api/v1/enterprises/{readable}")).await.expect(200);
            let patch = app
                .json_as(
                    "PATCH",
                    Some(&token),
                    &format!("/api/v1/enterprises/{readable}"),
                    &json!({"industry": "检查"}),
                )
                .await;
            if writes {
                patch.expect(200)
            } else {
                patch.expect_error(403, "forbidden")
            };
        }
        if let Some(other) = unreadable {
            app.get_as(&token, &format!("/api/v1/enterprises/{other}")).await.expect_error(404, "not_found");
            let patch = json!({"industry": "越权"});
            let uri = format!("/api/v1/enterprises/{other}");
            app.json_as("PATCH", Some(&token), &uri, &patch).await.expect_error(403, "forbidden");
        }
        let listed = app.get_as(&token, "/api/v1/enterprises").await.expect(200);
        let listed: Vec<i64> =
            listed["enterprises"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(readable > 0, listed.contains(&readable), "{user} list");
        assert!(unreadable.is_none_or(|u| !listed.contains(&u)), "{user} lists an enterprise outside scope");

        // People: oneself 200, someone else 404 (admin: 200); creating people is the admin's.
        app.get_as(&token, &format!("/api/v1/people/{my_id}")).await.expect(200);
        let someone_else = if my_id == 1 { 2 } else { 1 };
        let other = app.get_as(&token, &format!("/api/v1/people/{someone_else}")).await;
        if admin {
            other.expect(200)
        } else {
            other.expect_error(404, "not_found")
        };
        let new = json!({"username": format!("new.{my_id}"), "name": "新人", "password": "a-long-password"});
        let created = app.json_as("POST", Some(&token), "/api/v1/people", &new).await;
        if admin {
            created.expect(201)
        } else {
            created.expect_error(403, "forbidden")
        };

        // Assignments: only one's own are listed; creating them is the admin's.
        let own = app.get_as(&token, "/api/v1/assignments").await.expect(200);
        let own = own.as_array().unwrap();
        assert!(!own.is_empty(), "{user} holds assignments");
        if admin {
            assert!(own.iter().any(|a| a["person_id"] != my_id), "the admin sees everyone's");
        } else {
            assert!(own.iter().all(|a| a["person_id"] == my_id), "{user}");
        }
        let assign = json!({"username": user, "role": "town_expert", "scope": ["TF"]});
        let assigned = app.json_as("POST", Some(&token), "/api/v1/assignments", &assign).await;
        if admin {
            assigned.expect(201)
        } else {
            assigned.expect_error(403, "forbidden")
        };

        // Responsibility by grid: in scope 200, out of scope 404.
        if let Some(grid) = grid_in {
            app.get_as(&token, &format!("/api/v1/grids/{grid}/responsible")).await.expect(200);
        }
        if !grid_out.is_empty() {
            let uri = format!("/api/v1/grids/{grid_out}/responsible");
            app.get_as(&token, &uri).await.expect_error(404, "not_found");
        }

        // The coverage report is the town office's.
        let coverage = app.get_as(&token, "/api/v1/coverage").await;
        if admin {
            coverage.expect(200)
        } else {
            coverage.expect_error(403, "forbidden")
        };
    }
}

#[tokio::test]
async fn inspectors_register_premises_only_in_their_own_grid() {
    let app = TestApp::demo().await;
    let token = app.login("tf0101.env").await;
    let maps = app.app.maps();
    let here = geo::InteriorPoint::interior_point(&maps.grid("TF0101").unwrap().shape).unwrap();
    let there = geo::InteriorPoint::interior_point(&maps.grid("TF0201").unwrap().shape).unwrap();
    let premises = |p: geo::Point| json!({"name": "无证小作坊", "lon": p.x(), "lat": p.y(), "industry": "小散乱污"});
    let created = app.json_as("POST", Some(&token), "/api/v1/enterprises", &premises(here)).await.expect(201);
    assert_eq!(created["grid_code"], "TF0101");
    assert!(created["uscc"].is_null());
    app.json_as("POST", Some(&token), "/api/v1/enterprises", &premises(there)).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn the_coverage_report_lists_exactly_the_demo_gaps() {
    let app = TestApp::demo().await;
    let token = app.login("admin").await;
    let report = app.get_as(&token, "/api/v1/coverage").await.expect(200);
    let gaps: Vec<(String, String)> = report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["kind"].as_str().unwrap().to_owned(), g["message_en"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("village_without_inspector", "贾家庄 has no active environment inspector"),
        ("village_without_inspector", "巩殷 has no active environment inspector"),
        ("village_without_inspector", "赵家辛 has no active safety inspector"),
        (
            "enterprise_expert_count",
            "above-scale enterprise 山东新展新材料 has 0 active hired experts, exactly 1 is required",
        ),
        (
            "enterprise_expert_count",
            "above-scale enterprise 正大集团兴保农林 has 2 active hired experts, exactly 1 is required",
        ),
        ("key_enterprise_without_cadre", "key enterprise 演示企业30有限公司 has no cadre"),
        ("river_without_police", "猪龙河 has no river police chief"),
        ("reach_without_village_chief", "猪龙河康家羊段 has no village-level river chief"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(k, m)| ((*k).to_owned(), (*m).to_owned())).collect();
    assert_eq!(gaps, expected);
    assert_eq!(report["complete"], false);
}

#[tokio::test]
async fn assignment_history_answers_who_was_responsible_on_a_date() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let person = json!({"username": "wang.xin", "name": "王新", "password": "a-long-password", "phone": "13800000000"});
    app.json_as("POST", Some(&admin), "/api/v1/people", &person).await.expect(201);
    // The current safety inspector of TF0101 has served since 2026-01-01; end it in June.
    let current = app.get_as(&admin, "/api/v1/grids/TF0101/responsible?date=2026-03-01").await.expect(200);
    let old = current["responsible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person"]["username"] == "tf0101.safety")
        .unwrap()
        .clone();
    let id = old["assignment"]["id"].as_i64().unwrap();
    let end = json!({"to": "2026-06-30", "reason": "调任"});
    let ended = app.json_as("POST", Some(&admin), &format!("/api/v1/assignments/{id}/end"), &end).await.expect(200);
    assert_eq!(ended["to"], "2026-06-30");
    let again = app.json_as("POST", Some(&admin), &format!("/api/v1/assignments/{id}/end"), &end).await;
    again.expect_error(409, "conflict");
    let new = json!({"username": "wang.xin", "role": "inspector", "duty": "safety", "scope": ["TF0101"], "from": "2026-07-01"});
    app.json_as("POST", Some(&admin), "/api/v1/assignments", &new).await.expect(201);

    let who = |body: serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = body["responsible"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["assignment"]["duty"] == "safety")
            .map(|r| r["person"]["username"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let march = app.get_as(&admin, "/api/v1/grids/TF0101/responsible?date=2026-03-01").await.expect(200);
    assert_eq!(who(march), ["tf0101.safety"]);
    let august = app.get_as(&admin, "/api/v1/grids/TF0101/responsible?date=2026-08-01").await.expect(200);
    assert_eq!(who(august), ["wang.xin"]);
    // The ended assignment is still on record.
    let history = app.get_as(&admin, &format!("/api/v1/people/{}", old["person"]["id"])).await.expect(200);
    assert_eq!(history["assignments"][0]["end_reason"], "调任");
}

#[tokio::test]
async fn bad_people_and_assignment_input_names_the_field() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let cases = [
        ("/api/v1/people", json!({"name": "缺登录名", "password": "a-long-password"}), "username"),
        ("/api/v1/people", json!({"username": "ok.name", "name": "x", "password": "short"}), "password"),
        ("/api/v1/people", json!({"username": "ok.name", "name": "x", "password": "a-long-password", "age": 3}), "age"),
        ("/api/v1/people", json!({"username": 7, "name": "x", "password": "a-long-password"}), "username"),
        ("/api/v1/assignments", json!({"username": "admin", "role": "mayor", "scope": ["TF"]}), "role"),
        (
            "/api/v1/assignments",
            json!({"username": "admin", "role": "inspector", "duty": "safety", "scope": ["TF99"]}),
            "scope",
        ),
        ("/api/v1/assignments", json!({"username": "admin", "role": "inspector", "scope": ["TF01"]}), "duty"),
        ("/api/v1/assignments", json!({"username": "ghost", "role": "admin", "scope": ["TF"]}), "username"),
        ("/api/v1/assignments", json!({"username": "admin", "role": "cadre", "scope": ["999"]}), "scope"),
        (
            "/api/v1/assignments",
            json!({"username": "admin", "role": "town_expert", "scope": ["TF"], "from": "2026-13-01"}),
            "from",
        ),
    ];
    for (uri, body, field) in cases {
        let error = app.json_as("POST", Some(&admin), uri, &body).await.expect_error(400, "invalid");
        assert_eq!(error["details"]["field"], field, "{uri} {body}");
    }
    let malformed = app.raw_as("POST", Some(&admin), "/api/v1/people", "{\"username\":".into()).await;
    malformed.expect_error(400, "invalid");
    let huge = format!("{{\"username\":\"{}\"}}", "x".repeat(400_000));
    app.raw_as("POST", Some(&admin), "/api/v1/people", huge).await.expect_error(413, "too_large");
    let taken = json!({"username": "admin", "name": "重名", "password": "a-long-password"});
    app.json_as("POST", Some(&admin), "/api/v1/people", &taken).await.expect_error(409, "conflict");
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_every_username_from_it() {
    let app = TestApp::demo().await;
    let from = |ip: [u8; 4], user: &str, password: &str| {
        let mut request = Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(json!({"username": user, "password": password}).to_string()))
            .unwrap();
        let address = std::net::SocketAddr::from((ip, 40_000));
        request.extensions_mut().insert(axum::extract::ConnectInfo(address));
        app.send(request)
    };
    for n in 0..gridsafe::service::login::MAX_FAILURES_PER_ADDRESS {
        from([10, 0, 0, 7], &format!("guess{n}"), "wrong-password").await.expect_error(401, "unauthenticated");
    }
    let password = gridsafe::demo::DEMO_PASSWORD;
    from([10, 0, 0, 7], "admin", password).await.expect_error(429, "rate_limited");
    from([10, 0, 0, 8], "admin", password).await.expect(200);
}

#[tokio::test]
async fn the_first_start_creates_one_admin_with_a_one_time_password() {
    let app = TestApp::with_fixtures("grids_valid.geojson", "rivers_three_squares.geojson").await;
    let maps = app.app.maps();
    let now = crate::helpers::NOW;
    let first = {
        let maps = maps.clone();
        app.app.store.write(move |c| gridsafe::service::accounts::create_first_admin(c, &maps, now)).await.unwrap()
    };
    let password = first.expect("a first admin is created");
    assert!(password.len() >= 16);
    let again =
        app.app.store.write(move |c| gridsafe::service::accounts::create_first_admin(c, &maps, now)).await.unwrap();
    assert!(again.is_none(), "a second start must not create another admin");
    let body = json!({"username": "admin", "password": password});
    let login = app.json_as("POST", None, "/api/v1/login", &body).await.expect(200);
    assert_eq!(login["user"]["scope"]["admin"], true);
    assert_eq!(login["user"]["person"]["name"], "测试镇管理员");
}

#[tokio::test]
async fn a_cadre_is_assigned_only_key_enterprises() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    // Enterprise 46 is synthetic and not key (the first 45 are).
    let body = json!({"username": "cadre02", "role": "cadre", "scope": ["46"]});
    let error = app.json_as("POST", Some(&admin), "/api/v1/assignments", &body).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "scope");
    let body = json!({"username": "cadre02", "role": "cadre", "scope": ["45"]});
    app.json_as("POST", Some(&admin), "/api/v1/assignments", &body).await.expect(201);
}

#[tokio::test]
async fn ending_an_assignment_takes_effect_on_the_next_request() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    app.get_as(&inspector, "/api/v1/enterprises/6").await.expect(200);
    let admin = app.login("admin").await;
    let mine = app.get_as(&admin, "/api/v1/grids/TF0101/responsible").await.expect(200);
    let id = mine["responsible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person"]["username"] == "tf0101.safety")
        .unwrap()["assignment"]["id"]
        .as_i64()
        .unwrap();
    let yesterday = gridsafe::domain::time::china_date(crate::helpers::NOW - 86_400);
    let end = json!({"to": yesterday, "reason": "调离"});
    app.json_as("POST", Some(&admin), &format!("/api/v1/assignments/{id}/end"), &end).await.expect(200);
    // The cached session must not keep the old scope.
    app.get_as(&inspector, "/api/v1/enterprises/6").await.expect_error(404, "not_found");
}
