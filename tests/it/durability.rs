//! Nothing acknowledged is lost: file cases from several clients against the
//! real binary, stop it mid-stream (SIGKILL; SIGTERM, which must also cut no
//! answer and exit 0 in time), restart, and find every case answered 201.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What one request got back.
pub(crate) struct Answer {
    /// The status; `None` when the server could not be reached or said nothing.
    pub(crate) status: Option<u16>,
    /// The body as far as it came.
    pub(crate) body: String,
    /// Whether the body is as long as its `Content-Length` said.
    pub(crate) complete: bool,
}

/// One request on a fresh connection (`Connection: close`).
pub(crate) fn exchange(address: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Answer {
    let nothing = Answer { status: None, body: String::new(), complete: false };
    let Ok(mut stream) = TcpStream::connect(address) else {
        return nothing;
    };
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    let body = body.unwrap_or("");
    let _ = write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    if stream.write_all(head.as_bytes()).is_err() {
        return nothing;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let Some(status) = response.get(9..12).and_then(|s| s.parse().ok()) else {
        return nothing;
    };
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    let complete = length.is_none_or(|n| body.len() == n);
    Answer { status: Some(status), body: body.to_owned(), complete }
}

/// One request on a fresh connection (`Connection: close`); returns status and
/// body, or status 0 when the server cannot be reached (it may have just been
/// killed) or the answer was cut off.
pub(crate) fn request(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let answer = exchange(address, method, path, token, body);
    match answer.status {
        Some(status) if answer.complete => (status, answer.body),
        _ => (0, String::new()),
    }
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

/// Where and with what photo the storm files: a demo case's point and photo.
fn filing_place(server: &Server, token: &str) -> (Value, Value, Value) {
    let (_, list) = request(&server.address, "GET", "/api/v1/cases?limit=1&kind=safety", Some(token), None);
    let number = serde_json::from_str::<Value>(&list).unwrap()["items"][0]["number"].as_str().unwrap().to_owned();
    let (_, case) = request(&server.address, "GET", &format!("/api/v1/cases/{number}"), Some(token), None);
    let case: Value = serde_json::from_str(&case).unwrap();
    (case["lon"].clone(), case["lat"].clone(), case["photos"][0]["id"].clone())
}

/// Eight clients file cases as fast as the server answers until it is gone;
/// once 200 are acknowledged `stop` ends the server. Returns what was
/// acknowledged and what else any client was told (a refusal, or an answer
/// cut off mid-way).
fn storm(
    server: &mut Server,
    token: &str,
    photo: &Value,
    place: &(Value, Value),
    stop: impl FnOnce(&mut Child),
) -> Vec<(String, String)> {
    let acknowledged = Acknowledged::default();
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (address, token, acknowledged, failures) =
                (server.address.clone(), token.to_owned(), acknowledged.clone(), failures.clone());
            let ((lon, lat), photo) = (place.clone(), photo.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if Instant::now() >= deadline {
                        break;
                    }
                    // Each filing says who sent it, so its content can be checked after the restart.
                    let title = format!("耐久性测试 {client}-{n}");
                    let filing = json!({"kind": "safety", "category": "S-F01", "grade": "general",
                        "title": title, "description": format!("客户端 {client} 第 {n} 件"),
                        "lon": lon, "lat": lat, "photos": [photo]})
                    .to_string();
                    let answer = exchange(&address, "POST", "/api/v1/cases", Some(&token), Some(&filing));
                    match answer.status {
                        None => break, // the server is gone: not acknowledged
                        Some(_) if !answer.complete => {
                            failures.lock().unwrap().push(format!("an answer was cut mid-way: {}", answer.body));
                            break;
                        }
                        Some(201) => {
                            let number = serde_json::from_str::<Value>(&answer.body).unwrap()["number"]
                                .as_str()
                                .unwrap()
                                .to_owned();
                            acknowledged.lock().unwrap().push((number, title));
                        }
                        Some(status) => {
                            failures.lock().unwrap().push(format!("{status} {}", answer.body));
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    // Let a few hundred filings through, then stop the server.
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop(&mut server.child);
    for client in clients {
        client.join().expect("client thread");
    }
    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "clients were refused: {failures:?}\nserver stderr:\n{}", server.log_tail());
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} filings before the stop\n{}", acknowledged.len(), server.log_tail());
    acknowledged
}

/// Restarts the server on `db` and finds every acknowledged case with its
/// content, photo and audit entry; then the chain verifies.
fn all_there(db: &std::path::Path, log: std::path::PathBuf, acknowledged: &[(String, String)], photo: &Value) {
    let mut server = start(db, log);
    let token = login(&server);
    for (number, title) in acknowledged {
        let (status, body) = request(&server.address, "GET", &format!("/api/v1/cases/{number}"), Some(&token), None);
        assert_eq!(status, 200, "acknowledged case {number} was lost: {body}\n{}", server.log_tail());
        let case: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(case["title"], title.as_str(), "case {number} came back with other content");
        assert_eq!(case["status"], "reported");
        assert_eq!(&case["photos"][0]["id"], photo, "case {number} lost its photo");
        assert_eq!(case["timeline"].as_array().map(Vec::len), Some(1), "case {number} lost its audit entry");
    }
    server.child.kill().expect("stop");
    server.child.wait().expect("reaped");
    let verify =
        Command::new(env!("CARGO_BIN_EXE_gridsafe")).args(["audit", "verify", "--db"]).arg(db).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}

#[test]
fn every_acknowledged_filing_survives_a_kill_9_with_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let log = dir.path().join("server.log");
    let mut server = start(&db, log.clone());
    let token = login(&server);
    let (lon, lat, photo) = filing_place(&server, &token);
    let acknowledged = storm(&mut server, &token, &photo, &(lon, lat), |child| {
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    });
    all_there(&db, log, &acknowledged, &photo);
}

#[cfg(unix)]
#[test]
fn sigterm_finishes_what_is_in_flight_cuts_no_answer_and_exits_0_within_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let log = dir.path().join("server.log");
    let mut server = start(&db, log.clone());
    let token = login(&server);
    let (lon, lat, photo) = filing_place(&server, &token);
    let acknowledged = storm(&mut server, &token, &photo, &(lon, lat), |child| {
        let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
        assert!(sent.success());
        let asked = Instant::now();
        let exit = loop {
            if let Some(exit) = child.try_wait().expect("wait") {
                break exit;
            }
            assert!(asked.elapsed() < Duration::from_secs(10), "the server did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(exit.success(), "SIGTERM ended the server with {exit}");
    });
    all_there(&db, log, &acknowledged, &photo);
}
