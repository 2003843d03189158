//! River patrols (巡河日志): the anti-fake rules per chief level (SPEC §6) as
//! settings, and the verdict a measured track gets against them: its length,
//! duration and speed, whether the declared times agree with the fixes', and
//! whether it repeats a track already filed. Pure: the measurements come from
//! `spatial::track`, the earlier logs from the store.

use serde::Serialize;

use crate::domain::people::ChiefLevel;
use crate::error::Msg;

/// The record types a patrol checks (SPEC §6), in display order.
pub const RECORD_TYPES: [&str; 8] = ["水体", "河面", "河中", "河岸", "涉水活动", "排污口", "河长公示牌", "水工建筑物"];

/// The anti-fake rules for one chief level. Counties differ, so these are settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rules {
    /// Shortest patrol that counts, in minutes.
    pub min_minutes: f64,
    /// Shortest distance that counts, in metres.
    pub min_distance_m: f64,
    /// Least time between two patrols of one chief, in minutes (0: none).
    pub min_interval_minutes: f64,
    /// How far from the river a track may stray, in metres.
    pub buffer_m: f64,
    /// Fastest plausible speed between two points, in km/h (faster is a "teleport").
    pub max_speed_kmh: f64,
    /// Valid patrols required per month for this level.
    pub per_month: u32,
    /// How far the declared start and end may lie from the first and last
    /// fix's time, in minutes (when the fixes carry times).
    pub clock_tolerance_minutes: f64,
    /// A track whose fixes lie (nearly all) this close to an earlier track,
    /// in metres, is a replay of it, whatever its timestamps.
    pub replay_m: f64,
}

impl Rules {
    /// Shandong practice (TIPS): 30 minutes, 2 km, a 500 m river buffer, 30 km/h;
    /// a town-level chief patrols 3 times a month, a village chief weekly (about 4).
    /// Declared times may differ from the fixes' by 5 minutes (a phone takes a
    /// while to get its first fix); a replay lies within 2 m of the earlier track.
    pub fn default_for(level: ChiefLevel) -> Self {
        Self {
            min_minutes: 30.0,
            min_distance_m: 2000.0,
            min_interval_minutes: 0.0,
            buffer_m: 500.0,
            max_speed_kmh: 30.0,
            per_month: match level {
                ChiefLevel::Town => 3,
                ChiefLevel::Community => 2,
                ChiefLevel::Village => 4,
            },
            clock_tolerance_minutes: 5.0,
            replay_m: 2.0,
        }
    }
}

/// One editable field of [`Rules`]: its name (in the API and forms), its
/// label and unit in both languages, and the range the office may set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleField {
    /// The field name, as in [`Rules`].
    pub name: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Chinese unit.
    pub unit_zh: &'static str,
    /// English unit.
    pub unit_en: &'static str,
    /// Smallest value allowed.
    pub min: f64,
    /// Largest value allowed.
    pub max: f64,
    /// Whether only whole numbers make sense.
    pub whole: bool,
}

const fn field(
    name: &'static str,
    (zh, en): (&'static str, &'static str),
    (unit_zh, unit_en): (&'static str, &'static str),
    (min, max): (f64, f64),
    whole: bool,
) -> RuleField {
    RuleField { name, zh, en, unit_zh, unit_en, min, max, whole }
}

/// The fields of [`Rules`] in display order, with their bounds. The bounds
/// keep a typo from switching a rule off: a zero minimum duration would let
/// any track count, a 500 km/h speed limit would let a car ride pass.
pub const RULE_FIELDS: [RuleField; 8] = [
    field("min_minutes", ("最短时长", "minimum duration"), ("分钟", "min"), (1.0, 600.0), false),
    field("min_distance_m", ("最短距离", "minimum distance"), ("米", "m"), (1.0, 50_000.0), false),
    field("min_interval_minutes", ("两次巡河最短间隔", "minimum interval"), ("分钟", "min"), (0.0, 10_080.0), false),
    field("buffer_m", ("距河道缓冲距离", "river buffer"), ("米", "m"), (10.0, 5_000.0), false),
    field("max_speed_kmh", ("最高速度", "maximum speed"), ("公里/小时", "km/h"), (1.0, 120.0), false),
    field("per_month", ("每月有效巡河次数", "valid patrols a month"), ("次", "times"), (1.0, 31.0), true),
    field("clock_tolerance_minutes", ("时间误差容许", "clock tolerance"), ("分钟", "min"), (0.0, 120.0), false),
    field("replay_m", ("重复轨迹判定距离", "replay distance"), ("米", "m"), (0.5, 50.0), false),
];

impl Rules {
    /// The value of the field `name` (see [`RULE_FIELDS`]).
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "min_minutes" => self.min_minutes,
            "min_distance_m" => self.min_distance_m,
            "min_interval_minutes" => self.min_interval_minutes,
            "buffer_m" => self.buffer_m,
            "max_speed_kmh" => self.max_speed_kmh,
            "per_month" => f64::from(self.per_month),
            "clock_tolerance_minutes" => self.clock_tolerance_minutes,
            "replay_m" => self.replay_m,
            _ => return None,
        })
    }

    /// Sets the field `name` to `value` after checking it against its bounds;
    /// the error names `level.name` and says the range in both languages.
    pub fn set(&mut self, level: ChiefLevel, name: &str, value: f64) -> Result<(), crate::error::Error> {
        let key = format!("{}.{name}", level.as_str());
        let Some(f) = RULE_FIELDS.iter().find(|f| f.name == name) else {
            return Err(crate::error::Error::invalid(key, format!("没有规则项 {name}"), format!("no rule {name}")));
        };
        let whole_ok = !f.whole || value.fract() == 0.0;
        if !value.is_finite() || value < f.min || value > f.max || !whole_ok {
            let (zh_kind, en_kind) = if f.whole { ("整数", "a whole number") } else { ("数值", "a number") };
            return Err(crate::error::Error::invalid(
                key,
                format!("{}{}须为 {}–{} {}的{zh_kind}", level.zh(), f.zh, f.min, f.max, f.unit_zh),
                format!("{}: {} must be {en_kind} from {} to {} {}", level.en(), f.en, f.min, f.max, f.unit_en),
            ));
        }
        match name {
            "min_minutes" => self.min_minutes = value,
            "min_distance_m" => self.min_distance_m = value,
            "min_interval_minutes" => self.min_interval_minutes = value,
            "buffer_m" => self.buffer_m = value,
            "max_speed_kmh" => self.max_speed_kmh = value,
            "per_month" => self.per_month = value as u32,
            "clock_tolerance_minutes" => self.clock_tolerance_minutes = value,
            _ => self.replay_m = value,
        }
        Ok(())
    }
}

/// What was measured of one patrol (see `spatial::track::measure`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    /// Geodesic length of the track, metres.
    pub distance_m: f64,
    /// From the first to the last timestamp (or the declared start and end), minutes.
    pub minutes: f64,
    /// Share of track points farther than the buffer from the river (0–1).
    pub off_river_share: f64,
    /// Fastest speed between consecutive timestamped points, km/h.
    pub max_speed_kmh: f64,
    /// Whether timestamps, where present, never go backwards.
    pub monotonic: bool,
}

/// Why a patrol does not count; an empty list means it is valid.
pub fn verdict(rules: &Rules, m: &Measured, minutes_since_previous: Option<f64>) -> Vec<Msg> {
    let mut reasons = Vec::new();
    if m.minutes < rules.min_minutes {
        reasons.push(Msg::new(
            format!("巡河时长 {:.0} 分钟，少于 {:.0} 分钟", m.minutes, rules.min_minutes),
            format!("the patrol lasted {:.0} min, less than {:.0} min", m.minutes, rules.min_minutes),
        ));
    }
    if m.distance_m < rules.min_distance_m {
        reasons.push(Msg::new(
            format!("巡河里程 {:.0} 米，少于 {:.0} 米", m.distance_m, rules.min_distance_m),
            format!("the patrol covered {:.0} m, less than {:.0} m", m.distance_m, rules.min_distance_m),
        ));
    }
    if let Some(gap) = minutes_since_previous.filter(|gap| *gap < 0.0) {
        // One person does not walk two patrols at once, whatever the interval rule.
        reasons.push(Msg::new(
            format!("与本人上一次巡河时间重叠 {:.0} 分钟", -gap),
            format!("it overlaps the chief's previous patrol by {:.0} min", -gap),
        ));
    } else if let Some(gap) = minutes_since_previous.filter(|gap| *gap < rules.min_interval_minutes) {
        reasons.push(Msg::new(
            format!("距上次巡河仅 {gap:.0} 分钟，少于 {:.0} 分钟", rules.min_interval_minutes),
            format!("only {gap:.0} min since the previous patrol, less than {:.0} min", rules.min_interval_minutes),
        ));
    }
    // A few stray fixes (GPS noise under bridges) are tolerated; a track mostly away from the river is not.
    if m.off_river_share > 0.1 {
        reasons.push(Msg::new(
            format!("{:.0}% 的轨迹点距河道超过 {:.0} 米", m.off_river_share * 100.0, rules.buffer_m),
            format!(
                "{:.0}% of the track lies more than {:.0} m from the river",
                m.off_river_share * 100.0,
                rules.buffer_m
            ),
        ));
    }
    if !m.monotonic {
        reasons.push(Msg::new("轨迹时间戳倒序", "the track's timestamps go backwards"));
    }
    if m.max_speed_kmh > rules.max_speed_kmh {
        reasons.push(Msg::new(
            format!(
                "轨迹中出现 {:.0} 公里/小时的移动速度，超过 {:.0}（疑似跳点）",
                m.max_speed_kmh, rules.max_speed_kmh
            ),
            format!(
                "the track moves at {:.0} km/h somewhere, faster than {:.0} (a jump)",
                m.max_speed_kmh, rules.max_speed_kmh
            ),
        ));
    }
    reasons
}

/// Share of a track's fixes that must lie near an earlier track for the two to
/// be one track (a few fixes may be moved or added by hand).
pub const REPLAY_SHARE: f64 = 0.9;

/// Two logs of the same stretch at the same time (within the clock tolerance)
/// whose fixes lie within this many metres of each other are one walk.
pub const SAME_WALK_M: f64 = 20.0;

/// How a new track repeats one already filed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Repeat {
    /// The very same fixes (coordinates to 1e-6 degree), whatever the times.
    SameFixes,
    /// `share` of the fixes lie within the replay distance of the earlier track:
    /// an old track filed again, perhaps moved a little or with new times.
    Retraced {
        /// Share of the fixes near the earlier track (0–1).
        share: f64,
    },
    /// The same stretch at the same time: one walk filed as two logs.
    SameWalk {
        /// Share of the fixes within [`SAME_WALK_M`] of the earlier track (0–1).
        share: f64,
    },
}

/// Why a log that repeats the earlier log `code` does not count.
pub fn repeat_reason(rules: &Rules, code: &str, repeat: &Repeat) -> Msg {
    match repeat {
        Repeat::SameFixes => Msg::new(
            format!("轨迹与巡河日志 {code} 的定位点完全相同，疑似重复提交或套用旧轨迹"),
            format!("the track has exactly the fixes of patrol log {code}: filed twice or a reused track"),
        ),
        Repeat::Retraced { share } => Msg::new(
            format!(
                "轨迹与巡河日志 {code} 几乎重合（{:.0}% 的定位点距其不足 {:.0} 米），疑似套用旧轨迹",
                share * 100.0,
                rules.replay_m
            ),
            format!(
                "the track retraces patrol log {code} ({:.0}% of its fixes lie within {:.0} m of it): a reused track",
                share * 100.0,
                rules.replay_m
            ),
        ),
        Repeat::SameWalk { share } => Msg::new(
            format!(
                "轨迹与巡河日志 {code} 为同一时间、同一路线（{:.0}% 的定位点距其不足 {SAME_WALK_M:.0} 米），同一次巡河只计一次",
                share * 100.0
            ),
            format!(
                "the track is the same walk at the same time as patrol log {code} ({:.0}% of its fixes lie within \
                 {SAME_WALK_M:.0} m of it): one walk counts once",
                share * 100.0
            ),
        ),
    }
}

/// Why the declared start and end (Unix seconds) disagree with the first and
/// last fix's time, if they do by more than the rule allows.
pub fn clock_reasons(rules: &Rules, declared: (i64, i64), fixes: (i64, i64)) -> Vec<Msg> {
    let mut reasons = Vec::new();
    let tolerance = rules.clock_tolerance_minutes;
    for ((said, recorded), (zh, en, fix_zh, fix_en)) in [
        ((declared.0, fixes.0), ("开始时间", "start", "首个定位点", "first fix")),
        ((declared.1, fixes.1), ("结束时间", "end", "最后定位点", "last fix")),
    ] {
        let minutes = (said - recorded).abs() as f64 / 60.0;
        if minutes > tolerance {
            let (said, recorded) = (clock(said), clock(recorded));
            reasons.push(Msg::new(
                format!(
                    "填报的{zh} {said} 与轨迹{fix_zh}时间 {recorded} 相差 {minutes:.0} 分钟，超过允许的 {tolerance:.0} 分钟"
                ),
                format!(
                    "the declared {en} {said} is {minutes:.0} min from the {fix_en}'s time {recorded}, \
                     more than the {tolerance:.0} min allowed"
                ),
            ));
        }
    }
    reasons
}

/// Fixes further apart in time than this mark a gap in the track: the
/// recorder stopped (paused, the page hidden, the phone asleep), so the line
/// between the two fixes was not walked as recorded.
pub const GAP_S: i64 = 120;

/// A stretch of a track with no fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Index of the last fix before the gap (the next fix starts a new stretch).
    pub after: usize,
    /// How long no fix came, in seconds.
    pub seconds: i64,
}

/// The gaps of a timestamped track: consecutive fixes more than [`GAP_S`] apart.
///
/// ```
/// use gridsafe::domain::patrol::{gaps, Gap};
/// assert_eq!(gaps(&[0, 5, 10, 400, 405]), vec![Gap { after: 2, seconds: 390 }]);
/// assert!(gaps(&[0, 60, 120]).is_empty());
/// ```
pub fn gaps(times: &[i64]) -> Vec<Gap> {
    times
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[1] - w[0] > GAP_S)
        .map(|(i, w)| Gap { after: i, seconds: w[1] - w[0] })
        .collect()
}

/// `YYYY-MM-DD HH:MM`, China time.
fn clock(unix_s: i64) -> String {
    let t = crate::domain::time::china_timestamp(unix_s);
    format!("{} {}", &t[..10], t.get(11..16).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Measured {
        Measured { distance_m: 3200.0, minutes: 55.0, off_river_share: 0.02, max_speed_kmh: 6.0, monotonic: true }
    }

    #[test]
    fn a_good_patrol_passes_and_each_rule_rejects_its_own_fault() {
        let rules = Rules { min_interval_minutes: 120.0, ..Rules::default_for(ChiefLevel::Village) };
        assert!(verdict(&rules, &good(), Some(600.0)).is_empty());
        let faults: [(Measured, Option<f64>, &str); 7] = [
            (Measured { minutes: 12.0, ..good() }, None, "lasted"),
            (Measured { distance_m: 800.0, ..good() }, None, "covered"),
            (good(), Some(45.0), "since the previous"),
            (good(), Some(-46.0), "overlaps the chief's previous patrol by 46 min"),
            (Measured { off_river_share: 0.6, ..good() }, None, "from the river"),
            (Measured { monotonic: false, ..good() }, None, "backwards"),
            (Measured { max_speed_kmh: 95.0, ..good() }, None, "km/h"),
        ];
        for (measured, gap, expected) in faults {
            let reasons = verdict(&rules, &measured, gap);
            assert_eq!(reasons.len(), 1, "{expected}: {reasons:?}");
            assert!(reasons[0].en.contains(expected), "{expected}: {reasons:?}");
        }
    }

    #[test]
    fn declared_times_far_from_the_fixes_are_a_reason_and_a_few_minutes_are_not() {
        let rules = Rules::default_for(ChiefLevel::Town);
        // 2026-11-20T08:30+08:00 and 09:20.
        let (start, end) = (1_795_134_600, 1_795_137_600);
        assert!(clock_reasons(&rules, (start, end), (start + 120, end - 240)).is_empty());
        let day = 86_400;
        let reasons = clock_reasons(&rules, (start + day, end + day), (start, end));
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].zh.contains("2026-11-21 08:30") && reasons[0].zh.contains("2026-11-20 08:30"));
        assert!(reasons[0].en.contains("1440 min"), "{}", reasons[0].en);
        let late_end = clock_reasons(&rules, (start, end + 600), (start, end));
        assert_eq!(late_end.len(), 1);
        assert!(late_end[0].en.contains("declared end"), "{}", late_end[0].en);
    }

    #[test]
    fn a_repeat_names_the_earlier_log() {
        let rules = Rules::default_for(ChiefLevel::Village);
        for repeat in [Repeat::SameFixes, Repeat::Retraced { share: 0.97 }, Repeat::SameWalk { share: 1.0 }] {
            let reason = repeat_reason(&rules, "XH-2026-000007", &repeat);
            assert!(reason.zh.contains("XH-2026-000007") && reason.en.contains("XH-2026-000007"), "{reason:?}");
        }
    }
}
