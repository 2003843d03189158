//! The town office's pages of issue 14: the patrol rules settings (edited
//! through the form and the API, audited, used by the next filing), the
//! documents of a month with their archive, patrol compliance, and joint
//! notices from the dispatch queue, each checked against the API or the
//! database it must agree with.

use std::io::Read;

use serde_json::{Value, json};

use crate::cases::{act, count, registered};
use crate::helpers::{TestApp, TestResponse};
use crate::patrols::{OCT_5, file_valid, log, walk};

/// The session's CSRF token, as the page gives it to its forms.
fn csrf(page: &TestResponse) -> String {
    let at = page.text.find("data-csrf=\"").expect("a signed-in page carries its CSRF token") + 11;
    page.text[at..at + 32].to_owned()
}

/// The `value` of the input named `name` on a page.
fn input_value(page: &TestResponse, name: &str) -> String {
    let at = page.text.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no input {name}"));
    let rest = &page.text[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

fn audit_intact(app: &TestApp) {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let verified = gridsafe::store::audit::verify(&conn).unwrap();
    assert!(verified.is_ok(), "{verified:?}");
}

#[tokio::test]
async fn the_settings_page_shows_every_levels_rules_as_stored() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let page = app.page(&admin, "/settings/patrols").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("巡河规则") && page.text.contains("镇级河长") && page.text.contains("村级河长"));
    let api = app.get_as(&admin, "/api/v1/settings/patrol-rules").await.expect(200);
    for level in api["levels"].as_array().unwrap() {
        for field in gridsafe::domain::patrol::RULE_FIELDS {
            let name = format!("{}.{}", level["level"].as_str().unwrap(), field.name);
            let shown: f64 = input_value(&page, &name).parse().unwrap();
            let stored = level[field.name].as_f64().unwrap();
            assert!((shown - stored).abs() < 1e-9, "{name}: {shown} shown, {stored} stored");
        }
    }
    assert_eq!(input_value(&page, "village.per_month"), "4");
    assert_eq!(input_value(&page, "town.min_minutes"), "30");
}

#[tokio::test]
async fn a_longer_minimum_saved_through_the_form_makes_the_next_patrol_invalid_and_is_audited() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    let before = file_valid(&app, &chief, OCT_5).await;
    assert_eq!(before["valid"], true, "a 45-minute walk counts under the 30-minute minimum: {before}");

    let admin = app.login("admin").await;
    let page = app.page(&admin, "/settings/patrols").await;
    let version = input_value(&page, "version");
    let fields = [("csrf", csrf(&page)), ("version", version.clone()), ("town.min_minutes", "60".into())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = app.post_form(Some(&admin), "/settings/patrols", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(saved.headers["location"], "/settings/patrols?saved=1");
    let shown = app.page(&admin, "/settings/patrols?saved=1").await;
    assert!(shown.text.contains("巡河规则已保存"));
    assert_eq!(input_value(&shown, "town.min_minutes"), "60");
    assert_ne!(input_value(&shown, "version"), version, "the version moved on");

    // The same 45-minute walk a week later no longer counts; the first keeps its verdict.
    let after = file_valid(&app, &chief, OCT_5 + 7 * 86_400).await;
    assert_eq!(after["valid"], false, "{after}");
    let reasons = after["reasons"].to_string();
    assert!(reasons.contains("60"), "the reason names the new minimum: {reasons}");
    let first = app.get_as(&chief, &format!("/api/v1/patrols/{}", before["code"].as_str().unwrap())).await.expect(200);
    assert_eq!(first["valid"], true);

    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (comment, from, to): (String, String, String) = conn
        .query_row("SELECT comment, from_status, to_status FROM audit_log WHERE action = 'patrol_rules'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert!(comment.contains("镇级河长最短时长 30 → 60 分钟"), "{comment}");
    assert_eq!((from.as_str(), to.as_str()), ("v1", "v2"));
    drop(conn);
    audit_intact(&app);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["audit", "verify", "--db"])
        .arg(app.db_path())
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
}

#[tokio::test]
async fn a_value_out_of_bounds_is_named_beside_its_field_and_nothing_changes() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let page = app.page(&admin, "/settings/patrols").await;
    let token = csrf(&page);
    let zero = app
        .post_form(
            Some(&admin),
            "/settings/patrols",
            &[("csrf", &token), ("version", "1"), ("town.min_minutes", "45"), ("village.max_speed_kmh", "0")],
        )
        .await;
    assert_eq!(zero.status, 400, "{}", zero.text);
    let error = zero.text.find("id=\"error-village.max_speed_kmh\"").expect("the error sits beside its field");
    let field = zero.text.find("name=\"village.max_speed_kmh\"").unwrap();
    assert!(error > field && error - field < 600, "right after the field");
    assert!(zero.text.contains("村级河长最高速度须为 1–120 公里/小时的数值"), "{}", zero.text);
    assert_eq!(input_value(&zero, "village.max_speed_kmh"), "0", "the typed value is kept");
    assert_eq!(input_value(&zero, "town.min_minutes"), "45", "and so are the others");

    let words =
        app.post_form(Some(&admin), "/settings/patrols", &[("csrf", &token), ("community.per_month", "two")]).await;
    assert_eq!(words.status, 400);
    assert!(words.text.contains("id=\"error-community.per_month\"") && words.text.contains("不是数字"));
    let half =
        app.post_form(Some(&admin), "/settings/patrols", &[("csrf", &token), ("community.per_month", "2.5")]).await;
    assert!(half.text.contains("整数"), "{}", half.text);

    let api = app.get_as(&admin, "/api/v1/settings/patrol-rules").await.expect(200);
    assert_eq!(api["version"], 1, "nothing was saved");
    assert_eq!(api["levels"][0]["min_minutes"], 30.0);
    let english = app
        .json_as("PATCH", Some(&admin), "/api/v1/settings/patrol-rules", &json!({"town": {"buffer_m": 1}}))
        .await
        .expect_error(400, "invalid");
    assert_eq!(english["details"]["field"], "town.buffer_m", "{english}");
}

#[tokio::test]
async fn only_the_town_office_reads_or_changes_the_rules() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    assert_eq!(app.page(&chief, "/settings/patrols").await.status, 403);
    let page = app.page(&chief, "/").await;
    let refused =
        app.post_form(Some(&chief), "/settings/patrols", &[("csrf", &csrf(&page)), ("town.min_minutes", "1")]).await;
    assert_eq!(refused.status, 403);
    app.get_as(&chief, "/api/v1/settings/patrol-rules").await.expect_error(403, "forbidden");
    app.json_as("PATCH", Some(&chief), "/api/v1/settings/patrol-rules", &json!({"town": {"min_minutes": 1}}))
        .await
        .expect_error(403, "forbidden");
    let admin = app.login("admin").await;
    let api = app.get_as(&admin, "/api/v1/settings/patrol-rules").await.expect(200);
    assert_eq!(api["levels"][0]["min_minutes"], 30.0, "the refused changes did nothing");
}

#[tokio::test]
async fn the_api_changes_a_rule_with_if_match_and_refuses_a_stale_version() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let patch = |version: i64, value: f64| {
        let body = json!({"village": {"per_month": value}}).to_string();
        axum::http::Request::patch("/api/v1/settings/patrol-rules")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .header("if-match", format!("\"{version}\""))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let changed = app.send(patch(1, 5.0)).await;
    let body = changed.expect(200);
    assert_eq!(body["version"], 2);
    assert_eq!(changed.headers["etag"], "\"2\"");
    assert_eq!(body["levels"][2]["per_month"], 5);
    app.send(patch(1, 6.0)).await.expect_error(412, "stale");
    let report = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    let village = report["chiefs"].as_array().unwrap().iter().find(|l| l["level"] == "village").unwrap().clone();
    assert_eq!(village["required"], 5, "compliance uses the new target");
    audit_intact(&app);
}

/// The codes the documents page lists, in order.
fn listed_codes(page: &TestResponse) -> Vec<String> {
    page.text.split("data-code=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).collect()
}

#[tokio::test]
async fn the_documents_of_a_month_are_those_the_database_has_and_the_archive_holds_them_all() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 3).await;
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械 设备科", "measures": "加装防护罩",
                          "deadline": "2099-12-31"});
    act(&app, &admin, &number, None, dispatch).await.expect(200);
    let chief = app.login("chief.mihe").await;
    file_valid(&app, &chief, OCT_5).await; // October: not in November's list
    let nov = OCT_5 + 40 * 86_400;
    let (track, end) = walk(&app, "mihe", 500.0, 2500.0, nov);
    app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, nov, end)).await.expect(201);

    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let codes = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut expected = codes("SELECT code FROM documents WHERE substr(issued_at, 1, 7) = '2026-11' ORDER BY id");
    assert_eq!(expected.len(), 1, "the dispatch issued one notice this month");
    expected.extend(codes("SELECT code FROM patrols WHERE month = '2026-11' ORDER BY started_s"));
    expected.push("mihe-2026-11".into());

    let page = app.page(&admin, "/documents?month=2026-11").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(listed_codes(&page), expected);
    assert!(page.text.contains(&format!("href=\"/cases/{number}\"")) && page.text.contains("世邦"));
    assert!(page.text.contains("href=\"/api/v1/documents.zip?month=2026-11\""));
    let api = app.get_as(&admin, "/api/v1/documents?month=2026-11").await.expect(200);
    let api_codes: Vec<&str> =
        api["documents"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(api_codes, expected);
    // Paged one and two at a time, across the sections: the same list, each once.
    for limit in [1, 2] {
        let (mut paged, mut after) = (Vec::new(), None::<String>);
        loop {
            let cursor = after.as_ref().map_or_else(String::new, |a| format!("&after={a}"));
            let page =
                app.get_as(&admin, &format!("/api/v1/documents?month=2026-11&limit={limit}{cursor}")).await.expect(200);
            let codes = page["documents"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_owned());
            paged.extend(codes);
            match page["next"].as_str() {
                Some(n) => after = Some(n.to_owned()),
                None => break,
            }
        }
        assert_eq!(paged, expected, "{limit} a page");
    }
    app.get_as(&admin, "/api/v1/documents?month=2026-11&after=nonsense").await.expect_error(400, "invalid");

    let bytes = app.get_bytes_as(&admin, "/api/v1/documents.zip?month=2026-11").await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    let mut files: Vec<String> =
        api["documents"].as_array().unwrap().iter().map(|d| d["file"].as_str().unwrap().to_owned()).collect();
    files.push("清单.csv".into());
    files.sort();
    assert_eq!(names, files);
    for d in api["documents"].as_array().unwrap() {
        let mut pdf = Vec::new();
        archive.by_name(d["file"].as_str().unwrap()).unwrap().read_to_end(&mut pdf).unwrap();
        let parsed = lopdf::Document::load_mem(&pdf).unwrap_or_else(|e| panic!("{}: {e}", d["file"]));
        assert!(!parsed.get_pages().is_empty());
        if d["kind"] == "notice" {
            let served = app.get_bytes_as(&admin, d["url"].as_str().unwrap()).await;
            assert_eq!(pdf, served, "the archive holds the notice's issued bytes");
        }
    }
    let mut list = String::new();
    archive.by_name("清单.csv").unwrap().read_to_string(&mut list).unwrap();
    assert_eq!(list.lines().count(), expected.len() + 1);

    let october = app.page(&admin, "/documents?month=2026-10").await;
    assert_eq!(listed_codes(&october).len(), 2, "October: one log and its river's report");
    assert_eq!(app.page(&admin, "/documents?month=2026-13").await.status, 400);
    assert_eq!(app.page(&chief, "/documents?month=2026-11").await.status, 403);
}

/// The figures a compliance line shows: valid, required, invalid and each reach's share.
fn shown_line(page: &str, username: &str, river: &str) -> (u64, u64, u64, Vec<(String, f64)>) {
    let at = page
        .find(&format!("data-chief=\"{username}\" data-river=\"{river}\""))
        .unwrap_or_else(|| panic!("no line for {username} on {river}"));
    let block = &page[at..];
    let block = &block[..block[1..].find("data-chief=").map_or(block.len(), |n| n + 1)];
    let attr = |name: &str| -> String {
        let v = block.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        block[v..v + block[v..].find('"').unwrap()].to_owned()
    };
    let reaches = block
        .split("data-reach=\"")
        .skip(1)
        .map(|s| {
            let code = s[..s.find('"').unwrap()].to_owned();
            let v = s.find("data-share=\"").unwrap() + 12;
            (code, s[v..v + s[v..].find('"').unwrap()].parse().unwrap())
        })
        .collect();
    (
        attr("data-valid").parse().unwrap(),
        attr("data-required").parse().unwrap(),
        attr("data-invalid").parse().unwrap(),
        reaches,
    )
}

#[tokio::test]
async fn the_compliance_page_shows_the_figures_of_the_compliance_api() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    file_valid(&app, &chief, OCT_5).await;
    let (track, end) = walk(&app, "mihe", 0.0, 500.0, OCT_5 + 86_400);
    app.json_as("POST", Some(&chief), "/api/v1/patrols", &log("mihe", &track, OCT_5 + 86_400, end)).await.expect(201);
    let admin = app.login("admin").await;
    let api = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    let page = app.page(&admin, "/compliance?month=2026-10").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let lines = api["chiefs"].as_array().unwrap();
    assert!(lines.len() > 1);
    let mut covered = 0;
    for line in lines {
        let (valid, required, invalid, reaches) =
            shown_line(&page.text, line["username"].as_str().unwrap(), line["river"].as_str().unwrap());
        assert_eq!(
            (valid, required, invalid),
            (
                line["valid_done"].as_u64().unwrap(),
                line["required"].as_u64().unwrap(),
                line["invalid"].as_u64().unwrap()
            ),
            "{line}"
        );
        let expected: Vec<(String, f64)> = line["reaches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["code"].as_str().unwrap().to_owned(), r["share"].as_f64().unwrap()))
            .collect();
        assert_eq!(reaches, expected, "{line}");
        covered += expected.iter().filter(|(_, s)| *s > 0.0).count();
    }
    assert!(covered > 0, "the valid walk covered some reach");
    let town = lines.iter().find(|l| l["username"] == "chief.mihe").unwrap();
    assert_eq!((town["valid_done"].as_u64(), town["invalid"].as_u64()), (Some(1), Some(1)));
    // The map gets the same shares, and the script that draws them.
    let data = page.text.split("data-coverage=\"").nth(1).unwrap();
    let data: Value = serde_json::from_str(&data[..data.find('"').unwrap()].replace("&quot;", "\"")).unwrap();
    for r in town["reaches"].as_array().unwrap() {
        assert_eq!(data[r["code"].as_str().unwrap()], r["share"]);
    }
    assert!(page.text.contains("/assets/compliance.") && page.text.contains("leaflet"));
    assert_eq!(app.page(&admin, "/compliance?month=2026-13").await.status, 400);
}

#[tokio::test]
async fn the_dashboard_links_the_office_pages_and_the_case_list_links_both_ledgers_with_its_filters() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let dashboard = app.page(&admin, "/dashboard").await;
    for href in ["/settings/patrols", "/documents", "/compliance"] {
        assert!(dashboard.text.contains(&format!("href=\"{href}\"")), "{href}");
    }
    let list = app.page(&admin, "/cases?status=reported&kind=safety&overdue=true").await;
    for ledger in ["/api/v1/ledger.xlsx?", "/api/v1/ledger.csv?"] {
        let at = list.text.find(ledger).unwrap_or_else(|| panic!("no link to {ledger}")) + ledger.len();
        let query = &list.text[at..at + list.text[at..].find('"').unwrap()];
        let query = query.replace("&amp;", "&");
        for filter in ["status=reported", "kind=safety", "overdue=true"] {
            assert!(query.contains(filter), "{ledger}{query}");
        }
        let download = app.get_as(&admin, &format!("{ledger}{query}")).await;
        assert_eq!(download.status, 200, "{ledger}{query}");
    }
}

#[tokio::test]
async fn two_findings_at_one_enterprise_go_out_under_one_notice_from_the_queue_once_however_often_sent() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let first = registered(&app, &admin, 61).await;
    let second = registered(&app, &admin, 62).await;
    let queue = app.page(&admin, "/queue").await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    assert!(queue.text.contains("href=\"/notices/new?enterprise=6\""), "{}", queue.text);
    assert!(queue.text.contains("2 项待派遣"), "{}", queue.text);
    let form = app.page(&admin, "/notices/new?enterprise=6").await;
    assert_eq!(form.status, 200, "{}", form.text);
    for n in [&first, &second] {
        assert!(form.text.contains(&format!("name=\"number\" value=\"{n}\" checked")), "{n}: {}", form.text);
    }
    let (token, key) = (csrf(&form), input_value(&form, "key"));
    let (m1, d1, m2, d2) = (
        format!("measures.{first}"),
        format!("deadline.{first}"),
        format!("measures.{second}"),
        format!("deadline.{second}"),
    );
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &token),
        ("key", &key),
        ("enterprise", "6"),
        ("responsible", "世邦机械"),
        ("number", &first),
        (&m1, "加装防护罩"),
        (&d1, "2099-01-15"),
        ("number", &second),
        (&d2, "2099-01-20"),
    ];
    // The second finding has no measures: named under its own control, nothing written.
    let before = (count(&app, "documents"), count(&app, "audit_log"));
    let refused = app.post_form(Some(&admin), "/notices", &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains(&format!("id=\"error-measures.{second}\"")), "{}", refused.text);
    assert!(
        refused.text.contains(&second) && refused.text.contains("加装防护罩"),
        "what was typed stays: {}",
        refused.text
    );
    assert_eq!((count(&app, "documents"), count(&app, "audit_log")), before);
    fields.push((&m2, "更换灭火器"));
    let issued = app.post_form(Some(&admin), "/notices", &fields).await;
    assert_eq!(issued.status, 303, "{}", issued.text);
    let location = issued.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/queue?issued=N-"), "{location}");
    // Sent again (a second tap, a lost answer): the same notice, nothing new.
    let again = app.post_form(Some(&admin), "/notices", &fields).await;
    assert_eq!(again.headers["location"].to_str().unwrap(), location);
    assert_eq!(count(&app, "documents"), before.0 + 1);
    let code = location.trim_start_matches("/queue?issued=");
    let shown = app.page(&admin, &location).await;
    assert!(
        shown.text.contains("涉及 2 个案件") && shown.text.contains(&format!("/api/v1/documents/{code}")),
        "{}",
        shown.text
    );
    for (n, deadline) in [(&first, "2099-01-15"), (&second, "2099-01-20")] {
        let case = app.get_as(&admin, &format!("/api/v1/cases/{n}")).await.expect(200);
        assert_eq!(case["status"], "dispatched", "{case}");
        assert_eq!(case["deadline"], deadline, "{case}");
        let dispatch = case["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "dispatch").unwrap();
        let document = app.get_as(&admin, &format!("/api/v1/documents/{code}")).await;
        assert_eq!(document.status, 200);
        assert!(dispatch["document_sha256"].is_string(), "{dispatch}");
    }
    // Nothing is left to join at that enterprise.
    let form = app.page(&admin, "/notices/new?enterprise=6").await;
    assert!(form.text.contains("该企业没有待派遣"), "{}", form.text);
    // The same key with other fields is refused, not a second notice.
    let third = registered(&app, &admin, 63).await;
    let other = [
        ("csrf", token.as_str()),
        ("key", key.as_str()),
        ("enterprise", "6"),
        ("responsible", "世邦机械"),
        ("number", third.as_str()),
    ];
    let key_reused = app.post_form(Some(&admin), "/notices", &other).await;
    assert_eq!(key_reused.status, 409, "{}", key_reused.text);
    assert_eq!(count(&app, "documents"), before.0 + 1);
}

#[tokio::test]
async fn a_joint_notice_is_refused_to_whoever_may_not_dispatch() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 64).await;
    // The grid's own inspector may dispatch (SPEC §5); the next village's may not.
    let inspector = app.login("tf0102.safety").await;
    let form = app.page(&inspector, "/queue").await;
    let token = csrf(&form);
    let fields = [
        ("csrf", token.as_str()),
        ("enterprise", "6"),
        ("responsible", "世邦机械"),
        ("number", number.as_str()),
        (&*format!("measures.{number}"), "加装防护罩"),
        (&*format!("deadline.{number}"), "2099-01-15"),
    ];
    let before = count(&app, "documents");
    let refused = app.post_form(Some(&inspector), "/notices", &fields).await;
    assert!(matches!(refused.status.as_u16(), 403 | 404), "{} {}", refused.status, refused.text);
    assert_eq!(count(&app, "documents"), before);
}
