//! The built binary, run as an office clerk would, in a temporary directory.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::fixture;

fn gridsafe(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .env("GRIDSAFE_NOW", crate::helpers::NOW.to_string())
        .output()
        .expect("the binary runs")
}

#[track_caller]
pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn maps_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("maps/tanfang").display().to_string()
}

/// Everything an import may change, as text, to compare before and after.
fn snapshot(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for sql in [
        "SELECT code || name || level || ifnull(parent_code, '') || geometry FROM grids ORDER BY code",
        "SELECT code || name || geometry FROM rivers ORDER BY code",
        "SELECT code || length_m FROM reaches ORDER BY code",
        "SELECT id || kind || sha256 FROM map_imports ORDER BY id",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        for row in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
}

#[test]
fn init_loads_the_town_once_and_locate_answers_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    let out = succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir(), "--json"]));
    let summaries: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summaries[0]["features"], 68);
    assert_eq!(summaries[1]["features"], 4);
    assert!(summaries[1]["reaches"].as_u64().unwrap() >= 8);

    let again = gridsafe(&db, &["init", "--maps", &maps_dir()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialised"));

    // The centroid of the town lies in some village; locate it and check the chain.
    let out = succeeded(&gridsafe(&db, &["locate", "118.62", "36.73", "--json"]));
    let located: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(located["town"]["code"], "TF");
    let village = located["village"]["code"].as_str().unwrap();
    let community = located["community"]["code"].as_str().unwrap();
    assert!(village.starts_with(community) && community.starts_with("TF"), "{located}");

    let outside = gridsafe(&db, &["locate", "100.0", "30.0"]);
    assert!(!outside.status.success());
    assert!(String::from_utf8_lossy(&outside.stderr).contains("不在谭坊镇范围内"));
}

#[test]
fn a_rejected_import_lists_every_problem_and_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    let before = snapshot(&db);
    for (file, expected) in
        [("grids_sibling_overlap.geojson", "overlaps its sibling T0102"), ("grids_unclosed_ring.geojson", "not closed")]
    {
        let path = fixture(file).display().to_string();
        let output = gridsafe(&db, &["import", "grids", &path]);
        assert!(!output.status.success(), "{file} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("数据库未作任何修改"), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert_eq!(snapshot(&db), before, "{file} changed the database");
    }
    let rivers = fixture("rivers_invalid.geojson").display().to_string();
    assert!(!gridsafe(&db, &["import", "rivers", &rivers]).status.success());
    assert_eq!(snapshot(&db), before);
}

#[test]
fn a_rejected_import_names_a_self_intersection_an_unknown_parent_and_a_duplicate_together() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    let before = snapshot(&db);
    let path = fixture("grids_three_faults.geojson").display().to_string();
    let output = gridsafe(&db, &["import", "grids", &path]);
    assert!(!output.status.success(), "the faulty file was accepted");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "feature #3 [T0102]: 多边形无效",
        "feature #4 [T0903]: 上级编码 T09 不存在",
        "feature #5 [T0101]: 编码重复（与第 2 个要素相同）",
    ] {
        assert!(stderr.contains(expected), "{expected} missing from:\n{stderr}");
    }
    assert_eq!(snapshot(&db), before, "a rejected file changed the database");
}

#[test]
fn an_accepted_import_replaces_the_grids_and_recomputes_reaches() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    let grids = fixture("grids_gap_warning.geojson").display().to_string();
    let out = succeeded(&gridsafe(&db, &["import", "grids", &grids]));
    assert!(out.contains("warning") && out.contains("T01"), "{out}");
    let rivers = fixture("rivers_three_squares.geojson").display().to_string();
    let out = succeeded(&gridsafe(&db, &["import", "rivers", &rivers, "--json"]));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    // T0103 is missing from this grids file, so the river has only two reaches.
    assert_eq!(summary["reaches"], 2);
    let out = succeeded(&gridsafe(&db, &["locate", "118.615", "36.705"]));
    assert!(out.contains("中村") && out.contains("T0102"), "{out}");
}

pub fn gridsafe_stdin(db: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .env("GRIDSAFE_NOW", crate::helpers::NOW.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn enterprise_count(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM enterprises", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_csv_with_one_bad_row_imports_nothing_and_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    let bad = fixture("enterprises_one_bad_row.csv").display().to_string();
    let output = gridsafe(&db, &["import", "enterprises", &bad]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("row 3 [uscc]") && stderr.contains("check digit"), "{stderr}");
    assert!(!stderr.contains("row 1") && !stderr.contains("row 2"), "{stderr}");
    assert_eq!(enterprise_count(&db), 0);

    let good = fixture("enterprises_good.csv").display().to_string();
    let out = succeeded(&gridsafe(&db, &["import", "enterprises", &good, "--json"]));
    assert!(out.contains("\"features\": 3"), "{out}");
    assert_eq!(enterprise_count(&db), 3);
    // Importing the same file again would duplicate codes: refused whole.
    assert!(!gridsafe(&db, &["import", "enterprises", &good]).status.success());
    assert_eq!(enterprise_count(&db), 3);
}

#[test]
fn users_are_added_assigned_and_show_up_in_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    let args = ["user", "add", "--username", "Li.Hua", "--name", "李华", "--phone", "13800000001", "--password-stdin"];
    succeeded(&gridsafe_stdin(&db, &args, "a-long-password\n"));
    let short = gridsafe_stdin(&db, &["user", "add", "--username", "x.y", "--name", "x", "--password-stdin"], "short");
    assert!(!short.status.success());
    let list: serde_json::Value =
        serde_json::from_str(&succeeded(&gridsafe(&db, &["user", "list", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["username"], "li.hua");

    let before = succeeded(&gridsafe(&db, &["coverage", "--json"]));
    let gaps: serde_json::Value = serde_json::from_str(&before).unwrap();
    let village_gaps = |g: &serde_json::Value| {
        g.as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "village_without_inspector" && x["code"] == "TF0101")
            .count()
    };
    assert_eq!(village_gaps(&gaps), 2);
    succeeded(&gridsafe(&db, &["assign", "li.hua", "inspector", "TF0101", "--duty", "safety"]));
    let after: serde_json::Value = serde_json::from_str(&succeeded(&gridsafe(&db, &["coverage", "--json"]))).unwrap();
    assert_eq!(village_gaps(&after), 1);
    let unknown = gridsafe(&db, &["assign", "li.hua", "inspector", "TF9999", "--duty", "safety"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("TF9999"));
    // An enterprise contact: exactly one enterprise, by id or by USCC (lower case is fine).
    succeeded(&gridsafe(&db, &["import", "enterprises", &fixture("enterprises_good.csv").display().to_string()]));
    assert!(!gridsafe(&db, &["assign", "li.hua", "enterprise_contact"]).status.success());
    assert!(!gridsafe(&db, &["assign", "li.hua", "enterprise_contact", "1", "3"]).status.success());
    let unknown = gridsafe(&db, &["assign", "li.hua", "enterprise_contact", "91370781MAAY4CL12X"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("91370781MAAY4CL12X"));
    let args = ["assign", "li.hua", "enterprise_contact", "91370781maay4cl120", "--json"];
    let contact: serde_json::Value = serde_json::from_str(&succeeded(&gridsafe(&db, &args))).unwrap();
    assert_eq!(contact["role"], "enterprise_contact");
    assert_eq!(contact["scope"], serde_json::json!([{"kind": "enterprise", "code": 1}]));
    succeeded(&gridsafe_stdin(&db, &["user", "passwd", "li.hua", "--password-stdin"], "another-long-password"));
}

#[test]
fn every_listing_ends_quietly_when_the_reader_closes_the_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("town.db");
    succeeded(&gridsafe(&db, &["init", "--maps", &maps_dir()]));
    // `outln!` commands and a `println!` left elsewhere (patrols) alike.
    for args in [
        &["user", "list"][..],
        &["user", "list", "--json"],
        &["coverage"],
        &["coverage", "--json"],
        &["locate", "118.62", "36.73"],
        &["audit", "verify"],
        &["patrols", "compliance", "--month", "2026-11"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the program writes anything: `| head -0`.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(output.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(output.status.success(), "{args:?}: {:?} {stderr}", output.status);
    }
}
