//! The map of everything: `/api/v1/map/*` answers only what the caller may
//! read, clusters add up, filters choose, tracks stay with those who may see
//! them, and the signed-in page carries what its script needs.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{NOW, TestApp};

/// The whole world: every stored case is in view.
const WORLD: &str = "-180,-90,180,90";

/// The demo town with its 300 demo cases.
async fn with_cases() -> TestApp {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, NOW, 300)).await.unwrap();
    app
}

/// Numbers of the open cases that match `filter` (SQL over `cases`).
fn open_numbers(app: &TestApp, filter: &str) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let sql = format!("SELECT number FROM cases WHERE status NOT IN ('closed', 'cancelled') AND ({filter})");
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// The case numbers of a points answer.
fn numbers(answer: &Value) -> BTreeSet<String> {
    answer["cases"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_owned()).collect()
}

/// The cases a caller gets at street zoom (always points) with extra query `more`.
async fn points(app: &TestApp, token: &str, more: &str) -> Value {
    let answer = app.get_as(token, &format!("/api/v1/map/cases?bbox={WORLD}&zoom=18{more}")).await.expect(200);
    assert_eq!(answer["mode"], "points", "{answer}");
    assert_eq!(answer["truncated"], false);
    answer
}

#[tokio::test]
async fn an_anonymous_caller_gets_401_from_every_map_layer() {
    let app = TestApp::demo().await;
    for uri in [
        format!("/api/v1/map/cases?bbox={WORLD}&zoom=12"),
        "/api/v1/map/enterprises".to_owned(),
        "/api/v1/map/patrols?month=2026-11".to_owned(),
    ] {
        app.get(&uri).await.expect_error(401, "unauthenticated");
    }
}

#[tokio::test]
async fn an_inspector_of_one_village_gets_its_open_cases_and_no_other_village_s() {
    let app = with_cases().await;
    let inspector = app.login("tf0101.safety").await;
    let own = numbers(&points(&app, &inspector, "").await);
    assert_eq!(own, open_numbers(&app, "grid_code = 'TF0101'"));
    assert!(!own.is_empty(), "the demo has open cases in 八里");
    let elsewhere = open_numbers(&app, "grid_code <> 'TF0101'");
    assert!(!elsewhere.is_empty() && own.is_disjoint(&elsewhere));
    let admin = app.login("admin").await;
    assert_eq!(numbers(&points(&app, &admin, "").await), open_numbers(&app, "1"));
    // Enterprises likewise: the inspector sees fewer than the office, and no contacts.
    let enterprises = app.get_as(&inspector, "/api/v1/map/enterprises").await.expect(200);
    let all = app.get_as(&admin, "/api/v1/map/enterprises").await.expect(200);
    let (mine, every) = (enterprises.as_array().unwrap().len(), all.as_array().unwrap().len());
    assert!(mine < every, "{mine} of {every}");
    assert!(all[0].get("contact_phone").is_none(), "no contacts on the map: {}", all[0]);
}

#[tokio::test]
async fn cluster_counts_add_up_to_the_matching_open_cases_at_town_zoom() {
    let app = with_cases().await;
    let admin = app.login("admin").await;
    for (query, filter) in [("", "1"), ("&kind=safety", "kind = 'safety'"), ("&grade=major", "grade = 'major'")] {
        let answer = app.get_as(&admin, &format!("/api/v1/map/cases?bbox={WORLD}&zoom=11{query}")).await.expect(200);
        assert_eq!(answer["mode"], "clusters", "{answer}");
        let clusters = answer["clusters"].as_array().unwrap();
        let summed: u64 = clusters.iter().map(|k| k["count"].as_u64().unwrap()).sum::<u64>()
            + answer["cases"].as_array().unwrap().len() as u64;
        let expected = open_numbers(&app, filter).len() as u64;
        assert_eq!(summed, expected, "{query}");
        assert_eq!(answer["total"].as_u64(), Some(expected), "{query}");
        for k in clusters {
            assert!(k["count"].as_u64().unwrap() >= 2 && k["overdue"].as_u64() <= k["count"].as_u64(), "{k}");
        }
    }
    let all = app.get_as(&admin, &format!("/api/v1/map/cases?bbox={WORLD}&zoom=11")).await.expect(200);
    let overdue: u64 = all["clusters"].as_array().unwrap().iter().map(|k| k["overdue"].as_u64().unwrap()).sum();
    assert!(overdue > 0, "the demo has overdue cases, and clusters say so");
    // An empty corner of the world: nothing at all.
    let empty = app.get_as(&admin, "/api/v1/map/cases?bbox=0,0,1,1&zoom=11").await.expect(200);
    assert_eq!((empty["total"].as_u64(), empty["clusters"].as_array().unwrap().len()), (Some(0), 0));
}

#[tokio::test]
async fn the_filters_choose_kind_state_grade_and_filing_period() {
    let app = with_cases().await;
    let admin = app.login("admin").await;
    for (query, filter) in [
        ("&kind=river", "kind = 'river'"),
        ("&status=dispatched", "status = 'dispatched'"),
        ("&grade=major", "grade = 'major'"),
        ("&kind=safety&status=reported", "kind = 'safety' AND status = 'reported'"),
        ("&from=2026-11-01&to=2026-11-30", "substr(reported_at, 1, 10) BETWEEN '2026-11-01' AND '2026-11-30'"),
    ] {
        let got = numbers(&points(&app, &admin, query).await);
        let expected = open_numbers(&app, filter);
        assert_eq!(got, expected, "{query}");
        assert!(!got.is_empty(), "{query} matches something in the demo");
    }
    let overdue = points(&app, &admin, "").await;
    let flagged = overdue["cases"].as_array().unwrap().iter().filter(|c| c["overdue"] == true).count();
    assert!(flagged > 0);
    app.get_as(&admin, &format!("/api/v1/map/cases?bbox={WORLD}&zoom=12&status=closed"))
        .await
        .expect_error(400, "invalid");
    app.get_as(&admin, "/api/v1/map/cases?bbox=10,0,5,1&zoom=12").await.expect_error(400, "invalid");
    app.get_as(&admin, &format!("/api/v1/map/cases?bbox={WORLD}&zoom=12&kind=fire")).await.expect_error(400, "invalid");
}

#[tokio::test]
async fn patrol_tracks_go_only_to_the_chief_those_above_and_the_office() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_patrols(c, &maps, NOW).map(drop)).await.unwrap();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (month, chief): (String, String) = conn
        .query_row(
            "SELECT p.month, u.username FROM patrols p JOIN people u ON u.id = p.chief_id
             WHERE p.level = 'village' GROUP BY p.month, u.username ORDER BY count(*) DESC, p.month DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let codes = |sql: &str| -> BTreeSet<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([&month], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let tracks = |answer: Value| -> BTreeSet<String> {
        answer.as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap().to_owned()).collect()
    };
    let uri = format!("/api/v1/map/patrols?month={month}");
    let admin = app.login("admin").await;
    let all = app.get_as(&admin, &uri).await.expect(200);
    assert!(all[0]["line"].as_array().unwrap().len() >= 2, "{}", all[0]);
    assert_eq!(tracks(all), codes("SELECT code FROM patrols WHERE month = ?1"));
    let own = app.login(&chief).await;
    let mine = codes(&format!(
        "SELECT code FROM patrols WHERE month = ?1 AND chief_id = (SELECT id FROM people WHERE username = '{chief}')"
    ));
    assert!(!mine.is_empty());
    assert_eq!(tracks(app.get_as(&own, &uri).await.expect(200)), mine, "a village chief sees their own only");
    for outsider in ["tf0101.safety", "contact01"] {
        let token = app.login(outsider).await;
        assert_eq!(app.get_as(&token, &uri).await.expect(200), serde_json::json!([]), "{outsider}");
    }
    app.get_as(&admin, "/api/v1/map/patrols?month=2026-13").await.expect_error(400, "invalid");
}

#[tokio::test]
async fn the_signed_in_map_page_carries_the_layer_endpoints_and_filters_and_the_public_one_does_not() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let page = app.page(&admin, "/map").await;
    assert_eq!(page.status, 200);
    for needle in [
        r#"data-cases-url="/api/v1/map/cases""#,
        r#"data-enterprises-url="/api/v1/map/enterprises""#,
        r#"data-patrols-url="/api/v1/map/patrols""#,
        r#"data-case-page="/cases/""#,
        r#"data-patrol-page="/patrols/""#,
        r#"data-month="2026-11""#,
        r#"id="gs-filters""#,
        r#"name="kind""#,
        r#"name="status""#,
        r#"name="grade""#,
        r#"name="month""#,
        r#"<option value="major""#,
        "重大隐患",
    ] {
        assert!(page.text.contains(needle), "{needle} missing from the signed-in map");
    }
    assert!(!page.text.contains("<script>") && !page.text.contains("style=\""), "nothing inline (CSP)");
    let public = app.get("/map").await;
    assert_eq!(public.status, 200);
    assert!(!public.text.contains("data-cases-url") && !public.text.contains("gs-filters"), "public map unchanged");
}
