//! Calendar dates and timestamps without a date library: the town works in
//! China Standard Time (UTC+8, no daylight saving), so a fixed offset suffices.

use std::fmt::Write as _;

/// Seconds east of UTC of China Standard Time.
pub const CHINA_OFFSET_S: i64 = 8 * 3600;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` of a day number.
pub fn format_date(days: i64) -> String {
    let mut out = String::with_capacity(25);
    push_date(&mut out, days);
    out
}

/// Appends `YYYY-MM-DD` (years 0–9999; others through `format!`): digits by
/// position, as a bulk load writes tens of millions of them.
fn push_date(out: &mut String, days: i64) {
    let (y, m, d) = civil_from_days(days);
    if (0..10_000).contains(&y) {
        push_digits(out, y, 4);
        out.push('-');
        push_digits(out, m, 2);
        out.push('-');
        push_digits(out, d, 2);
    } else {
        let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    }
}

/// Appends `n` (non-negative, below 10^width) as exactly `width` digits.
fn push_digits(out: &mut String, n: impl Into<i64>, width: u32) {
    let n: i64 = n.into();
    for p in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10_i64.pow(p) % 10) as u8));
    }
}

/// The day number of a checked `YYYY-MM-DD` text (see [`crate::domain::people::date`]).
pub fn parse_date(text: &str) -> Option<i64> {
    // The stored form, read a million times per KPI period: digits by position.
    if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = text.as_bytes() {
        let digit = |b: u8| b.is_ascii_digit().then(|| i64::from(b - b'0'));
        let number = |ds: &[u8]| ds.iter().try_fold(0, |n, &b| Some(n * 10 + digit(b)?));
        if let (Some(y), Some(m), Some(d)) = (number(&[y0, y1, y2, y3]), number(&[m0, m1]), number(&[d0, d1])) {
            return Some(days_from_civil(y, m, d));
        }
    }
    let mut parts = text.split('-').map(str::parse::<i64>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) => Some(days_from_civil(y, m, d)),
        _ => None,
    }
}

/// Adds days to a `YYYY-MM-DD` date.
///
/// ```
/// use gridsafe::domain::time::add_days;
/// assert_eq!(add_days("2026-11-28", 90).unwrap(), "2027-02-26");
/// assert_eq!(add_days("2028-02-28", 1).unwrap(), "2028-02-29");
/// ```
pub fn add_days(date: &str, days: i64) -> Option<String> {
    parse_date(date).map(|d| format_date(d + days))
}

/// The China-time date of a Unix time.
pub fn china_date(unix_s: i64) -> String {
    format_date((unix_s + CHINA_OFFSET_S).div_euclid(86_400))
}

/// An RFC 3339 timestamp in China time, e.g. `2026-11-28T09:30:00+08:00`.
///
/// ```
/// assert_eq!(gridsafe::domain::time::china_timestamp(0), "1970-01-01T08:00:00+08:00");
/// ```
pub fn china_timestamp(unix_s: i64) -> String {
    let local = unix_s + CHINA_OFFSET_S;
    let secs = local.rem_euclid(86_400);
    let mut out = String::with_capacity(25);
    push_date(&mut out, local.div_euclid(86_400));
    out.push('T');
    push_digits(&mut out, secs / 3600, 2);
    out.push(':');
    push_digits(&mut out, secs % 3600 / 60, 2);
    out.push(':');
    push_digits(&mut out, secs % 60, 2);
    out.push_str("+08:00");
    out
}

/// The current Unix time in seconds, read from the system.
///
/// Services never call this: they are handed the time by their caller, which
/// reads it from the [`Clock`] it was given, so tests run the same on any day.
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Where the program reads the time: the system clock in production, a fixed
/// (settable) time in tests. Cheap to clone; clones of a fixed clock share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<std::sync::Arc<std::sync::atomic::AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands at `unix_s` until [`Clock::set`] moves it.
    ///
    /// ```
    /// use gridsafe::domain::time::{Clock, china_date};
    /// let clock = Clock::fixed(1_795_000_000);
    /// assert_eq!(china_date(clock.now_s()), "2026-11-18");
    /// clock.clone().set(1_795_000_000 + 86_400);
    /// assert_eq!(china_date(clock.now_s()), "2026-11-19");
    /// ```
    pub fn fixed(unix_s: i64) -> Self {
        Self { fixed: Some(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(unix_s))) }
    }

    /// The current Unix time in seconds.
    pub fn now_s(&self) -> i64 {
        self.fixed.as_ref().map_or_else(now_s, |t| t.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Today's date in China time.
    pub fn today(&self) -> String {
        china_date(self.now_s())
    }

    /// Moves a fixed clock (and every clone of it) to `unix_s`.
    ///
    /// # Panics
    /// On the system clock, which cannot be set.
    pub fn set(&self, unix_s: i64) {
        let fixed = self.fixed.as_ref().expect("only a fixed clock can be set");
        fixed.store(unix_s, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_are_written_as_format_writes_them() {
        for unix_s in (-80_000_000_000_i64..300_000_000_000).step_by(7_777_777) {
            let local = unix_s + CHINA_OFFSET_S;
            let (y, m, d) = civil_from_days(local.div_euclid(86_400));
            let secs = local.rem_euclid(86_400);
            let date = format!("{y:04}-{m:02}-{d:02}");
            assert_eq!(china_date(unix_s), date);
            let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
            assert_eq!(china_timestamp(unix_s), format!("{date}T{time}+08:00"));
        }
    }

    #[test]
    fn day_numbers_round_trip_across_centuries() {
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2026, 11, 28), 20_785);
    }

    #[test]
    fn china_date_turns_at_local_midnight() {
        // 2026-11-27T16:00:00Z is midnight in China.
        let midnight = days_from_civil(2026, 11, 27) * 86_400 + 16 * 3600;
        assert_eq!(china_date(midnight - 1), "2026-11-27");
        assert_eq!(china_date(midnight), "2026-11-28");
    }
}
