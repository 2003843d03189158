//! The KPIs end to end, one definition everywhere: cases walked through the
//! loop by the services at fixed times, then the same figures from
//! `/api/v1/stats`, the ledger's 分网格统计 sheet (from the API and the CLI,
//! read back with calamine); patrol compliance from the API, the CLI (JSON and
//! table) and the monthly river report's text.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use gridsafe::domain::time::days_from_civil;
use gridsafe::service::accounts::{Actor, actor_of};
use gridsafe::service::cases::{ActionInput, CaseInput};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Noon, China time, on a day of 2026, as Unix seconds.
fn noon(month: i64, day: i64) -> i64 {
    days_from_civil(2026, month, day) * 86_400 + 4 * 3600
}

/// The village the hand-made cases are filed in (no demo case is there).
const VILLAGE: &str = "TF0102";

/// What happens to one case, each step at noon on the day given (month, day).
struct Story {
    filed: (i64, i64),
    deadline: &'static str,
    /// Extended on that day to the new deadline.
    extended: Option<((i64, i64), &'static str)>,
    /// Submitted and returned for rework on that day.
    returned: Option<(i64, i64)>,
    /// Submitted and signed off on that day.
    closed: Option<(i64, i64)>,
}

fn actor(conn: &rusqlite::Connection, app: &TestApp, username: &str, at: i64) -> Actor {
    let person = gridsafe::store::people::by_username(conn, username).unwrap().unwrap();
    let date = gridsafe::domain::time::china_date(at);
    actor_of(conn, person, &date, &app.app.maps()).unwrap().unwrap()
}

/// Files and walks the stories through the case services (admin files,
/// registers, dispatches and submits; town expert `expert1` returns and approves).
async fn walk(app: &TestApp, stories: Vec<Story>) {
    let admin = app.login("admin").await;
    let photo = crate::cases::photo(app, &admin, 90).await;
    let after = crate::cases::photo(app, &admin, 91).await;
    let maps = app.app.maps();
    let point = geo::InteriorPoint::interior_point(&maps.grid(VILLAGE).unwrap().shape).unwrap();
    let path = app.db_path();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (i, s) in stories.iter().enumerate() {
        let t = |(m, d): (i64, i64)| noon(m, d);
        let admin = actor(&conn, app, "admin", t(s.filed));
        let input = CaseInput {
            kind: "safety".into(),
            category: "S-F10".into(),
            grade: "general".into(),
            criterion: None,
            title: format!("手工案例{}", i + 1),
            description: "用于核对指标的手工案例".into(),
            lon: point.x(),
            lat: point.y(),
            enterprise_id: None,
            photos: vec![photo.clone()],
        };
        let number = gridsafe::service::cases::file(&conn, &maps, &admin, &input, t(s.filed)).unwrap().number;
        let act = |who: &str, at: i64, input: ActionInput| {
            let who = actor(&conn, app, who, at);
            gridsafe::service::cases::act(&conn, &maps, &who, &number, &input, None, at).unwrap();
        };
        let action = |name: &str| ActionInput { action: name.into(), ..ActionInput::default() };
        act("admin", t(s.filed), action("register"));
        let dispatch = ActionInput {
            responsible: Some("八里村委会".into()),
            measures: Some("限期整改".into()),
            deadline: Some(s.deadline.into()),
            ..action("dispatch")
        };
        act("admin", t(s.filed), dispatch);
        if let Some((day, deadline)) = s.extended {
            let extend = ActionInput {
                deadline: Some(deadline.into()),
                reason: Some("设备到货延迟".into()),
                ..action("extend")
            };
            act("admin", t(day), extend);
        }
        let submit =
            || ActionInput { photos: vec![after.clone()], description: Some("已整改".into()), ..action("submit") };
        if let Some(day) = s.returned {
            act("admin", t(day), submit());
            act("expert1", t(day), ActionInput { reason: Some("整改不到位".into()), ..action("return") });
        }
        if let Some(day) = s.closed {
            act("admin", t(day), submit());
            act("expert1", t(day), ActionInput { comment: Some("同意销号".into()), ..action("approve") });
        }
    }
}

/// Seven cases of March 2026 in one village, each on a boundary.
fn march() -> Vec<Story> {
    vec![
        // 1: closed on its deadline day (03-10): due 03-10, closed, on time. 9 days.
        Story { filed: (3, 1), deadline: "2026-03-10", extended: None, returned: None, closed: Some((3, 10)) },
        // 2: returned once, closed the day after its deadline: due 03-10, closed, late. 10 days.
        Story { filed: (3, 1), deadline: "2026-03-10", extended: None, returned: Some((3, 6)), closed: Some((3, 11)) },
        // 3: deadline on the period's last day, still open: due, not closed.
        Story { filed: (3, 2), deadline: "2026-03-31", extended: None, returned: None, closed: None },
        // 4: extended on 03-14 from 03-15 to 03-25, closed 03-20: due 03-20, on time. 18 days.
        Story {
            filed: (3, 2),
            deadline: "2026-03-15",
            extended: Some(((3, 14), "2026-03-25")),
            returned: None,
            closed: Some((3, 20)),
        },
        // 5: filed in February, closed 03-04 a day early: due 03-04, on time. 8 + 4 = 12 days.
        Story { filed: (2, 20), deadline: "2026-03-05", extended: None, returned: None, closed: Some((3, 4)) },
        // 6: deadline in April, open: filed in March, not due.
        Story { filed: (3, 3), deadline: "2026-04-10", extended: None, returned: None, closed: None },
        // 7: deadline in April but closed 03-25: due 03-25 (in March), on time. 20 days.
        Story { filed: (3, 5), deadline: "2026-04-30", extended: None, returned: None, closed: Some((3, 25)) },
    ]
}

/// March's figures for the village, worked out by hand from [`march`]:
/// filed 1, 2, 3, 4, 6, 7 = 6; due 1, 2, 3, 4, 5, 7 = 6 (not 6);
/// closed 1, 2, 4, 5, 7 = 5 → 5/6 = 0.8333;
/// on time 1 (03-10 ≤ 03-10), 4 (03-20 ≤ 03-25), 5 (03-04 ≤ 03-05), 7 = 4 → 4/6 = 0.6667;
/// reworked 2 → 1/6 = 0.1667; extended 4 → 1/6 = 0.1667;
/// days to close 9, 10, 12, 18, 20 → the middle one, 12.
const EXPECTED: [(&str, f64); 9] = [
    ("filed", 6.0),
    ("due", 6.0),
    ("closed", 5.0),
    ("closed_on_time", 4.0),
    ("closure_rate", 0.8333),
    ("on_time_rate", 0.6667),
    ("rework_rate", 0.1667),
    ("extension_rate", 0.1667),
    ("median_days_to_close", 12.0),
];

/// The KPI row of the village in a ledger workbook's 分网格统计 sheet, as (field, value).
fn sheet_row(bytes: Vec<u8>) -> Vec<(&'static str, f64)> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("分网格统计").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert!(rows[0][0].to_string().starts_with("统计期间：2026-03-01 至 2026-03-31"), "{:?}", rows[0]);
    let headers: Vec<String> = rows[1].iter().map(ToString::to_string).collect();
    assert_eq!(
        headers,
        [
            "网格编码",
            "网格名称",
            "上报数",
            "应结案数",
            "结案数",
            "按期结案数",
            "结案率",
            "按期结案率",
            "返工率",
            "延期率",
            "销号天数中位数"
        ]
    );
    let row = rows.iter().find(|r| r[0] == VILLAGE).expect("the village has a KPI row");
    assert_eq!(row[1].to_string(), "太平");
    EXPECTED.iter().enumerate().map(|(i, (field, _))| (*field, row[i + 2].as_f64().unwrap_or(f64::NAN))).collect()
}

fn api_row(stats: &Value) -> Vec<(&'static str, f64)> {
    let groups = stats["groups"].as_array().unwrap();
    let group = groups.iter().find(|g| g["key"] == VILLAGE).unwrap_or_else(|| panic!("no {VILLAGE} in {stats}"));
    EXPECTED.iter().map(|(field, _)| (*field, group["kpi"][field].as_f64().unwrap_or(f64::NAN))).collect()
}

#[tokio::test]
async fn a_hand_made_month_gives_the_worked_out_kpis_in_the_api_the_ledger_and_the_cli() {
    let app = TestApp::demo().await;
    walk(&app, march()).await;
    let admin = app.login("admin").await;

    let stats = app.get_as(&admin, "/api/v1/stats?from=2026-03-01&to=2026-03-31").await.expect(200);
    assert_eq!(api_row(&stats), EXPECTED, "{stats}");
    // The town total holds only these cases (the demo seeds none).
    assert_eq!(stats["total"]["due"], 6);

    // February: case 5 was filed then, nothing fell due, nothing was closed.
    let feb = app.get_as(&admin, "/api/v1/stats?from=2026-02-01&to=2026-02-28").await.expect(200);
    let kpi = &feb["groups"][0]["kpi"];
    assert_eq!(
        (kpi["filed"].as_u64(), kpi["due"].as_u64(), kpi["closure_rate"].clone()),
        (Some(1), Some(0), Value::Null)
    );

    // The ledger of March lists the six cases filed in March, and its sheet has the API's figures
    // (case 5, filed in February, still counts as due in March).
    let uri = "/api/v1/ledger.xlsx?from=2026-03-01&to=2026-03-31";
    let bytes = app.get_bytes_as(&admin, uri).await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.worksheet_range("隐患台账").unwrap().height(), 1 + 6);
    assert_eq!(sheet_row(bytes), EXPECTED);
    // A ledger of the closed cases only: the statistics still count the open ones.
    let closed = app.get_bytes_as(&admin, &format!("{uri}&status=closed")).await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(closed.clone())).unwrap();
    assert_eq!(book.worksheet_range("隐患台账").unwrap().height(), 1 + 4);
    assert_eq!(sheet_row(closed), EXPECTED);

    // The command line's ledger agrees.
    let out = app.dir.path().join("march.xlsx");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["export", "ledger", "--from", "2026-03-01", "--to", "2026-03-31", "--out"])
        .arg(&out)
        .arg("--db")
        .arg(app.db_path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(sheet_row(std::fs::read(&out).unwrap()), EXPECTED);
}

/// A Feature track along 弥河 from `from_m`, `metres` long, at 4 km/h from `start_s`.
fn track(app: &TestApp, from_m: f64, metres: f64, start_s: i64) -> (Value, i64) {
    let (points, times) =
        gridsafe::demo::walk_river(&app.app.maps(), "mihe", (from_m, metres), 4.0, start_s, (3.0, from_m as u64));
    let coordinates: Vec<[f64; 2]> = points.iter().map(|p| [p.0, p.1]).collect();
    let end = *times.last().unwrap();
    (
        json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates},
            "properties": {"times": times}}),
        end,
    )
}

#[tokio::test]
async fn four_valid_patrols_against_a_target_of_three_are_100_percent_in_the_api_the_cli_and_the_pdf() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    // Four valid walks of 2.5 km (37.5 min) on four stretches of 弥河, a week apart in October 2026.
    for k in 0..4_i64 {
        let start = noon(10, 5 + 7 * k) - 3 * 3600;
        let (walk, end) = track(&app, 2600.0 * k as f64, 2500.0, start);
        let input: gridsafe::service::patrols::PatrolInput = serde_json::from_value(json!({
            "river": "mihe", "started_at": gridsafe::domain::time::china_timestamp(start),
            "ended_at": gridsafe::domain::time::china_timestamp(end), "track": walk,
            "checklist": [{"type": "水体", "status": "normal"}]}))
        .unwrap();
        let chief = actor(&conn, &app, "chief.mihe", start);
        let row = gridsafe::service::patrols::file(&conn, &maps, &chief, &input, end + 3600).unwrap();
        assert!(row.valid, "walk {k} counts: {}", row.reasons);
    }
    let admin = app.login("admin").await;
    let api = app.get_as(&admin, "/api/v1/patrols/compliance?month=2026-10").await.expect(200);
    let line = |report: &Value| {
        report["chiefs"].as_array().unwrap().iter().find(|l| l["username"] == "chief.mihe").cloned().unwrap()
    };
    let town = line(&api);
    // 4 valid against a target of 3: min(4, 3) / 3 = 1.
    assert_eq!((town["required"].as_u64(), town["valid_done"].as_u64()), (Some(3), Some(4)));
    assert_eq!(town["rate"].as_f64(), Some(1.0));
    let chief_name = town["chief"].as_str().unwrap().to_owned();

    let cli = |json: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"));
        command.args(["patrols", "compliance", "--month", "2026-10", "--db"]).arg(app.db_path());
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let from_cli: Value = serde_json::from_str(&cli(true)).unwrap();
    assert_eq!(from_cli["chiefs"], api["chiefs"], "the CLI's JSON is the API's");
    let table = cli(false);
    let row = table.lines().find(|l| l.contains("(chief.mihe)") && l.contains("mihe")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // chief, level, river, 应巡 3, 有效 4, 无效 0, 完成率 100%.
    assert_eq!(&cells[3..7], ["3", "4", "0", "100%"], "{row}");

    let pdf = app.get_bytes_as(&admin, "/api/v1/rivers/mihe/report.pdf?month=2026-10").await;
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text: String = doc.extract_text(&pages).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    // 序号, 河长, 级别, 应巡次数 3, 有效巡河次数 4, 完成率 100%, 达标.
    let expected = format!("{chief_name}镇级河长34100%达标");
    assert!(text.contains(&expected), "{expected} missing: {text}");
    assert!(!text.contains("133%"), "{text}");
    // Every chief's line reads the same in the PDF as in the API.
    let mihe: Vec<&Value> = api["chiefs"].as_array().unwrap().iter().filter(|l| l["river"] == "mihe").collect();
    assert!(mihe.len() > 1, "the town chief and the village chiefs: {api}");
    for l in mihe {
        let level = match l["level"].as_str() {
            Some("town") => "镇级河长",
            Some("community") => "社区级河长",
            _ => "村级河长",
        };
        let percent = gridsafe::domain::kpi::percent(l["rate"].as_f64().unwrap());
        let cells = format!("{}{level}{}{}{percent}", l["chief"].as_str().unwrap(), l["required"], l["valid_done"]);
        assert!(text.contains(&cells), "{cells} missing: {text}");
    }
}
