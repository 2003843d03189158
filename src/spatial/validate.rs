//! The rules a grids file must satisfy before it may replace the town's geography.
//!
//! Problems reject the whole file; gaps in a parent's coverage are only
//! warnings, because real boundaries often leave slivers (roads, river beds)
//! that no village claims.

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, GeodesicArea, Intersects, MultiPolygon, Rect};

use crate::domain::grid::{GridCode, GridLevel};
use crate::spatial::features::{GridEntry, GridFeature, Problem};

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
    let entries: Vec<GridEntry> = features
        .iter()
        .enumerate()
        .map(|(index, f)| GridEntry {
            index,
            code: Some(f.grid.code.clone()),
            grid: Some(f.grid.clone()),
            shape: Some(f.shape.clone()),
        })
        .collect();
    entries_report(&entries, tol)
}

/// Like [`grids`], over a file read only in part ([`crate::spatial::features::read_grids`]):
/// every rule is checked where it can be, so one pass lists every problem.
///
/// A feature with a tree problem (duplicate code, unknown or wrong parent) or
/// without a valid shape takes no part in the topology checks, and neither do
/// the children of a duplicated code (their parent is ambiguous), so one fault
/// is not reported again as a string of others. Coverage gaps are looked for
/// only in a file with no problem at all.
pub fn entries_report(entries: &[GridEntry], tol: Tolerance) -> Report {
    let mut report = Report::default();
    let children = tree(entries, &mut report.problems);
    topology(entries, &children, tol, &mut report);
    // Parse problems come from the caller; keep everything in file order.
    report.problems.sort_by_key(|p| p.index);
    report
}

/// Checks codes, the single town and every parent link; returns each sound
/// parent's sound children (positions in `entries`).
fn tree(entries: &[GridEntry], problems: &mut Vec<Problem>) -> BTreeMap<usize, Vec<usize>> {
    let at = |k: usize, zh: String, en: String| {
        Problem::at(entries[k].index, entries[k].code.as_ref().map(GridCode::as_str), zh, en)
    };

    let mut by_code: HashMap<&str, usize> = HashMap::new();
    let mut duplicated: HashSet<&str> = HashSet::new();
    let mut flagged: HashSet<usize> = HashSet::new();
    for (k, e) in entries.iter().enumerate() {
        let Some(code) = &e.code else { continue };
        if let Some(&first) = by_code.get(code.as_str()) {
            let first = entries[first].index;
            problems.push(at(
                k,
                format!("编码重复（与第 {first} 个要素相同）"),
                format!("duplicate code (same as feature #{first})"),
            ));
            duplicated.insert(code.as_str());
            flagged.insert(k);
        } else {
            by_code.insert(code.as_str(), k);
        }
    }

    let towns = entries.iter().filter(|e| e.grid.as_ref().is_some_and(|g| g.level == GridLevel::Town)).count();
    // A town whose level could not be read is already a problem of its own.
    let levels_known = entries.iter().all(|e| e.grid.is_some());
    if towns > 1 || (towns == 0 && levels_known) {
        problems.push(Problem::file(
            format!("文件必须恰好包含一个镇级网格，实际有 {towns} 个"),
            format!("the file must hold exactly one town grid, it holds {towns}"),
        ));
    }

    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, e) in entries.iter().enumerate() {
        let Some(grid) = &e.grid else { continue };
        match (&grid.parent, grid.level.parent_level()) {
            (Some(_), None) => {
                problems.push(at(k, "镇级网格不能有上级".into(), "the town cannot have a parent".into()));
            }
            (None, Some(_)) => problems.push(at(
                k,
                format!("{}级网格必须有上级（parent）", grid.level.zh()),
                format!("a {} grid must have a parent", grid.level),
            )),
            (None, None) => {}
            (Some(parent), Some(want)) => match by_code.get(parent.as_str()) {
                None => {
                    problems.push(at(k, format!("上级编码 {parent} 不存在"), format!("unknown parent code {parent}")));
                }
                Some(&p) => {
                    // The parent's own properties are broken (already reported): its level is unknown.
                    let Some(parent_level) = entries[p].grid.as_ref().map(|g| g.level) else { continue };
                    if parent_level != want {
                        problems.push(at(
                            k,
                            format!(
                                "上级 {parent} 是{}级，{}级网格的上级必须是{}级",
                                parent_level.zh(),
                                grid.level.zh(),
                                want.zh()
                            ),
                            format!("parent {parent} is a {parent_level}, a {}'s parent must be a {want}", grid.level),
                        ));
                    } else if !grid.code.as_str().starts_with(parent.as_str()) || grid.code == *parent {
                        problems.push(at(
                            k,
                            format!("编码必须以上级编码 {parent} 开头（层级编码）"),
                            format!("the code must start with its parent's code {parent} (hierarchical codes)"),
                        ));
                    } else if !flagged.contains(&k) && !duplicated.contains(parent.as_str()) {
                        children.entry(p).or_default().push(k);
                    }
                }
            },
        }
    }

    children
}

/// Checks children inside parents and siblings apart (problems), and parents
/// covered (warnings, only when nothing else is wrong). Parents and children
/// without a valid shape are skipped: their shape is already a problem.
fn topology(entries: &[GridEntry], children: &BTreeMap<usize, Vec<usize>>, tol: Tolerance, report: &mut Report) {
    let code = |k: usize| entries[k].code.as_ref().map_or("", GridCode::as_str);
    let at = |k: usize, zh: String, en: String| Problem::at(entries[k].index, Some(code(k)), zh, en);
    let shapes: Vec<Option<&MultiPolygon>> = entries.iter().map(|e| e.shape.as_ref()).collect();
    let areas: Vec<f64> = shapes.iter().map(|s| s.map_or(0.0, area_m2)).collect();
    let rects: Vec<Option<Rect>> = shapes.iter().map(|s| s.and_then(BoundingRect::bounding_rect)).collect();
    let mut gaps = Vec::new();
    for (&p, kids) in children {
        let Some(parent) = shapes[p] else { continue };
        let kids: Vec<(usize, &MultiPolygon)> = kids.iter().filter_map(|&c| Some((c, shapes[c]?))).collect();
        for &(c, shape) in &kids {
            let outside = area_m2(&shape.difference(parent));
            if !tol.allows(outside, areas[c]) {
                report.problems.push(at(
                    c,
                    format!("有 {outside:.0} 平方米超出上级 {} 的范围", code(p)),
                    format!("{outside:.0} m² lie outside its parent {}", code(p)),
                ));
            }
        }
        for (n, &(a, shape_a)) in kids.iter().enumerate() {
            for &(b, shape_b) in &kids[n + 1..] {
                let touching = match (rects[a], rects[b]) {
                    (Some(ra), Some(rb)) => ra.intersects(&rb),
                    _ => false,
                };
                if !touching {
                    continue;
                }
                let overlap = area_m2(&shape_a.intersection(shape_b));
                if !tol.allows(overlap, areas[a].min(areas[b])) {
                    report.problems.push(at(
                        b,
                        format!("与同级网格 {} 重叠 {overlap:.0} 平方米", code(a)),
                        format!("overlaps its sibling {} by {overlap:.0} m²", code(a)),
                    ));
                }
            }
        }
        gaps.push((p, parent, kids));
    }
    if !report.problems.is_empty() {
        return;
    }
    for (p, parent, kids) in gaps {
        let union = kids.iter().fold(MultiPolygon::new(vec![]), |acc, &(_, shape)| acc.union(shape));
        let gap = area_m2(&parent.difference(&union));
        if !tol.allows(gap, areas[p]) {
            report.warnings.push(at(
                p,
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
    fn a_parent_with_broken_properties_is_not_reported_again_as_unknown() {
        // T1's level did not parse (already a problem of its own): its
        // children must not be told that their parent does not exist.
        let mut entries: Vec<GridEntry> = town()
            .into_iter()
            .enumerate()
            .map(|(index, f)| GridEntry {
                index,
                code: Some(f.grid.code.clone()),
                grid: Some(f.grid),
                shape: Some(f.shape),
            })
            .collect();
        entries[1].grid = None;
        entries[3].shape = None;
        let report = entries_report(&entries, Tolerance::default());
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
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
