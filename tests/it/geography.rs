//! Import validation (one failing fixture per rule), reach cutting and locate,
//! through the same functions the CLI and server use.

use gridsafe::domain::geo_point::Lonlat;
use gridsafe::error::Error;
use gridsafe::service::geography::{check_grids, check_rivers};
use gridsafe::spatial::Maps;
use gridsafe::spatial::reach::{self, length_m};

use crate::helpers::fixture_text;

/// Asserts a grids fixture is rejected and returns its problem lines.
#[track_caller]
fn rejected(name: &str) -> Vec<String> {
    match check_grids(&fixture_text(name)) {
        Err(Error::Rejected { problems, .. }) => problems,
        other => panic!("{name} was not rejected: {other:?}"),
    }
}

#[track_caller]
fn assert_one_problem(problems: &[String], starts: &str, contains: &str) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with(starts), "{problems:#?}");
    assert!(problems[0].contains(contains), "{problems:#?}");
}

#[test]
fn the_valid_fixture_passes_with_no_warnings() {
    let (grids, warnings) = check_grids(&fixture_text("grids_valid.geojson")).unwrap();
    assert_eq!(grids.len(), 5);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn an_unclosed_ring_is_rejected_naming_the_feature() {
    assert_one_problem(&rejected("grids_unclosed_ring.geojson"), "feature #3 [T0102]", "not closed");
}

#[test]
fn a_self_intersecting_polygon_is_rejected() {
    let problems = rejected("grids_self_intersection.geojson");
    assert!(!problems.is_empty());
    assert!(
        problems.iter().all(|p| p.starts_with("feature #3 [T0102]") && p.contains("invalid polygon")),
        "{problems:#?}"
    );
}

#[test]
fn a_duplicate_code_is_rejected() {
    assert_one_problem(
        &rejected("grids_duplicate_code.geojson"),
        "feature #4 [T0102]",
        "duplicate code (same as feature #3)",
    );
}

#[test]
fn an_unknown_parent_is_rejected() {
    assert_one_problem(&rejected("grids_unknown_parent.geojson"), "feature #4 [T0903]", "unknown parent code T09");
}

#[test]
fn a_file_with_three_kinds_of_fault_lists_all_three() {
    // T0102 crosses itself, T0903 names the unknown parent T09, and the last
    // feature repeats T0101: one pass must name all three, in file order.
    let problems = rejected("grids_three_faults.geojson");
    assert!(problems[0].starts_with("feature #3 [T0102]") && problems[0].contains("invalid polygon"), "{problems:#?}");
    let rest: Vec<&String> = problems.iter().filter(|p| !p.starts_with("feature #3 [T0102]")).collect();
    assert_eq!(rest.len(), 2, "{problems:#?}");
    assert!(rest[0].starts_with("feature #4 [T0903]") && rest[0].contains("unknown parent code T09"), "{problems:#?}");
    assert!(
        rest[1].starts_with("feature #5 [T0101]") && rest[1].contains("duplicate code (same as feature #2)"),
        "{problems:#?}"
    );
}

#[test]
fn a_rejected_grids_import_writes_nothing() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    gridsafe::store::migrate::run(&mut conn).unwrap();
    gridsafe::service::geography::import_grids(&conn, &fixture_text("grids_valid.geojson"), "fixture").unwrap();
    let count = |c: &rusqlite::Connection| -> (i64, i64) {
        let grids = c.query_row("SELECT count(*) FROM grids", [], |r| r.get(0)).unwrap();
        let imports = c.query_row("SELECT count(*) FROM map_imports", [], |r| r.get(0)).unwrap();
        (grids, imports)
    };
    let before = count(&conn);
    let Err(Error::Rejected { problems, .. }) =
        gridsafe::service::geography::import_grids(&conn, &fixture_text("grids_three_faults.geojson"), "fixture")
    else {
        panic!("the faulty file was accepted");
    };
    assert!(problems.len() >= 3, "{problems:#?}");
    assert_eq!(count(&conn), before);
}

#[test]
fn a_child_outside_its_parent_is_rejected() {
    let problems = rejected("grids_child_outside_parent.geojson");
    // The village pokes out of both its community and its town's extent: the
    // rule is checked against the direct parent, and the overlap rule does not fire.
    assert_one_problem(&problems, "feature #4 [T0103]", "outside its parent T01");
}

#[test]
fn overlapping_siblings_are_rejected() {
    assert_one_problem(&rejected("grids_sibling_overlap.geojson"), "feature #4 [T0103]", "overlaps its sibling T0102");
}

#[test]
fn a_coverage_gap_is_only_a_warning() {
    let (grids, warnings) = check_grids(&fixture_text("grids_gap_warning.geojson")).unwrap();
    assert_eq!(grids.len(), 4);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code.as_deref(), Some("T01"));
    assert!(warnings[0].what.en.contains("not covered"));
}

#[test]
fn every_problem_in_a_rivers_file_is_listed() {
    let Err(Error::Rejected { problems, .. }) = check_rivers(&fixture_text("rivers_invalid.geojson")) else {
        panic!("invalid rivers accepted");
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].starts_with("feature #1 [r1]") && problems[0].contains("duplicate river code"));
    assert!(problems[1].starts_with("feature #2 [r2]") && problems[1].contains("Point"));
}

fn fixture_maps() -> Maps {
    let (grids, _) = check_grids(&fixture_text("grids_valid.geojson")).unwrap();
    let rivers = check_rivers(&fixture_text("rivers_three_squares.geojson")).unwrap();
    let villages: Vec<_> =
        grids.iter().filter(|g| g.grid.level == gridsafe::domain::grid::GridLevel::Village).collect();
    let reaches = reach::cut(&villages, &rivers);
    Maps::new(grids, rivers, reaches)
}

#[test]
fn a_river_crossing_three_squares_has_three_reaches_summing_to_its_length() {
    let maps = fixture_maps();
    let reaches: Vec<_> = maps.reaches_of("r1").collect();
    let codes: Vec<&str> = reaches.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["r1-T0101", "r1-T0102", "r1-T0103"]);
    let sum: f64 = reaches.iter().map(|r| r.length_m).sum();
    let whole = length_m(&maps.river("r1").unwrap().line);
    assert!(whole > 2000.0, "{whole}");
    assert!((sum - whole).abs() / whole < 0.001, "reaches {sum} m vs river {whole} m");
    assert!(reaches.iter().all(|r| r.length_m > 500.0), "{reaches:?}");
}

#[track_caller]
fn village_at(maps: &Maps, lon: f64, lat: f64) -> String {
    maps.locate(Lonlat::parse(lon, lat).unwrap()).unwrap().village.code.to_string()
}

#[test]
fn a_point_inside_resolves_to_village_community_and_town() {
    let maps = fixture_maps();
    let located = maps.locate(Lonlat::parse(118.615, 36.705).unwrap()).unwrap();
    assert_eq!(located.village.code.as_str(), "T0102");
    assert_eq!(located.village.name, "中村");
    assert_eq!(located.community.code.as_str(), "T01");
    assert_eq!(located.town.code.as_str(), "T");
}

#[test]
fn a_point_outside_the_town_is_an_error_not_a_guess() {
    let maps = fixture_maps();
    let Err(Error::Invalid { field, reason }) = maps.locate(Lonlat::parse(118.64, 36.705).unwrap()) else {
        panic!("outside point located");
    };
    assert_eq!(field, "point");
    assert!(reason.zh.contains("测试镇"), "{reason:?}");
}

#[test]
fn border_and_vertex_points_resolve_to_the_lowest_code() {
    let maps = fixture_maps();
    // On the shared edge of T0101 and T0102.
    assert_eq!(village_at(&maps, 118.61, 36.705), "T0101");
    // On the shared vertex of T0102 and T0103 (top edge of the town).
    assert_eq!(village_at(&maps, 118.62, 36.71), "T0102");
    // On the outer boundary: still inside the town.
    assert_eq!(village_at(&maps, 118.63, 36.705), "T0103");
}

#[test]
fn the_demo_town_is_valid_and_locates_every_village_by_an_interior_point() {
    use geo::InteriorPoint;
    let (grids, warnings) = check_grids(gridsafe::service::geography::DEMO_GRIDS).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let villages = grids.iter().filter(|g| g.grid.level == gridsafe::domain::grid::GridLevel::Village).count();
    assert_eq!(villages, 58);
    let maps = Maps::new(grids, Vec::new(), Vec::new());
    for village in maps.villages() {
        let p = village.shape.interior_point().unwrap();
        assert_eq!(village_at(&maps, p.x(), p.y()), village.grid.code.as_str());
    }
}
