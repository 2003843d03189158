//! Patrol track metrics (SPEC §6): geodesic distance, duration, speed between
//! fixes, how much of the track strays from the river, which reaches the
//! track came near and what share of each, and what tells one track from
//! another (its fingerprint, the index cells it passes, how near its fixes
//! lie to an earlier track).
//!
//! Distances to lines use a local equirectangular projection around the track,
//! exact to well under a metre at the hundreds-of-metres scale these rules use.

use geo::{Coord, Distance, Euclidean, Geodesic, Length, Line, LineString, MultiLineString, Point};
use rstar::RTree;

use crate::domain::patrol::Measured;
use crate::spatial::reach::Reach;

/// A local metric frame around a reference latitude.
#[derive(Debug, Clone, Copy)]
struct Frame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Frame {
    fn around(c: Coord) -> Self {
        Self { lon0: c.x, lat0: c.y, kx: 111_320.0 * c.y.to_radians().cos(), ky: 110_574.0 }
    }

    fn project(self, c: Coord) -> Coord {
        Coord { x: (c.x - self.lon0) * self.kx, y: (c.y - self.lat0) * self.ky }
    }

    fn lines(self, lines: &MultiLineString) -> MultiLineString {
        lines.iter().map(|l| l.coords().map(|&c| self.project(c)).collect::<LineString>()).collect()
    }

    /// The segments of `lines` in this frame, indexed for nearness queries.
    fn segments(self, lines: &MultiLineString) -> Segments {
        let lines = lines
            .iter()
            .flat_map(LineString::lines)
            .map(|l| Line::new(self.project(l.start), self.project(l.end)))
            .collect();
        Segments(RTree::bulk_load(lines))
    }
}

/// Line segments in a local frame under an R-tree, so that "is this point
/// within d metres" costs a logarithmic lookup, not a pass over every
/// segment (a 50,000-point track against a reach, or a track against the river).
struct Segments(RTree<Line>);

impl Segments {
    fn within(&self, p: Coord, metres: f64) -> bool {
        self.0.locate_within_distance(Point::from(p), metres * metres).next().is_some()
    }
}

/// Measures a track against the river it patrols.
///
/// `times` are Unix seconds per point when the phone recorded them; without
/// them the duration is the declared one and no speed can be checked.
pub fn measure(
    track: &LineString,
    times: Option<&[i64]>,
    declared_minutes: f64,
    river: &MultiLineString,
    buffer_m: f64,
) -> Measured {
    // Each leg once, geodesic: the distance and the speeds both use it.
    let legs: Vec<f64> = track.0.windows(2).map(|p| Geodesic.distance(Point::from(p[0]), Point::from(p[1]))).collect();
    let distance_m = legs.iter().sum();
    let Some(first) = track.0.first().copied() else {
        return Measured {
            distance_m,
            minutes: declared_minutes,
            off_river_share: 1.0,
            max_speed_kmh: 0.0,
            monotonic: true,
        };
    };
    let frame = Frame::around(first);
    let river_local = frame.segments(river);
    let off = track.coords().filter(|&&c| !river_local.within(frame.project(c), buffer_m)).count();
    let off_river_share = off as f64 / track.0.len() as f64;
    let (minutes, max_speed_kmh, monotonic) = match times {
        Some(t) if t.len() == track.0.len() && t.len() >= 2 => {
            let monotonic = t.windows(2).all(|w| w[0] <= w[1]);
            let max_speed = legs
                .iter()
                .zip(t.windows(2))
                .filter(|(_, dt)| dt[1] > dt[0])
                .map(|(metres, dt)| metres / (dt[1] - dt[0]) as f64 * 3.6)
                .fold(0.0, f64::max);
            ((t[t.len() - 1] - t[0]) as f64 / 60.0, max_speed, monotonic)
        }
        _ => (declared_minutes, 0.0, true),
    };
    Measured { distance_m, minutes, off_river_share, max_speed_kmh, monotonic }
}

/// Spacing of the sample points laid along a reach to measure coverage.
const SAMPLE_M: f64 = 20.0;

/// The reaches the track came within `within_m` of, each with the share of its
/// length so covered (0–1], in the order given.
pub fn coverage<'a>(track: &LineString, reaches: &'a [Reach], within_m: f64) -> Vec<(&'a Reach, f64)> {
    coverage_of_all(&MultiLineString::new(vec![track.clone()]), reaches, within_m)
}

/// Like [`coverage`] for several tracks together: the share of each reach's
/// length that any of them came within `within_m` of (a month's valid patrols).
pub fn coverage_of_all<'a>(tracks: &MultiLineString, reaches: &'a [Reach], within_m: f64) -> Vec<(&'a Reach, f64)> {
    let Some(first) = tracks.0.iter().find_map(|t| t.0.first().copied()) else { return Vec::new() };
    let frame = Frame::around(first);
    let track_local = frame.segments(tracks);
    reaches
        .iter()
        .filter_map(|reach| {
            let (mut near, mut total) = (0.0, 0.0);
            for part in frame.lines(&reach.line).iter() {
                for segment in part.lines() {
                    let length = Euclidean.length(&segment);
                    let steps = (length / SAMPLE_M).ceil().max(1.0);
                    let piece = length / steps;
                    for i in 0..steps as usize {
                        let f = (i as f64 + 0.5) / steps;
                        let p = Point::new(
                            segment.start.x + (segment.end.x - segment.start.x) * f,
                            segment.start.y + (segment.end.y - segment.start.y) * f,
                        );
                        total += piece;
                        if track_local.within(p.0, within_m) {
                            near += piece;
                        }
                    }
                }
            }
            (total > 0.0 && near > 0.0).then(|| (reach, near / total))
        })
        .collect()
}

/// Side of a cell of the track index, in degrees (about 180 m by 220 m at 36° N).
pub const CELL_DEG: f64 = 0.002;

/// The index cell of a point: `x * 1000000 + y` with `x = floor((lon + 180) /
/// CELL_DEG)`, `y = floor((lat + 90) / CELL_DEG)` (migration 0007 computes the
/// same in SQL for the logs filed before it).
pub fn cell_of(c: Coord) -> i64 {
    let x = ((c.x + 180.0) / CELL_DEG).floor() as i64;
    let y = ((c.y + 90.0) / CELL_DEG).floor() as i64;
    x * 1_000_000 + y
}

/// The index cells a box `[west, south, east, north]` (degrees) touches,
/// with one more cell on every side (a track's fixes a few seconds apart may
/// straddle a corner of the box), as inclusive ranges of cell numbers: one
/// range per column of cells.
///
/// ```
/// use gridsafe::spatial::track::{cell_of, cell_ranges};
/// let ranges = cell_ranges([118.6001, 36.7001, 118.6003, 36.7003]);
/// assert_eq!(ranges.len(), 3);
/// let inside = cell_of(geo::coord! { x: 118.6002, y: 36.7002 });
/// assert!(ranges.iter().any(|&(low, high)| (low..=high).contains(&inside)));
/// ```
pub fn cell_ranges([west, south, east, north]: [f64; 4]) -> Vec<(i64, i64)> {
    let column = |lon: f64| ((lon + 180.0) / CELL_DEG).floor() as i64;
    let row = |lat: f64| ((lat + 90.0) / CELL_DEG).floor() as i64;
    let (y0, y1) = (row(south) - 1, row(north) + 1);
    (column(west) - 1..=column(east) + 1).map(|x| (x * 1_000_000 + y0, x * 1_000_000 + y1)).collect()
}

/// The distinct index cells a track's fixes fall in, in order.
pub fn cells(track: &LineString) -> Vec<i64> {
    let mut cells: Vec<i64> = track.0.iter().map(|&c| cell_of(c)).collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// SHA-256 (hex) of the track's coordinates rounded to 1e-6 degree (about
/// 0.1 m), in order, times left out: equal for the same fixes refiled with
/// other timestamps, or sent once as GeoJSON and once as GPX.
pub fn fingerprint(track: &LineString) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(track.0.len() * 22);
    for c in &track.0 {
        let _ = write!(text, "{},{};", (c.x * 1e6).round() as i64, (c.y * 1e6).round() as i64);
    }
    crate::domain::audit::sha256_hex(text.as_bytes())
}

/// Whether `track` may lie near `earlier` throughout: at least three quarters
/// of 32 fixes spread along it lie within `metres` of `earlier`'s line. A
/// cheap first look before [`share_near`]: a copy passes (nearly every fix is
/// near), while another walk of the same path, whose fixes mostly are not,
/// is set aside after a few thousand distance computations.
pub fn likely_near(track: &LineString, earlier: &LineString, metres: f64) -> bool {
    const SAMPLE: usize = 32;
    let Some(first) = track.0.first().copied() else { return false };
    let frame = Frame::around(first);
    let lines: Vec<Line> = earlier.lines().map(|l| Line::new(frame.project(l.start), frame.project(l.end))).collect();
    let n = track.0.len();
    let take = SAMPLE.min(n);
    let mut misses = 0;
    for i in 0..take {
        let p = Point::from(frame.project(track.0[i * n / take]));
        if !lines.iter().any(|l| Euclidean.distance(l, &p) <= metres) {
            misses += 1;
            if misses * 4 > take {
                return false;
            }
        }
    }
    true
}

/// For each distance, the share (0–1) of `track`'s fixes that lie within it
/// of the line of `earlier`.
///
/// A copy of an old track, even moved by a metre or two here and there, has
/// nearly every fix within a couple of metres of the old line; a new walk of
/// the same path has its own GPS error (several metres, independent from day
/// to day), so far fewer of its fixes fall that close.
///
/// ```
/// let old = geo::wkt!(LINESTRING(118.600 36.7000,118.610 36.7000));
/// let copy = geo::wkt!(LINESTRING(118.600 36.70001,118.605 36.70001,118.610 36.70001));
/// let [near, _] = gridsafe::spatial::track::share_near(&copy, &old, [2.0, 20.0]);
/// assert!((near - 1.0).abs() < 1e-9, "every fix is 1.1 m from the old line");
/// ```
pub fn share_near<const N: usize>(track: &LineString, earlier: &LineString, distances_m: [f64; N]) -> [f64; N] {
    let Some(first) = track.0.first().copied() else { return [0.0; N] };
    let frame = Frame::around(first);
    let segments = frame.segments(&MultiLineString::new(vec![earlier.clone()]));
    let mut near = [0usize; N];
    for &c in &track.0 {
        let p = frame.project(c);
        for (count, metres) in near.iter_mut().zip(distances_m) {
            if segments.within(p, metres) {
                *count += 1;
            }
        }
    }
    near.map(|n| n as f64 / track.0.len() as f64)
}

#[cfg(test)]
mod tests {
    use geo::{Haversine, wkt};

    use super::*;

    fn river() -> MultiLineString {
        wkt!(MULTILINESTRING((118.60 36.70,118.64 36.70)))
    }

    #[test]
    fn distance_and_duration_of_a_known_track() {
        let track = wkt!(LINESTRING(118.600 36.7001,118.610 36.7002,118.620 36.7001,118.630 36.7003));
        let times = [0, 600, 1200, 1800];
        let m = measure(&track, Some(&times), 0.0, &river(), 500.0);
        let independent = Haversine.length(&track);
        assert!((m.distance_m - independent).abs() / independent < 0.005, "{} vs {independent}", m.distance_m);
        assert!((m.distance_m - 2683.0).abs() < 30.0, "{}", m.distance_m);
        assert!((m.minutes - 30.0).abs() < 1e-9);
        assert!(m.max_speed_kmh < 6.0 && m.monotonic);
        assert!(m.off_river_share < 1e-9);
    }

    #[test]
    fn a_jump_a_reversed_clock_and_an_off_river_track_are_measured_as_such() {
        let jump = wkt!(LINESTRING(118.600 36.7001,118.601 36.7001,118.640 36.7001));
        let m = measure(&jump, Some(&[0, 60, 120]), 0.0, &river(), 500.0);
        assert!(m.max_speed_kmh > 100.0, "{}", m.max_speed_kmh);
        let m = measure(&jump, Some(&[0, 60, 30]), 0.0, &river(), 500.0);
        assert!(!m.monotonic);
        let inland = wkt!(LINESTRING(118.600 36.720,118.620 36.720));
        assert!((measure(&inland, None, 40.0, &river(), 500.0).off_river_share - 1.0).abs() < 1e-9);
    }

    #[test]
    fn coverage_counts_only_the_part_of_a_reach_the_track_came_near() {
        let reach = |code: &str, line: MultiLineString| Reach {
            code: code.into(),
            river: crate::domain::river::RiverCode::parse("r").unwrap(),
            grid: crate::domain::grid::GridCode::parse("T0101").unwrap(),
            length_m: Geodesic.length(&line),
            line,
        };
        let reaches = [
            reach("west", wkt!(MULTILINESTRING((118.60 36.70,118.61 36.70)))),
            reach("east", wkt!(MULTILINESTRING((118.61 36.70,118.62 36.70)))),
            reach("far", wkt!(MULTILINESTRING((118.70 36.70,118.71 36.70)))),
        ];
        // Walks the whole west reach and half of the east one, 30 m off the bank.
        let track = wkt!(LINESTRING(118.600 36.70027,118.615 36.70027));
        let covered = coverage(&track, &reaches, 100.0);
        let shares: Vec<(&str, f64)> = covered.iter().map(|(r, s)| (r.code.as_str(), *s)).collect();
        assert_eq!(shares.len(), 2, "{shares:?}");
        assert_eq!(shares[0].0, "west");
        assert!(shares[0].1 > 0.99, "{shares:?}");
        assert_eq!(shares[1].0, "east");
        // Half the reach, plus the ~95 m beyond the track's end still within 100 m
        // (the track runs 30 m off the bank): (447 + 95) / 893 m.
        assert!((shares[1].1 - 0.607).abs() < 0.03, "{shares:?}");
    }
}
