//! Locate throughput on the demo town: R-tree vs. a linear scan, same points, one run.
//!
//! `cargo bench --bench locate` (set `GRIDSAFE_BENCH_POINTS` to change the
//! default of 1,000,000 random points in the town's bounding box).

use std::hint::black_box;
use std::time::Instant;

use geo::BoundingRect;
use gridsafe::domain::geo_point::Lonlat;
use gridsafe::service::geography::{DEMO_GRIDS, check_grids};
use gridsafe::spatial::Maps;

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn rate(n: usize, seconds: f64) -> String {
    format!("{:>12.0} lookups/s", n as f64 / seconds)
}

fn main() {
    let n: usize = std::env::var("GRIDSAFE_BENCH_POINTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let (grids, _) = check_grids(DEMO_GRIDS).expect("the demo town is valid");
    let maps = Maps::new(grids, Vec::new(), Vec::new());
    let bounds = maps.town().expect("a town").shape.bounding_rect().expect("a non-empty town");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let points: Vec<(f64, f64)> = (0..n)
        .map(|_| (bounds.min().x + rng.unit() * bounds.width(), bounds.min().y + rng.unit() * bounds.height()))
        .collect();
    let index = maps.locate_index();

    let started = Instant::now();
    let rtree: Vec<Option<usize>> = points.iter().map(|&(x, y)| index.locate(black_box(x), black_box(y))).collect();
    let rtree_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let linear: Vec<Option<usize>> =
        points.iter().map(|&(x, y)| index.locate_linear(black_box(x), black_box(y))).collect();
    let linear_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut inside = 0usize;
    for &(x, y) in &points {
        inside += usize::from(maps.locate(Lonlat::parse(x, y).expect("in range")).is_ok());
    }
    let full_s = started.elapsed().as_secs_f64();

    let disagree = rtree.iter().zip(&linear).filter(|(a, b)| a != b).count();
    let villages = maps.villages().count();
    let vertices: usize = maps.villages().map(|v| geo::CoordsIter::coords_count(&v.shape)).sum();
    println!("locate benchmark: {n} random points in the bounding box of the demo town");
    println!("  villages: {villages}, vertices: {vertices}, points inside the town: {inside}");
    println!("  R-tree + exact test      {}  ({rtree_s:.3} s)", rate(n, rtree_s));
    println!("  linear scan              {}  ({linear_s:.3} s)", rate(n, linear_s));
    println!("  Maps::locate (API path)  {}  ({full_s:.3} s, village→community→town chain)", rate(n, full_s));
    println!("  R-tree / linear speed-up: {:.1}x; answers that differ: {disagree}", linear_s / rtree_s);
    assert_eq!(disagree, 0, "the R-tree and the linear scan must agree on every point");
}
