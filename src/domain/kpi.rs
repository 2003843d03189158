//! The KPIs, one definition each, shared by the API, the CLI, the ledger and
//! the PDFs (SPEC §5, §6).
//!
//! Case closure, as town offices compute it:
//! 结案率 = 结案数 / (应结案数 − 缓办数), 按期结案率 = 按期结案数 / (应结案数 − 缓办数),
//! 返工率 and 延期率 per case, and the median days from report to sign-off.
//!
//! **Due (应结案) in a period** `[from, to]` (inclusive dates): a case falls
//! due once, on its *due day*, the earlier of its current deadline and the
//! day it was signed off. So a case closed ahead of its deadline is due (and
//! closed on time) in the period it was closed in; a case closed late, or
//! still open, is due in the period its deadline falls in. A case never
//! dispatched (no deadline) and never closed is not due anywhere. Of the due
//! cases, **closed** (结案) are those signed off on or before `to` (the state
//! at the end of the period, so a report reads the same whenever it is
//! computed), and **closed on time** (按期结案) those signed off on or before
//! their deadline. An extension moves the deadline, so a case closed within
//! its extended deadline is on time (and counts in 延期率). gridsafe has no
//! deferral (缓办) status yet, so 缓办数 is 0.
//!
//! Patrol compliance (巡河完成率) = min(valid patrols, target) / target: a
//! chief who patrols more than required is at 100 %, never above, so the rate
//! of a group stays a share.

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

impl CaseKpi {
    /// The same facts, borrowed.
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            reported: &self.reported,
            deadline: self.deadline.as_deref(),
            closed: self.closed.as_deref(),
            reworks: self.reworks,
            extensions: self.extensions,
        }
    }
}

/// The facts one case contributes, borrowed from wherever they were read
/// (a row of the KPI index, a [`CaseKpi`]): a period's millions of cases are
/// tallied without a copy of any.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Filed on (YYYY-MM-DD).
    pub reported: &'a str,
    /// Current deadline, once dispatched.
    pub deadline: Option<&'a str>,
    /// Signed off on (YYYY-MM-DD), if closed.
    pub closed: Option<&'a str>,
    /// Times returned for rework.
    pub reworks: i64,
    /// Times extended.
    pub extensions: i64,
}

impl<'a> Facts<'a> {
    /// The day the case falls due for the KPIs: the earlier of its deadline
    /// and its sign-off; `None` when it has neither.
    pub fn due_on(&self) -> Option<&'a str> {
        match (self.deadline, self.closed) {
            (Some(deadline), Some(closed)) => Some(deadline.min(closed)),
            (deadline, closed) => deadline.or(closed),
        }
    }

    /// Signed off on or before its deadline.
    pub fn on_time(&self) -> bool {
        matches!((self.closed, self.deadline), (Some(closed), Some(deadline)) if closed <= deadline)
    }
}

/// The KPIs of one group being counted over `[from, to]`, one case at a time:
/// counts, and the days to sign-off as a histogram, so memory does not grow
/// with the cases and two tallies of parts of the cases [`merge`](Tally::merge)
/// into the tally of all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    filed: usize,
    due: usize,
    closed: usize,
    on_time: usize,
    reworked: usize,
    extended: usize,
    /// How many cases signed off in the period took each number of days.
    days: Days,
}

/// How many cases took each number of days: counted in place for the usual
/// spans (a town has thousands of tallies, and a tree per tally cost a chain
/// of cache misses per case), in a map for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Days {
    /// Counts of 0, 1, 2 … days, as far as any was seen (up to [`DENSE_DAYS`]).
    dense: Vec<usize>,
    /// Counts of spans outside that (negative, or longer).
    rest: std::collections::BTreeMap<i64, usize>,
}

/// The longest span counted in place: ten years.
const DENSE_DAYS: i64 = 3660;

impl Days {
    fn add(&mut self, days: i64, n: usize) {
        match usize::try_from(days).ok().filter(|_| days < DENSE_DAYS) {
            Some(at) => {
                if self.dense.len() <= at {
                    self.dense.resize(at + 1, 0);
                }
                self.dense[at] += n;
            }
            None => *self.rest.entry(days).or_default() += n,
        }
    }

    /// Each span with its count, shortest first.
    fn counts(&self) -> impl Iterator<Item = (i64, usize)> + '_ {
        let below = self.rest.range(..0).map(|(&d, &n)| (d, n));
        let dense = self.dense.iter().enumerate().filter(|(_, n)| **n > 0).map(|(d, &n)| (d as i64, n));
        let above = self.rest.range(0..).map(|(&d, &n)| (d, n));
        below.chain(dense).chain(above)
    }
}

/// A period `[from, to]` of inclusive `YYYY-MM-DD` dates as day numbers,
/// parsed once for the million cases counted over it. An end that does not
/// parse (the API checks dates before they come here) is left open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: i64,
    to: i64,
}

impl Period {
    /// The period of two dates.
    pub fn new(from: &str, to: &str) -> Self {
        Self { from: parse_date(from).unwrap_or(i64::MIN), to: parse_date(to).unwrap_or(i64::MAX) }
    }

    fn holds(self, day: i64) -> bool {
        self.from <= day && day <= self.to
    }
}

/// The facts of a case as day numbers: what [`Tally::add_days`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFacts {
    /// Filed on.
    pub reported: Option<i64>,
    /// Current deadline.
    pub deadline: Option<i64>,
    /// Signed off on.
    pub closed: Option<i64>,
    /// Returned for rework at least once.
    pub reworked: bool,
    /// Extended at least once.
    pub extended: bool,
}

impl DayFacts {
    /// The facts' dates read as day numbers.
    pub fn of(c: &Facts<'_>) -> Self {
        Self {
            reported: parse_date(c.reported),
            deadline: c.deadline.and_then(parse_date),
            closed: c.closed.and_then(parse_date),
            reworked: c.reworks > 0,
            extended: c.extensions > 0,
        }
    }
}

impl Tally {
    /// Counts one case: its days are read once and compared as numbers.
    pub fn add(&mut self, c: &Facts<'_>, period: Period) {
        self.add_days(DayFacts::of(c), period);
    }

    /// Counts one case whose days are already read.
    pub fn add_days(&mut self, c: DayFacts, period: Period) {
        let DayFacts { reported, deadline, closed, reworked, extended } = c;
        self.filed += usize::from(reported.is_some_and(|d| period.holds(d)));
        let due_on = match (deadline, closed) {
            (Some(deadline), Some(closed)) => Some(deadline.min(closed)),
            (deadline, closed) => deadline.or(closed),
        };
        if due_on.is_some_and(|d| period.holds(d)) {
            self.due += 1;
            if let Some(closed) = closed.filter(|d| *d <= period.to) {
                self.closed += 1;
                self.on_time += usize::from(deadline.is_some_and(|d| closed <= d));
            }
            self.reworked += usize::from(reworked);
            self.extended += usize::from(extended);
        }
        if let (Some(closed), Some(reported)) = (closed.filter(|d| period.holds(*d)), reported) {
            self.days.add(closed - reported, 1);
        }
    }

    /// Adds the cases another tally counted.
    pub fn merge(&mut self, other: &Self) {
        self.filed += other.filed;
        self.due += other.due;
        self.closed += other.closed;
        self.on_time += other.on_time;
        self.reworked += other.reworked;
        self.extended += other.extended;
        for (days, n) in other.days.counts() {
            self.days.add(days, n);
        }
    }

    /// The KPIs of the cases counted.
    pub fn kpi(&self) -> Kpi {
        let due = self.due;
        Kpi {
            filed: self.filed,
            due,
            closed: self.closed,
            closed_on_time: self.on_time,
            closure_rate: rate(self.closed, due),
            on_time_rate: rate(self.on_time, due),
            rework_rate: rate(self.reworked, due),
            extension_rate: rate(self.extended, due),
            median_days_to_close: histogram_median(&self.days),
        }
    }
}

/// The median of the values a histogram counts (the mean of the two middle
/// ones for an even count), exactly: days are whole numbers.
fn histogram_median(counts: &Days) -> Option<f64> {
    let n: usize = counts.counts().map(|(_, n)| n).sum();
    // The values at sorted positions `n / 2` and, for an even count, `n / 2 - 1`.
    let at = |position: usize| {
        let mut seen = 0;
        counts.counts().find_map(|(value, count)| {
            seen += count;
            (position < seen).then_some(value as f64)
        })
    };
    match n {
        0 => None,
        _ if n % 2 == 1 => at(n / 2),
        _ => Some(f64::midpoint(at(n / 2 - 1)?, at(n / 2)?)),
    }
}

/// The KPIs of one group (a grid or a person) over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpi {
    /// Cases filed in the period.
    pub filed: usize,
    /// 应结案数: due day in the period (see the module docs).
    pub due: usize,
    /// 结案数: due and signed off by the end of the period.
    pub closed: usize,
    /// 按期结案数: due and signed off on or before the deadline (and by the end of the period).
    pub closed_on_time: usize,
    /// 结案率 = closed / due.
    pub closure_rate: Option<f64>,
    /// 按期结案率 = closed on time / due.
    pub on_time_rate: Option<f64>,
    /// 返工率: due cases returned at least once / due.
    pub rework_rate: Option<f64>,
    /// 延期率: due cases extended at least once / due.
    pub extension_rate: Option<f64>,
    /// Median days from report to sign-off of the cases signed off in the period.
    pub median_days_to_close: Option<f64>,
}

/// `part / whole` rounded to four decimals; `None` when `whole` is 0.
pub fn rate(part: usize, whole: usize) -> Option<f64> {
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
    let (mut tally, period) = (Tally::default(), Period::new(from, to));
    for c in cases {
        tally.add(&c.facts(), period);
    }
    tally.kpi()
}

/// Patrol compliance: `min(valid, target) / target`; 1 when nothing is required.
pub fn patrol_rate(valid: u32, target: u32) -> f64 {
    if target == 0 { 1.0 } else { f64::from(valid.min(target)) / f64::from(target) }
}

/// A rate as printed in tables, PDFs and the CLI: whole per cent (0.6667 → 67%).
pub fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case: filed, deadline, signed off, reworks, extensions.
    fn case(reported: &str, deadline: Option<&str>, closed: Option<&str>, reworks: i64, extensions: i64) -> CaseKpi {
        CaseKpi {
            reported: reported.into(),
            deadline: deadline.map(Into::into),
            closed: closed.map(Into::into),
            reworks,
            extensions,
        }
    }

    /// Eleven cases around March 2026, each placed on a boundary. The letters
    /// are used in the arithmetic below.
    fn march() -> Vec<CaseKpi> {
        vec![
            // A: closed exactly on its deadline: due 03-10, closed, on time. 9 days.
            case("2026-03-01", Some("2026-03-10"), Some("2026-03-10"), 0, 0),
            // B: closed the day after its deadline: due 03-10, closed, late. 10 days. Reworked once.
            case("2026-03-01", Some("2026-03-10"), Some("2026-03-11"), 1, 0),
            // C: deadline on the period's first day, still open: due, not closed.
            case("2026-02-20", Some("2026-03-01"), None, 0, 0),
            // D: deadline and sign-off on the period's last day: due, closed, on time. 26 days.
            case("2026-03-05", Some("2026-03-31"), Some("2026-03-31"), 0, 0),
            // E: deadline extended (03-05 → 03-20), closed 03-18 within it: due 03-18, on time.
            //    Filed 02-25: 3 days to 02-28, then 18: 21 days.
            case("2026-02-25", Some("2026-03-20"), Some("2026-03-18"), 0, 1),
            // F: deadline the day after the period, open: not due in March.
            case("2026-03-10", Some("2026-04-01"), None, 0, 0),
            // G: deadline the day before the period, open: due in February, not March.
            case("2026-02-01", Some("2026-02-28"), None, 0, 0),
            // H: closed 03-12, well ahead of its April deadline: due (and on time) in March. 9 days.
            case("2026-03-03", Some("2026-04-30"), Some("2026-03-12"), 0, 0),
            // I: due 03-25, closed 04-02, after the period ended: due, not closed in March. Reworked twice.
            case("2026-03-20", Some("2026-03-25"), Some("2026-04-02"), 2, 0),
            // J: filed, never dispatched (no deadline): filed, never due.
            case("2026-03-15", None, None, 0, 0),
            // K: due 02-20, closed late on 03-05: due in February, but its sign-off is March's. 23 days
            //    (02-10 → 02-28 is 18, then 5).
            case("2026-02-10", Some("2026-02-20"), Some("2026-03-05"), 0, 0),
        ]
    }

    #[test]
    fn each_kpi_of_a_hand_made_month_matches_the_arithmetic() {
        let k = compute(&march(), "2026-03-01", "2026-03-31");
        // Filed in March: A, B, D, F, H, I, J = 7.
        assert_eq!(k.filed, 7);
        // Due in March: A, B, C, D, E, H, I = 7 (not F, G, J, K).
        assert_eq!(k.due, 7);
        // Closed by 03-31 among them: A, B, D, E, H = 5 (C open, I closed in April).
        assert_eq!(k.closed, 5);
        // On time: A (03-10 ≤ 03-10), D, E (03-18 ≤ 03-20), H = 4; B (03-11 > 03-10) is late.
        assert_eq!(k.closed_on_time, 4);
        // 结案率 5 / 7 = 0.714285… → 0.7143.
        assert_eq!(k.closure_rate, Some(0.7143));
        // 按期结案率 4 / 7 = 0.571428… → 0.5714.
        assert_eq!(k.on_time_rate, Some(0.5714));
        // 返工率: B and I were returned, 2 / 7 = 0.285714… → 0.2857.
        assert_eq!(k.rework_rate, Some(0.2857));
        // 延期率: E was extended, 1 / 7 = 0.142857… → 0.1429.
        assert_eq!(k.extension_rate, Some(0.1429));
        // Signed off in March: A 9, B 10, D 26, E 21, H 9, K 23 → 9 9 10 21 23 26, six values:
        // the median is the mean of the middle two, (10 + 21) / 2 = 15.5.
        assert_eq!(k.median_days_to_close, Some(15.5));
    }

    #[test]
    fn february_counts_what_fell_due_in_february() {
        let k = compute(&march(), "2026-02-01", "2026-02-28");
        // Due in February: G (02-28, the last day) and K (02-20) = 2. Neither was closed by 02-28
        // (K closed on 03-05), so 0 / 2; filed in February: C, E, G, K = 4; no sign-off in February.
        assert_eq!((k.filed, k.due, k.closed, k.closed_on_time), (4, 2, 0, 0));
        assert_eq!((k.closure_rate, k.on_time_rate), (Some(0.0), Some(0.0)));
        assert_eq!(k.median_days_to_close, None);
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        // Drop K: A 9, B 10, D 26, E 21, H 9 → 9 9 10 21 26, five values, the middle one is 10.
        let cases: Vec<CaseKpi> = march().into_iter().filter(|c| c.reported != "2026-02-10").collect();
        assert_eq!(compute(&cases, "2026-03-01", "2026-03-31").median_days_to_close, Some(10.0));
        let histogram = |values: &[i64]| {
            values.iter().fold(Days::default(), |mut h, &v| {
                h.add(v, 1);
                h
            })
        };
        assert_eq!(histogram_median(&histogram(&[3, 1, 2])), Some(2.0));
        assert_eq!(histogram_median(&histogram(&[4, 1, 3, 2])), Some(2.5));
        assert_eq!(histogram_median(&histogram(&[7, 7, 1, 9])), Some(7.0));
        assert_eq!(histogram_median(&histogram(&[])), None);
        // Spans outside the counted range keep their order: a negative one, ten years and more.
        assert_eq!(histogram_median(&histogram(&[-2, 5000, 4000, 1])), Some(2000.5));
        assert_eq!(histogram_median(&histogram(&[-2, 5000, 1])), Some(1.0));
    }

    #[test]
    fn tallies_of_two_parts_merge_into_the_tally_of_all() {
        let cases = march();
        for (from, to) in [("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28"), ("2026-02-15", "2026-04-30")] {
            for split in 0..=cases.len() {
                let tally = |part: &[CaseKpi]| {
                    part.iter().fold(Tally::default(), |mut t, c| {
                        t.add(&c.facts(), Period::new(from, to));
                        t
                    })
                };
                let mut first = tally(&cases[..split]);
                first.merge(&tally(&cases[split..]));
                assert_eq!(first.kpi(), compute(&cases, from, to), "{from}..{to} split at {split}");
            }
        }
    }

    #[test]
    fn a_case_closed_on_its_deadline_is_on_time_and_the_day_after_is_not() {
        let on = case("2026-03-01", Some("2026-03-10"), Some("2026-03-10"), 0, 0);
        let after = case("2026-03-01", Some("2026-03-10"), Some("2026-03-11"), 0, 0);
        // One of two on time: 1 / 2 = 0.5.
        let k = compute(&[on, after], "2026-03-01", "2026-03-31");
        assert_eq!((k.due, k.closed, k.closed_on_time, k.on_time_rate), (2, 2, 1, Some(0.5)));
    }

    #[test]
    fn a_period_with_nothing_due_has_no_rates_rather_than_zero() {
        let k = compute(&march(), "2027-01-01", "2027-01-31");
        assert_eq!(k, Kpi::default());
    }

    #[test]
    fn patrol_completion_stops_at_one_hundred_percent() {
        // 4 valid against a target of 3 is complete, not 133 %.
        assert!((patrol_rate(4, 3) - 1.0).abs() < f64::EPSILON);
        assert_eq!(percent(patrol_rate(4, 3)), "100%");
        // 2 of 3: 0.666… → 67%.
        assert!((patrol_rate(2, 3) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(percent(patrol_rate(2, 3)), "67%");
        assert!((patrol_rate(0, 0) - 1.0).abs() < f64::EPSILON);
    }
}
