//! People and assignments as the town office and each person may see and
//! change them: the office reads and writes everyone's; anyone else reads
//! only their own record. Pages and the API both come here.

use rusqlite::Connection;

use crate::domain::coverage::Gap;
use crate::domain::people::{Assignment, Role, ScopeItem};
use crate::error::{Error, Result};
use crate::service::accounts::{self, Actor, AssignmentInput};
use crate::service::printable::printable;
use crate::spatial::Maps;
use crate::store::people::{NewPerson, Person};
use crate::store::{assignments as assignment_store, people as people_store};

fn no_person(id: i64) -> Error {
    Error::not_found(format!("没有编号为 {id} 的人员"), format!("no person {id}"))
}

/// Most people one page lists.
pub const MAX_PAGE: usize = 500;

/// One page of the people the actor may see, by login after `after` (the
/// previous page's `next`): everyone for the town office, only oneself for
/// anyone else. With `text`, only those whose name, login or phone contains
/// it (case-insensitive). Also how many there are over all pages.
pub fn visible(
    conn: &Connection,
    actor: &Actor,
    text: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<(i64, Vec<Person>, Option<String>)> {
    let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    if actor.scope.admin {
        let count = people_store::count_matching(conn, text.as_deref())?;
        let (rows, next) =
            people_store::page(conn, text.as_deref(), after.unwrap_or(""), limit.clamp(1, usize::MAX / 2))?;
        return Ok((count, rows, next));
    }
    let me = &actor.person;
    let matches = text.as_deref().is_none_or(|t| {
        me.name.to_lowercase().contains(t)
            || me.username.contains(t)
            || me.phone.as_deref().is_some_and(|p| p.contains(t))
    });
    let shown = matches && after.is_none_or(|a| me.username.as_str() > a);
    Ok((i64::from(shown), if shown { vec![me.clone()] } else { Vec::new() }, None))
}

/// One person with every assignment they ever held: oneself, or anyone for
/// the town office; anyone else is answered as if the person did not exist.
pub fn with_assignments(conn: &Connection, actor: &Actor, id: i64) -> Result<(Person, Vec<Assignment>)> {
    if !actor.scope.admin && actor.person.id != id {
        return Err(no_person(id));
    }
    let person = people_store::get(conn, id)?.ok_or_else(|| no_person(id))?;
    Ok((person, assignment_store::list(conn, Some(id))?))
}

/// Registers a person (the town office only).
pub fn register(conn: &Connection, actor: &Actor, new: &NewPerson, now: &str) -> Result<Person> {
    actor.scope.require_admin()?;
    people_store::insert(conn, new, now)
}

/// Assignments: the office's choice of person (or all), anyone else their
/// own; only those in force on `date` when it is given.
pub fn assignments(
    conn: &Connection,
    actor: &Actor,
    person: Option<i64>,
    date: Option<&str>,
) -> Result<Vec<Assignment>> {
    let person = if actor.scope.admin { person } else { Some(actor.person.id) };
    match date {
        Some(date) => assignment_store::active_on(conn, date, person),
        None => assignment_store::list(conn, person),
    }
}

/// Assigns a role over a scope (the town office only), checked against the
/// role's rules and the town's data.
pub fn assign(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    input: &AssignmentInput,
    now_s: i64,
) -> Result<Assignment> {
    actor.scope.require_admin()?;
    accounts::create_assignment(conn, maps, input, now_s)
}

/// Every gap in the responsibility net on `date` (the town office only).
pub fn coverage(conn: &Connection, maps: &Maps, actor: &Actor, date: &str) -> Result<Vec<Gap>> {
    actor.scope.require_admin()?;
    accounts::coverage(conn, maps, date)
}

/// Ends an assignment on `to` (the town office only); the record stays.
pub fn end_assignment(conn: &Connection, actor: &Actor, id: i64, to: &str, reason: &str) -> Result<Assignment> {
    actor.scope.require_admin()?;
    let reason = printable("reason", reason)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", "须说明结束原因", "a reason is required"));
    }
    assignment_store::end(conn, id, to, reason)
}

/// Who answered for a grid on `date`: the inspectors and grid leaders of the
/// grid or of any grid above it. A grid outside the caller's scope is a 404.
pub fn responsible(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    code: &str,
    date: &str,
) -> Result<Vec<(Assignment, Option<Person>)>> {
    if maps.grid(code).is_none() || !actor.scope.covers_grid(code) {
        return Err(Error::not_found(format!("没有编码为 {code} 的网格"), format!("no grid with code {code}")));
    }
    let chain: Vec<String> = maps.chain(code).into_iter().map(|g| g.code.to_string()).collect();
    let mut out = Vec::new();
    for a in assignment_store::active_on(conn, date, None)? {
        let holds = a.scope.iter().any(|s| matches!(s, ScopeItem::Grid(g) if chain.contains(g)));
        if holds && matches!(a.role, Role::Inspector | Role::GridLeader) {
            let person = people_store::get(conn, a.person_id)?;
            out.push((a, person));
        }
    }
    Ok(out)
}

/// A scope item in words, for pages: the grid, enterprise, river or reach by name.
pub fn scope_name(conn: &Connection, maps: &Maps, item: &ScopeItem) -> Result<String> {
    Ok(match item {
        ScopeItem::Town(code) | ScopeItem::Grid(code) => {
            maps.grid(code).map_or_else(|| code.clone(), |g| g.grid.name.clone())
        }
        ScopeItem::Enterprise(id) => {
            crate::store::enterprises::get(conn, *id)?.map_or_else(|| format!("#{id}"), |e| e.name)
        }
        ScopeItem::River(code) => maps.river(code).map_or_else(|| code.clone(), |r| r.river.name.clone()),
        ScopeItem::Reach(code) => match maps.reach(code) {
            Some(reach) => {
                let river = maps.river(reach.river.as_str()).map_or("", |r| r.river.name.as_str());
                let village = maps.grid(reach.grid.as_str()).map_or("", |g| g.grid.name.as_str());
                format!("{river}·{village}段")
            }
            None => code.clone(),
        },
    })
}
