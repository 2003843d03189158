//! `gridsafe generate`: a synthetic town that is an ordinary gridsafe
//! database (SPEC §10): the audit chain verifies, every state occurs, the
//! same seed gives the same database, and the server serves it.

use std::path::Path;
use std::process::{Command, Output};

use gridsafe::generate::Spec;

use crate::helpers::TestApp;

/// Runs the binary (the CLI tests' runner) and requires success.
fn gridsafe(db: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let output = crate::cli::gridsafe_stdin(db, args, stdin.unwrap_or_default());
    crate::cli::succeeded(&output);
    output
}

const SMALL: [&str; 11] =
    ["generate", "--villages", "150", "--cases", "3000", "--patrols", "300", "--years", "2", "--seed", "7"];

fn fingerprint(db: &Path) -> (String, String) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let head: String =
        conn.query_row("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    let cases: String = conn
        .query_row(
            "SELECT group_concat(number || status || coalesce(deadline, '') || grid_code, ',') FROM cases",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (head, gridsafe::domain::audit::sha256_hex(cases.as_bytes()))
}

#[test]
fn a_generated_town_verifies_has_every_state_and_follows_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let out = gridsafe(&db, &SMALL, None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3000 cases") && text.contains("300 patrols"), "{text}");
    let verified = gridsafe(&db, &["audit", "verify", "--json"], None);
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM cases"), 3000);
    assert_eq!(count("SELECT count(*) FROM patrols"), 300);
    assert_eq!(count("SELECT count(*) FROM grids WHERE level = 'village'"), 150);
    assert_eq!(count("SELECT count(*) FROM grids WHERE level = 'community'"), 2);
    assert!(count("SELECT count(*) FROM reaches") > 10);
    for status in ["reported", "registered", "dispatched", "submitted", "closed", "cancelled"] {
        assert!(count(&format!("SELECT count(*) FROM cases WHERE status = '{status}'")) > 0, "no {status} case");
    }
    let overdue = count(&format!(
        "SELECT count(*) FROM cases WHERE status NOT IN ('closed', 'cancelled') AND deadline < '{}'",
        gridsafe::domain::time::china_date(crate::helpers::NOW)
    ));
    assert!(overdue > 0 && overdue < 300, "{overdue} overdue");
    assert!(count("SELECT count(*) FROM cases WHERE supervised = 1") > 0);
    assert!(count("SELECT count(*) FROM cases WHERE rework_count > 0") > 0);
    assert_eq!(
        count(
            "SELECT count(*) FROM cases c WHERE version != (SELECT count(*) FROM audit_log a WHERE a.case_id = c.id)"
        ),
        0
    );
    // Numbers are gap-free per year and follow the filing time.
    assert_eq!(
        count("SELECT count(*) FROM cases a JOIN cases b ON b.id = a.id + 1 WHERE b.reported_at < a.reported_at"),
        0
    );
    // The counters stand at each year's last number, so the next filing follows on.
    assert_eq!(
        count(
            "SELECT count(*) FROM case_counters k WHERE k.last != (SELECT count(*) FROM cases
                WHERE substr(number, 4, 4) = CAST(k.year AS TEXT))"
        ),
        0
    );
    assert_eq!(
        count("SELECT count(DISTINCT substr(number, 4, 4)) FROM cases"),
        count("SELECT count(*) FROM case_counters")
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM patrol_counters k WHERE k.last != (SELECT count(*) FROM patrols
                WHERE substr(code, 4, 4) = CAST(k.year AS TEXT))"
        ),
        0
    );
    assert!(count("SELECT count(*) FROM patrol_counters") > 0);
    // Every track's cells are indexed, as filing indexes them.
    assert_eq!(count("SELECT count(*) FROM patrols WHERE id NOT IN (SELECT patrol_id FROM patrol_cells)"), 0);
    // The audit chain follows the calendar.
    assert_eq!(count("SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.at < a.at"), 0);
    // The load ran without foreign-key enforcement: every reference holds, and the
    // file is an ordinary WAL database again.
    assert_eq!(count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    // The indexes the migrations define are all there again.
    assert!(count("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'cases_kpi'") == 1);
    drop(conn);

    let again = dir.path().join("again.db");
    gridsafe(&again, &SMALL, None);
    assert_eq!(fingerprint(&db), fingerprint(&again), "the same seed gives the same town");
    let refused = Command::new(env!("CARGO_BIN_EXE_gridsafe")).args(SMALL).arg("--db").arg(&db).output().unwrap();
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("已存在"));

    gridsafe(&db, &["user", "passwd", "admin", "--password-stdin"], Some("a-long-enough-password"));
}

#[tokio::test]
async fn the_server_serves_a_generated_town_to_its_admin() {
    let app = TestApp::generated(Spec { villages: 120, cases: 2000, patrols: 100, years: 1, seed: 3 }).await;
    let token = {
        let conn = rusqlite::Connection::open(app.db_path()).unwrap();
        let admin: i64 = conn.query_row("SELECT id FROM people WHERE username = 'admin'", [], |r| r.get(0)).unwrap();
        gridsafe::service::accounts::open_session(&conn, admin, crate::helpers::NOW).unwrap()
    };
    let list = app.get_as(&token, "/api/v1/cases?limit=20").await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 20);
    let number = list["items"][0]["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("SX-"), "{number}");
    let case = app.get_as(&token, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert!(case["timeline"].as_array().is_some_and(|t| !t.is_empty()), "{case}");
    let patrols = app.get_as(&token, "/api/v1/patrols?limit=5").await.expect(200);
    assert_eq!(patrols["patrols"].as_array().unwrap().len(), 5);
    let page = app.page(&token, "/").await;
    assert_eq!(page.status, 200);
}
