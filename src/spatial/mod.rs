//! Geometry: typed GeoJSON features, import validation, the locate index,
//! reach cutting, patrol track input (GeoJSON or GPX) and track metrics.
//! Pure: geo, geojson and rstar, plus quick-xml for GPX; no I/O.

pub mod features;
pub mod locate;
pub mod reach;
pub mod track;
pub mod track_input;
pub mod validate;

use std::collections::HashMap;

use crate::domain::geo_point::Lonlat;
use crate::domain::grid::{GridLevel, GridRef};
use crate::error::{Error, Result};
use features::{GridFeature, RiverFeature};
use locate::LocateIndex;
use reach::Reach;

/// Where a point lies: its village and that village's community and town.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located {
    /// The village grid holding the point.
    pub village: GridRef,
    /// The village's community.
    pub community: GridRef,
    /// The town.
    pub town: GridRef,
}

/// The town's geography in memory: grids by code, the locate index, rivers and reaches.
#[derive(Debug, Clone)]
pub struct Maps {
    grids: Vec<GridFeature>,
    by_code: HashMap<String, usize>,
    villages: Vec<usize>,
    /// Per village (same order as `villages`), its resolved chain; `None` if broken.
    located: Vec<Option<Located>>,
    index: LocateIndex,
    rivers: Vec<RiverFeature>,
    reaches: Vec<Reach>,
    /// Bounding box of each reach (same order), for snapping.
    reach_bounds: Vec<Option<geo::Rect>>,
}

impl Maps {
    /// Builds the in-memory geography. Grids and rivers are sorted by code so
    /// that every listing and every tie-break is deterministic.
    pub fn new(mut grids: Vec<GridFeature>, mut rivers: Vec<RiverFeature>, reaches: Vec<Reach>) -> Self {
        grids.sort_by(|a, b| a.grid.code.cmp(&b.grid.code));
        rivers.sort_by(|a, b| a.river.code.cmp(&b.river.code));
        let by_code = grids.iter().enumerate().map(|(i, g)| (g.grid.code.as_str().to_owned(), i)).collect();
        let villages: Vec<usize> = (0..grids.len()).filter(|&i| grids[i].grid.level == GridLevel::Village).collect();
        let index = LocateIndex::new(villages.iter().map(|&i| grids[i].shape.clone()).collect());
        let reach_bounds = reaches.iter().map(|r| geo::BoundingRect::bounding_rect(&r.line)).collect();
        let mut maps = Self { grids, by_code, villages, located: Vec::new(), index, rivers, reaches, reach_bounds };
        // Resolved once here so a lookup is an index probe, not a walk up the tree.
        maps.located = maps
            .villages
            .iter()
            .map(|&i| match maps.chain(maps.grids[i].grid.code.as_str()).as_slice() {
                [town, community, village] => {
                    Some(Located { village: village.clone(), community: community.clone(), town: town.clone() })
                }
                _ => None,
            })
            .collect();
        maps
    }

    /// All grids, sorted by code.
    pub fn grids(&self) -> &[GridFeature] {
        &self.grids
    }

    /// The village grids, sorted by code.
    pub fn villages(&self) -> impl Iterator<Item = &GridFeature> {
        self.villages.iter().map(|&i| &self.grids[i])
    }

    /// One grid by code.
    pub fn grid(&self, code: &str) -> Option<&GridFeature> {
        self.by_code.get(code).map(|&i| &self.grids[i])
    }

    /// The town grid, if any geography is loaded.
    pub fn town(&self) -> Option<&GridFeature> {
        self.grids.iter().find(|g| g.grid.level == GridLevel::Town)
    }

    /// The chain from the town down to `code` itself; empty for an unknown code.
    pub fn chain(&self, code: &str) -> Vec<GridRef> {
        let mut chain = Vec::new();
        let mut next = self.grid(code);
        while let Some(feature) = next {
            chain.push(GridRef::from(&feature.grid));
            next = feature.grid.parent.as_ref().and_then(|p| self.grid(p.as_str()));
            if chain.len() > GridLevel::ALL.len() {
                break; // a cycle cannot pass import validation; never loop on one anyway
            }
        }
        chain.reverse();
        chain
    }

    /// Resolves a point to village → community → town. A point outside every
    /// village is an error naming the town, never a guess.
    pub fn locate(&self, point: Lonlat) -> Result<&Located> {
        let i = self.index.locate(point.lon, point.lat).ok_or_else(|| {
            let town = self.town().map_or("本镇", |t| t.grid.name.as_str());
            Error::invalid(
                "point",
                format!("坐标 ({}, {}) 不在{town}范围内", point.lon, point.lat),
                format!("the point ({}, {}) is outside {town}", point.lon, point.lat),
            )
        })?;
        self.located[i].as_ref().ok_or_else(|| {
            let code = &self.grids[self.villages[i]].grid.code;
            Error::Internal(anyhow::anyhow!("village {code} has a broken parent chain"))
        })
    }

    /// The locate index over villages (for benchmarks).
    pub fn locate_index(&self) -> &LocateIndex {
        &self.index
    }

    /// All rivers, sorted by code.
    pub fn rivers(&self) -> &[RiverFeature] {
        &self.rivers
    }

    /// One river by code.
    pub fn river(&self, code: &str) -> Option<&RiverFeature> {
        self.rivers.iter().find(|r| r.river.code.as_str() == code)
    }

    /// A grid's code and the codes of every grid below it; empty for an unknown code.
    pub fn descendants(&self, code: &str) -> Vec<String> {
        self.grids
            .iter()
            .filter(|g| self.is_within(g.grid.code.as_str(), code))
            .map(|g| g.grid.code.as_str().to_owned())
            .collect()
    }

    /// Whether `code` is `ancestor` or lies below it.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        let mut next = self.grid(code);
        for _ in 0..=GridLevel::ALL.len() {
            match next {
                Some(g) if g.grid.code.as_str() == ancestor => return true,
                Some(g) => next = g.grid.parent.as_ref().and_then(|p| self.grid(p.as_str())),
                None => return false,
            }
        }
        false
    }

    /// One reach by code.
    pub fn reach(&self, code: &str) -> Option<&Reach> {
        self.reaches.iter().find(|r| r.code == code)
    }

    /// Every reach, by river then source to mouth.
    pub fn reaches(&self) -> &[Reach] {
        &self.reaches
    }

    /// The reach nearest to `point` within `max_m` metres, if any (SPEC §2 snapping).
    ///
    /// Distances use a local equirectangular projection, exact to well under a
    /// metre at the few-hundred-metre scale snapping works at.
    pub fn snap(&self, point: Lonlat, max_m: f64) -> Option<(&Reach, f64)> {
        use geo::{Distance, Euclidean};
        let (kx, ky) = (111_320.0 * point.lat.to_radians().cos(), 110_574.0);
        let project = |c: geo::Coord| geo::Coord { x: (c.x - point.lon) * kx, y: (c.y - point.lat) * ky };
        let origin = geo::Point::new(0.0, 0.0);
        let (dx, dy) = (max_m / kx, max_m / ky);
        self.reaches
            .iter()
            .zip(&self.reach_bounds)
            .filter(|(_, bounds)| {
                bounds.is_some_and(|r| {
                    r.min().x - dx <= point.lon
                        && point.lon <= r.max().x + dx
                        && r.min().y - dy <= point.lat
                        && point.lat <= r.max().y + dy
                })
            })
            .map(|(reach, _)| {
                let local: geo::MultiLineString = reach
                    .line
                    .iter()
                    .map(|part| part.coords().map(|&c| project(c)).collect::<geo::LineString>())
                    .collect();
                (reach, Euclidean.distance(&origin, &local))
            })
            .filter(|(_, d)| *d <= max_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The reaches of one river, source to mouth.
    pub fn reaches_of<'a>(&'a self, river: &'a str) -> impl Iterator<Item = &'a Reach> + 'a {
        self.reaches.iter().filter(move |r| r.river.as_str() == river)
    }
}

/// Great-circle distance between two points in metres (haversine; within
/// 0.1% of geodesic at a town's scale, TIPS).
pub fn distance_m(a: Lonlat, b: Lonlat) -> f64 {
    use geo::Distance;
    geo::Haversine.distance(geo::Point::new(a.lon, a.lat), geo::Point::new(b.lon, b.lat))
}
