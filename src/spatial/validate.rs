//! The rules a grids file must satisfy before it may replace the town's geography.
//!
//! Problems reject the whole file; gaps in a parent's coverage are only
//! warnings, because real boundaries often leave slivers (roads, river beds)
//! that no village claims.

use std::collections::{HashMap, HashSet};

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, GeodesicArea, Intersects, MultiPolygon, Rect};

use crate::domain::grid::GridLevel;
use crate::spatial::features::{GridFeature, Problem};

/// How much imprecision the topology checks forgive, in square metres and as a
/// share of the child's area; whichever is larger applies.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Absolute allowance in m².
    pub area_m2: f64,
    /// Relative allowance as a fraction of the smaller polygon's area.
    pub share: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        // 100 m² or 0.1 %: about a 1 m wide sliver along a 100 m edge.
        Self { area_m2: 100.0, share: 0.001 }
    }
}

impl Tolerance {
    fn allows(self, excess_m2: f64, reference_m2: f64) -> bool {
        excess_m2 <= self.area_m2.max(self.share * reference_m2)
    }
}

/// What validation found: problems reject the file, warnings are reported only.
#[derive(Debug, Default)]
pub struct Report {
    /// Rule violations, each rejecting the file.
    pub problems: Vec<Problem>,
    /// Coverage gaps and other observations that do not reject the file.
    pub warnings: Vec<Problem>,
}

/// Geodesic area in m², whatever the rings' winding.
///
/// Boolean operations can hand back slivers wound clockwise, whose geodesic
/// area is measured around the rest of the globe; orienting first, and folding
/// anything over half the Earth back, keeps a sliver a sliver.
///
/// ```
/// let square = geo::MultiPolygon::new(vec![geo::wkt!(POLYGON((118.0 36.0,118.01 36.0,118.01 36.01,118.0 36.01,118.0 36.0)))]);
/// let m2 = gridsafe::spatial::validate::area_m2(&square);
/// assert!((m2 - 999_500.0).abs() < 2_000.0, "{m2}");
/// ```
pub fn area_m2(shape: &MultiPolygon) -> f64 {
    const EARTH_M2: f64 = 510_065_621_724_088.0;
    shape
        .iter()
        .map(|polygon| {
            let area = polygon.orient(Direction::Default).geodesic_area_unsigned();
            if area > EARTH_M2 / 2.0 { EARTH_M2 - area } else { area }
        })
        .sum()
}

/// Checks the tree (one town, known parents at the right level, unique
/// hierarchical codes) and the topology (children inside parents, siblings not
/// overlapping, parents covered by their children).
pub fn grids(features: &[GridFeature], tol: Tolerance) -> Report {
    let mut report = Report::default();
    let children = tree(features, &mut report.problems);
    // Topology is only meaningful on a sound tree.
    if report.problems.is_empty() {
        topology(features, &children, tol, &mut report);
    }
    report
}

/// Checks codes, the single town and every parent link; returns each parent's children.
fn tree(features: &[GridFeature], problems: &mut Vec<Problem>) -> HashMap<usize, Vec<usize>> {
    let at = |i: usize, zh: String, en: String| Problem::at(i, Some(features[i].grid.code.as_str()), zh, en);

    let mut by_code: HashMap<&str, usize> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        if let Some(first) = by_code.insert(f.grid.code.as_str(), i) {
            by_code.insert(f.grid.code.as_str(), first);
            problems.push(at(
                i,
                format!("编码重复（与第 {first} 个要素相同）"),
                format!("duplicate code (same as feature #{first})"),
            ));
        }
    }

    let towns: Vec<usize> = (0..features.len()).filter(|&i| features[i].grid.level == GridLevel::Town).collect();
    if towns.len() != 1 {
        problems.push(Problem::file(
            format!("文件必须恰好包含一个镇级网格，实际有 {} 个", towns.len()),
            format!("the file must hold exactly one town grid, it holds {}", towns.len()),
        ));
    }

    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        let grid = &f.grid;
        match (&grid.parent, grid.level.parent_level()) {
            (Some(_), None) => {
                problems.push(at(i, "镇级网格不能有上级".into(), "the town cannot have a parent".into()));
            }
            (None, Some(_)) => problems.push(at(
                i,
                format!("{}级网格必须有上级（parent）", grid.level.zh()),
                format!("a {} grid must have a parent", grid.level),
            )),
            (None, None) => {}
            (Some(parent), Some(want)) => match by_code.get(parent.as_str()) {
                None => {
                    problems.push(at(i, format!("上级编码 {parent} 不存在"), format!("unknown parent code {parent}")));
                }
                Some(&p) if features[p].grid.level != want => problems.push(at(
                    i,
                    format!(
                        "上级 {parent} 是{}级，{}级网格的上级必须是{}级",
                        features[p].grid.level.zh(),
                        grid.level.zh(),
                        want.zh()
                    ),
                    format!(
                        "parent {parent} is a {}, a {}'s parent must be a {want}",
                        features[p].grid.level, grid.level
                    ),
                )),
                Some(&p) => {
                    if !grid.code.as_str().starts_with(parent.as_str()) || grid.code == *parent {
                        problems.push(at(
                            i,
                            format!("编码必须以上级编码 {parent} 开头（层级编码）"),
                            format!("the code must start with its parent's code {parent} (hierarchical codes)"),
                        ));
                    }
                    children.entry(p).or_default().push(i);
                }
            },
        }
    }

    children
}

/// Checks children inside parents and siblings apart (problems), and parents covered (warnings).
fn topology(features: &[GridFeature], children: &HashMap<usize, Vec<usize>>, tol: Tolerance, report: &mut Report) {
    let areas: Vec<f64> = features.iter().map(|f| area_m2(&f.shape)).collect();
    let rects: Vec<Option<Rect>> = features.iter().map(|f| f.shape.bounding_rect()).collect();
    let mut parents: Vec<usize> = children.keys().copied().collect();
    parents.sort_unstable();
    for p in parents {
        let kids = &children[&p];
        let parent = &features[p];
        for &c in kids {
            let outside = area_m2(&features[c].shape.difference(&parent.shape));
            if !tol.allows(outside, areas[c]) {
                report.problems.push(Problem::at(
                    c,
                    Some(features[c].grid.code.as_str()),
                    format!("有 {outside:.0} 平方米超出上级 {} 的范围", parent.grid.code),
                    format!("{outside:.0} m² lie outside its parent {}", parent.grid.code),
                ));
            }
        }
        let mut reported = HashSet::new();
        for (n, &a) in kids.iter().enumerate() {
            for &b in &kids[n + 1..] {
                let touching = match (rects[a], rects[b]) {
                    (Some(ra), Some(rb)) => ra.intersects(&rb),
                    _ => false,
                };
                if !touching {
                    continue;
                }
                let overlap = area_m2(&features[a].shape.intersection(&features[b].shape));
                if !tol.allows(overlap, areas[a].min(areas[b])) && reported.insert((a, b)) {
                    report.problems.push(Problem::at(
                        b,
                        Some(features[b].grid.code.as_str()),
                        format!("与同级网格 {} 重叠 {overlap:.0} 平方米", features[a].grid.code),
                        format!("overlaps its sibling {} by {overlap:.0} m²", features[a].grid.code),
                    ));
                }
            }
        }
        let union = kids.iter().fold(MultiPolygon::new(vec![]), |acc, &c| acc.union(&features[c].shape));
        let gap = area_m2(&parent.shape.difference(&union));
        if !tol.allows(gap, areas[p]) {
            report.warnings.push(Problem::at(
                p,
                Some(parent.grid.code.as_str()),
                format!("下级网格未覆盖 {gap:.0} 平方米（覆盖缺口）"),
                format!("{gap:.0} m² are not covered by any child grid (coverage gap)"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, wkt};

    use super::*;
    use crate::domain::grid::{Grid, GridCode};

    fn grid(code: &str, level: GridLevel, parent: Option<&str>, shape: geo::Polygon) -> GridFeature {
        GridFeature {
            grid: Grid {
                code: GridCode::parse(code).unwrap(),
                name: code.to_owned(),
                level,
                parent: parent.map(|p| GridCode::parse(p).unwrap()),
                stat_code: None,
            },
            shape: MultiPolygon::new(vec![shape]),
        }
    }

    fn town() -> Vec<GridFeature> {
        vec![
            grid(
                "T",
                GridLevel::Town,
                None,
                wkt!(POLYGON((118.0 36.0,118.02 36.0,118.02 36.01,118.0 36.01,118.0 36.0))),
            ),
            grid(
                "T1",
                GridLevel::Community,
                Some("T"),
                wkt!(POLYGON((118.0 36.0,118.02 36.0,118.02 36.01,118.0 36.01,118.0 36.0))),
            ),
            grid(
                "T101",
                GridLevel::Village,
                Some("T1"),
                wkt!(POLYGON((118.0 36.0,118.01 36.0,118.01 36.01,118.0 36.01,118.0 36.0))),
            ),
            grid(
                "T102",
                GridLevel::Village,
                Some("T1"),
                wkt!(POLYGON((118.01 36.0,118.02 36.0,118.02 36.01,118.01 36.01,118.01 36.0))),
            ),
        ]
    }

    #[test]
    fn a_tiled_town_passes_without_warnings() {
        let report = grids(&town(), Tolerance::default());
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    #[test]
    fn a_missing_village_is_a_gap_warning_not_a_problem() {
        let mut features = town();
        features.pop();
        let report = grids(&features, Tolerance::default());
        assert!(report.problems.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].code.as_deref(), Some("T1"));
    }

    #[test]
    fn a_village_whose_code_does_not_extend_its_parent_is_refused() {
        let mut features = town();
        features[3].grid.code = GridCode::parse("X102").unwrap();
        let report = grids(&features, Tolerance::default());
        assert_eq!(report.problems.len(), 1);
        assert!(report.problems[0].what.en.contains("hierarchical"));
    }
}
