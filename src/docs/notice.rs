//! The rectification notice (隐患整改通知书, SPEC §8) and the re-inspection
//! opinion (整改复查意见书): view-models in, PDF bytes out. The caller fills
//! the view from the store; nothing here reads a database.

use super::map::{self, MapSpec};
use super::pdf::{Align, Area, BLACK, BODY_W, Cell, Column, Doc, GREY, MARGIN_X, PAGE_W, Pdf, RED, rgb};
use crate::error::Result;
use crate::spatial::Maps;

/// The letterhead and anchors every document carries.
#[derive(Debug, Clone)]
pub struct Heading {
    /// Issuing body (发文机关), e.g. 青州市谭坊镇人民政府.
    pub issuer: String,
    /// Document number (文书编号), e.g. 谭坊整改〔2026〕0001号.
    pub number: String,
    /// Issue date, YYYY-MM-DD.
    pub issued_on: String,
    /// The audit chain head when the document was issued, printed in the footer.
    pub chain_anchor: String,
    /// What the QR code holds: the case number(s) and the link.
    pub qr_payload: String,
    /// The moment of issue (Unix seconds), the PDF's creation date.
    pub issued_at: i64,
}

/// Who receives the notice.
#[derive(Debug, Clone, Default)]
pub struct Addressee {
    /// Enterprise (or responsible party) name.
    pub name: String,
    /// Unified social credit code, if an enterprise.
    pub uscc: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// The grid chain, e.g. 谭坊镇 / 东社区 / 前村（TF0101）.
    pub grid: String,
}

/// The 五落实 plan of a major hazard.
#[derive(Debug, Clone, Default)]
pub struct PlanView {
    /// 责任落实.
    pub responsible_person: String,
    /// 措施落实.
    pub measures: String,
    /// 资金落实.
    pub funds: String,
    /// 时限落实.
    pub deadline: String,
    /// 预案落实.
    pub contingency: String,
}

/// One finding on a notice.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    /// Case number.
    pub case_number: String,
    /// Where: village and coordinates.
    pub place: String,
    /// Title and description.
    pub description: String,
    /// Category name.
    pub category: String,
    /// 一般 / 重大.
    pub grade: String,
    /// The clause the finding rests on.
    pub basis: String,
    /// Required measures.
    pub measures: String,
    /// Deadline, YYYY-MM-DD.
    pub deadline: String,
    /// Photo thumbnails (JPEG).
    pub photos: Vec<Vec<u8>>,
    /// For a major hazard: the plan.
    pub plan: Option<PlanView>,
    /// For a major hazard: the department it was (or will be) handed to.
    pub transfer_to: Option<String>,
}

/// Everything a rectification notice prints.
#[derive(Debug, Clone, Default)]
pub struct NoticeView {
    /// The addressee.
    pub addressee: Addressee,
    /// Inspection date, YYYY-MM-DD.
    pub inspected_on: String,
    /// The inspectors' names.
    pub inspectors: Vec<String>,
    /// The findings, at least one.
    pub findings: Vec<Finding>,
    /// Re-inspection date, YYYY-MM-DD.
    pub recheck_on: String,
    /// Village grid code for the map.
    pub grid_code: String,
    /// Reach codes near the findings, drawn heavier on the map.
    pub reaches: Vec<String>,
    /// Finding points (lon, lat), numbered as in the table.
    pub points: Vec<(f64, f64)>,
    /// The number of the notice this one corrects and replaces, if any.
    pub corrects: Option<String>,
}

/// Renders a rectification notice.
pub fn render_notice(view: &NoticeView, heading: &Heading, maps: &Maps) -> Result<Pdf> {
    let mut doc = Doc::new(&format!("隐患整改通知书 {}", heading.number), &heading.issuer, heading.issued_at);
    letterhead(&mut doc, heading, "隐患整改通知书");
    if let Some(old) = &view.corrects {
        let y = doc.y - 6.0;
        doc.text(PAGE_W - MARGIN_X, y, 9.0, &format!("（本通知书更正并替代{old}）"), RED, Align::Right);
        doc.y += 1.0;
    }
    let a = &view.addressee;
    doc.fields(
        &[
            &[("被检查单位", a.name.clone())],
            &[("统一社会信用代码", a.uscc.clone().unwrap_or_else(|| "—".into())), ("所属网格", a.grid.clone())],
            &[("单位地址", a.address.clone().unwrap_or_else(|| "—".into())), ("检查日期", view.inspected_on.clone())],
            &[("检查人员", view.inspectors.join("、"))],
        ],
        31.0,
        9.5,
    );
    doc.y += 3.0;
    let intro = format!(
        "{}：\n    本机关于{}对你单位进行检查，发现存在下列事故隐患（问题）共 {} 项。依据《中华人民共和国安全生产法》第六十五条、第七十条及有关法律法规规定，现责令你单位按下表要求限期整改，整改完成后书面报告本机关，并接受复查。",
        a.name,
        chinese_date(&view.inspected_on),
        view.findings.len()
    );
    doc.paragraph(MARGIN_X, BODY_W, 10.0, &intro);
    doc.y += 2.0;
    findings_table(&mut doc, &view.findings);
    plans(&mut doc, &view.findings);
    doc.y += 2.0;
    doc.paragraph(
        MARGIN_X,
        BODY_W,
        10.0,
        &format!(
            "    整改期间，你单位应采取有效的安全防范措施，防止事故发生。本机关定于{}前后进行复查。逾期未整改或者整改不到位的，依法予以处理。",
            chinese_date(&view.recheck_on)
        ),
    );
    doc.y += 2.0;
    map_and_qr(&mut doc, view, heading, maps)?;
    signatures(&mut doc, heading, &["检查人员（签名）：", "被检查单位负责人（签收）："]);
    doc.finish(&footer(heading))
}

/// The findings table's columns and widths (mm, summing to the body width).
/// Each column is about as wide as its usual content needs: a basis clause
/// cited in full (《中华人民共和国安全生产法》第四十一条, twenty characters)
/// takes three lines, no more than the description beside it.
const FINDINGS_COLUMNS: [(&str, f32); 8] = [
    ("序号", 8.0),
    ("编号及位置", 26.0),
    ("隐患描述", 30.0),
    ("类别及等级", 17.0),
    ("判定依据", 26.0),
    ("整改措施", 25.0),
    ("整改期限", 18.0),
    ("照片", 20.0),
];

/// The findings table: one row per finding, photos in the last column.
fn findings_table(doc: &mut Doc, findings: &[Finding]) {
    let columns = FINDINGS_COLUMNS.map(|(title, width)| Column { title: title.into(), width });
    let rows: Vec<Vec<Cell>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let photos = f.photos.iter().take(2).filter_map(|p| doc.add_photo(p).ok()).collect();
            vec![
                Cell::Text((i + 1).to_string()),
                Cell::Text(format!("{}\n{}", f.case_number, f.place)),
                Cell::Text(f.description.clone()),
                Cell::Text(format!("{}\n{}隐患", f.category, f.grade)),
                Cell::Text(f.basis.clone()),
                Cell::Text(f.measures.clone()),
                Cell::Text(f.deadline.clone()),
                Cell::Images(photos, 16.0),
            ]
        })
        .collect();
    doc.table(&columns, &rows, 8.5);
}

/// The 五落实 block and transfer statement of each major finding.
fn plans(doc: &mut Doc, findings: &[Finding]) {
    for (i, f) in findings.iter().enumerate() {
        let Some(plan) = &f.plan else { continue };
        doc.y += 3.0;
        doc.ensure(40.0);
        let y = doc.y;
        doc.text(
            MARGIN_X,
            y,
            10.5,
            &format!("第 {} 项为重大事故隐患（{}），治理方案“五落实”如下：", i + 1, f.case_number),
            BLACK,
            Align::Left,
        );
        doc.y += Doc::line_height(10.5);
        doc.fields(
            &[
                &[("责任落实", plan.responsible_person.clone()), ("资金落实", plan.funds.clone())],
                &[("措施落实", plan.measures.clone()), ("时限落实", plan.deadline.clone())],
                &[("预案落实", plan.contingency.clone())],
            ],
            24.0,
            9.5,
        );
        let to = f.transfer_to.clone().unwrap_or_else(|| "县级负有安全生产监督管理职责的部门".into());
        doc.y += 1.0;
        doc.paragraph(
            MARGIN_X,
            BODY_W,
            9.5,
            &format!("移送说明：依据有关规定，该重大事故隐患移送{to}依法处理，本机关继续跟踪督办，直至整改销号。"),
        );
    }
}

/// The location map with its caption, and the QR code beside it.
fn map_and_qr(doc: &mut Doc, view: &NoticeView, heading: &Heading, maps: &Maps) -> Result<()> {
    // The map shrinks (down to 32 mm) so that map and signatures share the last page when they can.
    let room = super::pdf::BODY_BOTTOM - doc.y - SIGNATURES_H - 8.0;
    let map_h = room.clamp(32.0, 48.0);
    doc.ensure(map_h + 8.0);
    let top = doc.y;
    let spec = MapSpec { grid: &view.grid_code, points: view.points.clone(), reaches: view.reaches.clone() };
    map::draw(doc, maps, &spec, Area { x: MARGIN_X, y: top, w: 120.0, h: map_h });
    doc.text(
        MARGIN_X,
        top + map_h + 1.0,
        7.5,
        &format!(
            "隐患位置示意图：黄色为{}网格，红点为隐患位置（编号同上表），蓝线为河流。",
            maps.grid(&view.grid_code).map_or(view.grid_code.as_str(), |g| g.grid.name.as_str())
        ),
        GREY,
        Align::Left,
    );
    doc.y = top + map_h + 7.0;
    qr_block(doc, heading, top + (map_h - 32.0) / 2.0)
}

/// The verdict of a re-inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// 整改合格，同意销号.
    Approved,
    /// 整改不合格，责令返工 (the rework count after this return).
    Returned(i64),
}

/// Everything a re-inspection opinion prints.
#[derive(Debug, Clone)]
pub struct SignoffView {
    /// Case number.
    pub case_number: String,
    /// Case title.
    pub title: String,
    /// Enterprise or responsible party.
    pub addressee: Addressee,
    /// The notice that ordered the fix.
    pub notice_number: Option<String>,
    /// Required measures.
    pub measures: String,
    /// Deadline.
    pub deadline: String,
    /// What the enterprise reported it did.
    pub fix: String,
    /// Before photos (thumbnails).
    pub before: Vec<Vec<u8>>,
    /// After photos (thumbnails).
    pub after: Vec<Vec<u8>>,
    /// The expert's opinion.
    pub opinion: String,
    /// The expert's name and role.
    pub reviewer: String,
    /// Re-inspection date, YYYY-MM-DD.
    pub reviewed_on: String,
    /// Verdict.
    pub verdict: Verdict,
}

/// Renders a re-inspection opinion (sign-off or return).
pub fn render_signoff(view: &SignoffView, heading: &Heading) -> Result<Pdf> {
    let mut doc = Doc::new(&format!("整改复查意见书 {}", heading.number), &heading.issuer, heading.issued_at);
    letterhead(&mut doc, heading, "整改复查意见书");
    let a = &view.addressee;
    doc.fields(
        &[
            &[
                ("案件编号", view.case_number.clone()),
                ("整改通知书", view.notice_number.clone().unwrap_or_else(|| "—".into())),
            ],
            &[("隐患名称", view.title.clone())],
            &[("被检查单位", a.name.clone())],
            &[("统一社会信用代码", a.uscc.clone().unwrap_or_else(|| "—".into())), ("所属网格", a.grid.clone())],
            &[("单位地址", a.address.clone().unwrap_or_else(|| "—".into()))],
            &[("整改措施", view.measures.clone())],
            &[("整改期限", view.deadline.clone())],
            &[("整改情况", view.fix.clone())],
        ],
        31.0,
        10.0,
    );
    doc.y += 3.0;
    let half = BODY_W / 2.0;
    let before: Vec<_> = view.before.iter().take(2).filter_map(|p| doc.add_photo(p).ok()).collect();
    let after: Vec<_> = view.after.iter().take(2).filter_map(|p| doc.add_photo(p).ok()).collect();
    let columns = [Column { title: "整改前".into(), width: half }, Column { title: "整改后".into(), width: half }];
    doc.table(&columns, &[vec![Cell::Images(before, 48.0), Cell::Images(after, 48.0)]], 10.0);
    doc.y += 3.0;
    let conclusion = match view.verdict {
        Verdict::Approved => "整改合格，同意销号。".to_owned(),
        Verdict::Returned(n) => format!("整改不合格，责令返工（第 {n} 次返工），请按原整改措施重新整改。"),
    };
    doc.fields(
        &[
            &[("复查意见", view.opinion.clone())],
            &[("复查结论", conclusion)],
            &[("复查人员", view.reviewer.clone()), ("复查日期", view.reviewed_on.clone())],
        ],
        31.0,
        10.0,
    );
    doc.y += 4.0;
    closing(&mut doc, heading, &["复查人员（签名）：", "被检查单位负责人（签收）："])?;
    doc.finish(&footer(heading))
}

pub(super) fn letterhead(doc: &mut Doc, heading: &Heading, title: &str) {
    let y = doc.y;
    doc.text(PAGE_W / 2.0, y, 20.0, &heading.issuer, RED, Align::Center);
    doc.line((MARGIN_X, y + 11.0), (PAGE_W - MARGIN_X, y + 11.0), 2.0, RED);
    doc.text(PAGE_W / 2.0, y + 15.0, 18.0, title, BLACK, Align::Center);
    doc.text(PAGE_W - MARGIN_X, y + 25.0, 10.5, &heading.number, BLACK, Align::Right);
    doc.y = y + 32.0;
}

/// The QR code at the right margin with its caption.
fn qr_block(doc: &mut Doc, heading: &Heading, top: f32) -> Result<()> {
    let side = 32.0;
    let x = PAGE_W - MARGIN_X - side;
    doc.qr(&heading.qr_payload, x, top, side)?;
    doc.text(x + side / 2.0, top + side + 1.0, 7.5, "扫码核验文书", GREY, Align::Center);
    Ok(())
}

/// Height the signature block needs.
const SIGNATURES_H: f32 = 38.0;
/// Height the QR code and its caption need below the signatures.
const QR_BLOCK_H: f32 = 40.0;

/// Whether [`closing`] fits below the cursor on the current page.
pub(super) fn closing_fits(doc: &Doc) -> bool {
    doc.y + SIGNATURES_H + QR_BLOCK_H <= super::pdf::BODY_BOTTOM
}

/// The end of a document: the signature lines and seal, then the QR code,
/// kept together on one page so the last page never holds the QR code alone.
pub(super) fn closing(doc: &mut Doc, heading: &Heading, lines: &[&str]) -> Result<()> {
    doc.ensure(SIGNATURES_H + QR_BLOCK_H);
    signatures(doc, heading, lines);
    let top = doc.y + 2.0;
    qr_block(doc, heading, top)?;
    doc.y = top + QR_BLOCK_H - 2.0;
    Ok(())
}

/// Handwritten signature lines on the left, the seal area on the right.
fn signatures(doc: &mut Doc, heading: &Heading, lines: &[&str]) {
    doc.ensure(SIGNATURES_H);
    let top = doc.y + 2.0;
    for (i, label) in lines.iter().enumerate() {
        let y = top + i as f32 * 10.0;
        doc.text(MARGIN_X, y, 10.5, label, BLACK, Align::Left);
        let x = MARGIN_X + super::pdf::text_width(label, 10.5) + 1.0;
        doc.line((x, y + 5.5), (x + 34.0, y + 5.5), 0.5, BLACK);
        if i == 0 {
            doc.line((x + 38.0, y + 5.5), (x + 72.0, y + 5.5), 0.5, BLACK);
        }
    }
    let y = top + lines.len() as f32 * 10.0;
    doc.text(MARGIN_X, y, 10.5, "签收日期：      年    月    日", BLACK, Align::Left);
    // The seal area: a dashed-looking circle outline with the issuer and date beneath.
    let (cx, cy, r) = (PAGE_W - MARGIN_X - 24.0, top + 11.0, 12.0);
    let ring: Vec<(f32, f32)> = (0..48)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / 48.0;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    for pair in ring.chunks(2) {
        if let [p, q] = pair {
            doc.line(*p, *q, 0.5, rgb(200, 120, 120));
        }
    }
    doc.text(cx, cy - 2.0, 8.0, "（印章）", rgb(200, 120, 120), Align::Center);
    doc.text(cx, cy + r + 1.5, 10.0, &heading.issuer, BLACK, Align::Center);
    doc.text(cx, cy + r + 6.5, 10.0, &chinese_date(&heading.issued_on), BLACK, Align::Center);
    doc.y = (y + 8.0).max(cy + r + 12.0);
}

pub(super) fn footer(heading: &Heading) -> String {
    format!("{}　审计链锚点 {}", heading.number, heading.chain_anchor)
}

/// YYYY-MM-DD as an official date: 二〇二六年十一月二十八日.
pub fn chinese_date(date: &str) -> String {
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let mut parts = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else { return date.to_owned() };
    let (Ok(m), Ok(d)) = (m.parse::<u32>(), d.get(..2).unwrap_or(d).parse::<u32>()) else { return date.to_owned() };
    let year: String = y.chars().filter_map(|c| c.to_digit(10).map(|v| DIGITS[v as usize])).collect();
    let small = |n: u32| -> String {
        match n {
            0..=9 => DIGITS[n as usize].to_string(),
            10 => "十".into(),
            11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
            _ if n.is_multiple_of(10) => format!("{}十", DIGITS[(n / 10) as usize]),
            _ => format!("{}十{}", DIGITS[(n / 10) as usize], DIGITS[(n % 10) as usize]),
        }
    };
    format!("{year}年{}月{}日", small(m), small(d))
}

#[cfg(test)]
mod tests {
    use super::{FINDINGS_COLUMNS, chinese_date};
    use crate::docs::pdf::{BODY_W, wrap};

    #[test]
    fn the_findings_columns_fill_the_body_and_a_basis_clause_takes_three_lines() {
        let total: f32 = FINDINGS_COLUMNS.iter().map(|(_, w)| w).sum();
        assert!((total - BODY_W).abs() < 0.01, "{total} mm");
        let width = |title: &str| FINDINGS_COLUMNS.iter().find(|(t, _)| *t == title).map(|(_, w)| *w).unwrap();
        // The table wraps cell text at the column width less 2 × 1.2 mm padding, at 8.5 pt.
        let lines = |text: &str, title: &str| wrap(text, width(title) - 2.4, 8.5).len();
        for basis in ["《中华人民共和国安全生产法》第四十一条", "《工贸企业重大事故隐患判定标准》第四条"]
        {
            assert!(lines(basis, "判定依据") <= 3, "{basis}: {} lines", lines(basis, "判定依据"));
        }
        // The neighbours keep their usual content on as few lines as before.
        assert_eq!(lines("2026-12-15", "整改期限"), 1);
        assert_eq!(lines("TF-2026-000301", "编号及位置"), 1);
        assert!(lines("配电箱无防护罩：车间东侧配电箱门缺失，带电部位外露", "隐患描述") <= 3);
        // Every header fits on one line.
        for (title, _) in FINDINGS_COLUMNS {
            assert_eq!(wrap(title, width(title) - 2.0, 8.5).len(), 1, "{title}");
        }
    }

    #[test]
    fn official_dates_use_chinese_numerals_with_ling() {
        assert_eq!(chinese_date("2026-11-28"), "二〇二六年十一月二十八日");
        assert_eq!(chinese_date("2030-01-10"), "二〇三〇年一月十日");
        assert_eq!(chinese_date("2026-02-30"), "二〇二六年二月三十日");
        assert_eq!(chinese_date("bad"), "bad");
    }
}
