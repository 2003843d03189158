//! The hazard ledger as CSV and XLSX, over HTTP (scoped and filtered) and from the CLI.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};

use crate::helpers::TestApp;

async fn demo_with_cases() -> TestApp {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let now = crate::helpers::NOW;
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, now, 120)).await.unwrap();
    app
}

/// SPEC §8: "the columns town offices use (date found, place, grid, enterprise,
/// description, grade, responsible, measures, deadline, re-check, closed date,
/// status)", written out here in the office's words, in that order, with the
/// case number first and the category beside the description.
const SPEC_COLUMNS: [&str; 14] = [
    "隐患编号",   // case number
    "发现日期",   // date found
    "隐患位置",   // place
    "所属网格",   // grid
    "企业名称",   // enterprise
    "隐患类别",   // category
    "隐患描述",   // description
    "隐患等级",   // grade
    "整改责任人", // responsible
    "整改措施",   // measures
    "整改期限",   // deadline
    "复查情况",   // re-check
    "销号日期",   // closed date
    "状态",       // status
];

fn csv_records(bytes: &[u8]) -> Vec<csv::StringRecord> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), SPEC_COLUMNS);
    reader.records().map(Result::unwrap).collect()
}

#[tokio::test]
async fn the_csv_ledger_is_scoped_and_filtered_like_the_case_list() {
    let app = demo_with_cases().await;
    let admin = app.login("admin").await;
    let all = app.get_as(&admin, "/api/v1/ledger.csv").await;
    assert_eq!(all.status, 200);
    assert!(all.headers["content-disposition"].to_str().unwrap().contains("ledger.csv"));
    let rows = csv_records(all.text.as_bytes());
    assert_eq!(rows.len(), 120);
    let closed = csv_records(app.get_as(&admin, "/api/v1/ledger.csv?status=closed").await.text.as_bytes());
    assert!(!closed.is_empty());
    assert!(closed.iter().all(|r| &r[13] == "已销号" && !r[12].is_empty() && r[11].contains("验收通过")));
    let inspector = app.login("tf0101.safety").await;
    let mine = csv_records(app.get_as(&inspector, "/api/v1/ledger.csv").await.text.as_bytes());
    assert!(!mine.is_empty() && mine.len() < rows.len(), "{} of {}", mine.len(), rows.len());
    assert!(mine.iter().all(|r| &r[3] == "八里"), "an inspector's ledger holds only their grid");
    app.get_as(&admin, "/api/v1/ledger.csv?status=open").await.expect_error(400, "invalid");
    app.get("/api/v1/ledger.csv").await.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn the_xlsx_ledger_opens_with_a_reader_and_has_a_kpi_sheet() {
    let app = demo_with_cases().await;
    let admin = app.login("admin").await;
    let bytes = app.get_bytes_as(&admin, "/api/v1/ledger.xlsx?from=2026-01-01").await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let ledger = book.worksheet_range("隐患台账").unwrap();
    assert_eq!(ledger.height(), 121);
    let header: Vec<String> = ledger.rows().next().unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(header, SPEC_COLUMNS);
    assert!(ledger.rows().skip(1).all(|r| r[0].to_string().starts_with("TF-")));
    let kpis = book.worksheet_range("分网格统计").unwrap();
    assert!(kpis.height() > 2);
    assert!(kpis.rows().next().unwrap()[0].to_string().starts_with("统计期间：2026-01-01"));
}

#[test]
fn the_cli_exports_csv_and_xlsx_and_refuses_other_formats() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, db) = runtime.block_on(async {
        let app = demo_with_cases().await;
        let db = app.db_path();
        (app, db)
    });
    let out = app.dir.path().join("台账.xlsx");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridsafe"))
            .args(["export", "ledger", "--from", "2026-01-01", "--out"])
            .env("GRIDSAFE_NOW", crate::helpers::NOW.to_string())
            .arg(file)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap()
    };
    assert!(run(&out).status.success());
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(std::fs::read(&out).unwrap())).unwrap();
    assert!(book.worksheet_range("隐患台账").unwrap().height() > 1);
    let csv_out = app.dir.path().join("ledger.csv");
    assert!(run(&csv_out).status.success());
    assert!(!csv_records(&std::fs::read(&csv_out).unwrap()).is_empty());
    assert!(!run(&app.dir.path().join("ledger.pdf")).status.success());
}
