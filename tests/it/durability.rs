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
pub(crate) fn request(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
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

/// A server under test: the child, its address and the file its stderr goes to.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) address: String,
    pub(crate) stderr: std::path::PathBuf,
}

impl Server {
    /// The last lines the server wrote to stderr, for a failure message.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// Starts `gridsafe serve --demo` on a free port, its stderr kept in `stderr`.
fn start(db: &std::path::Path, stderr: std::path::PathBuf) -> Server {
    start_with(db, stderr, &["--demo"], true)
}

/// Starts `gridsafe serve` with `args` on a free port, its stderr kept in
/// `stderr`, at the tests' fixed moment or on the real clock.
pub(crate) fn start_with(db: &std::path::Path, stderr: std::path::PathBuf, args: &[&str], fixed_clock: bool) -> Server {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&stderr).expect("log file");
    let mut command = Command::new(env!("CARGO_BIN_EXE_gridsafe"));
    command.args(["serve", "--bind", "127.0.0.1:0", "--db"]).arg(db).args(args).env("RUST_LOG", "warn");
    if fixed_clock {
        command.env("GRIDSAFE_NOW", crate::helpers::NOW.to_string());
    }
    let mut child = command.stdout(Stdio::piped()).stderr(log).spawn().expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let Some(Ok(line)) = lines.next() else {
            let log = std::fs::read_to_string(&stderr).unwrap_or_default();
            panic!("the server ended before printing its address; stderr:\n{log}");
        };
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().expect("host:port").to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, address, stderr }
}

fn login(server: &Server) -> String {
    let credentials = json!({"username": "admin", "password": gridsafe::demo::DEMO_PASSWORD}).to_string();
    let (status, body) = request(&server.address, "POST", "/api/v1/login", None, Some(&credentials));
    assert_eq!(status, 200, "{body}\nserver stderr:\n{}", server.log_tail());
    serde_json::from_str::<Value>(&body).expect("json")["token"].as_str().expect("token").to_owned()
}

/// What a client was told: the case number and the title it filed under.
type Acknowledged = Arc<Mutex<Vec<(String, String)>>>;

#[test]
fn every_acknowledged_filing_survives_a_kill_9_with_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let log = dir.path().join("server.log");
    let mut server = start(&db, log.clone());
    let token = login(&server);
    // Reuse a demo photo and a demo case's place.
    let (_, list) = request(&server.address, "GET", "/api/v1/cases?limit=1&kind=safety", Some(&token), None);
    let number = serde_json::from_str::<Value>(&list).unwrap()["items"][0]["number"].as_str().unwrap().to_owned();
    let (_, case) = request(&server.address, "GET", &format!("/api/v1/cases/{number}"), Some(&token), None);
    let case: Value = serde_json::from_str(&case).unwrap();
    let (lon, lat, photo) = (case["lon"].clone(), case["lat"].clone(), case["photos"][0]["id"].clone());

    let acknowledged = Acknowledged::default();
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (address, token, acknowledged, failures) =
                (server.address.clone(), token.clone(), acknowledged.clone(), failures.clone());
            let (lon, lat, photo) = (lon.clone(), lat.clone(), photo.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if Instant::now() >= deadline {
                        break;
                    }
                    // Each filing says who sent it, so its content can be checked after the restart.
                    let title = format!("耐久性测试 {client}-{n}");
                    let filing = json!({"kind": "safety", "category": "S-F01", "grade": "general",
                        "title": title, "description": format!("kill -9 客户端 {client} 第 {n} 件"),
                        "lon": lon, "lat": lat, "photos": [photo]})
                    .to_string();
                    let (status, body) = request(&address, "POST", "/api/v1/cases", Some(&token), Some(&filing));
                    match status {
                        0 => break, // the server is gone: not acknowledged
                        201 => {
                            let number =
                                serde_json::from_str::<Value>(&body).unwrap()["number"].as_str().unwrap().to_owned();
                            acknowledged.lock().unwrap().push((number, title));
                        }
                        _ => {
                            failures.lock().unwrap().push(format!("{status} {body}"));
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    // Let a few hundred filings through, then pull the plug.
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for client in clients {
        client.join().expect("client thread");
    }
    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "clients were refused: {failures:?}\nserver stderr:\n{}", server.log_tail());
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} filings before the kill\n{}", acknowledged.len(), server.log_tail());

    let mut server = start(&db, log);
    let token = login(&server);
    for (number, title) in &acknowledged {
        let (status, body) = request(&server.address, "GET", &format!("/api/v1/cases/{number}"), Some(&token), None);
        assert_eq!(status, 200, "acknowledged case {number} was lost: {body}\n{}", server.log_tail());
        let case: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(case["title"], title.as_str(), "case {number} came back with other content");
        assert_eq!(case["status"], "reported");
        assert_eq!(case["photos"][0]["id"], photo, "case {number} lost its photo");
        assert_eq!(case["timeline"].as_array().map(Vec::len), Some(1), "case {number} lost its audit entry");
    }
    server.child.kill().expect("stop");
    server.child.wait().expect("reaped");
    let verify =
        Command::new(env!("CARGO_BIN_EXE_gridsafe")).args(["audit", "verify", "--db"]).arg(&db).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}
