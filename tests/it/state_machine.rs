//! The closed loop of SPEC §5, checked against a second, independent copy of
//! its table.
//!
//! [`Model`] below restates who may do what from which state and what each
//! action requires, plainly and without calling the production rules. Random
//! sequences of actions by every role (with fields left out, stale versions and
//! a clock moved past the deadline) run through the real service and store;
//! every outcome, accepted or refused, must be the one the model predicts, a
//! refused action must leave the case and its audit log exactly as they were,
//! and enough sequences must reach `closed` that the happy path is exercised.
//!
//! proptest takes its seed from `PROPTEST_RNG_SEED` (`.ci/run` fixes it, so a
//! CI failure reproduces) and is random otherwise.

use gridsafe::domain::access::Scope;
use gridsafe::error::Error;
use gridsafe::service::accounts::{self, Actor, AssignmentInput};
use gridsafe::service::cases::{self, ActionInput, CaseInput, Plan};
use gridsafe::service::geography;
use gridsafe::spatial::Maps;
use gridsafe::store;
use gridsafe::store::enterprises::EnterpriseFields;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rusqlite::Connection;

use crate::helpers::{NOW, fixture_text};

/// After every deadline the test sets (2030-01-01 + at most 60 days): 2031-05-30 08:00 China time.
const LATE: i64 = 1_937_836_800;

/// The people of the test world, by index into `World::actors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// 镇管理员, the town office.
    Admin,
    /// 网格员 of 西村 (T0101), where every case lies.
    Inspector,
    /// The safety expert hired by enterprise 1 (in T0101).
    HiredExpert,
    /// A town expert.
    TownExpert,
    /// 网格员 of 东村 (T0103): no case is theirs.
    OtherInspector,
    /// Village-level river chief of the reach r1-T0101.
    ReachChief,
    /// Town-level river chief of r1.
    TownChief,
    /// River police chief of r1.
    Police,
    /// 包靠干部 of enterprise 1.
    Cadre,
    /// 企业联系人 of enterprise 1.
    Contact,
}

const PEOPLE: [Who; 10] = [
    Who::Admin,
    Who::Inspector,
    Who::HiredExpert,
    Who::TownExpert,
    Who::OtherInspector,
    Who::ReachChief,
    Who::TownChief,
    Who::Police,
    Who::Cadre,
    Who::Contact,
];

/// The actions, as SPEC §5 names them.
const ACTIONS: [&str; 13] = [
    "register",
    "cancel",
    "dispatch",
    "submit",
    "approve",
    "return",
    "extend",
    "transfer",
    "supervise",
    "unsupervise",
    "reopen",
    "refer",
    "outcome",
];

/// What the model expects of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Accepted; the case is now in this state.
    To(&'static str),
    /// 404: the case is outside the caller's scope.
    NotFound,
    /// 412: the If-Match version is stale.
    Stale,
    /// 409 with the allowed actions: impossible in this state.
    WrongState,
    /// 403: possible, but not for this person.
    Forbidden,
    /// 409: a rule blocks it now (no plan, not transferred, past the deadline, already done).
    Blocked,
    /// 400 naming the field that is missing or wrong.
    Invalid(&'static str),
}

/// A case as the model sees it.
#[derive(Debug, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "each flag is a separate fact of the case")]
struct Model {
    status: &'static str,
    river: bool,
    major: bool,
    enterprise: bool,
    reporter: Who,
    plan: bool,
    transferred: bool,
    supervised: bool,
    referred: bool,
    outcome: bool,
    deadline: Option<String>,
    reworks: i64,
    extensions: i64,
}

/// One generated step: the action, who takes it, and what goes wrong with it.
#[derive(Debug, Clone)]
struct Step {
    action: &'static str,
    who: Who,
    /// Leave out this required field (an index into the action's list, if any).
    omit: Option<usize>,
    /// Send an outdated If-Match version.
    stale: bool,
    /// Act at [`LATE`], after every deadline.
    late: bool,
}

impl Model {
    fn open(&self) -> bool {
        !matches!(self.status, "closed" | "cancelled")
    }

    /// SPEC §7: who may read the case at all (everyone else gets 404).
    fn readable_by(&self, who: Who) -> bool {
        who == self.reporter
            || match who {
                Who::Admin | Who::TownExpert | Who::Inspector => true, // every case lies in T0101
                Who::HiredExpert | Who::Cadre | Who::Contact => self.enterprise,
                Who::ReachChief | Who::TownChief | Who::Police => self.river,
                Who::OtherInspector => false,
            }
    }

    /// SPEC §5: the state an action leads to from the current one, if any.
    fn target(&self, action: &str) -> Option<&'static str> {
        match (self.status, action) {
            ("reported", "register") => Some("registered"),
            ("reported", "cancel") => Some("cancelled"),
            ("registered", "dispatch") | ("submitted", "return") | ("dispatched", "extend") | ("closed", "reopen") => {
                Some("dispatched")
            }
            ("dispatched", "submit") => Some("submitted"),
            ("submitted", "approve") => Some("closed"),
            (s, "transfer" | "supervise" | "unsupervise" | "refer") if self.open() => Some(s),
            // The police record an outcome for a referred lead even once the case is closed.
            (s, "outcome") if s != "cancelled" => Some(s),
            _ => None,
        }
    }

    /// SPEC §5 "who": the verifier of a fix.
    fn verifies(&self, who: Who) -> bool {
        if self.river {
            matches!(who, Who::ReachChief | Who::TownChief)
        } else if self.major || !self.enterprise {
            who == Who::TownExpert
        } else {
            who == Who::HiredExpert
        }
    }

    /// SPEC §5 "who" column.
    fn permitted(&self, action: &str, who: Who) -> bool {
        match action {
            "register" | "cancel" | "extend" | "transfer" | "supervise" | "unsupervise" | "reopen" => who == Who::Admin,
            "dispatch" => matches!(who, Who::Admin | Who::Inspector),
            // The enterprise's contact reports the fix of their own enterprise's case.
            "submit" => matches!(who, Who::Admin | Who::Inspector) || (who == Who::Contact && self.enterprise),
            "approve" | "return" => who != self.reporter && self.verifies(who),
            "refer" => self.river && (who == Who::Admin || self.verifies(who)),
            "outcome" => self.river && who == Who::Police,
            other => panic!("unknown action {other}"),
        }
    }

    /// The rules that block a permitted action for now.
    fn blocked(&self, action: &str, plan_sent: bool, today: &str) -> bool {
        match action {
            "dispatch" => self.major && !self.plan && !plan_sent,
            "approve" => self.major && !self.transferred,
            "extend" => self.deadline.as_deref().is_some_and(|d| today > d),
            "transfer" => self.transferred,
            "supervise" => self.supervised,
            "unsupervise" => !self.supervised,
            "refer" => self.referred,
            "outcome" => !self.referred || self.outcome,
            _ => false,
        }
    }

    /// What the model expects of `step` with its payload, today being `today`.
    fn expect(&self, step: &Step, payload: &ActionInput, today: &str) -> Outcome {
        if !self.readable_by(step.who) {
            return Outcome::NotFound;
        }
        if step.stale {
            return Outcome::Stale;
        }
        let Some(to) = self.target(step.action) else { return Outcome::WrongState };
        if !self.permitted(step.action, step.who) {
            return Outcome::Forbidden;
        }
        if self.blocked(step.action, payload.plan.is_some(), today) {
            return Outcome::Blocked;
        }
        if let Some(field) = missing(step.action, payload, self.deadline.as_deref(), today) {
            return Outcome::Invalid(field);
        }
        Outcome::To(to)
    }

    /// What the model's allowed list holds for `who` today.
    fn allowed(&self, who: Who, today: &str) -> Vec<String> {
        ACTIONS
            .iter()
            .filter(|a| {
                self.target(a).is_some()
                    && self.permitted(a, who)
                    // A dispatch without a plan is offered: the plan comes with it.
                    && (!self.blocked(a, false, today) || **a == "dispatch")
            })
            .map(|a| (*a).to_owned())
            .collect()
    }

    /// Applies an accepted step.
    fn apply(&mut self, step: &Step, payload: &ActionInput, to: &'static str) {
        match step.action {
            "dispatch" => {
                self.deadline.clone_from(&payload.deadline);
                self.plan |= payload.plan.is_some();
            }
            "extend" => {
                self.deadline.clone_from(&payload.deadline);
                self.extensions += 1;
            }
            "return" => self.reworks += 1,
            "transfer" => self.transferred = true,
            "supervise" => self.supervised = true,
            "unsupervise" => self.supervised = false,
            "refer" => self.referred = true,
            "outcome" => self.outcome = true,
            _ => {}
        }
        self.status = to;
    }
}

/// SPEC §5 "requires": the fields each action needs, in the order they are checked.
fn required(action: &str) -> &'static [&'static str] {
    match action {
        "cancel" | "return" | "reopen" | "refer" => &["reason"],
        "dispatch" => &["responsible", "measures", "deadline"],
        "submit" => &["photos", "description"],
        "approve" => &["comment"],
        "extend" => &["deadline", "reason"],
        "transfer" => &["department"],
        "outcome" => &["outcome"],
        _ => &[],
    }
}

/// The first required field the payload lacks or gets wrong, if any.
fn missing(action: &str, p: &ActionInput, deadline: Option<&str>, today: &str) -> Option<&'static str> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
    for &field in required(action) {
        let absent = match field {
            "reason" => blank(&p.reason),
            "responsible" => blank(&p.responsible),
            "measures" => blank(&p.measures),
            "deadline" => blank(&p.deadline),
            "description" => blank(&p.description),
            "comment" => blank(&p.comment),
            "department" => blank(&p.department),
            "photos" => p.photos.is_empty(),
            "outcome" => !matches!(p.outcome.as_deref(), Some("filed" | "dispersed" | "handed_over")),
            other => panic!("unknown field {other}"),
        };
        if absent {
            return Some(field);
        }
        // A dispatch deadline is not in the past; an extension moves it later.
        let new = p.deadline.as_deref().unwrap_or_default();
        if field == "deadline"
            && ((action == "dispatch" && new < today) || (action == "extend" && deadline.is_some_and(|d| new <= d)))
        {
            return Some("deadline");
        }
    }
    None
}

/// The full payload of a step (every field any action may need), less the omitted one.
fn payload(step: &Step, photo: &str, n: usize) -> ActionInput {
    let mut p = ActionInput {
        action: step.action.into(),
        comment: Some("意见".into()),
        reason: Some("原因".into()),
        responsible: Some("责任单位".into()),
        measures: Some("措施".into()),
        // Later with every step, so an extension always moves the deadline on.
        deadline: Some(gridsafe::domain::time::format_date(
            gridsafe::domain::time::days_from_civil(2030, 1, 1) + n as i64,
        )),
        plan: Some(Plan {
            responsible_person: "甲".into(),
            measures: "乙".into(),
            funds: "丙".into(),
            deadline: "2030-12-31".into(),
            contingency: "丁".into(),
        }),
        photos: vec![photo.to_owned()],
        description: Some("已整改".into()),
        department: Some("县应急管理局".into()),
        outcome: Some("filed".into()),
    };
    if let Some(i) = step.omit {
        let fields = required(step.action);
        if !fields.is_empty() {
            match fields[i % fields.len()] {
                "reason" => p.reason = None,
                "responsible" => p.responsible = Some("  ".into()),
                "measures" => p.measures = None,
                "deadline" => p.deadline = None,
                "description" => p.description = None,
                "comment" => p.comment = Some(String::new()),
                "department" => p.department = None,
                "photos" => p.photos.clear(),
                "outcome" => p.outcome = Some("arrested".into()),
                other => panic!("unknown field {other}"),
            }
        }
    }
    // The plan is part of a dispatch's payload only sometimes (n odd), so a
    // major hazard is dispatched both with and without one.
    if n.is_multiple_of(2) {
        p.plan = None;
    }
    p
}

/// The next action on the way to sign-off (so sequences move on).
fn happy(m: &Model) -> &'static str {
    match m.status {
        "registered" => "dispatch",
        "dispatched" => "submit",
        "submitted" if m.major && !m.transferred => "transfer",
        "submitted" => "approve",
        "closed" => "reopen",
        // Reported (and, as a wrong state, cancelled).
        _ => "register",
    }
}

/// Someone the model says may take `action` on `m` (so sequences move on).
fn rightful(m: &Model, action: &str) -> Who {
    PEOPLE.into_iter().find(|w| m.permitted(action, *w)).unwrap_or(Who::Admin)
}

struct World {
    _dir: tempfile::TempDir,
    conn: Connection,
    maps: Maps,
    actors: Vec<Actor>,
    photo: String,
}

impl World {
    fn actor(&self, who: Who) -> &Actor {
        &self.actors[PEOPLE.iter().position(|w| *w == who).expect("a person of the world")]
    }
}

/// The fixture town (T → T01 → T0101..T0103, the river r1 across it), one
/// enterprise in T0101 and the ten people of [`Who`].
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let conn = store::open_migrated(&dir.path().join("p.db")).unwrap();
    geography::import_grids(&conn, &fixture_text("grids_valid.geojson"), "fixture").unwrap();
    geography::import_rivers(&conn, &fixture_text("rivers_three_squares.geojson"), "fixture").unwrap();
    let maps = geography::load_maps(&conn).unwrap();
    let fields = EnterpriseFields {
        name: "测试厂".into(),
        uscc: None,
        uscc_override: None,
        address: String::new(),
        lon: 118.605,
        lat: 36.709,
        grid_code: "T0101".into(),
        industry: "机械".into(),
        above_scale: true,
        key: true,
        contact_name: None,
        contact_phone: None,
        demo: false,
    };
    store::enterprises::insert(&conn, &fields, "now").unwrap();
    let hash = accounts::hash_password("a-long-password").unwrap();
    // (username, role, scope, duty, chief level)
    let people: [[&str; 5]; 10] = [
        ["admin", "admin", "T", "", ""],
        ["insp", "inspector", "T0101", "safety", ""],
        ["hired", "enterprise_expert", "1", "", ""],
        ["town", "town_expert", "T", "", ""],
        ["other", "inspector", "T0103", "safety", ""],
        ["reach", "river_chief", "r1-T0101", "", "village"],
        ["chief", "river_chief", "r1", "", "town"],
        ["police", "river_police", "r1", "", ""],
        ["cadre", "cadre", "1", "", ""],
        ["contact", "enterprise_contact", "1", "", ""],
    ];
    let mut actors = Vec::new();
    for [username, role, scope, duty, level] in people {
        let new = store::people::NewPerson {
            username: username.into(),
            name: username.into(),
            phone: None,
            password_hash: hash.clone(),
            demo: false,
        };
        let person = store::people::insert(&conn, &new, "now").unwrap();
        let assignment = AssignmentInput {
            username: username.into(),
            role: role.into(),
            scope: vec![scope.into()],
            duty: (!duty.is_empty()).then(|| duty.to_owned()),
            level: (!level.is_empty()).then(|| level.to_owned()),
            specialty: None,
            from: Some("2026-01-01".into()),
            to: None,
        };
        let a = accounts::create_assignment(&conn, &maps, &assignment, NOW).unwrap();
        let scope = Scope::resolve(std::slice::from_ref(&a), |code| maps.descendants(code));
        actors.push(Actor { person, assignments: vec![a], scope });
    }
    let photo = gridsafe::service::media::prepare(&crate::cases::png(1)).unwrap();
    store::media::insert(&conn, &photo, 1, "now").unwrap();
    World { _dir: dir, conn, maps, actors, photo: photo.id }
}

/// A case filed by `reporter`: a river problem on r1 in T0101, or a safety
/// hazard 440 m from the river, at enterprise 1 or at none.
fn file(w: &World, reporter: Who, river: bool, major: bool, enterprise: bool) -> (String, Model) {
    let input = CaseInput {
        kind: if river { "river" } else { "safety" }.into(),
        category: if river { "R-P01" } else { "S-F01" }.into(),
        grade: if major { "major" } else { "general" }.into(),
        criterion: Some("判定标准第一条".into()),
        title: "隐患".into(),
        description: "描述".into(),
        lon: 118.605,
        lat: if river { 36.705 } else { 36.709 },
        enterprise_id: enterprise.then_some(1),
        photos: vec![w.photo.clone()],
    };
    let filed = cases::file(&w.conn, &w.maps, w.actor(reporter), &input, NOW).unwrap();
    let model = Model {
        status: "reported",
        river,
        major,
        enterprise,
        reporter,
        plan: false,
        transferred: false,
        supervised: false,
        referred: false,
        outcome: false,
        deadline: None,
        reworks: 0,
        extensions: 0,
    };
    (filed.number, model)
}

/// The class of a production result, in the model's terms.
fn observed(result: &Result<store::cases::CaseRow, Error>) -> Outcome {
    match result {
        Ok(row) => Outcome::To(match row.status.as_str() {
            "reported" => "reported",
            "registered" => "registered",
            "dispatched" => "dispatched",
            "submitted" => "submitted",
            "closed" => "closed",
            "cancelled" => "cancelled",
            other => panic!("unknown status {other}"),
        }),
        Err(Error::NotFound(_)) => Outcome::NotFound,
        Err(Error::Stale(_)) => Outcome::Stale,
        Err(Error::Refused { .. }) => Outcome::WrongState,
        Err(Error::Forbidden(_)) => Outcome::Forbidden,
        Err(Error::Conflict(_)) => Outcome::Blocked,
        Err(Error::Invalid { field, .. }) => Outcome::Invalid(match field.as_str() {
            "reason" => "reason",
            "responsible" => "responsible",
            "measures" => "measures",
            "deadline" => "deadline",
            "description" => "description",
            "comment" => "comment",
            "department" => "department",
            "photos" => "photos",
            "outcome" => "outcome",
            other => panic!("unexpected invalid field {other}: {result:?}"),
        }),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// Everything that must not change when an action is refused.
fn snapshot(w: &World, number: &str) -> (String, usize, i64) {
    let row = store::cases::by_number(&w.conn, number).unwrap().unwrap();
    let entries = store::audit::for_case(&w.conn, row.id).unwrap().len();
    let documents: i64 = w.conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0)).unwrap();
    (serde_json::to_string(&row).unwrap(), entries, documents)
}

/// The kind of an outcome, for tallying which kinds the sequences met.
fn class(o: &Outcome) -> &'static str {
    match o {
        Outcome::To(_) => "accepted",
        Outcome::NotFound => "404",
        Outcome::Stale => "412",
        Outcome::WrongState => "409 state",
        Outcome::Forbidden => "403",
        Outcome::Blocked => "409 rule",
        Outcome::Invalid(_) => "400",
    }
}

/// Runs one generated sequence; returns the final status and the kinds of outcome met.
fn run(
    reporter: Who,
    river: bool,
    major: bool,
    enterprise: bool,
    steps: &[(usize, usize, u8)],
) -> (&'static str, Vec<&'static str>) {
    let mut met = Vec::new();
    let w = world();
    let (number, mut model) = file(&w, reporter, river, major, enterprise);
    let mut accepted = 1; // the report
    for (n, &(a, who, flags)) in steps.iter().enumerate() {
        // Indices past the table pick the next action on the happy path.
        let action = ACTIONS.get(a).copied().unwrap_or_else(|| happy(&model));
        // Half the steps are taken by someone the table names, so sequences progress.
        let who = if who < PEOPLE.len() { PEOPLE[who] } else { rightful(&model, action) };
        let step = Step {
            action,
            who,
            omit: (flags % 7 == 0).then_some(usize::from(flags / 7)),
            stale: flags % 17 == 3,
            late: flags % 11 == 5,
        };
        let now = if step.late { LATE } else { NOW };
        let today = gridsafe::domain::time::china_date(now);
        let input = payload(&step, &w.photo, n);
        let expected = model.expect(&step, &input, &today);
        let before = snapshot(&w, &number);
        let version = store::cases::by_number(&w.conn, &number).unwrap().unwrap().version;
        let if_match = step.stale.then_some(version - 1);
        let result = cases::act(&w.conn, &w.maps, w.actor(who), &number, &input, if_match, now);
        let got = observed(&result);
        assert_eq!(got, expected, "step {n}: {step:?} on {model:?}: {result:?}");
        met.push(class(&got));
        if let Err(Error::Refused { allowed, .. }) = &result {
            assert_eq!(*allowed, model.allowed(who, &today), "allowed actions for {who:?} on {model:?}");
        }
        match expected {
            Outcome::To(to) => {
                model.apply(&step, &input, to);
                accepted += 1;
            }
            _ => assert_eq!(snapshot(&w, &number), before, "refused {step:?} changed the record"),
        }
        let row = store::cases::by_number(&w.conn, &number).unwrap().unwrap();
        assert_eq!(row.status, model.status);
        assert_eq!(row.rework_count, model.reworks);
        assert_eq!(row.extension_count, model.extensions);
        assert_eq!(row.transferred_to.is_some(), model.transferred);
        assert_eq!(row.supervised, model.supervised);
        assert_eq!(row.deadline, model.deadline);
        assert_eq!(row.version, accepted);
    }
    let row = store::cases::by_number(&w.conn, &number).unwrap().unwrap();
    let entries = store::audit::for_case(&w.conn, row.id).unwrap();
    assert_eq!(entries.len() as i64, accepted, "one audit entry per accepted action");
    assert_eq!(entries[0].record.action, "report");
    // An independent walk of the chain: each entry names the hash of the one before.
    let mut stmt = w.conn.prepare("SELECT prev_hash, hash FROM audit_log ORDER BY seq").unwrap();
    let links: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(!links.is_empty());
    for pair in links.windows(2) {
        assert_eq!(pair[1].0, pair[0].1, "the chain is broken");
    }
    (model.status, met)
}

#[test]
fn random_sequences_by_every_role_follow_the_table_of_spec_5() {
    let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
    let steps = proptest::collection::vec(
        (
            // Any action, or (one time in two) the next one on the happy path.
            0..2 * ACTIONS.len(),
            0..2 * PEOPLE.len(),
            any::<u8>(),
        ),
        1..60,
    );
    let reporters = prop::sample::select(vec![Who::Admin, Who::Inspector, Who::HiredExpert, Who::TownExpert]);
    let strategy = (reporters, any::<bool>(), any::<bool>(), any::<bool>(), steps);
    // The runner takes a `Fn`: the tallies live in cells.
    let ends = std::cell::RefCell::new(std::collections::BTreeMap::<&str, usize>::new());
    let closed_river = std::cell::Cell::new(0);
    let met = std::cell::RefCell::new(std::collections::BTreeMap::<&str, usize>::new());
    runner
        .run(&strategy, |(reporter, river, major, enterprise, steps)| {
            // A hired expert files only at the enterprise that hired them; river problems have none.
            let enterprise = !river && (enterprise || reporter == Who::HiredExpert);
            let reporter = if river && reporter == Who::HiredExpert { Who::Inspector } else { reporter };
            let (end, classes) = run(reporter, river, major, enterprise, &steps);
            for c in classes {
                *met.borrow_mut().entry(c).or_default() += 1;
            }
            *ends.borrow_mut().entry(end).or_default() += 1;
            closed_river.set(closed_river.get() + usize::from(river && end == "closed"));
            Ok(())
        })
        .unwrap();
    // The happy path is not just possible but taken: sequences end closed, river ones too.
    let (ends, closed_river, met) = (ends.into_inner(), closed_river.get(), met.into_inner());
    eprintln!("sequences ended {ends:?} ({closed_river} river cases closed); outcomes {met:?}");
    // Every kind of answer was met, so none of the table's branches went untried.
    for kind in ["accepted", "404", "412", "409 state", "403", "409 rule", "400"] {
        assert!(met.get(kind).copied().unwrap_or(0) >= 3, "too few {kind} outcomes: {met:?}");
    }
    assert!(ends.get("closed").copied().unwrap_or(0) >= 5, "too few sequences reached closed: {ends:?}");
    assert!(closed_river >= 1, "no river case was closed: {ends:?}");
    assert!(ends.len() >= 4, "sequences end in too few states: {ends:?}");
}

#[test]
fn the_happy_path_closes_in_the_property_world() {
    let w = world();
    let (number, _) = file(&w, Who::Inspector, false, false, true);
    let steps =
        [("register", Who::Admin), ("dispatch", Who::Admin), ("submit", Who::Inspector), ("approve", Who::HiredExpert)];
    for (n, (action, who)) in steps.into_iter().enumerate() {
        let step = Step { action, who, omit: None, stale: false, late: false };
        let result = cases::act(&w.conn, &w.maps, w.actor(who), &number, &payload(&step, &w.photo, n), None, NOW);
        assert!(result.is_ok(), "{action}: {result:?}");
    }
    let row = store::cases::by_number(&w.conn, &number).unwrap().unwrap();
    assert_eq!(row.status, "closed");
}

#[test]
fn the_enterprise_contact_reports_the_fix_and_nothing_else() {
    let w = world();
    let (number, _) = file(&w, Who::Inspector, false, false, true);
    let take = |action: &'static str, who: Who, n: usize| {
        let step = Step { action, who, omit: None, stale: false, late: false };
        cases::act(&w.conn, &w.maps, w.actor(who), &number, &payload(&step, &w.photo, n), None, NOW)
    };
    assert!(matches!(take("register", Who::Contact, 0), Err(Error::Forbidden(_))));
    take("register", Who::Admin, 0).unwrap();
    assert!(matches!(take("dispatch", Who::Contact, 1), Err(Error::Forbidden(_))));
    take("dispatch", Who::Admin, 1).unwrap();
    assert_eq!(take("submit", Who::Contact, 2).unwrap().status, "submitted");
    for action in ["approve", "return", "transfer", "supervise"] {
        assert!(matches!(take(action, Who::Contact, 3), Err(Error::Forbidden(_))), "{action}");
    }
    // A case at no enterprise is not theirs to see.
    let (other, _) = file(&w, Who::Inspector, false, false, false);
    let step = Step { action: "register", who: Who::Contact, omit: None, stale: false, late: false };
    let refused = cases::act(&w.conn, &w.maps, w.actor(Who::Contact), &other, &payload(&step, &w.photo, 0), None, NOW);
    assert!(matches!(refused, Err(Error::NotFound(_))), "{refused:?}");
}

#[test]
fn a_river_case_is_signed_off_by_the_reach_chief_or_the_town_chief_only() {
    for verifier in [Who::ReachChief, Who::TownChief] {
        let w = world();
        let (number, _) = file(&w, Who::Inspector, true, false, false);
        let take = |action: &'static str, who: Who, n: usize| {
            let step = Step { action, who, omit: None, stale: false, late: false };
            cases::act(&w.conn, &w.maps, w.actor(who), &number, &payload(&step, &w.photo, n), None, NOW)
        };
        for (n, (action, who)) in
            [("register", Who::Admin), ("dispatch", Who::Admin), ("submit", Who::Inspector)].into_iter().enumerate()
        {
            take(action, who, n).unwrap();
        }
        for outsider in [Who::HiredExpert, Who::TownExpert, Who::Police, Who::Inspector, Who::Admin] {
            let refused = take("approve", outsider, 3).unwrap_err();
            assert!(matches!(refused, Error::Forbidden(_) | Error::NotFound(_)), "{outsider:?}: {refused:?}");
        }
        assert_eq!(take("approve", verifier, 3).unwrap().status, "closed");
    }
}
