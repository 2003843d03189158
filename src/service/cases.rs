//! Cases as units of work: filing (checked input, gap-free number, photos,
//! first audit entry) and actions (the state machine's decision, the action's
//! own requirements, the row update guarded by version, one audit entry),
//! each inside the caller's transaction so nothing is half-written.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::docs::ledger::KpiRow;
use crate::docs::notice::Verdict;
use crate::domain::access::{Scope, forbidden};
use crate::domain::audit::Entry;
use crate::domain::case::{self, Action, CaseFacts, Grade, Kind, Refusal, Status};
use crate::domain::geo_point::Lonlat;
use crate::domain::grid::GridLevel;
use crate::domain::kpi::{CaseKpi, DayFacts, Facts, Kpi, Period, Tally};
use crate::domain::people;
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Msg, Result};
use crate::service::accounts::Actor;
use crate::service::documents;
use crate::service::printable;
use crate::spatial::Maps;
use crate::store::Store;
use crate::store::audit::{self as audit_store, NewEntry};
use crate::store::case_query::{self, Cursor, Query, Residual, ScopeSql, Term};
pub use crate::store::cases::CaseRow;
use crate::store::cases::{self as store, KpiFields, KpiLine, KpiPart};
pub use crate::store::documents::DocumentMeta;
use crate::store::people::Person;

/// A point within this distance of a river snaps to its nearest reach.
pub const SNAP_M: f64 = 200.0;
/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;

/// A case as filed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// `safety`, `environment` or `river`.
    pub kind: String,
    /// A leaf category code of that kind (see `GET /api/v1/categories`).
    pub category: String,
    /// `general` or `major`.
    pub grade: String,
    /// For a major hazard: the criterion clause it was judged against.
    #[serde(default)]
    pub criterion: Option<String>,
    /// Short title.
    pub title: String,
    /// What was found.
    pub description: String,
    /// Longitude (from the phone's GPS).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The enterprise concerned, if any.
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    /// Media ids of the photos (at least one).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The 五落实 treatment plan of a major hazard.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// 责任落实: the responsible person.
    pub responsible_person: String,
    /// 措施落实: the measures.
    pub measures: String,
    /// 资金落实: the funds.
    pub funds: String,
    /// 时限落实: the deadline.
    pub deadline: String,
    /// 预案落实: the contingency plan.
    pub contingency: String,
}

/// An action as received; which fields are required depends on the action.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The action's machine name.
    pub action: String,
    /// Comment (sign-off opinion, note).
    #[serde(default)]
    pub comment: Option<String>,
    /// Reason (cancel, return, extend, reopen).
    #[serde(default)]
    pub reason: Option<String>,
    /// Dispatch: the responsible party.
    #[serde(default)]
    pub responsible: Option<String>,
    /// Dispatch: required measures.
    #[serde(default)]
    pub measures: Option<String>,
    /// Dispatch: deadline; extend: the new deadline.
    #[serde(default)]
    pub deadline: Option<String>,
    /// Dispatch of a major hazard: the 五落实 plan.
    #[serde(default)]
    pub plan: Option<Plan>,
    /// Submit: after-photos.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Submit: what was done.
    #[serde(default)]
    pub description: Option<String>,
    /// Transfer: the receiving department.
    #[serde(default)]
    pub department: Option<String>,
    /// Outcome: `filed` (立案), `dispersed` (劝离) or `handed_over` (移交).
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A required text: normalised, trimmed, at most `max` characters, and printable.
fn text(value: Option<&str>, field: &str, zh: &str, max: usize) -> Result<String> {
    let v = value
        .map(printable::normalise)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::invalid(field, format!("须填写{zh}"), format!("{field} is required")))?;
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{zh}不能超过 {max} 字"),
            format!("{field} exceeds {max} characters"),
        ));
    }
    printable::check(field, &v)?;
    Ok(v)
}

/// An optional text: normalised, trimmed, printable; `None` when blank.
fn optional_text(value: Option<&str>, field: &str) -> Result<Option<String>> {
    let Some(v) = value.map(printable::normalise).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    printable::check(field, &v)?;
    Ok(Some(v))
}

pub fn check_photos(conn: &Connection, ids: &[String]) -> Result<()> {
    let missing = crate::store::media::missing(conn, ids)?;
    if let Some(id) = missing.first() {
        return Err(Error::invalid(
            "photos",
            format!("照片 {id} 不存在，请先上传"),
            format!("photo {id} does not exist; upload it first"),
        ));
    }
    Ok(())
}

/// The facts the state machine needs.
pub fn facts(maps: &Maps, c: &CaseRow) -> CaseFacts {
    CaseFacts {
        status: Status::parse(&c.status).unwrap_or(Status::Reported),
        kind: Kind::parse(&c.kind).unwrap_or(Kind::Safety),
        grade: Grade::parse(&c.grade).unwrap_or(Grade::General),
        reporter: c.reporter_id,
        grid: c.grid_code.clone(),
        enterprise: c.enterprise_id,
        reach: c.reach_code.clone(),
        river: c.reach_code.as_deref().and_then(|r| maps.reach(r)).map(|r| r.river.to_string()),
        has_plan: c.plan.is_some(),
        transferred: c.transferred_to.is_some(),
        supervised: c.supervised,
        deadline: c.deadline.clone(),
        referred: c.police_referred,
        outcome_recorded: c.police_outcome.is_some(),
    }
}

/// Whether a person with `scope` may read a case.
pub fn readable(scope: &Scope, person: i64, f: &CaseFacts) -> bool {
    scope.admin
        || scope.town_expert
        || f.reporter == person
        || scope.grids.contains(&f.grid)
        || f.enterprise.is_some_and(|e| scope.enterprises.contains(&e))
        || f.reach.as_ref().is_some_and(|r| scope.reaches.contains(r))
        || f.river.as_ref().is_some_and(|r| scope.rivers.contains(r))
}

/// A filing whose fields passed [`check_fields`]: what [`file_checked`] stores once [`check_stored`] passes too.
#[derive(Debug, Clone)]
pub struct Checked {
    kind: Kind,
    grade: Grade,
    category: String,
    criterion: Option<String>,
    title: String,
    description: String,
    point: Lonlat,
    grid: String,
    reach: Option<String>,
    enterprise: Option<i64>,
    photos: Vec<String>,
}

/// Checks a filing's fields, location, photos and the filer's scope (reads only).
pub fn check_filing(conn: &Connection, maps: &Maps, actor: &Actor, input: &CaseInput) -> Result<Checked> {
    let checked = check_fields(maps, actor, input)?;
    check_stored(conn, actor, &checked)?;
    Ok(checked)
}

/// The checks against stored data, for a filing that passed [`check_fields`]:
/// a second-level category of the case's kind, uploaded photos, and an
/// enterprise within the filer's scope.
pub fn check_stored(conn: &Connection, actor: &Actor, checked: &Checked) -> Result<()> {
    let (kind, category) = (checked.kind, &checked.category);
    let (category_kind, parent, _) = store::category(conn, category)?.ok_or_else(|| {
        Error::invalid("category", format!("没有类别 {category}"), format!("unknown category {category}"))
    })?;
    if parent.is_none() || category_kind != kind.as_str() {
        return Err(Error::invalid(
            "category",
            format!("类别 {category} 须为“{}”类的二级类别", kind.as_str()),
            format!("category {category} must be a second-level category of kind {}", kind.as_str()),
        ));
    }
    check_photos(conn, &checked.photos)?;
    if let Some(id) = checked.enterprise {
        crate::store::enterprises::get(conn, id)?
            .filter(|e| actor.scope.reads_enterprise(e.id, &e.grid_code))
            .ok_or_else(|| {
                Error::Forbidden(Msg::new(
                    format!("企业 {id} 不在您的职责范围内"),
                    format!("enterprise {id} is outside your scope"),
                ))
            })?;
    }
    Ok(())
}

/// The checks that need no database: kind, grade, texts, location (the
/// village and, for a river case, the reach), a photo given, and whether the
/// filer may file there. Runs off the writer.
pub fn check_fields(maps: &Maps, actor: &Actor, input: &CaseInput) -> Result<Checked> {
    let kind = Kind::parse(&input.kind).ok_or_else(|| {
        Error::invalid("kind", "类型须为 safety、environment 或 river", "kind must be safety, environment or river")
    })?;
    let grade = Grade::parse(&input.grade)
        .ok_or_else(|| Error::invalid("grade", "等级须为 general 或 major", "grade must be general or major"))?;
    let criterion = match grade {
        Grade::Major => Some(text(input.criterion.as_deref(), "criterion", "重大隐患判定依据条款", 500)?),
        Grade::General => optional_text(input.criterion.as_deref(), "criterion")?,
    };
    let title = text(Some(&input.title), "title", "标题", 100)?;
    let description = text(Some(&input.description), "description", "隐患描述", MAX_DESCRIPTION)?;
    let point = Lonlat::parse(input.lon, input.lat)?;
    let located = maps.locate(point)?;
    let grid = located.village.code.to_string();
    let snapped = maps.snap(point, SNAP_M).map(|(reach, _)| reach);
    if kind == Kind::River && snapped.is_none() {
        return Err(Error::invalid(
            "point",
            format!("河湖问题须在河道 {SNAP_M:.0} 米以内"),
            format!("a river case must lie within {SNAP_M:.0} m of a river"),
        ));
    }
    if input.photos.is_empty() {
        return Err(Error::invalid(
            "photos",
            "工作人员上报须至少附一张照片",
            "a staff report needs at least one photo",
        ));
    }
    let scope = &actor.scope;
    let reach = snapped.map(|r| r.code.clone());
    let river = snapped.map(|r| r.river.to_string());
    let may_file = scope.admin
        || scope.town_expert
        || scope.grids.contains(&grid)
        || input.enterprise_id.is_some_and(|e| scope.hired_by.contains(&e))
        || (kind == Kind::River
            && (reach.as_ref().is_some_and(|r| scope.reaches.contains(r))
                || river.as_ref().is_some_and(|r| scope.rivers.contains(r))));
    if !may_file {
        return Err(forbidden());
    }
    Ok(Checked {
        kind,
        grade,
        category: input.category.clone(),
        criterion,
        title,
        description,
        point,
        grid,
        reach,
        enterprise: input.enterprise_id,
        photos: input.photos.clone(),
    })
}

/// Checks and files a case in one go. Returns the stored row.
pub fn file(conn: &Connection, maps: &Maps, actor: &Actor, input: &CaseInput, now_s: i64) -> Result<CaseRow> {
    let checked = check_filing(conn, maps, actor, input)?;
    file_checked(conn, maps, actor.person.id, checked, now_s).map(|(row, _)| row)
}

/// Stores a checked filing: the next number, the row, its photos, the first audit entry.
pub fn file_checked(
    conn: &Connection,
    maps: &Maps,
    reporter: i64,
    checked: Checked,
    now_s: i64,
) -> Result<(CaseRow, Entry)> {
    let Checked { kind, grade, category, criterion, title, description, point, grid, reach, enterprise, photos } =
        checked;
    let prefix = maps.town().map_or_else(|| "CASE".to_owned(), |t| t.grid.code.to_string());
    let today = china_date(now_s);
    let year: i64 = today[..4].parse().map_err(|e| Error::Internal(anyhow::anyhow!("bad date {today}: {e}")))?;
    let now = china_timestamp(now_s);
    let mut row = CaseRow {
        id: 0,
        number: store::next_number(conn, &prefix, year)?,
        kind: kind.as_str().into(),
        category,
        grade: grade.as_str().into(),
        criterion,
        title,
        description,
        lon: point.lon,
        lat: point.lat,
        grid_code: grid,
        enterprise_id: enterprise,
        reach_code: reach,
        reporter_id: reporter,
        status: Status::Reported.as_str().into(),
        responsible: None,
        measures: None,
        deadline: None,
        plan: None,
        transferred_to: None,
        supervised: false,
        rework_count: 0,
        extension_count: 0,
        fix_description: None,
        reported_at: now.clone(),
        closed_at: None,
        version: 1,
        police_referred: false,
        police_outcome: None,
    };
    row.id = store::insert(conn, &row)?;
    store::add_photos(conn, row.id, "report", &photos)?;
    let entry = audit_store::append(
        conn,
        NewEntry {
            case_id: Some(row.id),
            actor_id: reporter,
            at: now,
            action: "report".into(),
            from: None,
            to: Some(row.status.clone()),
            comment: row.title.clone(),
            media: photos,
            document_sha256: None,
        },
    )?;
    Ok((row, entry))
}

/// One photo of a case in a view.
#[derive(Debug, Serialize)]
struct PhotoRef<'a> {
    stage: &'a str,
    id: &'a str,
}

/// The shape of a just-filed case's view, serialised straight to text.
#[derive(Debug, Serialize)]
struct FiledView<'a> {
    #[serde(flatten)]
    row: &'a CaseRow,
    overdue: bool,
    grid_chain: Vec<crate::domain::grid::GridRef>,
    allowed_actions: Vec<&'static str>,
    photos: Vec<PhotoRef<'a>>,
    timeline: [&'a Entry; 1],
}

/// The JSON view of a case just filed, built without reading it back: the
/// row, its report photos, its one timeline entry and what the filer may do
/// next. Same fields as [`view`].
pub fn filed_view(maps: &Maps, actor: &Actor, row: &CaseRow, entry: &Entry, today: &str) -> Result<String> {
    let f = facts(maps, row);
    let view = FiledView {
        row,
        overdue: false,
        grid_chain: maps.chain(&row.grid_code),
        allowed_actions: case::allowed(case::Actor { person: actor.person.id, scope: &actor.scope }, &f, today)
            .into_iter()
            .map(Action::as_str)
            .collect(),
        photos: entry.record.media.iter().map(|id| PhotoRef { stage: "report", id }).collect(),
        timeline: [entry],
    };
    serde_json::to_string(&view).map_err(|e| Error::Internal(e.into()))
}

/// Loads a case the actor may read; anything else is a 404.
pub fn load_readable(conn: &Connection, maps: &Maps, actor: &Actor, number: &str) -> Result<CaseRow> {
    store::by_number(conn, number)?
        .filter(|c| readable(&actor.scope, actor.person.id, &facts(maps, c)))
        .ok_or_else(|| Error::not_found(format!("没有编号为 {number} 的隐患"), format!("no case {number}")))
}

fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::WrongState { allowed } => Error::Refused {
            reason: Msg::new("当前状态下不能执行此操作", "this action is not possible in the case's current state"),
            allowed: allowed.iter().map(|a| a.as_str().to_owned()).collect(),
        },
        Refusal::NotPermitted(msg) => Error::Forbidden(msg),
        Refusal::Blocked(msg) => Error::Conflict(msg),
    }
}

/// Applies one action: decided by the state machine, checked for the action's
/// own requirements, written if the version is still `expected`, its document
/// issued (a notice at dispatch, a re-inspection opinion at approval or
/// return) and audited once with the document's hash.
pub fn act(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    number: &str,
    input: &ActionInput,
    expected: Option<i64>,
    now_s: i64,
) -> Result<CaseRow> {
    let step = step(conn, maps, actor, number, input, expected, now_s)?;
    let document = match step.action {
        Action::Dispatch => Some(documents::issue_notice(conn, maps, actor, &[&step.next], now_s)?),
        Action::Approve => {
            Some(documents::issue_review(conn, maps, actor, &step.next, Verdict::Approved, &step.comment, now_s)?)
        }
        Action::Return => {
            let verdict = Verdict::Returned(step.next.rework_count);
            Some(documents::issue_review(conn, maps, actor, &step.next, verdict, &step.comment, now_s)?)
        }
        _ => None,
    };
    record(conn, actor, &step, document.map(|d| d.sha256), now_s)?;
    Ok(step.next)
}

/// One dispatch of a joint notice: the case and its own measures and deadline.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeItem {
    /// Case number (a registered case).
    pub number: String,
    /// Required measures.
    pub measures: String,
    /// Deadline.
    pub deadline: String,
    /// The 五落实 plan, for a major hazard.
    #[serde(default)]
    pub plan: Option<Plan>,
}

/// Dispatches several registered cases at one addressee under one
/// rectification notice (`POST /api/v1/notices`): each case is dispatched as
/// by [`act`], one notice covers them all, and every case's audit entry
/// carries that notice's hash. All or nothing.
pub fn dispatch_together(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    responsible: &str,
    items: &[NoticeItem],
    now_s: i64,
) -> Result<(Vec<CaseRow>, crate::store::documents::DocumentMeta)> {
    if items.is_empty() || items.len() > MAX_NOTICE_ITEMS {
        return Err(Error::invalid(
            "cases",
            format!("一份通知书须包含 1 至 {MAX_NOTICE_ITEMS} 个案件"),
            format!("a notice covers 1 to {MAX_NOTICE_ITEMS} cases"),
        ));
    }
    let mut steps: Vec<Step> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if steps.iter().any(|s| s.next.number == item.number) {
            return Err(Error::invalid(
                "cases",
                format!("案件 {} 重复", item.number),
                format!("case {} is listed twice", item.number),
            ));
        }
        let input = ActionInput {
            action: Action::Dispatch.as_str().into(),
            responsible: Some(responsible.to_owned()),
            measures: Some(item.measures.clone()),
            deadline: Some(item.deadline.clone()),
            plan: item.plan.clone(),
            ..ActionInput::default()
        };
        // A field's error names its item (`cases.2.deadline`) and its case.
        let step = step(conn, maps, actor, &item.number, &input, None, now_s).map_err(|e| match e {
            Error::Invalid { field, reason } => Error::Invalid {
                field: format!("cases.{index}.{field}"),
                reason: Msg::new(
                    format!("案件 {}：{}", item.number, reason.zh),
                    format!("case {}: {}", item.number, reason.en),
                ),
            },
            other => other,
        })?;
        if let Some(first) = steps.first()
            && first.next.enterprise_id != step.next.enterprise_id
        {
            return Err(Error::invalid(
                "cases",
                format!("案件 {} 与 {} 不属于同一企业，不能合并下达一份通知书", step.next.number, first.next.number),
                format!("cases {} and {} concern different enterprises", step.next.number, first.next.number),
            ));
        }
        steps.push(step);
    }
    let rows: Vec<&CaseRow> = steps.iter().map(|s| &s.next).collect();
    let document = documents::issue_notice(conn, maps, actor, &rows, now_s)?;
    for s in &steps {
        record(conn, actor, s, Some(document.sha256.clone()), now_s)?;
    }
    Ok((steps.into_iter().map(|s| s.next).collect(), document))
}

/// Most cases one notice may cover.
pub const MAX_NOTICE_ITEMS: usize = 100;

/// An applied (not yet audited) action.
struct Step {
    action: Action,
    transition: case::Transition,
    next: CaseRow,
    comment: String,
    media: Vec<String>,
}

fn step(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    number: &str,
    input: &ActionInput,
    expected: Option<i64>,
    now_s: i64,
) -> Result<Step> {
    let action = Action::parse(&input.action).ok_or_else(|| {
        let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        Error::invalid(
            "action",
            format!("未知操作 “{}”", input.action),
            format!("unknown action \"{}\"; one of {}", input.action, all.join(", ")),
        )
    })?;
    let current = load_readable(conn, maps, actor, number)?;
    let expected = expected.unwrap_or(current.version);
    if expected != current.version {
        return Err(store::stale());
    }
    let mut f = facts(maps, &current);
    // The plan may arrive with the dispatch itself.
    f.has_plan |= action == Action::Dispatch && input.plan.is_some();
    let today = china_date(now_s);
    let transition = case::decide(case::Actor { person: actor.person.id, scope: &actor.scope }, &f, action, &today)
        .map_err(refusal)?;
    let mut next = current.clone();
    let (comment, media) = apply(conn, action, input, &current, &mut next, &today, now_s)?;
    next.status = transition.to.as_str().into();
    store::update(conn, &next, expected)?;
    next.version = expected + 1;
    if action == Action::Submit {
        store::add_photos(conn, next.id, "fix", &media)?;
    }
    Ok(Step { action, transition, next, comment, media })
}

fn record(conn: &Connection, actor: &Actor, step: &Step, document_sha256: Option<String>, now_s: i64) -> Result<()> {
    audit_store::append(
        conn,
        NewEntry {
            case_id: Some(step.next.id),
            actor_id: actor.person.id,
            at: china_timestamp(now_s),
            action: step.action.as_str().into(),
            from: Some(step.transition.from.as_str().into()),
            to: Some(step.transition.to.as_str().into()),
            comment: step.comment.clone(),
            media: step.media.clone(),
            document_sha256,
        },
    )?;
    Ok(())
}

/// Checks an action's own requirements and writes them into `next`; returns
/// the audit comment and the media it attaches.
fn apply(
    conn: &Connection,
    action: Action,
    input: &ActionInput,
    current: &CaseRow,
    next: &mut CaseRow,
    today: &str,
    now_s: i64,
) -> Result<(String, Vec<String>)> {
    let note = optional_text(input.comment.as_deref(), "comment")?.unwrap_or_default();
    Ok(match action {
        Action::Register => (note, Vec::new()),
        Action::Supervise | Action::Unsupervise => {
            next.supervised = action == Action::Supervise;
            (note, Vec::new())
        }
        Action::Cancel => (text(input.reason.as_deref(), "reason", "注销原因", 1000)?, Vec::new()),
        Action::Reopen => {
            next.closed_at = None;
            (text(input.reason.as_deref(), "reason", "重新打开原因", 1000)?, Vec::new())
        }
        Action::Dispatch => {
            next.responsible = Some(text(input.responsible.as_deref(), "responsible", "责任单位或责任人", 200)?);
            next.measures = Some(text(input.measures.as_deref(), "measures", "整改措施", MAX_DESCRIPTION)?);
            let deadline = people::date("deadline", &text(input.deadline.as_deref(), "deadline", "整改期限", 10)?)?;
            if deadline.as_str() < today {
                return Err(Error::invalid("deadline", "整改期限不能早于今天", "the deadline cannot be in the past"));
            }
            next.deadline = Some(deadline);
            if let Some(plan) = &input.plan {
                let item = |field: &str, value: &str| text(Some(value), field, "五落实各项", 2000);
                let plan = Plan {
                    responsible_person: item("plan.responsible_person", &plan.responsible_person)?,
                    measures: item("plan.measures", &plan.measures)?,
                    funds: item("plan.funds", &plan.funds)?,
                    deadline: item("plan.deadline", &plan.deadline)?,
                    contingency: item("plan.contingency", &plan.contingency)?,
                };
                next.plan = Some(json!(plan));
            }
            (note, Vec::new())
        }
        Action::Submit => {
            if input.photos.is_empty() {
                return Err(Error::invalid("photos", "整改反馈须附整改后照片", "a fix needs after-photos"));
            }
            check_photos(conn, &input.photos)?;
            let done = text(input.description.as_deref(), "description", "整改情况", MAX_DESCRIPTION)?;
            next.fix_description = Some(done.clone());
            (done, input.photos.clone())
        }
        Action::Approve => {
            next.closed_at = Some(china_timestamp(now_s));
            (text(input.comment.as_deref(), "comment", "验收意见", 2000)?, Vec::new())
        }
        Action::Return => {
            next.rework_count += 1;
            (text(input.reason.as_deref(), "reason", "返工原因", 2000)?, Vec::new())
        }
        Action::Extend => {
            let deadline = people::date("deadline", &text(input.deadline.as_deref(), "deadline", "新的整改期限", 10)?)?;
            if current.deadline.as_ref().is_some_and(|old| deadline <= *old) {
                return Err(Error::invalid(
                    "deadline",
                    "新期限须晚于原期限",
                    "the new deadline must be after the old one",
                ));
            }
            next.deadline = Some(deadline);
            next.extension_count += 1;
            (text(input.reason.as_deref(), "reason", "延期原因", 1000)?, Vec::new())
        }
        Action::Refer => {
            next.police_referred = true;
            let lead = text(input.reason.as_deref(), "reason", "涉河违法线索", 2000)?;
            (format!("涉河违法线索：{lead}"), Vec::new())
        }
        Action::Outcome => {
            let (code, zh) = match input.outcome.as_deref() {
                Some("filed") => ("filed", "立案"),
                Some("dispersed") => ("dispersed", "劝离"),
                Some("handed_over") => ("handed_over", "移交"),
                other => {
                    return Err(Error::invalid(
                        "outcome",
                        format!("处置结果须为 filed（立案）、dispersed（劝离）或 handed_over（移交），收到 {other:?}"),
                        format!("the outcome must be filed, dispersed or handed_over, got {other:?}"),
                    ));
                }
            };
            next.police_outcome = Some(code.to_owned());
            (if note.is_empty() { zh.to_owned() } else { format!("{zh}：{note}") }, Vec::new())
        }
        Action::Transfer => {
            let department = text(input.department.as_deref(), "department", "接收部门", 200)?;
            next.transferred_to = Some(department.clone());
            let comment =
                if note.is_empty() { format!("移送{department}") } else { format!("移送{department}：{note}") };
            (comment, Vec::new())
        }
    })
}

/// Overdue: a deadline has passed and the case is still open. Never stored.
pub fn is_overdue(c: &CaseRow, today: &str) -> bool {
    overdue(&c.status, c.deadline.as_deref(), today)
}

/// Whether a case with this status and deadline is overdue on `today`: open, its deadline passed.
fn overdue(status: &str, deadline: Option<&str>, today: &str) -> bool {
    Status::parse(status).is_some_and(Status::is_open) && deadline.is_some_and(|d| d < today)
}

/// The full view of a case for a reader: the row, overdue, photos, timeline and the viewer's actions.
pub fn view(conn: &Connection, maps: &Maps, actor: &Actor, c: &CaseRow, today: &str) -> Result<Value> {
    let f = facts(maps, c);
    let allowed: Vec<&str> = case::allowed(case::Actor { person: actor.person.id, scope: &actor.scope }, &f, today)
        .into_iter()
        .map(Action::as_str)
        .collect();
    let timeline: Vec<Entry> = audit_store::for_case(conn, c.id)?;
    let photos = store::photos(conn, c.id)?;
    let mut body = json!(c);
    body["overdue"] = json!(is_overdue(c, today));
    body["grid_chain"] = json!(maps.chain(&c.grid_code));
    body["allowed_actions"] = json!(allowed);
    body["photos"] = json!(photos.iter().map(|(stage, id)| json!({"stage": stage, "id": id})).collect::<Vec<_>>());
    body["timeline"] = json!(timeline);
    let docs: Vec<Value> = crate::store::documents::for_case(conn, c.id)?
        .into_iter()
        .map(|d| {
            let url = format!("/api/v1/documents/{}", d.code);
            let mut v = json!(d);
            v["url"] = json!(url);
            v
        })
        .collect();
    body["documents"] = json!(docs);
    Ok(body)
}

/// What a case list or ledger asks for (all optional; `below` is the grid
/// leader's escalation view: only grids strictly below the caller's own).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Status.
    pub status: Option<Status>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Grade.
    pub grade: Option<Grade>,
    /// A grid code: cases in it or below.
    pub grid: Option<String>,
    /// Enterprise id.
    pub enterprise: Option<i64>,
    /// Reach code.
    pub reach: Option<String>,
    /// Reporter id.
    pub reporter: Option<i64>,
    /// Overdue or not.
    pub overdue: Option<bool>,
    /// Under supervision (挂牌督办) or not.
    pub supervised: Option<bool>,
    /// Referred to the river police chief or not.
    pub referred: Option<bool>,
    /// Filed on or after.
    pub from: Option<String>,
    /// Filed on or before.
    pub to: Option<String>,
    /// Only grids below the caller's own.
    pub below: bool,
}

/// The cases `actor` may read that match `filter`, overdue first, then newest.
pub fn select(
    rows: Vec<CaseRow>,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    today: &str,
) -> Result<Vec<CaseRow>> {
    if let Some(grid) = &filter.grid {
        maps.grid(grid).ok_or_else(|| {
            Error::invalid("grid", format!("没有编码为 {grid} 的网格"), format!("no grid with code {grid}"))
        })?;
    }
    let own_grids: Vec<&String> = own_grids(actor).collect();
    let f = filter;
    let mut selected: Vec<CaseRow> = rows
        .into_iter()
        .filter(|c| readable(&actor.scope, actor.person.id, &facts(maps, c)))
        .filter(|c| f.status.is_none_or(|s| c.status == s.as_str()))
        .filter(|c| f.kind.is_none_or(|k| c.kind == k.as_str()))
        .filter(|c| f.grade.is_none_or(|g| c.grade == g.as_str()))
        .filter(|c| f.grid.as_deref().is_none_or(|g| maps.is_within(&c.grid_code, g)))
        .filter(|c| f.enterprise.is_none_or(|e| c.enterprise_id == Some(e)))
        .filter(|c| f.reach.as_deref().is_none_or(|r| c.reach_code.as_deref() == Some(r)))
        .filter(|c| f.reporter.is_none_or(|r| c.reporter_id == r))
        .filter(|c| f.overdue.is_none_or(|o| is_overdue(c, today) == o))
        .filter(|c| f.supervised.is_none_or(|s| c.supervised == s))
        .filter(|c| f.referred.is_none_or(|r| c.police_referred == r))
        .filter(|c| f.from.as_deref().is_none_or(|d| &c.reported_at[..10] >= d))
        .filter(|c| f.to.as_deref().is_none_or(|d| &c.reported_at[..10] <= d))
        .filter(|c| !f.below || own_grids.iter().any(|g| c.grid_code != **g && maps.is_within(&c.grid_code, g)))
        .collect();
    selected.sort_by_key(|c| (!is_overdue(c, today), -c.id));
    Ok(selected)
}

/// Turns cases into ledger lines, each name looked up once per export.
pub struct LedgerLines<'a> {
    maps: &'a Maps,
    enterprises: HashMap<i64, String>,
    categories: HashMap<String, String>,
    /// Per grid: its place in words (town to village) and its name.
    places: HashMap<String, (String, String)>,
}

impl<'a> LedgerLines<'a> {
    /// Reads the enterprise and category names.
    pub fn new(conn: &Connection, maps: &'a Maps) -> Result<Self> {
        Ok(Self {
            maps,
            enterprises: crate::store::enterprises::list(conn)?.into_iter().map(|e| (e.id, e.name)).collect(),
            categories: store::categories_with_retired(conn)?.into_iter().map(|(k, _)| (k.code, k.name)).collect(),
            places: HashMap::new(),
        })
    }

    /// Writes the ledger line of a case into `row`, reusing its strings: a
    /// million lines cost no allocation each.
    pub fn fill(&mut self, c: &store::LedgerCase<'_>, today: &str, row: &mut crate::docs::ledger::LedgerRow) {
        use std::fmt::Write as _;
        let maps = self.maps;
        if !self.places.contains_key(c.grid_code) {
            let chain: String = maps.chain(c.grid_code).into_iter().map(|g| g.name).collect();
            let name = maps.grid(c.grid_code).map_or_else(|| c.grid_code.to_owned(), |g| g.grid.name.clone());
            self.places.insert(c.grid_code.to_owned(), (chain, name));
        }
        let (chain, grid) = &self.places[c.grid_code];
        let set = |field: &mut String, text: &str| {
            field.clear();
            field.push_str(text);
        };
        set(&mut row.number, c.number);
        set(&mut row.found_on, c.reported_at.get(..10).unwrap_or(c.reported_at));
        row.place.clear();
        let _ = write!(row.place, "{chain}（{:.6}, {:.6}）", c.lon, c.lat);
        set(&mut row.grid, grid);
        set(&mut row.enterprise, c.enterprise_id.and_then(|id| self.enterprises.get(&id)).map_or("", String::as_str));
        set(&mut row.category, self.categories.get(c.category).map_or(c.category, String::as_str));
        row.description.clear();
        let _ = write!(row.description, "{}：{}", c.title, c.description);
        set(&mut row.grade, if c.grade == "major" { "重大" } else { "一般" });
        set(&mut row.responsible, c.responsible.unwrap_or(""));
        set(&mut row.measures, c.measures.unwrap_or(""));
        set(&mut row.deadline, c.deadline.unwrap_or(""));
        row.recheck.clear();
        if let Some((action, at, comment)) = c.verdict {
            let verdict = if action == "approve" { "验收通过" } else { "返工" };
            let _ = write!(row.recheck, "{} {verdict}：{comment}", at.get(..10).unwrap_or(at));
        }
        set(&mut row.closed_on, c.closed_at.map_or("", |t| t.get(..10).unwrap_or(t)));
        row.status.clear();
        row.status.push_str(Status::parse(c.status).map_or(c.status, |s| s.zh()));
        if overdue(c.status, c.deadline, today) {
            row.status.push_str("（已超期）");
        }
    }
}

/// How many cases a ledger export reads at a time.
const LEDGER_BATCH: usize = 5000;

/// The ledger lines of the actor's cases that pass `filter`, in list order
/// (overdue first, then newest), handed to `each` one by one as they are
/// read a batch at a time: memory stays that of one batch whatever the count.
/// Returns how many lines there were.
pub fn ledger_each(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    today: &str,
    each: &mut dyn FnMut(&crate::docs::ledger::LedgerRow) -> Result<()>,
) -> Result<usize> {
    let query = list_query(maps, actor, filter)?;
    let mut lines = LedgerLines::new(conn, maps)?;
    let mut row = crate::docs::ledger::LedgerRow::default();
    let (mut after, mut count) = (None, 0);
    loop {
        let (found, next) = case_query::page_ids(conn, &query, today, after, LEDGER_BATCH)?;
        // Overdue first, then the rest: each run's ids descend, as the store reads them.
        for run in found.chunk_by(|a, b| a.rank == b.rank) {
            let ids: Vec<i64> = run.iter().map(|c| c.id).collect();
            store::ledger_cases(conn, &ids, &mut |c| {
                lines.fill(c, today, &mut row);
                count += 1;
                each(&row)
            })?;
        }
        match next {
            Some(n) => after = Some(n),
            None => return Ok(count),
        }
    }
}

/// Writes the CSV ledger of the actor's filtered cases into `out` as they
/// are read; returns how many lines.
pub fn csv_ledger(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    today: &str,
    out: impl std::io::Write,
) -> Result<usize> {
    let mut csv = crate::docs::ledger::CsvLedger::new(out)?;
    let count = ledger_each(conn, maps, actor, filter, today, &mut |row| csv.push(row))?;
    csv.finish()?.flush().map_err(|e| Error::Internal(e.into()))?;
    Ok(count)
}

/// Writes the XLSX ledger of the actor's filtered cases (rows in constant
/// memory, then the KPI sheet of the period) to a temporary file; returns it
/// and how many lines.
pub fn xlsx_ledger(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    today: &str,
) -> Result<(tempfile::NamedTempFile, usize)> {
    let mut book = crate::docs::ledger::XlsxLedger::new()?;
    let count = ledger_each(conn, maps, actor, filter, today, &mut |row| book.push(row))?;
    let (from, to) = ledger_period(filter, today);
    let kpis = ledger_kpis(conn, maps, actor, filter, (&from, &to))?;
    let file = tempfile::NamedTempFile::new().map_err(|e| Error::Internal(e.into()))?;
    book.finish(&kpis, &format!("{from} 至 {to}"), file.path())?;
    Ok((file, count))
}

/// The period a ledger's KPI sheet covers: the filter's dates, by default this year to today.
pub fn ledger_period(filter: &CaseFilter, today: &str) -> (String, String) {
    let from = filter.from.clone().unwrap_or_else(|| format!("{}-01-01", &today[..4]));
    let to = filter.to.clone().unwrap_or_else(|| today.to_owned());
    (from, to)
}

/// How the KPIs are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    /// By the grid holding the case, at this level.
    Grid(GridLevel),
    /// By the reporter.
    Person,
}

/// The KPIs of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsGroup {
    /// Grid code or person id.
    pub key: String,
    /// Grid or person name.
    pub name: String,
    /// The figures.
    pub kpi: Kpi,
}

/// The KPIs of a set of cases over a period, in total and per group: what
/// `GET /api/v1/stats` answers and the ledger's 分网格统计 sheet prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// First day of the period.
    pub from: String,
    /// Last day of the period.
    pub to: String,
    /// `grid` or `person`.
    pub by: &'static str,
    /// All the cases together.
    pub total: Kpi,
    /// One line per group with a case filed, due or closed in the period, by key.
    pub groups: Vec<StatsGroup>,
}

/// The KPIs of `lines` over `[from, to]` (see [`crate::domain::kpi`] for what
/// counts as due, closed and on time), grouped `by`. `people` names the
/// reporters when grouping by person.
pub fn stats(lines: &[KpiLine], maps: &Maps, people: &[Person], by: StatsBy, from: &str, to: &str) -> Stats {
    let mut counter = StatsCounter::new(maps, by, from, to);
    for l in lines {
        counter.add(&l.borrowed());
    }
    counter.into_counted().finish(people, by, from, to)
}

/// One group being counted: its key, its name (grids only) and its tally.
#[derive(Debug, Clone)]
struct GroupTally {
    key: String,
    name: String,
    tally: Tally,
}

/// What a [`StatsCounter`] counted: owned, so counters of parts of a period
/// (each on its own connection) hand it back to be merged.
#[derive(Debug, Clone, Default)]
pub struct Counted {
    /// Each case counts in exactly one group; the total is their sum.
    groups: Vec<GroupTally>,
    /// Group of each key.
    keys: HashMap<String, usize>,
}

impl Counted {
    /// The group of `key`, made on first sight.
    fn group(&mut self, key: String, name: impl FnOnce() -> String) -> usize {
        if let Some(&at) = self.keys.get(&key) {
            return at;
        }
        self.groups.push(GroupTally { key: key.clone(), name: name(), tally: Tally::default() });
        self.keys.insert(key, self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Adds what was counted over another part of the same period and grouping.
    pub fn merge(&mut self, other: Self) {
        for g in other.groups {
            let at = self.group(g.key, || g.name);
            self.groups[at].tally.merge(&g.tally);
        }
    }

    /// The statistics: groups in key order, those with nothing in the period
    /// left out, reporters named from `people`.
    pub fn finish(mut self, people: &[Person], by: StatsBy, from: &str, to: &str) -> Stats {
        self.groups.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let mut total = Tally::default();
        for g in &self.groups {
            total.merge(&g.tally);
        }
        let names: HashMap<String, &str> = match by {
            StatsBy::Person => people.iter().map(|p| (p.id.to_string(), p.name.as_str())).collect(),
            StatsBy::Grid(_) => HashMap::new(),
        };
        Stats {
            from: from.to_owned(),
            to: to.to_owned(),
            by: if by == StatsBy::Person { "person" } else { "grid" },
            total: total.kpi(),
            groups: self
                .groups
                .into_iter()
                .map(|g| {
                    let name = names.get(&g.key).map_or(g.name, |n| (*n).to_owned());
                    StatsGroup { key: g.key, name, kpi: g.tally.kpi() }
                })
                .filter(|g| g.kpi != Kpi::default())
                .collect(),
        }
    }
}

/// The KPIs of a period being counted, grouped, as the lines stream past:
/// memory holds one tally per group, never the lines.
#[derive(Debug, Clone)]
pub struct StatsCounter<'a> {
    maps: &'a Maps,
    by: StatsBy,
    period: Period,
    /// Group of each village (a town has thousands, each placed once).
    villages: HashMap<String, usize>,
    /// Group of each reporter.
    reporters: HashMap<i64, usize>,
    /// Lines read but not yet counted, with their group: counted a chunk at
    /// a time in group order, so each group's tally is visited once per
    /// chunk instead of once per line at a random place in memory.
    pending: Vec<(u32, DayFacts)>,
    /// What was counted so far (see [`StatsCounter::into_counted`]).
    counted: Counted,
}

/// How many lines [`StatsCounter`] holds before it counts them (4 MB).
const STATS_CHUNK: usize = 1 << 16;

impl<'a> StatsCounter<'a> {
    /// An empty counter.
    pub fn new(maps: &'a Maps, by: StatsBy, from: &str, to: &str) -> Self {
        let period = Period::new(from, to);
        Self {
            maps,
            by,
            period,
            villages: HashMap::new(),
            reporters: HashMap::new(),
            pending: Vec::with_capacity(STATS_CHUNK),
            counted: Counted::default(),
        }
    }

    /// The group a line counts in.
    fn group_of(&mut self, l: &KpiLine<&str>) -> usize {
        match self.by {
            StatsBy::Person => {
                if let Some(&at) = self.reporters.get(&l.reporter) {
                    return at;
                }
                let at = self.counted.group(l.reporter.to_string(), String::new);
                self.reporters.insert(l.reporter, at);
                at
            }
            StatsBy::Grid(level) => {
                if let Some(&at) = self.villages.get(l.grid) {
                    return at;
                }
                let chain = self.maps.chain(l.grid);
                let (key, name) = chain
                    .iter()
                    .find(|g| g.level == level)
                    .or(chain.last())
                    .map_or_else(|| (l.grid.to_owned(), String::new()), |g| (g.code.to_string(), g.name.clone()));
                let at = self.counted.group(key, || name);
                self.villages.insert(l.grid.to_owned(), at);
                at
            }
        }
    }

    /// Counts one line.
    pub fn add(&mut self, l: &KpiLine<&str>) {
        let facts = DayFacts::of(&kpi_facts_of(l));
        let at = u32::try_from(self.group_of(l)).unwrap_or(u32::MAX);
        self.pending.push((at, facts));
        if self.pending.len() >= STATS_CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.pending.sort_unstable_by_key(|(at, _)| *at);
        for (at, facts) in self.pending.drain(..) {
            if let Some(group) = self.counted.groups.get_mut(at as usize) {
                group.tally.add_days(facts, self.period);
            }
        }
    }

    /// Everything counted.
    pub fn into_counted(mut self) -> Counted {
        self.flush();
        self.counted
    }
}

/// What a case contributes to the KPIs, as [`store::kpi_each`] reads it.
pub fn kpi_line(c: &CaseRow) -> KpiLine {
    KpiLine {
        id: c.id,
        reported: c.reported_at[..10].to_owned(),
        grid: c.grid_code.clone(),
        reporter: c.reporter_id,
        deadline: c.deadline.clone(),
        closed: c.closed_at.as_ref().map(|t| t[..10].to_owned()),
        reworks: c.rework_count,
        extensions: c.extension_count,
        enterprise: c.enterprise_id,
        reach: c.reach_code.clone(),
        kind: c.kind.clone(),
        grade: c.grade.clone(),
        supervised: c.supervised,
        referred: c.police_referred,
    }
}

/// The KPI facts of a line.
fn kpi_facts_of<'l>(l: &KpiLine<&'l str>) -> Facts<'l> {
    Facts { reported: l.reported, deadline: l.deadline, closed: l.closed, reworks: l.reworks, extensions: l.extensions }
}

/// Whether a person with `scope` may read the case behind a KPI line (as [`readable`]).
fn reads_line(maps: &Maps, scope: &Scope, person: i64, l: &KpiLine<&str>) -> bool {
    scope.admin
        || scope.town_expert
        || l.reporter == person
        || scope.grids.contains(l.grid)
        || l.enterprise.is_some_and(|e| scope.enterprises.contains(&e))
        || l.reach.as_ref().is_some_and(|r| {
            scope.reaches.contains(*r) || maps.reach(r).is_some_and(|reach| scope.rivers.contains(reach.river.as_str()))
        })
}

/// The ledger's 分网格统计 sheet: the KPIs of each village over `[from, to]`,
/// exactly as `GET /api/v1/stats?by=grid&level=village` computes them, over
/// the cases `actor` may read that match the ledger's filter *except* its
/// filing dates, status and overdue flag. Those choose the ledger's lines;
/// the statistics describe the period (a case filed in February that falls
/// due in March counts in March), and a ledger of closed cases still has a
/// closure rate below 100 % when cases went unclosed.
pub fn ledger_kpis(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    (from, to): (&str, &str),
) -> Result<Vec<KpiRow>> {
    let f = filter;
    let within = |grid: &str, ancestor: &Option<String>| ancestor.as_deref().is_none_or(|g| maps.is_within(grid, g));
    let own: Vec<&String> = own_grids(actor).collect();
    let by = StatsBy::Grid(GridLevel::Village);
    let mut counter = StatsCounter::new(maps, by, from, to);
    store::kpi_period(conn, from, to, |l| {
        let counts = reads_line(maps, &actor.scope, actor.person.id, l)
            && f.kind.is_none_or(|k| l.kind == k.as_str())
            && f.grade.is_none_or(|g| l.grade == g.as_str())
            && within(l.grid, &f.grid)
            && f.enterprise.is_none_or(|e| l.enterprise == Some(e))
            && f.reach.as_deref().is_none_or(|r| l.reach == Some(r))
            && f.reporter.is_none_or(|r| l.reporter == r)
            && f.supervised.is_none_or(|s| l.supervised == s)
            && f.referred.is_none_or(|r| l.referred == r)
            && (!f.below || own.iter().any(|g| l.grid != g.as_str() && maps.is_within(l.grid, g)));
        if counts {
            counter.add(l);
        }
    })?;
    let stats = counter.into_counted().finish(&[], by, from, to);
    Ok(stats.groups.into_iter().map(|g| KpiRow { code: g.key, name: g.name, kpi: g.kpi }).collect())
}

/// What a case contributes to the KPIs.
pub fn kpi_facts(c: &CaseRow) -> CaseKpi {
    let l = kpi_line(c);
    CaseKpi {
        reported: l.reported,
        deadline: l.deadline,
        closed: l.closed,
        reworks: l.reworks,
        extensions: l.extensions,
    }
}

/// What an earlier filing by `person` with this `Idempotency-Key` left: its
/// request hash and the case number it filed.
pub fn earlier_filing(conn: &Connection, person: i64, key: &str) -> Result<Option<(Option<String>, String)>> {
    Ok(store::idempotent(conn, person, key)?.map(|(hash, _, number)| (Some(hash), number)))
}

/// Records the key of a filing, in the filing's transaction.
pub fn remember_filing(
    conn: &Connection,
    person: i64,
    key: &str,
    request: &str,
    number: &str,
    now: &str,
) -> Result<()> {
    store::remember(conn, person, key, request, 201, number, now)
}

/// Most cases on one page of the list.
pub const MAX_PAGE: usize = 500;

/// One page of the cases the actor may read that pass `filter`: overdue
/// first, then newest, each with `overdue`; `after` is the previous page's
/// `next` cursor (`<rank>.<id>`: rank 0 overdue, 1 not; ids descend within a rank).
pub fn list_page(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    after: Option<&str>,
    limit: usize,
    today: &str,
) -> Result<(Vec<Value>, Option<String>)> {
    let (rows, next) = list_rows(conn, maps, actor, filter, after, limit, today)?;
    let page = rows
        .into_iter()
        .map(|(c, overdue)| {
            let mut v = json!(c);
            v["overdue"] = json!(overdue);
            v
        })
        .collect();
    Ok((page, next))
}

pub use crate::store::case_query::Listed;

/// [`list_page`] as rows with their overdue flag, for pages.
pub fn list_rows(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    after: Option<&str>,
    limit: usize,
    today: &str,
) -> Result<(Vec<Listed>, Option<String>)> {
    let limit = limit.clamp(1, MAX_PAGE);
    let after: Option<Cursor> = after
        .map(|a| {
            a.split_once('.')
                .and_then(|(r, i)| Some(Cursor { rank: r.parse().ok().filter(|r| *r <= 1)?, id: i.parse().ok()? }))
                .ok_or_else(|| Error::invalid("after", "查询参数 after 无效", "invalid query parameter after"))
        })
        .transpose()?;
    let query = list_query(maps, actor, filter)?;
    let (rows, next) = case_query::page(conn, &query, today, after, limit)?;
    Ok((rows, next.map(|c| format!("{}.{}", c.rank, c.id))))
}

/// Most driving terms a list reads one by one; a wider set is read as a
/// residual condition over the whole table instead.
const MANY_TERMS: usize = 256;

/// The SQL list that [`select`] describes: the filters and the actor's scope
/// as a keyset query over the indexes (see [`case_query`]).
pub fn list_query(maps: &Maps, actor: &Actor, f: &CaseFilter) -> Result<Query> {
    if let Some(grid) = &f.grid {
        maps.grid(grid).ok_or_else(|| {
            Error::invalid("grid", format!("没有编码为 {grid} 的网格"), format!("no grid with code {grid}"))
        })?;
    }
    let scope = &actor.scope;
    let wide = scope.admin || scope.town_expert;
    // The grids a case must lie in: the filter's grid and below, and for
    // `below` the grids strictly under the caller's own.
    let mut grids: Option<BTreeSet<String>> = f.grid.as_deref().map(|g| maps.descendants(g).into_iter().collect());
    if f.below {
        let under: BTreeSet<String> =
            own_grids(actor).flat_map(|g| maps.descendants(g).into_iter().filter(move |d| d != g)).collect();
        grids = Some(match grids {
            Some(g) => g.intersection(&under).cloned().collect(),
            None => under,
        });
    }
    let scope_sql = ScopeSql {
        reporter: actor.person.id,
        grids: scope.grids.iter().cloned().collect(),
        enterprises: scope.enterprises.iter().copied().collect(),
        reaches: scope
            .reaches
            .iter()
            .cloned()
            .chain(scope.rivers.iter().flat_map(|r| maps.reaches_of(r).map(|reach| reach.code.clone())))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let scope_terms: Vec<Term> = std::iter::once(Term::Reporter(scope_sql.reporter))
        .chain(scope_sql.grids.iter().cloned().map(Term::Grid))
        .chain(scope_sql.enterprises.iter().copied().map(Term::Enterprise))
        .chain(scope_sql.reaches.iter().cloned().map(Term::Reach))
        .collect();
    let mut residual = Residual {
        status: f.status.map(|s| s.as_str().to_owned()),
        open: false,
        kind: f.kind.map(|k| k.as_str().to_owned()),
        category: None,
        grade: f.grade.map(|g| g.as_str().to_owned()),
        grids: grids.clone().map(|g| g.into_iter().collect()),
        enterprise: f.enterprise,
        reach: f.reach.clone(),
        reporter: f.reporter,
        supervised: f.supervised,
        referred: f.referred,
        from: f.from.clone(),
        to: f.to.clone(),
        filed_since: None,
        filed_until: None,
        scope: (!wide).then(|| scope_sql.clone()),
        within: None,
    };
    let days = f.from.as_deref().zip(f.to.as_deref()).and_then(|(from, to)| days_between(from, to));
    let terms = if grids.as_ref().is_some_and(BTreeSet::is_empty) {
        // A grid filter no grid passes (`below` for someone with no grid below theirs): nothing to list.
        Vec::new()
    } else if let Some(r) = f.reporter {
        vec![Term::Reporter(r)]
    } else if let Some(e) = f.enterprise {
        vec![Term::Enterprise(e)]
    } else if let Some(r) = &f.reach {
        vec![Term::Reach(r.clone())]
    } else if !wide && scope_terms.len() <= MANY_TERMS {
        // The reader's own scope bounds the list; a grid filter only drops the grids outside it.
        residual.scope = None;
        scope_terms
            .into_iter()
            .filter(|t| !matches!(t, Term::Grid(g) if grids.as_ref().is_some_and(|s| !s.contains(g))))
            .collect()
    } else if let Some(g) = grids.filter(|g| g.len() <= MANY_TERMS) {
        residual.grids = None;
        g.into_iter().map(Term::Grid).collect()
    } else if let Some(days) = days.filter(|d| d.len() <= MAX_DAYS) {
        days.into_iter().map(Term::Day).collect()
    } else if let Some(s) = f.status {
        vec![Term::Status(s.as_str().to_owned())]
    } else {
        vec![Term::All]
    };
    Ok(Query { terms, residual, overdue: f.overdue != Some(false), not_overdue: f.overdue != Some(true) })
}

/// The open cases the actor may read that pass `filter` and lie in
/// `[west, south, east, north]`, overdue first, then newest: what a map view shows.
pub fn open_in_view(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    filter: &CaseFilter,
    bbox: [f64; 4],
    today: &str,
) -> Result<Vec<CaseRow>> {
    let mut q = open_query(maps, actor, filter, None)?;
    q.residual.within = Some(bbox);
    Ok(case_query::all(conn, &q, today)?.into_iter().map(|(c, _)| c).collect())
}

/// The open cases the actor may read that pass `filter` (of one category, if given): driven by
/// the open statuses' index for the town office, by the scope otherwise, so
/// it costs what is open, not what was ever filed.
pub fn open_query(maps: &Maps, actor: &Actor, filter: &CaseFilter, category: Option<&str>) -> Result<Query> {
    let mut q = list_query(maps, actor, filter)?;
    if q.terms == [Term::All] {
        q.terms =
            Status::ALL.into_iter().filter(|s| s.is_open()).map(|s| Term::Status(s.as_str().to_owned())).collect();
    }
    q.residual.open = true;
    q.residual.category = category.map(str::to_owned);
    Ok(q)
}

/// Most days a filing-date range reads one by one (ten years).
const MAX_DAYS: usize = 3660;

/// The days from `from` to `to` (YYYY-MM-DD, inclusive), newest first; `None` when either is not a date.
fn days_between(from: &str, to: &str) -> Option<Vec<String>> {
    let (first, last) = (crate::domain::time::parse_date(from)?, crate::domain::time::parse_date(to)?);
    Some((first..=last).rev().take(MAX_DAYS + 1).map(crate::domain::time::format_date).collect())
}

/// The grids the actor holds by assignment (not expanded).
fn own_grids(actor: &Actor) -> impl Iterator<Item = &String> {
    actor.assignments.iter().flat_map(|a| &a.scope).filter_map(|s| match s {
        crate::domain::people::ScopeItem::Grid(g) => Some(g),
        _ => None,
    })
}

/// The KPIs of the cases the actor may read, grouped `by`, over `[from, to]`.
pub fn stats_in_scope(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    by: StatsBy,
    from: &str,
    to: &str,
) -> Result<Stats> {
    check_period(from, to)?;
    let mut counter = StatsCounter::new(maps, by, from, to);
    for part in KpiPart::of_period(from, to, 1) {
        count_part(conn, &mut counter, actor, &part)?;
    }
    Ok(counter.into_counted().finish(&crate::store::people::list(conn)?, by, from, to))
}

/// How many runs of filing days [`stats_of`] reads at once: one per core of
/// the two a town's server has, the cases filed before the period a third.
const STATS_PIECES: usize = 2;

/// [`stats_in_scope`], its parts read at once on the store's readers: a
/// year of a county is a million lines. Each part reads its own snapshot;
/// a case falls in one part only, counted as it stood when that part read it.
pub async fn stats_of(
    store: &Store,
    maps: Arc<Maps>,
    actor: Arc<Actor>,
    by: StatsBy,
    from: &str,
    to: &str,
) -> Result<Stats> {
    check_period(from, to)?;
    let reads = KpiPart::of_period(from, to, STATS_PIECES).into_iter().map(|part| {
        let (maps, actor, from, to) = (maps.clone(), actor.clone(), from.to_owned(), to.to_owned());
        store.read(move |c| {
            let mut counter = StatsCounter::new(&maps, by, &from, &to);
            count_part(c, &mut counter, &actor, &part)?;
            Ok(counter.into_counted())
        })
    });
    let mut counted = Counted::default();
    for part in futures_util::future::try_join_all(reads).await? {
        counted.merge(part);
    }
    let people = if by == StatsBy::Person { store.read(crate::store::people::list).await? } else { Vec::new() };
    Ok(counted.finish(&people, by, from, to))
}

/// Counts the lines of one part that the actor may read.
fn count_part(conn: &Connection, counter: &mut StatsCounter<'_>, actor: &Actor, part: &KpiPart) -> Result<()> {
    let sees_all = actor.scope.admin || actor.scope.town_expert;
    let fields = if sees_all { KpiFields::Counts } else { KpiFields::All };
    let maps = counter.maps;
    store::kpi_each(conn, part, fields, |l| {
        if sees_all || reads_line(maps, &actor.scope, actor.person.id, l) {
            counter.add(l);
        }
        Ok(())
    })
}

/// A period's end may not precede its start.
fn check_period(from: &str, to: &str) -> Result<()> {
    if to < from {
        return Err(Error::invalid("to", "结束日期不能早于开始日期", "the end date cannot precede the start date"));
    }
    Ok(())
}

/// Whether the actor may file a case anywhere (the report button is offered only then).
pub fn may_file(actor: &Actor) -> bool {
    let s = &actor.scope;
    s.admin
        || s.town_expert
        || !s.grids.is_empty()
        || !s.hired_by.is_empty()
        || !s.reaches.is_empty()
        || !s.rivers.is_empty()
}

/// Whole days from `today` to `deadline`: negative once it has passed.
pub fn days_left(deadline: Option<&str>, today: &str) -> Option<i64> {
    let (d, t) = (crate::domain::time::parse_date(deadline?)?, crate::domain::time::parse_date(today)?);
    Some(d - t)
}

/// A case waiting for the actor, with what they may do on it now.
#[derive(Debug, Clone)]
pub struct Todo {
    /// The case.
    pub case: CaseRow,
    /// The actions that move it on which the actor may take now.
    pub actions: Vec<Action>,
    /// Days to the deadline (negative: overdue).
    pub days_left: Option<i64>,
}

/// Within this many days a deadline counts as near on the home page.
pub const DUE_SOON_DAYS: i64 = 3;

/// The work waiting for the actor: open cases they may read on which they may
/// take an action that moves the case on (SPEC §5, decided by the state
/// machine); overdue first (most days over first), then due within
/// [`DUE_SOON_DAYS`], then the rest, each by deadline then newest.
pub fn todo(conn: &Connection, maps: &Maps, actor: &Actor, today: &str) -> Result<Vec<Todo>> {
    let who = case::Actor { person: actor.person.id, scope: &actor.scope };
    let mut out: Vec<Todo> = case_query::all(conn, &open_query(maps, actor, &CaseFilter::default(), None)?, today)?
        .into_iter()
        .filter_map(|(c, _)| {
            let f = facts(maps, &c);
            let actions: Vec<Action> = case::allowed(who, &f, today).into_iter().filter(|a| a.moves_on()).collect();
            if actions.is_empty() {
                return None;
            }
            let days_left = days_left(c.deadline.as_deref(), today);
            Some(Todo { case: c, actions, days_left })
        })
        .collect();
    out.sort_by_key(|t| {
        let bucket = match t.days_left {
            Some(d) if d < 0 => 0,
            Some(d) if d <= DUE_SOON_DAYS => 1,
            _ => 2,
        };
        (bucket, t.days_left.unwrap_or(i64::MAX), -t.case.id)
    });
    Ok(out)
}

/// Everything a case page shows, read in one transaction.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The case.
    pub case: CaseRow,
    /// Past its deadline and still open.
    pub overdue: bool,
    /// Days to the deadline (negative: overdue).
    pub days_left: Option<i64>,
    /// Village, community and town names, town first.
    pub places: Vec<String>,
    /// The category's name.
    pub category: String,
    /// The enterprise's name.
    pub enterprise: Option<String>,
    /// The reach in words.
    pub reach: Option<String>,
    /// What the viewer may do now.
    pub allowed: Vec<Action>,
    /// Photos: (stage `report` or `fix`, media id).
    pub photos: Vec<(String, String)>,
    /// The audit entries with the actor's name.
    pub timeline: Vec<(Entry, String)>,
    /// Documents issued for the case.
    pub documents: Vec<DocumentMeta>,
}

/// The case page's data for a case the actor may read (anything else is a 404).
pub fn page(conn: &Connection, maps: &Maps, actor: &Actor, number: &str, today: &str) -> Result<CasePage> {
    let c = load_readable(conn, maps, actor, number)?;
    let f = facts(maps, &c);
    let allowed = case::allowed(case::Actor { person: actor.person.id, scope: &actor.scope }, &f, today);
    let category = store::categories(conn)?
        .into_iter()
        .find(|k| k.code == c.category)
        .map_or_else(|| c.category.clone(), |k| k.name);
    let enterprise = match c.enterprise_id {
        Some(id) => crate::store::enterprises::get(conn, id)?.map(|e| e.name),
        None => None,
    };
    let reach = c
        .reach_code
        .as_ref()
        .map(|r| crate::service::people::scope_name(conn, maps, &crate::domain::people::ScopeItem::Reach(r.clone())));
    let reach = reach.transpose()?;
    let mut timeline = Vec::new();
    for entry in audit_store::for_case(conn, c.id)? {
        let name = crate::store::people::get(conn, entry.record.actor_id)?.map_or_else(String::new, |p| p.name);
        timeline.push((entry, name));
    }
    Ok(CasePage {
        overdue: is_overdue(&c, today),
        days_left: days_left(c.deadline.as_deref(), today),
        places: maps.chain(&c.grid_code).into_iter().map(|g| g.name.clone()).collect(),
        category,
        enterprise,
        reach,
        allowed,
        photos: store::photos(conn, c.id)?,
        timeline,
        documents: crate::store::documents::for_case(conn, c.id)?,
        case: c,
    })
}

/// Open cases of `category` within `radius_m` of a point: possible duplicates
/// of a report about to be filed, among those the actor may read.
pub fn nearby_open(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    point: Lonlat,
    category: &str,
    radius_m: f64,
) -> Result<Vec<(CaseRow, f64)>> {
    // Nearness orders these, not the deadline: any day will do for the overdue rank.
    let mut out: Vec<(CaseRow, f64)> =
        case_query::all(conn, &open_query(maps, actor, &CaseFilter::default(), Some(category))?, &china_date(0))?
            .into_iter()
            .filter_map(|(c, _)| {
                let d = crate::spatial::distance_m(point, Lonlat::parse(c.lon, c.lat).ok()?);
                (d <= radius_m).then_some((c, d))
            })
            .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(out)
}

/// The town office's dashboard over a period, in the actor's scope.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// KPIs over the period, in total and per community.
    pub stats: Stats,
    /// Open cases now.
    pub open: usize,
    /// Open cases past their deadline now.
    pub overdue: usize,
    /// Open cases under supervision (挂牌督办) now.
    pub supervised: usize,
    /// Cases closed in the current calendar month.
    pub closed_this_month: usize,
    /// The overdue cases, longest over first, with days over.
    pub oldest_overdue: Vec<(CaseRow, i64)>,
}

/// How many of the oldest overdue cases the dashboard lists.
pub const DASHBOARD_OVERDUE: usize = 10;

/// The dashboard: the figures of now (open, overdue, supervised, closed this
/// month), the KPIs of `[from, to]` per community as `GET /api/v1/stats?by=grid&level=community`
/// computes them, and the oldest overdue cases. Scope as every read.
pub fn dashboard(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    from: &str,
    to: &str,
    today: &str,
) -> Result<Dashboard> {
    let stats = stats_in_scope(conn, maps, actor, StatsBy::Grid(GridLevel::Community), from, to)?;
    let open: Vec<CaseRow> = case_query::all(conn, &open_query(maps, actor, &CaseFilter::default(), None)?, today)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let month = &today[..7];
    let mut oldest: Vec<(CaseRow, i64)> = open
        .iter()
        .filter(|c| is_overdue(c, today))
        .map(|c| ((*c).clone(), -days_left(c.deadline.as_deref(), today).unwrap_or(0)))
        .collect();
    oldest.sort_by_key(|(c, over)| (-over, c.id));
    let overdue = oldest.len();
    oldest.truncate(DASHBOARD_OVERDUE);
    Ok(Dashboard {
        stats,
        open: open.len(),
        overdue,
        supervised: open.iter().filter(|c| c.supervised).count(),
        closed_this_month: {
            let mut closed = 0;
            store::kpi_period(conn, &format!("{month}-01"), today, |l| {
                let this_month = l.closed.is_some_and(|d| d.starts_with(month));
                closed += usize::from(this_month && reads_line(maps, &actor.scope, actor.person.id, l));
            })?;
            closed
        },
        oldest_overdue: oldest,
    })
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    /// Lines enough for several chunks, counted by person: every tally and
    /// the total equal the tallies counted one line at a time.
    #[test]
    fn counting_in_chunks_gives_what_counting_each_line_gives() {
        let maps = Maps::new(Vec::new(), Vec::new(), Vec::new());
        let (from, to) = ("2026-01-01", "2026-12-31");
        let days = ["2025-12-20", "2026-01-05", "2026-03-10", "2026-06-30", "2026-12-31", "2027-01-02"];
        let lines: Vec<KpiLine> = (0..STATS_CHUNK * 2 + 777)
            .map(|i| KpiLine {
                id: i as i64,
                reported: days[i % 4].to_owned(),
                grid: "G".to_owned(),
                reporter: (i % 37) as i64,
                deadline: (i % 3 != 0).then(|| days[(i / 3) % days.len()].to_owned()),
                closed: (i % 5 != 0).then(|| days[(i / 7) % days.len()].to_owned()),
                reworks: (i % 11 == 0).into(),
                extensions: (i % 13 == 0).into(),
                enterprise: None,
                reach: None,
                kind: "safety".to_owned(),
                grade: "general".to_owned(),
                supervised: false,
                referred: false,
            })
            .collect();
        let chunked = stats(&lines, &maps, &[], StatsBy::Person, from, to);
        let mut one_by_one: std::collections::BTreeMap<String, Tally> = std::collections::BTreeMap::new();
        let mut total = Tally::default();
        for l in &lines {
            let facts = kpi_facts_of(&l.borrowed());
            one_by_one.entry(l.reporter.to_string()).or_default().add(&facts, Period::new(from, to));
            total.add(&facts, Period::new(from, to));
        }
        assert_eq!(chunked.total, total.kpi());
        let expected: Vec<(String, Kpi)> =
            one_by_one.into_iter().map(|(k, t)| (k, t.kpi())).filter(|(_, k)| *k != Kpi::default()).collect();
        let got: Vec<(String, Kpi)> = chunked.groups.into_iter().map(|g| (g.key, g.kpi)).collect();
        assert_eq!(got, expected);
    }
}
