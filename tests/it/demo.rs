//! The demo town as a new user first sees it (`serve --demo`): cases played
//! in time order with the deadlines, lateness, extensions and rework of a
//! real year, and each river chief patrolling their own water. Seeded with a
//! fixed "now", so the figures do not depend on the day the tests run.

use std::collections::BTreeSet;

use gridsafe::domain::kpi::{CaseKpi, compute};
use gridsafe::domain::people::{Role, ScopeItem};

use crate::helpers::TestApp;

/// 2026-11-18T19:33:20+08:00.
const NOW: i64 = 1_795_000_000;

#[tokio::test]
async fn the_demo_cases_unfold_in_date_order_with_the_deadlines_of_a_real_year() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let filed = app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, NOW, 300)).await.unwrap();
    assert_eq!(filed, 300);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let rows = |sql: &str| -> Vec<(String, String)> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    // A clerk's register: numbers rise with dates, for notices, opinions and cases alike.
    for (what, sql) in [
        ("notices", "SELECT number, issued_at FROM documents WHERE kind = 'notice' ORDER BY number"),
        ("opinions", "SELECT number, issued_at FROM documents WHERE kind = 'review' ORDER BY number"),
        ("cases", "SELECT number, reported_at FROM cases ORDER BY number"),
    ] {
        let register = rows(sql);
        assert!(register.len() > 50, "{what}: {}", register.len());
        let out_of_order: Vec<_> = register.windows(2).filter(|w| w[0].1 > w[1].1).collect();
        assert!(out_of_order.is_empty(), "{what} out of date order: {out_of_order:?}");
    }
    let audit = rows("SELECT printf('%08d', seq), at FROM audit_log ORDER BY seq");
    assert!(audit.windows(2).all(|w| w[0].1 <= w[1].1), "audit entries follow the calendar");
    assert!(gridsafe::store::audit::verify(&conn).unwrap().is_ok());

    // Deadlines of their own, some closed late, some extended, some reworked.
    let cases = gridsafe::store::cases::list(&conn).unwrap();
    let facts: Vec<CaseKpi> = cases.iter().map(gridsafe::service::cases::kpi_facts).collect();
    let closed: Vec<&CaseKpi> = facts.iter().filter(|c| c.closed.is_some()).collect();
    let deadlines: BTreeSet<&str> = closed.iter().filter_map(|c| c.deadline.as_deref()).collect();
    assert!(deadlines.len() > 30, "closed cases share {} deadlines", deadlines.len());
    let late = closed.iter().filter(|c| c.closed.as_deref().unwrap()[..10] > *c.deadline.as_deref().unwrap()).count();
    assert!(late * 20 > closed.len() && late * 3 < closed.len(), "{late} of {} closed late", closed.len());
    let year = compute(&facts, "2026-01-01", "2026-12-31");
    let (closure, on_time) = (year.closure_rate.unwrap(), year.on_time_rate.unwrap());
    assert!(on_time < closure, "按期结案率 {on_time} must be below 结案率 {closure}");
    assert!(year.extension_rate.unwrap() > 0.03 && year.rework_rate.unwrap() > 0.05, "{year:?}");
    // Months differ, as they do in an office.
    let months: BTreeSet<String> = ["2026-07", "2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| {
            let last = gridsafe::domain::time::add_days(&format!("{m}-01"), 31).unwrap();
            format!("{:?}", compute(&facts, &format!("{m}-01"), &format!("{}-01", &last[..7])).median_days_to_close)
        })
        .collect();
    assert!(months.len() > 1, "the same median every month: {months:?}");
    // Every state still shows, the recent cases being the open ones.
    let statuses: BTreeSet<&str> = cases.iter().map(|c| c.status.as_str()).collect();
    for status in ["reported", "registered", "dispatched", "submitted", "closed", "cancelled"] {
        assert!(statuses.contains(status), "no {status} case: {statuses:?}");
    }
    let today = gridsafe::domain::time::china_date(NOW);
    let overdue = cases.iter().filter(|c| gridsafe::service::cases::is_overdue(c, &today)).count();
    assert!(overdue >= 10, "{overdue}");
}

#[tokio::test]
async fn every_demo_chief_patrols_their_own_water_and_no_walk_is_taken_for_another() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let seeded = maps.clone();
    let filed = app.app.store.write(move |c| gridsafe::demo::seed_patrols(c, &seeded, NOW)).await.unwrap();
    assert!(filed > 300, "{filed}");
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let logs = gridsafe::store::patrols::list(&conn, None, None).unwrap();
    // Codes rise with dates.
    let mut by_code = logs.clone();
    by_code.sort_by(|a, b| a.code.cmp(&b.code));
    assert!(by_code.windows(2).all(|w| w[0].started_s <= w[1].started_s), "patrol codes out of date order");
    // Each chief's reaches, from their assignments.
    let mut reaches_of: std::collections::BTreeMap<i64, BTreeSet<String>> = std::collections::BTreeMap::new();
    for a in gridsafe::store::assignments::list(&conn, None).unwrap() {
        if a.role == Role::RiverChief {
            for item in &a.scope {
                if let ScopeItem::Reach(code) = item {
                    reaches_of.entry(a.person_id).or_default().insert(code.clone());
                }
            }
        }
    }
    let mut village_logs = 0;
    for log in logs.iter().filter(|l| l.valid && l.level == "village") {
        let own = &reaches_of[&log.chief_id];
        let walked = log
            .reaches
            .as_array()
            .unwrap()
            .iter()
            .any(|r| own.contains(r["code"].as_str().unwrap()) && r["share"].as_f64().unwrap() >= 0.9);
        assert!(walked, "{} walked {} but holds {own:?}", log.code, log.reaches);
        village_logs += 1;
    }
    assert!(village_logs > 200, "{village_logs}");
    // A few deliberately bad logs, and only the two deliberate repeats among them.
    let invalid: Vec<_> = logs.iter().filter(|l| !l.valid).collect();
    assert!(invalid.len() * 20 > logs.len() && invalid.len() * 6 < logs.len(), "{} of {}", invalid.len(), logs.len());
    let repeats: Vec<_> = invalid.iter().filter(|l| l.reasons.to_string().contains("patrol log XH-")).collect();
    assert_eq!(repeats.len(), 2, "{:?}", repeats.iter().map(|l| (&l.code, &l.reasons)).collect::<Vec<_>>());
    let overlapping: Vec<_> = logs
        .iter()
        .filter(|l| l.reasons.to_string().contains("overlaps"))
        .map(|l| (&l.code, l.chief_id, &l.river_code, l.started_s))
        .collect();
    assert!(overlapping.is_empty(), "a chief walks one patrol at a time: {overlapping:?}");
    // Compliance: a chief with valid logs has covered their reach.
    for month in ["2026-09", "2026-10"] {
        let lines = gridsafe::service::patrols::compliance(&conn, &maps, month).unwrap();
        let village: Vec<_> = lines.iter().filter(|l| l.level == "village" && l.valid_done > 0).collect();
        assert!(village.len() > 20, "{month}: {}", village.len());
        for line in village {
            assert!(!line.reaches.is_empty(), "{month} {}: no reach", line.username);
            assert!(line.reaches.iter().all(|r| r.share > 0.5), "{month} {}: {:?}", line.username, line.reaches);
        }
        let full = lines.iter().filter(|l| l.rate >= 1.0).count();
        assert!(full > 0 && full < lines.len(), "{month}: {full} of {} at 100 %", lines.len());
    }
}
