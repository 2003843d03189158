//! The web pages rendered in-process: what each person must see, the forms
//! through the same services as the API, CSRF, the security headers, the
//! language switch and the cookie rules. What only a browser shows (layout,
//! scripts, GPS, the outbox) is in `browser.rs`.

use axum::body::Body;
use axum::http::Request;
use gridsafe::app::UiSettings;
use serde_json::json;

use crate::cases::{act, file, hazard, photo, png, registered};
use crate::helpers::{TestApp, TestResponse};

/// The session's CSRF token, as the page gives it to its forms.
pub fn csrf(page: &TestResponse) -> String {
    let at = page.text.find("data-csrf=\"").expect("a signed-in page carries its CSRF token") + 11;
    page.text[at..at + 32].to_owned()
}

/// The actions a case page offers, in order.
fn offered(page: &TestResponse) -> Vec<String> {
    page.text.split("data-action=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).collect()
}

#[tokio::test]
async fn every_page_answer_carries_the_security_headers_and_the_language() {
    let app = TestApp::demo().await;
    let login = app.get("/login").await;
    assert_eq!(login.status, 200);
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(login.headers["x-content-type-options"], "nosniff");
    assert_eq!(login.headers["referrer-policy"], "same-origin");
    assert!(login.text.contains("<html lang=\"zh-CN\">") && login.text.contains("登录"));
    // No inline script or style: only external scripts and the JSON strings block.
    for piece in login.text.split("<script").skip(1) {
        assert!(piece.contains(" src=\"") || piece.contains("type=\"application/json\""), "inline script: {piece}");
    }
    assert!(!login.text.contains("style=\"") && !login.text.contains("<style"));
    // The API answers get the generic headers too.
    assert_eq!(app.get("/api/v1/grids?level=town").await.headers["x-content-type-options"], "nosniff");

    let request = Request::get("/login").header("cookie", "gridsafe_lang=en").body(Body::empty()).unwrap();
    let english = app.send(request).await;
    assert!(english.text.contains("<html lang=\"en\">") && english.text.contains("Log in"), "{}", english.text);
    let switch = app.get("/lang/en?back=/login").await;
    assert_eq!(switch.status, 303);
    assert!(switch.headers["set-cookie"].to_str().unwrap().starts_with("gridsafe_lang=en"));
    assert_eq!(switch.headers["location"], "/login");
    // Only a path on this site is a place to go back to.
    assert_eq!(app.get("/lang/zh?back=//evil.example/").await.headers["location"], "/");
}

#[tokio::test]
async fn the_login_form_keeps_the_name_shows_the_error_and_opens_a_session() {
    let app = TestApp::demo().await;
    let wrong = app
        .post_form(None, "/login", &[("username", "tf0101.safety"), ("password", "nope-nope-nope"), ("next", "/cases")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.text.contains("用户名或密码错误") && wrong.text.contains("value=\"tf0101.safety\""),
        "{}",
        wrong.text
    );
    let right = app
        .post_form(
            None,
            "/login",
            &[("username", "tf0101.safety"), ("password", gridsafe::demo::DEMO_PASSWORD), ("next", "/cases")],
        )
        .await;
    assert_eq!(right.status, 303);
    assert_eq!(right.headers["location"], "/cases");
    let cookie = right.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("gridsafe_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict")
    );
    assert!(!cookie.contains("Secure"), "plain HTTP to a phone would drop a Secure cookie: {cookie}");
    let token = &cookie["gridsafe_session=".len()..cookie.find(';').unwrap()];
    let home = app.page(token, "/").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("<h1>待办</h1>") && home.text.contains("李秀英"), "{}", home.text);
    // Signed out, a page sends the person to log in and back.
    let anonymous = app.get("/cases?status=reported").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.headers["location"], "/login?next=/cases%3Fstatus%3Dreported");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https_and_plain_http_is_warned_about() {
    let app = TestApp::demo().await;
    let request = Request::get("/login").header("host", "192.168.1.20:8080").body(Body::empty()).unwrap();
    assert!(app.send(request).await.text.contains("HTTPS"), "plain HTTP to another host must be warned about");
    let request = Request::get("/login").header("host", "127.0.0.1:8080").body(Body::empty()).unwrap();
    assert!(!app.send(request).await.text.contains("class=\"warning\""));

    let app = app.with_ui(UiSettings { public_url: Some("https://tanfang.example".into()), ..UiSettings::default() });
    let login = json!({"username": "admin", "password": gridsafe::demo::DEMO_PASSWORD});
    let response = app.json_as("POST", None, "/api/v1/login", &login).await;
    assert!(response.headers["set-cookie"].to_str().unwrap().contains("; Secure"));
    let request = Request::get("/login").header("host", "192.168.1.20:8080").body(Body::empty()).unwrap();
    assert!(!app.send(request).await.text.contains("class=\"warning\""));
}

#[tokio::test]
async fn a_cookie_authenticated_write_needs_the_csrf_token_and_a_bearer_one_does_not() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 1).await;
    let body = json!({"action": "supervise"}).to_string();
    let post = |headers: Vec<(&str, String)>| {
        let mut request =
            Request::post(format!("/api/v1/cases/{number}/actions")).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(Body::from(body.clone())).unwrap()
    };
    let cookie = ("cookie", format!("gridsafe_session={admin}"));
    let refused = app.send(post(vec![cookie.clone()])).await.expect_error(403, "forbidden");
    assert!(refused["message"].as_str().unwrap().contains("CSRF"), "{refused}");
    app.send(post(vec![cookie.clone(), ("x-csrf-token", "0".repeat(32))])).await.expect_error(403, "forbidden");
    // Nothing was written by the refused requests.
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["supervised"], false);
    let page = app.page(&admin, "/").await;
    app.send(post(vec![cookie, ("x-csrf-token", csrf(&page))])).await.expect(200);
    // A bearer token is never sent by a browser on its own: no token needed.
    let body = json!({"action": "unsupervise"});
    crate::cases::act(&app, &admin, &number, None, body).await.expect(200);
    // A page form without the token is refused too.
    let form = app.post_form(Some(&admin), &format!("/cases/{number}/act"), &[("action", "supervise")]).await;
    assert_eq!(form.status, 403);
}

#[tokio::test]
async fn the_case_page_offers_exactly_what_the_api_allows_and_acts_through_the_same_service() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let inspector = app.login("tf0101.safety").await;
    let number = file(&app, &inspector, &hazard(&app, &[photo(&app, &inspector, 7).await])).await;
    for token in [&admin, &inspector] {
        let api = app.get_as(token, &format!("/api/v1/cases/{number}")).await.expect(200);
        let allowed: Vec<String> =
            api["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
        let page = app.page(token, &format!("/cases/{number}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(offered(&page), allowed, "the page must offer what the API allows");
        assert!(page.text.contains("配电箱无防护罩") && page.text.contains("整改前") && page.text.contains("处理记录"));
    }
    // Register through the page form, at the version the page showed.
    let page = app.page(&admin, &format!("/cases/{number}")).await;
    let token = csrf(&page);
    let url = format!("/cases/{number}/act");
    let done = app.post_form(Some(&admin), &url, &[("csrf", &token), ("action", "register"), ("version", "1")]).await;
    assert_eq!(done.status, 303, "{}", done.text);
    // Dispatch without the measures: the error is shown beside the field, the typed values kept.
    let refused = app
        .post_form(
            Some(&admin),
            &url,
            &[
                ("csrf", &token),
                ("action", "dispatch"),
                ("version", "2"),
                ("responsible", "世邦机械 张三"),
                ("deadline", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.text.contains("id=\"error-measures\"") && refused.text.contains("须填写整改措施"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("value=\"世邦机械 张三\""));
    // A page left open while someone else acted: 412 and the new state, nothing written.
    let stale = app
        .post_form(Some(&admin), &url, &[("csrf", &token), ("action", "cancel"), ("version", "1"), ("reason", "重复")])
        .await;
    assert_eq!(stale.status, 412);
    assert!(stale.text.contains("刚被他人处理过") && stale.text.contains("已立案"), "{}", stale.text);
    let api = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!((api["status"].as_str(), api["version"].as_i64()), (Some("registered"), Some(2)));
    let dispatched = app
        .post_form(
            Some(&admin),
            &url,
            &[
                ("csrf", &token),
                ("action", "dispatch"),
                ("version", "2"),
                ("responsible", "世邦机械"),
                ("measures", "加装防护罩"),
                ("deadline", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(dispatched.status, 303, "{}", dispatched.text);
    let page = app.page(&admin, &format!("/cases/{number}")).await;
    assert!(page.text.contains("整改通知书") && page.text.contains("/api/v1/documents/N-2026-"), "{}", page.text);
    // The notice's QR link opens a public page that names no person.
    let at = page.text.find("/api/v1/documents/N-2026-").unwrap() + "/api/v1/documents/".len();
    let code = &page.text[at..at + 11];
    let verify = app.get(&format!("/verify/{code}")).await;
    assert_eq!(verify.status, 200, "{}", verify.text);
    assert!(verify.text.contains("现行有效") && verify.text.contains("世邦机械"), "{}", verify.text);
    assert!(
        !verify.text.contains("李秀英") && !verify.text.contains("配电箱无防护罩"),
        "nothing personal or case text"
    );
    let bad = app.get(&format!("/verify/{code}?sha256={}", "0".repeat(64))).await;
    assert!(bad.text.contains("不一致"));
    assert_eq!(app.get("/verify/N-2026-9999").await.status, 404);
}

#[tokio::test]
async fn home_lists_the_waiting_work_overdue_first() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    // Three dispatched cases with deadlines 2, 6 and 20 days out, one left reported.
    let mut numbers = Vec::new();
    for (seed, deadline) in [(1u8, "2026-11-20"), (2, "2026-11-24"), (3, "2026-12-08")] {
        let number = registered(&app, &admin, seed).await;
        let body = json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": deadline});
        act(&app, &admin, &number, None, body).await.expect(200);
        numbers.push(number);
    }
    let inspector = app.login("tf0101.safety").await;
    let reported = file(&app, &inspector, &hazard(&app, &[photo(&app, &inspector, 9).await])).await;
    // Four days on: the first is two days over, the second due in two days.
    app.app.clock.set(crate::helpers::NOW + 4 * 86_400);
    let contact = app.login("contact01").await;
    let home = app.page(&contact, "/").await;
    assert_eq!(home.status, 200);
    let rows: Vec<(&str, &str)> = home
        .text
        .split("class=\"case-row\" data-urgency=\"")
        .skip(1)
        .map(|s| (&s[..s.find('"').unwrap()], &s[s.find("/cases/").unwrap() + 7..s.find("/cases/").unwrap() + 21]))
        .collect();
    let expected =
        vec![("overdue", numbers[0].as_str()), ("soon", numbers[1].as_str()), ("normal", numbers[2].as_str())];
    assert_eq!(rows, expected, "overdue first, then due within 3 days, then the rest");
    assert!(home.text.contains("超期 2 天") && home.text.contains("剩 2 天"), "{}", home.text);
    assert!(!home.text.contains(&reported), "a reported case waits for the office, not the contact");
    // The office sees the reported case waiting to be registered.
    let admin = app.login("admin").await;
    let office = app.page(&admin, "/").await;
    assert!(office.text.contains(&reported) && office.text.contains("立案"), "{}", office.text);
}

#[tokio::test]
async fn a_report_without_javascript_files_once_and_keeps_what_was_typed_on_error() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let form = app.page(&inspector, "/report").await;
    assert_eq!(form.status, 200);
    let token = csrf(&form);
    let at = form.text.find("name=\"key\" value=\"").unwrap() + 18;
    let key = form.text[at..at + 36].to_owned();
    let body = hazard(&app, &[]);
    let boundary = "gridsafe-page-boundary";
    let multipart = |title: &str| {
        let mut out = Vec::new();
        let mut field = |name: &str, value: &str| {
            out.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        };
        field("key", &key);
        for name in ["kind", "category", "grade", "description"] {
            field(name, body[name].as_str().unwrap());
        }
        field("title", title);
        field("lon", &body["lon"].to_string());
        field("lat", &body["lat"].to_string());
        field("enterprise_id", "6");
        out.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        out.extend(png(3));
        out.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        out
    };
    let send = |bytes: Vec<u8>| {
        Request::post(format!("/report?csrf={token}"))
            .header("cookie", format!("gridsafe_session={inspector}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(bytes))
            .unwrap()
    };
    let refused = app.send(send(multipart(""))).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("id=\"error-title\"") && refused.text.contains("带电部位外露"), "{}", refused.text);
    assert!(refused.text.contains("name=\"photo_id\""), "the saved photo is kept for the correction");
    let filed = app.send(send(multipart("配电箱无防护罩"))).await;
    assert_eq!(filed.status, 303, "{}", filed.text);
    let location = filed.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/cases/TF-2026-"), "{location}");
    // Sent again (a double tap, a retry): the same case, not a second one.
    let again = app.send(send(multipart("配电箱无防护罩"))).await;
    assert_eq!(again.headers["location"], location.as_str());
    let page = app.page(&inspector, &location).await;
    assert!(page.text.contains("配电箱无防护罩") && page.text.contains("/api/v1/media/"));
}

#[tokio::test]
async fn me_shows_the_duties_and_changes_the_password() {
    let app = TestApp::demo().await;
    let token = app.login("tf0101.safety").await;
    let me = app.page(&token, "/me").await;
    assert!(me.text.contains("网格员") && me.text.contains("八里"), "{}", me.text);
    let csrf = csrf(&me);
    let mismatch = app
        .post_form(
            Some(&token),
            "/me/password",
            &[
                ("csrf", &csrf),
                ("current", gridsafe::demo::DEMO_PASSWORD),
                ("new", "a-new-password-1"),
                ("repeat", "another-one-22"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400);
    assert!(mismatch.text.contains("id=\"error-repeat\""));
    let changed = app
        .post_form(
            Some(&token),
            "/me/password",
            &[
                ("csrf", &csrf),
                ("current", gridsafe::demo::DEMO_PASSWORD),
                ("new", "a-new-password-1"),
                ("repeat", "a-new-password-1"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.text);
    // The old session ended; the new password works.
    app.get_as(&token, "/api/v1/me").await.expect_error(401, "unauthenticated");
    let login = json!({"username": "tf0101.safety", "password": "a-new-password-1"});
    app.json_as("POST", None, "/api/v1/login", &login).await.expect(200);
}

#[tokio::test]
async fn the_dashboard_shows_the_figures_the_stats_api_gives_and_the_queue_registers_in_one_tap() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app
        .store
        .write(move |c| gridsafe::demo::seed_cases(c, &maps, crate::helpers::NOW, 120).map(drop))
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let (from, to) = ("2026-08-01", "2026-11-18");
    let stats =
        app.get_as(&admin, &format!("/api/v1/stats?from={from}&to={to}&by=grid&level=community")).await.expect(200);
    let page = app.page(&admin, &format!("/dashboard?from={from}&to={to}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let pct = |v: &serde_json::Value| v.as_f64().map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0));
    for figure in [pct(&stats["total"]["closure_rate"]), pct(&stats["total"]["on_time_rate"])] {
        assert!(page.text.contains(&format!(">{figure}<")), "{figure} missing from the dashboard");
    }
    assert!(page.text.contains(&format!("<dd>{}</dd>", stats["total"]["filed"])));
    // One bar pair per community with its closed / filed figures.
    for group in stats["groups"].as_array().unwrap() {
        let label = format!("{} / {}", group["kpi"]["closed"], group["kpi"]["filed"]);
        assert!(page.text.contains(group["name"].as_str().unwrap()) && page.text.contains(&label), "{label}");
    }
    assert!(page.text.contains("<svg") && !page.text.contains("<script>"));
    // The overdue count is the API's overdue list.
    let overdue = app.get_as(&admin, "/api/v1/cases?overdue=true&limit=500").await.expect(200);
    let n = overdue["items"].as_array().unwrap().len();
    assert!(page.text.contains(&format!("<strong>{n}</strong><span>已超期</span>")), "{n} overdue");

    // The queue: a reported case registered with one tap, back to the queue.
    let queue = app.page(&admin, "/queue").await;
    let at = queue.text.find("action=\"/cases/").expect("a case to register") + "action=\"/cases/".len();
    let number = queue.text[at..at + 14].to_owned();
    let version = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200)["version"].to_string();
    let done = app
        .post_form(
            Some(&admin),
            &format!("/cases/{number}/act"),
            &[("csrf", &csrf(&queue)), ("action", "register"), ("version", &version), ("back", "/queue")],
        )
        .await;
    assert_eq!((done.status.as_u16(), done.headers["location"].to_str().unwrap()), (303, "/queue"));
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["status"], "registered");
}
