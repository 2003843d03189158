//! The river chiefs' pages rendered in-process: the recorder's choices, the
//! upload that works without JavaScript, 巡河记录 with its progress meter, the
//! review queue and the log page's review and resubmission forms, the river
//! page with its chiefs, and the police chief's leads. Each write goes through
//! the service the JSON API uses, so the API reads back what the page did.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::cases::{act, photo};
use crate::helpers::{NOW, TestApp, TestResponse};

/// 2026-11-18T08:00:00+08:00, the morning of the tests' day.
const MORNING: i64 = NOW - 16 * 3600 - 26 * 60 - 40 + 8 * 3600;

fn csrf(page: &TestResponse) -> String {
    let at = page.text.find("data-csrf=\"").expect("a signed-in page carries its CSRF token") + 11;
    page.text[at..at + 32].to_owned()
}

/// The first reach of the town whose village has a chief, with that chief's
/// and the community chief's usernames.
fn chaired_reach(app: &TestApp) -> (gridsafe::spatial::reach::Reach, String, String) {
    let maps = app.app.maps();
    let unchaired = maps.reaches_of("zhulonghe").next().map(|r| r.code.clone());
    let reach = maps.reaches().iter().find(|r| Some(&r.code) != unchaired.as_ref()).unwrap().clone();
    let village = reach.grid.to_string().to_ascii_lowercase();
    let community = village[..4].to_owned();
    (reach, format!("{village}.chief"), format!("{community}.chief"))
}

/// A walk along a reach's own line at 4 km/h from `start_s`, with times.
fn walk_reach(reach: &gridsafe::spatial::reach::Reach, start_s: i64) -> (Value, i64) {
    let coords: Vec<[f64; 2]> = reach.line.0.iter().flat_map(|l| l.0.iter().map(|c| [c.x, c.y])).collect();
    let mut times = vec![start_s];
    for pair in coords.windows(2) {
        let metres = gridsafe::spatial::distance_m(
            gridsafe::domain::geo_point::Lonlat::parse(pair[0][0], pair[0][1]).unwrap(),
            gridsafe::domain::geo_point::Lonlat::parse(pair[1][0], pair[1][1]).unwrap(),
        );
        let last = *times.last().unwrap();
        times.push(last + ((metres / (4000.0 / 3600.0)).ceil() as i64).max(1));
    }
    let end = *times.last().unwrap();
    (
        json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}, "properties": {"times": times}}),
        end,
    )
}

fn rfc3339(unix_s: i64) -> String {
    gridsafe::domain::time::china_timestamp(unix_s)
}

#[tokio::test]
async fn the_recorder_offers_a_chief_their_own_rivers_and_reaches_and_refuses_an_inspector() {
    let app = TestApp::demo().await;
    let (reach, village_chief, _) = chaired_reach(&app);
    let chief = app.login(&village_chief).await;
    let page = app.page(&chief, "/patrol").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let at = page.text.find("id=\"patrol-choices\"").map(|i| i + page.text[i..].find('>').unwrap() + 1).unwrap();
    let end = page.text[at..].find("</script>").unwrap();
    let choices: Value =
        serde_json::from_str(&page.text[at..at + end]).unwrap_or_else(|e| panic!("{e}: {}", &page.text[at..at + end]));
    let rivers: Vec<&str> = choices.as_array().unwrap().iter().map(|c| c["river"].as_str().unwrap()).collect();
    assert!(rivers.contains(&reach.river.as_str()), "{choices}");
    for choice in choices.as_array().unwrap() {
        assert_eq!(choice["level"], "village");
        for held in choice["reaches"].as_array().unwrap() {
            assert!(held[0].as_str().unwrap().contains(&reach.grid.to_string()), "only their own reaches: {held}");
        }
    }
    assert!(page.text.contains("patrol.") && page.text.contains("/assets/patrol."), "the recorder script loads");
    assert!(page.text.contains("href=\"/patrol\"") && page.text.contains("开始巡河"), "the main button");
    let inspector = app.login("tf0101.safety").await;
    assert_eq!(app.page(&inspector, "/patrol").await.status, 403);
    assert_eq!(app.page(&inspector, "/patrols/new").await.status, 403);
}

/// Posts the upload form (multipart, the CSRF token in the action URL).
async fn upload(app: &TestApp, token: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> TestResponse {
    let form = app.page(token, "/patrols/new").await;
    assert_eq!(form.status, 200, "{}", form.text);
    let boundary = "gridsafe-patrol-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"track\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post(format!("/patrols/new?csrf={}", csrf(&form)))
        .header("cookie", format!("gridsafe_session={token}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn a_track_file_uploaded_without_javascript_is_filed_once_and_a_bad_one_is_answered_beside_its_field() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let (points, times) = gridsafe::demo::walk_river(&app.app.maps(), "mihe", (0.0, 3000.0), 4.0, MORNING, (3.0, 7));
    let coordinates: Vec<[f64; 2]> = points.iter().map(|p| [p.0, p.1]).collect();
    let track = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates},
                       "properties": {"times": times}})
    .to_string();
    let key = "5b0e2a4c-1111-4f2b-9a57-000000000001";
    let fields = [
        ("key", key),
        ("river", "mihe"),
        ("checklist.0.type", "水体"),
        ("checklist.0.status", "normal"),
        ("notes", "上传的轨迹"),
    ];

    // No file: the error is beside the file field and the notes are kept.
    let refused = upload(&app, &chief, &fields, None).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("id=\"error-track\"") && refused.text.contains("上传的轨迹"), "{}", refused.text);
    let garbage = upload(&app, &chief, &fields, Some(("walk.json", b"{\"type\": \"Point\"}"))).await;
    assert_eq!(garbage.status, 400);
    assert!(garbage.text.contains("id=\"error-track\""), "{}", garbage.text);

    // A GeoJSON file with times: the start and end come from the fixes.
    let filed = upload(&app, &chief, &fields, Some(("walk.geojson", track.as_bytes()))).await;
    assert_eq!(filed.status, 303, "{}", filed.text);
    let location = filed.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/patrols/XH-2026-"), "{location}");
    let again = upload(&app, &chief, &fields, Some(("walk.geojson", track.as_bytes()))).await;
    assert_eq!(again.headers["location"], location.as_str(), "the same draft key files once");
    let code = location.trim_start_matches("/patrols/");
    let log = app.get_as(&chief, &format!("/api/v1/patrols/{code}")).await.expect(200);
    assert_eq!(log["valid"], true, "{log}");
    assert_eq!(log["notes"], "上传的轨迹");
    assert_eq!(log["started_s"], times[0]);
    // The log page shows what was measured, and its map reads the same log.
    let page = app.page(&chief, &location).await;
    assert_eq!(page.status, 200);
    let km = format!("{:.2} km", log["distance_m"].as_f64().unwrap() / 1000.0);
    assert!(page.text.contains(&km) && page.text.contains("有效"), "{km}");
    assert!(page.text.contains(&format!("data-patrol=\"{code}\"")));
    assert!(page.text.contains("0 处，共 0 分钟"), "a walk without breaks has no gaps");
    // And 巡河记录 lists it, with the month's progress as the API counts it.
    let mine = app.page(&chief, "/patrols").await;
    assert!(mine.text.contains(code), "{}", mine.text);
    let compliance = app.get_as(&chief, "/api/v1/patrols/compliance?month=2026-11").await.expect(200);
    let line = compliance["chiefs"].as_array().unwrap().iter().find(|l| l["username"] == "chief.mihe").unwrap();
    let meter = format!("<strong>{} / {}</strong>", line["valid_done"], line["required"]);
    assert!(mine.text.contains(&meter), "{meter} in {}", mine.text);
}

/// Posts a form on a log page with the page's CSRF token and version.
async fn post_on_log(app: &TestApp, token: &str, code: &str, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let page = app.page(token, &format!("/patrols/{code}")).await;
    let at = page.text.find("name=\"version\" value=\"").expect("a form with the version") + 22;
    let version = page.text[at..at + page.text[at..].find('"').unwrap()].to_owned();
    let token_field = csrf(&page);
    let mut all: Vec<(&str, &str)> = vec![("csrf", &token_field), ("version", &version)];
    all.extend_from_slice(fields);
    app.post_form(Some(token), &format!("/patrols/{code}/{path}"), &all).await
}

#[tokio::test]
async fn the_community_chief_returns_a_village_chiefs_log_and_approves_it_once_it_is_completed() {
    let app = TestApp::demo().await;
    let (reach, village_chief, community_chief) = chaired_reach(&app);
    let chief = app.login(&village_chief).await;
    let (track, end) = walk_reach(&reach, MORNING);
    let body = json!({"river": reach.river.to_string(), "started_at": rfc3339(MORNING), "ended_at": rfc3339(end),
                      "track": track, "checklist": [{"type": "水体", "status": "normal"}]});
    let filed = app.json_as("POST", Some(&chief), "/api/v1/patrols", &body).await.expect(201);
    let code = filed["code"].as_str().unwrap().to_owned();

    // The village chief may not review their own log; the community chief sees it waiting.
    let own = app.page(&chief, &format!("/patrols/{code}")).await;
    assert!(!own.text.contains("id=\"review\""), "no review form for the chief themself");
    let reviewer = app.login(&community_chief).await;
    let queue = app.page(&reviewer, "/patrols/review").await;
    assert!(queue.text.contains(&code), "{}", queue.text);
    let log_page = app.page(&reviewer, &format!("/patrols/{code}")).await;
    assert!(log_page.text.contains("id=\"review\""), "{}", log_page.text);

    // A return without a comment is answered beside the comment field.
    let empty = post_on_log(&app, &reviewer, &code, "review", &[("decision", "return"), ("comment", " ")]).await;
    assert_eq!(empty.status, 400, "{}", empty.text);
    assert!(empty.text.contains("id=\"error-comment\""), "{}", empty.text);
    let returned =
        post_on_log(&app, &reviewer, &code, "review", &[("decision", "return"), ("comment", "请补充河岸情况")]).await;
    assert_eq!(
        (returned.status.as_u16(), returned.headers["location"].to_str().unwrap()),
        (303, format!("/patrols/{code}").as_str())
    );
    assert_eq!(app.get_as(&chief, &format!("/api/v1/patrols/{code}")).await.expect(200)["review_status"], "returned");

    // The chief completes the checklist and sends it back; only they may.
    let stranger = app.login("chief.mihe").await;
    let refused = app.json_as("POST", Some(&stranger), &format!("/api/v1/patrols/{code}/resubmit"), &json!({})).await;
    assert!(refused.status == 403 || refused.status == 404, "{}", refused.status);
    let page = app.page(&chief, &format!("/patrols/{code}")).await;
    assert!(page.text.contains("id=\"resubmit\"") && page.text.contains("请补充河岸情况"), "{}", page.text);
    let fields = [
        ("checklist.0.type", "水体"),
        ("checklist.0.status", "normal"),
        ("checklist.3.type", "河岸"),
        ("checklist.3.status", "finding"),
        ("checklist.3.note", "东岸有少量生活垃圾，已通知村里清理"),
        ("notes", "补充河岸情况"),
    ];
    let resubmitted = post_on_log(&app, &chief, &code, "resubmit", &fields).await;
    assert_eq!(resubmitted.status, 303, "{}", resubmitted.text);
    let log = app.get_as(&chief, &format!("/api/v1/patrols/{code}")).await.expect(200);
    assert_eq!(log["review_status"], "pending");
    assert_eq!(log["notes"], "补充河岸情况");
    assert_eq!(log["checklist"][1]["note"], "东岸有少量生活垃圾，已通知村里清理", "{}", log["checklist"]);
    assert_eq!(log["track"], filed["track"], "the track stays as filed");

    let approved = post_on_log(&app, &reviewer, &code, "review", &[("decision", "approve"), ("comment", "同意")]).await;
    assert_eq!(approved.status, 303, "{}", approved.text);
    assert_eq!(app.get_as(&chief, &format!("/api/v1/patrols/{code}")).await.expect(200)["review_status"], "approved");
    assert!(!app.page(&reviewer, "/patrols/review").await.text.contains(&code), "no longer waiting");
    // Each step is in the hash chain.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM audit_log WHERE action LIKE 'patrol%' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        actions.iter().rev().take(3).rev().collect::<Vec<_>>(),
        ["patrol_return", "patrol_resubmit", "patrol_approve"]
    );
}

#[tokio::test]
async fn the_river_page_names_each_reachs_chiefs_as_the_api_does_and_the_police_chief_sees_the_leads() {
    let app = TestApp::demo().await;
    let river = app.get("/api/v1/rivers/mihe").await.expect(200);
    let chiefs = river["chiefs"].as_array().unwrap();
    assert!(chiefs.iter().any(|c| c["level"] == "town"), "{chiefs:?}");
    assert!(chiefs.iter().any(|c| c["level"] == "police"), "{chiefs:?}");
    let page = app.get("/rivers/mihe").await;
    assert_eq!(page.status, 200, "{}", page.text);
    for chief in chiefs {
        assert!(page.text.contains(chief["name"].as_str().unwrap()), "{chief}");
    }
    for reach in river["reaches"]["features"].as_array().unwrap() {
        let code = reach["properties"]["code"].as_str().unwrap();
        assert!(page.text.contains(&format!("<td>{code}</td>")), "{code}");
        for name in reach["properties"]["chiefs"].as_array().unwrap() {
            assert!(page.text.contains(name.as_str().unwrap()));
        }
    }
    assert!(!page.text.contains("XH-2026"), "no patrol of anyone's to the public");

    // A river case referred to the police is a lead waiting for its outcome.
    let chief = app.login("chief.mihe").await;
    let maps = app.app.maps();
    let spot = maps.reaches_of("mihe").next().unwrap().line.0[0].0[1];
    let case = json!({"kind": "river", "category": "R-P05", "grade": "general", "title": "河道内非法采砂",
                      "description": "夜间有采砂船作业", "lon": spot.x, "lat": spot.y,
                      "photos": [photo(&app, &chief, 63).await]});
    let number = crate::cases::file(&app, &chief, &case).await;
    act(&app, &chief, &number, None, json!({"action": "refer", "reason": "涉嫌非法采砂"})).await.expect(200);
    let police = app.login("police.mihe").await;
    let leads = app.page(&police, "/leads").await;
    assert_eq!(leads.status, 200);
    let waiting = &leads.text[..leads.text.find("已处置").unwrap()];
    assert!(waiting.contains(&number), "{}", leads.text);
    act(&app, &police, &number, None, json!({"action": "outcome", "outcome": "filed", "comment": "已立案"}))
        .await
        .expect(200);
    let leads = app.page(&police, "/leads").await;
    let (waiting, done) = leads.text.split_at(leads.text.find("已处置").unwrap());
    assert!(!waiting.contains(&number) && done.contains(&number));
    let other = app.login("police.yaohe").await;
    assert!(!app.page(&other, "/leads").await.text.contains(&number), "another river's police chief");
    // Signed in, the river page lists the river's open cases in scope.
    let admin = app.login("admin").await;
    assert!(app.page(&admin, "/rivers/mihe").await.text.contains(&number));
}
