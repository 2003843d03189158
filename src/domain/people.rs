//! People, roles and assignments (SPEC §3). An assignment is a role over a
//! scope for a period; ending one sets its `to` date and never deletes it, so
//! "who was responsible for this grid on that date" always has an answer.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Validates a login name: 3–32 of `a-z 0-9 . _ -`, lower-cased.
///
/// ```
/// use gridsafe::domain::people::username;
/// assert_eq!(username(" Admin ").unwrap(), "admin");
/// assert!(username("a b").is_err());
/// ```
pub fn username(text: &str) -> Result<String> {
    let name = text.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid(
            "username",
            "登录名须为 3–32 位小写字母、数字或 . _ -",
            "a username is 3–32 characters of a-z, 0-9, '.', '_' or '-'",
        ))
    }
}

/// Validates a new password: 10–128 characters.
pub fn password(text: &str) -> Result<&str> {
    let n = text.chars().count();
    if (10..=128).contains(&n) {
        Ok(text)
    } else {
        Err(Error::invalid("password", "密码长度须为 10–128 个字符", "a password has 10–128 characters"))
    }
}

/// What a person does for the town.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员, scope a grid, with a duty.
    Inspector,
    /// 网格长, scope a grid.
    GridLeader,
    /// 镇级专家, scope the town.
    TownExpert,
    /// 企业聘请的安全生产专家, scope enterprises.
    EnterpriseExpert,
    /// 河长, scope a river (town level) or reaches.
    RiverChief,
    /// 河道警长, scope rivers.
    RiverPolice,
    /// 包靠干部, scope key enterprises.
    Cadre,
    /// 镇办 (安监办/环保所/河长办), scope the town.
    Admin,
    /// 企业联系人, scope one enterprise: sees its cases and reports their fixes.
    EnterpriseContact,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 9] = [
        Self::Inspector,
        Self::GridLeader,
        Self::TownExpert,
        Self::EnterpriseExpert,
        Self::RiverChief,
        Self::RiverPolice,
        Self::Cadre,
        Self::Admin,
        Self::EnterpriseContact,
    ];

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inspector => "inspector",
            Self::GridLeader => "grid_leader",
            Self::TownExpert => "town_expert",
            Self::EnterpriseExpert => "enterprise_expert",
            Self::RiverChief => "river_chief",
            Self::RiverPolice => "river_police",
            Self::Cadre => "cadre",
            Self::Admin => "admin",
            Self::EnterpriseContact => "enterprise_contact",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Inspector => "网格员",
            Self::GridLeader => "网格长",
            Self::TownExpert => "镇级安全专家",
            Self::EnterpriseExpert => "企业聘请专家",
            Self::RiverChief => "河长",
            Self::RiverPolice => "河道警长",
            Self::Cadre => "包靠干部",
            Self::Admin => "镇管理员",
            Self::EnterpriseContact => "企业联系人",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
            Error::invalid(
                "role",
                format!("未知角色 “{text}”，可选：{}", all.join("、")),
                format!("unknown role \"{text}\"; one of {}", all.join(", ")),
            )
        })
    }

    /// The kind of scope this role takes.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Self::Inspector | Self::GridLeader => ScopeKind::Grid,
            Self::TownExpert | Self::Admin => ScopeKind::Town,
            Self::EnterpriseExpert | Self::Cadre | Self::EnterpriseContact => ScopeKind::Enterprise,
            Self::RiverChief => ScopeKind::RiverOrReach,
            Self::RiverPolice => ScopeKind::River,
        }
    }
}

/// An inspector's duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duty {
    /// 安全生产.
    Safety,
    /// 环境保护.
    Environment,
}

impl Duty {
    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Environment => "environment",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Safety => "安全生产",
            Self::Environment => "环境保护",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "safety" => Ok(Self::Safety),
            "environment" => Ok(Self::Environment),
            _ => Err(Error::invalid(
                "duty",
                format!("职责必须是 safety 或 environment，收到 “{text}”"),
                format!("duty must be safety or environment, got \"{text}\""),
            )),
        }
    }
}

/// What kind of thing a role's scope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole town (the town grid's code).
    Town,
    /// Exactly one grid of any level.
    Grid,
    /// One or more enterprises.
    Enterprise,
    /// One or more rivers.
    River,
    /// One river (town-level chief) or one or more reaches.
    RiverOrReach,
}

/// One thing an assignment covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "lowercase")]
pub enum ScopeItem {
    /// The town, by its grid code.
    Town(String),
    /// A grid, by code (covers its descendants).
    Grid(String),
    /// An enterprise, by id.
    Enterprise(i64),
    /// A river, by code.
    River(String),
    /// A reach, by code.
    Reach(String),
}

impl ScopeItem {
    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Town(_) => "town",
            Self::Grid(_) => "grid",
            Self::Enterprise(_) => "enterprise",
            Self::River(_) => "river",
            Self::Reach(_) => "reach",
        }
    }

    /// The stored code (enterprise ids as decimal text).
    pub fn code(&self) -> String {
        match self {
            Self::Town(c) | Self::Grid(c) | Self::River(c) | Self::Reach(c) => c.clone(),
            Self::Enterprise(id) => id.to_string(),
        }
    }

    /// Rebuilds an item from its stored kind and code.
    pub fn from_stored(kind: &str, code: &str) -> Option<Self> {
        Some(match kind {
            "town" => Self::Town(code.to_owned()),
            "grid" => Self::Grid(code.to_owned()),
            "enterprise" => Self::Enterprise(code.parse().ok()?),
            "river" => Self::River(code.to_owned()),
            "reach" => Self::Reach(code.to_owned()),
            _ => return None,
        })
    }
}

/// A river chief's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChiefLevel {
    /// 镇级河长.
    Town,
    /// 社区级河长.
    Community,
    /// 村级河长.
    Village,
}

impl ChiefLevel {
    /// Every level, highest first.
    pub const ALL: [Self; 3] = [Self::Town, Self::Community, Self::Village];

    /// The Chinese name (镇级河长).
    pub fn zh(self) -> &'static str {
        match self {
            Self::Town => "镇级河长",
            Self::Community => "社区级河长",
            Self::Village => "村级河长",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Town => "town-level chief",
            Self::Community => "community-level chief",
            Self::Village => "village-level chief",
        }
    }

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Town => "town",
            Self::Community => "community",
            Self::Village => "village",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "town" => Ok(Self::Town),
            "community" => Ok(Self::Community),
            "village" => Ok(Self::Village),
            _ => Err(Error::invalid(
                "level",
                format!("河长级别必须是 town、community 或 village，收到 “{text}”"),
                format!("a river chief's level must be town, community or village, got \"{text}\""),
            )),
        }
    }
}

/// An assignment as stored: role, scope, validity, role-specific details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// Row id.
    pub id: i64,
    /// Who.
    pub person_id: i64,
    /// In which role.
    pub role: Role,
    /// Inspector's duty.
    pub duty: Option<Duty>,
    /// River chief's level.
    pub level: Option<ChiefLevel>,
    /// Enterprise expert's specialty.
    pub specialty: Option<String>,
    /// First day (YYYY-MM-DD, China time), inclusive.
    pub from: String,
    /// Last day, inclusive; `None` while open-ended.
    pub to: Option<String>,
    /// What it covers.
    pub scope: Vec<ScopeItem>,
    /// Why it was ended, when it was.
    pub end_reason: Option<String>,
}

impl Assignment {
    /// Whether the assignment is in force on `date` (YYYY-MM-DD).
    pub fn active_on(&self, date: &str) -> bool {
        self.from.as_str() <= date && self.to.as_deref().is_none_or(|to| date <= to)
    }
}

/// Checks a month in `YYYY-MM` form.
///
/// ```
/// use gridsafe::domain::people::month;
/// assert!(month("month", "2026-11").is_ok());
/// assert!(month("month", "2026-13").is_err());
/// assert!(month("month", "2026-11-01").is_err());
/// ```
pub fn month(field: &str, text: &str) -> Result<String> {
    if text.len() == 7 && date(field, &format!("{text}-01")).is_ok() {
        Ok(text.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("月份格式应为 YYYY-MM，收到 “{text}”"),
            format!("a month must be YYYY-MM, got \"{text}\""),
        ))
    }
}

/// Checks a calendar date in `YYYY-MM-DD` form.
///
/// ```
/// use gridsafe::domain::people::date;
/// assert!(date("from", "2026-02-28").is_ok());
/// assert!(date("from", "2026-02-30").is_err());
/// assert!(date("from", "26-2-1").is_err());
/// ```
pub fn date(field: &str, text: &str) -> Result<String> {
    let bad = || {
        Error::invalid(
            field,
            format!("日期格式应为 YYYY-MM-DD，收到 “{text}”"),
            format!("a date must be YYYY-MM-DD, got \"{text}\""),
        )
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d): (u32, u32, u32) =
        (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if (1..=days).contains(&d) && (1900..=2999).contains(&y) { Ok(text.to_owned()) } else { Err(bad()) }
}
