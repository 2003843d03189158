//! Lists that do not grow with the table (SPEC §10): every case list is a
//! keyset query over an index, with the reader's scope inside the query. The
//! pages must list exactly what a brute-force filter of every row lists, in
//! the same order, and no statement may scan the cases table or sort it.

use std::sync::Arc;

use gridsafe::domain::case::{Grade, Kind, Status};
use gridsafe::service::accounts::{Actor, actor_of};
use gridsafe::service::cases::{self, CaseFilter};
use gridsafe::spatial::Maps;
use gridsafe::store::case_query;
use rusqlite::Connection;

use crate::helpers::{NOW, TestApp};

/// The demo town with its people and a year of cases in every state.
async fn town() -> (TestApp, Connection, std::sync::Arc<Maps>, String) {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let seeding = maps.clone();
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &seeding, NOW, 400)).await.unwrap();
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    (app, conn, maps, gridsafe::domain::time::china_date(NOW))
}

fn everyone(conn: &Connection, maps: &Maps, today: &str) -> Vec<Actor> {
    gridsafe::store::people::list(conn)
        .unwrap()
        .into_iter()
        .filter_map(|p| actor_of(conn, p, today, maps).unwrap())
        .collect()
}

/// Filters worth trying: each on its own, and a few together.
fn filters(conn: &Connection, maps: &Maps) -> Vec<CaseFilter> {
    let rows = gridsafe::store::cases::list(conn).unwrap();
    let enterprise = rows.iter().find_map(|c| c.enterprise_id);
    let reach = rows.iter().find_map(|c| c.reach_code.clone());
    let reporter = rows.last().map(|c| c.reporter_id);
    let community = maps.grids().iter().find(|g| g.grid.level == gridsafe::domain::grid::GridLevel::Community);
    let mut out = vec![CaseFilter::default()];
    for s in Status::ALL {
        out.push(CaseFilter { status: Some(s), ..CaseFilter::default() });
    }
    for k in [Kind::Safety, Kind::Environment, Kind::River] {
        out.push(CaseFilter { kind: Some(k), ..CaseFilter::default() });
    }
    out.extend([
        CaseFilter { grade: Some(Grade::Major), ..CaseFilter::default() },
        CaseFilter { grid: community.map(|g| g.grid.code.as_str().to_owned()), ..CaseFilter::default() },
        CaseFilter { enterprise, ..CaseFilter::default() },
        CaseFilter { reach, ..CaseFilter::default() },
        CaseFilter { reporter, ..CaseFilter::default() },
        CaseFilter { overdue: Some(true), ..CaseFilter::default() },
        CaseFilter { overdue: Some(false), ..CaseFilter::default() },
        CaseFilter { supervised: Some(true), ..CaseFilter::default() },
        CaseFilter { referred: Some(true), ..CaseFilter::default() },
        CaseFilter { from: Some("2026-03-01".into()), to: Some("2026-06-30".into()), ..CaseFilter::default() },
        CaseFilter { below: true, ..CaseFilter::default() },
        CaseFilter {
            status: Some(Status::Dispatched),
            kind: Some(Kind::Safety),
            overdue: Some(true),
            ..CaseFilter::default()
        },
        CaseFilter { status: Some(Status::Closed), from: Some("2026-05-01".into()), ..CaseFilter::default() },
    ]);
    out
}

/// Every page of a list, `limit` at a time: (number, overdue) in order.
fn paged(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    f: &CaseFilter,
    limit: usize,
    today: &str,
) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (rows, next) = cases::list_rows(conn, maps, actor, f, after.as_deref(), limit, today).unwrap();
        assert!(rows.len() <= limit);
        out.extend(rows.into_iter().map(|(c, overdue)| (c.number, overdue)));
        match next {
            Some(n) => after = Some(n),
            None => return out,
        }
        assert!(out.len() < 100_000, "paging does not end");
    }
}

/// Pages every filter for every actor (a rotating third of the filters for
/// all but the admin) and compares with a filter of every row; returns how
/// many lists were compared.
fn compare_lists(conn: &Connection, maps: &Maps, actors: &[Actor], limits: &[usize], today: &str) -> usize {
    let all = gridsafe::store::cases::list(conn).unwrap();
    let filters = filters(conn, maps);
    let mut compared = 0;
    for actor in actors {
        for (i, f) in filters.iter().enumerate() {
            if !actor.scope.admin && i != 0 && !(i + actor.person.id as usize).is_multiple_of(3) {
                continue;
            }
            let expected: Vec<(String, bool)> = cases::select(all.clone(), maps, actor, f, today)
                .unwrap()
                .into_iter()
                .map(|c| {
                    let overdue = cases::is_overdue(&c, today);
                    (c.number, overdue)
                })
                .collect();
            for &limit in limits {
                let got = paged(conn, maps, actor, f, limit, today);
                assert_eq!(got, expected, "{} with {f:?}, {limit} a page", actor.person.username);
            }
            compared += 1;
        }
    }
    compared
}

#[tokio::test]
async fn every_page_at_every_scope_lists_what_a_filter_of_every_row_lists() {
    let (_app, conn, maps, today) = town().await;
    assert!(gridsafe::store::cases::list(&conn).unwrap().len() >= 400);
    let actors = everyone(&conn, &maps, &today);
    assert!(actors.len() > 20, "{}", actors.len());
    assert!(compare_lists(&conn, &maps, &actors, &[7, 50], &today) > 100);
}

#[tokio::test]
async fn the_lists_of_a_generated_town_page_like_a_filter_of_every_row() {
    let app =
        TestApp::generated(gridsafe::generate::Spec { villages: 250, cases: 4000, patrols: 200, years: 3, seed: 11 })
            .await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let maps = app.app.maps();
    let today = gridsafe::domain::time::china_date(NOW);
    // The office, the experts, grid leaders, a sample of inspectors, hired experts, contacts and chiefs.
    let actors: Vec<Actor> = everyone(&conn, &maps, &today)
        .into_iter()
        .enumerate()
        .filter(|(i, a)| {
            let name = &a.person.username;
            i % 25 == 0 || !(name.starts_with("insp") || name.starts_with("chief0") || name.starts_with("eexp"))
        })
        .map(|(_, a)| a)
        .collect();
    assert!(actors.len() > 15, "{}", actors.len());
    assert!(compare_lists(&conn, &maps, &actors, &[50, 333], &today) > 100);
}

/// What no list statement may do: read the whole cases table, sort more
/// than the overdue cases (`cases_due` holds only open cases with a deadline),
/// or visit the row of each overdue case to test a filter.
fn check_plan(plan: &str, what: &str) {
    assert!(!plan.contains("SCAN cases"), "{what}: a full scan: {plan}");
    if plan.contains("TEMP B-TREE") {
        assert!(plan.contains("INDEX cases_due "), "{what}: sorts more than the overdue cases: {plan}");
    }
    if plan.contains("INDEX cases_due ") {
        assert!(plan.contains("COVERING INDEX cases_due "), "{what}: reads each overdue case's row: {plan}");
    }
    assert!(plan.contains("SEARCH cases"), "{what}: {plan}");
}

#[tokio::test]
async fn every_list_query_searches_an_index_and_never_scans_or_sorts_the_cases() {
    let (_app, conn, maps, today) = town().await;
    let actors = everyone(&conn, &maps, &today);
    let filters = filters(&conn, &maps);
    let mut checked = 0;
    for actor in &actors {
        for f in &filters {
            let query = cases::list_query(&maps, actor, f).unwrap();
            for plan in case_query::plans(&conn, &query, &today).unwrap() {
                check_plan(&plan, &format!("{} with {f:?}", actor.person.username));
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Every page of a chief's or the office's log list, `limit` at a time.
fn patrol_pages(conn: &Connection, maps: &Maps, actor: &Actor, month: Option<&str>, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (rows, next) =
            gridsafe::service::patrols::page_readable(conn, maps, actor, (None, month), after.as_deref(), limit)
                .unwrap();
        assert!(rows.len() <= limit);
        out.extend(rows.into_iter().map(|p| p.code));
        match next {
            Some(n) => after = Some(n),
            None => return out,
        }
        assert!(out.len() < 100_000, "paging does not end");
    }
}

#[tokio::test]
async fn patrol_logs_page_like_a_filter_of_every_log_and_search_an_index() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let seeding = maps.clone();
    app.app.store.write(move |c| gridsafe::demo::seed_patrols(c, &seeding, NOW)).await.unwrap();
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let today = gridsafe::domain::time::china_date(NOW);
    let mut every = gridsafe::store::patrols::list(&conn, None, None).unwrap();
    assert!(every.len() > 100, "{}", every.len());
    every.sort_by_key(|p| std::cmp::Reverse((p.started_s, p.id)));
    let month = every[0].month.clone();
    let mut listed = 0;
    for actor in everyone(&conn, &maps, &today) {
        for m in [None, Some(month.as_str())] {
            let expected: Vec<String> = every
                .iter()
                .filter(|p| m.is_none_or(|m| p.month == m))
                .filter(|p| gridsafe::service::patrols::readable(&maps, &actor, p))
                .map(|p| p.code.clone())
                .collect();
            assert_eq!(patrol_pages(&conn, &maps, &actor, m, 4), expected, "{} in {m:?}", actor.person.username);
            listed += expected.len();
        }
        let terms = gridsafe::service::patrols::readable_terms(&maps, &actor);
        for plan in gridsafe::store::patrols::plans(&conn, &terms, (None, 0, i64::MAX)).unwrap() {
            assert!(!plan.contains("SCAN patrols") && !plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
    assert!(listed > 200, "{listed}");
}

#[tokio::test]
async fn statistics_from_the_index_equal_statistics_of_every_row() {
    use gridsafe::domain::grid::GridLevel;
    use gridsafe::service::cases::StatsBy;
    let (app, conn, maps, today) = town().await;
    let all = gridsafe::store::cases::list(&conn).unwrap();
    let people = gridsafe::store::people::list(&conn).unwrap();
    let periods = [
        ("2026-01-01", "2026-12-31"),
        ("2026-03-01", "2026-03-31"),
        ("2026-06-10", "2026-08-20"),
        ("2025-01-01", "2026-02-01"),
    ];
    for actor in everyone(&conn, &maps, &today).iter().step_by(3) {
        let readable: Vec<_> = all
            .iter()
            .filter(|c| cases::readable(&actor.scope, actor.person.id, &cases::facts(&maps, c)))
            .map(cases::kpi_line)
            .collect();
        for (from, to) in periods {
            for by in [StatsBy::Grid(GridLevel::Village), StatsBy::Grid(GridLevel::Community), StatsBy::Person] {
                let got = cases::stats_in_scope(&conn, &maps, actor, by, from, to).unwrap();
                let expected = cases::stats(&readable, &maps, &people, by, from, to);
                assert_eq!(got, expected, "{} {from}..{to}", actor.person.username);
                // Read in parts at once on the store's readers, merged: the same figures.
                let parts = cases::stats_of(&app.app.store, maps.clone(), Arc::new(actor.clone()), by, from, to);
                assert_eq!(parts.await.unwrap(), expected, "{} {from}..{to} in parts", actor.person.username);
            }
        }
    }
}

/// Every page of an enterprise list, `limit` at a time, as ids.
fn enterprise_pages(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &gridsafe::service::enterprises::EnterpriseFilter,
    limit: usize,
) -> Vec<i64> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (rows, next) =
            gridsafe::service::enterprises::page_readable(conn, maps, &actor.scope, filter, after.as_deref(), limit)
                .unwrap();
        assert!(rows.len() <= limit);
        out.extend(rows.into_iter().map(|e| e.id));
        match next {
            Some(n) => after = Some(n),
            None => return out,
        }
        assert!(out.len() < 100_000, "paging does not end");
    }
}

#[tokio::test]
async fn enterprise_lists_page_like_a_filter_of_every_enterprise_and_never_sort() {
    use gridsafe::domain::enterprise::Governance;
    use gridsafe::service::enterprises::{self, EnterpriseFilter};
    let (_app, conn, maps, today) = town().await;
    // Close a third of them on different days, some re-inspected since, so the due order is mixed.
    conn.execute_batch(
        "UPDATE enterprises SET governance = 'closed', closed_on = date('2026-01-01', '+' || (id * 37 % 300) || ' days'),
             reinspect_days = 30 + id % 4 * 30 WHERE id % 3 = 0;
         UPDATE enterprises SET last_reinspected_on = date(closed_on, '+20 days') WHERE id % 6 = 0;
         UPDATE enterprises SET governance = 'listed' WHERE id % 7 = 1;",
    )
    .unwrap();
    let every = gridsafe::store::enterprises::list(&conn).unwrap();
    assert!(every.iter().filter(|e| e.governance == Governance::Closed).count() > 10);
    let community = maps.grids().iter().find(|g| g.grid.level == gridsafe::domain::grid::GridLevel::Community);
    let community = community.map(|g| g.grid.code.as_str().to_owned());
    let some_uscc = every.iter().find_map(|e| e.uscc.clone()).map(|u| u[4..10].to_owned());
    let name_word = every[every.len() / 2].name.chars().take(2).collect::<String>();
    let mut filters = vec![
        EnterpriseFilter::default(),
        EnterpriseFilter { grid: community.clone(), ..EnterpriseFilter::default() },
        EnterpriseFilter { grid: community, above_scale: Some(true), ..EnterpriseFilter::default() },
        EnterpriseFilter { above_scale: Some(false), ..EnterpriseFilter::default() },
        EnterpriseFilter { key: Some(true), ..EnterpriseFilter::default() },
        EnterpriseFilter { text: some_uscc, ..EnterpriseFilter::default() },
        EnterpriseFilter { text: Some(name_word), ..EnterpriseFilter::default() },
        EnterpriseFilter { reinspection_due_by: Some("2026-09-30".into()), ..EnterpriseFilter::default() },
        EnterpriseFilter {
            reinspection_due_by: Some("2099-12-31".into()),
            key: Some(false),
            ..EnterpriseFilter::default()
        },
    ];
    filters.extend(Governance::ALL.map(|g| EnterpriseFilter { governance: Some(g), ..EnterpriseFilter::default() }));
    let mut listed = 0;
    for actor in everyone(&conn, &maps, &today) {
        for f in &filters {
            let text = f.text.as_deref().map(str::to_uppercase);
            let mut expected: Vec<_> = every
                .iter()
                .filter(|e| actor.scope.reads_enterprise(e.id, &e.grid_code))
                .filter(|e| f.grid.as_deref().is_none_or(|g| maps.is_within(&e.grid_code, g)))
                .filter(|e| f.above_scale.is_none_or(|v| e.above_scale == v))
                .filter(|e| f.key.is_none_or(|v| e.key == v))
                .filter(|e| f.governance.is_none_or(|g| e.governance == g))
                .filter(|e| {
                    text.as_deref().is_none_or(|t| {
                        e.name.to_uppercase().contains(t) || e.uscc.as_deref().is_some_and(|u| u.contains(t))
                    })
                })
                .filter(|e| {
                    f.reinspection_due_by
                        .as_deref()
                        .is_none_or(|by| e.next_reinspection.as_deref().is_some_and(|n| n <= by))
                })
                .collect();
            if f.reinspection_due_by.is_some() {
                expected.sort_by(|a, b| a.next_reinspection.cmp(&b.next_reinspection).then(a.id.cmp(&b.id)));
            }
            let expected: Vec<i64> = expected.into_iter().map(|e| e.id).collect();
            let who = format!("{} with {f:?}", actor.person.username);
            for limit in [1, 7, 100] {
                assert_eq!(enterprise_pages(&conn, &maps, &actor, f, limit), expected, "{who}, {limit} a page");
            }
            let count = enterprises::count_readable(&conn, &maps, &actor.scope, f).unwrap();
            assert_eq!(count, i64::try_from(expected.len()).unwrap(), "{who}: count");
            let query = enterprises::list_query(&maps, &actor.scope, f).unwrap();
            for plan in gridsafe::store::enterprise_query::plans(&conn, &query).unwrap() {
                assert!(!plan.contains("TEMP B-TREE"), "{who}: sorts: {plan}");
            }
            listed += expected.len();
        }
    }
    assert!(listed > 1000, "{listed}");
    let admin = everyone(&conn, &maps, &today).into_iter().find(|a| a.scope.admin).unwrap();
    let bad = enterprises::page_readable(&conn, &maps, &admin.scope, &EnterpriseFilter::default(), Some("x"), 5);
    assert!(bad.unwrap_err().to_string().contains("查询参数 after 无效"));
}

#[tokio::test]
async fn the_people_list_pages_by_login_like_a_search_of_everyone() {
    let (_app, conn, maps, today) = town().await;
    let mut every = gridsafe::store::people::list(&conn).unwrap();
    every.sort_by(|a, b| a.username.cmp(&b.username));
    let actors = everyone(&conn, &maps, &today);
    let admin = actors.iter().find(|a| a.scope.admin).unwrap();
    let inspector = actors.iter().find(|a| !a.scope.admin).unwrap();
    for text in [None, Some("insp"), Some("TF01"), Some("138"), Some(every[3].name.as_str()), Some("无此人")] {
        for actor in [admin, inspector] {
            let lower = text.map(str::to_lowercase);
            let expected: Vec<&str> = every
                .iter()
                .filter(|p| actor.scope.admin || p.id == actor.person.id)
                .filter(|p| {
                    lower.as_deref().is_none_or(|t| {
                        p.name.to_lowercase().contains(t)
                            || p.username.contains(t)
                            || p.phone.as_deref().is_some_and(|ph| ph.contains(t))
                    })
                })
                .map(|p| p.username.as_str())
                .collect();
            for limit in [1, 9, 500] {
                let mut got: Vec<String> = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let (count, rows, next) =
                        gridsafe::service::people::visible(&conn, actor, text, after.as_deref(), limit).unwrap();
                    assert_eq!(count, i64::try_from(expected.len()).unwrap(), "{text:?}");
                    got.extend(rows.into_iter().map(|p| p.username));
                    match next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
                assert_eq!(got, expected, "{} searching {text:?}, {limit} a page", actor.person.username);
            }
        }
    }
    let plan = gridsafe::store::people::page_plan(&conn).unwrap().join("; ");
    assert!(plan.contains("SEARCH people USING INDEX") && !plan.contains("TEMP B-TREE"), "{plan}");
}

#[tokio::test]
async fn the_ledgers_verdict_is_the_last_sign_off_or_return_of_the_audit_log_read_from_its_index() {
    let (_app, conn, _maps, _today) = town().await;
    let cases = gridsafe::store::cases::list(&conn).unwrap();
    let mut with_verdict = 0;
    for batch in cases.chunks(97) {
        let ids: Vec<i64> = batch.iter().map(|c| c.id).collect();
        let mut seen = Vec::new();
        gridsafe::store::cases::ledger_cases(&conn, &ids, &mut |c| {
            seen.push((c.number.to_owned(), c.verdict.map(|(a, t, m)| (t.to_owned(), a.to_owned(), m.to_owned()))));
            Ok(())
        })
        .unwrap();
        let numbers: Vec<&str> = batch.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(seen.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), numbers, "newest first, as asked");
        for (case, (_, verdict)) in batch.iter().zip(seen) {
            let expected = gridsafe::store::audit::for_case(&conn, case.id)
                .unwrap()
                .into_iter()
                .filter(|e| e.record.action == "approve" || e.record.action == "return")
                .max_by_key(|e| e.seq)
                .map(|e| (e.record.at, e.record.action, e.record.comment));
            with_verdict += usize::from(expected.is_some());
            assert_eq!(verdict, expected, "case {}", case.number);
        }
    }
    assert!(with_verdict > 20, "the seeded town has signed-off and returned cases: {with_verdict}");
    let plan = gridsafe::store::cases::ledger_plan(&conn).unwrap().join("; ");
    assert!(plan.contains("COVERING INDEX audit_log_verdicts"), "{plan}");
    assert!(!plan.contains("SCAN") && !plan.contains("TEMP B-TREE"), "{plan}");
}
