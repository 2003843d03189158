//! Patrol track metrics: milliseconds to measure a track against its river
//! (geodesic distance, speeds, share off the river) and to compute its reach
//! coverage, for tracks of 1,000 to 50,000 points (the upload limit).
//!
//! `cargo bench --bench track`

use std::time::Instant;

use gridsafe::spatial::track::{coverage, measure};

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let conn = gridsafe::store::open_migrated(&dir.path().join("bench.db")).expect("a database");
    gridsafe::service::geography::load_demo(&conn).expect("the demo town loads");
    let maps = gridsafe::service::geography::load_maps(&conn).expect("maps");
    let river = maps.river("mihe").expect("the 弥河");
    let reaches: Vec<_> = maps.reaches_of("mihe").cloned().collect();
    println!("track metrics against the 弥河 ({} reaches), one core", reaches.len());
    for points in [1_000usize, 10_000, gridsafe::spatial::track_input::MAX_TRACK_POINTS] {
        // A walk up and down the river at 4 km/h, a fix every ten seconds, 8 m of GPS noise.
        let walk = (0.0, points as f64 * 11.2);
        let (fixes, times) = gridsafe::demo::walk_river(&maps, "mihe", walk, 4.0, 1_790_000_000, (8.0, 7));
        let n = points.min(fixes.len());
        let line: geo::LineString = fixes[..n].iter().map(|&(x, y)| geo::coord! {x: x, y: y}).collect();
        let started = Instant::now();
        let measured = measure(&line, Some(&times[..n]), 0.0, &river.line, 500.0);
        let measuring = started.elapsed();
        let started = Instant::now();
        let covered = coverage(&line, &reaches, 100.0);
        let covering = started.elapsed();
        println!(
            "  {n:>6} points, {:>6.1} km: measure {:>6.1} ms, coverage {:>6.1} ms ({} reaches touched)",
            measured.distance_m / 1000.0,
            measuring.as_secs_f64() * 1000.0,
            covering.as_secs_f64() * 1000.0,
            covered.len()
        );
    }
}
