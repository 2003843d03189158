//! The demo town's people, enterprises and assignments for `serve --demo`:
//! realistic enough to click through, with a few deliberate gaps so the
//! coverage report has something to show. Names are synthetic; codes are
//! marked as demo data.

use rusqlite::Connection;

use crate::domain::enterprise::Uscc;
use crate::domain::people::ChiefLevel;
use crate::domain::time::china_timestamp;
use crate::error::Result;
use crate::service::accounts::{self, AssignmentInput};
use crate::spatial::Maps;
use crate::store::enterprises::{self as enterprise_store, EnterpriseFields};
use crate::store::people::{self as people_store, NewPerson};

/// How many demo cases `serve --demo` files.
pub const DEMO_CASES: usize = 300;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "gridsafe-demo";

/// The demo logins worth trying, with what each shows: (username, role).
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("admin", "镇管理员 / town office"),
    ("tf0101.safety", "网格员（安全）/ safety inspector of 八里"),
    ("tf0101.env", "网格员（环保）/ environment inspector of 八里"),
    ("tf01.leader", "网格长 / grid leader of 谭坊社区"),
    ("expert1", "镇级专家 / town expert"),
    ("eexpert01", "企业聘请专家 / enterprise expert"),
    ("cadre01", "包靠干部 / key-enterprise cadre"),
    ("chief.mihe", "镇级河长 / town river chief of 弥河"),
    ("police.mihe", "河道警长 / river police chief of 弥河"),
];

/// Enterprises named in the town's 2018 plan: (name, business, community code, above scale).
const NAMED: &[(&str, &str, &str, bool)] = &[
    ("华诚高科", "海绵城市材料", "TF03", true),
    ("冠泰管桩", "管桩", "TF03", true),
    ("沃泰生物", "生物科技", "TF03", true),
    ("泽鸿生物", "生物科技", "TF03", true),
    ("北京中龙创", "生物科技", "TF03", true),
    ("世邦机械", "发动机配件", "TF01", true),
    ("山东中叉", "电动叉车", "TF01", true),
    ("潍坊泓晟", "秸秆热电联产", "TF05", true),
    ("山东诺诚恒基", "管桩", "TF06", true),
    ("山东新展新材料", "新材料（在建）", "TF06", true),
    ("正大集团兴保农林", "畜禽养殖（在建）", "TF07", true),
    ("无缝钢管厂", "钢管（停产）", "TF08", false),
    ("鼎信工贸", "工贸（停产）", "TF04", false),
    ("贝德塑料", "塑料制品（停产）", "TF09", false),
    ("正盈食品", "食品（停产）", "TF02", false),
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: [&str; 16] = [
    "建国", "秀英", "志强", "海燕", "国庆", "丽华", "明亮", "红梅", "立新", "春生", "桂兰", "德胜", "玉珍", "永刚",
    "淑芬", "卫东",
];

/// Villages (by position in code order) left without an inspector: (index, duty).
const NO_INSPECTOR: [(usize, &str); 3] = [(5, "environment"), (30, "environment"), (57, "safety")];

fn name(i: usize) -> String {
    format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()])
}

/// A synthetic code that passes the checksum: 青州 area code plus a counter.
fn demo_uscc(i: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut n = i + 1000;
    let mut tail = String::new();
    for _ in 0..7 {
        tail.insert(0, char::from(ALPHABET[n % 31]));
        n /= 31;
    }
    Uscc::complete(&format!("91370781MA{tail}")).expect("demo codes use the USCC alphabet").to_string()
}

struct Seeder<'a> {
    conn: &'a Connection,
    maps: &'a Maps,
    hash: &'a str,
    now_s: i64,
    people: usize,
}

impl Seeder<'_> {
    fn person(&mut self, username: &str, display: Option<String>) -> Result<()> {
        let display = display.unwrap_or_else(|| name(self.people));
        self.people += 1;
        let phone = format!("1380536{:04}", self.people);
        people_store::insert(
            self.conn,
            &NewPerson {
                username: username.to_owned(),
                name: display,
                phone: Some(phone),
                password_hash: self.hash.to_owned(),
                demo: true,
            },
            &china_timestamp(self.now_s),
        )?;
        Ok(())
    }

    fn assign(
        &self,
        username: &str,
        role: &str,
        scope: Vec<String>,
        extra: (Option<&str>, Option<&str>),
    ) -> Result<()> {
        let input = AssignmentInput {
            username: username.to_owned(),
            role: role.to_owned(),
            scope,
            duty: extra.0.map(str::to_owned),
            level: extra.1.map(str::to_owned),
            specialty: (role == "enterprise_expert").then(|| "安全生产".to_owned()),
            from: Some("2026-01-01".to_owned()),
            to: None,
        };
        accounts::create_assignment(self.conn, self.maps, &input, self.now_s)?;
        Ok(())
    }
}

/// Seeds people, enterprises and assignments into a database that has the
/// demo geography and nobody in it. `hash` is the demo password's hash,
/// computed once by the caller (off the writer thread).
pub fn seed(conn: &Connection, maps: &Maps, hash: &str, now_s: i64) -> Result<()> {
    if people_store::count(conn)? > 0 {
        return Ok(());
    }
    let town = maps.town().map(|t| t.grid.code.to_string()).unwrap_or_default();
    let mut s = Seeder { conn, maps, hash, now_s, people: 0 };
    s.person("admin", Some("谭坊镇安监办".into()))?;
    s.assign("admin", "admin", vec![town.clone()], (None, None))?;

    let villages: Vec<(String, String)> =
        maps.villages().map(|v| (v.grid.code.to_string(), v.grid.name.clone())).collect();
    for (i, (code, _)) in villages.iter().enumerate() {
        for (duty, suffix) in [("safety", "safety"), ("environment", "env")] {
            if NO_INSPECTOR.contains(&(i, duty)) {
                continue;
            }
            let username = format!("{}.{suffix}", code.to_ascii_lowercase());
            s.person(&username, None)?;
            s.assign(&username, "inspector", vec![code.clone()], (Some(duty), None))?;
        }
    }
    let communities: Vec<String> = maps
        .grids()
        .iter()
        .filter(|g| g.grid.level == crate::domain::grid::GridLevel::Community)
        .map(|g| g.grid.code.to_string())
        .collect();
    for code in &communities {
        let username = format!("{}.leader", code.to_ascii_lowercase());
        s.person(&username, None)?;
        s.assign(&username, "grid_leader", vec![code.clone()], (None, None))?;
    }
    for n in 1..=3 {
        let username = format!("expert{n}");
        s.person(&username, None)?;
        s.assign(&username, "town_expert", vec![town.clone()], (None, None))?;
    }

    let ids = seed_enterprises(conn, maps, &villages, now_s)?;
    // Above-scale enterprises: the first 40. Index 9 (山东新展新材料) has no
    // expert and index 10 (正大集团兴保农林) has two: both are coverage gaps.
    for n in 1..=10 {
        let username = format!("eexpert{n:02}");
        s.person(&username, None)?;
        let hired: Vec<String> =
            (0..40).filter(|i| i % 10 == n - 1 && *i != 9).map(|i: usize| ids[i].to_string()).collect();
        s.assign(&username, "enterprise_expert", hired, (None, None))?;
    }
    s.assign("eexpert02", "enterprise_expert", vec![ids[10].to_string()], (None, None))?;
    // Key enterprises: the first 45; index 44 has no cadre.
    for n in 1..=15 {
        let username = format!("cadre{n:02}");
        s.person(&username, None)?;
        let followed: Vec<String> =
            (0..45).filter(|i| i / 3 == n - 1 && *i != 44).map(|i: usize| ids[i].to_string()).collect();
        if !followed.is_empty() {
            s.assign(&username, "cadre", followed, (None, None))?;
        }
    }

    for river in maps.rivers() {
        let code = river.river.code.to_string();
        let chief = format!("chief.{code}");
        s.person(&chief, None)?;
        s.assign(&chief, "river_chief", vec![code.clone()], (None, Some(ChiefLevel::Town.as_str())))?;
        // 猪龙河 has no police chief yet (the trial covers three rivers).
        if code != "zhulonghe" {
            let police = format!("police.{code}");
            s.person(&police, None)?;
            s.assign(&police, "river_police", vec![code], (None, None))?;
        }
    }
    // Village-level chiefs: one per village, over every reach in it, except the
    // first reach of 猪龙河, which has none.
    let unchaired = maps.reaches_of("zhulonghe").next().map(|r| r.code.clone());
    for (code, _) in &villages {
        let reaches: Vec<String> = maps
            .reaches()
            .iter()
            .filter(|r| r.grid.as_str() == code && Some(&r.code) != unchaired.as_ref())
            .map(|r| r.code.clone())
            .collect();
        if reaches.is_empty() {
            continue;
        }
        let username = format!("{}.chief", code.to_ascii_lowercase());
        s.person(&username, None)?;
        s.assign(&username, "river_chief", reaches, (None, Some(ChiefLevel::Village.as_str())))?;
    }
    Ok(())
}

/// Inserts 60 enterprises (the 15 named ones first) and 5 small premises; returns their ids in order.
fn seed_enterprises(conn: &Connection, maps: &Maps, villages: &[(String, String)], now_s: i64) -> Result<Vec<i64>> {
    let now = china_timestamp(now_s);
    let mut ids = Vec::new();
    let spot = |i: usize, community: Option<&str>| -> (f64, f64, String) {
        use geo::InteriorPoint;
        let candidates: Vec<&(String, String)> =
            villages.iter().filter(|(code, _)| community.is_none_or(|c| code.starts_with(c))).collect();
        let (code, _) = candidates[(i * 7) % candidates.len()];
        let point = maps.grid(code).and_then(|g| g.shape.interior_point()).map_or((0.0, 0.0), |p| (p.x(), p.y()));
        (point.0, point.1, code.clone())
    };
    for i in 0..60 {
        let (name, industry, community, above) = match NAMED.get(i) {
            Some(&(n, b, c, a)) => (n.to_owned(), b.to_owned(), Some(c), a),
            None => (format!("演示企业{:02}有限公司", i - NAMED.len() + 1), "机械加工".to_owned(), None, i < 40),
        };
        let (lon, lat, grid_code) = spot(i, community);
        let fields = EnterpriseFields {
            name,
            uscc: Some(demo_uscc(i)),
            uscc_override: None,
            address: format!("谭坊镇{}", villages.iter().find(|(c, _)| *c == grid_code).map_or("", |(_, n)| n)),
            lon,
            lat,
            grid_code,
            industry,
            above_scale: above && i < 40,
            key: i < 45,
            contact_name: Some(name_for_contact(i)),
            contact_phone: Some(format!("0536-37{:05}", 10_000 + i)),
            demo: true,
        };
        ids.push(enterprise_store::insert(conn, &fields, &now)?.id);
    }
    for i in 0..5 {
        let (lon, lat, grid_code) = spot(100 + i, None);
        let fields = EnterpriseFields {
            name: format!("小作坊{}号（演示）", i + 1),
            uscc: None,
            uscc_override: None,
            address: "村内".into(),
            lon,
            lat,
            grid_code,
            industry: "小散乱污".into(),
            above_scale: false,
            key: false,
            contact_name: None,
            contact_phone: None,
            demo: true,
        };
        enterprise_store::insert(conn, &fields, &now)?;
    }
    Ok(ids)
}

fn name_for_contact(i: usize) -> String {
    name(i + 500)
}

/// Demo photos: a few distinct synthetic pictures (no real scene is shipped).
fn demo_photos(conn: &Connection, now: &str) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for seed in 0u8..6 {
        let photo = crate::service::media::prepare(&sample_photo(seed))?;
        crate::store::media::insert(conn, &photo, 1, now)?;
        ids.push(photo.id);
    }
    Ok(ids)
}

/// A synthetic site photo (PNG, 640×480): sky, ground, a building and sensor
/// noise, so that it compresses like a real photo does. Used by the demo,
/// the tests and the benchmarks.
pub fn sample_photo(seed: u8) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32 ^ u32::from(seed).wrapping_mul(0x85eb_ca6b);
    let image = image::RgbImage::from_fn(640, 480, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as u8;
        let building = (180 + u32::from(seed) * 20..420 + u32::from(seed) * 10).contains(&x) && (150..360).contains(&y);
        let base = if building {
            [150 + seed * 10, 120, 100]
        } else if y < 200 {
            [120, 160 + (y / 4) as u8, 220]
        } else {
            [90 + seed * 8, 110 + ((x + y) % 40) as u8, 70]
        };
        image::Rgb(base.map(|c| c.saturating_add(noise)))
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encoding a PNG in memory cannot fail");
    png
}

/// How far a demo case gets, by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Reported,
    Registered,
    Dispatched,
    Overdue,
    Submitted,
    Closed,
    Reworked,
    Cancelled,
}

const STAGES: [Stage; 8] = [
    Stage::Reported,
    Stage::Registered,
    Stage::Dispatched,
    Stage::Overdue,
    Stage::Submitted,
    Stage::Closed,
    Stage::Reworked,
    Stage::Closed,
];

/// Seeds `count` cases across the town, in every state, some overdue and some
/// major (with plans and transfers), filed over the last half year. Call after [`seed`].
pub fn seed_cases(conn: &Connection, maps: &Maps, now_s: i64, count: usize) -> Result<usize> {
    use crate::domain::time::china_date;
    use crate::service::cases::{self, CaseInput};
    use geo::InteriorPoint;

    if !crate::store::cases::list(conn)?.is_empty() {
        return Ok(0);
    }
    let photos = demo_photos(conn, &china_timestamp(now_s))?;
    let villages: Vec<&crate::spatial::features::GridFeature> = maps.villages().collect();
    let enterprises = enterprise_store::list(conn)?;
    // Demo assignments all run from 2026-01-01 with no end, so today's actors serve every date.
    let today = china_date(now_s);
    let mut everyone = Vec::new();
    for p in people_store::list(conn)? {
        everyone.extend(accounts::actor_of(conn, p, &today, maps)?);
    }
    let person = |username: &str, _at: i64| -> Result<Option<accounts::Actor>> {
        Ok(everyone.iter().find(|a| a.person.username == username).cloned())
    };
    let day = 86_400;
    let mut filed = 0;
    for i in 0..count {
        let village = villages[(i * 7) % villages.len()];
        let code = village.grid.code.to_string();
        let stage = if i % 23 == 22 { Stage::Cancelled } else { STAGES[i % STAGES.len()] };
        let reach = maps.reaches().iter().find(|r| r.grid.as_str() == code && i % 5 == 4);
        let enterprise = enterprises.iter().find(|e| e.grid_code == code && e.uscc.is_some() && i % 3 != 2);
        let (kind, category, point) = match (reach, enterprise) {
            (Some(r), _) => {
                let p = r.line.0[0].0[r.line.0[0].0.len() / 2];
                ("river", format!("R-P{:02}", 1 + i % 8), (p.x, p.y))
            }
            (None, Some(e)) if i % 2 == 0 => ("safety", format!("S-F{:02}", 1 + i % 12), (e.lon, e.lat)),
            _ => {
                let p = village.shape.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y()));
                if i % 2 == 0 {
                    ("safety", format!("S-B{:02}", 1 + i % 12), p)
                } else {
                    ("environment", format!("E-A{:02}", 1 + i % 3), p)
                }
            }
        };
        let major = kind == "safety" && i % 15 == 0;
        let reported_at = now_s - i64::try_from((i * 11) % 170 + 10).unwrap_or(10) * day;
        let duty = if kind == "safety" { "safety" } else { "env" };
        let reporter = match person(&format!("{}.{duty}", code.to_ascii_lowercase()), reported_at)? {
            Some(a) => a,
            None => match person("admin", reported_at)? {
                Some(a) => a,
                None => continue,
            },
        };
        let input = CaseInput {
            kind: kind.into(),
            category,
            grade: if major { "major".into() } else { "general".into() },
            criterion: major.then(|| "《工贸企业重大事故隐患判定标准》第四条".into()),
            title: format!("{}{}", village.grid.name, if kind == "river" { "河道问题" } else { "隐患" }),
            description: "演示数据：巡查中发现的问题，详见照片。".into(),
            lon: point.0,
            lat: point.1,
            enterprise_id: (kind == "safety").then_some(enterprise.map(|e| e.id)).flatten(),
            photos: vec![photos[i % photos.len()].clone()],
        };
        let case = cases::file(conn, maps, &reporter, &input, reported_at)?;
        filed += 1;
        let walk = Walk { conn, maps, everyone: &everyone, case: &case, reported_at, now_s };
        let responsible = enterprise.map_or_else(|| format!("{}村委会", village.grid.name), |e| e.name.clone());
        walk.advance(stage, major, responsible, &photos[(i + 1) % photos.len()])?;
    }
    Ok(filed)
}

/// Walks one demo case through the loop up to its stage.
struct Walk<'a> {
    conn: &'a Connection,
    maps: &'a Maps,
    everyone: &'a [accounts::Actor],
    case: &'a crate::store::cases::CaseRow,
    reported_at: i64,
    now_s: i64,
}

impl Walk<'_> {
    fn step(
        &self,
        who: &accounts::Actor,
        action: &str,
        days: i64,
        extra: crate::service::cases::ActionInput,
    ) -> Result<()> {
        let input = crate::service::cases::ActionInput { action: action.into(), ..extra };
        let at = self.reported_at + days * 86_400;
        crate::service::cases::act(self.conn, self.maps, who, &self.case.number, &input, None, at).map(drop)
    }

    fn advance(&self, stage: Stage, major: bool, responsible: String, fix_photo: &str) -> Result<()> {
        use crate::domain::time::china_date;
        use crate::service::cases::{ActionInput, Plan};
        let Some(admin) = self.everyone.iter().find(|a| a.person.username == "admin") else { return Ok(()) };
        match stage {
            Stage::Reported => return Ok(()),
            Stage::Cancelled => {
                let reason = ActionInput { reason: Some("重复上报".into()), ..ActionInput::default() };
                return self.step(admin, "cancel", 1, reason);
            }
            _ => self.step(admin, "register", 1, ActionInput::default())?,
        }
        if stage == Stage::Registered {
            return Ok(());
        }
        // Overdue cases got a deadline that has passed; the others one well ahead.
        let day = 86_400;
        let earliest = self.reported_at + 2 * day;
        let deadline_at = if stage == Stage::Overdue {
            (self.reported_at + 8 * day).min(self.now_s - 2 * day)
        } else {
            self.now_s + 30 * day
        };
        let deadline = china_date(deadline_at.max(earliest));
        let dispatch = ActionInput {
            responsible: Some(responsible),
            measures: Some("按照整改通知书要求限期整改".into()),
            deadline: Some(deadline.clone()),
            plan: major.then(|| Plan {
                responsible_person: "企业主要负责人".into(),
                measures: "停产整改，更换设备".into(),
                funds: "10 万元".into(),
                deadline,
                contingency: "设置警戒区，专人值守".into(),
            }),
            ..ActionInput::default()
        };
        self.step(admin, "dispatch", 2, dispatch)?;
        if major {
            let to = ActionInput { department: Some("青州市应急管理局".into()), ..ActionInput::default() };
            self.step(admin, "transfer", 2, to)?;
        }
        if matches!(stage, Stage::Dispatched | Stage::Overdue) {
            return Ok(());
        }
        let fix = || ActionInput {
            photos: vec![fix_photo.to_owned()],
            description: Some("已按要求整改完毕".into()),
            ..ActionInput::default()
        };
        self.step(admin, "submit", 5, fix())?;
        if stage == Stage::Submitted {
            return Ok(());
        }
        let current = crate::store::cases::by_number(self.conn, &self.case.number)?;
        let facts = crate::service::cases::facts(self.maps, current.as_ref().unwrap_or(self.case));
        let verifier = self.everyone.iter().find(|a| {
            let view = crate::domain::case::Actor { person: a.person.id, scope: &a.scope };
            a.person.id != self.case.reporter_id && crate::domain::case::is_verifier(view, &facts)
        });
        let Some(verifier) = verifier else { return Ok(()) };
        if stage == Stage::Reworked {
            let reason = ActionInput { reason: Some("整改不到位".into()), ..ActionInput::default() };
            self.step(verifier, "return", 6, reason)?;
            self.step(admin, "submit", 8, fix())?;
        }
        let comment =
            ActionInput { comment: Some("经复查，整改到位，同意销号".into()), ..ActionInput::default() };
        self.step(verifier, "approve", 9, comment)
    }
}

/// A walk along a river for demo and test patrols: starting `from_m` metres
/// below the river's first reach, `metres` long at `speed_kmh`, one fix every
/// ten seconds from `start_s`, turning back at the mouth, with GPS noise of
/// up to `noise_m` metres (deterministic per `seed`). Returns points and times.
pub fn walk_river(
    maps: &Maps,
    river: &str,
    (from_m, metres): (f64, f64),
    speed_kmh: f64,
    start_s: i64,
    (noise_m, seed): (f64, u64),
) -> (Vec<(f64, f64)>, Vec<i64>) {
    use geo::{Distance, Haversine, Point};
    let course: Vec<geo::Coord> =
        maps.reaches_of(river).flat_map(|r| r.line.0.iter().flat_map(|l| l.0.iter().copied())).collect();
    let mut rng = seed.max(1);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % 2001) as f64 / 1000.0 - 1.0
    };
    let step_m = speed_kmh / 3.6 * 10.0;
    let (mut points, mut times) = (Vec::new(), Vec::new());
    if course.len() < 2 {
        return (points, times);
    }
    let mut walked = -from_m;
    let (mut at, mut forward, mut clock) = (0usize, true, start_s);
    let mut here = course[0];
    while walked < metres {
        let step_to = if forward { at + 1 } else { at.wrapping_sub(1) };
        let Some(&target) = course.get(step_to) else {
            forward = !forward;
            continue;
        };
        let gap = Haversine.distance(Point::from(here), Point::from(target));
        if gap <= step_m {
            here = target;
            at = step_to;
            walked += gap;
            continue;
        }
        let f = step_m / gap;
        here = geo::Coord { x: here.x + (target.x - here.x) * f, y: here.y + (target.y - here.y) * f };
        walked += step_m;
        if walked >= 0.0 {
            let k = noise_m / 111_000.0;
            points.push((here.x + next() * k * 1.25, here.y + next() * k));
            times.push(clock);
            clock += 10;
        }
    }
    (points, times)
}

/// Seeds patrol logs for the demo chiefs over the last three months: tracks
/// that follow their reaches with GPS noise, a few deliberately invalid (too
/// short, off the river). Call after [`seed`]; does nothing if logs exist.
pub fn seed_patrols(conn: &Connection, maps: &Maps, now_s: i64) -> Result<usize> {
    use crate::service::patrols::{ChecklistItem, PatrolInput};
    if !crate::store::patrols::list(conn, None, None)?.is_empty() {
        return Ok(0);
    }
    let today = crate::domain::time::china_date(now_s);
    let mut filed = 0;
    let day = 86_400;
    for person in people_store::list(conn)? {
        let Some(actor) = accounts::actor_of(conn, person, &today, maps)? else { continue };
        for assignment in actor.assignments.iter().filter(|a| a.role == crate::domain::people::Role::RiverChief) {
            let town = assignment.level == Some(ChiefLevel::Town);
            for item in &assignment.scope {
                let (river, from_m) = match item {
                    crate::domain::people::ScopeItem::River(code) => (code.clone(), 0.0),
                    crate::domain::people::ScopeItem::Reach(code) => {
                        let Some(reach) = maps.reach(code) else { continue };
                        let before: f64 = maps
                            .reaches_of(reach.river.as_str())
                            .take_while(|r| r.code != reach.code)
                            .map(|r| r.length_m)
                            .sum();
                        (reach.river.to_string(), before)
                    }
                    _ => continue,
                };
                // Town chiefs three or four times a month, village chiefs weekly, over 13 weeks.
                let every = if town { 9 } else { 7 };
                for k in 0..(91 / every) {
                    let n = filed + k as usize;
                    let day_s = now_s - (91 - k * every) * day;
                    // Between 08:00 and 10:00 China time (UTC+8) on that day.
                    let start = (day_s + 8 * 3600) / day * day - 8 * 3600 + 8 * 3600 + (n as i64 % 5) * 1800;
                    let (minutes, metres) =
                        if n % 17 == 5 { (12.0, 600.0) } else { (45.0 + (n % 4) as f64 * 5.0, 3200.0) };
                    let speed = metres / 1000.0 / (minutes / 60.0);
                    let (mut points, times) =
                        walk_river(maps, &river, (from_m, metres), speed, start, (6.0, n as u64 * 7919 + 1));
                    if n % 23 == 11 {
                        // Off the river: the track lies about 2 km north.
                        for p in &mut points {
                            p.1 += 0.018;
                        }
                    }
                    let Some(&end) = times.last() else { continue };
                    if end > now_s || points.len() < 2 {
                        continue;
                    }
                    let coordinates: Vec<[f64; 2]> = points.iter().map(|p| [p.0, p.1]).collect();
                    let input = PatrolInput {
                        river: river.clone(),
                        started_at: china_timestamp(start),
                        ended_at: china_timestamp(end),
                        track: Some(serde_json::json!({"type": "Feature",
                            "geometry": {"type": "LineString", "coordinates": coordinates},
                            "properties": {"times": times}})),
                        gpx: None,
                        checklist: crate::domain::patrol::RECORD_TYPES
                            .iter()
                            .map(|t| ChecklistItem { kind: (*t).into(), status: "normal".into(), note: None })
                            .collect(),
                        findings: Vec::new(),
                        notes: Some("演示数据：例行巡河。".into()),
                        photos: Vec::new(),
                    };
                    crate::service::patrols::file(conn, maps, &actor, &input, now_s)?;
                    filed += 1;
                }
            }
        }
    }
    Ok(filed)
}
