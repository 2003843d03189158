//! River patrols through HTTP as the real chiefs: filing (GeoJSON and GPX,
//! idempotent), the anti-fake verdict (declared times against the fixes, a
//! track filed again), who may file and review, findings opened as river
//! cases, monthly compliance, the police trial, bad input.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::cases::{act, count, photo};
use crate::helpers::TestApp;

/// 2026-10-05T08:00:00+08:00.
pub const OCT_5: i64 = 1_791_158_400;

/// A Feature track along `river`, `metres` long from `from_m`, at 4 km/h from
/// `start_s`, with 3 m of GPS noise of its own (a walk on another day is
/// another walk; the same start gives the same track).
pub fn walk(app: &TestApp, river: &str, from_m: f64, metres: f64, start_s: i64) -> (Value, i64) {
    let noise = (3.0, start_s.unsigned_abs());
    let (points, times) = gridsafe::demo::walk_river(&app.app.maps(), river, (from_m, metres), 4.0, start_s, noise);
    let coordinates: Vec<[f64; 2]> = points.iter().map(|p| [p.0, p.1]).collect();
    let end = *times.last().unwrap();
    (
        json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates},
            "properties": {"times": times}}),
        end,
    )
}

fn rfc3339(unix_s: i64) -> String {
    gridsafe::domain::time::china_timestamp(unix_s)
}

pub fn log(river: &str, track: &Value, start_s: i64, end_s: i64) -> Value {
    json!({"river": river, "started_at": rfc3339(start_s), "ended_at": rfc3339(end_s), "track": track,
           "checklist": [{"type": "水体", "status": "normal"}, {"type": "河岸", "status": "finding", "note": "岸边有垃圾"}],
           "notes": "例行巡河"})
}

/// A 3 km, 45-minute walk down 弥河 filed by its town chief.
pub async fn file_valid(app: &TestApp, token: &str, start_s: i64) -> Value {
    let (track, end) = walk(app, "mihe", 0.0, 3000.0, start_s);
    app.json_as("POST", Some(token), "/api/v1/patrols", &log("mihe", &track, start_s, end)).await.expect(201)
}

/// The username of the village chief of `reach`.
fn village_chief(reach: &str) -> String {
    format!("{}.chief", reach.split('-').nth(1).unwrap().to_ascii_lowercase())
}

#[tokio::test]
async fn a_town_chief_files_a_valid_patrol_with_its_reaches_measured() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let filed = file_valid(&app, &chief, OCT_5).await;
    assert_eq!(filed["valid"], true, "{filed}");
    assert!(filed["code"].as_str().unwrap().starts_with("XH-2026-"));
    assert_eq!(filed["level"], "town");
    assert_eq!(filed["month"], "2026-10");
    let distance = filed["distance_m"].as_f64().unwrap();
    assert!((3000.0..3400.0).contains(&distance), "{distance}");
    let minutes = filed["minutes"].as_f64().unwrap();
    assert!((44.0..46.0).contains(&minutes), "{minutes}");
    let reaches = filed["reaches"].as_array().unwrap();
    assert!(reaches.len() >= 2, "a 3 km walk touches two reaches: {reaches:?}");
    let first = &gridsafe::spatial::Maps::reaches_of(&app.app.maps(), "mihe").next().unwrap().code.clone();
    assert_eq!(reaches[0]["code"], json!(first));
    assert_eq!(filed["review_status"], "pending");
    // The audit log records the filing.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let entries: i64 =
        conn.query_row("SELECT count(*) FROM audit_log WHERE action = 'patrol'", [], |r| r.get(0)).unwrap();
    assert_eq!(entries, 1);
}

#[tokio::test]
async fn the_same_track_as_gpx_measures_the_same_and_a_retry_files_nothing_new() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    let gpx = gpx_of(&track);
    let from_json = app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, OCT_5, end)).await;
    let from_json = from_json.expect(201);
    let mut body = log("mihe", &Value::Null, OCT_5, end);
    body.as_object_mut().unwrap().remove("track");
    body["gpx"] = json!(gpx);
    let request = |body: &Value| {
        axum::http::Request::post("/api/v1/patrols")
            .header("authorization", format!("Bearer {chief}"))
            .header("content-type", "application/json")
            .header("idempotency-key", "gpx-1")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let from_gpx = app.send(request(&body)).await.expect(201);
    for field in ["minutes", "points", "reaches"] {
        assert_eq!(from_gpx[field], from_json[field], "{field}");
    }
    let close = |a: &Value, b: &Value| (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6;
    assert!(close(&from_gpx["distance_m"], &from_json["distance_m"]));
    let (a, b) = (&from_gpx["track"]["coordinates"], &from_json["track"]["coordinates"]);
    assert_eq!(a.as_array().unwrap().len(), b.as_array().unwrap().len());
    for (p, q) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
        assert!(close(&p[0], &q[0]) && close(&p[1], &q[1]), "{p} vs {q}");
    }
    // The same walk sent twice is one walk: the second log does not count.
    assert_eq!(from_json["valid"], true, "{}", from_json["reasons"]);
    assert_eq!(from_gpx["valid"], false);
    let reasons = from_gpx["reasons"].to_string();
    assert!(reasons.contains("完全相同") && reasons.contains(from_json["code"].as_str().unwrap()), "{reasons}");
    let retried = app.send(request(&body)).await.expect(200);
    assert_eq!(retried["code"], from_gpx["code"]);
    assert_eq!(count(&app, "patrols"), 2);
    // The same key with a different log is refused, and files nothing.
    body["notes"] = json!("另一份日志");
    app.send(request(&body)).await.expect_error(409, "conflict");
    assert_eq!(count(&app, "patrols"), 2);
}

/// A GPX 1.1 document of a Feature track with times.
fn gpx_of(track: &Value) -> String {
    let coordinates = track["geometry"]["coordinates"].as_array().unwrap();
    let times = track["properties"]["times"].as_array().unwrap();
    let mut gpx = String::from(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>",
    );
    for (c, t) in coordinates.iter().zip(times) {
        let time = chrono_free_utc(t.as_i64().unwrap());
        write!(gpx, "<trkpt lat=\"{}\" lon=\"{}\"><time>{time}</time></trkpt>", c[1], c[0]).unwrap();
    }
    gpx.push_str("</trkseg></trk></gpx>");
    gpx
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
fn chrono_free_utc(unix_s: i64) -> String {
    let (days, secs) = (unix_s.div_euclid(86_400), unix_s.rem_euclid(86_400));
    let (y, m, d) = gridsafe::domain::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[tokio::test]
async fn each_anti_fake_rule_marks_its_log_invalid_and_keeps_it() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    // Too short: 10 minutes, about 660 m.
    let (track, end) = walk(&app, "mihe", 0.0, 660.0, OCT_5);
    let short =
        app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, OCT_5, end)).await.expect(201);
    assert_eq!(short["valid"], false);
    let reasons = short["reasons"].to_string();
    assert!(reasons.contains("巡河时长") && reasons.contains("巡河里程"), "{reasons}");
    // Off the river: the same good walk moved about 4 km south-east.
    let start = OCT_5 + 86_400;
    let (mut track, end) = walk(&app, "mihe", 0.0, 3000.0, start);
    for c in track["geometry"]["coordinates"].as_array_mut().unwrap() {
        c[0] = json!(c[0].as_f64().unwrap() + 0.03);
        c[1] = json!(c[1].as_f64().unwrap() - 0.03);
    }
    let off = app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, start, end)).await.expect(201);
    assert_eq!(off["valid"], false);
    assert!(off["reasons"].to_string().contains("距河道超过"), "{}", off["reasons"]);
    // A jump: one fix 5 km away within ten seconds.
    let start = OCT_5 + 2 * 86_400;
    let (mut track, end) = walk(&app, "mihe", 0.0, 3000.0, start);
    let coords = track["geometry"]["coordinates"].as_array_mut().unwrap();
    let middle = coords.len() / 2;
    coords[middle][0] = json!(coords[middle][0].as_f64().unwrap() + 0.004);
    let jump = app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, start, end)).await.expect(201);
    assert_eq!(jump["valid"], false);
    assert!(jump["reasons"].to_string().contains("跳点"), "{}", jump["reasons"]);
    // And a good one passes.
    let good = file_valid(&app, &chief, OCT_5 + 3 * 86_400).await;
    assert_eq!(good["valid"], true, "{}", good["reasons"]);
    assert_eq!(count(&app, "patrols"), 4);
}

#[tokio::test]
async fn a_chief_files_only_for_their_own_river() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let (track, end) = walk(&app, "yaohe", 0.0, 3000.0, OCT_5);
    app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("yaohe", &track, OCT_5, end))
        .await
        .expect_error(403, "forbidden");
    let inspector = app.login("tf0101.safety").await;
    app.json_as("POST", Some(&inspector), "/api/v1/patrols", &log("yaohe", &track, OCT_5, end))
        .await
        .expect_error(403, "forbidden");
    assert_eq!(count(&app, "patrols"), 0);
}

#[tokio::test]
async fn a_village_chief_cannot_review_a_town_chiefs_log_but_the_town_chief_reviews_theirs() {
    let app = TestApp::demo().await;
    let town = app.login("chief.mihe").await;
    let town_log = file_valid(&app, &town, OCT_5).await;
    let reach = gridsafe::spatial::Maps::reaches_of(&app.app.maps(), "mihe").next().unwrap().code.clone();
    let village = app.login(&village_chief(&reach)).await;
    let code = town_log["code"].as_str().unwrap();
    let review = json!({"decision": "approve", "comment": "同意"});
    app.json_as("POST", Some(&village), &format!("/api/v1/patrols/{code}/review"), &review)
        .await
        .expect_error(403, "forbidden");
    app.get_as(&village, &format!("/api/v1/patrols/{code}")).await.expect_error(404, "not_found");
    // The town chief cannot review their own log either; the 河长办 (admin) can.
    app.json_as("POST", Some(&town), &format!("/api/v1/patrols/{code}/review"), &review)
        .await
        .expect_error(403, "forbidden");

    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5 + 86_400);
    let village_log = app
        .json_as("POST", Some(&village), "/api/v1/patrols", &log("mihe", &track, OCT_5 + 86_400, end))
        .await
        .expect(201);
    assert_eq!(village_log["level"], "village");
    let code = village_log["code"].as_str().unwrap();
    let stale = axum::http::Request::post(format!("/api/v1/patrols/{code}/review"))
        .header("authorization", format!("Bearer {town}"))
        .header("content-type", "application/json")
        .header("if-match", "\"7\"")
        .body(axum::body::Body::from(review.to_string()))
        .unwrap();
    app.send(stale).await.expect_error(412, "stale");
    let returned = app
        .json_as(
            "POST",
            Some(&town),
            &format!("/api/v1/patrols/{code}/review"),
            &json!({"decision": "return", "comment": "轨迹不完整"}),
        )
        .await
        .expect(200);
    assert_eq!(returned["review_status"], "returned");
    assert_eq!(returned["review_comment"], "轨迹不完整");
    app.json_as("POST", Some(&town), &format!("/api/v1/patrols/{code}/review"), &review)
        .await
        .expect_error(409, "refused");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let audited: String =
        conn.query_row("SELECT comment FROM audit_log WHERE action = 'patrol_return'", [], |r| r.get(0)).unwrap();
    assert!(audited.contains(code) && audited.contains("轨迹不完整"), "{audited}");
}

#[tokio::test]
async fn a_finding_opens_a_river_case_on_the_right_reach() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let maps = app.app.maps();
    let reach = gridsafe::spatial::Maps::reaches_of(&maps, "mihe").nth(1).unwrap().clone();
    let spot = reach.line.0[0].0[reach.line.0[0].0.len() / 2];
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    let mut body = log("mihe", &track, OCT_5, end);
    body["findings"] = json!([{"type": "排污口", "title": "疑似偷排", "description": "岸边暗管排出灰色污水",
                              "lon": spot.x, "lat": spot.y, "photos": [photo(&app, &chief, 61).await]}]);
    let filed = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect(201);
    let number = filed["cases"][0].as_str().unwrap();
    let case = app.get_as(&chief, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["kind"], "river");
    assert_eq!(case["category"], "R-P06");
    assert_eq!(case["reach_code"], json!(reach.code));
    assert_eq!(case["grid_code"], json!(reach.grid.to_string()));
    // A finding without a photo is refused, and the whole log with it.
    let before = count(&app, "patrols");
    body["findings"][0]["photos"] = json!([]);
    let error = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect_error(400, "invalid");
    assert!(error["details"]["field"].as_str().unwrap_or_default().starts_with("findings[0]"), "{error}");
    assert_eq!(count(&app, "patrols"), before);
}

#[tokio::test]
async fn the_police_chief_records_the_outcome_of_a_referred_river_case() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let maps = app.app.maps();
    let reach = gridsafe::spatial::Maps::reaches_of(&maps, "mihe").next().unwrap().clone();
    let spot = reach.line.0[0].0[1];
    let case = json!({"kind": "river", "category": "R-P05", "grade": "general", "title": "河道内非法采砂",
                      "description": "夜间有采砂船作业", "lon": spot.x, "lat": spot.y,
                      "photos": [photo(&app, &chief, 62).await]});
    let number = crate::cases::file(&app, &chief, &case).await;
    let police = app.login("police.mihe").await;
    let outcome = json!({"action": "outcome", "outcome": "filed", "comment": "已立案侦查"});
    act(&app, &police, &number, None, outcome.clone()).await.expect_error(409, "conflict");
    act(&app, &chief, &number, None, json!({"action": "refer", "reason": "涉嫌非法采砂"})).await.expect(200);
    let other_police = app.login("police.yaohe").await;
    let refused = act(&app, &other_police, &number, None, outcome.clone()).await;
    assert!(refused.status == 403 || refused.status == 404, "{}", refused.status);
    let recorded = act(&app, &police, &number, None, outcome).await.expect(200);
    assert_eq!(recorded["police_referred"], true);
    assert_eq!(recorded["police_outcome"], "filed");
    let timeline: Vec<&str> =
        recorded["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["report", "refer", "outcome"]);
    act(&app, &police, &number, None, json!({"action": "outcome", "outcome": "invented"}))
        .await
        .expect_error(409, "conflict");
}

#[tokio::test]
async fn compliance_for_a_month_counts_valid_logs_against_the_target() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    file_valid(&app, &chief, OCT_5).await;
    file_valid(&app, &chief, OCT_5 + 7 * 86_400).await;
    let (track, end) = walk(&app, "mihe", 0.0, 500.0, OCT_5 + 8 * 86_400);
    app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, OCT_5 + 8 * 86_400, end))
        .await
        .expect(201);
    let admin = app.login("admin").await;
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    let lines = report["chiefs"].as_array().unwrap();
    let town = lines.iter().find(|l| l["username"] == "chief.mihe").unwrap();
    assert_eq!(town["required"], 3);
    assert_eq!(town["valid_done"], 2);
    assert_eq!(town["invalid"], 1);
    assert!((town["rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let first = &town["reaches"][0];
    assert!(first["share"].as_f64().unwrap() > 0.5, "the walks cover much of the first reach: {first}");
    let untouched = town["reaches"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(untouched["share"], 0.0);
    let village = lines.iter().find(|l| l["level"] == "village" && l["river"] == "mihe").unwrap();
    assert_eq!((village["required"].as_u64(), village["valid_done"].as_u64()), (Some(4), Some(0)));
    // The chief sees their own line and those below; a November report is empty of logs.
    let own = app.get_as(&chief, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    let own = own["chiefs"].as_array().unwrap();
    assert!(!own.is_empty(), "the chief sees at least their own line");
    assert!(own.iter().all(|l| l["river"] == "mihe"));
    app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-13").await.expect_error(400, "invalid");

    // The same figures from the command line, and the PDFs.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["patrols", "compliance", "--month", "2026-10", "--json", "--db"])
        .arg(app.db_path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let cli: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cli["chiefs"], report["chiefs"]);
    let pdf = app.get_bytes_as(&admin, "/api/v1/rivers/mihe/report.pdf?month=2026-10").await;
    assert!(pdf.starts_with(b"%PDF"));
    let logs = app.get_as(&chief, "/api/v1/patrols?month=2026-10").await.expect(200);
    let code = logs["patrols"][0]["code"].as_str().unwrap().to_owned();
    assert!(logs["patrols"][0].get("track").is_none(), "lists leave the tracks out");
    let pdf = app.get_bytes_as(&chief, &format!("/api/v1/patrols/{code}/pdf")).await;
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let text: String = doc.extract_text(&[1]).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("巡河日志") && text.contains(&code) && text.contains("弥河"), "{text}");
}

#[tokio::test]
async fn bad_tracks_are_refused_with_a_clear_error_and_nothing_stored() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    let good = log("mihe", &track, OCT_5, end);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = good.clone();
        f(&mut body);
        body
    };
    let cases: Vec<(Value, u16)> = vec![
        (with(&|b| b["track"] = json!({"type": "LineString", "coordinates": "nope"})), 400),
        (with(&|b| b["track"] = json!({"type": "LineString", "coordinates": [[118.6, 36.7]]})), 400),
        (with(&|b| b["track"] = json!({"type": "LineString", "coordinates": [[118.6, 36.7], [218.6, 36.7]]})), 400),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("track");
                b["gpx"] = json!("<gpx><trk><trkseg><trkpt lat=\"36.7\"");
            }),
            400,
        ),
        (with(&|b| b["ended_at"] = json!(rfc3339(OCT_5 - 60))), 400),
        (with(&|b| b["started_at"] = json!("yesterday")), 400),
        (with(&|b| b["river"] = json!("nile")), 400),
        (with(&|b| b["checklist"] = json!([{"type": "天气", "status": "normal"}])), 400),
    ];
    for (body, status) in cases {
        let response = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await;
        assert_eq!(response.status, status, "{body:.200} → {}", response.text);
        assert!(response.json()["error"]["message"].is_string());
    }
    // Beyond the documented point limit: 413.
    let many: Vec<[f64; 2]> =
        (0..=gridsafe::spatial::track_input::MAX_TRACK_POINTS).map(|i| [118.6 + i as f64 * 1e-6, 36.7]).collect();
    let body = with(&|b| b["track"] = json!({"type": "LineString", "coordinates": many}));
    app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect_error(413, "too_large");
    assert_eq!(count(&app, "patrols"), 0);
}

#[tokio::test]
async fn a_rule_changed_between_measuring_and_filing_is_the_one_applied() {
    // Filing measures the track on a reader, then files on the writer; a
    // buffer rule changed in between must still decide the verdict.
    let app = TestApp::demo().await;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    let input: gridsafe::service::patrols::PatrolInput =
        serde_json::from_value(log("mihe", &track, OCT_5, end)).unwrap();
    let maps = app.app.maps();
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let person = gridsafe::store::people::by_username(&conn, "chief.mihe").unwrap().unwrap();
    let today = gridsafe::domain::time::china_date(crate::helpers::NOW);
    let actor = gridsafe::service::accounts::actor_of(&conn, person, &today, &maps).unwrap().unwrap();
    let now = crate::helpers::NOW;
    let prepared = gridsafe::service::patrols::prepare(&conn, &maps, &actor, &input, now).unwrap();
    // As measured, the walk (3 m of GPS noise) keeps within the 500 m buffer.
    let as_measured = gridsafe::service::patrols::file_prepared(&conn, &maps, &actor, &input, &prepared, now).unwrap();
    assert!(as_measured.valid, "{:?}", as_measured.reasons);
    conn.execute("UPDATE patrol_rules SET buffer_m = 0.5 WHERE level = 'town'", []).unwrap();
    let later = OCT_5 + 86_400;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, later);
    let input: gridsafe::service::patrols::PatrolInput =
        serde_json::from_value(log("mihe", &track, later, end)).unwrap();
    let prepared = gridsafe::service::patrols::prepare(&conn, &maps, &actor, &input, now).unwrap();
    conn.execute("UPDATE patrol_rules SET buffer_m = 500 WHERE level = 'town'", []).unwrap();
    let filed = gridsafe::service::patrols::file_prepared(&conn, &maps, &actor, &input, &prepared, now).unwrap();
    assert!(filed.valid, "measured with a 0.5 m buffer, filed under 500 m: {:?}", filed.reasons);
    assert!(filed.off_river_share < 0.01, "{}", filed.off_river_share);
    // And the other way round: measured under 500 m, filed under 0.5 m.
    let last = OCT_5 + 2 * 86_400;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, last);
    let input: gridsafe::service::patrols::PatrolInput =
        serde_json::from_value(log("mihe", &track, last, end)).unwrap();
    let prepared = gridsafe::service::patrols::prepare(&conn, &maps, &actor, &input, now).unwrap();
    conn.execute("UPDATE patrol_rules SET buffer_m = 0.5 WHERE level = 'town'", []).unwrap();
    let filed = gridsafe::service::patrols::file_prepared(&conn, &maps, &actor, &input, &prepared, now).unwrap();
    assert!(!filed.valid);
    assert!(filed.off_river_share > 0.5, "{}", filed.off_river_share);
}

/// 2026-11-10T08:30:00+08:00 (before the tests' fixed now, 2026-11-18).
const NOV_10: i64 = 1_794_270_600;

/// A GPX log body with the given declared start and end.
fn gpx_log(river: &str, track: &Value, started_s: i64, ended_s: i64) -> Value {
    let mut body = log(river, &Value::Null, started_s, ended_s);
    body.as_object_mut().unwrap().remove("track");
    body["gpx"] = json!(gpx_of(track));
    body
}

/// The track with its points and times changed by `f(index, [lon, lat], time)`.
fn altered(track: &Value, f: &dyn Fn(usize, &mut [f64; 2], &mut i64)) -> Value {
    let mut track = track.clone();
    let coordinates = track["geometry"]["coordinates"].as_array().unwrap().clone();
    let times = track["properties"]["times"].as_array().unwrap().clone();
    let mut new_coordinates = Vec::new();
    let mut new_times = Vec::new();
    for (i, (c, t)) in coordinates.iter().zip(&times).enumerate() {
        let mut point = [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()];
        let mut time = t.as_i64().unwrap();
        f(i, &mut point, &mut time);
        new_coordinates.push(json!(point));
        new_times.push(json!(time));
    }
    track["geometry"]["coordinates"] = json!(new_coordinates);
    track["properties"]["times"] = json!(new_times);
    track
}

fn compliance_of(report: &Value, username: &str) -> (u64, u64) {
    let line = report["chiefs"].as_array().unwrap().iter().find(|l| l["username"] == username).unwrap();
    (line["valid_done"].as_u64().unwrap(), line["invalid"].as_u64().unwrap())
}

#[tokio::test]
async fn a_gpx_log_declared_the_day_after_its_fixes_does_not_count() {
    // The case found: yesterday's GPX filed again with today's start and end.
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, NOV_10);
    let first =
        app.json_as("POST", Some(&chief), "/api/v1/patrols", &gpx_log("mihe", &track, NOV_10, end)).await.expect(201);
    assert_eq!(first["valid"], true, "{}", first["reasons"]);
    let day = 86_400;
    let next_day = gpx_log("mihe", &track, NOV_10 + day, end + day);
    assert_eq!(next_day["started_at"], "2026-11-11T08:30:00+08:00");
    let second = app.json_as("POST", Some(&chief), "/api/v1/patrols", &next_day).await.expect(201);
    assert_eq!(second["valid"], false);
    let reasons: Vec<&Value> = second["reasons"].as_array().unwrap().iter().collect();
    let zh: Vec<&str> = reasons.iter().map(|r| r["zh"].as_str().unwrap()).collect();
    let en: Vec<&str> = reasons.iter().map(|r| r["en"].as_str().unwrap()).collect();
    assert!(zh.iter().any(|r| r.contains("开始时间 2026-11-11 08:30") && r.contains("2026-11-10 08:30")), "{zh:?}");
    assert!(en.iter().any(|r| r.contains("declared start") && r.contains("1440 min")), "{en:?}");
    assert!(en.iter().any(|r| r.contains("declared end")), "{en:?}");
    let code = first["code"].as_str().unwrap();
    assert!(zh.iter().any(|r| r.contains(code)) && en.iter().any(|r| r.contains(code)), "{zh:?}");
    // Stored like any other reason, and compliance counts the walk once.
    let stored = app.get_as(&chief, &format!("/api/v1/patrols/{}", second["code"].as_str().unwrap())).await;
    assert_eq!(stored.expect(200)["reasons"], second["reasons"]);
    let admin = app.login("admin").await;
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-11").await.expect(200);
    assert_eq!(compliance_of(&report, "chief.mihe"), (1, 1));

    // Fixes without times cannot disagree: the declared times stand.
    let start = NOV_10 + 2 * day;
    let (timed, end) = walk(&app, "mihe", 0.0, 3000.0, start);
    let untimed = log("mihe", &timed["geometry"], start, end);
    let filed = app.json_as("POST", Some(&chief), "/api/v1/patrols", &untimed).await.expect(201);
    assert_eq!(filed["valid"], true, "{}", filed["reasons"]);
    // A start four minutes before the first fix is within the tolerance.
    let start = NOV_10 + 3 * day;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, start);
    let early = app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, start - 240, end)).await;
    assert_eq!(early.expect(201)["valid"], true);
}

#[tokio::test]
async fn the_same_track_filed_again_by_anyone_does_not_count_and_names_the_first() {
    let app = TestApp::demo().await;
    let town = app.login("chief.mihe").await;
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    let body = log("mihe", &track, OCT_5, end);
    let first = app.json_as("POST", Some(&town), "/api/v1/patrols", &body).await.expect(201);
    assert_eq!(first["valid"], true, "{}", first["reasons"]);
    let code = first["code"].as_str().unwrap();
    let again = app.json_as("POST", Some(&town), "/api/v1/patrols", &body).await.expect(201);
    assert_eq!(again["valid"], false);
    assert!(
        again["reasons"].to_string().contains(&format!("轨迹与巡河日志 {code} 的定位点完全相同")),
        "{}",
        again["reasons"]
    );
    // The village chief of the first reach files the same walk: also a repeat of the first log.
    let reach = gridsafe::spatial::Maps::reaches_of(&app.app.maps(), "mihe").next().unwrap().code.clone();
    let village = app.login(&village_chief(&reach)).await;
    let theirs = app.json_as("POST", Some(&village), "/api/v1/patrols", &body).await.expect(201);
    assert_eq!(theirs["valid"], false);
    assert!(theirs["reasons"].to_string().contains(code), "{}", theirs["reasons"]);
    // Moved about 8 m north (beyond what a replay check forgives) but at the
    // same time: the same walk filed as two.
    let moved = altered(&track, &|_, p, _| p[1] += 0.00007);
    let same_walk = app.json_as("POST", Some(&village), "/api/v1/patrols", &log("mihe", &moved, OCT_5, end)).await;
    let same_walk = same_walk.expect(201);
    assert_eq!(same_walk["valid"], false);
    let reasons = same_walk["reasons"].to_string();
    assert!(reasons.contains("同一时间") && reasons.contains(code), "{reasons}");
    let admin = app.login("admin").await;
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    assert_eq!(compliance_of(&report, "chief.mihe"), (1, 1));
    assert_eq!(compliance_of(&report, &village_chief(&reach)), (0, 2));
}

#[tokio::test]
async fn an_old_track_refiled_with_new_times_is_caught_even_moved_a_little() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let first = file_valid(&app, &chief, OCT_5).await;
    assert_eq!(first["valid"], true, "{}", first["reasons"]);
    let code = first["code"].as_str().unwrap();
    let (track, end) = walk(&app, "mihe", 0.0, 3000.0, OCT_5);
    // The same fixes a week later, every time shifted: the declared times agree with the new ones.
    let week = 7 * 86_400;
    let shifted = altered(&track, &|_, _, t| *t += week);
    let body = log("mihe", &shifted, OCT_5 + week, end + week);
    let refiled = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect(201);
    assert_eq!(refiled["valid"], false);
    let reasons = refiled["reasons"].to_string();
    assert!(reasons.contains("完全相同") && reasons.contains(code), "{reasons}");
    assert!(!reasons.contains("开始时间"), "the times agree with each other: {reasons}");
    // Two weeks later, every fix moved by up to a metre and the clock shifted
    // by 3 s a fix: no longer the same fixes, but the same track.
    let jitter = |i: usize| ((i * 7919 % 17) as f64 - 8.0) * 1e-6;
    let moved = altered(&track, &|i, p, t| {
        p[0] += jitter(i);
        p[1] += jitter(i + 5);
        *t += 2 * week + i as i64 * 3;
    });
    let last = moved["properties"]["times"].as_array().unwrap().last().unwrap().as_i64().unwrap();
    let body = log("mihe", &moved, OCT_5 + 2 * week, last);
    let copy = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect(201);
    assert_eq!(copy["valid"], false);
    let en = copy["reasons"].to_string();
    assert!(en.contains("几乎重合") && en.contains("retraces patrol log") && en.contains(code), "{en}");
    let admin = app.login("admin").await;
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    assert_eq!(compliance_of(&report, "chief.mihe"), (1, 2));
}

#[tokio::test]
async fn two_walks_of_the_same_stretch_on_different_days_both_count() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let reach = gridsafe::spatial::Maps::reaches_of(&app.app.maps(), "mihe").next().unwrap().code.clone();
    let village = app.login(&village_chief(&reach)).await;
    for (token, start) in [(&chief, OCT_5), (&chief, OCT_5 + 3 * 86_400), (&village, OCT_5 + 5 * 86_400)] {
        let (track, end) = walk(&app, "mihe", 0.0, 3000.0, start);
        let filed = app.json_as("POST", Some(token), "/api/v1/patrols", &log("mihe", &track, start, end)).await;
        let filed = filed.expect(201);
        assert_eq!(filed["valid"], true, "{start}: {}", filed["reasons"]);
    }
    let admin = app.login("admin").await;
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    assert_eq!(compliance_of(&report, "chief.mihe"), (2, 0));
    assert_eq!(compliance_of(&report, &village_chief(&reach)), (1, 0));
}
