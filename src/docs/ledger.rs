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

/// The ledger as CSV written line by line into `W`: a UTF-8 BOM, the
/// Chinese header row, then one line per [`CsvLedger::push`]. Memory stays
/// that of one line whatever the count.
pub struct CsvLedger<W: std::io::Write> {
    writer: csv::Writer<W>,
}

fn csv_error(e: csv::Error) -> Error {
    Error::Internal(anyhow::Error::new(e).context("CSV ledger"))
}

impl<W: std::io::Write> CsvLedger<W> {
    /// Writes the BOM and the header row.
    pub fn new(mut out: W) -> Result<Self> {
        out.write_all(b"\xEF\xBB\xBF").map_err(|e| Error::Internal(e.into()))?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(HEADERS).map_err(csv_error)?;
        Ok(Self { writer })
    }

    /// Writes one line.
    pub fn push(&mut self, row: &LedgerRow) -> Result<()> {
        self.writer.write_record(row.cells()).map_err(csv_error)
    }

    /// Flushes and hands back the writer.
    pub fn finish(self) -> Result<W> {
        self.writer.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("CSV ledger: {}", e.error())))
    }
}

/// The ledger as CSV bytes (see [`CsvLedger`]).
pub fn csv(rows: &[LedgerRow]) -> Result<Vec<u8>> {
    let mut out = CsvLedger::new(Vec::new())?;
    for row in rows {
        out.push(row)?;
    }
    out.finish()
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

/// The ledger as an XLSX workbook, its 隐患台账 sheet written row by row in
/// rust_xlsxwriter's constant-memory mode (rows go to a temporary file as
/// they come), then the 分网格统计 sheet of KPIs over the period (one row per
/// village, from `crate::service::cases::ledger_kpis`).
pub struct XlsxLedger {
    book: Workbook,
    sheet: rust_xlsxwriter::Worksheet,
    wrap: Format,
    next_row: u32,
}

impl XlsxLedger {
    /// Starts the workbook with the ledger sheet's header row.
    pub fn new() -> Result<Self> {
        let mut book = Workbook::new();
        let mut sheet = book.new_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name("隐患台账").map_err(xlsx_error)?;
        let bold = Format::new().set_bold();
        let widths = [16.0, 11.0, 28.0, 10.0, 18.0, 16.0, 40.0, 8.0, 14.0, 30.0, 11.0, 30.0, 11.0, 12.0];
        for (col, (header, width)) in (0u16..).zip(HEADERS.iter().zip(widths)) {
            sheet.set_column_width(col, width).map_err(xlsx_error)?;
            sheet.write_string_with_format(0, col, *header, &bold).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        Ok(Self { book, sheet, wrap: Format::new().set_text_wrap(), next_row: 1 })
    }

    /// Writes one ledger row.
    pub fn push(&mut self, row: &LedgerRow) -> Result<()> {
        for (col, cell) in (0u16..).zip(row.cells()) {
            self.sheet.write_string_with_format(self.next_row, col, cell, &self.wrap).map_err(xlsx_error)?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// Adds the KPI sheet and writes the workbook to `path`.
    pub fn finish(mut self, kpis: &[KpiRow], period: &str, path: &std::path::Path) -> Result<()> {
        self.book.push_worksheet(self.sheet);
        kpi_sheet(self.book.add_worksheet(), kpis, period)?;
        self.book.save(path).map_err(xlsx_error)
    }
}

/// The ledger as XLSX bytes (see [`XlsxLedger`]).
pub fn xlsx(rows: &[LedgerRow], kpis: &[KpiRow], period: &str) -> Result<Vec<u8>> {
    let mut out = XlsxLedger::new()?;
    for row in rows {
        out.push(row)?;
    }
    let file = tempfile::NamedTempFile::new().map_err(|e| Error::Internal(e.into()))?;
    out.finish(kpis, period, file.path())?;
    std::fs::read(file.path()).map_err(|e| Error::Internal(e.into()))
}

fn kpi_sheet(sheet: &mut rust_xlsxwriter::Worksheet, kpis: &[KpiRow], period: &str) -> Result<()> {
    let bold = Format::new().set_bold();
    // The rates are stored as the API gives them (0.7143) and shown as a percentage.
    let percent = Format::new().set_num_format("0.0%");
    sheet.set_name("分网格统计").map_err(xlsx_error)?;
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
    Ok(())
}
