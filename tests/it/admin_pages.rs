//! The town office's administration screens rendered in-process: enterprises
//! (search, create, edit, governance with the 两断三清 photos, re-inspections),
//! people and assignments, coverage and categories, each read back through
//! the JSON API, and refused to anyone who is not the town office.

use axum::body::Body;
use axum::http::Request;
use gridsafe::domain::enterprise::Uscc;
use gridsafe::domain::time::add_days;

use crate::cases::{count, hazard, png};
use crate::helpers::{NOW, TestApp, TestResponse};
use crate::pages::csrf;

const BOUNDARY: &str = "gridsafe-admin-boundary";

/// A multipart body of text fields and named image files.
fn multipart(fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, bytes) in files {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend(bytes);
        out.extend(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn post_multipart(app: &TestApp, token: &str, uri: &str, body: Vec<u8>) -> TestResponse {
    let request = Request::post(uri)
        .header("cookie", format!("gridsafe_session={token}"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// A page that must answer 200, with its text.
#[track_caller]
fn ok(page: &TestResponse) -> &str {
    assert_eq!(page.status, 200, "{}", page.text);
    &page.text
}

/// Where a POST-redirect-GET sends the browser.
#[track_caller]
fn redirected(response: &TestResponse) -> String {
    assert_eq!(response.status, 303, "{}", response.text);
    response.headers["location"].to_str().unwrap().to_owned()
}

/// A point inside village TF0101 (where enterprise 6, 世邦机械, is).
fn in_tf0101(app: &TestApp) -> (String, String) {
    let h = hazard(app, &[]);
    (h["lon"].to_string(), h["lat"].to_string())
}

/// Registers premises through the form and returns the page's path.
async fn register_premises(app: &TestApp, admin: &str, name: &str) -> String {
    let token = csrf(&app.page(admin, "/enterprises/new").await);
    let (lon, lat) = in_tf0101(app);
    let created = app
        .post_form(
            Some(admin),
            "/enterprises",
            &[("csrf", &token), ("name", name), ("address", "谭坊镇八里村"), ("lon", &lon), ("lat", &lat)],
        )
        .await;
    redirected(&created)
}

#[tokio::test]
async fn every_office_screen_renders_for_the_town_office_and_the_dashboard_links_them() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let dashboard = app.page(&admin, "/dashboard").await;
    for link in ["/enterprises", "/enterprises/reinspection", "/people", "/coverage", "/categories"] {
        assert!(ok(&dashboard).contains(&format!("href=\"{link}\"")), "dashboard links {link}");
    }
    let list = app.page(&admin, "/enterprises").await;
    assert!(ok(&list).contains("世邦机械") && list.text.contains("登记企业"), "{}", list.text);
    let new = app.page(&admin, "/enterprises/new").await;
    assert!(ok(&new).contains("name=\"uscc\"") && new.text.contains("name=\"uscc_override\""));
    let shown = app.page(&admin, "/enterprises/6").await;
    assert!(ok(&shown).contains("世邦机械") && shown.text.contains("列入整治") && shown.text.contains("修改企业信息"));
    assert!(ok(&app.page(&admin, "/enterprises/reinspection").await).contains("关停复查"));
    let people = app.page(&admin, "/people").await;
    assert!(ok(&people).contains("tf0101.safety") && people.text.contains("登记人员"));
    assert!(ok(&app.page(&admin, "/people/new").await).contains("name=\"password\""));
    let coverage = app.page(&admin, "/coverage").await;
    assert!(
        ok(&coverage).contains("共有 8 处缺口") && coverage.text.contains("猪龙河没有河道警长"),
        "{}",
        coverage.text
    );
    let categories = app.page(&admin, "/categories").await;
    assert!(ok(&categories).contains("S-F10") && categories.text.contains("新增类别"));
    // The same screens in English.
    let english = app.page(&admin, "/coverage?lang=en").await;
    assert!(ok(&english).contains("猪龙河 has no river police chief"), "{}", english.text);
}

#[tokio::test]
async fn the_enterprise_list_searches_by_name_and_filters_by_status() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let found = app.page(&admin, "/enterprises?q=%E4%B8%96%E9%82%A6&above_scale=&key=&governance=").await;
    assert!(ok(&found).contains("世邦机械") && found.text.contains("共 1 家"), "{}", found.text);
    let listed = app.page(&admin, "/enterprises?governance=closed").await;
    assert!(ok(&listed).contains("没有符合条件的企业"), "{}", listed.text);
    let api = app.get_as(&admin, "/api/v1/enterprises?q=%E4%B8%96%E9%82%A6").await.expect(200);
    assert_eq!(api["enterprises"].as_array().unwrap().len(), 1, "{api}");
}

#[tokio::test]
async fn an_enterprise_created_through_the_form_reads_back_through_the_api() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let token = csrf(&app.page(&admin, "/enterprises/new").await);
    let (lon, lat) = in_tf0101(&app);
    let uscc = Uscc::complete("91370781MA7GT1234").unwrap().to_string();
    let created = app
        .post_form(
            Some(&admin),
            "/enterprises",
            &[
                ("csrf", &token),
                ("name", "青州新材料有限公司"),
                ("uscc", &uscc.to_lowercase()),
                ("address", "谭坊镇工业园 8 号"),
                ("lon", &lon),
                ("lat", &lat),
                ("industry", "化工"),
                ("above_scale", "true"),
                ("contact_name", "李娜"),
                ("contact_phone", "13800001111"),
            ],
        )
        .await;
    let location = redirected(&created);
    let id = location.strip_prefix("/enterprises/").unwrap();
    let api = app.get_as(&admin, &format!("/api/v1/enterprises/{id}")).await.expect(200);
    assert_eq!(api["name"], "青州新材料有限公司");
    assert_eq!(api["uscc"], uscc.as_str(), "normalised to upper case");
    assert_eq!(api["grid_code"], "TF0101");
    assert_eq!((api["above_scale"].as_bool(), api["key"].as_bool()), (Some(true), Some(false)));
    let page = app.page(&admin, &location).await;
    assert!(ok(&page).contains("青州新材料有限公司") && page.text.contains("规模以上"));
    // Edited through the page: the version it showed guards the write.
    let token = csrf(&page);
    let edited = app
        .post_form(
            Some(&admin),
            &location,
            &[
                ("csrf", &token),
                ("version", &api["version"].to_string()),
                ("name", "青州新材料股份有限公司"),
                ("uscc", &uscc),
                ("lon", &lon),
                ("lat", &lat),
                ("key", "true"),
            ],
        )
        .await;
    assert_eq!(redirected(&edited), location);
    let api = app.get_as(&admin, &format!("/api/v1/enterprises/{id}")).await.expect(200);
    assert_eq!((api["name"].as_str(), api["key"].as_bool()), (Some("青州新材料股份有限公司"), Some(true)));
    let stale = app
        .post_form(
            Some(&admin),
            &location,
            &[("csrf", &token), ("version", "1"), ("name", "旧名"), ("lon", &lon), ("lat", &lat)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert!(stale.text.contains("刚被他人修改过"), "{}", stale.text);
}

#[tokio::test]
async fn an_invalid_uscc_is_answered_beside_the_field_with_what_was_typed_kept() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let token = csrf(&app.page(&admin, "/enterprises/new").await);
    let (lon, lat) = in_tf0101(&app);
    let valid = Uscc::complete("91370781MA7GT1234").unwrap().to_string();
    let check_digit = valid.chars().last().unwrap();
    let wrong = format!("{}{}", &valid[..17], if check_digit == '1' { '2' } else { '1' });
    let form = |uscc: &str, note: &str| {
        vec![
            ("csrf", token.clone()),
            ("name", "校验位有误的企业".to_owned()),
            ("uscc", uscc.to_owned()),
            ("uscc_override", note.to_owned()),
            ("address", "谭坊镇南街".to_owned()),
            ("lon", lon.clone()),
            ("lat", lat.clone()),
        ]
    };
    let (app, admin) = (&app, &admin);
    let send = |fields: Vec<(&'static str, String)>| async move {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.post_form(Some(admin), "/enterprises", &pairs).await
    };
    let refused = send(form(&wrong, "")).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let error_at = refused.text.find("id=\"error-uscc\"").expect("the error stands beside the uscc field");
    let field_at = refused.text.find("name=\"uscc\"").unwrap();
    let next_field = refused.text.find("name=\"uscc_override\"").unwrap();
    assert!(field_at < error_at && error_at < next_field, "the error sits right under its field");
    assert!(refused.text.contains("校验"), "{}", refused.text);
    for kept in ["校验位有误的企业", wrong.as_str(), "谭坊镇南街"] {
        assert!(refused.text.contains(&format!("value=\"{kept}\"")), "{kept} is kept");
    }
    // The town office accepts an early pilot code with a note.
    let accepted = send(form(&wrong, "早期试点代码，经市场监管所核实")).await;
    let location = redirected(&accepted);
    let api = app.get_as(admin, &format!("/api/v1{location}")).await.expect(200);
    assert_eq!(api["uscc"], wrong.as_str());
    assert_eq!(api["uscc_override"], "早期试点代码，经市场监管所核实");
}

#[tokio::test]
async fn premises_closed_with_the_five_photos_show_their_status_and_next_reinspection() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let location = register_premises(&app, &admin, "八里村小塑料加工点").await;
    let page = app.page(&admin, &location).await;
    let token = csrf(&page);
    assert!(!ok(&page).contains("governance-closed"), "normal premises cannot be closed yet");
    let listed = app
        .post_form(
            Some(&admin),
            &format!("{location}/governance"),
            &[("csrf", &token), ("to", "listed"), ("version", "1"), ("note", "列入小散乱污整治名单")],
        )
        .await;
    assert_eq!(redirected(&listed), location);
    let page = app.page(&admin, &location).await;
    assert!(ok(&page).contains("id=\"governance-closed\""), "{}", page.text);
    let url = format!("{location}/governance?csrf={token}");
    let items = ["water_cut", "power_cut", "materials_cleared", "products_cleared", "equipment_cleared"];
    let fields = [("to", "closed"), ("version", "2"), ("note", "依法关停取缔")];
    // Four photos: refused, the missing item named, the four kept for the correction.
    let four: Vec<(String, Vec<u8>)> =
        items[..4].iter().zip(1u8..).map(|(item, seed)| (format!("photo.{item}"), png(seed))).collect();
    let four: Vec<(&str, Vec<u8>)> = four.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let refused = post_multipart(&app, &admin, &url, multipart(&fields, &four)).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("清除设备") && refused.text.contains("id=\"error-checklist\""), "{}", refused.text);
    assert_eq!(refused.text.matches("name=\"checklist.").count(), 4, "the saved photos are kept");
    let kept: Vec<(String, String)> = items[..4]
        .iter()
        .map(|item| {
            let marker = format!("name=\"checklist.{item}\" value=\"");
            let at = refused.text.find(&marker).unwrap() + marker.len();
            (format!("checklist.{item}"), refused.text[at..at + 64].to_owned())
        })
        .collect();
    let mut with_kept: Vec<(&str, &str)> = fields.to_vec();
    with_kept.extend(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let closed =
        post_multipart(&app, &admin, &url, multipart(&with_kept, &[("photo.equipment_cleared", png(5))])).await;
    assert_eq!(redirected(&closed), location);
    let today = app.app.clock.today();
    let next = add_days(&today, 90).unwrap();
    let page = app.page(&admin, &location).await;
    assert!(ok(&page).contains("关停取缔") && page.text.contains(&next), "{}", page.text);
    assert_eq!(page.text.matches("/api/v1/media/").count() / 2, 5, "five checklist photos shown");
    let api = app.get_as(&admin, &format!("/api/v1{location}")).await.expect(200);
    assert_eq!(api["governance"], "closed");
    assert_eq!(api["next_reinspection"], next.as_str());
    assert_eq!(api["closure_checklist"].as_object().unwrap().len(), 5, "{api}");
    // Not yet due; eighty days on it is listed as soon due (sessions do not last that long).
    let due = app.page(&admin, "/enterprises/reinspection").await;
    assert!(!ok(&due).contains("八里村小塑料加工点"));
    app.app.clock.set(NOW + 80 * 86_400);
    let admin = app.login("admin").await;
    let due = app.page(&admin, "/enterprises/reinspection").await;
    assert!(ok(&due).contains("八里村小塑料加工点") && due.text.contains(&next), "{}", due.text);
    // 回头看: recorded from the premises' page, the next one falls due from that day.
    let page = app.page(&admin, &location).await;
    assert!(ok(&page).contains("id=\"reinspection\""), "{}", page.text);
    let token = csrf(&page);
    let version = api["version"].to_string();
    let reinspect = format!("{location}/reinspections");
    let today = app.app.clock.today();
    let future = add_days(&today, 1).unwrap();
    for (on, note, field) in
        [(future.as_str(), "仍处于关停状态", "on"), (today.as_str(), " ", "note"), ("2020-01-01", "x", "on")]
    {
        let refused = app
            .post_form(Some(&admin), &reinspect, &[("csrf", &token), ("version", &version), ("on", on), ("note", note)])
            .await;
        assert_eq!(refused.status, 400, "{on} {note}: {}", refused.text);
        assert!(refused.text.contains(&format!("id=\"error-{field}\"")), "{}", refused.text);
    }
    let done = app
        .post_form(
            Some(&admin),
            &reinspect,
            &[("csrf", &token), ("version", &version), ("on", &today), ("note", "仍处于关停状态，未见复产")],
        )
        .await;
    assert_eq!(redirected(&done), location);
    let api = app.get_as(&admin, &format!("/api/v1{location}")).await.expect(200);
    assert_eq!(api["last_reinspected_on"], today.as_str(), "{api}");
    assert_eq!(api["next_reinspection"], add_days(&today, 90).unwrap().as_str(), "{api}");
    let due = app.page(&admin, "/enterprises/reinspection").await;
    assert!(!ok(&due).contains("八里村小塑料加工点"), "re-inspected premises leave the list: {}", due.text);
    // The API records one the same way, and refuses premises that are not closed.
    let body = serde_json::json!({"note": "复查：仍关停"});
    let again = app.json_as("POST", Some(&admin), &format!("/api/v1{location}/reinspections"), &body).await.expect(200);
    assert_eq!(again["last_reinspected_on"], today.as_str());
    app.json_as("POST", Some(&admin), "/api/v1/enterprises/6/reinspections", &body).await.expect_error(409, "conflict");
}

#[tokio::test]
async fn an_assignment_ended_from_its_page_stays_in_the_history() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let token = csrf(&app.page(&admin, "/people/new").await);
    let short = app
        .post_form(
            Some(&admin),
            "/people",
            &[("csrf", &token), ("name", "王新"), ("username", "wang.xin"), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, 400);
    assert!(
        short.text.contains("id=\"error-password\"") && short.text.contains("value=\"wang.xin\""),
        "{}",
        short.text
    );
    let created = app
        .post_form(
            Some(&admin),
            "/people",
            &[
                ("csrf", &token),
                ("name", "王新"),
                ("username", "wang.xin"),
                ("phone", "13800000000"),
                ("password", "a-long-password"),
            ],
        )
        .await;
    let location = redirected(&created);
    let id: i64 = location.strip_prefix("/people/").unwrap().parse().unwrap();
    let page = app.page(&admin, &location).await;
    assert!(ok(&page).contains("王新") && page.text.contains("新增任务分配"));
    // An inspector without a duty is refused beside the field; with one, assigned.
    let (app, admin) = (&app, admin.as_str());
    let assign = |duty: &'static str| {
        let back = location.clone();
        let token = token.clone();
        async move {
            let fields = [
                ("csrf", token.as_str()),
                ("back", back.as_str()),
                ("username", "wang.xin"),
                ("role", "inspector"),
                ("scope", "TF0101"),
                ("duty", duty),
                ("from", "2026-11-01"),
            ];
            app.post_form(Some(admin), "/assignments", &fields).await
        }
    };
    let refused = assign("").await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("id=\"error-duty\"") && refused.text.contains("王新"), "{}", refused.text);
    assert_eq!(redirected(&assign("environment").await), location);
    let page = app.page(admin, &location).await;
    assert!(ok(&page).contains("在岗任务 (1)") && page.text.contains("八里"), "{}", page.text);
    let listed = app.get_as(admin, &format!("/api/v1/assignments?person={id}")).await.expect(200);
    let assignment = listed[0]["id"].as_i64().unwrap();
    // Ending needs a reason.
    let end = format!("/assignments/{assignment}/end");
    let id_text = id.to_string();
    let no_reason =
        app.post_form(Some(admin), &end, &[("csrf", &token), ("person", &id_text), ("to", "2026-11-18")]).await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.text.contains("id=\"error-reason\""), "{}", no_reason.text);
    let ended = app
        .post_form(
            Some(admin),
            &end,
            &[("csrf", &token), ("person", &id_text), ("to", "2026-11-17"), ("reason", "调任镇环保所")],
        )
        .await;
    assert_eq!(redirected(&ended), format!("{location}#history"));
    let page = app.page(admin, &location).await;
    let history = &ok(&page)[page.text.find("id=\"history\"").unwrap()..];
    assert!(history.contains("调任镇环保所") && history.contains("2026-11-17"), "{history}");
    assert!(page.text.contains("在岗任务 (0)"), "{}", page.text);
    let listed = app.get_as(admin, &format!("/api/v1/assignments?person={id}")).await.expect(200);
    assert_eq!(listed[0]["end_reason"], "调任镇环保所");
    assert_eq!(listed[0]["to"], "2026-11-17");
}

#[tokio::test]
async fn a_coverage_gaps_link_opens_a_form_that_when_submitted_removes_the_gap() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let coverage = app.page(&admin, "/coverage").await;
    let gap_at = ok(&coverage).find("猪龙河没有河道警长").expect("the gap is named");
    let rest = &coverage.text[gap_at..];
    let href_at = rest.find("href=\"/assignments/new?").unwrap() + 6;
    let link = rest[href_at..href_at + rest[href_at..].find('"').unwrap()].replace("&amp;", "&");
    assert!(link.contains("role=river_police"), "{link}");
    let form = app.page(&admin, &link).await;
    assert!(ok(&form).contains("<option value=\"river_police\" selected>"), "{}", form.text);
    assert!(form.text.contains("猪龙河"), "the scope is named: {}", form.text);
    let scope_marker = "name=\"scope\" type=\"text\" value=\"";
    let at = form.text.find(scope_marker).unwrap() + scope_marker.len();
    let scope = form.text[at..at + form.text[at..].find('"').unwrap()].to_owned();
    let token = csrf(&form);
    let filled = app
        .post_form(
            Some(&admin),
            "/assignments",
            &[
                ("csrf", &token),
                ("back", "/coverage"),
                ("username", "expert1"),
                ("role", "river_police"),
                ("scope", &scope),
            ],
        )
        .await;
    assert_eq!(redirected(&filled), "/coverage");
    let after = app.page(&admin, "/coverage").await;
    assert!(!ok(&after).contains("猪龙河没有河道警长") && after.text.contains("共有 7 处缺口"), "{}", after.text);
    let api = app.get_as(&admin, "/api/v1/coverage").await.expect(200);
    assert!(api["gaps"].as_array().unwrap().iter().all(|g| g["kind"] != "river_without_police"), "{api}");
    // An inspector gap's link carries the duty too.
    assert!(after.text.contains("role=inspector&amp;scope="), "{}", after.text);
    assert!(after.text.contains("duty=environment"), "{}", after.text);
}

#[tokio::test]
async fn categories_are_added_renamed_and_retired_through_the_page() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let token = csrf(&app.page(&admin, "/categories").await);
    let bad = app
        .post_form(
            Some(&admin),
            "/categories",
            &[("csrf", &token), ("code", "bad code"), ("kind", "safety"), ("name", "燃气")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("id=\"error-code\"") && bad.text.contains("value=\"bad code\""), "{}", bad.text);
    let added = app
        .post_form(
            Some(&admin),
            "/categories",
            &[("csrf", &token), ("code", "S-F99"), ("kind", "safety"), ("parent", "S-F"), ("name", "燃气管道")],
        )
        .await;
    assert_eq!(redirected(&added), "/categories", "{}", added.text);
    let tree = app.get_as(&admin, "/api/v1/categories").await.expect(200);
    assert!(tree.to_string().contains("S-F99") && tree.to_string().contains("燃气管道"), "{tree}");
    let renamed =
        app.post_form(Some(&admin), "/categories/S-F99", &[("csrf", &token), ("name", "燃气管道及阀门")]).await;
    assert_eq!(redirected(&renamed), "/categories");
    let tree = app.get_as(&admin, "/api/v1/categories").await.expect(200).to_string();
    assert!(!tree.contains("S-F99"), "an unticked box retires the category: {tree}");
    let page = app.page(&admin, "/categories").await;
    let row = &ok(&page)[page.text.find("data-category=\"S-F99\"").unwrap()..];
    assert!(row.contains("燃气管道及阀门") && row.contains("已停用"), "{row}");
    let back = app
        .post_form(
            Some(&admin),
            "/categories/S-F99",
            &[("csrf", &token), ("name", "燃气管道及阀门"), ("active", "true")],
        )
        .await;
    assert_eq!(redirected(&back), "/categories");
    assert!(app.get_as(&admin, "/api/v1/categories").await.expect(200).to_string().contains("燃气管道及阀门"));
}

#[tokio::test]
async fn anyone_but_the_town_office_is_refused_the_office_screens() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    for uri in ["/coverage", "/categories", "/people/new", "/assignments/new?role=inspector"] {
        let page = app.page(&inspector, uri).await;
        assert_eq!(page.status, 403, "{uri}: {}", page.text);
        assert!(page.text.contains("role=\"alert\""), "{uri} answers an error page");
    }
    let token = csrf(&app.page(&inspector, "/people").await);
    let assign = app
        .post_form(
            Some(&inspector),
            "/assignments",
            &[("csrf", &token), ("username", "tf0101.safety"), ("role", "admin"), ("scope", "TF")],
        )
        .await;
    assert_eq!(assign.status, 403, "{}", assign.text);
    let category = app
        .post_form(
            Some(&inspector),
            "/categories",
            &[("csrf", &token), ("code", "X-1"), ("kind", "safety"), ("name", "x")],
        )
        .await;
    assert_eq!(category.status, 403);
    // People: only oneself, as the API answers; anyone else does not exist.
    let people = app.page(&inspector, "/people").await;
    assert!(ok(&people).contains("共 1 人") && !people.text.contains("登记人员"), "{}", people.text);
    let admin_id = app.get_as(&app.login("admin").await, "/api/v1/me").await.expect(200)["person"]["id"].clone();
    assert_eq!(app.page(&inspector, &format!("/people/{admin_id}")).await.status, 404);
    // Enterprises outside their grid are not there; inside it there is no override field and no end forms.
    let outside = app.get_as(&inspector, "/api/v1/enterprises").await.expect(200);
    assert!(outside["enterprises"].as_array().unwrap().iter().all(|e| e["grid_code"] == "TF0101"));
    let listed = app.get_as(&app.login("admin").await, "/api/v1/enterprises").await.expect(200);
    let elsewhere =
        listed["enterprises"].as_array().unwrap().iter().find(|e| e["grid_code"] != "TF0101").unwrap()["id"].clone();
    assert_eq!(app.page(&inspector, &format!("/enterprises/{elsewhere}")).await.status, 404);
    let new = app.page(&inspector, "/enterprises/new").await;
    assert!(!ok(&new).contains("uscc_override"));
}

/// The hidden `key` a creating form was drawn with.
fn form_key(page: &TestResponse) -> String {
    let marker = "name=\"key\" value=\"";
    let at = page.text.find(marker).unwrap_or_else(|| panic!("the form carries a key: {}", page.text)) + marker.len();
    page.text[at..at + page.text[at..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_person_and_an_assignment_sent_twice_from_their_forms_are_created_once() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let page = app.page(&admin, "/people/new").await;
    let (token, key) = (csrf(&page), form_key(&page));
    assert_ne!(form_key(&app.page(&admin, "/people/new").await), key, "each form drawn gets its own key");
    let person = [
        ("csrf", token.as_str()),
        ("key", key.as_str()),
        ("name", "李二"),
        ("username", "li.er"),
        ("password", "a-long-password"),
    ];
    let people = count(&app, "people");
    let first = redirected(&app.post_form(Some(&admin), "/people", &person).await);
    let second = redirected(&app.post_form(Some(&admin), "/people", &person).await);
    assert_eq!(first, second, "the second send answers with the first person");
    assert_eq!(count(&app, "people"), people + 1);
    // Sent back with a change under the same key: refused with a word, and
    // drawn again with a new key, so sending it once more creates the second.
    let mut other = person;
    other[3] = ("username", "li.san");
    let refused = app.post_form(Some(&admin), "/people", &other).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("此表单已经提交过") && refused.text.contains("li.san"), "{}", refused.text);
    assert_eq!(count(&app, "people"), people + 1);
    let fresh = form_key(&refused);
    assert_ne!(fresh, key);
    other[1] = ("key", fresh.as_str());
    assert_ne!(redirected(&app.post_form(Some(&admin), "/people", &other).await), first);
    assert_eq!(count(&app, "people"), people + 2);
    let page = app.page(&admin, &first).await;
    let key = form_key(&page);
    let assignment = [
        ("csrf", token.as_str()),
        ("key", key.as_str()),
        ("back", first.as_str()),
        ("username", "li.er"),
        ("role", "inspector"),
        ("scope", "TF0101"),
        ("duty", "environment"),
        ("from", "2026-11-01"),
    ];
    let assignments = count(&app, "assignments");
    assert_eq!(redirected(&app.post_form(Some(&admin), "/assignments", &assignment).await), first);
    assert_eq!(redirected(&app.post_form(Some(&admin), "/assignments", &assignment).await), first);
    assert_eq!(count(&app, "assignments"), assignments + 1);
    // A refused assignment is drawn again with the same key, and then goes through once.
    let mut no_duty = assignment;
    no_duty[1] = ("key", "fresh-key-1");
    no_duty[6] = ("duty", "");
    let refused = app.post_form(Some(&admin), "/assignments", &no_duty).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("value=\"fresh-key-1\""), "the key is kept: {}", refused.text);
}
