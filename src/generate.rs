//! `gridsafe generate`: a synthetic town of any size, an ordinary gridsafe
//! database: the fixture of the scale benchmarks and a way to size a server
//! (SPEC §10).
//!
//! The geography goes through the real import (validation, reach cutting);
//! people, assignments, enterprises, cases with their whole audit trail, and
//! patrol logs through the store's own functions, in large transactions.
//! Everything follows from the seed: the same arguments give the same
//! database. The secondary indexes of cases, the audit log and patrols are
//! dropped while the rows go in and built again at the end (one sorted pass
//! each instead of millions of random inserts), exactly as the migrations
//! define them. Documents (PDFs) are left out.

use rusqlite::Connection;
use serde_json::json;

use crate::domain::enterprise::Uscc;
use crate::domain::people::{ChiefLevel, Duty, Role, ScopeItem};
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Result};
use crate::service::geography;
use crate::store::assignments::{self, NewAssignment};
use crate::store::audit::{self, NewEntry};
use crate::store::cases::{self as case_store, CaseRow};
use crate::store::enterprises::{self, EnterpriseFields};
use crate::store::patrols::{self as patrol_store, PatrolRow};
use crate::store::people::{self as people_store, NewPerson};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Village grids (about a hundred per community).
    pub villages: usize,
    /// Cases, spread over `years` up to now.
    pub cases: usize,
    /// Patrol logs, spread the same way.
    pub patrols: usize,
    /// Years of history.
    pub years: u32,
    /// The seed everything follows from.
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Village grids.
    pub villages: usize,
    /// Community grids.
    pub communities: usize,
    /// Reaches cut from the rivers.
    pub reaches: usize,
    /// People.
    pub people: usize,
    /// Enterprises.
    pub enterprises: usize,
    /// Cases.
    pub cases: usize,
    /// Audit entries.
    pub audit_entries: usize,
    /// Patrol logs.
    pub patrols: usize,
}

/// What the progress callback is told: the stage and how far it is (0..=total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Cases written so far.
    Cases(u64),
    /// Patrol logs written so far.
    Patrols(u64),
    /// Indexes being built again.
    Indexes,
}

/// Rows per transaction.
const BATCH: usize = 50_000;

/// The town's code: case numbers read `SX-2026-000001`.
pub const TOWN: &str = "SX";

/// Degrees of a village cell (about 900 m by 1.1 km here).
const CELL: f64 = 0.01;

/// The south-west corner of the town.
const ORIGIN: (f64, f64) = (118.0, 36.0);

/// A small, fast, seedable generator (splitmix64): reproducible data needs no more.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Layout: communities of up to 100 villages (10 by 10 cells), side by side.
struct Layout {
    /// Per village: (code, community index, column, row) in whole-town cells.
    villages: Vec<(String, usize, usize, usize)>,
    communities: usize,
    /// Town size in cells.
    width: usize,
    height: usize,
}

fn layout(villages: usize) -> Layout {
    let communities = villages.div_ceil(100).max(1);
    let across = (communities as f64).sqrt().ceil() as usize;
    let mut out = Vec::with_capacity(villages);
    for v in 0..villages {
        let (c, k) = (v / 100, v % 100);
        let (cx, cy) = (c % across, c / across);
        out.push((format!("{TOWN}{:03}{:03}", c + 1, k + 1), c, cx * 10 + k % 10, cy * 10 + k / 10));
    }
    let rows = communities.div_ceil(across);
    Layout { villages: out, communities, width: across * 10, height: rows * 10 }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> serde_json::Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

fn cell_corner(col: usize, row: usize) -> (f64, f64) {
    (ORIGIN.0 + col as f64 * CELL, ORIGIN.1 + row as f64 * CELL)
}

/// The town, its communities and villages as a grids GeoJSON file.
fn grids_geojson(l: &Layout) -> String {
    let mut features = Vec::with_capacity(l.villages.len() + l.communities + 1);
    let (x1, y1) = cell_corner(l.width, l.height);
    features.push(
        json!({"type": "Feature", "properties": {"code": TOWN, "name": "示范镇", "level": "town", "parent": null},
        "geometry": rect(ORIGIN.0, ORIGIN.1, x1, y1)}),
    );
    let across = l.width / 10;
    for c in 0..l.communities {
        let (x0, y0) = cell_corner((c % across) * 10, (c / across) * 10);
        let used = l.villages.iter().filter(|v| v.1 == c).count();
        // A community is the rectangle of its villages (the last one may hold fewer rows).
        let rows = used.div_ceil(10);
        let cols = if used >= 10 { 10 } else { used };
        features.push(json!({"type": "Feature",
            "properties": {"code": format!("{TOWN}{:03}", c + 1), "name": format!("第{}社区", c + 1), "level": "community", "parent": TOWN},
            "geometry": rect(x0, y0, x0 + cols as f64 * CELL, y0 + rows as f64 * CELL)}));
    }
    for (i, (code, c, col, row)) in l.villages.iter().enumerate() {
        let (x0, y0) = cell_corner(*col, *row);
        features.push(json!({"type": "Feature",
            "properties": {"code": code, "name": format!("{}村", i + 1), "level": "village", "parent": format!("{TOWN}{:03}", c + 1)},
            "geometry": rect(x0, y0, x0 + CELL, y0 + CELL)}));
    }
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Rivers across the town: west to east at a few latitudes, with a gentle wave.
fn rivers_geojson(l: &Layout, rng: &mut Rng) -> String {
    let names = [("r1", "示范一河"), ("r2", "示范二河"), ("r3", "示范三河"), ("r4", "示范四河")];
    let count = (l.height / 10).clamp(1, names.len());
    let mut features = Vec::new();
    for (i, (code, name)) in names.iter().take(count).enumerate() {
        let y = ORIGIN.1 + (i as f64 + 0.5) * (l.height as f64 * CELL / count as f64) + 0.0013;
        let phase = rng.unit() * 6.0;
        let steps = l.width * 4;
        let points: Vec<[f64; 2]> = (0..=steps)
            .map(|s| {
                let x = ORIGIN.0 + 0.0007 + s as f64 * (l.width as f64 * CELL - 0.0014) / steps as f64;
                [x, y + 0.002 * (phase + s as f64 / 5.0).sin()]
            })
            .collect();
        features.push(json!({"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "LineString", "coordinates": points}}));
    }
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马"];
const GIVEN: [&str; 12] = ["建国", "秀英", "志强", "海燕", "立新", "桂芳", "明", "静", "伟", "丽", "军", "霞"];

fn name(rng: &mut Rng) -> String {
    format!("{}{}", SURNAMES[rng.below(SURNAMES.len())], GIVEN[rng.below(GIVEN.len())])
}

/// The people a case's life involves.
struct Cast {
    admin: i64,
    experts: Vec<i64>,
    /// Per village: its inspector.
    inspectors: Vec<i64>,
    /// Per village: its enterprise (id, contact person).
    enterprises: Vec<(i64, Option<i64>)>,
    /// Per reach (index into the maps' reaches): its village chief.
    village_chiefs: Vec<i64>,
    /// Per river: its town-level chief.
    town_chiefs: Vec<(String, i64)>,
}

fn person(conn: &Connection, username: String, name: String, hash: &str, now: &str) -> Result<i64> {
    let new = NewPerson { username, name, phone: None, password_hash: hash.to_owned(), demo: false };
    Ok(people_store::insert(conn, &new, now)?.id)
}

fn assign(conn: &Connection, person_id: i64, role: Role, scope: Vec<ScopeItem>, from: &str, now: &str) -> Result<()> {
    let duty = (role == Role::Inspector).then_some(Duty::Safety);
    let new = NewAssignment { person_id, role, duty, level: None, specialty: None, from: from.into(), to: None, scope };
    assignments::insert(conn, &new, now).map(drop)
}

fn chief(
    conn: &Connection,
    person_id: i64,
    level: ChiefLevel,
    scope: Vec<ScopeItem>,
    from: &str,
    now: &str,
) -> Result<()> {
    let new = NewAssignment {
        person_id,
        role: Role::RiverChief,
        duty: None,
        level: Some(level),
        specialty: None,
        from: from.into(),
        to: None,
        scope,
    };
    assignments::insert(conn, &new, now).map(drop)
}

/// People, assignments and enterprises.
fn cast(
    conn: &Connection,
    maps: &crate::spatial::Maps,
    rng: &mut Rng,
    start: &str,
    now: &str,
) -> Result<(Cast, usize)> {
    // Nobody knows this password: `gridsafe user passwd` gives an account a real one.
    let hash = crate::service::accounts::hash_password(&crate::service::accounts::random_password()?)?;
    let admin = person(conn, "admin".into(), "镇应急办".into(), &hash, now)?;
    assign(conn, admin, Role::Admin, vec![ScopeItem::Town(TOWN.into())], start, now)?;
    let mut experts = Vec::new();
    for i in 1..=3 {
        let id = person(conn, format!("expert{i}"), name(rng), &hash, now)?;
        assign(conn, id, Role::TownExpert, vec![ScopeItem::Town(TOWN.into())], start, now)?;
        experts.push(id);
    }
    let villages: Vec<String> = maps.villages().map(|v| v.grid.code.to_string()).collect();
    let communities: Vec<String> = maps
        .grids()
        .iter()
        .filter(|g| g.grid.level == crate::domain::grid::GridLevel::Community)
        .map(|g| g.grid.code.to_string())
        .collect();
    for (i, c) in communities.iter().enumerate() {
        let id = person(conn, format!("leader{:04}", i + 1), name(rng), &hash, now)?;
        assign(conn, id, Role::GridLeader, vec![ScopeItem::Grid(c.clone())], start, now)?;
    }
    let (mut inspectors, mut firms) = (Vec::new(), Vec::new());
    for (i, v) in villages.iter().enumerate() {
        let id = person(conn, format!("insp{:05}", i + 1), name(rng), &hash, now)?;
        assign(conn, id, Role::Inspector, vec![ScopeItem::Grid(v.clone())], start, now)?;
        inspectors.push(id);
        let centre =
            geo::Centroid::centroid(&maps.grid(v).ok_or_else(|| missing(v))?.shape).ok_or_else(|| missing(v))?;
        let above_scale = i % 10 == 0;
        let uscc = Uscc::complete(&format!("91370781MA{:07}", i + 1)).map(|u| u.as_str().to_owned()).ok();
        let fields = EnterpriseFields {
            name: format!("示范{}号企业有限公司", i + 1),
            uscc,
            uscc_override: None,
            address: format!("示范镇{}村", i + 1),
            lon: centre.x(),
            lat: centre.y(),
            grid_code: v.clone(),
            industry: ["机械制造", "食品加工", "化工", "建材"][i % 4].into(),
            above_scale,
            key: i % 50 == 0,
            contact_name: Some(name(rng)),
            contact_phone: None,
            demo: false,
        };
        let firm = enterprises::insert(conn, &fields, now)?.id;
        let contact = if above_scale {
            let expert = person(conn, format!("eexp{:05}", i + 1), name(rng), &hash, now)?;
            assign(conn, expert, Role::EnterpriseExpert, vec![ScopeItem::Enterprise(firm)], start, now)?;
            let contact = person(conn, format!("contact{:05}", i + 1), name(rng), &hash, now)?;
            assign(conn, contact, Role::EnterpriseContact, vec![ScopeItem::Enterprise(firm)], start, now)?;
            Some(contact)
        } else {
            None
        };
        firms.push((firm, contact));
    }
    let mut village_chiefs = Vec::new();
    for (i, reach) in maps.reaches().iter().enumerate() {
        let id = person(conn, format!("chief{:05}", i + 1), name(rng), &hash, now)?;
        chief(conn, id, ChiefLevel::Village, vec![ScopeItem::Reach(reach.code.clone())], start, now)?;
        village_chiefs.push(id);
    }
    let mut town_chiefs = Vec::new();
    for river in maps.rivers() {
        let code = river.river.code.to_string();
        let id = person(conn, format!("chief.{code}"), name(rng), &hash, now)?;
        chief(conn, id, ChiefLevel::Town, vec![ScopeItem::River(code.clone())], start, now)?;
        let police = person(conn, format!("police.{code}"), name(rng), &hash, now)?;
        assign(conn, police, Role::RiverPolice, vec![ScopeItem::River(code.clone())], start, now)?;
        town_chiefs.push((code, id));
    }
    let people = people_store::count(conn)? as usize;
    let cast = Cast { admin, experts, inspectors, enterprises: firms, village_chiefs, town_chiefs };
    Ok((cast, people))
}

fn missing(code: &str) -> Error {
    Error::Internal(anyhow::anyhow!("generated grid {code} did not load"))
}

/// A village as cases need it: its code, box and reaches.
struct Village {
    code: String,
    bounds: geo::Rect,
    reaches: Vec<String>,
}

fn villages(maps: &crate::spatial::Maps) -> Vec<Village> {
    let mut out: Vec<Village> = maps
        .villages()
        .map(|v| Village {
            code: v.grid.code.to_string(),
            bounds: geo::BoundingRect::bounding_rect(&v.shape).unwrap_or(geo::Rect::new((0.0, 0.0), (0.0, 0.0))),
            reaches: Vec::new(),
        })
        .collect();
    for r in maps.reaches() {
        if let Some(v) = out.iter_mut().find(|v| v.code == r.grid.as_str()) {
            v.reaches.push(r.code.clone());
        }
    }
    out
}

/// One audit entry yet to be appended, at its time (a case's later steps
/// wait in a heap so the chain follows the calendar).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    at_s: i64,
    order: u64,
    case_id: Option<i64>,
    actor: i64,
    action: &'static str,
    from: Option<&'static str>,
    to: &'static str,
    comment: String,
}

/// One step of a case's life.
struct Step {
    at_s: i64,
    actor: i64,
    action: &'static str,
    from: Option<&'static str>,
    to: &'static str,
    comment: &'static str,
}

const SAFETY: [(&str, &str, &str); 4] = [
    ("S-F10", "配电箱无防护罩", "车间配电箱门缺失，带电部位外露"),
    ("S-F09", "灭火器过期", "仓库灭火器压力不足，已过检验期"),
    ("S-F01", "通道堆放杂物", "生产车间安全通道堆放货物，宽度不足"),
    ("S-B04", "未开展安全培训", "新入职员工未经三级安全教育即上岗"),
];
const ENVIRONMENT: [(&str, &str, &str); 3] = [
    ("E-A03", "秸秆露天焚烧", "田间发现露天焚烧秸秆，烟尘较大"),
    ("E-S01", "固废乱堆", "厂区外侧空地堆放一般工业固废"),
    ("E-A01", "施工扬尘", "工地裸土未覆盖，车辆进出未冲洗"),
];
const RIVER: [(&str, &str, &str); 3] = [
    ("R-P04", "河岸垃圾", "河岸堆放生活垃圾，约两立方米"),
    ("R-P02", "河面漂浮物", "河面有成片漂浮物，需打捞"),
    ("R-P06", "排污口异常排水", "排污口有浑浊污水排出，颜色异常"),
];

const DAY: i64 = 86_400;

/// A case in its state at `now_s` and the steps of its life that far, as the dice decide.
struct Life<'a> {
    rng: &'a mut Rng,
    row: CaseRow,
    steps: Vec<Step>,
    now_s: i64,
}

impl Life<'_> {
    /// Records a step if it happened by now; false when it lies in the future (the life stops there).
    fn step(&mut self, at_s: i64, actor: i64, action: &'static str, to: &'static str, comment: &'static str) -> bool {
        if at_s > self.now_s {
            return false;
        }
        let from = self.steps.last().map(|s| s.to);
        to.clone_into(&mut self.row.status);
        self.steps.push(Step { at_s, actor, action, from, to, comment });
        true
    }

    fn days(&mut self, most: f64) -> i64 {
        (self.rng.unit() * most * DAY as f64) as i64
    }
}

fn case_life(
    rng: &mut Rng,
    cast: &Cast,
    village: (usize, &Village),
    reported_s: i64,
    now_s: i64,
) -> (CaseRow, Vec<Step>) {
    let (index, v) = village;
    let roll = rng.unit();
    let (kind, pool): (&str, &[(&str, &str, &str)]) = if roll < 0.1 && !v.reaches.is_empty() {
        ("river", &RIVER)
    } else if roll < 0.3 {
        ("environment", &ENVIRONMENT)
    } else {
        ("safety", &SAFETY)
    };
    let (category, title, description) = pool[rng.below(pool.len())];
    let major = rng.chance(0.04);
    let reporter = cast.inspectors[index];
    let (firm, contact) = cast.enterprises[index];
    let enterprise = (kind == "safety" && rng.chance(0.4)).then_some(firm);
    let reach = (kind == "river").then(|| v.reaches[rng.below(v.reaches.len())].clone());
    let lon = v.bounds.min().x + (0.1 + 0.8 * rng.unit()) * v.bounds.width();
    let lat = v.bounds.min().y + (0.1 + 0.8 * rng.unit()) * v.bounds.height();
    let row = CaseRow {
        kind: kind.into(),
        category: category.into(),
        grade: if major { "major".into() } else { "general".into() },
        criterion: major.then(|| "《工贸企业重大事故隐患判定标准》第四条".to_owned()),
        title: title.into(),
        description: description.into(),
        lon,
        lat,
        grid_code: v.code.clone(),
        enterprise_id: enterprise,
        reach_code: reach,
        reporter_id: reporter,
        status: "reported".into(),
        reported_at: china_timestamp(reported_s),
        ..CaseRow::default()
    };
    let (admin, expert) = (cast.admin, cast.experts[rng.below(cast.experts.len())]);
    let mut life = Life { rng, row, steps: Vec::new(), now_s };
    life.step(reported_s, reporter, "report", "reported", title);
    let mut t = reported_s + life.days(2.0) + 3600;
    if life.rng.chance(0.03) {
        life.step(t, admin, "cancel", "cancelled", "经核实不属实，注销");
        return (life.row, life.steps);
    }
    if !life.step(t, admin, "register", "registered", "立案") {
        return (life.row, life.steps);
    }
    t += life.days(3.0) + 1800;
    let mut deadline_s = t + (7 + life.rng.below(22) as i64) * DAY;
    if !life.step(t, admin, "dispatch", "dispatched", "下发整改通知书") {
        return (life.row, life.steps);
    }
    life.row.responsible =
        Some(enterprise.map_or_else(|| format!("{}村委会", v.code), |e| format!("示范{e}号企业有限公司")));
    life.row.measures = Some("立即整改，整改完成后报镇应急办复查".into());
    life.row.deadline = Some(china_date(deadline_s));
    if major {
        life.row.plan = Some(json!({"目标任务": "消除重大事故隐患", "措施": "停产整改", "资金": "企业自筹",
            "时限": china_date(deadline_s), "责任人": "企业主要负责人", "应急预案": "已制定"}));
        if life.rng.chance(0.3) && life.step(t + 3600, admin, "supervise", "dispatched", "挂牌督办") {
            life.row.supervised = true;
        }
    }
    // A few never move again: the town's overdue backlog.
    if life.rng.chance(0.002) {
        return (life.row, life.steps);
    }
    let fixer = contact.filter(|_| enterprise.is_some()).unwrap_or(admin);
    let mut rounds = if life.rng.chance(0.12) { 2 } else { 1 };
    loop {
        if life.row.extension_count == 0 && life.rng.chance(0.08) {
            if !life.step(t + DAY, admin, "extend", "dispatched", "申请延期十四天，同意") {
                return (life.row, life.steps);
            }
            deadline_s += 14 * DAY;
            life.row.extension_count += 1;
            life.row.deadline = Some(china_date(deadline_s));
        }
        // Most fixes land before the deadline; a fifth come late.
        let span = (deadline_s - t).max(DAY);
        t += if life.rng.chance(0.2) {
            span + life.days(10.0)
        } else {
            (span as f64 * (0.2 + 0.7 * life.rng.unit())) as i64
        };
        if !life.step(t, fixer, "submit", "submitted", "已按要求整改完毕") {
            return (life.row, life.steps);
        }
        life.row.fix_description = Some("已按要求整改完毕".into());
        t += life.days(3.0) + 3600;
        rounds -= 1;
        if rounds == 0 {
            if life.step(t, expert, "approve", "closed", "整改到位，同意销号") {
                life.row.closed_at = Some(china_timestamp(t));
            }
            return (life.row, life.steps);
        }
        if !life.step(t, expert, "return", "dispatched", "整改不彻底，返工") {
            return (life.row, life.steps);
        }
        life.row.rework_count += 1;
    }
}

/// A patrol log walked at `started_s` on one reach by its village chief, with
/// the review the town chief gave it (if any, and when).
fn patrol(
    code: String,
    rng: &mut Rng,
    reach: &crate::spatial::reach::Reach,
    (chief_id, reviewer): (i64, i64),
    started_s: i64,
    now_s: i64,
) -> (PatrolRow, Option<(i64, &'static str)>) {
    let line: Vec<(f64, f64)> =
        reach.line.0.first().map(|l| l.0.iter().map(|c| (c.x, c.y)).collect()).unwrap_or_default();
    // Up and down the reach until past 2 km; one walk in ten stops early (and does not count).
    let mut points: Vec<(f64, f64)> = Vec::new();
    let short = rng.chance(0.1);
    let mut walked = 0.0;
    let mut forward = true;
    while points.len() < 2 || (!short && walked < 2_100.0) {
        let pass: Vec<(f64, f64)> = if forward { line.clone() } else { line.iter().rev().copied().collect() };
        points.extend(pass.iter().skip(usize::from(!points.is_empty())));
        walked += reach.length_m.max(50.0);
        forward = !forward;
        if short || points.len() > 400 {
            break;
        }
    }
    let minutes = if short { 12.0 + rng.unit() * 10.0 } else { 35.0 + rng.unit() * 30.0 };
    let ended_s = started_s + (minutes * 60.0) as i64;
    let step = (ended_s - started_s) / (points.len() as i64 - 1).max(1);
    let times: Vec<i64> = (0..points.len() as i64).map(|i| started_s + i * step).collect();
    let valid = !short;
    let reasons = if valid {
        json!([])
    } else {
        json!([{"zh": "巡河时长不足 30 分钟", "en": "shorter than 30 minutes"}, {"zh": "巡河距离不足 2 公里", "en": "shorter than 2 km"}])
    };
    let checklist: Vec<serde_json::Value> = crate::domain::patrol::RECORD_TYPES
        .iter()
        .map(|t| json!({"type": t, "status": "normal", "note": ""}))
        .collect();
    let review = (started_s + 7 * DAY < now_s).then(|| {
        let at = started_s + DAY + (rng.unit() * 5.0 * DAY as f64) as i64;
        (at, if !valid || rng.chance(0.05) { "return" } else { "approve" })
    });
    let row = PatrolRow {
        id: 0,
        code,
        chief_id,
        level: "village".into(),
        river_code: reach.river.to_string(),
        started_s,
        ended_s,
        month: china_date(started_s)[..7].to_owned(),
        track: json!({"type": "LineString", "coordinates": points.iter().map(|(x, y)| [x, y]).collect::<Vec<_>>()}),
        times: Some(times),
        points: points.len() as i64,
        distance_m: walked,
        minutes,
        max_speed_kmh: walked / 1000.0 / (minutes / 60.0) * 1.6,
        off_river_share: 0.0,
        reaches: json!([{"code": reach.code, "share": 1.0}]),
        checklist: json!(checklist),
        notes: String::new(),
        photos: Vec::new(),
        valid,
        reasons,
        review_status: review.map_or("pending", |(_, d)| if d == "approve" { "approved" } else { "returned" }).into(),
        reviewed_by: review.map(|_| reviewer),
        reviewed_at: review.map(|(at, _)| china_timestamp(at)),
        review_comment: review
            .map(|(_, d)| if d == "approve" { "同意".to_owned() } else { "轨迹不足，请补巡".to_owned() }),
        filed_at: china_timestamp(ended_s + 60),
        version: 1 + i64::from(review.is_some()),
    };
    (row, review)
}

/// The indexes of the big tables as the migrations made them: dropped for the load, then built again.
fn secondary_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
            AND tbl_name IN ('cases', 'audit_log', 'patrols') ORDER BY name",
    )?;
    Ok(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
}

/// Generates the town into an empty, migrated database. `now_s` ends the
/// history; `progress` hears how far the cases and patrols are.
pub fn generate(conn: &mut Connection, spec: &Spec, now_s: i64, progress: &mut dyn FnMut(Stage)) -> Result<Summary> {
    let occupied: i64 =
        conn.query_row("SELECT (SELECT count(*) FROM grids) + (SELECT count(*) FROM people)", [], |r| r.get(0))?;
    if occupied > 0 {
        return Err(Error::Conflict(crate::error::Msg::new(
            "数据库不是空的：请为生成的数据指定一个新文件",
            "the database is not empty: generate into a new file",
        )));
    }
    if spec.villages == 0 {
        return Err(Error::invalid("villages", "村级网格数至少为 1", "at least one village"));
    }
    // A bulk load into a new file that is removed if anything fails: no
    // journal, no fsync, one lock, and the foreign keys are the generator's
    // own (its test runs `foreign_key_check`).
    conn.execute_batch(
        "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144; PRAGMA threads = 2;",
    )?;
    let mut rng = Rng(spec.seed);
    let start_s = now_s - i64::from(spec.years.max(1)) * 365 * DAY;
    let (start, now) = (china_date(start_s), china_timestamp(now_s));
    let town = layout(spec.villages);
    let tx = conn.transaction()?;
    geography::import_grids(&tx, &grids_geojson(&town), "gridsafe generate")?;
    geography::import_rivers(&tx, &rivers_geojson(&town, &mut rng), "gridsafe generate")?;
    let maps = geography::load_maps(&tx)?;
    let (cast, people) = cast(&tx, &maps, &mut rng, &start, &now)?;
    tx.commit()?;
    let indexes = secondary_indexes(conn)?;
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX {name}"))?;
    }
    let mut load = Load {
        places: villages(&maps),
        maps: &maps,
        cast: &cast,
        rng,
        now_s,
        pending: std::collections::BinaryHeap::new(),
        order: 0,
        head: None,
        case_numbers: std::collections::BTreeMap::new(),
        patrol_codes: std::collections::BTreeMap::new(),
        batch: Batch::default(),
        summary: Summary {
            villages: 0,
            communities: town.communities,
            reaches: maps.reaches().len(),
            people,
            enterprises: cast.enterprises.len(),
            ..Summary::default()
        },
    };
    load.summary.villages = load.places.len();
    let patrols = if maps.reaches().is_empty() { 0 } else { spec.patrols };
    // One thread makes the rows (lives, tracks, the hash chain), this one
    // writes them: the two cores each do half of the work.
    // Written batches go back to be dropped there too: freeing millions of
    // strings on the thread that allocated them is much cheaper.
    let (tx_batches, rx_batches) = std::sync::mpsc::sync_channel::<Batch>(2);
    let (tx_done, rx_done) = std::sync::mpsc::channel::<Batch>();
    let load = std::thread::scope(|scope| -> Result<Load<'_>> {
        let maker = scope.spawn(move || {
            load.make(spec, start_s, patrols, &tx_batches, &rx_done);
            load
        });
        let written = write_batches(conn, &rx_batches, &tx_done, progress);
        drop(rx_batches);
        let load = maker.join().map_err(|_| Error::Internal(anyhow::anyhow!("the row maker panicked")))?;
        written.map(|()| load)
    })?;
    for (year, last) in &load.case_numbers {
        case_store::set_counter(conn, *year, *last)?;
    }
    for (year, last) in &load.patrol_codes {
        patrol_store::set_counter(conn, *year, *last)?;
    }
    let summary = load.summary;
    progress(Stage::Indexes);
    // The cells the tracks pass through, which the map's and the OGC API's
    // boxes and the repeat check look patrols up by.
    patrol_store::index_all_cells(conn)?;
    for (name, sql) in &indexes {
        let started = std::time::Instant::now();
        conn.execute_batch(sql)?;
        tracing::debug!(index = name.as_str(), seconds = started.elapsed().as_secs_f64(), "index built");
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
    )?;
    Ok(summary)
}

/// One transaction's rows, made by [`Load::make`] and written by [`write_batches`].
#[derive(Default)]
struct Batch {
    cases: Vec<CaseRow>,
    patrols: Vec<PatrolRow>,
    entries: Vec<crate::domain::audit::Entry>,
    /// Cases and patrols made so far, this batch's included.
    made: (u64, u64),
}

/// Writes each batch in its own transaction as it comes.
fn write_batches(
    conn: &mut Connection,
    rx: &std::sync::mpsc::Receiver<Batch>,
    done: &std::sync::mpsc::Sender<Batch>,
    progress: &mut dyn FnMut(Stage),
) -> Result<()> {
    for batch in rx {
        let tx = conn.transaction()?;
        case_store::insert_all(&tx, &batch.cases)?;
        patrol_store::insert_all(&tx, &batch.patrols)?;
        audit::insert_linked(&tx, &batch.entries)?;
        tx.commit()?;
        progress(Stage::Cases(batch.made.0));
        progress(Stage::Patrols(batch.made.1));
        let _ = done.send(batch);
    }
    Ok(())
}

/// The rows being made: what the cases and patrols need, the audit entries
/// waiting for their time, and the numbering.
struct Load<'a> {
    places: Vec<Village>,
    maps: &'a crate::spatial::Maps,
    cast: &'a Cast,
    rng: Rng,
    now_s: i64,
    pending: std::collections::BinaryHeap<std::cmp::Reverse<Pending>>,
    order: u64,
    /// The last entry linked: `seq` and hash.
    head: Option<(i64, String)>,
    /// Per year, the last case number and patrol code given.
    case_numbers: std::collections::BTreeMap<i64, i64>,
    patrol_codes: std::collections::BTreeMap<i64, i64>,
    batch: Batch,
    summary: Summary,
}

impl Load<'_> {
    /// Makes every case and patrol in calendar order, [`BATCH`] at a time,
    /// and hands each batch on; stops early if the writer has gone.
    fn make(
        &mut self,
        spec: &Spec,
        start_s: i64,
        patrols: usize,
        out: &std::sync::mpsc::SyncSender<Batch>,
        written: &std::sync::mpsc::Receiver<Batch>,
    ) {
        let span = (self.now_s - start_s) as f64;
        let case_at = |i: usize| start_s + (span * i as f64 / spec.cases.max(1) as f64) as i64;
        let patrol_at = |j: usize| start_s + (span * (j as f64 + 0.5) / spec.patrols.max(1) as f64) as i64;
        let (mut c, mut p) = (0_usize, 0_usize);
        while c < spec.cases || p < patrols {
            for _ in 0..BATCH {
                let next_case = (c < spec.cases).then(|| case_at(c));
                let next_patrol = (p < patrols).then(|| patrol_at(p));
                match (next_case, next_patrol) {
                    (Some(a), b) if b.is_none_or(|b| a <= b) => {
                        self.due(a);
                        self.case(a);
                        c += 1;
                    }
                    (_, Some(b)) => {
                        self.due(b);
                        self.patrol(b);
                        p += 1;
                    }
                    _ => break,
                }
            }
            if c >= spec.cases && p >= patrols {
                self.due(i64::MAX);
            }
            let mut batch = std::mem::take(&mut self.batch);
            batch.made = (c as u64, p as u64);
            if out.send(batch).is_err() {
                return;
            }
            written.try_iter().for_each(drop);
        }
    }

    fn wait(
        &mut self,
        at_s: i64,
        case_id: Option<i64>,
        actor: i64,
        what: (&'static str, Option<&'static str>, &'static str),
        comment: String,
    ) {
        self.order += 1;
        let (action, from, to) = what;
        self.pending.push(std::cmp::Reverse(Pending {
            at_s,
            order: self.order,
            case_id,
            actor,
            action,
            from,
            to,
            comment,
        }));
    }

    /// Links the waiting entries up to `until` into the chain, in time order.
    fn due(&mut self, until: i64) {
        while self.pending.peek().is_some_and(|e| e.0.at_s <= until) {
            let std::cmp::Reverse(e) = self.pending.pop().expect("peeked");
            let entry = crate::domain::audit::link(self.head.as_ref().map(|(s, h)| (*s, h.as_str())), record(e));
            self.head = Some((entry.seq, entry.hash.clone()));
            self.batch.entries.push(entry);
            self.summary.audit_entries += 1;
        }
    }

    /// Files one case at `at` with its whole life; its steps wait for their time.
    fn case(&mut self, at: i64) {
        let v = self.rng.below(self.places.len());
        let (mut row, steps) = case_life(&mut self.rng, self.cast, (v, &self.places[v]), at, self.now_s);
        let year: i64 = row.reported_at[..4].parse().unwrap_or(2026);
        let n = self.case_numbers.entry(year).or_default();
        *n += 1;
        row.number = case_store::number(TOWN, year, *n);
        row.version = steps.len() as i64;
        self.summary.cases += 1;
        row.id = self.summary.cases as i64;
        for s in steps {
            self.wait(s.at_s, Some(row.id), s.actor, (s.action, s.from, s.to), s.comment.to_owned());
        }
        self.batch.cases.push(row);
    }

    /// Files one patrol log begun at `at`, and its review when it has one.
    fn patrol(&mut self, at: i64) {
        let r = self.rng.below(self.maps.reaches().len());
        let reach = &self.maps.reaches()[r];
        let reviewer = self
            .cast
            .town_chiefs
            .iter()
            .find(|(code, _)| code == reach.river.as_str())
            .map_or(self.cast.admin, |(_, id)| *id);
        let year: i64 = china_date(at)[..4].parse().unwrap_or(2026);
        let n = self.patrol_codes.entry(year).or_default();
        *n += 1;
        let code = patrol_store::code(year, *n);
        let (row, review) = patrol(code, &mut self.rng, reach, (self.cast.village_chiefs[r], reviewer), at, self.now_s);
        self.wait(row.ended_s + 60, None, row.chief_id, ("patrol", None, "pending"), format!("巡河日志 {}", row.code));
        if let Some((at_s, decision)) = review {
            let what = if decision == "approve" {
                ("patrol_approve", Some("pending"), "approved")
            } else {
                ("patrol_return", Some("pending"), "returned")
            };
            self.wait(at_s, None, reviewer, what, format!("巡河日志 {}：审阅", row.code));
        }
        self.batch.patrols.push(row);
        self.summary.patrols += 1;
    }
}

fn record(e: Pending) -> NewEntry {
    NewEntry {
        case_id: e.case_id,
        actor_id: e.actor,
        at: china_timestamp(e.at_s),
        action: e.action.into(),
        from: e.from.map(Into::into),
        to: Some(e.to.into()),
        comment: e.comment,
        media: Vec::new(),
        document_sha256: None,
    }
}
