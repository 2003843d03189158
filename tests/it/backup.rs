//! `gridsafe backup` / `restore`: a copy taken while clients file holds every
//! case acknowledged before it began and verifies; a restore verifies first,
//! refuses a database a server holds, and keeps what it replaces.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gridsafe::service::backup;
use rusqlite::Connection;

use crate::cases::{hazard, photo};
use crate::helpers::TestApp;

fn numbers(db: &std::path::Path) -> std::collections::HashSet<String> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT number FROM cases").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_eight_clients_file_holds_every_case_acknowledged_before_it() {
    let app = Arc::new(TestApp::demo().await);
    let admin = app.login("admin").await;
    let body = hazard(&app, &[photo(&app, &admin, 7).await]);
    // One dispatched case, so the copy has an issued notice to check.
    let dispatched = crate::cases::registered(&app, &admin, 9).await;
    let dispatch = serde_json::json!({"action": "dispatch", "responsible": "世邦机械", "measures": "整改", "deadline": "2099-01-31"});
    crate::cases::act(&app, &admin, &dispatched, None, dispatch).await.expect(200);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let filers: Vec<_> = (0..8)
        .map(|_| {
            let (app, admin, body, acknowledged, stop) =
                (app.clone(), admin.clone(), body.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let filed = app.json_as("POST", Some(&admin), "/api/v1/cases", &body).await.expect(201);
                    acknowledged.lock().unwrap().push(filed["number"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 80 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let (db, out) = (app.db_path(), app.dir.path().join("backup.db"));
    let copy = out.clone();
    let verified = tokio::task::spawn_blocking(move || backup::take(&Connection::open(db).unwrap(), &copy))
        .await
        .unwrap()
        .unwrap();
    // Filing goes on after the copy, and the copy does not stop it.
    let at_backup = acknowledged.lock().unwrap().len();
    while acknowledged.lock().unwrap().len() < at_backup + 40 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for filer in filers {
        filer.await.unwrap();
    }
    let in_backup = numbers(&out);
    let missing: Vec<&String> = before.iter().filter(|n| !in_backup.contains(*n)).collect();
    assert!(missing.is_empty(), "acknowledged before the backup but not in it: {missing:?}");
    assert_eq!(verified.cases, in_backup.len() as i64);
    assert!(verified.audit_entries >= verified.cases);
    assert!(verified.documents >= 1);
    assert_eq!(backup::verify(&out).unwrap(), verified);
    assert!(!app.dir.path().join("backup.db.partial").exists());
    // A backup never overwrites.
    let again = backup::take(&Connection::open(app.db_path()).unwrap(), &out).unwrap_err();
    assert!(again.to_string().contains("exists"), "{again}");
    // A copy whose document no longer matches its hash does not verify.
    let conn = Connection::open(&out).unwrap();
    conn.execute("DROP TRIGGER IF EXISTS documents_no_update", []).unwrap();
    let changed =
        conn.execute("UPDATE documents SET bytes = x'00' WHERE id = (SELECT min(id) FROM documents)", []).unwrap();
    assert_eq!(changed, 1, "the demo has issued documents");
    drop(conn);
    let error = backup::verify(&out).unwrap_err();
    assert!(error.to_string().contains("does not match its recorded SHA-256"), "{error}");
}

#[test]
fn a_restore_verifies_first_refuses_a_served_database_and_keeps_the_one_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gridsafe")).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (db, copy, live) = (path("town.db"), path("town-backup.db"), path("live.db"));
    let (ok, text) = run(&["generate", "--db", &db, "--villages", "20", "--cases", "300", "--patrols", "10"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["backup", &copy, "--db", &db]);
    assert!(ok, "{text}");
    assert!(text.contains("已备份并校验"), "{text}");
    let cases = numbers(std::path::Path::new(&db));

    // A server holds its database: restore refuses and leaves it as it was.
    {
        let _served = backup::ServerLock::take(std::path::Path::new(&live)).unwrap();
        let (ok, text) = run(&["restore", &copy, "--db", &live]);
        assert!(!ok && text.contains("stop it first"), "{text}");
        assert!(!std::path::Path::new(&live).exists());
    }
    let (ok, text) = run(&["restore", &copy, "--db", &live]);
    assert!(ok, "{text}");
    assert_eq!(numbers(std::path::Path::new(&live)), cases);
    let (ok, text) = run(&["audit", "verify", "--db", &live]);
    assert!(ok, "{text}");

    // A tampered backup is refused, and the database it would replace stays.
    let tampered = path("tampered.db");
    std::fs::copy(&copy, &tampered).unwrap();
    {
        let conn = Connection::open(&tampered).unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for name in triggers {
            conn.execute(&format!("DROP TRIGGER {name}"), []).unwrap();
        }
        assert_eq!(conn.execute("UPDATE audit_log SET comment = '改过' WHERE seq = 1", []).unwrap(), 1);
    }
    let (ok, text) = run(&["restore", &tampered, "--db", &live]);
    assert!(!ok && text.contains("audit chain is broken"), "{text}");
    assert_eq!(numbers(std::path::Path::new(&live)), cases);
    // Restoring over a database keeps the one replaced beside it.
    let (ok, text) = run(&["restore", &copy, "--db", &live]);
    assert!(ok, "{text}");
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("live.db.before-restore-") && !n.ends_with("-wal"))
        .count();
    assert_eq!(kept, 1);
}

#[test]
fn the_server_takes_verified_backups_on_schedule_keeps_the_newest_and_says_so_in_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let args = ["--demo", "--backup-dir", backups.to_str().unwrap(), "--backup-every", "1s", "--backup-keep", "2"];
    let mut server =
        crate::durability::start_with(&dir.path().join("town.db"), dir.path().join("stderr"), &args, false);
    let listed = || -> Vec<std::path::PathBuf> {
        // Finished backups only: one being written is a `.partial` beside them.
        std::fs::read_dir(&backups)
            .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "db")).collect())
            .unwrap_or_default()
    };
    // Four backups at one a second: the two newest stay.
    let started = std::time::Instant::now();
    let mut health = serde_json::Value::Null;
    while started.elapsed() < std::time::Duration::from_secs(60) {
        let (status, body) = crate::durability::request(&server.address, "GET", "/healthz", None, None);
        assert_eq!(status, 200, "{body}");
        health = serde_json::from_str(&body).unwrap();
        if started.elapsed() > std::time::Duration::from_secs(4) && health["backup"]["last"]["file"].is_string() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["backup"]["scheduled"], true);
    let files = listed();
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        let verified = backup::verify(file).unwrap();
        assert!(verified.cases > 0 && verified.audit_entries > 0, "{verified:?}");
    }
    // A second server on the same database is refused: it is held.
    let refused = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("town.db"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop it first"));
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Backups that cannot be written make the server say it is degraded.
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, b"").unwrap();
    let args = ["--backup-dir", blocked.to_str().unwrap(), "--backup-every", "1s"];
    let mut server =
        crate::durability::start_with(&dir.path().join("town.db"), dir.path().join("stderr2"), &args, false);
    let started = std::time::Instant::now();
    loop {
        let (_, body) = crate::durability::request(&server.address, "GET", "/healthz", None, None);
        health = serde_json::from_str(&body).unwrap();
        if health["status"] == "degraded" || started.elapsed() > std::time::Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(health["status"], "degraded", "{health}");
    assert!(health["reasons"][0].as_str().unwrap().contains("last backup failed"), "{health}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// Drops the audit log's append-only triggers and edits its first entry, as
/// someone with the database file could.
fn tamper(db: &std::path::Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    assert_eq!(conn.execute("UPDATE audit_log SET comment = '改过' WHERE seq = 1", []).unwrap(), 1);
}

/// `/healthz` as JSON once it satisfies `done`, or after 30 s whatever it says.
fn health_when(server: &crate::durability::Server, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = crate::durability::request(&server.address, "GET", "/healthz", None, None);
        assert_eq!(status, 200, "{body}");
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        if done(&health) || started.elapsed() > std::time::Duration::from_secs(30) {
            return health;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_tamper_alarm_refuses_dropped_triggers_reports_an_edited_entry_and_notices_a_trigger_dropped_while_serving() {
    assert_eq!(gridsafe::store::audit::guards().len(), 5, "{:?}", gridsafe::store::audit::guards());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let log = |n: &str| dir.path().join(n);
    let mut server = crate::durability::start_with(&db, log("stderr1"), &["--demo", "--audit-every", "1s"], true);
    let health = health_when(&server, |h| h["audit"]["verified_entries"].as_i64() > Some(0));
    assert_eq!(health["status"], "ok", "{health}");
    assert!(health["audit"]["broken"].is_null() && health["audit"]["missing_guards"] == serde_json::json!([]));
    assert_eq!(health["database"]["writable"], true, "{health}");
    // A trigger dropped while the server runs is noticed at the next check.
    Connection::open(&db).unwrap().execute_batch("DROP TRIGGER documents_no_delete").unwrap();
    let health = health_when(&server, |h| h["status"] == "degraded");
    assert_eq!(health["audit"]["missing_guards"], serde_json::json!(["documents_no_delete"]), "{health}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Triggers dropped and an entry edited: the server refuses to start.
    tamper(&db);
    let refused = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("拒绝启动") && said.contains("audit_log_no_update") && said.contains("--accept-missing-triggers"),
        "{said}"
    );

    // Told to, it starts, puts the triggers back, records that, and raises the alarm.
    let args = ["--accept-missing-triggers", "--audit-every", "1s"];
    let mut server = crate::durability::start_with(&db, log("stderr2"), &args, true);
    let health = health_when(&server, |h| !h["audit"]["broken"].is_null());
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["audit"]["broken"]["seq"], 1, "{health}");
    let reasons = health["reasons"].to_string();
    assert!(reasons.contains("the audit chain is broken at entry 1"), "{reasons}");
    let credentials = serde_json::json!({"username": "admin", "password": gridsafe::demo::DEMO_PASSWORD}).to_string();
    let (_, body) = crate::durability::request(&server.address, "POST", "/api/v1/login", None, Some(&credentials));
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let page = dashboard(&server.address, token["token"].as_str().unwrap());
    assert!(page.contains("role=\"alert\"") && page.contains("审计链在第 1 条处断裂"), "{page}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let conn = Connection::open(&db).unwrap();
    assert!(gridsafe::store::audit::missing_guards(&conn).unwrap().is_empty());
    let recorded: String =
        conn.query_row("SELECT comment FROM audit_log WHERE action = 'triggers_restored'", [], |r| r.get(0)).unwrap();
    assert!(recorded.contains("audit_log_no_update") && recorded.contains("--accept-missing-triggers"), "{recorded}");
    assert!(conn.execute("UPDATE audit_log SET comment = 'x' WHERE seq = 2", []).is_err(), "the guard is back");
}

/// The office dashboard's HTML for a session token.
fn dashboard(address: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "GET /dashboard HTTP/1.1\r\nHost: t\r\nConnection: close\r\nCookie: {}={token}\r\n\r\n",
        gridsafe::http::auth::COOKIE
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
