//! Official documents: notices issued at dispatch and opinions at approval or
//! return, read back from the PDF bytes (page count, Chinese text, embedded
//! subset font, the QR code), stored once and served byte for byte, with their
//! hash in the audit entry that issued them.

use serde_json::{Value, json};

use crate::cases::{act, count, file, hazard, registered, upload};
use crate::helpers::TestApp;

/// A parsed PDF: its pages' text and the document for deeper looks.
pub struct Pdf {
    doc: lopdf::Document,
    pages: Vec<String>,
}

pub fn parse(bytes: &[u8]) -> Pdf {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
    let pages = numbers.iter().map(|n| doc.extract_text(&[*n]).expect("text extracts")).collect();
    Pdf { doc, pages }
}

impl Pdf {
    /// All text with whitespace removed (extraction splits runs at arbitrary places).
    fn text(&self) -> String {
        self.pages.concat().chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn page_text(&self, i: usize) -> String {
        self.pages[i].chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// The embedded font programs: (BaseFont name, bytes of the font file).
    fn fonts(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for object in self.doc.objects.values() {
            let Ok(dict) = object.as_dict() else { continue };
            if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"FontDescriptor".as_slice()) {
                continue;
            }
            let name = dict.get(b"FontName").and_then(|n| n.as_name()).map(|n| String::from_utf8_lossy(n).into_owned());
            let file = [b"FontFile3".as_slice(), b"FontFile2", b"FontFile"]
                .iter()
                .find_map(|key| dict.get(key).ok().and_then(|r| r.as_reference().ok()))
                .and_then(|id| self.doc.get_object(id).ok())
                .and_then(|o| o.as_stream().ok())
                .map(|s| s.content.len());
            out.push((name.unwrap_or_default(), file.unwrap_or(0)));
        }
        out
    }

    /// Decodes every QR code drawn as a greyscale image.
    pub fn qr_codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for object in self.doc.objects.values() {
            let Ok(stream) = object.as_stream() else { continue };
            let d = &stream.dict;
            let is_grey = d.get(b"ColorSpace").and_then(|c| c.as_name()).ok() == Some(b"DeviceGray".as_slice());
            if d.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Image".as_slice()) || !is_grey {
                continue;
            }
            let w = d.get(b"Width").and_then(lopdf::Object::as_i64).unwrap() as u32;
            let h = d.get(b"Height").and_then(lopdf::Object::as_i64).unwrap() as u32;
            let pixels = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            let scale = 8;
            let big = image::GrayImage::from_fn(w * scale, h * scale, |x, y| {
                image::Luma([pixels[((y / scale) * w + x / scale) as usize]])
            });
            let mut prepared = rqrr::PreparedImage::prepare(big);
            for grid in prepared.detect_grids() {
                out.push(grid.decode().expect("the QR code decodes").1);
            }
        }
        out
    }
}

use gridsafe::domain::audit::sha256_hex;

/// Uploads a realistic 640×480 site photo.
async fn site_photo(app: &TestApp, token: &str, seed: u8) -> String {
    let bytes = gridsafe::demo::sample_photo(seed);
    upload(app, token, &bytes).await.expect(201)["id"].as_str().unwrap().to_owned()
}

/// Files a hazard at 世邦机械 with a site photo and registers it.
async fn registered_with_site_photo(app: &TestApp, admin: &str, seed: u8, title: &str) -> String {
    let mut body = hazard(app, &[site_photo(app, admin, seed).await]);
    body["title"] = json!(title);
    let number = file(app, admin, &body).await;
    act(app, admin, &number, None, json!({"action": "register"})).await.expect(200);
    number
}

fn documents_of(case: &Value) -> Vec<Value> {
    case["documents"].as_array().unwrap().clone()
}

#[tokio::test]
async fn dispatch_issues_a_notice_that_reads_back_and_is_anchored_in_the_audit_log() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered_with_site_photo(&app, &admin, 1, "配电箱无防护罩").await;
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械 设备科", "measures": "加装防护罩并上锁，张贴警示标识",
                          "deadline": "2099-12-31"});
    let case = act(&app, &admin, &number, None, dispatch).await.expect(200);
    let docs = documents_of(&case);
    assert_eq!(docs.len(), 1, "{case}");
    assert_eq!(docs[0]["kind"], "notice");
    let printed_number = docs[0]["number"].as_str().unwrap();
    assert!(printed_number.starts_with("谭坊整改〔20") && printed_number.ends_with("0001号"), "{printed_number}");

    let bytes = app.get_bytes_as(&admin, docs[0]["url"].as_str().unwrap()).await;
    let pdf = parse(&bytes);
    assert_eq!(pdf.pages.len(), 1);
    let text = pdf.text();
    for expected in [
        "隐患整改通知书",
        "青州市谭坊镇人民政府",
        printed_number,
        "世邦机械",
        &number,
        "配电箱无防护罩",
        "加装防护罩并上锁",
        "2099-12-31",
        "二一〇〇年一月三日",
        "检查人员（签名）",
        "被检查单位负责人（签收）",
        "第1页共1页",
        "审计链锚点#",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // The dispatch's audit entry carries the hash of exactly these bytes.
    let dispatch_entry = case["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "dispatch").unwrap();
    assert_eq!(dispatch_entry["document_sha256"], sha256_hex(&bytes));
    assert_eq!(docs[0]["sha256"], sha256_hex(&bytes));
    // The chain head printed in the footer is the entry before the dispatch.
    let register_entry = case["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "register").unwrap();
    let anchor = format!("#{}{}", register_entry["seq"], &register_entry["hash"].as_str().unwrap()[..16]);
    assert!(text.contains(&anchor), "footer anchor {anchor} not in {text}");
}

#[tokio::test]
async fn a_joint_notice_with_two_photos_is_one_small_page_with_a_subset_font_and_a_readable_qr_code() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let first = registered_with_site_photo(&app, &admin, 2, "配电箱无防护罩").await;
    let second = registered_with_site_photo(&app, &admin, 3, "灭火器过期").await;
    let body = json!({"responsible": "世邦机械", "cases": [
        {"number": first, "measures": "加装防护罩", "deadline": "2099-01-15"},
        {"number": second, "measures": "更换灭火器", "deadline": "2099-01-20"}]});
    let issued = app.json_as("POST", Some(&admin), "/api/v1/notices", &body).await.expect(201);
    assert_eq!(issued["cases"], json!([first, second]));
    let bytes = app.get_bytes_as(&admin, issued["url"].as_str().unwrap()).await;
    assert!(bytes.len() < 300 * 1024, "a one-page notice with two photos is {} bytes", bytes.len());
    let pdf = parse(&bytes);
    assert_eq!(pdf.pages.len(), 1);
    let text = pdf.text();
    for expected in [first.as_str(), second.as_str(), "灭火器过期", "2099-01-15", "2099-01-20", "共2项"] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // One font, embedded as a subset (tagged ABCDEF+) and far smaller than the shipped file.
    let fonts = pdf.fonts();
    assert_eq!(fonts.len(), 1, "{fonts:?}");
    let (name, size) = &fonts[0];
    assert!(name.len() > 7 && name.as_bytes()[6] == b'+', "not a subset name: {name}");
    assert!(*size > 1000 && *size < 200 * 1024, "font program of {size} bytes");
    // The QR code decodes to the notice's public verification link.
    let codes = pdf.qr_codes();
    assert_eq!(codes.len(), 1, "{codes:?}");
    let code = issued["document"]["code"].as_str().unwrap();
    assert!(codes[0].starts_with("http") && codes[0].ends_with(&format!("/verify/{code}")), "{}", codes[0]);
    // Both cases are dispatched and both dispatch entries carry the one notice's hash.
    for number in [&first, &second] {
        let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
        assert_eq!(case["status"], "dispatched");
        let entry = case["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "dispatch").unwrap().clone();
        assert_eq!(entry["document_sha256"], sha256_hex(&bytes));
    }
}

#[tokio::test]
async fn the_same_document_asked_for_twice_is_byte_identical_and_the_row_cannot_change() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 30).await;
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-02-01"});
    let case = act(&app, &admin, &number, None, dispatch).await.expect(200);
    let url = documents_of(&case)[0]["url"].as_str().unwrap().to_owned();
    let once = app.get_bytes_as(&admin, &url).await;
    let twice = app.get_bytes_as(&admin, &url).await;
    assert_eq!(once, twice);
    let response = app.get_as(&admin, &url).await;
    assert_eq!(response.headers["etag"].to_str().unwrap(), format!("\"{}\"", sha256_hex(&once)));
    assert_eq!(response.content_type, "application/pdf");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let edited = conn.execute("UPDATE documents SET bytes = x'00'", []);
    assert!(edited.unwrap_err().to_string().contains("immutable"));
    assert!(conn.execute("DELETE FROM documents", []).is_err());
    assert_eq!(app.get_bytes_as(&admin, &url).await, once);
}

#[tokio::test]
async fn approval_issues_a_signoff_and_a_return_issues_a_reinspection_opinion() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let inspector = app.login("tf0101.safety").await;
    let expert = app.login("eexpert06").await;
    let number = registered_with_site_photo(&app, &admin, 4, "配电箱无防护罩").await;
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "加装防护罩", "deadline": "2099-03-01"});
    act(&app, &admin, &number, None, dispatch).await.expect(200);
    let fix = |photo: String| json!({"action": "submit", "photos": [photo], "description": "已加装防护罩"});
    act(&app, &inspector, &number, None, fix(site_photo(&app, &inspector, 5).await)).await.expect(200);
    let returned =
        act(&app, &expert, &number, None, json!({"action": "return", "reason": "防护罩未固定"})).await.expect(200);
    let review = documents_of(&returned).into_iter().find(|d| d["kind"] == "review").unwrap();
    let pdf = parse(&app.get_bytes_as(&admin, review["url"].as_str().unwrap()).await);
    let text = pdf.text();
    for expected in
        ["整改复查意见书", "防护罩未固定", "责令返工（第1次返工）", "整改前", "整改后", &number, "谭坊整改〔"]
    {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    act(&app, &inspector, &number, None, fix(site_photo(&app, &inspector, 6).await)).await.expect(200);
    let closed = act(&app, &expert, &number, None, json!({"action": "approve", "comment": "整改到位，同意销号"}))
        .await
        .expect(200);
    let docs = documents_of(&closed);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["notice", "review", "review"]);
    assert_ne!(docs[1]["number"], docs[2]["number"], "each opinion has its own number");
    let pdf = parse(&app.get_bytes_as(&expert, docs[2]["url"].as_str().unwrap()).await);
    let text = pdf.text();
    assert!(text.contains("整改合格，同意销号"), "{text}");
    assert!(text.contains("整改到位，同意销号"), "{text}");
    let approve = closed["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "approve").unwrap().clone();
    assert_eq!(approve["document_sha256"], docs[2]["sha256"]);
}

#[tokio::test]
async fn a_document_outside_the_callers_scope_is_not_found() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 31).await;
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-02-01"});
    let case = act(&app, &admin, &number, None, dispatch).await.expect(200);
    let url = documents_of(&case)[0]["url"].as_str().unwrap().to_owned();
    let other_village = app.login("tf0102.safety").await;
    app.get_as(&other_village, &url).await.expect_error(404, "not_found");
    app.get_as(&admin, "/api/v1/documents/N-1999-0001").await.expect_error(404, "not_found");
    app.get(&url).await.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn a_joint_notice_that_cannot_be_issued_stores_nothing() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let first = registered(&app, &admin, 32).await;
    // A case at another enterprise (enterprise 1).
    let mut other = hazard(&app, &[crate::cases::photo(&app, &admin, 33).await]);
    other["enterprise_id"] = json!(1);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (lon, lat): (f64, f64) =
        conn.query_row("SELECT lon, lat FROM enterprises WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    other["lon"] = json!(lon);
    other["lat"] = json!(lat);
    let second = file(&app, &admin, &other).await;
    act(&app, &admin, &second, None, json!({"action": "register"})).await.expect(200);
    let before = (count(&app, "documents"), count(&app, "audit_log"), count(&app, "document_counters"));
    let body = json!({"responsible": "世邦机械", "cases": [
        {"number": first, "measures": "加装防护罩", "deadline": "2099-01-15"},
        {"number": second, "measures": "更换灭火器", "deadline": "2099-01-20"}]});
    let error = app.json_as("POST", Some(&admin), "/api/v1/notices", &body).await.expect_error(400, "invalid");
    assert!(error["message"].as_str().unwrap().contains("不属于同一企业"), "{error}");
    for body in [
        json!({"responsible": "世邦机械", "cases": []}),
        json!({"responsible": "世邦机械", "cases": [{"number": first, "measures": "x", "deadline": "2000-01-01"}]}),
        json!({"responsible": "世邦机械", "cases": [{"number": "TF-2099-999999", "measures": "x", "deadline": "2099-01-01"}]}),
    ] {
        let response = app.json_as("POST", Some(&admin), "/api/v1/notices", &body).await;
        assert!(response.status.is_client_error(), "{body} → {}", response.status);
    }
    assert_eq!((count(&app, "documents"), count(&app, "audit_log"), count(&app, "document_counters")), before);
    let case = app.get_as(&admin, &format!("/api/v1/cases/{first}")).await.expect(200);
    assert_eq!(case["status"], "registered");
}

#[tokio::test]
async fn a_character_the_font_cannot_draw_refuses_the_dispatch_and_names_it() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 34).await;
    let before = count(&app, "documents");
    // A private-use character lies outside every shipped font: printing it would silently drop it.
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械", "measures": "由\u{E000}师傅负责整改", "deadline": "2099-02-01"});
    let error = act(&app, &admin, &number, None, dispatch).await.expect_error(400, "invalid");
    assert!(error["message"].as_str().unwrap().contains('\u{E000}'), "{error}");
    assert_eq!(count(&app, "documents"), before);
    let case = app.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["status"], "registered");
}

#[test]
fn a_sixty_finding_notice_spans_pages_and_repeats_the_table_header_on_each() {
    use gridsafe::docs::notice::{Addressee, Finding, Heading, NoticeView, render_notice};
    let dir = tempfile::tempdir().unwrap();
    let conn = gridsafe::store::open_migrated(&dir.path().join("t.db")).unwrap();
    gridsafe::service::geography::load_demo(&conn).unwrap();
    let maps = gridsafe::service::geography::load_maps(&conn).unwrap();
    let findings: Vec<Finding> = (1..=60)
        .map(|i| Finding {
            case_number: format!("TF-2026-{i:06}"),
            place: "八里".into(),
            description: format!("第{i}处：消防通道被杂物堵塞，疏散指示标志损坏。"),
            category: "消防安全".into(),
            grade: "一般".into(),
            basis: "《中华人民共和国消防法》第二十八条".into(),
            measures: "清理通道，更换标志。".into(),
            deadline: "2026-12-31".into(),
            ..Finding::default()
        })
        .collect();
    let view = NoticeView {
        addressee: Addressee {
            name: "谭坊镇测试企业".into(),
            grid: "谭坊镇 / 八里（TF0101）".into(),
            ..Addressee::default()
        },
        inspected_on: "2026-11-20".into(),
        inspectors: vec!["王建国".into(), "李秀英".into()],
        findings,
        recheck_on: "2027-01-03".into(),
        grid_code: "TF0101".into(),
        ..NoticeView::default()
    };
    let heading = Heading {
        issuer: "青州市谭坊镇人民政府".into(),
        number: "谭坊整改〔2026〕0060号".into(),
        issued_on: "2026-11-28".into(),
        chain_anchor: "#1 0000000000000000".into(),
        qr_payload: "TF-2026-000001".into(),
        // 2026-11-28T10:00:00+08:00.
        issued_at: 1_795_831_200,
    };
    let rendered = render_notice(&view, &heading, &maps).unwrap();
    let pdf = parse(&rendered.bytes);
    assert_eq!(pdf.pages.len(), rendered.pages);
    assert!(pdf.pages.len() >= 4, "60 findings on {} pages", pdf.pages.len());
    let table_pages: Vec<usize> = (0..pdf.pages.len()).filter(|i| pdf.page_text(*i).contains("TF-2026-0000")).collect();
    assert!(table_pages.len() >= 3, "{table_pages:?}");
    for i in &table_pages {
        let text = pdf.page_text(*i);
        assert!(text.contains("序号") && text.contains("隐患描述") && text.contains("整改期限"), "page {i}: {text}");
        assert!(text.contains(&format!("第{}页共{}页", i + 1, pdf.pages.len())), "page {i}: {text}");
    }
    let all = pdf.text();
    for i in 1..=60 {
        assert!(all.contains(&format!("TF-2026-{i:06}")), "finding {i} missing");
    }
}

#[test]
fn the_cli_writes_issued_documents_byte_for_byte_and_a_month_with_a_progress_bar() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(async {
        let app = TestApp::demo().await;
        let maps = app.app.maps();
        let now = crate::helpers::NOW;
        app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, now, 40)).await.unwrap();
        app
    });
    let db = app.db_path();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .env("GRIDSAFE_NOW", crate::helpers::NOW.to_string())
            .output()
            .unwrap()
    };
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (case, month, bytes): (String, String, Vec<u8>) = conn
        .query_row(
            "SELECT c.number, substr(d.issued_at, 1, 7), d.bytes FROM documents d
             JOIN document_cases dc ON dc.document_id = d.id JOIN cases c ON c.id = dc.case_id
             WHERE d.kind = 'notice' ORDER BY d.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let out = app.dir.path().join("notice.pdf");
    let output = run(&["pdf", "notice", &case, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let missing = run(&["pdf", "signoff", "TF-1999-000001", "--out", out.to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("TF-1999-000001"));

    let dir = app.dir.path().join("notices");
    let output = run(&["pdf", "month", &month, "--out", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let expected: i64 = conn
        .query_row(
            "SELECT count(*) FROM documents WHERE kind = 'notice' AND substr(issued_at, 1, 7) = ?1",
            [&month],
            |r| r.get(0),
        )
        .unwrap();
    assert!(expected > 0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count() as i64, expected);
    // The progress bar (indicatif) draws only on a terminal; the summary is always printed.
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains(&format!("{expected} 份文书已写入")), "{summary}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("[#"), "no bar drawn into a log");
    assert!(!run(&["pdf", "month", "2026-13", "--out", dir.to_str().unwrap()]).status.success());
}

#[tokio::test]
async fn a_correction_is_a_new_notice_with_a_new_number_and_the_old_one_stays() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let number = registered(&app, &admin, 35).await;
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-02-01"});
    let case = act(&app, &admin, &number, None, dispatch).await.expect(200);
    let old = documents_of(&case)[0].clone();
    let old_bytes = app.get_bytes_as(&admin, old["url"].as_str().unwrap()).await;
    let extend = json!({"action": "extend", "deadline": "2099-03-15", "reason": "设备到货延迟"});
    act(&app, &admin, &number, None, extend).await.expect(200);
    let uri = format!("/api/v1/documents/{}/corrections", old["code"].as_str().unwrap());
    let inspector = app.login("tf0101.safety").await;
    app.json_as("POST", Some(&inspector), &uri, &json!({"reason": "期限已延长"})).await.expect_error(403, "forbidden");
    app.json_as("POST", Some(&admin), &uri, &json!({"reason": " "})).await.expect_error(400, "invalid");
    let corrected = app.json_as("POST", Some(&admin), &uri, &json!({"reason": "期限已延长"})).await.expect(201);
    assert_eq!(corrected["document"]["supersedes"], old["code"]);
    assert_ne!(corrected["document"]["number"], old["number"]);
    let text = parse(&app.get_bytes_as(&admin, corrected["url"].as_str().unwrap()).await).text();
    assert!(text.contains("2099-03-15"), "{text}");
    assert!(text.contains(&format!("更正并替代{}", old["number"].as_str().unwrap())), "{text}");
    assert_eq!(app.get_bytes_as(&admin, old["url"].as_str().unwrap()).await, old_bytes);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let hash: String =
        conn.query_row("SELECT document_sha256 FROM audit_log WHERE action = 'reissue'", [], |r| r.get(0)).unwrap();
    assert_eq!(json!(hash), corrected["document"]["sha256"]);
}

/// Files a hazard in `village` that names no enterprise (as the README's tour
/// does) and registers it; returns its number.
async fn unattached(app: &TestApp, admin: &str, seed: u8, title: &str, village: &str) -> String {
    let mut body = hazard(app, &[crate::cases::photo(app, admin, seed).await]);
    body.as_object_mut().unwrap().remove("enterprise_id");
    let p = geo::InteriorPoint::interior_point(&app.app.maps().grid(village).unwrap().shape).unwrap();
    body["lon"] = json!(p.x());
    body["lat"] = json!(p.y());
    body["title"] = json!(title);
    let number = file(app, admin, &body).await;
    act(app, admin, &number, None, json!({"action": "register"})).await.expect(200);
    number
}

#[tokio::test]
async fn documents_to_a_registered_enterprise_print_its_uscc_address_and_grid_and_free_text_as_given() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (uscc, address, grid): (String, String, String) = conn
        .query_row("SELECT uscc, address, grid_code FROM enterprises WHERE name = '世邦机械'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    let grid_name = app.app.maps().grid(&grid).unwrap().grid.name.clone();
    // The findings lie in another village than the enterprise's registered one.
    let village = if grid == "TF0102" { "TF0103" } else { "TF0102" };
    let first = unattached(&app, &admin, 40, "配电箱无防护罩", village).await;
    let second = unattached(&app, &admin, 41, "灭火器过期", village).await;
    let body = json!({"responsible": "世邦机械", "cases": [
        {"number": first, "measures": "加装防护罩", "deadline": "2099-01-15"},
        {"number": second, "measures": "更换灭火器", "deadline": "2099-01-20"}]});
    let issued = app.json_as("POST", Some(&admin), "/api/v1/notices", &body).await.expect(201);
    let text = parse(&app.get_bytes_as(&admin, issued["url"].as_str().unwrap()).await).text();
    for expected in [
        "被检查单位世邦机械".to_owned(),
        format!("统一社会信用代码{uscc}"),
        format!("单位地址{address}"),
        format!("{grid_name}（{grid}）"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in {text}");
    }
    assert!(!text.contains(&format!("（{village}）")), "the addressee's grid is the enterprise's: {text}");

    // The re-inspection opinion of one of them names the same addressee.
    let expert = app.login("expert1").await;
    let fix =
        json!({"action": "submit", "photos": [crate::cases::photo(&app, &admin, 42).await], "description": "已加装"});
    act(&app, &admin, &first, None, fix).await.expect(200);
    let closed =
        act(&app, &expert, &first, None, json!({"action": "approve", "comment": "同意销号"})).await.expect(200);
    let review = documents_of(&closed).into_iter().find(|d| d["kind"] == "review").unwrap();
    let text = parse(&app.get_bytes_as(&admin, review["url"].as_str().unwrap()).await).text();
    for expected in [
        "被检查单位世邦机械".to_owned(),
        format!("统一社会信用代码{uscc}"),
        format!("{grid_name}（{grid}）"),
        format!("单位地址{address}"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in {text}");
    }

    // A responsible party that is not a registered name is printed as given, with the case's grid.
    let third = unattached(&app, &admin, 43, "电线私拉乱接", village).await;
    let dispatch = json!({"action": "dispatch", "responsible": "李记五金加工部", "measures": "规范布线", "deadline": "2099-02-01"});
    let case = act(&app, &admin, &third, None, dispatch).await.expect(200);
    let text = parse(&app.get_bytes_as(&admin, documents_of(&case)[0]["url"].as_str().unwrap()).await).text();
    for expected in ["被检查单位李记五金加工部", "统一社会信用代码—", "单位地址—", &format!("（{village}）")]
    {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
}

/// A value of the PDF's document information dictionary, decoded (UTF-16BE with a BOM, or bytes).
fn info(doc: &lopdf::Document, key: &[u8]) -> String {
    let id = doc.trailer.get(b"Info").and_then(lopdf::Object::as_reference).expect("an Info dictionary");
    let dict = doc.get_dictionary(id).unwrap();
    let bytes = dict.get(key).and_then(lopdf::Object::as_str).unwrap_or_default();
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).unwrap()
        }
        other => String::from_utf8_lossy(other).into_owned(),
    }
}

#[test]
fn a_notice_carries_its_issue_time_and_title_and_hazards_at_one_point_share_a_readable_marker() {
    use gridsafe::docs::notice::{Addressee, Finding, Heading, NoticeView, render_notice};
    let dir = tempfile::tempdir().unwrap();
    let conn = gridsafe::store::open_migrated(&dir.path().join("t.db")).unwrap();
    gridsafe::service::geography::load_demo(&conn).unwrap();
    let maps = gridsafe::service::geography::load_maps(&conn).unwrap();
    let p = geo::InteriorPoint::interior_point(&maps.grid("TF0101").unwrap().shape).unwrap();
    let finding = |n: u32| Finding {
        case_number: format!("TF-2026-{n:06}"),
        place: "八里".into(),
        description: "同一车间内两处隐患".into(),
        category: "用电安全".into(),
        grade: "一般".into(),
        basis: "《中华人民共和国安全生产法》第四十一条".into(),
        measures: "整改".into(),
        deadline: "2026-12-31".into(),
        ..Finding::default()
    };
    let view = NoticeView {
        addressee: Addressee {
            name: "世邦机械".into(),
            grid: "谭坊镇 / 谭坊社区 / 八里（TF0101）".into(),
            ..Addressee::default()
        },
        inspected_on: "2026-11-20".into(),
        inspectors: vec!["王建国".into()],
        findings: vec![finding(1), finding(2)],
        recheck_on: "2027-01-03".into(),
        grid_code: "TF0101".into(),
        points: vec![(p.x(), p.y()), (p.x(), p.y())],
        ..NoticeView::default()
    };
    let heading = Heading {
        issuer: "青州市谭坊镇人民政府".into(),
        number: "谭坊整改〔2026〕0061号".into(),
        issued_on: "2026-11-28".into(),
        chain_anchor: "#1 0000000000000000".into(),
        qr_payload: "TF-2026-000001".into(),
        // 2026-11-28T10:00:00+08:00.
        issued_at: 1_795_831_200,
    };
    let rendered = render_notice(&view, &heading, &maps).unwrap();
    let pdf = parse(&rendered.bytes);
    // Both numbers on one marker, so neither is printed over the other.
    assert!(pdf.text().contains("1、2"), "{}", pdf.text());
    assert_eq!(info(&pdf.doc, b"Title"), "隐患整改通知书 谭坊整改〔2026〕0061号");
    assert_eq!(info(&pdf.doc, b"Author"), "青州市谭坊镇人民政府");
    // 10:00 in China is 02:00 UTC.
    assert_eq!(info(&pdf.doc, b"CreationDate"), "D:20261128020000+00'00'");
    assert_eq!(info(&pdf.doc, b"ModDate"), "D:20261128020000+00'00'");
}
