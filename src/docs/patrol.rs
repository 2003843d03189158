//! The river-chief documents (SPEC §6, §8): the patrol log (巡河日志) with
//! the track drawn over the river's reaches, and the monthly report per river
//! (河长巡河月报) with compliance, patrols, reach coverage and river cases.
//! View-models in, PDF bytes out, in the notice's look (letterhead, signature
//! lines, seal, QR, footer with the audit-chain anchor). Nothing here reads a
//! database or decides validity: the caller passes the verdict in.

use super::map;
use super::notice::{Heading, closing, closing_fits, footer, letterhead};
use super::pdf::{Align, Area, BLACK, BODY_BOTTOM, BODY_W, Cell, Column, Doc, GREY, MARGIN_X, Pdf, RED};
use crate::domain::kpi::percent;
use crate::domain::patrol::RECORD_TYPES;
use crate::error::Result;
use crate::spatial::Maps;

/// Everything a patrol log prints.
#[derive(Debug, Clone, Default)]
pub struct PatrolLogView {
    /// The river chief (河长).
    pub chief: String,
    /// The chief's level, e.g. 镇级河长 or 村级河长.
    pub level: String,
    /// River code, e.g. `mihe`; selects the reaches drawn on the map.
    pub river_code: String,
    /// River name, e.g. 弥河.
    pub river_name: String,
    /// Start, `YYYY-MM-DD HH:MM` China time.
    pub started_at: String,
    /// End, `YYYY-MM-DD HH:MM` China time.
    pub ended_at: String,
    /// Geodesic length of the track in metres.
    pub distance_m: f64,
    /// Duration in minutes.
    pub minutes: f64,
    /// The track as (longitude, latitude) points in recording order.
    pub track: Vec<(f64, f64)>,
    /// The reaches the track came near: reach code, village name, share of the reach covered (0–1).
    pub reaches: Vec<(String, String, f64)>,
    /// The checklist: record type (水体, 河面, ...) and 正常 or the finding's text.
    pub checklist: Vec<(String, String)>,
    /// Findings filed as river cases: case number and description.
    pub findings: Vec<(String, String)>,
    /// The chief's notes.
    pub notes: String,
    /// Whether the patrol counts (the anti-fake verdict).
    pub valid: bool,
    /// Why it does not count; empty when valid.
    pub reasons: Vec<String>,
    /// The review, once made: reviewer, 通过 or 退回, and the comment.
    pub review: Option<(String, String, String)>,
}

/// Renders a patrol log.
pub fn render_patrol_log(view: &PatrolLogView, heading: &Heading, maps: &Maps) -> Result<Pdf> {
    // When the signatures and QR code would fall onto a page of their own, section 五 starts that page.
    closed(
        |new_page| patrol_log(view, heading, maps, new_page),
        heading,
        &["河长及同行人员（签名）：", "审核人（签名）："],
    )
}

/// Lays a document out with `build`, and again with its last section on a new
/// page when the closing (signatures and QR code) would stand alone on the
/// last page; then closes and finishes it.
fn closed(build: impl Fn(bool) -> Doc, heading: &Heading, signatures: &[&str]) -> Result<Pdf> {
    let mut doc = build(false);
    if !closing_fits(&doc) {
        doc = build(true);
    }
    closing(&mut doc, heading, signatures)?;
    doc.finish(&footer(heading))
}

/// The patrol log up to its signatures, section 五 on a new page if `verdict_on_new_page`.
fn patrol_log(view: &PatrolLogView, heading: &Heading, maps: &Maps, verdict_on_new_page: bool) -> Doc {
    let mut doc = Doc::new(&format!("巡河日志 {}", heading.number), &heading.issuer, heading.issued_at);
    letterhead(&mut doc, heading, "巡河日志");
    doc.fields(
        &[
            &[("河长", view.chief.clone()), ("级别", view.level.clone())],
            &[
                ("河流", format!("{}（{}）", view.river_name, view.river_code)),
                ("巡河轨迹点", view.track.len().to_string()),
            ],
            &[("开始时间", view.started_at.clone()), ("结束时间", view.ended_at.clone())],
            &[("巡河里程", km(view.distance_m)), ("巡河时长", duration(view.minutes))],
        ],
        24.0,
        9.5,
    );

    section(&mut doc, "一、巡河轨迹", 80.0);
    // The map takes what is left of the first page, between 70 and 100 mm.
    let map_h = (BODY_BOTTOM - doc.y - 12.0).clamp(70.0, 100.0);
    doc.ensure(map_h + 7.0);
    let top = doc.y;
    let highlighted: Vec<String> = view.reaches.iter().map(|(code, _, _)| code.clone()).collect();
    let area = Area { x: MARGIN_X, y: top, w: BODY_W, h: map_h };
    map::draw_track(&mut doc, maps, &view.river_code, &view.track, &highlighted, area);
    doc.text(
        MARGIN_X,
        top + map_h + 1.0,
        7.5,
        &format!(
            "巡河轨迹示意图：橙线为巡河轨迹（绿点为起点，红点为终点），深蓝粗线为本次巡查的{}河段，浅黄为河段所在村。",
            view.river_name
        ),
        GREY,
        Align::Left,
    );
    doc.y = top + map_h + 7.0;

    section(&mut doc, "二、河段覆盖情况", 20.0);
    if view.reaches.is_empty() {
        note(&mut doc, "本次巡河轨迹未到达本河流任何河段 100 米范围内。");
    } else {
        let rows: Vec<Vec<Cell>> = view
            .reaches
            .iter()
            .enumerate()
            .map(|(i, (code, village, share))| {
                vec![text((i + 1).to_string()), text(code), text(village), text(percent(*share))]
            })
            .collect();
        doc.table(&columns(&[("序号", 12.0), ("河段编号", 58.0), ("所在村", 50.0), ("覆盖比例", 50.0)]), &rows, 9.0);
    }

    section(&mut doc, "三、巡查记录", 30.0);
    doc.table(&columns(&[("序号", 12.0), ("巡查项目", 34.0), ("巡查情况", 124.0)]), &checklist_rows(view), 9.0);

    section(&mut doc, "四、发现问题", 20.0);
    if view.findings.is_empty() {
        note(&mut doc, "本次巡河未发现问题。");
    } else {
        let rows: Vec<Vec<Cell>> = view
            .findings
            .iter()
            .enumerate()
            .map(|(i, (number, description))| vec![text((i + 1).to_string()), text(number), text(description)])
            .collect();
        doc.table(&columns(&[("序号", 12.0), ("案件编号", 40.0), ("问题描述", 118.0)]), &rows, 9.0);
    }

    if verdict_on_new_page {
        doc.new_page();
    }
    section(&mut doc, "五、巡河认定与审核", 30.0);
    let verdict = if view.valid {
        "有效：巡河时长、里程与轨迹均符合要求，计入巡河次数。".to_owned()
    } else {
        let reasons: Vec<String> = view.reasons.iter().enumerate().map(|(i, r)| format!("{}. {r}", i + 1)).collect();
        format!("无效：不计入巡河次数。原因：\n{}", reasons.join("\n"))
    };
    let notes = if view.notes.trim().is_empty() { "—".to_owned() } else { view.notes.clone() };
    let review: Vec<(&str, String)> = match &view.review {
        Some((reviewer, outcome, comment)) => vec![
            ("审核人", reviewer.clone()),
            ("审核结果", outcome.clone()),
            ("审核意见", if comment.trim().is_empty() { "—".to_owned() } else { comment.clone() }),
        ],
        None => vec![("审核", "待审核".to_owned())],
    };
    doc.fields(&[&[("巡河备注", notes)]], 24.0, 9.5);
    doc.ensure(Doc::line_height(9.5) * 2.0 + 2.2);
    let top = doc.y;
    doc.fields(&[&[("巡河认定", verdict)]], 24.0, 9.5);
    if !view.valid {
        // A red mark on the first line, so an invalid log is seen at a glance in a stack of paper.
        let (x, w) = (MARGIN_X + BODY_W - 22.0, 19.0);
        doc.rect(x, top + 0.8, w, 5.0, None, Some((RED, 0.8)));
        doc.text(x + w / 2.0, top + 1.1, 10.0, "无效巡河", RED, Align::Center);
    }
    match review.as_slice() {
        [a, b, c] => doc.fields(&[&[a.clone(), b.clone()], std::slice::from_ref(c)], 24.0, 9.5),
        other => doc.fields(&[other], 24.0, 9.5),
    }
    doc.y += 4.0;
    doc
}

/// The checklist in the order of [`RECORD_TYPES`]; a type the chief left out
/// is printed as 未填写, and any type not on the list follows at the end.
fn checklist_rows(view: &PatrolLogView) -> Vec<Vec<Cell>> {
    let lookup = |kind: &str| view.checklist.iter().find(|(k, _)| k == kind).map(|(_, v)| v.clone());
    let known = RECORD_TYPES.iter().map(|kind| ((*kind).to_owned(), lookup(kind).unwrap_or_else(|| "未填写".into())));
    let extra = view.checklist.iter().filter(|(k, _)| !RECORD_TYPES.contains(&k.as_str())).cloned();
    known
        .chain(extra)
        .enumerate()
        .map(|(i, (kind, status))| vec![text((i + 1).to_string()), text(kind), text(status)])
        .collect()
}

/// One patrol in the monthly report.
#[derive(Debug, Clone, Default)]
pub struct PatrolRow {
    /// Date (and time), e.g. 2026-11-03 08:30.
    pub date: String,
    /// The river chief.
    pub chief: String,
    /// Duration in minutes.
    pub minutes: f64,
    /// Track length in metres.
    pub distance_m: f64,
    /// Whether it counts.
    pub valid: bool,
    /// Why it does not count, joined; empty when valid.
    pub reasons: String,
}

/// One chief's compliance with the frequency target for the month.
#[derive(Debug, Clone, Default)]
pub struct ComplianceRow {
    /// The river chief.
    pub chief: String,
    /// The chief's level, e.g. 镇级河长.
    pub level: String,
    /// Valid patrols required this month (应巡次数).
    pub required: u32,
    /// Valid patrols made (有效巡河次数).
    pub valid_done: u32,
    /// The completion rate as computed by [`crate::domain::kpi::patrol_rate`]
    /// (at most 1.0); printed as a percentage.
    pub rate: f64,
}

/// One river case in the monthly report.
#[derive(Debug, Clone, Default)]
pub struct CaseLine {
    /// Case number.
    pub number: String,
    /// Title.
    pub title: String,
    /// The village it lies in.
    pub village: String,
    /// Status as shown to users, e.g. 整改中 or 已销号.
    pub status: String,
    /// Deadline, YYYY-MM-DD (or — when none).
    pub deadline: String,
}

/// Everything a monthly report prints.
#[derive(Debug, Clone, Default)]
pub struct MonthlyReportView {
    /// River code, e.g. `mihe`.
    pub river_code: String,
    /// River name, e.g. 弥河.
    pub river_name: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The month's patrols on this river, in date order.
    pub patrols: Vec<PatrolRow>,
    /// Each chief's compliance.
    pub compliance: Vec<ComplianceRow>,
    /// Reach coverage by valid patrols: reach code, village name, share (0–1).
    pub reach_coverage: Vec<(String, String, f64)>,
    /// River cases still open.
    pub open_cases: Vec<CaseLine>,
    /// River cases closed this month.
    pub closed_cases: Vec<CaseLine>,
}

/// Renders the monthly report of one river.
pub fn render_monthly_report(view: &MonthlyReportView, heading: &Heading, maps: &Maps) -> Result<Pdf> {
    // As for the patrol log: section 四 starts the last page rather than leave the closing alone.
    closed(
        |new_page| monthly_report(view, heading, maps, new_page),
        heading,
        &["填报人（签名）：", "河长办负责人（签名）："],
    )
}

/// The monthly report up to its signatures, section 四 on a new page if `cases_on_new_page`.
fn monthly_report(view: &MonthlyReportView, heading: &Heading, maps: &Maps, cases_on_new_page: bool) -> Doc {
    let month = chinese_month(&view.month);
    let title = format!("{} {month} 河长巡河月报", view.river_name);
    // The report's number already names the river and month: the title alone says it once.
    let mut doc = Doc::new(&title, &heading.issuer, heading.issued_at);
    letterhead(&mut doc, heading, &title);
    let valid = view.patrols.iter().filter(|p| p.valid).count();
    let valid_km: f64 = view.patrols.iter().filter(|p| p.valid).map(|p| p.distance_m).sum::<f64>() / 1000.0;
    let met = view.compliance.iter().filter(|c| c.valid_done >= c.required).count();
    let covered = view.reach_coverage.iter().filter(|(_, _, s)| *s > 0.0).count();
    doc.fields(
        &[
            &[("河流", format!("{}（{}）", view.river_name, view.river_code)), ("报告月份", month.clone())],
            &[("编制单位", heading.issuer.clone()), ("编制日期", heading.issued_on.clone())],
        ],
        24.0,
        9.5,
    );
    doc.y += 3.0;
    let summary = format!(
        "    {month}，{}共记录巡河 {} 次，其中有效 {valid} 次、无效 {} 次，有效巡河里程合计 {valid_km:.1} 公里；{} 名河长中 {met} 名完成巡河频次要求；{} 个河段中 {covered} 个有有效巡河覆盖；在办河湖问题 {} 件，本月办结 {} 件。",
        view.river_name,
        view.patrols.len(),
        view.patrols.len() - valid,
        view.compliance.len(),
        view.reach_coverage.len(),
        view.open_cases.len(),
        view.closed_cases.len(),
    );
    doc.paragraph(MARGIN_X, BODY_W, 10.0, &summary);

    compliance_and_patrols(&mut doc, view);
    section(&mut doc, "三、河段巡查覆盖", 25.0);
    let rows: Vec<Vec<Cell>> = view
        .reach_coverage
        .iter()
        .enumerate()
        .map(|(i, (code, village, share))| {
            vec![text((i + 1).to_string()), text(code), text(village), text(percent(*share))]
        })
        .collect();
    let cols = [("序号", 12.0), ("河段编号", 58.0), ("所在村", 50.0), ("有效巡河覆盖比例", 50.0)];
    table_or_none(&mut doc, &columns(&cols), &rows, "本河流尚未划分河段。");
    coverage_map(&mut doc, view, maps);

    if cases_on_new_page {
        doc.new_page();
    }
    cases(&mut doc, view);
    doc.y += 4.0;
    doc
}

/// Sections 一 and 二: each chief against the target, then every patrol.
fn compliance_and_patrols(doc: &mut Doc, view: &MonthlyReportView) {
    section(doc, "一、河长履职情况", 25.0);
    let rows: Vec<Vec<Cell>> = view
        .compliance
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let met = if c.valid_done >= c.required { "达标" } else { "未达标" };
            vec![
                text((i + 1).to_string()),
                text(&c.chief),
                text(&c.level),
                text(c.required.to_string()),
                text(c.valid_done.to_string()),
                text(percent(c.rate)),
                text(met),
            ]
        })
        .collect();
    let cols = [
        ("序号", 12.0),
        ("河长", 30.0),
        ("级别", 30.0),
        ("应巡次数", 22.0),
        ("有效巡河次数", 26.0),
        ("完成率", 24.0),
        ("是否达标", 26.0),
    ];
    table_or_none(doc, &columns(&cols), &rows, "本月无河长履职记录。");

    section(doc, "二、巡河记录", 25.0);
    let rows: Vec<Vec<Cell>> = view
        .patrols
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                text((i + 1).to_string()),
                text(&p.date),
                text(&p.chief),
                text(format!("{:.0}", p.minutes)),
                text(format!("{:.2}", p.distance_m / 1000.0)),
                text(if p.valid { "有效" } else { "无效" }),
                text(if p.valid { "—" } else { p.reasons.as_str() }),
            ]
        })
        .collect();
    let cols = [
        ("序号", 10.0),
        ("日期", 27.0),
        ("河长", 20.0),
        ("时长（分钟）", 21.0),
        ("里程（公里）", 21.0),
        ("认定", 12.0),
        ("无效原因", 59.0),
    ];
    table_or_none(doc, &columns(&cols), &rows, "本月无巡河记录。");
}

/// Section 四: river cases still open, then those closed this month.
fn cases(doc: &mut Doc, view: &MonthlyReportView) {
    section(doc, "四、河湖问题", 25.0);
    let cols =
        [("序号", 11.0), ("案件编号", 36.0), ("问题", 55.0), ("所在村", 22.0), ("状态", 22.0), ("整改期限", 24.0)];
    let case_rows = |cases: &[CaseLine]| -> Vec<Vec<Cell>> {
        cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    text((i + 1).to_string()),
                    text(&c.number),
                    text(&c.title),
                    text(&c.village),
                    text(&c.status),
                    text(&c.deadline),
                ]
            })
            .collect()
    };
    subheading(doc, &format!("（一）在办问题（{} 件）", view.open_cases.len()));
    table_or_none(doc, &columns(&cols), &case_rows(&view.open_cases), "无在办问题。");
    subheading(doc, &format!("（二）本月办结问题（{} 件）", view.closed_cases.len()));
    table_or_none(doc, &columns(&cols), &case_rows(&view.closed_cases), "本月无办结问题。");
}

/// The whole river with the reaches valid patrols covered drawn heavier.
fn coverage_map(doc: &mut Doc, view: &MonthlyReportView, maps: &Maps) {
    // Tall: a river in the town runs for kilometres, mostly in one direction.
    let map_h = 110.0;
    doc.y += 3.0;
    doc.ensure(map_h + 7.0);
    let top = doc.y;
    let covered: Vec<String> =
        view.reach_coverage.iter().filter(|(_, _, share)| *share > 0.0).map(|(code, _, _)| code.clone()).collect();
    map::draw_track(doc, maps, &view.river_code, &[], &covered, Area { x: MARGIN_X, y: top, w: BODY_W, h: map_h });
    doc.text(
        MARGIN_X,
        top + map_h + 1.0,
        7.5,
        &format!("河段覆盖示意图：深蓝粗线为本月有效巡河覆盖的{}河段，细线为未覆盖河段。", view.river_name),
        GREY,
        Align::Left,
    );
    doc.y = top + map_h + 7.0;
}

/// `YYYY-MM` as 2026年11月; anything else unchanged.
fn chinese_month(month: &str) -> String {
    match month.split_once('-').map(|(y, m)| (y, m.parse::<u32>())) {
        Some((y, Ok(m))) if y.len() == 4 && (1..=12).contains(&m) => format!("{y}年{m}月"),
        _ => month.to_owned(),
    }
}

/// A numbered section title, with room for `then` mm of what follows kept on its page.
fn section(doc: &mut Doc, title: &str, then: f32) {
    doc.y += 3.0;
    let lh = Doc::line_height(11.0);
    doc.ensure(lh + then);
    let y = doc.y;
    doc.text(MARGIN_X, y, 11.0, title, BLACK, Align::Left);
    doc.y += lh + 0.5;
}

fn subheading(doc: &mut Doc, title: &str) {
    doc.y += 1.5;
    let lh = Doc::line_height(10.0);
    doc.ensure(lh + 15.0);
    let y = doc.y;
    doc.text(MARGIN_X, y, 10.0, title, BLACK, Align::Left);
    doc.y += lh;
}

fn note(doc: &mut Doc, text: &str) {
    doc.paragraph(MARGIN_X + 4.0, BODY_W - 4.0, 9.5, text);
}

fn table_or_none(doc: &mut Doc, columns: &[Column], rows: &[Vec<Cell>], none: &str) {
    if rows.is_empty() {
        note(doc, none);
    } else {
        doc.table(columns, rows, 8.5);
    }
}

fn columns(spec: &[(&str, f32)]) -> Vec<Column> {
    spec.iter().map(|(title, width)| Column { title: (*title).to_owned(), width: *width }).collect()
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn km(metres: f64) -> String {
    format!("{:.2} 公里", metres / 1000.0)
}

/// Minutes as 55 分钟 or 1 小时 35 分钟.
fn duration(minutes: f64) -> String {
    let total = minutes.max(0.0).round() as u64;
    match (total / 60, total % 60) {
        (0, m) => format!("{m} 分钟"),
        (h, 0) => format!("{h} 小时"),
        (h, m) => format!("{h} 小时 {m} 分钟"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_durations_and_shares_print_as_a_clerk_writes_them() {
        assert_eq!(chinese_month("2026-11"), "2026年11月");
        assert_eq!(chinese_month("2026-01"), "2026年1月");
        assert_eq!(chinese_month("11月"), "11月");
        assert_eq!(duration(55.2), "55 分钟");
        assert_eq!(duration(60.0), "1 小时");
        assert_eq!(duration(95.0), "1 小时 35 分钟");
        assert_eq!(percent(0.6667), "67%");
        assert_eq!(km(3249.0), "3.25 公里");
    }

    #[test]
    fn the_checklist_follows_the_record_types_and_marks_what_was_left_out() {
        let view = PatrolLogView {
            checklist: vec![
                ("河岸".into(), "垃圾堆放".into()),
                ("水体".into(), "正常".into()),
                ("其他".into(), "x".into()),
            ],
            ..PatrolLogView::default()
        };
        let rows = checklist_rows(&view);
        let cell = |r: usize, c: usize| match &rows[r][c] {
            Cell::Text(t) => t.clone(),
            Cell::Images(..) => String::new(),
        };
        assert_eq!(rows.len(), 9);
        assert_eq!((cell(0, 1), cell(0, 2)), ("水体".into(), "正常".into()));
        assert_eq!((cell(1, 1), cell(1, 2)), ("河面".into(), "未填写".into()));
        assert_eq!((cell(3, 1), cell(3, 2)), ("河岸".into(), "垃圾堆放".into()));
        assert_eq!(cell(8, 1), "其他");
    }
}
