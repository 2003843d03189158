//! The town's geography as one unit of work: check a file, replace the stored
//! grids or rivers, recompute the reaches, and load it all back into [`Maps`].
//!
//! This is where `spatial` (pure geometry) meets `store` (rows); the CLI and the
//! server both go through it, so an import behaves the same from either.

use rusqlite::Connection;

use crate::domain::grid::GridLevel;
use crate::error::{Error, Result};
use crate::spatial::Maps;
use crate::spatial::features::{
    self, GridFeature, Problem, RiverFeature, area_geometry, geometry_json, line_geometry, multilinestring_from_json,
    multipolygon_from_json,
};
use crate::spatial::reach::{self, Reach};
use crate::spatial::validate::{self, Tolerance};
use crate::store::grids::{self as grid_store, GridRow};
use crate::store::rivers::{self as river_store, ReachRow, RiverRow};

/// The demo town's grids, embedded so `serve --demo` works from any directory.
pub const DEMO_GRIDS: &str = include_str!("../../maps/tanfang/grids.geojson");
/// The demo town's rivers.
pub const DEMO_RIVERS: &str = include_str!("../../maps/tanfang/rivers.geojson");

/// What an accepted import changed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    /// `grids` or `rivers`.
    pub kind: &'static str,
    /// Features stored.
    pub features: usize,
    /// Reaches recomputed.
    pub reaches: usize,
    /// Non-fatal observations (coverage gaps), one line each.
    pub warnings: Vec<String>,
}

/// Parses and validates a grids file; every problem rejects it, and every
/// problem that can be found is listed (feature index, code, what is wrong).
pub fn check_grids(text: &str) -> Result<(Vec<GridFeature>, Vec<Problem>)> {
    let reject = |problems: &[Problem]| features::rejection("网格文件", "grids file", problems);
    let (entries, mut problems) = features::read_grids(text).map_err(|p| reject(&p))?;
    // The tree and topology rules run on whatever could be read, so one
    // rejection lists every problem, not only the first kind found.
    let report = validate::entries_report(&entries, Tolerance::default());
    problems.extend(report.problems);
    problems.sort_by_key(|p| p.index);
    if !problems.is_empty() {
        return Err(reject(&problems));
    }
    let grids = entries
        .into_iter()
        .map(|e| match (e.grid, e.shape) {
            (Some(grid), Some(shape)) => Ok(GridFeature { grid, shape }),
            _ => Err(Error::Internal(anyhow::anyhow!("feature #{} read without problems but incomplete", e.index))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((grids, report.warnings))
}

/// Parses a rivers file; every problem rejects it.
pub fn check_rivers(text: &str) -> Result<Vec<RiverFeature>> {
    features::parse_rivers(text).map_err(|p| features::rejection("河流文件", "rivers file", &p))
}

fn sha256_hex(text: &str) -> String {
    crate::domain::audit::sha256_hex(text.as_bytes())
}

/// Replaces the town's grids with a checked file and recomputes the reaches.
/// Call inside a transaction: on any error nothing is kept.
pub fn import_grids(conn: &Connection, text: &str, source: &str) -> Result<ImportSummary> {
    let (grids, warnings) = check_grids(text)?;
    let rivers = load_rivers(conn)?;
    river_store::clear_reaches(conn)?;
    let rows: Vec<GridRow> = grids
        .iter()
        .map(|g| GridRow { grid: g.grid.clone(), geometry: geometry_json(&area_geometry(&g.shape)) })
        .collect();
    grid_store::replace_all(conn, &rows)?;
    let reaches = store_reaches(conn, &grids, &rivers)?;
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    grid_store::log_import(conn, "grids", source, &sha256_hex(text), grids.len(), &warnings)?;
    Ok(ImportSummary { kind: "grids", features: grids.len(), reaches, warnings })
}

/// Replaces the rivers with a checked file and recomputes the reaches.
/// Call inside a transaction: on any error nothing is kept.
pub fn import_rivers(conn: &Connection, text: &str, source: &str) -> Result<ImportSummary> {
    let rivers = check_rivers(text)?;
    let grids = load_grids(conn)?;
    let rows: Vec<RiverRow> = rivers
        .iter()
        .map(|r| RiverRow { river: r.river.clone(), geometry: geometry_json(&line_geometry(&r.line)) })
        .collect();
    river_store::replace_all(conn, &rows)?;
    let reaches = store_reaches(conn, &grids, &rivers)?;
    grid_store::log_import(conn, "rivers", source, &sha256_hex(text), rivers.len(), &[])?;
    Ok(ImportSummary { kind: "rivers", features: rivers.len(), reaches, warnings: Vec::new() })
}

fn store_reaches(conn: &Connection, grids: &[GridFeature], rivers: &[RiverFeature]) -> Result<usize> {
    let villages: Vec<&GridFeature> = grids.iter().filter(|g| g.grid.level == GridLevel::Village).collect();
    let reaches = reach::cut(&villages, rivers);
    let rows: Vec<ReachRow> = reaches
        .iter()
        .map(|r| ReachRow {
            code: r.code.clone(),
            river: r.river.clone(),
            grid: r.grid.clone(),
            length_m: r.length_m,
            geometry: geometry_json(&line_geometry(&r.line)),
        })
        .collect();
    river_store::replace_reaches(conn, &rows)?;
    Ok(rows.len())
}

fn corrupt(what: &str, code: &str, e: &anyhow::Error) -> Error {
    Error::Internal(anyhow::anyhow!("stored geometry of {what} {code} is unreadable: {e}"))
}

fn load_grids(conn: &Connection) -> Result<Vec<GridFeature>> {
    grid_store::list(conn)?
        .into_iter()
        .map(|row| {
            let shape =
                multipolygon_from_json(&row.geometry).map_err(|e| corrupt("grid", row.grid.code.as_str(), &e))?;
            Ok(GridFeature { grid: row.grid, shape })
        })
        .collect()
}

fn load_rivers(conn: &Connection) -> Result<Vec<RiverFeature>> {
    river_store::list(conn)?
        .into_iter()
        .map(|row| {
            let line =
                multilinestring_from_json(&row.geometry).map_err(|e| corrupt("river", row.river.code.as_str(), &e))?;
            Ok(RiverFeature { river: row.river, line })
        })
        .collect()
}

/// Loads the stored geography into memory.
pub fn load_maps(conn: &Connection) -> Result<Maps> {
    let reaches = river_store::list_reaches(conn)?
        .into_iter()
        .map(|row| {
            let line = multilinestring_from_json(&row.geometry).map_err(|e| corrupt("reach", &row.code, &e))?;
            Ok(Reach { code: row.code, river: row.river, grid: row.grid, length_m: row.length_m, line })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Maps::new(load_grids(conn)?, load_rivers(conn)?, reaches))
}

/// Loads the demo town into an empty database (inside the caller's transaction).
pub fn load_demo(conn: &Connection) -> Result<Vec<ImportSummary>> {
    Ok(vec![
        import_grids(conn, DEMO_GRIDS, "demo:maps/tanfang/grids.geojson")?,
        import_rivers(conn, DEMO_RIVERS, "demo:maps/tanfang/rivers.geojson")?,
    ])
}
