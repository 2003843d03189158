//! River patrols (巡河, SPEC §6) as units of work: filing a log (track parsed
//! and measured, the anti-fake verdict, including declared times that disagree
//! with the fixes and a track that repeats one already filed, findings opened
//! as river cases, one audit entry), review by the chief one level up or the
//! 河长办, and monthly compliance per chief with reach coverage. Each runs
//! inside the caller's transaction, so nothing is half-written.

use std::collections::{BTreeMap, BTreeSet};

use geo::{LineString, MultiLineString};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::patrol::{self, RECORD_TYPES, REPLAY_SHARE, Repeat, Rules, SAME_WALK_M};
use crate::domain::people::{ChiefLevel, Role, ScopeItem};
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Msg, Result};
use crate::service::accounts::Actor;
use crate::service::cases::{self, CaseInput};
use crate::service::printable::{self, printable};
use crate::spatial::Maps;
use crate::spatial::track::{cells, coverage, coverage_of_all, fingerprint, likely_near, measure, share_near};
use crate::spatial::track_input::{self, Track};
use crate::store::audit::{self as audit_store, Note};
use crate::store::patrols::{self as store, PatrolRow};

/// A reach counts as touched when the track came within this distance.
pub const COVERAGE_M: f64 = 100.0;

/// One checklist line: a record type and what was seen.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// One of the eight record types (水体, 河面, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// `normal` or `finding`.
    pub status: String,
    /// What was found.
    #[serde(default)]
    pub note: Option<String>,
}

/// A finding: it becomes a `river` case snapped to its reach.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    /// The record type it falls under (sets the case category).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// What was found.
    pub description: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Photo media ids (at least one).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// A patrol log as filed: the track as GeoJSON (`track`) or GPX 1.1 text (`gpx`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolInput {
    /// River code.
    pub river: String,
    /// Start, RFC 3339.
    pub started_at: String,
    /// End, RFC 3339.
    pub ended_at: String,
    /// GeoJSON LineString (or a Feature with `properties.times`).
    #[serde(default)]
    pub track: Option<Value>,
    /// GPX 1.1 document, instead of `track`.
    #[serde(default)]
    pub gpx: Option<String>,
    /// The checklist over the record types.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// Findings, each opened as a river case.
    #[serde(default)]
    pub findings: Vec<FindingInput>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Photo media ids.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// Whether a chief of `level` ranks above one of `other`.
pub fn outranks(level: &str, other: &str) -> bool {
    rank(level) > rank(other)
}

/// The level rank: a reviewer must rank above the log's chief.
fn rank(level: &str) -> u8 {
    match level {
        "town" => 2,
        "community" => 1,
        _ => 0,
    }
}

/// The level at which the actor is a chief of `river`, if they are one (their highest).
pub fn chief_level(maps: &Maps, actor: &Actor, river: &str) -> Option<ChiefLevel> {
    actor
        .assignments
        .iter()
        .filter(|a| a.role == Role::RiverChief)
        .filter(|a| {
            a.scope.iter().any(|item| match item {
                ScopeItem::River(code) => code == river,
                ScopeItem::Reach(code) => maps.reach(code).is_some_and(|r| r.river.as_str() == river),
                _ => false,
            })
        })
        .map(|a| a.level.unwrap_or(ChiefLevel::Village))
        .max_by_key(|l| rank(l.as_str()))
}

fn parse_time(field: &str, text: &str) -> Result<i64> {
    track_input::parse_rfc3339(text).ok_or_else(|| {
        Error::invalid(
            field,
            format!("时间格式须为 RFC 3339（如 2026-11-20T08:30:00+08:00），收到 “{text}”"),
            format!("{field} must be RFC 3339 (e.g. 2026-11-20T08:30:00+08:00), got \"{text}\""),
        )
    })
}

fn read_track(input: &PatrolInput) -> Result<Track> {
    match (&input.track, &input.gpx) {
        (Some(value), None) => track_input::from_geojson(value),
        (None, Some(xml)) => track_input::from_gpx(xml),
        _ => Err(Error::invalid(
            "track",
            "须提供轨迹：GeoJSON（track）或 GPX（gpx）二选一",
            "give the track as GeoJSON (track) or GPX (gpx), exactly one",
        )),
    }
}

fn check_checklist(items: &[ChecklistItem]) -> Result<()> {
    for (i, item) in items.iter().enumerate() {
        if !RECORD_TYPES.contains(&item.kind.as_str()) {
            return Err(Error::invalid(
                format!("checklist[{i}].type"),
                format!("记录类型须为 {} 之一，收到 “{}”", RECORD_TYPES.join("、"), item.kind),
                format!("the record type must be one of {}, got \"{}\"", RECORD_TYPES.join(", "), item.kind),
            ));
        }
        if item.status != "normal" && item.status != "finding" {
            return Err(Error::invalid(
                format!("checklist[{i}].status"),
                "检查结果须为 normal（正常）或 finding（发现问题）",
                "the status must be normal or finding",
            ));
        }
        if let Some(note) = &item.note {
            printable::check(&format!("checklist[{i}].note"), &printable::normalise(note))?;
        }
        if items[..i].iter().any(|other| other.kind == item.kind) {
            return Err(Error::invalid(
                format!("checklist[{i}].type"),
                format!("记录类型 “{}” 重复", item.kind),
                format!("record type \"{}\" is listed twice", item.kind),
            ));
        }
    }
    Ok(())
}

/// The river a log is filed for, or a 400 naming it.
fn river_of<'a>(maps: &'a Maps, code: &str) -> Result<&'a crate::spatial::features::RiverFeature> {
    maps.river(code).ok_or_else(|| Error::invalid("river", format!("没有河流 {code}"), format!("unknown river {code}")))
}

/// A patrol log checked and measured, ready for [`file_prepared`]. The
/// geometry is the costly part of filing (tens of milliseconds for a long
/// track), so it is done here, on a reader, and not on the single writer.
#[derive(Debug, Clone)]
pub struct Prepared {
    level: ChiefLevel,
    started_s: i64,
    ended_s: i64,
    track: Track,
    notes: String,
    /// The buffer `measured` was computed with (the level's rule when prepared).
    buffer_m: f64,
    measured: patrol::Measured,
    touched: Vec<Value>,
    /// The track's fingerprint and index cells (see `spatial::track`).
    fingerprint: String,
    cells: Vec<i64>,
    /// The rules the repeat search used, the newest log it could see, and
    /// the earlier log this track repeats, if it found one.
    repeat_rules: (f64, f64),
    seen_up_to: i64,
    repeat: Option<(String, Repeat)>,
}

/// Checks a patrol log and measures its track against the river with the
/// rules of the actor's chief level: everything filing needs that does not write.
pub fn prepare(conn: &Connection, maps: &Maps, actor: &Actor, input: &PatrolInput, now_s: i64) -> Result<Prepared> {
    let river = river_of(maps, &input.river)?;
    let level = chief_level(maps, actor, &input.river).ok_or_else(|| {
        Error::Forbidden(Msg::new("只能为本人负责的河流填写巡河日志", "a chief files logs only for their own rivers"))
    })?;
    let started_s = parse_time("started_at", &input.started_at)?;
    let ended_s = parse_time("ended_at", &input.ended_at)?;
    if ended_s <= started_s {
        return Err(Error::invalid("ended_at", "结束时间须晚于开始时间", "the end must be after the start"));
    }
    if ended_s > now_s + 600 {
        return Err(Error::invalid("ended_at", "结束时间不能晚于现在", "the end cannot be in the future"));
    }
    let track = read_track(input)?;
    check_checklist(&input.checklist)?;
    let notes = printable("notes", input.notes.as_deref().unwrap_or_default())?.trim().to_owned();
    for (i, finding) in input.findings.iter().enumerate() {
        printable::check(&format!("findings[{i}].title"), &printable::normalise(&finding.title))?;
        printable::check(&format!("findings[{i}].description"), &printable::normalise(&finding.description))?;
    }
    if notes.chars().count() > cases::MAX_DESCRIPTION {
        return Err(Error::invalid("notes", "备注过长", "the notes are too long"));
    }
    let rules = store::rules(conn, level.as_str())?;
    let buffer_m = rules.buffer_m;
    let declared = (ended_s - started_s) as f64 / 60.0;
    let measured = measure(&track.line, track.times.as_deref(), declared, &river.line, buffer_m);
    let reaches: Vec<crate::spatial::reach::Reach> = maps.reaches_of(&input.river).cloned().collect();
    let touched: Vec<Value> = coverage(&track.line, &reaches, COVERAGE_M)
        .into_iter()
        .map(|(r, share)| json!({"code": r.code, "share": (share * 1000.0).round() / 1000.0}))
        .collect();
    let (fingerprint, cells) = (fingerprint(&track.line), cells(&track.line));
    // Read first: a log filed after it is searched again on the writer.
    let seen_up_to = store::last_id(conn)?;
    let span = span_of(&track, (started_s, ended_s));
    let repeat = find_repeat(conn, &track.line, span, &cells, &rules, 0)?;
    Ok(Prepared {
        level,
        started_s,
        ended_s,
        track,
        notes,
        buffer_m,
        measured,
        touched,
        fingerprint,
        cells,
        repeat_rules: (rules.replay_m, rules.clock_tolerance_minutes),
        seen_up_to,
        repeat,
    })
}

/// When a walk happened: its first and last fix's times, or the declared
/// start and end when the fixes carry none.
fn span_of(track: &Track, declared: (i64, i64)) -> (i64, i64) {
    match track.times.as_deref() {
        Some([first, .., last]) => (*first, *last),
        _ => declared,
    }
}

/// The earliest log after `after_id` whose track this one repeats: nearly
/// every fix within the replay distance of it (whatever the times), or the
/// same stretch at the same time. Only logs sharing at least half the
/// track's index cells are read, so a filing never scans the table.
fn find_repeat(
    conn: &Connection,
    line: &LineString,
    span: (i64, i64),
    cells: &[i64],
    rules: &Rules,
    after_id: i64,
) -> Result<Option<(String, Repeat)>> {
    let tolerance_s = (rules.clock_tolerance_minutes * 60.0) as i64;
    for id in store::sharing_cells(conn, cells, cells.len().div_ceil(2), after_id)? {
        let Some(earlier) = store::track_of(conn, id)? else { continue };
        let same_time =
            (earlier.span.0 - span.0).abs() <= tolerance_s && (earlier.span.1 - span.1).abs() <= tolerance_s;
        let earlier_line: LineString = earlier.coordinates.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>().into();
        // Most earlier logs are other walks of the same water: a sample sets them aside cheaply.
        if !likely_near(line, &earlier_line, if same_time { SAME_WALK_M } else { rules.replay_m }) {
            continue;
        }
        let [near, close] = share_near(line, &earlier_line, [rules.replay_m, SAME_WALK_M]);
        if near >= REPLAY_SHARE {
            return Ok(Some((earlier.code, Repeat::Retraced { share: near })));
        }
        if same_time && close >= REPLAY_SHARE {
            return Ok(Some((earlier.code, Repeat::SameWalk { share: close })));
        }
    }
    Ok(None)
}

/// Files a patrol log for the actor in one go: [`prepare`], then [`file_prepared`].
pub fn file(conn: &Connection, maps: &Maps, actor: &Actor, input: &PatrolInput, now_s: i64) -> Result<PatrolRow> {
    let prepared = prepare(conn, maps, actor, input, now_s)?;
    file_prepared(conn, maps, actor, input, &prepared, now_s)
}

/// Files a prepared log: the verdict of the level's rules as they stand now
/// (remeasured if the buffer rule changed since), the row, each finding opened
/// as a river case, one audit entry.
pub fn file_prepared(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    input: &PatrolInput,
    prepared: &Prepared,
    now_s: i64,
) -> Result<PatrolRow> {
    let Prepared { level, started_s, ended_s, track, notes, .. } = prepared;
    let (started_s, ended_s) = (*started_s, *ended_s);
    let river = river_of(maps, &input.river)?;
    crate::service::cases::check_photos(conn, &input.photos)?;
    let rules = store::rules(conn, level.as_str())?;
    let measured = if rules.buffer_m.total_cmp(&prepared.buffer_m).is_eq() {
        prepared.measured.clone()
    } else {
        let declared = (ended_s - started_s) as f64 / 60.0;
        measure(&track.line, track.times.as_deref(), declared, &river.line, rules.buffer_m)
    };
    let since = store::previous_end(conn, actor.person.id, started_s)?.map(|end| (started_s - end) as f64 / 60.0);
    let mut reasons = patrol::verdict(&rules, &measured, since);
    if let Some([first, .., last]) = track.times.as_deref() {
        reasons.extend(patrol::clock_reasons(&rules, (started_s, ended_s), (*first, *last)));
    }
    if let Some((code, repeat)) = repeat_on_writer(conn, prepared, &rules)? {
        reasons.push(patrol::repeat_reason(&rules, &code, &repeat));
    }
    let today = china_date(started_s);
    let year: i64 = today[..4].parse().map_err(|e| Error::Internal(anyhow::anyhow!("bad date {today}: {e}")))?;
    let mut row = PatrolRow {
        id: 0,
        code: store::next_code(conn, year)?,
        chief_id: actor.person.id,
        level: level.as_str().into(),
        river_code: input.river.clone(),
        started_s,
        ended_s,
        month: today[..7].to_owned(),
        track: serde_json::to_value(geojson::Geometry::from(&track.line)).map_err(|e| Error::Internal(e.into()))?,
        times: track.times.clone(),
        points: track.line.0.len() as i64,
        distance_m: measured.distance_m,
        minutes: measured.minutes,
        max_speed_kmh: measured.max_speed_kmh,
        off_river_share: measured.off_river_share,
        reaches: Value::Array(prepared.touched.clone()),
        checklist: json!(input.checklist),
        notes: notes.clone(),
        photos: input.photos.clone(),
        valid: reasons.is_empty(),
        reasons: Value::Array(reasons.iter().map(|m| json!({"zh": m.zh, "en": m.en})).collect()),
        review_status: "pending".into(),
        reviewed_by: None,
        reviewed_at: None,
        review_comment: None,
        filed_at: china_timestamp(now_s),
        version: 1,
    };
    row.id = store::insert(conn, &row)?;
    store::index_track(conn, row.id, &prepared.fingerprint, &prepared.cells)?;
    open_findings(conn, maps, actor, &row, &input.findings, now_s)?;
    let verdict = if row.valid { "有效".to_owned() } else { "无效".to_owned() };
    audit_store::append_note(
        conn,
        actor.person.id,
        china_timestamp(now_s),
        Note {
            action: "patrol".into(),
            to: Some("pending".into()),
            comment: format!("巡河日志 {}（{}，{verdict}）", row.code, river.river.name),
            media: row.photos.clone(),
            ..Note::default()
        },
    )?;
    Ok(row)
}

/// The earlier log a prepared track repeats, as it stands on the writer: the
/// same fixes (an indexed lookup), else what [`prepare`] found, else a repeat
/// of a log filed since; all searched again if the rules changed since.
fn repeat_on_writer(conn: &Connection, prepared: &Prepared, rules: &Rules) -> Result<Option<(String, Repeat)>> {
    if let Some(code) = store::with_fingerprint(conn, &prepared.fingerprint)? {
        return Ok(Some((code, Repeat::SameFixes)));
    }
    let (replay_m, tolerance) = prepared.repeat_rules;
    let unchanged =
        replay_m.total_cmp(&rules.replay_m).is_eq() && tolerance.total_cmp(&rules.clock_tolerance_minutes).is_eq();
    if unchanged && prepared.repeat.is_some() {
        return Ok(prepared.repeat.clone());
    }
    let after = if unchanged { prepared.seen_up_to } else { 0 };
    let span = span_of(&prepared.track, (prepared.started_s, prepared.ended_s));
    find_repeat(conn, &prepared.track.line, span, &prepared.cells, rules, after)
}

/// Opens each finding as a river case (snapped to its reach by the case engine) linked to the log.
fn open_findings(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    patrol: &PatrolRow,
    findings: &[FindingInput],
    now_s: i64,
) -> Result<()> {
    for (i, finding) in findings.iter().enumerate() {
        let index = RECORD_TYPES.iter().position(|t| *t == finding.kind).ok_or_else(|| {
            Error::invalid(
                format!("findings[{i}].type"),
                format!("记录类型须为 {} 之一", RECORD_TYPES.join("、")),
                format!("the record type must be one of {}", RECORD_TYPES.join(", ")),
            )
        })?;
        let case = CaseInput {
            kind: "river".into(),
            category: format!("R-P{:02}", index + 1),
            grade: "general".into(),
            criterion: None,
            title: finding.title.clone(),
            description: format!("{}（巡河日志 {}）", finding.description, patrol.code),
            lon: finding.lon,
            lat: finding.lat,
            enterprise_id: None,
            photos: finding.photos.clone(),
        };
        let filed = cases::file(conn, maps, actor, &case, now_s).map_err(|e| at_finding(i, e))?;
        store::link_case(conn, patrol.id, filed.id)?;
    }
    Ok(())
}

/// Names the finding in an error from the case engine.
fn at_finding(i: usize, e: Error) -> Error {
    match e {
        Error::Invalid { field, reason } => Error::Invalid {
            field: format!("findings[{i}].{field}"),
            reason: Msg::new(
                format!("第 {} 项发现：{}", i + 1, reason.zh),
                format!("finding {}: {}", i + 1, reason.en),
            ),
        },
        other => other,
    }
}

/// Whether the actor may review this log: the 河长办 (admin), or a chief of the
/// same river one level (or more) above the log's chief, never the chief themself.
pub fn may_review(maps: &Maps, actor: &Actor, p: &PatrolRow) -> bool {
    if actor.person.id == p.chief_id {
        return false;
    }
    actor.scope.admin || chief_level(maps, actor, &p.river_code).is_some_and(|l| rank(l.as_str()) > rank(&p.level))
}

/// Whether the actor may read this log (tracks are personal data, PIPL Art. 28):
/// its chief, those who may review it, and the town office.
pub fn readable(maps: &Maps, actor: &Actor, p: &PatrolRow) -> bool {
    actor.person.id == p.chief_id || may_review(maps, actor, p)
}

/// A readable patrol or 404.
pub fn load_readable(conn: &Connection, maps: &Maps, actor: &Actor, code: &str) -> Result<PatrolRow> {
    store::by_code(conn, code)?
        .filter(|p| readable(maps, actor, p))
        .ok_or_else(|| Error::not_found(format!("没有巡河日志 {code}"), format!("no patrol log {code}")))
}

/// Approves or returns a pending log with a comment, if its version is still
/// `expected` (from `If-Match`); audited like a case action.
pub fn review(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    code: &str,
    (decision, comment): (&str, &str),
    expected: Option<i64>,
    now_s: i64,
) -> Result<PatrolRow> {
    // A review is a write: outside the caller's rivers it is refused (403), not hidden.
    let current = store::by_code(conn, code)?
        .ok_or_else(|| Error::not_found(format!("没有巡河日志 {code}"), format!("no patrol log {code}")))?;
    if !may_review(maps, actor, &current) {
        return Err(Error::Forbidden(Msg::new(
            "巡河日志只能由上一级河长或河长办审核",
            "a patrol log is reviewed by the chief one level up or the river chief office",
        )));
    }
    let to = match decision {
        "approve" => "approved",
        "return" => "returned",
        _ => {
            return Err(Error::invalid(
                "decision",
                "审核结果须为 approve 或 return",
                "decision must be approve or return",
            ));
        }
    };
    let expected = expected.unwrap_or(current.version);
    if current.review_status != "pending" {
        return Err(Error::Refused {
            reason: Msg::new("该巡河日志已审核", "the patrol log has already been reviewed"),
            allowed: Vec::new(),
        });
    }
    let comment = printable("comment", comment)?;
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > 2000 {
        return Err(Error::invalid(
            "comment",
            "须填写审核意见（2000 字以内）",
            "a comment (up to 2000 characters) is required",
        ));
    }
    let mut next = current.clone();
    next.review_status = to.into();
    next.reviewed_by = Some(actor.person.id);
    next.reviewed_at = Some(china_timestamp(now_s));
    next.review_comment = Some(comment.to_owned());
    store::review(conn, &next, expected)?;
    next.version += 1;
    audit_store::append_note(
        conn,
        actor.person.id,
        china_timestamp(now_s),
        Note {
            action: format!("patrol_{decision}"),
            from: Some(current.review_status.clone()),
            to: Some(to.into()),
            comment: format!("巡河日志 {}：{comment}", current.code),
            ..Note::default()
        },
    )?;
    Ok(next)
}

/// A river the actor may file a patrol log on: their level there and the
/// reaches they answer for (every reach of the river for a river-level chief).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolChoice {
    /// River code.
    pub river: String,
    /// River name.
    pub name: String,
    /// The actor's highest chief level on it.
    pub level: String,
    /// `(reach code, village name)` they hold, in river order.
    pub reaches: Vec<(String, String)>,
}

/// The rivers the actor may patrol (what [`prepare`] accepts), by river code.
pub fn choices(maps: &Maps, actor: &Actor) -> Vec<PatrolChoice> {
    maps.rivers()
        .iter()
        .filter_map(|r| {
            let code = r.river.code.as_str();
            let level = chief_level(maps, actor, code)?;
            let whole = actor
                .assignments
                .iter()
                .filter(|a| a.role == Role::RiverChief)
                .any(|a| a.scope.iter().any(|item| matches!(item, ScopeItem::River(c) if c == code)));
            let reaches = maps
                .reaches_of(code)
                .filter(|reach| whole || actor.scope.reaches.contains(&reach.code))
                .map(|reach| (reach.code.clone(), village_of(maps, &reach.code)))
                .collect();
            Some(PatrolChoice {
                river: code.to_owned(),
                name: r.river.name.clone(),
                level: level.as_str().to_owned(),
                reaches,
            })
        })
        .collect()
}

/// The logs waiting for the actor's review (pending, below them on their
/// rivers, or every pending log for the 河长办), oldest first.
pub fn awaiting_review(conn: &Connection, maps: &Maps, actor: &Actor) -> Result<Vec<PatrolRow>> {
    let mut rows: Vec<PatrolRow> = store::list(conn, None, None)?
        .into_iter()
        .filter(|p| p.review_status == "pending" && may_review(maps, actor, p))
        .collect();
    rows.reverse();
    Ok(rows)
}

/// The actor's own logs of `month` (all months when `None`), newest first.
pub fn own(conn: &Connection, actor: &Actor, month: Option<&str>) -> Result<Vec<PatrolRow>> {
    Ok(store::list(conn, None, month)?.into_iter().filter(|p| p.chief_id == actor.person.id).collect())
}

/// The actor's own compliance lines of `month` (one per river they are chief of).
pub fn own_compliance(conn: &Connection, maps: &Maps, actor: &Actor, month: &str) -> Result<Vec<Compliance>> {
    Ok(compliance(conn, maps, month)?.into_iter().filter(|c| c.chief_id == actor.person.id).collect())
}

/// What a chief sends back with a returned log: the checklist and notes as
/// the reviewer asked for them. The track, times and verdict stay as filed:
/// they are the evidence, and the anti-fake rules judged them once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resubmission {
    /// The checklist over the record types.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Sends a returned log back for review with its checklist and notes
/// corrected (补充后重新提交): only its own chief, only while returned, if its
/// version is still `expected`; audited like a review.
pub fn resubmit(
    conn: &Connection,
    actor: &Actor,
    code: &str,
    input: &Resubmission,
    expected: Option<i64>,
    now_s: i64,
) -> Result<PatrolRow> {
    let current = store::by_code(conn, code)?
        .filter(|p| p.chief_id == actor.person.id || actor.scope.admin)
        .ok_or_else(|| Error::not_found(format!("没有巡河日志 {code}"), format!("no patrol log {code}")))?;
    if current.chief_id != actor.person.id {
        return Err(Error::Forbidden(Msg::new(
            "只有填报人本人可以重新提交巡河日志",
            "only the chief who filed a log may resubmit it",
        )));
    }
    if current.review_status != "returned" {
        return Err(Error::Refused {
            reason: Msg::new("只有被退回的巡河日志可以重新提交", "only a returned log can be resubmitted"),
            allowed: Vec::new(),
        });
    }
    check_checklist(&input.checklist)?;
    let notes = printable("notes", input.notes.as_deref().unwrap_or_default())?.trim().to_owned();
    if notes.chars().count() > cases::MAX_DESCRIPTION {
        return Err(Error::invalid("notes", "备注过长", "the notes are too long"));
    }
    let mut next = current.clone();
    next.checklist = json!(input.checklist);
    next.notes = notes;
    next.review_status = "pending".into();
    store::resubmit(conn, &next, expected.unwrap_or(current.version))?;
    next.version += 1;
    audit_store::append_note(
        conn,
        actor.person.id,
        china_timestamp(now_s),
        Note {
            action: "patrol_resubmit".into(),
            from: Some(current.review_status.clone()),
            to: Some("pending".into()),
            comment: format!("巡河日志 {} 补充后重新提交", current.code),
            ..Note::default()
        },
    )?;
    Ok(next)
}

/// The names of people by id (unknown ids left out), for pages that list logs.
pub fn person_names(conn: &Connection, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
    let mut out = BTreeMap::new();
    for &id in ids {
        if let Some(p) = crate::store::people::get(conn, id)? {
            out.insert(id, p.name);
        }
    }
    Ok(out)
}

/// The chiefs' names of `rows` by person id.
pub fn chief_names(conn: &Connection, rows: &[PatrolRow]) -> Result<BTreeMap<i64, String>> {
    let mut ids: Vec<i64> = rows.iter().map(|p| p.chief_id).collect();
    ids.sort_unstable();
    ids.dedup();
    person_names(conn, &ids)
}

/// A chief of a river, as the public 河长公示牌 names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiverChief {
    /// Name.
    pub name: String,
    /// `town`, `community`, `village`, or `police` for the 河道警长.
    pub level: String,
    /// Reach codes held; empty for a river-level assignment.
    pub reaches: Vec<String>,
}

/// The chiefs and police chiefs of `river` in force on `date`, highest level first.
pub fn river_chiefs(conn: &Connection, maps: &Maps, river: &str, date: &str) -> Result<Vec<RiverChief>> {
    let mut out = Vec::new();
    for a in crate::store::assignments::active_on(conn, date, None)? {
        let level = match a.role {
            Role::RiverChief => a.level.unwrap_or(ChiefLevel::Village).as_str(),
            Role::RiverPolice => "police",
            _ => continue,
        };
        let whole = a.scope.iter().any(|s| matches!(s, ScopeItem::River(c) if c == river));
        let reaches: Vec<String> = a
            .scope
            .iter()
            .filter_map(|s| match s {
                ScopeItem::Reach(c) if maps.reach(c).is_some_and(|r| r.river.as_str() == river) => Some(c.clone()),
                _ => None,
            })
            .collect();
        if whole || !reaches.is_empty() {
            out.push(RiverChief { name: person_name(conn, a.person_id)?, level: level.to_owned(), reaches });
        }
    }
    let order = |l: &str| match l {
        "town" => 0,
        "police" => 1,
        "community" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| (order(&a.level), &a.reaches).cmp(&(order(&b.level), &b.reaches)));
    Ok(out)
}

/// One chief's compliance on one river in a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    /// Person id.
    pub chief_id: i64,
    /// Name.
    pub chief: String,
    /// Username.
    pub username: String,
    /// Level on this river.
    pub level: String,
    /// River code.
    pub river: String,
    /// Valid patrols required this month.
    pub required: u32,
    /// Valid patrols done.
    pub valid_done: u32,
    /// Patrols filed that do not count.
    pub invalid: u32,
    /// 完成率: min(valid_done, required) / required (see [`crate::domain::kpi::patrol_rate`]).
    pub rate: f64,
    /// The chief's reaches (all of the river's for a town chief) with the share
    /// of each that the month's valid patrols on the river came within 100 m of.
    pub reaches: Vec<ReachCoverage>,
}

/// A reach and its coverage share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachCoverage {
    /// Reach code.
    pub code: String,
    /// Village name.
    pub village: String,
    /// Share 0–1.
    pub share: f64,
}

/// Compliance for `month` (YYYY-MM) of every chief assigned on its first or last day.
pub fn compliance(conn: &Connection, maps: &Maps, month: &str) -> Result<Vec<Compliance>> {
    let first = crate::domain::people::date("month", &format!("{month}-01"))?;
    let patrols = store::list(conn, None, Some(month))?;
    // Union coverage per river from the month's valid tracks.
    let mut tracks: BTreeMap<&str, Vec<LineString>> = BTreeMap::new();
    for p in patrols.iter().filter(|p| p.valid) {
        tracks.entry(p.river_code.as_str()).or_default().push(stored_line(&p.track));
    }
    let mut covered: BTreeMap<String, f64> = BTreeMap::new();
    for (river, lines) in &tracks {
        let reaches: Vec<crate::spatial::reach::Reach> = maps.reaches_of(river).cloned().collect();
        for (reach, share) in coverage_of_all(&MultiLineString::new(lines.clone()), &reaches, COVERAGE_M) {
            covered.insert(reach.code.clone(), share);
        }
    }
    let mut out = Vec::new();
    for assignment in crate::store::assignments::list(conn, None)? {
        let active = assignment.active_on(&first) || assignment.active_on(&format!("{month}-28"));
        if assignment.role != Role::RiverChief || !active {
            continue;
        }
        let Some(person) = crate::store::people::get(conn, assignment.person_id)? else { continue };
        let level = assignment.level.unwrap_or(ChiefLevel::Village);
        let rules = store::rules(conn, level.as_str())?;
        // The rivers and reaches this assignment covers.
        let mut rivers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for item in &assignment.scope {
            match item {
                ScopeItem::River(code) => {
                    rivers.entry(code.clone()).or_default().extend(maps.reaches_of(code).map(|r| r.code.clone()));
                }
                ScopeItem::Reach(code) => {
                    if let Some(r) = maps.reach(code) {
                        rivers.entry(r.river.to_string()).or_default().push(code.clone());
                    }
                }
                _ => {}
            }
        }
        for (river, reach_codes) in rivers {
            let mine = patrols.iter().filter(|p| p.chief_id == person.id && p.river_code == river);
            let (valid, invalid) = mine.fold((0u32, 0u32), |(v, i), p| if p.valid { (v + 1, i) } else { (v, i + 1) });
            let required = rules.per_month;
            out.push(Compliance {
                chief_id: person.id,
                chief: person.name.clone(),
                username: person.username.clone(),
                level: level.as_str().into(),
                river,
                required,
                valid_done: valid,
                invalid,
                rate: crate::domain::kpi::patrol_rate(valid, required),
                reaches: reach_codes
                    .iter()
                    .map(|code| ReachCoverage {
                        code: code.clone(),
                        village: maps
                            .reach(code)
                            .and_then(|r| maps.grid(r.grid.as_str()))
                            .map_or_else(String::new, |g| g.grid.name.clone()),
                        share: covered.get(code).copied().unwrap_or(0.0),
                    })
                    .collect(),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.river.as_str(), rank(&b.level), &a.username).cmp(&(b.river.as_str(), rank(&a.level), &b.username))
    });
    Ok(out)
}

/// The compliance lines of `month` the actor may see: the town office sees
/// all; a chief their own lines and those below them on their rivers.
pub fn compliance_visible(conn: &Connection, maps: &Maps, actor: &Actor, month: &str) -> Result<Vec<Compliance>> {
    Ok(compliance(conn, maps, month)?
        .into_iter()
        .filter(|line| {
            actor.scope.admin
                || line.chief_id == actor.person.id
                || chief_level(maps, actor, &line.river).is_some_and(|l| outranks(l.as_str(), &line.level))
        })
        .collect())
}

/// A stored GeoJSON LineString back as a line (an unreadable one is empty).
pub fn stored_line(track: &Value) -> LineString {
    track["coordinates"]
        .as_array()
        .map(|points| {
            points.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect::<Vec<(f64, f64)>>()
        })
        .unwrap_or_default()
        .into()
}

fn level_zh(level: &str) -> &'static str {
    ChiefLevel::parse(level).unwrap_or(ChiefLevel::Village).zh()
}

fn clock(unix_s: i64) -> String {
    let t = china_timestamp(unix_s);
    format!("{} {}", &t[..10], t.get(11..16).unwrap_or_default())
}

fn person_name(conn: &Connection, id: i64) -> Result<String> {
    Ok(crate::store::people::get(conn, id)?.map_or_else(|| format!("#{id}"), |p| p.name))
}

fn village_of(maps: &Maps, reach: &str) -> String {
    maps.reach(reach).and_then(|r| maps.grid(r.grid.as_str())).map_or_else(String::new, |g| g.grid.name.clone())
}

/// The patrol log PDF (巡河日志), printed from the stored log.
pub fn log_pdf(conn: &Connection, maps: &Maps, p: &PatrolRow, now_s: i64) -> Result<crate::docs::pdf::Pdf> {
    use crate::docs::patrol::{PatrolLogView, render_patrol_log};
    let checklist: Vec<ChecklistItem> = serde_json::from_value(p.checklist.clone()).unwrap_or_default();
    let mut findings = Vec::new();
    for number in store::case_numbers(conn, p.id)? {
        let title = crate::store::cases::by_number(conn, &number)?.map(|c| c.title).unwrap_or_default();
        findings.push((number, title));
    }
    let review = match (&p.reviewed_by, &p.review_comment) {
        (Some(by), Some(comment)) => Some((
            person_name(conn, *by)?,
            if p.review_status == "approved" { "通过".to_owned() } else { "退回".to_owned() },
            comment.clone(),
        )),
        _ => None,
    };
    let view = PatrolLogView {
        chief: person_name(conn, p.chief_id)?,
        level: level_zh(&p.level).into(),
        river_code: p.river_code.clone(),
        river_name: maps.river(&p.river_code).map_or_else(|| p.river_code.clone(), |r| r.river.name.clone()),
        started_at: clock(p.started_s),
        ended_at: clock(p.ended_s),
        distance_m: p.distance_m,
        minutes: p.minutes,
        track: stored_line(&p.track).0.iter().map(|c| (c.x, c.y)).collect(),
        reaches: p.reaches.as_array().map_or_else(Vec::new, |rs| {
            rs.iter()
                .filter_map(|r| {
                    let code = r["code"].as_str()?.to_owned();
                    Some((code.clone(), village_of(maps, &code), r["share"].as_f64().unwrap_or(0.0)))
                })
                .collect()
        }),
        checklist: checklist
            .into_iter()
            .map(|c| {
                let seen = if c.status == "normal" {
                    "正常".to_owned()
                } else {
                    c.note.unwrap_or_else(|| "发现问题".into())
                };
                (c.kind, seen)
            })
            .collect(),
        findings,
        notes: p.notes.clone(),
        valid: p.valid,
        reasons: p
            .reasons
            .as_array()
            .map_or_else(Vec::new, |rs| rs.iter().filter_map(|r| r["zh"].as_str().map(str::to_owned)).collect()),
        review,
    };
    let heading =
        crate::service::documents::record_heading(conn, p.code.clone(), &format!("/patrols/{}", p.code), now_s)?;
    render_patrol_log(&view, &heading, maps)
}

/// The river cases on `river`'s reaches that are open, or were signed off in
/// `month`, oldest first: read through the reach index and the month's KPI
/// lines, not the whole table.
fn river_cases(conn: &Connection, maps: &Maps, river: &str, month: &str) -> Result<Vec<cases::CaseRow>> {
    use crate::store::case_query::{self, Query, Residual, Term};
    let on_river = |reach: Option<&str>| reach.and_then(|r| maps.reach(r)).is_some_and(|r| r.river.as_str() == river);
    let open = Query {
        terms: maps.reaches_of(river).map(|r| Term::Reach(r.code.clone())).collect(),
        residual: Residual { open: true, kind: Some("river".into()), ..Residual::default() },
        overdue: true,
        not_overdue: true,
    };
    let mut found: Vec<cases::CaseRow> =
        case_query::all(conn, &open, &china_date(0))?.into_iter().map(|(c, _)| c).collect();
    let (from, to) = month_window(month)?;
    let mut closed = Vec::new();
    crate::store::cases::kpi_period(conn, &china_date(from), &china_date(to - 1), |line| {
        let closed_in_month = line.closed.is_some_and(|d| d.starts_with(month));
        if closed_in_month && line.kind == "river" && on_river(line.reach) {
            closed.push(line.id);
        }
    })?;
    for id in closed {
        found.extend(crate::store::cases::by_id(conn, id)?);
    }
    found.sort_by_key(|c| c.id);
    found.dedup_by_key(|c| c.id);
    Ok(found)
}

/// The monthly river report PDF (河长制月报) of one river.
pub fn report_pdf(
    conn: &Connection,
    maps: &Maps,
    river: &str,
    month: &str,
    now_s: i64,
) -> Result<crate::docs::pdf::Pdf> {
    use crate::docs::patrol::{CaseLine, ComplianceRow, MonthlyReportView, PatrolRow as Line, render_monthly_report};
    let river_feature =
        maps.river(river).ok_or_else(|| Error::not_found(format!("没有河流 {river}"), format!("no river {river}")))?;
    let all = compliance(conn, maps, month)?;
    let mut patrols = store::list(conn, Some(river), Some(month))?;
    patrols.reverse();
    let mut lines = Vec::with_capacity(patrols.len());
    for p in &patrols {
        lines.push(Line {
            date: clock(p.started_s),
            chief: person_name(conn, p.chief_id)?,
            minutes: p.minutes,
            distance_m: p.distance_m,
            valid: p.valid,
            reasons: p.reasons.as_array().map_or_else(String::new, |rs| {
                rs.iter().filter_map(|r| r["zh"].as_str()).collect::<Vec<_>>().join("；")
            }),
        });
    }
    let mine: Vec<&Compliance> = all.iter().filter(|c| c.river == river).collect();
    let mut reach_coverage: Vec<(String, String, f64)> = Vec::new();
    for c in &mine {
        for r in &c.reaches {
            if !reach_coverage.iter().any(|(code, _, _)| *code == r.code) {
                reach_coverage.push((r.code.clone(), r.village.clone(), r.share));
            }
        }
    }
    let (mut open_cases, mut closed_cases) = (Vec::new(), Vec::new());
    for c in river_cases(conn, maps, river, month)? {
        let status = crate::domain::case::Status::parse(&c.status);
        let line = CaseLine {
            number: c.number.clone(),
            title: c.title.clone(),
            village: maps.grid(&c.grid_code).map_or_else(String::new, |g| g.grid.name.clone()),
            status: status.map_or_else(|| c.status.clone(), |s| s.zh().to_owned()),
            deadline: c.deadline.clone().unwrap_or_else(|| "—".into()),
        };
        if status.is_some_and(crate::domain::case::Status::is_open) {
            open_cases.push(line);
        } else if c.closed_at.as_deref().is_some_and(|d| d.starts_with(month)) {
            closed_cases.push(line);
        }
    }
    let view = MonthlyReportView {
        river_code: river.to_owned(),
        river_name: river_feature.river.name.clone(),
        month: month.to_owned(),
        patrols: lines,
        compliance: mine
            .iter()
            .map(|c| ComplianceRow {
                chief: c.chief.clone(),
                level: level_zh(&c.level).into(),
                required: c.required,
                valid_done: c.valid_done,
                rate: c.rate,
            })
            .collect(),
        reach_coverage,
        open_cases,
        closed_cases,
    };
    let number = format!("{}河长制月报〔{month}〕", river_feature.river.name);
    let heading = crate::service::documents::record_heading(conn, number, &format!("/rivers/{river}"), now_s)?;
    render_monthly_report(&view, &heading, maps)
}

/// A log as answered: the row, the numbers of the cases its findings opened, its PDF's address.
pub fn view(conn: &Connection, p: &PatrolRow) -> Result<Value> {
    let mut body = json!(p);
    body["cases"] = json!(store::case_numbers(conn, p.id)?);
    body["pdf"] = json!(format!("/api/v1/patrols/{}/pdf", p.code));
    Ok(body)
}

/// A log in a list: the row without its track and times.
pub fn summary(p: &PatrolRow) -> Value {
    let mut body = json!(p);
    if let Some(map) = body.as_object_mut() {
        map.remove("track");
        map.remove("times");
    }
    body
}

/// Most logs on one page of the list.
pub const MAX_PAGE: usize = 500;

/// One page of the log summaries the actor may read (see [`page_readable`]).
pub fn list_readable(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    (river, month): (Option<&str>, Option<&str>),
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>)> {
    let (rows, next) = page_readable(conn, maps, actor, (river, month), after, limit)?;
    Ok((rows.iter().map(summary).collect(), next))
}

/// The logs the actor may read (see [`readable`]), newest walk first, of one
/// river and/or month if given, a keyset page at a time: the actor's own logs
/// and, on each river they are a chief of, the logs of the levels below
/// theirs; everything for the town office. `after` is the previous page's
/// `next` (`<started_s>.<id>`).
pub fn page_readable(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    (river, month): (Option<&str>, Option<&str>),
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<PatrolRow>, Option<String>)> {
    let after = after
        .map(|a| {
            a.split_once('.')
                .and_then(|(s, i)| Some(store::PatrolCursor { started_s: s.parse().ok()?, id: i.parse().ok()? }))
                .ok_or_else(|| Error::invalid("after", "查询参数 after 无效", "invalid query parameter after"))
        })
        .transpose()?;
    let (from_s, to_s) = match month {
        Some(m) => month_window(m)?,
        None => (i64::MIN, i64::MAX),
    };
    let terms = readable_terms(maps, actor);
    let (rows, next) = store::page(conn, &terms, (river, from_s, to_s), after, limit.clamp(1, usize::MAX / 2))?;
    Ok((rows, next.map(|c| format!("{}.{}", c.started_s, c.id))))
}

/// What drives the actor's log list: the town office reads every log; a
/// chief their own and, per river they lead, the levels below theirs.
pub fn readable_terms(maps: &Maps, actor: &Actor) -> Vec<store::PatrolTerm> {
    if actor.scope.admin {
        vec![store::PatrolTerm::All]
    } else {
        let rivers: BTreeSet<String> = actor
            .assignments
            .iter()
            .filter(|a| a.role == Role::RiverChief)
            .flat_map(|a| &a.scope)
            .filter_map(|item| match item {
                ScopeItem::River(code) => Some(code.clone()),
                ScopeItem::Reach(code) => maps.reach(code).map(|r| r.river.to_string()),
                _ => None,
            })
            .collect();
        let mut terms = vec![store::PatrolTerm::Chief(actor.person.id)];
        for r in rivers {
            let Some(mine) = chief_level(maps, actor, &r) else { continue };
            let below: Vec<String> = ChiefLevel::ALL
                .into_iter()
                .filter(|l| rank(l.as_str()) < rank(mine.as_str()))
                .map(|l| l.as_str().to_owned())
                .collect();
            if !below.is_empty() {
                terms.push(store::PatrolTerm::River(r, below));
            }
        }
        terms
    }
}

/// The logs the actor may read of one river and/or month, newest walk first (all pages).
pub fn readable_rows(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    river: Option<&str>,
    month: Option<&str>,
) -> Result<Vec<PatrolRow>> {
    Ok(page_readable(conn, maps, actor, (river, month), None, usize::MAX / 2)?.0)
}

/// The Unix seconds `[first, next)` of a month (YYYY-MM) in China time, when its walks began.
pub fn month_window(month: &str) -> Result<(i64, i64)> {
    let bad = || Error::invalid("month", "月份格式须为 YYYY-MM", "month must be YYYY-MM");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if month.len() != 7 || !(1..=12).contains(&m) {
        return Err(bad());
    }
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let at = |y: i32, m: u32| track_input::parse_rfc3339(&format!("{y:04}-{m:02}-01T00:00:00+08:00")).ok_or_else(bad);
    Ok((at(y, m)?, at(ny, nm)?))
}

/// What an earlier filing by `person` with this `Idempotency-Key` left: its
/// request hash (none for keys recorded before hashes were kept) and the log.
pub fn earlier_filing(conn: &Connection, person: i64, key: &str) -> Result<Option<(Option<String>, PatrolRow)>> {
    let Some((id, hash)) = store::idempotent(conn, person, key)? else { return Ok(None) };
    Ok(store::by_id(conn, id)?.map(|p| (hash, p)))
}

/// Records the key of a filing, in the filing's transaction.
pub fn remember_filing(conn: &Connection, person: i64, key: &str, patrol_id: i64, request_sha256: &str) -> Result<()> {
    store::remember(conn, person, key, patrol_id, request_sha256)
}
