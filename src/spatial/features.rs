//! GeoJSON FeatureCollections in, typed features out.
//!
//! Parsing never stops at the first problem: every feature is checked and every
//! problem is reported with the feature's index and code, so an office can fix a
//! file in one pass. Tree and topology rules live in `validate`.

use std::fmt;

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon, Validation};
use geojson::{Feature, GeometryValue, JsonObject, Position};
use serde_json::Value;

use crate::domain::grid::{Grid, GridCode, GridLevel};
use crate::domain::river::{River, RiverCode};
use crate::error::{Error, Msg};

/// One thing wrong with an imported file, located as precisely as possible.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Zero-based index of the feature in the file, if the problem is about one feature.
    pub index: Option<usize>,
    /// The feature's code, when it has a readable one.
    pub code: Option<String>,
    /// What is wrong.
    pub what: Msg,
}

impl Problem {
    /// A problem with the file as a whole.
    pub fn file(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { index: None, code: None, what: Msg::new(zh, en) }
    }

    /// A problem with feature `index` (code `code`).
    pub fn at(index: usize, code: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { index: Some(index), code: code.map(str::to_owned), what: Msg::new(zh, en) }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, &self.code) {
            (Some(i), Some(code)) => write!(f, "feature #{i} [{code}]: ")?,
            (Some(i), None) => write!(f, "feature #{i}: ")?,
            (None, Some(code)) => write!(f, "[{code}]: ")?,
            (None, None) => {}
        }
        write!(f, "{} / {}", self.what.zh, self.what.en)
    }
}

/// Turns a list of problems into the crate error that rejects a whole file.
pub fn rejection(what_zh: &str, what_en: &str, problems: &[Problem]) -> Error {
    Error::Rejected {
        summary: Msg::new(
            format!("{what_zh}被整体拒绝，共 {} 处问题，数据库未作任何修改", problems.len()),
            format!("{what_en} rejected as a whole, {} problem(s); the database was not changed", problems.len()),
        ),
        problems: problems.iter().map(ToString::to_string).collect(),
    }
}

/// A grid with its (multi)polygon.
#[derive(Debug, Clone, PartialEq)]
pub struct GridFeature {
    /// Identity and place in the tree.
    pub grid: Grid,
    /// The area, always as a multipolygon (a plain polygon has one member).
    pub shape: MultiPolygon,
}

/// A river with its (multi)linestring.
#[derive(Debug, Clone, PartialEq)]
pub struct RiverFeature {
    /// Code and name.
    pub river: River,
    /// The river's course, possibly in several parts.
    pub line: MultiLineString,
}

/// Splits a FeatureCollection text into its raw features, or says why it is not one.
fn features(text: &str) -> Result<Vec<Value>, Vec<Problem>> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| vec![Problem::file(format!("不是有效的 JSON：{e}"), format!("not valid JSON: {e}"))])?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(vec![Problem::file(
            "顶层必须是 GeoJSON FeatureCollection",
            "the top level must be a GeoJSON FeatureCollection",
        )]);
    }
    match doc.get("features") {
        Some(Value::Array(items)) if !items.is_empty() => Ok(items.clone()),
        Some(Value::Array(_)) => Err(vec![Problem::file("文件中没有任何要素", "the file has no features")]),
        _ => Err(vec![Problem::file("缺少 features 数组", "the \"features\" array is missing")]),
    }
}

/// Reads a string property, recording a problem when it is missing or not a string.
fn string_prop(
    props: &JsonObject,
    key: &str,
    index: usize,
    code: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match props.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => {
            problems.push(Problem::at(
                index,
                code,
                format!("缺少属性 {key}（须为非空字符串）"),
                format!("property \"{key}\" is missing (it must be a non-empty string)"),
            ));
            None
        }
    }
}

/// Checks one ring's raw positions: at least four, closed, finite and in WGS84 range.
fn check_ring(
    ring: &[Position],
    label_zh: &str,
    label_en: &str,
    index: usize,
    code: Option<&str>,
    problems: &mut Vec<Problem>,
) -> bool {
    let before = problems.len();
    if ring.len() < 4 {
        problems.push(Problem::at(
            index,
            code,
            format!("{label_zh}只有 {} 个点，至少需要 4 个", ring.len()),
            format!("{label_en} has {} positions, at least 4 are needed", ring.len()),
        ));
    } else if ring.first() != ring.last() {
        problems.push(Problem::at(
            index,
            code,
            format!("{label_zh}未闭合（首尾点不同）"),
            format!("{label_en} is not closed (first and last positions differ)"),
        ));
    }
    check_positions(ring, label_zh, label_en, index, code, problems);
    problems.len() == before
}

/// Checks that every position is a finite WGS84 lon/lat pair.
fn check_positions(
    positions: &[Position],
    label_zh: &str,
    label_en: &str,
    index: usize,
    code: Option<&str>,
    problems: &mut Vec<Problem>,
) {
    let bad = positions.iter().position(|p| {
        let (lon, lat) = (p[0], p[1]);
        !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
    });
    if let Some(at) = bad {
        problems.push(Problem::at(
            index,
            code,
            format!("{label_zh}第 {at} 个点不是有效的 WGS84 经纬度"),
            format!("{label_en} position {at} is not a valid WGS84 longitude/latitude"),
        ));
    }
}

fn to_line(positions: &[Position]) -> LineString {
    positions.iter().map(|p| Coord { x: p[0], y: p[1] }).collect()
}

/// Converts the raw rings of one polygon, checking each ring first.
fn polygon_from_rings(
    rings: &[Vec<Position>],
    part: Option<usize>,
    index: usize,
    code: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<Polygon> {
    let mut ok = !rings.is_empty();
    if rings.is_empty() {
        problems.push(Problem::at(index, code, "多边形没有任何环", "a polygon has no rings"));
    }
    for (r, ring) in rings.iter().enumerate() {
        let (zh, en) = match part {
            Some(p) => (format!("第 {p} 个多边形的第 {r} 个环"), format!("polygon {p} ring {r}")),
            None => (format!("第 {r} 个环"), format!("ring {r}")),
        };
        ok &= check_ring(ring, &zh, &en, index, code, problems);
    }
    ok.then(|| Polygon::new(to_line(&rings[0]), rings[1..].iter().map(|r| to_line(r)).collect()))
}

/// Parses a polygon or multipolygon geometry and checks it is valid (OGC rules:
/// no self-intersection, holes inside shells, parts not overlapping).
fn shape_of(feature: &Feature, index: usize, code: Option<&str>, problems: &mut Vec<Problem>) -> Option<MultiPolygon> {
    let shape = match feature.geometry.as_ref().map(|g| &g.value) {
        Some(GeometryValue::Polygon { coordinates }) => {
            polygon_from_rings(coordinates, None, index, code, problems).map(|p| MultiPolygon::new(vec![p]))
        }
        Some(GeometryValue::MultiPolygon { coordinates }) => {
            let parts: Vec<Option<Polygon>> = coordinates
                .iter()
                .enumerate()
                .map(|(p, rings)| polygon_from_rings(rings, Some(p), index, code, problems))
                .collect();
            parts.into_iter().collect::<Option<Vec<_>>>().map(MultiPolygon::new)
        }
        Some(other) => {
            problems.push(Problem::at(
                index,
                code,
                format!("几何类型必须是 Polygon 或 MultiPolygon，收到 {}", other.type_name()),
                format!("geometry must be a Polygon or MultiPolygon, got {}", other.type_name()),
            ));
            None
        }
        None => {
            problems.push(Problem::at(index, code, "缺少几何图形", "the geometry is missing"));
            None
        }
    }?;
    let invalid = shape.validation_errors();
    if invalid.is_empty() {
        Some(shape)
    } else {
        for reason in invalid {
            problems.push(Problem::at(
                index,
                code,
                format!("多边形无效（自相交或环结构错误）：{reason}"),
                format!("invalid polygon (self-intersection or bad ring structure): {reason}"),
            ));
        }
        None
    }
}

/// Parses a raw JSON feature into `geojson::Feature`, recording a problem on failure.
fn feature_of(raw: Value, index: usize, problems: &mut Vec<Problem>) -> Option<(Feature, JsonObject)> {
    let code_hint = raw.pointer("/properties/code").and_then(Value::as_str).map(str::to_owned);
    match serde_json::from_value::<Feature>(raw) {
        Ok(feature) => {
            let props = feature.properties.clone().unwrap_or_default();
            Some((feature, props))
        }
        Err(e) => {
            problems.push(Problem::at(
                index,
                code_hint.as_deref(),
                format!("不是有效的 GeoJSON 要素：{e}"),
                format!("not a valid GeoJSON feature: {e}"),
            ));
            None
        }
    }
}

/// One feature of a grids file, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct GridEntry {
    /// Zero-based index of the feature in the file.
    pub index: usize,
    /// The feature's code, when it parsed (even if other properties did not).
    pub code: Option<GridCode>,
    /// Its place in the tree, when code, level and parent parsed (a missing
    /// name reads as empty here; it is reported as a problem all the same).
    pub grid: Option<Grid>,
    /// Its area, when the geometry is a valid (multi)polygon.
    pub shape: Option<MultiPolygon>,
}

/// Reads every feature of a grids FeatureCollection as far as it goes, with
/// every problem found on the way, so tree and topology rules can still be
/// checked on the features that are sound. `Err` only when the text is not a
/// FeatureCollection at all.
pub fn read_grids(text: &str) -> Result<(Vec<GridEntry>, Vec<Problem>), Vec<Problem>> {
    let raw = features(text)?;
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(raw.len());
    for (index, raw) in raw.into_iter().enumerate() {
        let Some((feature, props)) = feature_of(raw, index, &mut problems) else {
            continue;
        };
        let code_text = string_prop(&props, "code", index, None, &mut problems);
        let code_ref = code_text.as_deref();
        let code = code_text
            .as_deref()
            .and_then(|c| GridCode::parse(c).map_err(|e| problems.push(field_problem(index, code_ref, &e))).ok());
        let name = string_prop(&props, "name", index, code_ref, &mut problems);
        let level = string_prop(&props, "level", index, code_ref, &mut problems)
            .and_then(|l| GridLevel::parse(&l).map_err(|e| problems.push(field_problem(index, code_ref, &e))).ok());
        let parent = match props.get("parent") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(p)) => {
                GridCode::parse(p.trim()).map(Some).map_err(|e| field_problem(index, code_ref, &e))
            }
            Some(_) => Err(Problem::at(
                index,
                code_ref,
                "属性 parent 必须是字符串或 null",
                "property \"parent\" must be a string or null",
            )),
        };
        let parent = parent.map_err(|p| problems.push(p)).ok();
        let stat_code = match props.get("stat_code") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.clone()),
            Some(_) => {
                problems.push(Problem::at(
                    index,
                    code_ref,
                    "stat_code（统计用区划代码）必须是 12 位数字",
                    "stat_code (statistical area code) must be 12 digits",
                ));
                None
            }
        };
        let shape = shape_of(&feature, index, code_ref, &mut problems);
        let grid = match (&code, level, parent) {
            (Some(code), Some(level), Some(parent)) => {
                Some(Grid { code: code.clone(), name: name.unwrap_or_default(), level, parent, stat_code })
            }
            _ => None,
        };
        out.push(GridEntry { index, code, grid, shape });
    }
    Ok((out, problems))
}

/// Parses a grids FeatureCollection: properties `code`, `name`, `level`,
/// `parent` (null for the town) and optional `stat_code`; Polygon or MultiPolygon.
///
/// Returns every feature or every problem of the features themselves; tree
/// and topology are checked by [`crate::spatial::validate::grids`].
pub fn parse_grids(text: &str) -> Result<Vec<GridFeature>, Vec<Problem>> {
    let (entries, problems) = read_grids(text)?;
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(entries.into_iter().filter_map(|e| Some(GridFeature { grid: e.grid?, shape: e.shape? })).collect())
}

/// Parses a rivers FeatureCollection: properties `code` and `name`;
/// LineString or MultiLineString geometry. Duplicate codes are problems.
pub fn parse_rivers(text: &str) -> Result<Vec<RiverFeature>, Vec<Problem>> {
    let raw = features(text)?;
    let mut problems = Vec::new();
    let mut out: Vec<RiverFeature> = Vec::with_capacity(raw.len());
    for (index, raw) in raw.into_iter().enumerate() {
        let Some((feature, props)) = feature_of(raw, index, &mut problems) else {
            continue;
        };
        let code_text = string_prop(&props, "code", index, None, &mut problems);
        let code_ref = code_text.as_deref();
        let code = code_text
            .as_deref()
            .and_then(|c| RiverCode::parse(c).map_err(|e| problems.push(field_problem(index, code_ref, &e))).ok());
        let name = string_prop(&props, "name", index, code_ref, &mut problems);
        let parts: Option<Vec<&Vec<Position>>> = match feature.geometry.as_ref().map(|g| &g.value) {
            Some(GeometryValue::LineString { coordinates }) => Some(vec![coordinates]),
            Some(GeometryValue::MultiLineString { coordinates }) if !coordinates.is_empty() => {
                Some(coordinates.iter().collect())
            }
            other => {
                let got = other.map_or("nothing", GeometryValue::type_name);
                problems.push(Problem::at(
                    index,
                    code_ref,
                    format!("几何类型必须是 LineString 或 MultiLineString，收到 {got}"),
                    format!("geometry must be a LineString or MultiLineString, got {got}"),
                ));
                None
            }
        };
        let line = parts.and_then(|parts| {
            let before = problems.len();
            for (p, part) in parts.iter().enumerate() {
                if part.len() < 2 {
                    problems.push(Problem::at(
                        index,
                        code_ref,
                        format!("第 {p} 段线只有 {} 个点，至少需要 2 个", part.len()),
                        format!("line part {p} has {} positions, at least 2 are needed", part.len()),
                    ));
                }
                check_positions(
                    part,
                    &format!("第 {p} 段线"),
                    &format!("line part {p}"),
                    index,
                    code_ref,
                    &mut problems,
                );
            }
            (problems.len() == before).then(|| MultiLineString::new(parts.iter().map(|p| to_line(p)).collect()))
        });
        if let Some(code) = &code
            && out.iter().any(|r| &r.river.code == code)
        {
            problems.push(Problem::at(index, code_ref, "河流编码重复", "duplicate river code"));
            continue;
        }
        if let (Some(code), Some(name), Some(line)) = (code, name, line) {
            out.push(RiverFeature { river: River { code, name }, line });
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Turns a field validation error into a located problem.
fn field_problem(index: usize, code: Option<&str>, error: &Error) -> Problem {
    match error {
        Error::Invalid { reason, .. } => Problem::at(index, code, reason.zh.clone(), reason.en.clone()),
        other => Problem::at(index, code, other.to_string(), other.to_string()),
    }
}

/// The GeoJSON geometry of an area: a Polygon when it has one part, else a MultiPolygon.
pub fn area_geometry(shape: &MultiPolygon) -> GeometryValue {
    match shape.0.as_slice() {
        [single] => GeometryValue::from(single),
        _ => GeometryValue::from(shape),
    }
}

/// The GeoJSON geometry of a line: a LineString when it has one part, else a MultiLineString.
pub fn line_geometry(line: &MultiLineString) -> GeometryValue {
    match line.0.as_slice() {
        [single] => GeometryValue::from(single),
        _ => GeometryValue::from(line),
    }
}

/// Serialises a geometry as GeoJSON geometry text (for storage).
pub fn geometry_json(value: &GeometryValue) -> String {
    serde_json::to_string(&geojson::Geometry::new(value.clone())).expect("a geometry always serialises")
}

/// Parses stored GeoJSON geometry text back into a multipolygon.
pub fn multipolygon_from_json(text: &str) -> anyhow::Result<MultiPolygon> {
    let geometry: geojson::Geometry = serde_json::from_str(text)?;
    Ok(match geometry.value {
        GeometryValue::Polygon { .. } => MultiPolygon::new(vec![Polygon::try_from(&geometry.value)?]),
        other => MultiPolygon::try_from(&other)?,
    })
}

/// Parses stored GeoJSON geometry text back into a multilinestring.
pub fn multilinestring_from_json(text: &str) -> anyhow::Result<MultiLineString> {
    let geometry: geojson::Geometry = serde_json::from_str(text)?;
    Ok(match geometry.value {
        GeometryValue::LineString { .. } => MultiLineString::new(vec![LineString::try_from(&geometry.value)?]),
        other => MultiLineString::try_from(&other)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_is_not_a_feature_collection_is_one_file_problem() {
        let problems = parse_grids(r#"{"type":"Feature"}"#).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].index, None);
        let problems = parse_grids("not json").unwrap_err();
        assert!(problems[0].what.en.contains("not valid JSON"));
    }

    #[test]
    fn every_problem_of_every_feature_is_listed() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"name":"x","level":"town"},
           "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
          {"type":"Feature","properties":{"code":"A1","name":"y","level":"city","parent":"A"},
           "geometry":{"type":"Point","coordinates":[0,0]}}]}"#;
        let problems = parse_grids(text).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{text:#?}");
        assert!(text[0].starts_with("feature #0: ") && text[0].contains("\"code\""));
        assert!(text[1].starts_with("feature #1 [A1]: ") && text[1].contains("level"));
        assert!(text[2].contains("Point"));
    }

    #[test]
    fn stored_geometry_round_trips() {
        let poly = geo::wkt!(POLYGON((0. 0.,1. 0.,1. 1.,0. 0.)));
        let text = geometry_json(&GeometryValue::from(&poly));
        assert_eq!(multipolygon_from_json(&text).unwrap(), MultiPolygon::new(vec![poly]));
    }
}
