//! River-chief documents: the patrol log with its track drawn over the reaches
//! and the monthly report per river, rendered from hand-built views over the
//! demo town and read back from the PDF bytes (pages and text).
//!
//! Set `GRIDSAFE_PDF_OUT` to a directory to keep the rendered files for a look.

use geo::{Geodesic, Length};
use gridsafe::docs::notice::Heading;
use gridsafe::docs::patrol::{
    CaseLine, ComplianceRow, MonthlyReportView, PatrolLogView, PatrolRow, render_monthly_report, render_patrol_log,
};
use gridsafe::domain::patrol::RECORD_TYPES;
use gridsafe::spatial::Maps;
use gridsafe::spatial::track_input::{Track, from_geojson};
use serde_json::json;

/// Page texts with whitespace removed (extraction splits runs at arbitrary places).
struct Pages(Vec<String>);

impl Pages {
    fn parse(bytes: &[u8]) -> Self {
        let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
        let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
        Self(
            numbers
                .iter()
                .map(|n| {
                    doc.extract_text(&[*n]).expect("text extracts").chars().filter(|c| !c.is_whitespace()).collect()
                })
                .collect(),
        )
    }

    fn all(&self) -> String {
        self.0.concat()
    }
}

fn demo_maps() -> Maps {
    let dir = tempfile::tempdir().unwrap();
    let conn = gridsafe::store::open_migrated(&dir.path().join("t.db")).unwrap();
    gridsafe::service::geography::load_demo(&conn).unwrap();
    gridsafe::service::geography::load_maps(&conn).unwrap()
}

fn heading(number: &str) -> Heading {
    Heading {
        issuer: "青州市谭坊镇河长制办公室".into(),
        number: number.into(),
        issued_on: "2026-11-20".into(),
        chain_anchor: "#42 3f5a0c19e2d4b871".into(),
        qr_payload: format!("https://gridsafe.example/d/{number}"),
        // 2026-11-20T10:00:00+08:00.
        issued_at: 1_795_140_000,
    }
}

/// Keeps a rendered file when `GRIDSAFE_PDF_OUT` names a directory.
fn keep(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("GRIDSAFE_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

/// A walk along the longest reach of 弥河, 25 m off its bank, a fix every
/// 40 s, sent as the phone would: a GeoJSON Feature with RFC 3339 times.
fn walk_along_mihe(maps: &Maps) -> Track {
    let reach = maps.reaches_of("mihe").max_by(|a, b| a.length_m.total_cmp(&b.length_m)).unwrap();
    let part = &reach.line.0[0];
    let mut points = Vec::new();
    for segment in part.lines() {
        let steps = ((segment.end.x - segment.start.x).hypot(segment.end.y - segment.start.y) / 0.0003).ceil().max(1.0);
        for i in 0..steps as usize {
            let f = i as f64 / steps;
            let lon = segment.start.x + (segment.end.x - segment.start.x) * f;
            let lat = segment.start.y + (segment.end.y - segment.start.y) * f + 0.000_225;
            points.push(json!([lon, lat]));
        }
    }
    // 2026-11-20T08:30:00+08:00, then every 40 s.
    let start = 1_795_134_600_i64;
    let times: Vec<String> = (0..points.len())
        .map(|i| {
            let t = start + 8 * 3600 + i as i64 * 40;
            let s = t.rem_euclid(86_400);
            format!("2026-11-20T{:02}:{:02}:{:02}+08:00", s / 3600, s % 3600 / 60, s % 60)
        })
        .collect();
    let feature = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": points},
                         "properties": {"times": times}});
    from_geojson(&feature).unwrap()
}

fn log_view(maps: &Maps, track: &Track) -> PatrolLogView {
    let reaches: Vec<_> = maps.reaches_of("mihe").cloned().collect();
    let covered = gridsafe::spatial::track::coverage(&track.line, &reaches, 100.0);
    let times = track.times.as_ref().unwrap();
    let village = |grid: &str| maps.grid(grid).map(|g| g.grid.name.clone()).unwrap_or_default();
    let mut checklist: Vec<(String, String)> =
        RECORD_TYPES.iter().map(|t| ((*t).to_owned(), "正常".to_owned())).collect();
    checklist[3].1 = "左岸距桥约 200 米处有建筑垃圾堆放，约 3 立方米".into();
    checklist[5].1 = "发现一处疑似排污口，有少量灰色污水流出".into();
    PatrolLogView {
        chief: "张立华".into(),
        level: "镇级河长".into(),
        river_code: "mihe".into(),
        river_name: "弥河".into(),
        started_at: "2026-11-20 08:30".into(),
        ended_at: "2026-11-20 09:25".into(),
        distance_m: Geodesic.length(&track.line),
        minutes: (times[times.len() - 1] - times[0]) as f64 / 60.0,
        track: track.line.coords().map(|c| (c.x, c.y)).collect(),
        reaches: covered.iter().map(|(r, share)| (r.code.clone(), village(r.grid.as_str()), *share)).collect(),
        checklist,
        findings: vec![
            ("TF-2026-000311".into(), "河岸建筑垃圾堆放，约 3 立方米，需清运".into()),
            ("TF-2026-000312".into(), "疑似排污口排放灰色污水，需查明来源".into()),
        ],
        notes: "天气晴，水位正常。沿右岸步行巡查，与村级河长王秀兰同行。".into(),
        valid: true,
        reasons: Vec::new(),
        review: Some(("河长办 李国栋".into(), "通过".into(), "巡查认真，问题已转办".into())),
    }
}

#[test]
fn a_valid_patrol_log_reads_back_with_its_chief_river_checklist_and_findings() {
    let maps = demo_maps();
    let track = walk_along_mihe(&maps);
    let view = log_view(&maps, &track);
    assert!(!view.reaches.is_empty(), "the walk covers a reach");
    let rendered = render_patrol_log(&view, &heading("谭坊巡河〔2026〕0031号"), &maps).unwrap();
    keep("patrol_log.pdf", &rendered.bytes);
    let pages = Pages::parse(&rendered.bytes);
    assert_eq!(pages.0.len(), rendered.pages);
    assert!((1..=2).contains(&pages.0.len()), "{} pages", pages.0.len());
    let text = pages.all();
    for expected in [
        "巡河日志",
        "张立华",
        "镇级河长",
        "弥河（mihe）",
        "2026-11-2008:30",
        "河段覆盖情况",
        "有效",
        "通过",
        "河长及同行人员（签名）",
        "审核人（签名）",
    ] {
        assert!(text.contains(&expected.replace(' ', "")), "{expected} missing: {text}");
    }
    for kind in RECORD_TYPES {
        assert!(text.contains(kind), "{kind} missing");
    }
    assert!(text.contains("TF-2026-000311") && text.contains("TF-2026-000312"));
    assert!(text.contains(&view.reaches[0].0), "the reach code is listed");
    assert!(!text.contains("无效"), "a valid log says nothing of invalidity");
    assert!(text.contains(&format!("第1页共{}页", pages.0.len())));
}

#[test]
fn an_invalid_patrol_log_says_so_with_each_reason_and_awaits_review() {
    let maps = demo_maps();
    let track = walk_along_mihe(&maps);
    let view = PatrolLogView {
        valid: false,
        reasons: vec![
            "巡河时长 12 分钟，少于 30 分钟".into(),
            "轨迹中出现 95 公里/小时的移动速度，超过 30（疑似跳点）".into(),
        ],
        review: None,
        findings: Vec::new(),
        ..log_view(&maps, &track)
    };
    let rendered = render_patrol_log(&view, &heading("谭坊巡河〔2026〕0032号"), &maps).unwrap();
    keep("patrol_log_invalid.pdf", &rendered.bytes);
    let text = Pages::parse(&rendered.bytes).all();
    for expected in
        ["无效", "不计入巡河次数", "巡河时长12分钟，少于30分钟", "95公里/小时", "待审核", "本次巡河未发现问题"]
    {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
}

#[test]
fn a_patrol_log_without_a_track_or_a_known_river_still_renders() {
    let maps = demo_maps();
    let view = PatrolLogView {
        chief: "王秀兰".into(),
        level: "村级河长".into(),
        river_code: "nosuch".into(),
        river_name: "无名沟".into(),
        valid: false,
        reasons: vec!["没有轨迹".into()],
        ..PatrolLogView::default()
    };
    let rendered = render_patrol_log(&view, &heading("谭坊巡河〔2026〕0033号"), &maps).unwrap();
    keep("patrol_log_empty.pdf", &rendered.bytes);
    let text = Pages::parse(&rendered.bytes).all();
    assert!(text.contains("王秀兰") && text.contains("未填写") && text.contains("没有轨迹"), "{text}");
    assert!(text.contains("无法绘制示意图"), "the empty map says why: {text}");
}

fn report_view(patrols: usize) -> MonthlyReportView {
    let chiefs = [("张立华", "镇级河长"), ("王秀兰", "村级河长"), ("刘德明", "村级河长")];
    let patrols: Vec<PatrolRow> = (0..patrols)
        .map(|i| {
            let valid = i % 7 != 3;
            PatrolRow {
                date: format!("2026-11-{:02} {:02}:{:02}", i % 30 + 1, 7 + i % 10, i % 60),
                chief: chiefs[i % 3].0.into(),
                minutes: 35.0 + (i % 40) as f64,
                distance_m: 2100.0 + (i * 37 % 1900) as f64,
                valid,
                reasons: if valid { String::new() } else { "巡河时长 12 分钟，少于 30 分钟".into() },
            }
        })
        .collect();
    let case = |n: u32, title: &str, village: &str, status: &str| CaseLine {
        number: format!("TF-2026-{n:06}"),
        title: title.into(),
        village: village.into(),
        status: status.into(),
        deadline: "2026-12-15".into(),
    };
    MonthlyReportView {
        river_code: "mihe".into(),
        river_name: "弥河".into(),
        month: "2026-11".into(),
        patrols,
        compliance: vec![
            ComplianceRow {
                chief: "张立华".into(),
                level: "镇级河长".into(),
                required: 3,
                valid_done: 4,
                rate: gridsafe::domain::kpi::patrol_rate(4, 3),
            },
            ComplianceRow {
                chief: "王秀兰".into(), level: "村级河长".into(), required: 4, valid_done: 4, rate: 1.0
            },
            ComplianceRow {
                chief: "刘德明".into(),
                level: "村级河长".into(),
                required: 3,
                valid_done: 2,
                rate: gridsafe::domain::kpi::patrol_rate(2, 3),
            },
        ],
        reach_coverage: Vec::new(),
        open_cases: vec![
            case(311, "河岸建筑垃圾堆放", "八里", "整改中"),
            case(312, "疑似排污口排放灰色污水", "八里", "待复查"),
        ],
        closed_cases: vec![case(287, "河面漂浮垃圾", "王油", "已销号")],
    }
}

fn with_coverage(mut view: MonthlyReportView, maps: &Maps) -> MonthlyReportView {
    view.reach_coverage = maps
        .reaches_of("mihe")
        .enumerate()
        .map(|(i, r)| {
            let village = maps.grid(r.grid.as_str()).map(|g| g.grid.name.clone()).unwrap_or_default();
            (r.code.clone(), village, if i % 3 == 2 { 0.0 } else { 1.0 - i as f64 * 0.05 })
        })
        .collect();
    view
}

#[test]
fn the_monthly_report_lists_each_chiefs_compliance_and_the_river_cases() {
    let maps = demo_maps();
    let view = with_coverage(report_view(9), &maps);
    let rendered = render_monthly_report(&view, &heading("谭坊河长月报〔2026〕11号"), &maps).unwrap();
    keep("monthly_report.pdf", &rendered.bytes);
    let pages = Pages::parse(&rendered.bytes);
    assert_eq!(pages.0.len(), rendered.pages);
    let text = pages.all();
    assert!(text.contains("弥河2026年11月河长巡河月报"), "{text}");
    // Four valid patrols against a target of three is complete: 100 %, as in the API and the CLI.
    for row in ["1张立华镇级河长34100%达标", "2王秀兰村级河长44100%达标", "3刘德明村级河长3267%未达标"]
    {
        assert!(text.contains(row), "{row} missing: {text}");
    }
    for expected in [
        "应巡次数",
        "有效巡河次数",
        "完成率",
        "TF-2026-000311",
        "TF-2026-000312",
        "TF-2026-000287",
        "已销号",
        "河段巡查覆盖",
    ] {
        assert!(text.contains(expected), "{expected} missing");
    }
    for (code, _, _) in &view.reach_coverage {
        assert!(text.contains(code.as_str()), "{code} missing");
    }
    assert!(text.contains("共记录巡河9次，其中有效8次、无效1次"), "{text}");
}

#[test]
fn a_120_patrol_monthly_report_spans_pages_and_repeats_the_table_header_on_each() {
    let maps = demo_maps();
    let view = with_coverage(report_view(120), &maps);
    let rendered = render_monthly_report(&view, &heading("谭坊河长月报〔2026〕12号"), &maps).unwrap();
    keep("monthly_report_120.pdf", &rendered.bytes);
    let pages = Pages::parse(&rendered.bytes);
    assert_eq!(pages.0.len(), rendered.pages);
    assert!(pages.0.len() >= 4, "120 patrols on {} pages", pages.0.len());
    let dates: Vec<String> = view.patrols.iter().map(|p| p.date.replace(' ', "")).collect();
    let table_pages: Vec<usize> =
        (0..pages.0.len()).filter(|i| dates.iter().any(|d| pages.0[*i].contains(d))).collect();
    assert!(table_pages.len() >= 3, "{table_pages:?}");
    for i in &table_pages {
        let text = &pages.0[*i];
        assert!(
            text.contains("时长（分钟）") && text.contains("无效原因") && text.contains("认定"),
            "page {i}: {text}"
        );
        assert!(text.contains(&format!("第{}页共{}页", i + 1, pages.0.len())), "page {i}");
    }
    let all = pages.all();
    for date in &dates {
        assert!(all.contains(date), "{date} missing");
    }
}

#[test]
fn the_monthly_report_never_ends_on_a_page_holding_only_the_qr_code_or_only_the_signatures() {
    let maps = demo_maps();
    // As the patrol table grows a row at a time, the closing block slides down the page and
    // across the page break; at every length the last page holds the signatures and the QR code
    // with some of the report's content.
    let mut pages_seen = std::collections::BTreeSet::new();
    for n in 0..36 {
        let view = with_coverage(report_view(n), &maps);
        let rendered = render_monthly_report(&view, &heading("谭坊河长月报〔2026〕11号"), &maps).unwrap();
        let pages = Pages::parse(&rendered.bytes);
        pages_seen.insert(pages.0.len());
        let last = pages.0.last().unwrap();
        // The closing shares its page with the report's last table (the case closed this month).
        assert!(
            last.contains("TF-2026-000287") && last.contains("填报人（签名）") && last.contains("扫码核验文书"),
            "{n} patrols: the last of {} pages reads {last}",
            pages.0.len()
        );
    }
    assert!(pages_seen.len() > 1, "the lengths tried cross a page break: {pages_seen:?}");
}

#[test]
fn the_monthly_reports_title_says_what_it_is_once_and_its_date_is_the_issue_time() {
    let maps = demo_maps();
    let rendered = render_monthly_report(&report_view(3), &heading("弥河河长制月报〔2026-11〕"), &maps).unwrap();
    let doc = lopdf::Document::load_mem(&rendered.bytes).unwrap();
    let id = doc.trailer.get(b"Info").and_then(lopdf::Object::as_reference).unwrap();
    let dict = doc.get_dictionary(id).unwrap();
    let text = |key: &[u8]| -> String {
        match dict.get(key).and_then(lopdf::Object::as_str).unwrap() {
            [0xFE, 0xFF, rest @ ..] => {
                String::from_utf16(&rest.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>())
                    .unwrap()
            }
            other => String::from_utf8_lossy(other).into_owned(),
        }
    };
    assert_eq!(text(b"Title"), "弥河 2026年11月 河长巡河月报");
    // 2026-11-20T10:00:00+08:00 is 02:00 UTC.
    assert_eq!(text(b"CreationDate"), "D:20261120020000+00'00'");
}
