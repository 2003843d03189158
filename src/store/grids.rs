//! The `grids` table: the town's grid tree with GeoJSON geometry text.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::grid::{Grid, GridCode, GridLevel};
use crate::error::{Error, Result};

/// A stored grid: identity plus its geometry as GeoJSON text.
#[derive(Debug, Clone)]
pub struct GridRow {
    /// Identity and place in the tree.
    pub grid: Grid,
    /// GeoJSON geometry text (Polygon or MultiPolygon).
    pub geometry: String,
}

/// A grids row as stored: code, name, level, parent, stat code, geometry.
type RawGrid = (String, String, String, Option<String>, Option<String>, String);

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawGrid> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

fn to_grid_row(raw: RawGrid) -> Result<GridRow> {
    let (code, name, level, parent, stat_code, geometry) = raw;
    Ok(GridRow {
        grid: Grid {
            code: GridCode::parse(&code)?,
            name,
            level: GridLevel::parse(&level)?,
            parent: parent.as_deref().map(GridCode::parse).transpose()?,
            stat_code,
        },
        geometry,
    })
}

const COLUMNS: &str = "code, name, level, parent_code, stat_code, geometry";

/// Every grid, ordered by code.
pub fn list(conn: &Connection) -> Result<Vec<GridRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM grids ORDER BY code"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.map(|r| to_grid_row(r?)).collect()
}

/// One grid by code.
pub fn get(conn: &Connection, code: &str) -> Result<Option<GridRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM grids WHERE code = ?1"))?
        .query_row([code], from_row)
        .optional()?
        .map(to_grid_row)
        .transpose()
}

/// How many grids are stored.
pub fn count(conn: &Connection) -> Result<usize> {
    let n: i64 = conn.prepare_cached("SELECT count(*) FROM grids")?.query_row([], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or_default())
}

/// Replaces the whole grid tree. Reaches must already be cleared (they reference grids).
/// Run inside a transaction: parents are inserted before children.
pub fn replace_all(conn: &Connection, rows: &[GridRow]) -> Result<()> {
    for level in GridLevel::ALL.iter().rev() {
        conn.prepare_cached("DELETE FROM grids WHERE level = ?1")?.execute([level.as_str()])?;
    }
    let mut insert = conn.prepare_cached(&format!("INSERT INTO grids ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))?;
    for level in GridLevel::ALL {
        for row in rows.iter().filter(|r| r.grid.level == level) {
            let g = &row.grid;
            insert
                .execute(params![
                    g.code.as_str(),
                    g.name,
                    g.level.as_str(),
                    g.parent.as_ref().map(GridCode::as_str),
                    g.stat_code,
                    row.geometry
                ])
                .map_err(|e| crate::store::on_unique(e, "网格编码重复", "duplicate grid code"))?;
        }
    }
    Ok(())
}

/// Records an accepted import of geography.
pub fn log_import(
    conn: &Connection,
    kind: &str,
    source: &str,
    sha256: &str,
    count: usize,
    warnings: &[String],
) -> Result<()> {
    let warnings = serde_json::to_string(warnings).map_err(|e| Error::Internal(e.into()))?;
    conn.prepare_cached(
        "INSERT INTO map_imports (kind, source, sha256, feature_count, warnings) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind, source, sha256, i64::try_from(count).unwrap_or(i64::MAX), warnings])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, level: GridLevel, parent: Option<&str>) -> GridRow {
        GridRow {
            grid: Grid {
                code: GridCode::parse(code).unwrap(),
                name: format!("{code} 名"),
                level,
                parent: parent.map(|p| GridCode::parse(p).unwrap()),
                stat_code: None,
            },
            geometry: r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#.into(),
        }
    }

    #[test]
    fn a_replaced_tree_reads_back_in_code_order() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open_migrated(&dir.path().join("g.db")).unwrap();
        let rows = vec![
            row("T101", GridLevel::Village, Some("T1")),
            row("T", GridLevel::Town, None),
            row("T1", GridLevel::Community, Some("T")),
        ];
        replace_all(&conn, &rows).unwrap();
        replace_all(&conn, &rows).unwrap();
        let codes: Vec<String> = list(&conn).unwrap().into_iter().map(|r| r.grid.code.to_string()).collect();
        assert_eq!(codes, ["T", "T1", "T101"]);
        assert_eq!(get(&conn, "T1").unwrap().unwrap().grid.parent.unwrap().as_str(), "T");
        assert!(get(&conn, "nope").unwrap().is_none());
    }
}
