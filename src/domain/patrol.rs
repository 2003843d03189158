//! River patrols (巡河日志): the anti-fake rules per chief level (SPEC §6) as
//! settings, and the verdict a measured track gets against them. Pure: the
//! measurements come from `spatial::track`.

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
}

impl Rules {
    /// Shandong practice (TIPS): 30 minutes, 2 km, a 500 m river buffer, 30 km/h;
    /// a town-level chief patrols 3 times a month, a village chief weekly (about 4).
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
        }
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
    if let Some(gap) = minutes_since_previous.filter(|gap| *gap < rules.min_interval_minutes) {
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
        let faults: [(Measured, Option<f64>, &str); 6] = [
            (Measured { minutes: 12.0, ..good() }, None, "lasted"),
            (Measured { distance_m: 800.0, ..good() }, None, "covered"),
            (good(), Some(45.0), "since the previous"),
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
}
