//! Nothing acknowledged is lost: file cases from several clients against the
//! real binary, kill it with SIGKILL mid-stream, restart, and find every case
//! that was answered 201.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request on a fresh connection (`Connection: close`); returns status and
/// body, or status 0 when the server cannot be reached (it may have just been killed).
fn request(address: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (0, String::new());
    };
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    let body = body.unwrap_or("");
    let _ = write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    if stream.write_all(head.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    if stream.read_to_string(&mut response).is_err() {
        return (0, String::new());
    }
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// Starts `gridsafe serve --demo` on a free port; returns the child and its address.
fn start(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("the server prints its address").expect("readable");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().expect("host:port").to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

fn login(address: &str) -> String {
    let credentials = json!({"username": "admin", "password": gridsafe::demo::DEMO_PASSWORD}).to_string();
    let (status, body) = request(address, "POST", "/api/v1/login", None, Some(&credentials));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).expect("json")["token"].as_str().expect("token").to_owned()
}

#[test]
fn every_acknowledged_filing_survives_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let (mut server, address) = start(&db);
    let token = login(&address);
    // Reuse a demo photo and a demo case's place.
    let (_, list) = request(&address, "GET", "/api/v1/cases?limit=1&kind=safety", Some(&token), None);
    let number = serde_json::from_str::<Value>(&list).unwrap()["items"][0]["number"].as_str().unwrap().to_owned();
    let (_, case) = request(&address, "GET", &format!("/api/v1/cases/{number}"), Some(&token), None);
    let case: Value = serde_json::from_str(&case).unwrap();
    let filing = json!({"kind": "safety", "category": "S-F01", "grade": "general", "title": "耐久性测试",
        "description": "kill -9", "lon": case["lon"], "lat": case["lat"], "photos": [case["photos"][0]["id"]]})
    .to_string();

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (address, token, filing, acknowledged) =
                (address.clone(), token.clone(), filing.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    let (status, body) = request(&address, "POST", "/api/v1/cases", Some(&token), Some(&filing));
                    if status != 201 {
                        break; // the server is gone
                    }
                    let number = serde_json::from_str::<Value>(&body).unwrap()["number"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push(number);
                }
            })
        })
        .collect();
    // Let a few hundred filings through, then pull the plug.
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} filings before the kill", acknowledged.len());

    let (mut server, address) = start(&db);
    let token = login(&address);
    for number in &acknowledged {
        let (status, body) = request(&address, "GET", &format!("/api/v1/cases/{number}"), Some(&token), None);
        assert_eq!(status, 200, "acknowledged case {number} was lost: {body}");
    }
    server.kill().expect("stop");
    server.wait().expect("reaped");
    let verify =
        Command::new(env!("CARGO_BIN_EXE_gridsafe")).args(["audit", "verify", "--db"]).arg(&db).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}
