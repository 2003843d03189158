//! The `rivers` and `reaches` tables.

use rusqlite::{Connection, params};

use crate::domain::grid::GridCode;
use crate::domain::river::{River, RiverCode};
use crate::error::Result;

/// A stored river: code, name and GeoJSON geometry text.
#[derive(Debug, Clone)]
pub struct RiverRow {
    /// Code and name.
    pub river: River,
    /// GeoJSON (Multi)LineString text.
    pub geometry: String,
}

/// A stored reach.
#[derive(Debug, Clone)]
pub struct ReachRow {
    /// `<river>-<village>`.
    pub code: String,
    /// The river.
    pub river: RiverCode,
    /// The village grid.
    pub grid: GridCode,
    /// Geodesic length in metres.
    pub length_m: f64,
    /// GeoJSON (Multi)LineString text.
    pub geometry: String,
}

/// Every river, ordered by code.
pub fn list(conn: &Connection) -> Result<Vec<RiverRow>> {
    let mut stmt = conn.prepare_cached("SELECT code, name, geometry FROM rivers ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
    rows.map(|r| {
        let (code, name, geometry) = r?;
        Ok(RiverRow { river: River { code: RiverCode::parse(&code)?, name }, geometry })
    })
    .collect()
}

/// Every reach, ordered by river then village.
pub fn list_reaches(conn: &Connection) -> Result<Vec<ReachRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, river_code, grid_code, length_m, geometry FROM reaches ORDER BY river_code, seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
    })?;
    rows.map(|r| {
        let (code, river, grid, length_m, geometry) = r?;
        Ok(ReachRow { code, river: RiverCode::parse(&river)?, grid: GridCode::parse(&grid)?, length_m, geometry })
    })
    .collect()
}

/// Replaces every river (and so every reach: call [`replace_reaches`] after).
pub fn replace_all(conn: &Connection, rows: &[RiverRow]) -> Result<()> {
    conn.prepare_cached("DELETE FROM reaches")?.execute([])?;
    conn.prepare_cached("DELETE FROM rivers")?.execute([])?;
    let mut insert = conn.prepare_cached("INSERT INTO rivers (code, name, geometry) VALUES (?1, ?2, ?3)")?;
    for row in rows {
        insert
            .execute(params![row.river.code.as_str(), row.river.name, row.geometry])
            .map_err(|e| crate::store::on_unique(e, "河流编码重复", "duplicate river code"))?;
    }
    Ok(())
}

/// Deletes every reach (before the grids they reference change).
pub fn clear_reaches(conn: &Connection) -> Result<()> {
    conn.prepare_cached("DELETE FROM reaches")?.execute([])?;
    Ok(())
}

/// Replaces the derived reaches; their order in `rows` is kept (source to mouth).
pub fn replace_reaches(conn: &Connection, rows: &[ReachRow]) -> Result<()> {
    clear_reaches(conn)?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO reaches (code, river_code, grid_code, seq, length_m, geometry) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (seq, row) in (0_i64..).zip(rows) {
        insert.execute(params![row.code, row.river.as_str(), row.grid.as_str(), seq, row.length_m, row.geometry])?;
    }
    Ok(())
}
