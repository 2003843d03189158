//! Accounts: password hashing (argon2id, OWASP parameters), session tokens,
//! resolving a session to an [`Actor`] with its scope, and creating
//! assignments checked against the town's grids, rivers and enterprises.
//! Shared by the CLI and the server.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::domain::access::Scope;
use crate::domain::coverage::{self, EnterpriseFacts, Gap, Named};
use crate::domain::people::{self, Assignment, ChiefLevel, Duty, Role, ScopeItem, ScopeKind};
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Msg, Result};
use crate::service::printable::printable;
use crate::spatial::Maps;
use crate::store::assignments::{self as assignment_store, NewAssignment};
use crate::store::people::{self as people_store, NewPerson, Person};

/// How long a session lives after login.
pub const SESSION_TTL_S: i64 = 12 * 3600;

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid argon2 parameters"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(bytes)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| Error::Internal(anyhow::anyhow!("salt encoding failed: {e}")))?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(anyhow::anyhow!("password hashing failed: {e}")))?
        .to_string())
}

/// Checks a password against a stored PHC string (parameters are read from the string).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A fresh random password for a first admin: 20 characters without look-alikes.
pub fn random_password() -> Result<String> {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(random_bytes::<20>()?.iter().map(|b| char::from(CHARS[usize::from(*b) % CHARS.len()])).collect())
}

/// A new session token: 32 random bytes, hex.
pub fn new_token() -> Result<String> {
    Ok(crate::domain::audit::hex(&random_bytes::<32>()?))
}

/// A random UUID (version 4), for an `Idempotency-Key` made when a draft is created.
pub fn new_uuid() -> Result<String> {
    let mut b = random_bytes::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::domain::audit::hex(&b);
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

/// The stored form of a token.
pub fn token_sha256(token: &str) -> String {
    crate::domain::audit::sha256_hex(token.as_bytes())
}

/// The refusal of a login, the same whether the user exists or not.
pub fn bad_login() -> Error {
    Error::Unauthenticated(Msg::new("用户名或密码错误", "wrong username or password"))
}

/// Checks credentials. A missing user costs the same hash as a wrong password,
/// so timing does not tell which usernames exist.
pub fn check_login(conn: &Connection, username: &str, password: &str) -> Result<Person> {
    let username = username.trim().to_ascii_lowercase();
    match people_store::credentials(conn, &username)? {
        Some((person, hash)) if verify_password(password, &hash) => Ok(person),
        Some(_) => Err(bad_login()),
        None => {
            let _ = verify_password(password, DUMMY_HASH);
            Err(bad_login())
        }
    }
}

/// A valid argon2id hash of a random string, verified against when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2mBDoNIsqfyPPiRYrTOIR3tSaDk0zPpbs0tw/YxEk7E";

/// Opens a session for a person; returns the token (shown once, stored hashed).
pub fn open_session(conn: &Connection, person_id: i64, now_s: i64) -> Result<String> {
    let token = new_token()?;
    people_store::open_session(conn, &token_sha256(&token), person_id, now_s, now_s + SESSION_TTL_S)?;
    Ok(token)
}

/// Who is calling: the person, their assignments in force today and the scope they resolve to.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    /// The person.
    pub person: Person,
    /// Assignments in force today (China time).
    pub assignments: Vec<Assignment>,
    /// What they may see and touch.
    pub scope: Scope,
}

/// Ends the session whose token hashes to `token_sha256` (logout).
pub fn close_session(conn: &Connection, token_sha256: &str, now_s: i64) -> Result<()> {
    crate::store::people::revoke_session(conn, token_sha256, now_s)
}

/// Resolves a session token to its actor, or `None` when the session is unknown, expired or revoked.
pub fn actor(conn: &Connection, token: &str, now_s: i64, maps: &Maps) -> Result<Option<Actor>> {
    Ok(actor_with_expiry(conn, token, now_s, maps)?.map(|(actor, _)| actor))
}

/// Like [`actor`], with the session's expiry (Unix seconds).
pub fn actor_with_expiry(conn: &Connection, token: &str, now_s: i64, maps: &Maps) -> Result<Option<(Actor, i64)>> {
    let Some((person, expires_at)) = people_store::session_person(conn, &token_sha256(token), now_s)? else {
        return Ok(None);
    };
    Ok(actor_of(conn, person, &china_date(now_s), maps)?.map(|actor| (actor, expires_at)))
}

/// The actor a person is on `date`: their assignments in force then and the scope they give.
pub fn actor_of(conn: &Connection, person: Person, date: &str, maps: &Maps) -> Result<Option<Actor>> {
    let assignments = assignment_store::active_on(conn, date, Some(person.id))?;
    let scope = Scope::resolve(&assignments, |code| maps.descendants(code));
    Ok(Some(Actor { person, assignments, scope }))
}

/// A person to create, as received.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Login name.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Initial password.
    pub password: String,
}

/// Validates a person and hashes the password. Run it off the writer thread:
/// argon2 takes tens of milliseconds by design.
pub fn new_person(input: &PersonInput) -> Result<NewPerson> {
    let username = people::username(&input.username)?;
    let name = printable("name", &input.name)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::invalid("name", "姓名不能为空且不超过 64 字", "a name is 1–64 characters"));
    }
    let phone = input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    if phone
        .as_deref()
        .is_some_and(|p| p.len() > 20 || !p.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+'))
    {
        return Err(Error::invalid("phone", "电话号码格式不正确", "the phone number is malformed"));
    }
    let password_hash = hash_password(people::password(&input.password)?)?;
    Ok(NewPerson { username, name: name.to_owned(), phone, password_hash, demo: false })
}

/// An assignment to create, as received (API body or CLI arguments).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// The person, by login name.
    pub username: String,
    /// The role's machine name.
    pub role: String,
    /// Scope codes, as the role requires: grid code, enterprise (id or unified
    /// social credit code), river code or reach code.
    pub scope: Vec<String>,
    /// Inspector's duty.
    #[serde(default)]
    pub duty: Option<String>,
    /// River chief's level.
    #[serde(default)]
    pub level: Option<String>,
    /// Enterprise expert's specialty.
    #[serde(default)]
    pub specialty: Option<String>,
    /// First day (default today).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (e.g. the end of an expert's contract).
    #[serde(default)]
    pub to: Option<String>,
}

fn unknown_scope(code: &str, zh: &str, en: &str) -> Error {
    Error::invalid("scope", format!("范围中的{zh} “{code}” 不存在"), format!("unknown {en} \"{code}\" in scope"))
}

/// Validates an assignment against the role's rules and the town's data, then stores it.
pub fn create_assignment(conn: &Connection, maps: &Maps, input: &AssignmentInput, now_s: i64) -> Result<Assignment> {
    let person = people_store::by_username(conn, &input.username.trim().to_ascii_lowercase())?.ok_or_else(|| {
        Error::invalid("username", format!("没有用户 {}", input.username), format!("no user {}", input.username))
    })?;
    let role = Role::parse(&input.role)?;
    let duty = match (role, input.duty.as_deref()) {
        (Role::Inspector, Some(d)) => Some(Duty::parse(d)?),
        (Role::Inspector, None) => {
            return Err(Error::invalid("duty", "网格员须指定职责 safety 或 environment", "an inspector needs a duty"));
        }
        (_, Some(_)) => return Err(Error::invalid("duty", "只有网格员有职责", "only inspectors have a duty")),
        (_, None) => None,
    };
    let level = match (role, input.level.as_deref()) {
        (Role::RiverChief, Some(l)) => Some(ChiefLevel::parse(l)?),
        (Role::RiverChief, None) => {
            return Err(Error::invalid("level", "河长须指定级别", "a river chief needs a level"));
        }
        (_, Some(_)) => return Err(Error::invalid("level", "只有河长有级别", "only river chiefs have a level")),
        (_, None) => None,
    };
    if input.scope.is_empty() {
        return Err(if role == Role::EnterpriseContact {
            Error::invalid(
                "scope",
                "企业联系人须指定所联系的企业（企业编号或统一社会信用代码）",
                "an enterprise contact needs their enterprise (its id or unified social credit code)",
            )
        } else {
            Error::invalid("scope", "范围不能为空", "the scope cannot be empty")
        });
    }
    if role == Role::EnterpriseContact && input.scope.len() != 1 {
        return Err(Error::invalid(
            "scope",
            "企业联系人只能联系一家企业",
            "an enterprise contact speaks for exactly one enterprise",
        ));
    }
    let town = maps.town().ok_or_else(|| Error::Conflict(Msg::new("尚未导入地图", "no geography loaded")))?;
    // An enterprise by id, or by its unified social credit code.
    let enterprise = |code: &str| -> Result<ScopeItem> {
        let found = match code.parse::<i64>() {
            Ok(id) => crate::store::enterprises::get(conn, id)?,
            Err(_) => crate::store::enterprises::by_uscc(conn, &code.to_ascii_uppercase())?,
        }
        .ok_or_else(|| unknown_scope(code, "企业", "enterprise"))?;
        let id = found.id;
        if role == Role::Cadre && !found.key {
            return Err(Error::invalid(
                "scope",
                format!("包靠干部只负责重点企业，{}不是重点企业", found.name),
                format!("a cadre follows key enterprises only; {} is not one", found.name),
            ));
        }
        Ok(ScopeItem::Enterprise(id))
    };
    let river = |code: &str| -> Result<ScopeItem> {
        maps.river(code).map(|_| ScopeItem::River(code.to_owned())).ok_or_else(|| unknown_scope(code, "河流", "river"))
    };
    let mut scope = Vec::new();
    for code in input.scope.iter().map(|c| c.trim()) {
        scope.push(match role.scope_kind() {
            ScopeKind::Town if code == town.grid.code.as_str() => ScopeItem::Town(code.to_owned()),
            ScopeKind::Town => return Err(unknown_scope(code, "镇", "town")),
            ScopeKind::Grid => {
                maps.grid(code).ok_or_else(|| unknown_scope(code, "网格", "grid"))?;
                ScopeItem::Grid(code.to_owned())
            }
            ScopeKind::Enterprise => enterprise(code)?,
            ScopeKind::River => river(code)?,
            ScopeKind::RiverOrReach if level == Some(ChiefLevel::Town) => river(code)?,
            ScopeKind::RiverOrReach => {
                maps.reach(code).ok_or_else(|| unknown_scope(code, "河段", "reach"))?;
                ScopeItem::Reach(code.to_owned())
            }
        });
    }
    if matches!(role.scope_kind(), ScopeKind::Grid | ScopeKind::Town) && scope.len() != 1 {
        return Err(Error::invalid("scope", "该角色的范围只能是一个网格", "this role's scope is exactly one grid"));
    }
    let today = china_date(now_s);
    let from = input.from.as_deref().map(|d| people::date("from", d)).transpose()?.unwrap_or(today);
    let to = input.to.as_deref().map(|d| people::date("to", d)).transpose()?;
    if to.as_ref().is_some_and(|to| *to < from) {
        return Err(Error::invalid("to", "结束日期不能早于开始日期", "the end date cannot precede the start date"));
    }
    let specialty = crate::service::printable::printable_opt("specialty", input.specialty.as_deref())?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    assignment_store::insert(
        conn,
        &NewAssignment { person_id: person.id, role, duty, level, specialty, from, to, scope },
        &china_timestamp(now_s),
    )
}

/// Creates the first admin when nobody exists yet; returns the one-time password.
pub fn create_first_admin(conn: &Connection, maps: &Maps, now_s: i64) -> Result<Option<String>> {
    if people_store::count(conn)? > 0 {
        return Ok(None);
    }
    let Some(town) = maps.town() else { return Ok(None) };
    let password = random_password()?;
    let input = PersonInput {
        username: "admin".into(),
        name: format!("{}管理员", town.grid.name),
        phone: None,
        password: password.clone(),
    };
    people_store::insert(conn, &new_person(&input)?, &china_timestamp(now_s))?;
    let assignment = AssignmentInput {
        username: "admin".into(),
        role: "admin".into(),
        scope: vec![town.grid.code.to_string()],
        duty: None,
        level: None,
        specialty: None,
        from: None,
        to: None,
    };
    create_assignment(conn, maps, &assignment, now_s)?;
    Ok(Some(password))
}

/// Every gap in the responsibility net on `date` (SPEC §3).
pub fn coverage(conn: &Connection, maps: &Maps, date: &str) -> Result<Vec<Gap>> {
    let villages: Vec<Named> =
        maps.villages().map(|v| Named { code: v.grid.code.to_string(), name: v.grid.name.clone() }).collect();
    let rivers: Vec<Named> =
        maps.rivers().iter().map(|r| Named { code: r.river.code.to_string(), name: r.river.name.clone() }).collect();
    let reaches: Vec<Named> = maps
        .reaches()
        .iter()
        .map(|r| {
            let river = maps.river(r.river.as_str()).map_or("", |x| x.river.name.as_str());
            let village = maps.grid(r.grid.as_str()).map_or("", |g| g.grid.name.as_str());
            Named { code: r.code.clone(), name: format!("{river}{village}段") }
        })
        .collect();
    let enterprises: Vec<EnterpriseFacts> = crate::store::enterprises::list(conn)?
        .into_iter()
        .map(|e| EnterpriseFacts { id: e.id, name: e.name, above_scale: e.above_scale, key: e.key })
        .collect();
    let active = assignment_store::active_on(conn, date, None)?;
    Ok(coverage::report(&villages, &enterprises, &rivers, &reaches, &active))
}

/// Changes one's own password: the current one must match; every session of
/// the person ends (the caller opens a fresh one).
pub fn change_password(conn: &Connection, person: &Person, current: &str, new: &str, now_s: i64) -> Result<()> {
    let checked = check_login(conn, &person.username, current);
    if checked.is_err() {
        return Err(Error::invalid("current", "当前密码不正确", "the current password is wrong"));
    }
    let new = crate::domain::people::password(new)
        .map_err(|_| Error::invalid("new", "新密码长度须为 10–128 个字符", "a new password has 10–128 characters"))?;
    if new == current {
        return Err(Error::invalid(
            "new",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
        ));
    }
    people_store::set_password(conn, &person.username, &hash_password(new)?, now_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_uses_owasp_argon2id_and_verifies() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "salts must differ");
    }

    #[test]
    fn the_dummy_hash_is_a_real_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_sha256(&a), a);
    }
}
