//! The demo town's people, enterprises and assignments for `serve --demo`:
//! realistic enough to click through, with a few deliberate gaps so the
//! coverage report has something to show. Names are synthetic; codes are
//! marked as demo data.

use rusqlite::Connection;

use crate::accounts::{self, AssignmentInput};
use crate::domain::enterprise::Uscc;
use crate::domain::people::ChiefLevel;
use crate::domain::time::china_timestamp;
use crate::error::Result;
use crate::spatial::Maps;
use crate::store::enterprises::{self as enterprise_store, EnterpriseFields};
use crate::store::people::{self as people_store, NewPerson};

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
    hash: String,
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
                password_hash: self.hash.clone(),
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
pub fn seed(conn: &Connection, maps: &Maps, hash: String, now_s: i64) -> Result<()> {
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
