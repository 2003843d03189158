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
    ("contact01", "企业联系人 / enterprise contact of 世邦机械"),
    ("chief.mihe", "镇级河长 / town river chief of 弥河"),
    ("tf01.chief", "社区级河长 / community river chief of 谭坊社区"),
    ("tf0101.chief", "村级河长 / village river chief of 八里"),
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
    // Enterprise contacts, each the contact person on their enterprise's record.
    for (n, &i) in CONTACTS.iter().enumerate() {
        let username = format!("contact{:02}", n + 1);
        s.person(&username, Some(name_for_contact(i)))?;
        s.assign(&username, "enterprise_contact", vec![ids[i].to_string()], (None, None))?;
    }
    community_chiefs(&mut s, maps, &communities)?;
    Ok(())
}

/// Community-level chiefs (`tf01.chief`, ...): one per community over the
/// reaches of its villages, between the village chiefs and the town chief.
/// They review the village chiefs' logs; the demo files no walks for them.
fn community_chiefs(s: &mut Seeder<'_>, maps: &Maps, communities: &[String]) -> Result<()> {
    for code in communities {
        let reaches: Vec<String> =
            maps.reaches().iter().filter(|r| maps.is_within(r.grid.as_str(), code)).map(|r| r.code.clone()).collect();
        if reaches.is_empty() {
            continue;
        }
        let username = format!("{}.chief", code.to_ascii_lowercase());
        s.person(&username, None)?;
        s.assign(&username, "river_chief", reaches, (None, Some(ChiefLevel::Community.as_str())))?;
    }
    Ok(())
}

/// The enterprises (by position among the seeded ones) whose contact person
/// has a demo login `contact01`, `contact02`, ...: 世邦机械, 华诚高科 and
/// 山东诺诚恒基, each with demo cases.
const CONTACTS: [usize; 3] = [5, 0, 8];

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

/// A deterministic pseudo-random number for demo item `i` and purpose `salt`
/// (splitmix64), so the demo is the same on every start with the same date.
fn mix(i: usize, salt: u64) -> u64 {
    let mut z = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` in `0..m` for item `i` and purpose `salt`.
fn pick(i: usize, salt: u64, m: u64) -> i64 {
    (mix(i, salt) % m.max(1)) as i64
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Midnight (China time) of the day of `unix_s`.
fn china_midnight(unix_s: i64) -> i64 {
    (unix_s + 8 * HOUR).div_euclid(DAY) * DAY - 8 * HOUR
}

/// What happens to a demo case, and when (Unix seconds).
#[derive(Debug, Clone)]
enum Event {
    File,
    Register,
    Cancel,
    Dispatch { deadline: String },
    Transfer,
    Extend { deadline: String },
    Submit,
    Return,
    Approve,
}

/// One demo case: what is filed, by whom, and its history as it would unfold.
struct CasePlan {
    input: crate::service::cases::CaseInput,
    reporter: accounts::Actor,
    responsible: String,
    major: bool,
    fix_photo: String,
    events: Vec<(i64, Event)>,
    number: Option<String>,
}

/// The history of demo case `i` reported at `reported_at`, as a town office's
/// year goes: registered a day or two later, dispatched with a deadline of one
/// to four weeks (one to two months for a major hazard, transferred to the
/// county the next day), fixed on time by most, late by some, extended before
/// the deadline by a few, never by the stalled ones; returned for rework now
/// and then; signed off a few days after the fix. Only what happened before
/// `today_start` is kept: the rest is still to come.
fn case_history(i: usize, reported_at: i64, major: bool, today_start: i64) -> Vec<(i64, Event)> {
    use crate::domain::time::{add_days, china_date};
    // An office hour `days` after the day of `t`, never before `after`.
    let office = |t: i64, days: i64, salt: u64, after: i64| -> i64 {
        let at = china_midnight(t) + days * DAY + 9 * HOUR + pick(i, salt, 8 * 60) * 60;
        at.max(after + 20 * 60)
    };
    let mut events = vec![(reported_at, Event::File)];
    let registered = office(reported_at, 1 + pick(i, 1, 2), 2, reported_at);
    if i % 23 == 22 {
        events.push((registered, Event::Cancel));
        return events.into_iter().filter(|(t, _)| *t < today_start).collect();
    }
    events.push((registered, Event::Register));
    let dispatched = office(registered, 1 + pick(i, 3, 3), 4, registered);
    let span =
        if major { [30, 45, 60][pick(i, 5, 3) as usize] } else { [7, 10, 15, 15, 20, 30][pick(i, 5, 6) as usize] };
    let dispatch_day = china_date(dispatched);
    let mut deadline = add_days(&dispatch_day, span).unwrap_or_else(|| dispatch_day.clone());
    events.push((dispatched, Event::Dispatch { deadline: deadline.clone() }));
    let mut last = dispatched;
    if major {
        last = office(dispatched, 1, 6, dispatched);
        events.push((last, Event::Transfer));
    }
    // 17:00 on the deadline day.
    let deadline_at = |deadline: &str| {
        crate::domain::time::parse_date(deadline).map_or(dispatched, |d| d * DAY - 8 * HOUR + 17 * HOUR)
    };
    let behaviour = pick(i, 7, 100);
    let submitted = match behaviour {
        // Stalled: the responsible party never reports a fix.
        0..10 => return events.into_iter().filter(|(t, _)| *t < today_start).collect(),
        // Late: the fix comes two to twelve days after the deadline.
        10..18 => office(deadline_at(&deadline), 2 + pick(i, 8, 11), 9, last),
        // Extended two days before the deadline, by ten to twenty days; a third still late.
        18..28 => {
            let asked = office(deadline_at(&deadline), -2, 10, last);
            let old = deadline.clone();
            deadline = add_days(&old, [10, 15, 20][pick(i, 11, 3) as usize]).unwrap_or(old);
            events.push((asked, Event::Extend { deadline: deadline.clone() }));
            let late = pick(i, 12, 3) == 0;
            let days = if late { 1 + pick(i, 13, 6) } else { -(1 + pick(i, 13, 5)) };
            office(deadline_at(&deadline), days, 14, asked)
        }
        // On time: somewhere between a third and three quarters of the way to the deadline.
        _ => {
            let days = (span * (30 + pick(i, 15, 45))) / 100;
            office(dispatched, days.max(1), 16, last)
        }
    };
    events.push((submitted, Event::Submit));
    last = submitted;
    let reworks = match pick(i, 17, 100) {
        0..3 => 2,
        3..15 => 1,
        _ => 0,
    };
    for k in 0..reworks {
        let returned = office(last, 1 + pick(i, 18 + k, 2), 20 + k, last);
        events.push((returned, Event::Return));
        last = office(returned, 2 + pick(i, 22 + k, 4), 24 + k, returned);
        events.push((last, Event::Submit));
    }
    events.push((office(last, 1 + pick(i, 26, 2), 27, last), Event::Approve));
    events.into_iter().filter(|(t, _)| *t < today_start).collect()
}

/// Seeds `count` cases across the town over the half year before `now_s`,
/// some major (with plans and transfers), in every state. The whole history is
/// played in time order, every case's actions interleaved with the others', so
/// case numbers, notice and opinion numbers and audit entries rise with their
/// dates as a clerk's register would. Call after [`seed`].
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
    let person = |username: &str| everyone.iter().find(|a| a.person.username == username).cloned();
    let Some(admin) = person("admin") else { return Ok(0) };
    let today_start = china_midnight(now_s);
    let mut plans = Vec::with_capacity(count);
    for i in 0..count {
        let village = villages[(i * 7) % villages.len()];
        let code = village.grid.code.to_string();
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
        // Case 0 is reported yesterday, the last about 180 days ago, in office hours.
        let days_ago = 1 + (i * 179 / count.max(1)) as i64;
        let reported_at = today_start - days_ago * DAY + 8 * HOUR + 30 * 60 + pick(i, 0, 9 * 60) * 60;
        let duty = if kind == "safety" { "safety" } else { "env" };
        let Some(reporter) = person(&format!("{}.{duty}", code.to_ascii_lowercase())).or_else(|| person("admin"))
        else {
            continue;
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
        plans.push(CasePlan {
            input,
            reporter,
            responsible: enterprise.map_or_else(|| format!("{}村委会", village.grid.name), |e| e.name.clone()),
            major,
            fix_photo: photos[(i + 1) % photos.len()].clone(),
            events: case_history(i, reported_at, major, today_start),
            number: None,
        });
    }
    let mut timeline: Vec<(i64, usize, usize)> = plans
        .iter()
        .enumerate()
        .flat_map(|(p, plan)| plan.events.iter().enumerate().map(move |(e, (at, _))| (*at, p, e)))
        .collect();
    timeline.sort_unstable();
    // A case whose verifier is missing stops where it is, as it would in the office.
    let mut stuck = vec![false; plans.len()];
    let mut filed = 0;
    for (at, p, e) in timeline {
        if stuck[p] {
            continue;
        }
        let plan = &mut plans[p];
        let event = plan.events[e].1.clone();
        if let Event::File = event {
            plan.number = Some(cases::file(conn, maps, &plan.reporter, &plan.input, at)?.number);
            filed += 1;
            continue;
        }
        let Some(number) = plan.number.clone() else { continue };
        let done = act_demo(conn, maps, (&everyone, &admin), plan, &number, &event, at)?;
        stuck[p] = !done;
    }
    Ok(filed)
}

/// Plays one demo event on case `number` at `at`; false when nobody may do it.
fn act_demo(
    conn: &Connection,
    maps: &Maps,
    (everyone, admin): (&[accounts::Actor], &accounts::Actor),
    plan: &CasePlan,
    number: &str,
    event: &Event,
    at: i64,
) -> Result<bool> {
    use crate::service::cases::{ActionInput, Plan};
    let fix = || ActionInput {
        photos: vec![plan.fix_photo.clone()],
        description: Some("已按要求整改完毕".into()),
        ..ActionInput::default()
    };
    let verifier = || -> Result<Option<&accounts::Actor>> {
        let Some(current) = crate::store::cases::by_number(conn, number)? else { return Ok(None) };
        let facts = crate::service::cases::facts(maps, &current);
        Ok(everyone.iter().find(|a| {
            let view = crate::domain::case::Actor { person: a.person.id, scope: &a.scope };
            a.person.id != current.reporter_id && crate::domain::case::is_verifier(view, &facts)
        }))
    };
    let (who, input) = match event {
        Event::File => return Ok(true),
        Event::Register => (admin, ActionInput { action: "register".into(), ..ActionInput::default() }),
        Event::Cancel => {
            (admin, ActionInput { action: "cancel".into(), reason: Some("重复上报".into()), ..ActionInput::default() })
        }
        Event::Dispatch { deadline } => (
            admin,
            ActionInput {
                action: "dispatch".into(),
                responsible: Some(plan.responsible.clone()),
                measures: Some("按照整改通知书要求限期整改".into()),
                deadline: Some(deadline.clone()),
                plan: plan.major.then(|| Plan {
                    responsible_person: "企业主要负责人".into(),
                    measures: "停产整改，更换设备".into(),
                    funds: "10 万元".into(),
                    deadline: deadline.clone(),
                    contingency: "设置警戒区，专人值守".into(),
                }),
                ..ActionInput::default()
            },
        ),
        Event::Transfer => (
            admin,
            ActionInput {
                action: "transfer".into(),
                department: Some("青州市应急管理局".into()),
                ..ActionInput::default()
            },
        ),
        Event::Extend { deadline } => (
            admin,
            ActionInput {
                action: "extend".into(),
                deadline: Some(deadline.clone()),
                reason: Some("设备采购周期长，申请延期".into()),
                ..ActionInput::default()
            },
        ),
        Event::Submit => (admin, ActionInput { action: "submit".into(), ..fix() }),
        Event::Return => {
            let Some(who) = verifier()? else { return Ok(false) };
            (
                who,
                ActionInput {
                    action: "return".into(), reason: Some("整改不到位".into()), ..ActionInput::default()
                },
            )
        }
        Event::Approve => {
            let Some(who) = verifier()? else { return Ok(false) };
            let comment = Some("经复查，整改到位，同意销号".into());
            (who, ActionInput { action: "approve".into(), comment, ..ActionInput::default() })
        }
    };
    crate::service::cases::act(conn, maps, who, number, &input, None, at)?;
    Ok(true)
}

/// A river's course from source to mouth: its reaches in order, each piece
/// turned to run downstream, with where each reach starts and ends along the
/// course (metres). Reach pieces come out of the village cut in any order and
/// direction, so they are put back in the river's own order here.
struct Course {
    points: Vec<geo::Coord>,
    /// (reach code, start m, end m).
    reaches: Vec<(String, f64, f64)>,
    length_m: f64,
}

fn course_of(maps: &Maps, river: &str) -> Course {
    use geo::{Distance, Euclidean, Haversine, LineLocatePoint, Point};
    let line = maps.river(river).map_or_else(|| geo::MultiLineString::new(Vec::new()), |r| r.line.clone());
    // Where a point lies along the river: part index plus the fraction along that part.
    let along = |c: geo::Coord| -> f64 {
        let point = Point::from(c);
        line.iter()
            .enumerate()
            .map(|(i, part)| (Euclidean.distance(part, &point), i, part))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .and_then(|(_, i, part)| part.line_locate_point(&point).map(|f| i as f64 + f))
            .unwrap_or(0.0)
    };
    let mut course = Course { points: Vec::new(), reaches: Vec::new(), length_m: 0.0 };
    for reach in maps.reaches_of(river) {
        let mut pieces: Vec<(f64, Vec<geo::Coord>)> = reach
            .line
            .iter()
            .filter(|piece| piece.0.len() >= 2)
            .map(|piece| {
                let mut coords = piece.0.clone();
                let (a, b) = (along(coords[0]), along(coords[coords.len() - 1]));
                if a > b {
                    coords.reverse();
                }
                (a.min(b), coords)
            })
            .collect();
        pieces.sort_by(|a, b| a.0.total_cmp(&b.0));
        let start = course.length_m;
        for c in pieces.into_iter().flat_map(|(_, coords)| coords) {
            if let Some(&last) = course.points.last() {
                course.length_m += Haversine.distance(Point::from(last), Point::from(c));
            }
            course.points.push(c);
        }
        course.reaches.push((reach.code.clone(), start, course.length_m));
    }
    course
}

/// A walk along a river for demo and test patrols: starting `from_m` metres
/// below the river's source (along its reaches, source to mouth), `metres`
/// long at `speed_kmh`, one fix every ten seconds from `start_s`, turning back
/// at either end, with GPS noise of up to `noise_m` metres (deterministic per
/// `seed`: two seeds give two walks, the same seed the same track). Returns
/// points and times.
pub fn walk_river(
    maps: &Maps,
    river: &str,
    (from_m, metres): (f64, f64),
    speed_kmh: f64,
    start_s: i64,
    (noise_m, seed): (f64, u64),
) -> (Vec<(f64, f64)>, Vec<i64>) {
    walk_course(&course_of(maps, river).points, (from_m, metres), speed_kmh, start_s, (noise_m, seed))
}

fn walk_course(
    course: &[geo::Coord],
    (from_m, metres): (f64, f64),
    speed_kmh: f64,
    start_s: i64,
    (noise_m, seed): (f64, u64),
) -> (Vec<(f64, f64)>, Vec<i64>) {
    use geo::{Distance, Haversine, Point};
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

/// Moves a track `metres` sideways, square to its general direction (from
/// the first fix to the one farthest from it): a walk "off the river" that
/// stays off it however the river runs.
fn shift_sideways(points: &mut [(f64, f64)], metres: f64) {
    let Some(&(x0, y0)) = points.first() else { return };
    let kx = 111_320.0 * y0.to_radians().cos();
    let ky = 110_574.0;
    let far = points
        .iter()
        .map(|&(x, y)| ((x - x0) * kx, (y - y0) * ky))
        .max_by(|a, b| a.0.hypot(a.1).total_cmp(&b.0.hypot(b.1)))
        .unwrap_or((0.0, 1.0));
    let length = far.0.hypot(far.1).max(1.0);
    let (nx, ny) = (-far.1 / length, far.0 / length);
    for p in points {
        p.0 += nx * metres / kx;
        p.1 += ny * metres / ky;
    }
}

/// A demo patrol before it is filed: who, where, when, and the track.
struct PatrolPlan {
    actor: usize,
    river: String,
    points: Vec<(f64, f64)>,
    times: Vec<i64>,
    /// One of the deliberately invalid logs.
    faulty: bool,
}

/// Seeds patrol logs for the demo chiefs over the 13 weeks before `now_s`:
/// each village chief walks their own reach (and on along the river to make
/// the 2 km a patrol needs) about weekly in the morning, some more diligently
/// than others; each town chief walks a different stretch of their river
/// every nine or ten days in the afternoon. Every walk has its own GPS noise.
/// A few logs are deliberately invalid: too short, 2 km off the river, and
/// two that refile an old track with new times. Filed in time order. Call
/// after [`seed`]; does nothing if logs exist.
pub fn seed_patrols(conn: &Connection, maps: &Maps, now_s: i64) -> Result<usize> {
    use crate::service::patrols::{ChecklistItem, PatrolInput};
    if !crate::store::patrols::list(conn, None, None)?.is_empty() {
        return Ok(0);
    }
    let today = crate::domain::time::china_date(now_s);
    let today_start = china_midnight(now_s);
    let mut actors = Vec::new();
    for person in people_store::list(conn)? {
        if let Some(actor) = accounts::actor_of(conn, person, &today, maps)? {
            actors.push(actor);
        }
    }
    // Enterprise contacts are no town staff and never patrol; leaving them out
    // keeps every chief's place in the list, and so the walks, as they were.
    let contact = |x: &crate::domain::people::Assignment| x.role == crate::domain::people::Role::EnterpriseContact;
    actors.retain(|a| a.assignments.is_empty() || !a.assignments.iter().all(contact));
    let plans = plan_patrols(maps, &actors, today_start);
    let mut filed = 0;
    for plan in &plans {
        let (start, end) = (plan.times[0], plan.times[plan.times.len() - 1]);
        let coordinates: Vec<[f64; 2]> = plan.points.iter().map(|p| [p.0, p.1]).collect();
        let input = PatrolInput {
            river: plan.river.clone(),
            started_at: china_timestamp(start),
            ended_at: china_timestamp(end),
            track: Some(serde_json::json!({"type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": {"times": plan.times}})),
            gpx: None,
            checklist: crate::domain::patrol::RECORD_TYPES
                .iter()
                .map(|t| ChecklistItem { kind: (*t).into(), status: "normal".into(), note: None })
                .collect(),
            findings: Vec::new(),
            notes: Some("演示数据：例行巡河。".into()),
            photos: Vec::new(),
        };
        // Filed from the phone a quarter of an hour after the walk.
        crate::service::patrols::file(conn, maps, &actors[plan.actor], &input, (end + 15 * 60).min(now_s))?;
        filed += 1;
    }
    Ok(filed)
}

/// The demo's patrols (see [`seed_patrols`]) in time order, walks that end
/// before `today_start` only.
fn plan_patrols(maps: &Maps, actors: &[accounts::Actor], today_start: i64) -> Vec<PatrolPlan> {
    use crate::domain::people::{Role, ScopeItem};
    let mut courses: std::collections::BTreeMap<String, Course> = std::collections::BTreeMap::new();
    let mut plans: Vec<PatrolPlan> = Vec::new();
    // Numbers every walk, so each has its own noise and its own faults.
    let mut n = 0usize;
    for (a, actor) in actors.iter().enumerate() {
        // Community chiefs review rather than walk in the demo (see `seed`).
        let walks = |x: &&crate::domain::people::Assignment| {
            x.role == Role::RiverChief && x.level != Some(ChiefLevel::Community)
        };
        for assignment in actor.assignments.iter().filter(walks) {
            let town = assignment.level == Some(ChiefLevel::Town);
            for (s, item) in assignment.scope.iter().enumerate() {
                let (river, reach) = match item {
                    ScopeItem::River(code) => (code.clone(), None),
                    ScopeItem::Reach(code) => match maps.reach(code) {
                        Some(r) => (r.river.to_string(), Some(code.clone())),
                        None => continue,
                    },
                    _ => continue,
                };
                let course = courses.entry(river.clone()).or_insert_with(|| course_of(maps, &river));
                let chief = a * 16 + s;
                // Town chiefs every 9–10 days; village chiefs weekly, some missing weeks.
                // A chief with reaches on two rivers walks the second after lunch.
                let (every, hour) = if town { (9 + pick(chief, 40, 2), 14) } else { (7, 7 + 5 * s as i64) };
                let diligence = pick(chief, 41, 10);
                let mut day = 91 - pick(chief, 42, every.unsigned_abs());
                let mut k = 0usize;
                while day >= 1 {
                    n += 1;
                    k += 1;
                    let this_day = day;
                    day -= every;
                    // One village chief in five misses a week in three; one in ten patrols rarely.
                    let skip = match diligence {
                        0 => pick(n, 43, 3) != 0,
                        1 | 2 => pick(n, 43, 3) == 0,
                        _ => false,
                    };
                    if skip && !town {
                        continue;
                    }
                    let start = today_start - this_day * DAY + hour * HOUR + 30 * 60 + pick(n, 44, 150) * 60;
                    let (minutes, metres) = if n % 17 == 5 {
                        (12.0, 600.0)
                    } else if town {
                        (60.0 + pick(n, 45, 30) as f64, 3500.0 + pick(n, 46, 1500) as f64)
                    } else {
                        (40.0 + pick(n, 45, 25) as f64, 2300.0 + pick(n, 46, 800) as f64)
                    };
                    let (from_m, metres) = match &reach {
                        // The whole reach and on along the river, centred on the reach.
                        Some(code) => {
                            let (a, b) =
                                course.reaches.iter().find(|(c, _, _)| c == code).map_or((0.0, 0.0), |r| (r.1, r.2));
                            let length = metres.max(b - a + 200.0);
                            (((a + b - length) / 2.0).clamp(0.0, (course.length_m - length).max(0.0)), length)
                        }
                        // A different stretch each time.
                        None => ((k as f64 * 2700.0) % (course.length_m - metres).max(1.0), metres),
                    };
                    let speed = metres / 1000.0 / (minutes / 60.0);
                    let noise = (6.0, mix(n, 47) | 1);
                    let (mut points, times) = walk_course(&course.points, (from_m, metres), speed, start, noise);
                    if n % 23 == 11 {
                        shift_sideways(&mut points, 2000.0);
                    }
                    let faulty = n % 17 == 5 || n % 23 == 11;
                    plans.push(PatrolPlan { actor: a, river: river.clone(), points, times, faulty });
                }
            }
        }
    }
    // Two chiefs refile an earlier walk of theirs 23 days and 5 hours later (clear of
    // their own walks that day), times shifted.
    let shift = 23 * DAY + 5 * HOUR;
    let mut sound: Vec<&PatrolPlan> =
        plans.iter().filter(|p| !p.faulty && p.times.last().is_some_and(|&end| end + shift < today_start)).collect();
    sound.sort_by_key(|p| p.times.first().copied());
    let copies: Vec<PatrolPlan> = [sound.len() / 3, sound.len() * 2 / 3]
        .iter()
        .filter_map(|&i| sound.get(i))
        .map(|original| PatrolPlan {
            actor: original.actor,
            river: original.river.clone(),
            points: original.points.clone(),
            times: original.times.iter().map(|t| t + shift).collect(),
            faulty: true,
        })
        .collect();
    plans.extend(copies);
    plans.retain(|p| p.points.len() >= 2 && p.times.last().is_some_and(|&end| end < today_start));
    plans.sort_by_key(|p| p.times[0]);
    plans
}
