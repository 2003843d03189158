//! Point → village lookup through an R-tree of village bounding boxes.
//!
//! `Contains` is false on a polygon's edge, so a point on a shared border
//! would belong to no village; the exact test is `Intersects` instead, and when
//! several villages claim a point the one with the lowest code wins, so the
//! answer never depends on insertion or query order.

use geo::{Coord, Intersects, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// An index over polygons that answers "which one holds this point".
#[derive(Debug, Clone)]
pub struct LocateIndex {
    tree: RTree<Entry>,
    shapes: Vec<MultiPolygon>,
}

impl LocateIndex {
    /// Builds the index. The position of each shape in `shapes` is what
    /// [`Self::locate`] returns, and the lowest position wins ties, so pass the
    /// shapes sorted by code.
    pub fn new(shapes: Vec<MultiPolygon>) -> Self {
        let entries = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, shape)| {
                geo::BoundingRect::bounding_rect(shape).map(|r| {
                    GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i)
                })
            })
            .collect();
        Self { tree: RTree::bulk_load(entries), shapes }
    }

    /// The lowest-positioned shape that contains or touches `(lon, lat)`.
    ///
    /// ```
    /// use gridsafe::spatial::locate::LocateIndex;
    /// use geo::{MultiPolygon, wkt};
    /// let west = MultiPolygon::new(vec![wkt!(POLYGON((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.)))]);
    /// let east = MultiPolygon::new(vec![wkt!(POLYGON((1. 0.,2. 0.,2. 1.,1. 1.,1. 0.)))]);
    /// let index = LocateIndex::new(vec![west, east]);
    /// assert_eq!(index.locate(0.5, 0.5), Some(0));
    /// assert_eq!(index.locate(1.0, 0.5), Some(0)); // shared border: lowest wins
    /// assert_eq!(index.locate(1.5, 0.5), Some(1));
    /// assert_eq!(index.locate(3.0, 0.5), None);
    /// ```
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        let point = Coord { x: lon, y: lat };
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|entry| entry.data)
            .filter(|&i| self.shapes[i].intersects(&point))
            .min()
    }

    /// The same answer as [`Self::locate`] by testing every shape: the baseline
    /// the benchmark compares the R-tree against.
    pub fn locate_linear(&self, lon: f64, lat: f64) -> Option<usize> {
        let point = Coord { x: lon, y: lat };
        self.shapes.iter().position(|shape| shape.intersects(&point))
    }
}
