//! Scan to verify: every issued document's QR code links its public
//! verification page, `GET /api/v1/verify/{number}` answers without a
//! session with what the paper should say, the stored SHA-256 and the audit
//! entry that recorded it, whether a correction replaced it and whether a
//! holder's hash matches, and names no person.

use gridsafe::domain::audit::sha256_hex;
use serde_json::{Value, json};

use crate::cases::{act, file, hazard, photo};
use crate::documents::parse;
use crate::helpers::{NOW, TestApp};

/// A hazard at 世邦机械 filed by the village's inspector, registered and
/// dispatched by the office: (case number, case view after dispatch).
async fn dispatched(app: &TestApp, admin: &str, seed: u8) -> (String, Value) {
    let inspector = app.login("tf0101.safety").await;
    let number = file(app, &inspector, &hazard(app, &[photo(app, &inspector, seed).await])).await;
    act(app, admin, &number, None, json!({"action": "register"})).await.expect(200);
    let dispatch =
        json!({"action": "dispatch", "responsible": "世邦机械", "measures": "加装防护罩", "deadline": "2099-01-31"});
    let case = act(app, admin, &number, None, dispatch).await.expect(200);
    (number, case)
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn a_dispatched_notice_verifies_without_a_session_and_says_whether_a_hash_matches() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let (number, case) = dispatched(&app, &admin, 1).await;
    let doc = &case["documents"][0];
    let code = doc["code"].as_str().unwrap();
    let bytes = app.get_bytes_as(&admin, doc["url"].as_str().unwrap()).await;
    let sha256 = sha256_hex(&bytes);

    let verified = app.get(&format!("/api/v1/verify/{code}")).await.expect(200);
    let dispatch = case["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "dispatch").unwrap();
    assert_eq!(verified["code"], code);
    assert_eq!(verified["number"], doc["number"]);
    assert_eq!(verified["kind"], "notice");
    assert_eq!(verified["kind_zh"], "隐患整改通知书");
    assert_eq!(verified["kind_en"], "rectification notice");
    assert_eq!(verified["issued_on"], gridsafe::domain::time::china_date(NOW));
    assert_eq!(verified["issuer"], "青州市谭坊镇人民政府");
    assert_eq!(verified["addressee"], "世邦机械");
    assert!(verified["addressee_uscc"].as_str().is_some_and(|u| u.len() == 18), "{verified}");
    assert_eq!(verified["cases"], json!([number]));
    assert_eq!(verified["pages"], 1);
    assert_eq!(verified["sha256"], sha256.as_str());
    assert_eq!(verified["audit_entry"]["seq"], dispatch["seq"]);
    assert_eq!(verified["audit_entry"]["hash"], dispatch["hash"]);
    assert_eq!(verified["audit_entry"]["at"], dispatch["at"]);
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["supersedes"], Value::Null);
    assert_eq!(verified["superseded_by"], Value::Null);
    assert_eq!(verified["sha256_given"], Value::Null);
    assert_eq!(verified["sha256_matches"], Value::Null);

    // The holder's copy: the real hash (any case) matches, another does not, a malformed one is a 400.
    let real = app.get(&format!("/api/v1/verify/{code}?sha256={}", sha256.to_uppercase())).await.expect(200);
    assert_eq!((real["sha256_matches"].clone(), real["sha256_given"].clone()), (json!(true), json!(sha256)));
    let forged = app.get(&format!("/api/v1/verify/{code}?sha256={}", "0".repeat(64))).await.expect(200);
    assert_eq!(forged["sha256_matches"], false);
    let error = app.get(&format!("/api/v1/verify/{code}?sha256=abc123")).await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "sha256");
    // The printed number finds it too; an unknown number is a 404.
    let printed = percent_encoded(doc["number"].as_str().unwrap());
    assert_eq!(app.get(&format!("/api/v1/verify/{printed}")).await.expect(200)["code"], code);
    app.get("/api/v1/verify/N-1999-0001").await.expect_error(404, "not_found");

    // The QR code on the paper leads to exactly this page.
    let codes = parse(&bytes).qr_codes();
    assert_eq!(codes, [format!("http://127.0.0.1:8080/verify/{code}")]);
}

#[tokio::test]
async fn a_corrected_notice_verifies_as_superseded_by_its_correction() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let (number, case) = dispatched(&app, &admin, 2).await;
    let old = case["documents"][0].clone();
    let extend = json!({"action": "extend", "deadline": "2099-03-15", "reason": "设备到货延迟"});
    act(&app, &admin, &number, None, extend).await.expect(200);
    let uri = format!("/api/v1/documents/{}/corrections", old["code"].as_str().unwrap());
    let corrected = app.json_as("POST", Some(&admin), &uri, &json!({"reason": "期限已延长"})).await.expect(201);
    let new = &corrected["document"];

    let was = app.get(&format!("/api/v1/verify/{}", old["code"].as_str().unwrap())).await.expect(200);
    assert_eq!(was["valid"], false);
    assert_eq!(was["superseded_by"]["code"], new["code"]);
    assert_eq!(was["superseded_by"]["number"], new["number"]);
    assert_eq!(was["superseded_by"]["issued_on"], gridsafe::domain::time::china_date(NOW));
    let now = app.get(&format!("/api/v1/verify/{}", new["code"].as_str().unwrap())).await.expect(200);
    assert_eq!(now["valid"], true);
    assert_eq!(now["supersedes"]["code"], old["code"]);
    assert_eq!(now["sha256"], new["sha256"]);
    // Issued under the correction's own audit entry.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (seq, hash): (i64, String) = conn
        .query_row("SELECT seq, hash FROM audit_log WHERE action = 'reissue'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((now["audit_entry"]["seq"].clone(), now["audit_entry"]["hash"].clone()), (json!(seq), json!(hash)));
}

#[tokio::test]
async fn the_qr_code_links_the_servers_own_address_unless_a_public_url_is_set() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    app.app
        .store
        .write(|c| gridsafe::service::documents::record_server_url(c, "http://192.0.2.7:8080/"))
        .await
        .unwrap();
    let (_, case) = dispatched(&app, &admin, 3).await;
    let doc = &case["documents"][0];
    let bytes = app.get_bytes_as(&admin, doc["url"].as_str().unwrap()).await;
    let link = format!("http://192.0.2.7:8080/verify/{}", doc["code"].as_str().unwrap());
    assert_eq!(parse(&bytes).qr_codes(), [link]);

    app.app
        .store
        .write(|c| gridsafe::store::documents::set_setting(c, "public_url", "https://gridsafe.example/"))
        .await
        .unwrap();
    let (number, case) = dispatched(&app, &admin, 4).await;
    let doc = &case["documents"][0];
    let bytes = app.get_bytes_as(&admin, doc["url"].as_str().unwrap()).await;
    let link = format!("https://gridsafe.example/verify/{}", doc["code"].as_str().unwrap());
    assert_eq!(parse(&bytes).qr_codes(), [link]);
    // The re-inspection opinion links its own page the same way.
    let contact = app.login("contact01").await;
    let fix = json!({"action": "submit", "photos": [photo(&app, &contact, 5).await], "description": "已整改"});
    act(&app, &contact, &number, None, fix).await.expect(200);
    let expert = app.login("eexpert06").await;
    let returned = act(&app, &expert, &number, None, json!({"action": "return", "reason": "未固定"})).await.expect(200);
    let review = returned["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "review").unwrap().clone();
    let bytes = app.get_bytes_as(&admin, review["url"].as_str().unwrap()).await;
    let link = format!("https://gridsafe.example/verify/{}", review["code"].as_str().unwrap());
    assert_eq!(parse(&bytes).qr_codes(), [link]);
    let verified = app.get(&format!("/api/v1/verify/{}", review["code"].as_str().unwrap())).await.expect(200);
    assert_eq!((verified["kind"].clone(), verified["kind_zh"].clone()), (json!("review"), json!("整改复查意见书")));
}

#[tokio::test]
async fn the_verification_names_no_person_and_prints_no_case_text() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let (number, _) = dispatched(&app, &admin, 6).await;
    let contact = app.login("contact01").await;
    let after = photo(&app, &contact, 7).await;
    let fix = json!({"action": "submit", "photos": [after], "description": "已加装防护罩并上锁"});
    act(&app, &contact, &number, None, fix).await.expect(200);
    let expert = app.login("eexpert06").await;
    let returned =
        act(&app, &expert, &number, None, json!({"action": "return", "reason": "防护罩未固定"})).await.expect(200);

    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut personal: Vec<String> = Vec::new();
    for login in ["tf0101.safety", "admin", "contact01", "eexpert06"] {
        let (name, phone): (String, Option<String>) = conn
            .query_row("SELECT name, phone FROM people WHERE username = ?1", [login], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        personal.push(name);
        personal.extend(phone);
    }
    let (contact_name, contact_phone): (String, String) = conn
        .query_row("SELECT contact_name, contact_phone FROM enterprises WHERE id = 6", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    personal.extend([contact_name, contact_phone]);
    personal
        .extend(["带电部位外露", "配电箱无防护罩", "已加装防护罩", "防护罩未固定", "加装防护罩"].map(str::to_owned));
    let photos: Vec<String> =
        returned["photos"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    personal.extend(photos);
    for doc in returned["documents"].as_array().unwrap() {
        let page = app.get(&format!("/api/v1/verify/{}", doc["code"].as_str().unwrap())).await;
        page.expect(200);
        for text in &personal {
            assert!(!page.text.contains(text.as_str()), "{text:?} in {}", page.text);
        }
    }
}

/// The server, killed when dropped (also when an assertion fails).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_server_without_a_public_url_prints_its_own_address_in_the_demos_qr_codes() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gridsafe.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env_remove("GRIDSAFE_PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .env("GRIDSAFE_NOW", NOW.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    // Printed once it listens, after seeding the demo: "... listening on http://127.0.0.1:PORT/  (...".
    let line = BufReader::new(stdout).lines().map_while(Result::ok).find(|l| l.contains("listening on http://"));
    let line = line.expect("the server starts");
    let start = line.find("http://").unwrap();
    let address = line[start..].split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
    assert!(!address.ends_with(":0"), "{address}");
    drop(server);

    let conn = rusqlite::Connection::open(&db).unwrap();
    let (code, bytes): (String, Vec<u8>) = conn
        .query_row("SELECT code, bytes FROM documents WHERE kind = 'notice' ORDER BY id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(parse(&bytes).qr_codes(), [format!("{address}/verify/{code}")]);
}
