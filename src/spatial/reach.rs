//! Cutting rivers into reaches (河段), one per village a river crosses.

use geo::{
    BooleanOps, BoundingRect, CoordsIter, Distance, Euclidean, Geodesic, Length, LineLocatePoint, MultiLineString,
    Point,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::grid::GridCode;
use crate::domain::river::RiverCode;
use crate::spatial::features::{GridFeature, RiverFeature};

/// Pieces shorter than this (a river grazing a village corner) are not reaches.
pub const MIN_REACH_M: f64 = 1.0;

/// The part of one river inside one village.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    /// `<river code>-<village code>`, stable while the two codes are.
    pub code: String,
    /// The river this reach belongs to.
    pub river: RiverCode,
    /// The village grid the reach lies in.
    pub grid: GridCode,
    /// Geodesic length in metres.
    pub length_m: f64,
    /// The reach's course.
    pub line: MultiLineString,
}

/// Geodesic length of a (multi)linestring in metres.
///
/// ```
/// let line = geo::wkt!(MULTILINESTRING((118.0 36.0,118.0 36.01)));
/// let m = gridsafe::spatial::reach::length_m(&line);
/// assert!((m - 1109.4).abs() < 1.0, "{m}");
/// ```
pub fn length_m(line: &MultiLineString) -> f64 {
    Geodesic.length(line)
}

/// Where along a river a reach starts: part index plus the fraction along that
/// part of the reach's most upstream vertex. Orders reaches from source to mouth.
fn position_along(river: &MultiLineString, reach: &MultiLineString) -> f64 {
    reach
        .coords_iter()
        .filter_map(|c| {
            let point = Point::from(c);
            river
                .iter()
                .enumerate()
                .map(|(i, part)| (Euclidean.distance(part, &point), i, part))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .and_then(|(_, i, part)| part.line_locate_point(&point).map(|f| i as f64 + f))
        })
        .min_by(f64::total_cmp)
        .unwrap_or(f64::MAX)
}

/// Cuts every river by the village polygons. Reaches come out ordered by river
/// code, then from source to mouth.
pub fn cut(villages: &[&GridFeature], rivers: &[RiverFeature]) -> Vec<Reach> {
    let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
        villages
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.shape
                    .bounding_rect()
                    .map(|r| GeomWithData::new(Rectangle::from_corners(r.min().into(), r.max().into()), i))
            })
            .collect(),
    );
    let mut reaches = Vec::new();
    let mut order = Vec::new();
    for river in rivers {
        let Some(bounds) = river.line.bounding_rect() else {
            continue;
        };
        let envelope = AABB::from_corners(bounds.min().into(), bounds.max().into());
        for candidate in tree.locate_in_envelope_intersecting(&envelope) {
            let village = villages[candidate.data];
            let line = village.shape.clip(&river.line, false);
            let length = length_m(&line);
            if length >= MIN_REACH_M {
                order.push(position_along(&river.line, &line));
                reaches.push(Reach {
                    code: format!("{}-{}", river.river.code, village.grid.code),
                    river: river.river.code.clone(),
                    grid: village.grid.code.clone(),
                    length_m: length,
                    line,
                });
            }
        }
    }
    let mut keyed: Vec<(f64, Reach)> = order.into_iter().zip(reaches).collect();
    keyed.sort_by(|(pa, a), (pb, b)| a.river.cmp(&b.river).then(pa.total_cmp(pb)).then(a.grid.cmp(&b.grid)));
    keyed.into_iter().map(|(_, reach)| reach).collect()
}
