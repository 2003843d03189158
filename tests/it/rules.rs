//! Rules of SPEC §5–§8 that no other test pinned: case numbers restart each
//! year, who may review a patrol log, the printed 五落实 block and transfer
//! statement of a major hazard's notice, and photos served without EXIF.

use std::io::Cursor;

use serde_json::json;

use crate::cases::{act, file, hazard, photo, upload};
use crate::helpers::TestApp;

/// 2027-01-01T00:00:05+08:00.
const NEW_YEAR_2027: i64 = 1_798_732_805;

#[tokio::test]
async fn case_numbers_restart_at_one_each_year_and_stay_gap_free_within_it() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let body = hazard(&app, &[photo(&app, &admin, 1).await]);
    let first = file(&app, &admin, &body).await;
    let second = file(&app, &admin, &body).await;
    assert_eq!((first.as_str(), second.as_str()), ("TF-2026-000001", "TF-2026-000002"));
    app.app.clock.set(NEW_YEAR_2027);
    let admin = app.login("admin").await;
    assert_eq!(file(&app, &admin, &body).await, "TF-2027-000001");
    assert_eq!(file(&app, &admin, &body).await, "TF-2027-000002");
    // A filing stamped in the old year (a clock set back) continues that year's sequence.
    app.app.clock.set(NEW_YEAR_2027 - 3600);
    assert_eq!(file(&app, &admin, &body).await, "TF-2026-000003");
}

#[tokio::test]
async fn a_major_hazards_notice_prints_its_five_point_plan_and_the_transfer_statement() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let mut body = hazard(&app, &[photo(&app, &admin, 3).await]);
    body["grade"] = json!("major");
    body["criterion"] = json!("《工贸企业重大事故隐患判定标准》第四条第（一）项");
    let number = file(&app, &admin, &body).await;
    act(&app, &admin, &number, None, json!({"action": "register"})).await.expect(200);
    act(&app, &admin, &number, None, json!({"action": "transfer", "department": "青州市应急管理局"})).await.expect(200);
    let plan = json!({"responsible_person": "王建国（厂长）", "measures": "停产整改，更换防爆电气",
        "funds": "八万元，企业自筹", "deadline": "2026-12-20", "contingency": "整改期间设警戒区"});
    let dispatch = json!({"action": "dispatch", "responsible": "世邦机械", "measures": "停产整改",
        "deadline": "2026-12-20", "plan": plan});
    act(&app, &admin, &number, None, dispatch).await.expect(200);
    let uri = format!("/api/v1/cases/{number}/notice.pdf");
    let pdf = app.get_bytes_as(&admin, &uri).await;
    // The case's route serves the stored notice, and honours its ETag like the document route.
    let etag = app.get_as(&admin, &uri).await.headers["etag"].to_str().unwrap().to_owned();
    let request = axum::http::Request::get(&uri)
        .header("authorization", format!("Bearer {admin}"))
        .header("if-none-match", &etag)
        .body(axum::body::Body::empty())
        .unwrap();
    let cached = app.send(request).await;
    assert_eq!((cached.status.as_u16(), cached.text.as_str()), (304, ""));
    app.get_as(&admin, &format!("/api/v1/cases/{number}/signoff.pdf")).await.expect_error(404, "not_found");
    app.get_as(&app.login("tf0103.safety").await, &uri).await.expect_error(404, "not_found");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text: String = doc.extract_text(&pages).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        "重大事故隐患",
        "五落实",
        "王建国（厂长）",
        "停产整改，更换防爆电气",
        "八万元，企业自筹",
        "整改期间设警戒区",
        "移送说明",
        "青州市应急管理局",
        "继续跟踪督办",
        "《工贸企业重大事故隐患判定标准》第四条第（一）项",
    ] {
        assert!(text.contains(expected), "the notice lacks {expected}: {text}");
    }
}

/// A JPEG with an EXIF block (APP1) naming a GPS position, as phones write them.
fn jpeg_with_exif() -> Vec<u8> {
    let image = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([(x * 3) as u8, (y * 4) as u8, 90]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    // APP1 "Exif\0\0" + a little-endian TIFF header with one empty IFD, then a GPS note.
    let mut payload = b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(b"GPSLatitude 36.7301 GPSLongitude 118.6201");
    let length = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1, length[0], length[1]]);
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn photos_are_served_without_their_exif_position() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let original = jpeg_with_exif();
    assert!(contains(&original, b"Exif\0\0") && contains(&original, b"GPSLatitude"), "the fixture carries EXIF");
    assert!(image::load_from_memory(&original).is_ok(), "the fixture is a valid JPEG");
    let id = upload(&app, &inspector, &original).await.expect(201)["id"].as_str().unwrap().to_owned();
    for uri in [format!("/api/v1/media/{id}"), format!("/api/v1/media/{id}?thumbnail=true")] {
        let served = app.get_bytes_as(&inspector, &uri).await;
        assert!(served.starts_with(&[0xFF, 0xD8]), "{uri} is a JPEG");
        assert!(!contains(&served, b"Exif"), "{uri} still carries an EXIF block");
        assert!(!contains(&served, b"GPSLatitude"), "{uri} still carries the position");
        assert!(image::load_from_memory(&served).is_ok(), "{uri} decodes");
    }
}

#[tokio::test]
async fn a_chief_of_another_river_cannot_review_a_log_and_the_river_office_approves_it() {
    let app = TestApp::demo().await;
    let chief = app.login("chief.mihe").await;
    // 2026-10-12 08:00 China time: a walk of its own, unlike any other test's.
    let filed = crate::patrols::file_valid(&app, &chief, 1_791_763_200).await;
    let code = filed["code"].as_str().unwrap().to_owned();
    let review = json!({"decision": "approve", "comment": "同意"});
    let uri = format!("/api/v1/patrols/{code}/review");
    let other = app.login("chief.xierhe").await;
    let refused = app.json_as("POST", Some(&other), &uri, &review).await;
    assert!(matches!(refused.status.as_u16(), 403 | 404), "{}", refused.text);
    let admin = app.login("admin").await;
    let unchanged = app.get_as(&admin, &format!("/api/v1/patrols/{code}")).await.expect(200);
    assert_eq!(unchanged["review_status"], "pending", "a refused review changes nothing");
    assert_eq!(unchanged["version"], filed["version"]);
    let approved = app.json_as("POST", Some(&admin), &uri, &review).await.expect(200);
    assert_eq!(approved["review_status"], "approved");
}
