//! Whatever a phone can type, the documents can print: emoji, rare
//! characters of CJK Extension A and B, and pinyin with tone marks go from
//! the filing form to the printed notice; what no font has is refused where
//! it is typed, naming the field and the character, and nothing is written.

use serde_json::{Value, json};

use crate::cases::{act, count, photo};
use crate::helpers::TestApp;

fn inside(app: &TestApp, grid: &str) -> (f64, f64) {
    let p = geo::InteriorPoint::interior_point(&app.app.maps().grid(grid).unwrap().shape).unwrap();
    (p.x(), p.y())
}

/// The text of every page of a PDF, whitespace removed.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extracts").chars().filter(|c| !c.is_whitespace()).collect()
}

fn hazard(app: &TestApp, grid: &str, enterprise: i64, photo: &str, description: &str) -> Value {
    let (lon, lat) = inside(app, grid);
    json!({"kind": "safety", "category": "S-F10", "grade": "general", "title": "配电箱无防护罩😱",
           "description": description, "lon": lon, "lat": lat, "enterprise_id": enterprise, "photos": [photo]})
}

#[tokio::test]
async fn emoji_rare_characters_and_pinyin_go_from_filing_to_the_printed_notice() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    // An enterprise and an inspector whose names hold Extension A and B characters.
    let (lon, lat) = inside(&app, "TF0301");
    let enterprise = json!({"name": "䶮𠮷五金厂", "address": "东山工业园 Dōngshān", "lon": lon, "lat": lat,
                            "industry": "五金", "contact_name": "Lǚ Xiǎo𠮷"});
    let enterprise = app.json_as("POST", Some(&admin), "/api/v1/enterprises", &enterprise).await.expect(201);
    assert_eq!(enterprise["name"], "䶮𠮷五金厂");
    let id = enterprise["id"].as_i64().unwrap();
    let password = gridsafe::demo::DEMO_PASSWORD;
    let person = json!({"username": "wang.yan", "name": "王䶮𠮷", "password": password});
    app.json_as("POST", Some(&admin), "/api/v1/people", &person).await.expect(201);
    let assignment = json!({"username": "wang.yan", "role": "inspector", "duty": "safety", "scope": ["TF0301"]});
    app.json_as("POST", Some(&admin), "/api/v1/assignments", &assignment).await.expect(201);
    let inspector = app.login("wang.yan").await;

    // The phone sends the emoji with its presentation selector and the tone
    // mark as a combining character: stored composed and without the selector.
    let typed = "带电部位外露😱\u{FE0F}，𠮷师傅说：xia\u{030C}n zhe\u{0301}ng 危险🔥";
    let body = hazard(&app, "TF0301", id, &photo(&app, &inspector, 51).await, typed);
    let filed = app.json_as("POST", Some(&inspector), "/api/v1/cases", &body).await.expect(201);
    let number = filed["number"].as_str().unwrap().to_owned();
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    let stored = "带电部位外露😱，𠮷师傅说：xiǎn zhéng 危险🔥";
    assert_eq!(case["description"], stored, "{case}");

    act(&app, &admin, &number, None, json!({"action": "register"})).await.expect(200);
    let dispatch = json!({"action": "dispatch", "responsible": "䶮𠮷五金厂 Lǚ Xiǎo𠮷", "measures": "加装防护罩😱并上锁",
                          "deadline": "2099-12-31"});
    let case = act(&app, &admin, &number, None, dispatch).await.expect(200);
    let docs = case["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{case}");
    let bytes = app.get_bytes_as(&admin, docs[0]["url"].as_str().unwrap()).await;
    let text = pdf_text(&bytes);
    for expected in [
        "配电箱无防护罩😱",
        "带电部位外露😱",
        "𠮷师傅说",
        "xiǎn",
        "zhéng",
        "危险🔥",
        "䶮𠮷五金厂",
        "王䶮𠮷",
        "东山工业园Dōngshān",
        "加装防护罩😱并上锁",
    ] {
        assert!(text.contains(expected), "{expected} is not in the notice: {text}");
    }
    assert!(!text.contains('\u{FE0F}'), "{text}");
}

#[tokio::test]
async fn a_character_no_font_has_is_refused_at_filing_naming_the_field_and_nothing_is_written() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let (cases, audit) = (count(&app, "cases"), count(&app, "audit_log"));
    for (bad, code) in [('\u{E000}', "U+E000"), ('\u{0378}', "U+0378")] {
        let body = hazard(&app, "TF0101", 6, &photo(&app, &admin, 52).await, &format!("带电部位外露{bad}"));
        let error = app.json_as("POST", Some(&admin), "/api/v1/cases", &body).await.expect_error(400, "invalid");
        assert_eq!(error["details"]["field"], "description", "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(bad) && message.contains(code), "{error}");
        assert!(error["message_en"].as_str().unwrap().contains(code), "{error}");
    }
    assert_eq!((count(&app, "cases"), count(&app, "audit_log")), (cases, audit));
}

#[tokio::test]
async fn names_and_forms_refuse_what_cannot_print_where_it_is_typed() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let (lon, lat) = inside(&app, "TF0301");
    let enterprise = json!({"name": "测试\u{E000}企业", "lon": lon, "lat": lat});
    let error =
        app.json_as("POST", Some(&admin), "/api/v1/enterprises", &enterprise).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "name", "{error}");
    let enterprise = json!({"name": "测试企业", "lon": lon, "lat": lat, "contact_name": "张\u{E000}"});
    let error =
        app.json_as("POST", Some(&admin), "/api/v1/enterprises", &enterprise).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "contact_name", "{error}");
    let person = json!({"username": "bad.name", "name": "王\u{E000}", "password": "a-long-password"});
    let error = app.json_as("POST", Some(&admin), "/api/v1/people", &person).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "name", "{error}");

    // An action's text is refused before anything is issued.
    let number = crate::cases::registered(&app, &admin, 53).await;
    let documents = count(&app, "documents");
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械", "measures": "由\u{E000}师傅负责整改",
                          "deadline": "2099-02-01"});
    let error = act(&app, &admin, &number, None, dispatch).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "measures", "{error}");
    assert_eq!(count(&app, "documents"), documents);
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["status"], "registered");
}
