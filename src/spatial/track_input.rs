//! A patrol's GPS track as it arrives (SPEC §6): a GeoJSON `LineString` (bare
//! or as a `Feature` with per-point times) or a GPX 1.1 file as phones export
//! it, parsed once into a checked [`Track`]. Every refusal names the field and,
//! for a bad point, its index, so the chief's app can say which fix is wrong.
//! Measuring the track is `spatial::track`'s job, not this module's.

use geo::{Coord, LineString};
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::domain::time::days_from_civil;
use crate::error::{Error, Msg, Result};

/// The most points a track may have.
///
/// One fix a second for about 14 hours: longer than any patrol on foot or by
/// boat, while a phone's default of one fix every few seconds stays far below
/// it. Beyond it the upload is refused with 413 rather than thinned, because a
/// silently thinned track could pass or fail the anti-fake rules differently.
pub const MAX_TRACK_POINTS: usize = 50_000;

/// Earliest accepted timestamp, 2000-01-01T00:00:00Z.
const EARLIEST_S: i64 = 946_684_800;
/// Latest accepted timestamp, 2100-01-01T00:00:00Z. Milliseconds sent as
/// seconds land far beyond it, which is the mistake this bound catches.
const LATEST_S: i64 = 4_102_444_800;

/// A checked patrol track: at least two points, all on the globe, at most
/// [`MAX_TRACK_POINTS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The points in recording order, x = longitude, y = latitude (WGS 84).
    pub line: LineString<f64>,
    /// Unix seconds per point, present only when every point has a time.
    pub times: Option<Vec<i64>>,
}

/// Parses a GeoJSON `LineString` geometry, or a `Feature` whose geometry is
/// one, with optional times in `properties.times` (or `coordTimes`): RFC 3339
/// texts or integer Unix seconds, one per point.
///
/// ```
/// let value = serde_json::json!({
///     "type": "Feature",
///     "geometry": {"type": "LineString", "coordinates": [[118.60, 36.70], [118.61, 36.70]]},
///     "properties": {"times": ["2026-11-20T08:30:00+08:00", "2026-11-20T08:40:00+08:00"]}
/// });
/// let track = gridsafe::spatial::track_input::from_geojson(&value).unwrap();
/// assert_eq!(track.times, Some(vec![1_795_134_600, 1_795_135_200]));
/// ```
pub fn from_geojson(value: &Value) -> Result<Track> {
    let kind = value.get("type").and_then(Value::as_str);
    let (geometry, properties) = match kind {
        Some("Feature") => (value.get("geometry").unwrap_or(&Value::Null), value.get("properties")),
        Some("LineString") => (value, None),
        _ => {
            return Err(Error::invalid(
                "track",
                format!("轨迹须为 GeoJSON LineString 或其 Feature，收到的类型为 {}", type_name(kind)),
                format!("the track must be a GeoJSON LineString or a Feature of one, not {}", type_name(kind)),
            ));
        }
    };
    let geometry_kind = geometry.get("type").and_then(Value::as_str);
    if geometry_kind != Some("LineString") {
        return Err(Error::invalid(
            "track",
            format!("轨迹要素的几何类型须为 LineString，收到的是 {}", type_name(geometry_kind)),
            format!("the track feature's geometry must be a LineString, not {}", type_name(geometry_kind)),
        ));
    }
    let Some(coordinates) = geometry.get("coordinates").and_then(Value::as_array) else {
        return Err(Error::invalid(
            "track",
            "轨迹缺少坐标数组 coordinates",
            "the track's LineString has no coordinates array",
        ));
    };
    check_count(coordinates.len())?;
    let mut coords = Vec::with_capacity(coordinates.len());
    for (i, position) in coordinates.iter().enumerate() {
        let numbers = position.as_array().map(|p| p.iter().map(Value::as_f64).collect::<Vec<_>>());
        let Some([Some(lon), Some(lat), ..]) = numbers.as_deref() else {
            return Err(point_error(
                i,
                "坐标须为 [经度, 纬度] 数字数组",
                "is not a [longitude, latitude] pair of numbers",
            ));
        };
        coords.push(checked(i, *lon, *lat)?);
    }
    let times = match properties.and_then(|p| p.get("times").or_else(|| p.get("coordTimes"))) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(times)) => {
            if times.len() != coords.len() {
                return Err(Error::invalid(
                    "times",
                    format!("时间戳有 {} 个，轨迹点有 {} 个，两者须相等", times.len(), coords.len()),
                    format!("there are {} timestamps for {} points; they must match", times.len(), coords.len()),
                ));
            }
            times.iter().enumerate().map(|(i, t)| json_time(i, t)).collect::<Result<Vec<_>>>()?
        }
        Some(_) => {
            return Err(Error::invalid("times", "时间戳须为数组", "the timestamps must be an array"));
        }
    };
    finish(coords, times)
}

/// Parses a GPX 1.1 file: every `<trkpt>` of every `<trkseg>` of the first
/// `<trk>`, in order, with its optional `<time>` (RFC 3339). Malformed XML,
/// a file that is not GPX, or one without a track is refused.
///
/// ```
/// let gpx = r#"<gpx version="1.1" creator="phone"><trk><trkseg>
///     <trkpt lat="36.70" lon="118.60"><time>2026-11-20T00:30:00Z</time></trkpt>
///     <trkpt lat="36.70" lon="118.61"><time>2026-11-20T00:40:00Z</time></trkpt>
/// </trkseg></trk></gpx>"#;
/// let track = gridsafe::spatial::track_input::from_gpx(gpx).unwrap();
/// assert_eq!(track.line.0.len(), 2);
/// assert_eq!(track.times, Some(vec![1_795_134_600, 1_795_135_200]));
/// ```
pub fn from_gpx(xml: &str) -> Result<Track> {
    let mut reader = quick_xml::Reader::from_str(xml);
    // Open elements, innermost last, as local names (a namespace prefix is dropped).
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    // 0: before the first <trk>, 1: inside it, 2: after it.
    let mut trk_state = 0_u8;
    let mut coords: Vec<Coord> = Vec::new();
    let mut times: Vec<Option<i64>> = Vec::new();
    // The text of the current point's <time>, while inside one.
    let mut time_text: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::invalid(
                "track",
                format!("GPX 文件格式错误（第 {} 字节附近）：{e}", reader.error_position()),
                format!("the GPX file is malformed near byte {}: {e}", reader.error_position()),
            )
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_owned();
                if !seen_root {
                    seen_root = true;
                    if name != "gpx" {
                        return Err(not_gpx(&name));
                    }
                }
                let parent = open.last().map(String::as_str);
                if name == "trk" && parent == Some("gpx") && trk_state == 0 {
                    trk_state = 1;
                } else if name == "trkpt" && parent == Some("trkseg") && trk_state == 1 {
                    let i = coords.len();
                    check_count(i + 1)?;
                    coords.push(gpx_point(i, e)?);
                    times.push(None);
                } else if name == "time" && parent == Some("trkpt") && trk_state == 1 {
                    time_text = Some(String::new());
                }
                if matches!(event, Event::Start(_)) {
                    open.push(name);
                } else if name == "trk" && trk_state == 1 {
                    trk_state = 2;
                }
            }
            Event::End(_) => {
                let name = open.pop().unwrap_or_default();
                if name == "trk" && trk_state == 1 {
                    trk_state = 2;
                }
                if name == "time"
                    && let Some(text) = time_text.take()
                {
                    let i = coords.len().saturating_sub(1);
                    let unix = parse_rfc3339(text.trim()).ok_or_else(|| time_error(i, text.trim()))?;
                    if let Some(slot) = times.last_mut() {
                        *slot = Some(in_range(i, unix)?);
                    }
                }
            }
            Event::Text(ref t) => {
                if let Some(text) = time_text.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(ref t) => {
                if let Some(text) = time_text.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(not_gpx(""));
    }
    // The reader checks that end tags match; only a file cut short leaves elements open.
    if let Some(name) = open.last() {
        return Err(Error::invalid(
            "track",
            format!("GPX 文件不完整：元素 <{name}> 未闭合"),
            format!("the GPX file ends before <{name}> is closed"),
        ));
    }
    if trk_state == 0 {
        return Err(Error::invalid("track", "GPX 文件中没有轨迹（trk）", "the GPX file holds no track (trk)"));
    }
    finish(coords, times)
}

/// Unix seconds of an RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`
/// (`t`, `z` and a space for the `T` are accepted too); fractions of a second
/// are dropped. `None` for anything else, including impossible dates.
///
/// ```
/// use gridsafe::spatial::track_input::parse_rfc3339;
/// assert_eq!(parse_rfc3339("2026-11-20T08:30:05+08:00"), parse_rfc3339("2026-11-20T00:30:05Z"));
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:00.5Z"), Some(0));
/// assert_eq!(parse_rfc3339("2026-02-30T00:00:00Z"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    // Up to 60 for a leap second, which then counts as the next minute's first.
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &tail[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 60 + m) * 60;
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0_i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The checks both formats share once the points are read; `times` is
/// empty or one per point, `None` where a point has no time.
fn finish(coords: Vec<Coord>, times: Vec<Option<i64>>) -> Result<Track> {
    check_count(coords.len())?;
    if coords.len() < 2 {
        return Err(Error::invalid(
            "track",
            format!("轨迹至少需要 2 个点，收到 {} 个", coords.len()),
            format!("a track needs at least 2 points, this one has {}", coords.len()),
        ));
    }
    let times = if times.len() == coords.len() { times.into_iter().collect::<Option<Vec<i64>>>() } else { None };
    Ok(Track { line: LineString::new(coords), times })
}

/// Refuses a track with more than [`MAX_TRACK_POINTS`] points (413).
fn check_count(n: usize) -> Result<()> {
    if n > MAX_TRACK_POINTS {
        return Err(Error::TooLarge(Msg::new(
            format!("轨迹点超过 {MAX_TRACK_POINTS} 个的上限（约每秒一个点连续 14 小时），请分段上传"),
            format!("a track may have at most {MAX_TRACK_POINTS} points (one a second for about 14 hours); split it"),
        )));
    }
    Ok(())
}

/// A point checked to lie on the globe.
fn checked(i: usize, lon: f64, lat: f64) -> Result<Coord> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(point_error(
            i,
            &format!("经度 {lon} 超出 [-180, 180]"),
            &format!("has longitude {lon}, outside [-180, 180]"),
        ));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(point_error(
            i,
            &format!("纬度 {lat} 超出 [-90, 90]"),
            &format!("has latitude {lat}, outside [-90, 90]"),
        ));
    }
    Ok(Coord { x: lon, y: lat })
}

/// The `lat` and `lon` attributes of a `<trkpt>`. A repeated attribute is
/// malformed XML and refused, not resolved by picking one.
fn gpx_point(i: usize, e: &BytesStart<'_>) -> Result<Coord> {
    let (mut lon, mut lat) = (None, None);
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| {
            point_error(i, &format!("的属性格式错误：{err}"), &format!("has a malformed attribute: {err}"))
        })?;
        let slot = match attribute.key.local_name().as_ref() {
            "lon" => &mut lon,
            "lat" => &mut lat,
            _ => continue,
        };
        let text = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok();
        *slot = text.and_then(|t| t.trim().parse::<f64>().ok());
    }
    match (lon, lat) {
        (Some(lon), Some(lat)) => checked(i, lon, lat),
        _ => Err(point_error(i, "缺少数字形式的 lat 或 lon 属性", "lacks a numeric lat or lon attribute")),
    }
}

/// One GeoJSON timestamp: an RFC 3339 text, integer Unix seconds, or null.
fn json_time(i: usize, value: &Value) -> Result<Option<i64>> {
    let unix = match value {
        Value::Null => return Ok(None),
        Value::String(s) => parse_rfc3339(s.trim()).ok_or_else(|| time_error(i, s))?,
        Value::Number(n) => match n.as_i64() {
            Some(s) => s,
            None => return Err(time_error(i, &n.to_string())),
        },
        other => return Err(time_error(i, &other.to_string())),
    };
    in_range(i, unix).map(Some)
}

fn in_range(i: usize, unix: i64) -> Result<i64> {
    if (EARLIEST_S..LATEST_S).contains(&unix) {
        Ok(unix)
    } else {
        Err(Error::invalid(
            format!("times[{i}]"),
            format!("第 {} 个轨迹点的时间 {unix} 不在 2000 年至 2100 年之间（时间戳应以秒计，不是毫秒）", i + 1),
            format!("point {} has time {unix}, outside 2000–2100 (Unix seconds, not milliseconds)", i + 1),
        ))
    }
}

fn time_error(i: usize, text: &str) -> Error {
    Error::invalid(
        format!("times[{i}]"),
        format!("第 {} 个轨迹点的时间“{text}”无法识别，应为 RFC 3339 格式，如 2026-11-20T08:30:05+08:00", i + 1),
        format!("point {} has time {text:?}, not RFC 3339 like 2026-11-20T08:30:05+08:00", i + 1),
    )
}

/// An error about one point; the field carries the zero-based index, the
/// messages count from one as people do.
fn point_error(i: usize, zh: &str, en: &str) -> Error {
    Error::invalid(format!("track[{i}]"), format!("第 {} 个轨迹点{zh}", i + 1), format!("point {} {en}", i + 1))
}

fn not_gpx(root: &str) -> Error {
    if root.is_empty() {
        return Error::invalid(
            "track",
            "不是 GPX 文件：没有 <gpx> 根元素",
            "not a GPX file: there is no <gpx> root element",
        );
    }
    Error::invalid(
        "track",
        format!("不是 GPX 文件：根元素应为 <gpx>，而不是 <{root}>"),
        format!("not a GPX file: the root element is <{root}>, not <gpx>"),
    )
}

fn type_name(kind: Option<&str>) -> &str {
    kind.unwrap_or("(无 type)")
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use serde_json::json;

    use super::*;

    const POINTS: [(&str, &str); 4] =
        [("118.6001", "36.7001"), ("118.6052", "36.7003"), ("118.6103", "36.7002"), ("118.6150", "36.7006")];
    const TIMES: [&str; 4] = [
        "2026-11-20T08:30:05+08:00",
        "2026-11-20T08:40:05+08:00",
        "2026-11-20T08:50:05+08:00",
        "2026-11-20T09:00:05+08:00",
    ];

    fn geojson() -> Value {
        let coordinates: Vec<Value> =
            POINTS.iter().map(|(lon, lat)| json!([lon.parse::<f64>().unwrap(), lat.parse::<f64>().unwrap()])).collect();
        json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates},
               "properties": {"times": TIMES}})
    }

    fn gpx(points: &[(&str, &str)], times: Option<&[&str]>) -> String {
        let mut out = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OruxMaps" xmlns="http://www.topografix.com/GPX/1/1">
  <metadata><name>巡河</name><time>2026-11-20T00:30:00Z</time></metadata>
  <trk><name>弥河</name><trkseg>
"#,
        );
        for (i, (lon, lat)) in points.iter().enumerate() {
            // The first segment holds two points, the rest go in a second one.
            if i == 2 {
                out.push_str("</trkseg><trkseg>\n");
            }
            let time = times.map(|t| format!("<ele>52.1</ele><time>{}</time>", t[i])).unwrap_or_default();
            writeln!(out, "<trkpt lat=\"{lat}\" lon=\"{lon}\">{time}</trkpt>").unwrap();
        }
        out.push_str("</trkseg></trk>\n<trk><trkseg><trkpt lat=\"1\" lon=\"1\"/></trkseg></trk></gpx>");
        out
    }

    fn field_of(result: Result<Track>) -> String {
        match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn the_same_track_as_geojson_and_as_gpx_parses_to_the_same_value() {
        let from_json = from_geojson(&geojson()).unwrap();
        let from_xml = from_gpx(&gpx(&POINTS, Some(&TIMES))).unwrap();
        assert_eq!(from_json, from_xml);
        assert_eq!(from_json.line.0.len(), 4);
        assert_eq!(from_json.line.0[1], Coord { x: 118.6052, y: 36.7003 });
        let times = from_json.times.unwrap();
        assert_eq!(times[0], days_from_civil(2026, 11, 20) * 86_400 + 30 * 60 + 5);
        assert_eq!(times.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>(), [600, 600, 600]);
    }

    #[test]
    fn a_bare_linestring_and_coord_times_and_integer_seconds_are_accepted() {
        let bare = json!({"type": "LineString", "coordinates": [[118.6, 36.7, 52.0], [118.61, 36.7, 53.0]]});
        assert_eq!(from_geojson(&bare).unwrap().times, None);
        let mut feature = geojson();
        feature["properties"] = json!({"coordTimes": [1_795_134_605, 1_795_135_205, 1_795_135_805, 1_795_136_405]});
        assert_eq!(from_geojson(&feature).unwrap(), from_geojson(&geojson()).unwrap());
    }

    #[test]
    fn a_track_where_some_points_lack_a_time_has_no_times() {
        let mut feature = geojson();
        feature["properties"]["times"][2] = Value::Null;
        assert_eq!(from_geojson(&feature).unwrap().times, None);
        let mut text = gpx(&POINTS, Some(&TIMES));
        text = text.replacen("<time>2026-11-20T08:50:05+08:00</time>", "", 1);
        let track = from_gpx(&text).unwrap();
        assert_eq!((track.line.0.len(), track.times), (4, None));
    }

    #[test]
    fn times_in_utc_and_in_china_time_give_the_same_seconds() {
        let utc = parse_rfc3339("2026-11-20T00:30:05Z").unwrap();
        assert_eq!(parse_rfc3339("2026-11-20T08:30:05+08:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-11-19T19:30:05-05:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-11-20t00:30:05.123z"), Some(utc));
        assert_eq!(utc, 1_795_134_605);
        for bad in [
            "2026-11-20",
            "2026-11-20T08:30:05",
            "2026-13-01T00:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T08:30:05+8:00",
            "2026-11-20T08:30:05.Z",
            "２026-11-20T08:30:05Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert!(parse_rfc3339("2028-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2026-02-29T00:00:00Z").is_none());
    }

    #[test]
    fn a_track_of_one_point_is_refused_naming_the_track() {
        let one = json!({"type": "LineString", "coordinates": [[118.6, 36.7]]});
        assert_eq!(field_of(from_geojson(&one)), "track");
        assert_eq!(field_of(from_gpx(&gpx(&POINTS[..1], None))), "track");
        assert_eq!(field_of(from_gpx(r#"<gpx version="1.1"><trk><trkseg/></trk></gpx>"#)), "track");
    }

    #[test]
    fn a_point_off_the_globe_is_refused_naming_its_index() {
        let track = json!({"type": "LineString", "coordinates": [[118.6, 36.7], [118.61, 36.7], [218.6, 36.7]]});
        assert_eq!(field_of(from_geojson(&track)), "track[2]");
        let track = json!({"type": "LineString", "coordinates": [[118.6, 36.7], [118.61, -96.7]]});
        assert_eq!(field_of(from_geojson(&track)), "track[1]");
        let track = json!({"type": "LineString", "coordinates": [[118.6, 36.7], ["118.61", 36.7]]});
        assert_eq!(field_of(from_geojson(&track)), "track[1]");
        let mut points = POINTS;
        points[3] = ("118.6", "NaN");
        let Err(Error::Invalid { field, reason }) = from_gpx(&gpx(&points, None)) else { panic!("NaN accepted") };
        assert_eq!(field, "track[3]");
        assert!(reason.zh.contains("第 4 个轨迹点") && reason.en.contains("point 4"), "{reason}");
        let missing = gpx(&POINTS, None).replacen(r#"lon="118.6052""#, "", 1);
        assert_eq!(field_of(from_gpx(&missing)), "track[1]");
    }

    #[test]
    fn an_unreadable_time_is_refused_naming_its_point() {
        let mut feature = geojson();
        feature["properties"]["times"][1] = json!("20 Nov 2026 08:40");
        assert_eq!(field_of(from_geojson(&feature)), "times[1]");
        feature["properties"]["times"][1] = json!(1_795_135_205_000_i64);
        assert_eq!(field_of(from_geojson(&feature)), "times[1]");
        feature["properties"]["times"] = json!(TIMES[..3]);
        assert_eq!(field_of(from_geojson(&feature)), "times");
        let mut times = TIMES;
        times[2] = "yesterday";
        assert_eq!(field_of(from_gpx(&gpx(&POINTS, Some(&times)))), "times[2]");
    }

    #[test]
    fn malformed_geojson_and_gpx_are_refused_not_panicked_on() {
        for value in [
            json!(null),
            json!([1, 2]),
            json!({"type": "Point", "coordinates": [118.6, 36.7]}),
            json!({"type": "Feature", "geometry": null, "properties": {}}),
            json!({"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": []}}),
            json!({"type": "LineString"}),
            json!({"type": "LineString", "coordinates": [[118.6], [118.7]]}),
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[118.6, 36.7], [118.7, 36.7]]},
                   "properties": {"times": "2026-11-20T08:30:05Z"}}),
        ] {
            assert!(matches!(from_geojson(&value), Err(Error::Invalid { .. })), "{value}");
        }
        let good = gpx(&POINTS, Some(&TIMES));
        for text in [
            "",
            "not xml at all",
            "<kml><Document/></kml>",
            r#"<gpx version="1.1"><wpt lat="36.7" lon="118.6"/></gpx>"#,
            &good[..good.len() / 2],
            &good.replace("</trkseg></trk>\n<trk>", "</trk>\n<trk>"),
            &good.replacen("<trkpt lat", "<trkpt lat=\"36.7\" lat", 1),
            "<gpx><trk><trkseg><trkpt lat=\"36.7\" lon=\"118.6\"></trkseg></trk></gpx>",
        ] {
            let result = from_gpx(text);
            assert!(
                matches!(result, Err(Error::Invalid { ref field, .. }) if field.starts_with("track")),
                "{text:?}: {result:?}"
            );
        }
    }

    #[test]
    fn exactly_the_limit_is_accepted_and_one_more_point_is_too_large() {
        let line = |n: usize| -> Vec<[f64; 2]> { (0..n).map(|i| [118.6 + i as f64 * 1e-6, 36.7]).collect() };
        let at_limit = json!({"type": "LineString", "coordinates": line(MAX_TRACK_POINTS)});
        assert_eq!(from_geojson(&at_limit).unwrap().line.0.len(), MAX_TRACK_POINTS);
        let over = json!({"type": "LineString", "coordinates": line(MAX_TRACK_POINTS + 1)});
        assert!(matches!(from_geojson(&over), Err(Error::TooLarge(_))));

        let gpx_of = |n: usize| -> String {
            let mut points = String::new();
            for i in 0..n {
                write!(points, r#"<trkpt lat="36.7" lon="{}"/>"#, 118.6 + i as f64 * 1e-6).unwrap();
            }
            format!(r#"<gpx version="1.1"><trk><trkseg>{points}</trkseg></trk></gpx>"#)
        };
        assert_eq!(from_gpx(&gpx_of(MAX_TRACK_POINTS)).unwrap().line.0.len(), MAX_TRACK_POINTS);
        assert!(matches!(from_gpx(&gpx_of(MAX_TRACK_POINTS + 1)), Err(Error::TooLarge(_))));
    }
}
