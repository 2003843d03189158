//! The hazard ledger (隐患台账) as CSV (UTF-8 with BOM, so Excel opens it
//! right) and XLSX (the ledger plus a sheet of KPIs per grid), with the
//! columns town offices keep (SPEC §8).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::domain::kpi::Kpi;
use crate::error::{Error, Result};

/// One ledger line: a case as the office's paper ledger records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerRow {
    /// Case number.
    pub number: String,
    /// 发现日期 (YYYY-MM-DD).
    pub found_on: String,
    /// 隐患位置: the village chain and coordinates.
    pub place: String,
    /// 所属网格.
    pub grid: String,
    /// 企业名称 (empty for none).
    pub enterprise: String,
    /// 隐患类别.
    pub category: String,
    /// 隐患描述: title and description.
    pub description: String,
    /// 隐患等级: 一般 / 重大.
    pub grade: String,
    /// 整改责任人.
    pub responsible: String,
    /// 整改措施.
    pub measures: String,
    /// 整改期限.
    pub deadline: String,
    /// 复查情况: the last sign-off opinion or rework reason.
    pub recheck: String,
    /// 销号日期.
    pub closed_on: String,
    /// 状态 (with 已超期 when overdue).
    pub status: String,
}

/// The ledger's column headers, in order.
pub const HEADERS: [&str; 14] = [
    "隐患编号",
    "发现日期",
    "隐患位置",
    "所属网格",
    "企业名称",
    "隐患类别",
    "隐患描述",
    "隐患等级",
    "整改责任人",
    "整改措施",
    "整改期限",
    "复查情况",
    "销号日期",
    "状态",
];

impl LedgerRow {
    fn cells(&self) -> [&str; 14] {
        [
            &self.number,
            &self.found_on,
            &self.place,
            &self.grid,
            &self.enterprise,
            &self.category,
            &self.description,
            &self.grade,
            &self.responsible,
            &self.measures,
            &self.deadline,
            &self.recheck,
            &self.closed_on,
            &self.status,
        ]
    }
}

/// The ledger as CSV bytes: a UTF-8 BOM, the Chinese header row, one line per case.
pub fn csv(rows: &[LedgerRow]) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(HEADERS).map_err(|e| Error::Internal(e.into()))?;
        for row in rows {
            writer.write_record(row.cells()).map_err(|e| Error::Internal(e.into()))?;
        }
        writer.flush().map_err(|e| Error::Internal(e.into()))?;
    }
    Ok(out)
}

/// One KPI line of the XLSX's second sheet.
#[derive(Debug, Clone)]
pub struct KpiRow {
    /// Grid code.
    pub code: String,
    /// Grid name.
    pub name: String,
    /// The figures.
    pub kpi: Kpi,
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Internal(anyhow::Error::new(e).context("XLSX generation failed"))
}

/// The ledger as an XLSX workbook: sheet 隐患台账 and sheet 分网格统计 (KPIs
/// over `period`, one row per village, from `crate::service::cases::ledger_kpis`).
pub fn xlsx(rows: &[LedgerRow], kpis: &[KpiRow], period: &str) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = book.add_worksheet().set_name("隐患台账").map_err(xlsx_error)?;
    let widths = [16.0, 11.0, 28.0, 10.0, 18.0, 16.0, 40.0, 8.0, 14.0, 30.0, 11.0, 30.0, 11.0, 12.0];
    for (col, (header, width)) in (0u16..).zip(HEADERS.iter().zip(widths)) {
        sheet.write_string_with_format(0, col, *header, &bold).map_err(xlsx_error)?;
        sheet.set_column_width(col, width).map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    for (r, row) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(row.cells()) {
            sheet.write_string_with_format(r, col, cell, &wrap).map_err(xlsx_error)?;
        }
    }
    // The rates are stored as the API gives them (0.7143) and shown as a percentage.
    let percent = Format::new().set_num_format("0.0%");
    let sheet = book.add_worksheet().set_name("分网格统计").map_err(xlsx_error)?;
    sheet.write_string_with_format(0, 0, format!("统计期间：{period}"), &bold).map_err(xlsx_error)?;
    let headers = [
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
        "销号天数中位数",
    ];
    for (col, header) in (0u16..).zip(headers) {
        sheet.write_string_with_format(1, col, header, &bold).map_err(xlsx_error)?;
        sheet.set_column_width(col, if col == 1 { 14.0 } else { 11.0 }).map_err(xlsx_error)?;
    }
    for (r, row) in (2u32..).zip(kpis) {
        let k = &row.kpi;
        sheet.write_string(r, 0, &row.code).map_err(xlsx_error)?;
        sheet.write_string(r, 1, &row.name).map_err(xlsx_error)?;
        for (col, count) in [(2u16, k.filed), (3, k.due), (4, k.closed), (5, k.closed_on_time)] {
            sheet.write_number(r, col, u32::try_from(count).unwrap_or(u32::MAX)).map_err(xlsx_error)?;
        }
        for (col, value) in [(6u16, k.closure_rate), (7, k.on_time_rate), (8, k.rework_rate), (9, k.extension_rate)] {
            if let Some(v) = value {
                sheet.write_number_with_format(r, col, v, &percent).map_err(xlsx_error)?;
            }
        }
        if let Some(days) = k.median_days_to_close {
            sheet.write_number(r, 10, days).map_err(xlsx_error)?;
        }
    }
    book.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let row = LedgerRow {
            number: "TF-2026-000001".into(),
            description: "配电箱，\"无\"防护".into(),
            ..LedgerRow::default()
        };
        let bytes = csv(&[row]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADERS);
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[6], "配电箱，\"无\"防护");
    }
}
