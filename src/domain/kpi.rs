//! Closure KPIs as town offices compute them (SPEC §5):
//! 结案率 = 结案数 / (应结案数 − 缓办数), 按期结案率 = 按期结案数 / (应结案数 − 缓办数),
//! 返工率 and 延期率 per case, and the median days from report to sign-off.
//!
//! "Due" (应结案) = cases whose current deadline falls in the period. gridsafe
//! has no deferral (缓办) status yet, so 缓办数 is 0.

use serde::Serialize;

use crate::domain::time::parse_date;

/// The facts one case contributes.
#[derive(Debug, Clone)]
pub struct CaseKpi {
    /// Filed on (YYYY-MM-DD).
    pub reported: String,
    /// Current deadline, once dispatched.
    pub deadline: Option<String>,
    /// Signed off on, if closed.
    pub closed: Option<String>,
    /// Times returned for rework.
    pub reworks: i64,
    /// Times extended.
    pub extensions: i64,
}

/// The KPIs of one group (a grid or a person) over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpi {
    /// Cases filed in the period.
    pub filed: usize,
    /// 应结案数: deadline in the period.
    pub due: usize,
    /// 结案数: due and signed off by the end of the period.
    pub closed: usize,
    /// 按期结案数: due and signed off on or before the deadline.
    pub closed_on_time: usize,
    /// 结案率.
    pub closure_rate: Option<f64>,
    /// 按期结案率.
    pub on_time_rate: Option<f64>,
    /// 返工率: due cases returned at least once.
    pub rework_rate: Option<f64>,
    /// 延期率: due cases extended at least once.
    pub extension_rate: Option<f64>,
    /// Median days from report to sign-off of the cases signed off in the period.
    pub median_days_to_close: Option<f64>,
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// Computes the KPIs of `cases` over `[from, to]` (inclusive dates).
///
/// ```
/// use gridsafe::domain::kpi::{CaseKpi, compute};
/// let c = |deadline: &str, closed: Option<&str>| CaseKpi { reported: "2026-03-01".into(),
///     deadline: Some(deadline.into()), closed: closed.map(Into::into), reworks: 0, extensions: 0 };
/// let k = compute(&[c("2026-03-10", Some("2026-03-09")), c("2026-03-20", Some("2026-03-25")),
///                   c("2026-03-30", None)], "2026-03-01", "2026-03-31");
/// assert_eq!((k.due, k.closed, k.closed_on_time), (3, 2, 1));
/// assert_eq!(k.closure_rate, Some(0.6667));
/// assert_eq!(k.median_days_to_close, Some(16.0));
/// ```
pub fn compute(cases: &[CaseKpi], from: &str, to: &str) -> Kpi {
    let within = |d: &str| from <= d && d <= to;
    let filed = cases.iter().filter(|c| within(&c.reported)).count();
    let due: Vec<&CaseKpi> = cases.iter().filter(|c| c.deadline.as_deref().is_some_and(within)).collect();
    let closed = due.iter().filter(|c| c.closed.as_deref().is_some_and(|d| d <= to)).count();
    let on_time = due
        .iter()
        .filter(|c| matches!((&c.closed, &c.deadline), (Some(closed), Some(deadline)) if closed <= deadline && closed.as_str() <= to))
        .count();
    let mut days: Vec<f64> = cases
        .iter()
        .filter_map(|c| {
            let closed = c.closed.as_deref().filter(|d| within(d))?;
            Some((parse_date(closed)? - parse_date(&c.reported)?) as f64)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some(f64::midpoint(days[n / 2 - 1], days[n / 2])),
    };
    Kpi {
        filed,
        due: due.len(),
        closed,
        closed_on_time: on_time,
        closure_rate: rate(closed, due.len()),
        on_time_rate: rate(on_time, due.len()),
        rework_rate: rate(due.iter().filter(|c| c.reworks > 0).count(), due.len()),
        extension_rate: rate(due.iter().filter(|c| c.extensions > 0).count(), due.len()),
        median_days_to_close: median,
    }
}
