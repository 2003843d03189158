//! The case (隐患) closed loop of SPEC §5 as a pure function: given a case's
//! facts, an action and who is acting, either the new state or a refusal
//! that says why (wrong state → the allowed actions; wrong person → who may).
//!
//! One engine serves safety hazards, environmental hazards and river problems.
//! The flow follows GB/T 30428: report → register (立案) → dispatch (派遣) →
//! submit fix (处理反馈) → sign-off (验收销号) or rework (返工).

use serde::{Deserialize, Serialize};

use crate::domain::access::Scope;
use crate::domain::people::Role;
use crate::error::Msg;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// 上报: filed, not yet accepted by the town office.
    Reported,
    /// 立案: accepted.
    Registered,
    /// 派遣: a responsible party has a rectification notice and a deadline.
    Dispatched,
    /// 处理反馈: the fix is reported, awaiting sign-off.
    Submitted,
    /// 结案: signed off.
    Closed,
    /// 注销: dropped at registration.
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 6] =
        [Self::Reported, Self::Registered, Self::Dispatched, Self::Submitted, Self::Closed, Self::Cancelled];

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Registered => "registered",
            Self::Dispatched => "dispatched",
            Self::Submitted => "submitted",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Reported => "已上报",
            Self::Registered => "已立案",
            Self::Dispatched => "整改中",
            Self::Submitted => "待验收",
            Self::Closed => "已销号",
            Self::Cancelled => "已注销",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still in the loop (not closed or cancelled).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Cancelled)
    }
}

/// What a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// 安全生产隐患.
    Safety,
    /// 环境问题.
    Environment,
    /// 河湖问题.
    River,
}

impl Kind {
    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Environment => "environment",
            Self::River => "river",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Safety, Self::Environment, Self::River].into_iter().find(|k| k.as_str() == text)
    }
}

/// How serious a hazard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// 一般隐患.
    General,
    /// 重大隐患: needs the 五落实 plan, a town expert, and a transfer to the county.
    Major,
}

impl Grade {
    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Major => "major",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::General, Self::Major].into_iter().find(|g| g.as_str() == text)
    }
}

/// Every action of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// 立案.
    Register,
    /// 注销 (needs a reason).
    Cancel,
    /// 派遣 (responsible party, measures, deadline; the plan for a major hazard).
    Dispatch,
    /// 处理反馈 (after-photos and what was done).
    Submit,
    /// 验收销号 (a comment).
    Approve,
    /// 返工 (a reason).
    Return,
    /// 延期 (new deadline and reason, before the old deadline).
    Extend,
    /// 移送 (the receiving department).
    Transfer,
    /// 挂牌督办.
    Supervise,
    /// 取消督办.
    Unsupervise,
    /// 重新打开 (a reason: the fix did not hold).
    Reopen,
    /// 移交河道警长 (a river case as a law-enforcement lead, 涉河违法线索).
    Refer,
    /// 警长处置 (the police chief's outcome: 立案 / 劝离 / 移交).
    Outcome,
}

impl Action {
    /// Every action.
    pub const ALL: [Self; 13] = [
        Self::Register,
        Self::Cancel,
        Self::Dispatch,
        Self::Submit,
        Self::Approve,
        Self::Return,
        Self::Extend,
        Self::Transfer,
        Self::Supervise,
        Self::Unsupervise,
        Self::Reopen,
        Self::Refer,
        Self::Outcome,
    ];

    /// Whether the action moves the case along the loop (register, cancel,
    /// dispatch, submit, sign off or return, the police outcome): what the
    /// home page counts as work waiting for someone. Supervision, extension,
    /// transfer and reopening are the office's choices, not waiting work.
    pub fn moves_on(self) -> bool {
        matches!(
            self,
            Self::Register
                | Self::Cancel
                | Self::Dispatch
                | Self::Submit
                | Self::Approve
                | Self::Return
                | Self::Outcome
        )
    }

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Cancel => "cancel",
            Self::Dispatch => "dispatch",
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::Return => "return",
            Self::Extend => "extend",
            Self::Transfer => "transfer",
            Self::Supervise => "supervise",
            Self::Unsupervise => "unsupervise",
            Self::Reopen => "reopen",
            Self::Refer => "refer",
            Self::Outcome => "outcome",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Register => "立案",
            Self::Cancel => "注销",
            Self::Dispatch => "派遣",
            Self::Submit => "提交整改",
            Self::Approve => "验收销号",
            Self::Return => "返工",
            Self::Extend => "延期",
            Self::Transfer => "移送",
            Self::Supervise => "挂牌督办",
            Self::Unsupervise => "取消督办",
            Self::Reopen => "重新打开",
            Self::Refer => "移交河道警长",
            Self::Outcome => "警长处置",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// What the rules need to know about a case.
#[expect(clippy::struct_excessive_bools, reason = "each flag is a separate fact the rules read")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// Current status.
    pub status: Status,
    /// Kind.
    pub kind: Kind,
    /// Grade.
    pub grade: Grade,
    /// Who filed it (never its verifier).
    pub reporter: i64,
    /// The village grid.
    pub grid: String,
    /// The enterprise concerned, if any.
    pub enterprise: Option<i64>,
    /// The snapped reach (river cases).
    pub reach: Option<String>,
    /// The reach's river.
    pub river: Option<String>,
    /// The 五落实 plan is on record.
    pub has_plan: bool,
    /// Handed to the county department (移送).
    pub transferred: bool,
    /// Under supervision (挂牌督办).
    pub supervised: bool,
    /// Current deadline (YYYY-MM-DD), once dispatched.
    pub deadline: Option<String>,
    /// Referred to the river police chief.
    pub referred: bool,
    /// The police chief has recorded an outcome.
    pub outcome_recorded: bool,
}

/// Who is acting, as far as the rules care.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The person's id.
    pub person: i64,
    /// Their resolved scope.
    pub scope: &'a Scope,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not possible in this state: these actions are (for this actor).
    WrongState {
        /// What this actor may do now.
        allowed: Vec<Action>,
    },
    /// Possible, but not by this person.
    NotPermitted(Msg),
    /// Possible for this person, but a rule blocks it now.
    Blocked(Msg),
}

/// The accepted outcome of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
}

fn target(status: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    Some(match (status, action) {
        (S::Reported, A::Register) => S::Registered,
        (S::Reported, A::Cancel) => S::Cancelled,
        (S::Registered, A::Dispatch)
        | (S::Submitted, A::Return)
        | (S::Dispatched, A::Extend)
        | (S::Closed, A::Reopen) => S::Dispatched,
        (S::Dispatched, A::Submit) => S::Submitted,
        (S::Submitted, A::Approve) => S::Closed,
        (s, A::Transfer | A::Supervise | A::Unsupervise | A::Refer) if s.is_open() => s,
        (s, A::Outcome) if s != S::Cancelled => s,
        _ => return None,
    })
}

/// Whether `actor` may approve or return this case (ignoring the finder rule).
pub fn is_verifier(actor: Actor<'_>, case: &CaseFacts) -> bool {
    let scope = actor.scope;
    match case.kind {
        Kind::River => {
            case.reach.as_ref().is_some_and(|r| scope.reaches.contains(r))
                || case.river.as_ref().is_some_and(|r| scope.chief_rivers.contains(r))
        }
        _ if case.grade == Grade::Major || case.enterprise.is_none() => scope.has(Role::TownExpert),
        _ => case.enterprise.is_some_and(|e| scope.hired_by.contains(&e)),
    }
}

fn permitted(actor: Actor<'_>, case: &CaseFacts, action: Action) -> Result<(), Msg> {
    let scope = actor.scope;
    let inspector = scope.inspector_grids.contains(&case.grid);
    let ok = match action {
        Action::Register
        | Action::Cancel
        | Action::Extend
        | Action::Transfer
        | Action::Supervise
        | Action::Unsupervise
        | Action::Reopen => scope.admin,
        Action::Dispatch => scope.admin || inspector,
        Action::Submit => scope.admin || inspector || case.enterprise.is_some_and(|e| scope.contact_of.contains(&e)),
        Action::Refer => case.kind == Kind::River && (scope.admin || is_verifier(actor, case)),
        Action::Outcome => {
            scope.has(Role::RiverPolice) && case.river.as_ref().is_some_and(|r| scope.rivers.contains(r))
        }
        Action::Approve | Action::Return => {
            if actor.person == case.reporter {
                return Err(Msg::new("发现人不能验收自己上报的隐患", "the finder never verifies their own report"));
            }
            is_verifier(actor, case)
        }
    };
    if ok {
        Ok(())
    } else {
        let who = match action {
            Action::Dispatch => ("镇管理员或本网格网格员", "the town office or the grid's inspector"),
            Action::Submit => (
                "镇管理员、本网格网格员或该企业联系人",
                "the town office, the grid's inspector or the enterprise's contact",
            ),
            Action::Refer => {
                ("镇管理员或该河段河长（仅限河道案件）", "the town office or the reach's chief (river cases only)")
            }
            Action::Outcome => ("该河流的河道警长", "the river's police chief"),
            Action::Approve | Action::Return => match case.kind {
                Kind::River => ("该河段的河长或镇级河长", "the reach's chief or the river's town-level chief"),
                _ if case.grade == Grade::Major || case.enterprise.is_none() => ("镇级专家", "a town expert"),
                _ => ("该企业聘请的安全专家", "the enterprise's hired expert"),
            },
            _ => ("镇管理员", "the town office"),
        };
        Err(Msg::new(
            format!("“{}”只能由{}执行", action.zh(), who.0),
            format!("{} may only be done by {}", action.as_str(), who.1),
        ))
    }
}

fn blocked(case: &CaseFacts, action: Action, today: &str) -> Option<Msg> {
    match action {
        Action::Approve if case.grade == Grade::Major && !case.transferred => Some(Msg::new(
            "重大隐患须先移送县级主管部门，才能验收销号",
            "a major hazard must be transferred to the county department before it can be closed",
        )),
        Action::Extend if case.deadline.as_deref().is_some_and(|d| today > d) => Some(Msg::new(
            "已超过整改期限，不能再申请延期",
            "the deadline has passed; an extension must be asked before it",
        )),
        Action::Transfer if case.transferred => Some(Msg::new("该隐患已移送", "the case has already been transferred")),
        Action::Refer if case.referred => {
            Some(Msg::new("该案件已移交河道警长", "the case has already been referred to the police chief"))
        }
        Action::Outcome if !case.referred => {
            Some(Msg::new("该案件未移交河道警长", "the case has not been referred to the police chief"))
        }
        Action::Outcome if case.outcome_recorded => {
            Some(Msg::new("河道警长已记录处置结果", "the police chief has already recorded an outcome"))
        }
        Action::Supervise if case.supervised => Some(Msg::new("该隐患已挂牌督办", "the case is already supervised")),
        Action::Unsupervise if !case.supervised => Some(Msg::new("该隐患未挂牌督办", "the case is not supervised")),
        Action::Dispatch if case.grade == Grade::Major && !case.has_plan => Some(Msg::new(
            "重大隐患派遣前须填写“五落实”整改方案",
            "a major hazard needs its treatment plan (五落实) before dispatch",
        )),
        _ => None,
    }
}

/// The actions `actor` may take on `case` today.
pub fn allowed(actor: Actor<'_>, case: &CaseFacts, today: &str) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| {
            target(case.status, a).is_some()
                && permitted(actor, case, a).is_ok()
                && (blocked(case, a, today).is_none() || a == Action::Dispatch)
        })
        .collect()
}

/// Decides one action. `case.has_plan` must already reflect a plan sent with a dispatch.
pub fn decide(actor: Actor<'_>, case: &CaseFacts, action: Action, today: &str) -> Result<Transition, Refusal> {
    let Some(to) = target(case.status, action) else {
        return Err(Refusal::WrongState { allowed: allowed(actor, case, today) });
    };
    permitted(actor, case, action).map_err(Refusal::NotPermitted)?;
    if let Some(reason) = blocked(case, action, today) {
        return Err(Refusal::Blocked(reason));
    }
    Ok(Transition { from: case.status, to })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn case(status: Status) -> CaseFacts {
        CaseFacts {
            status,
            kind: Kind::Safety,
            grade: Grade::General,
            reporter: 10,
            grid: "TF0101".into(),
            enterprise: Some(7),
            reach: None,
            river: None,
            has_plan: false,
            transferred: false,
            supervised: false,
            deadline: Some("2026-12-31".into()),
            referred: false,
            outcome_recorded: false,
        }
    }

    fn scope(roles: &[Role]) -> Scope {
        let mut scope = Scope { roles: roles.iter().copied().collect(), ..Scope::default() };
        scope.admin = roles.contains(&Role::Admin);
        if roles.contains(&Role::Inspector) {
            scope.inspector_grids = BTreeSet::from(["TF0101".to_owned()]);
        }
        if roles.contains(&Role::EnterpriseExpert) {
            scope.hired_by = BTreeSet::from([7]);
        }
        if roles.contains(&Role::EnterpriseContact) {
            scope.contact_of = BTreeSet::from([7]);
            scope.enterprises = BTreeSet::from([7]);
        }
        scope
    }

    #[test]
    fn the_enterprise_contact_reports_the_fix_of_their_own_enterprise_only() {
        let contact = scope(&[Role::EnterpriseContact]);
        let actor = Actor { person: 5, scope: &contact };
        let dispatched = case(Status::Dispatched);
        assert_eq!(allowed(actor, &dispatched, "2026-11-28"), [Action::Submit]);
        assert_eq!(decide(actor, &dispatched, Action::Submit, "2026-11-28").unwrap().to, Status::Submitted);
        let elsewhere = CaseFacts { enterprise: Some(8), ..dispatched.clone() };
        assert!(allowed(actor, &elsewhere, "2026-11-28").is_empty());
        assert!(matches!(decide(actor, &elsewhere, Action::Submit, "2026-11-28"), Err(Refusal::NotPermitted(_))));
        for status in [Status::Reported, Status::Registered, Status::Submitted, Status::Closed] {
            assert!(allowed(actor, &case(status), "2026-11-28").is_empty(), "{status:?}");
        }
        for action in [Action::Register, Action::Cancel] {
            let refused = decide(actor, &case(Status::Reported), action, "2026-11-28");
            assert!(matches!(refused, Err(Refusal::NotPermitted(_))), "{action:?}");
        }
        let refused = decide(actor, &case(Status::Registered), Action::Dispatch, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::NotPermitted(_))));
        let refused = decide(actor, &case(Status::Submitted), Action::Approve, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::NotPermitted(_))));
    }

    #[test]
    fn a_wrong_state_names_what_is_allowed() {
        let admin = scope(&[Role::Admin]);
        let actor = Actor { person: 1, scope: &admin };
        let refused = decide(actor, &case(Status::Reported), Action::Approve, "2026-11-28").unwrap_err();
        assert_eq!(
            refused,
            Refusal::WrongState {
                allowed: vec![Action::Register, Action::Cancel, Action::Transfer, Action::Supervise]
            }
        );
    }

    #[test]
    fn the_hired_expert_approves_a_general_hazard_but_never_their_own_report() {
        let expert = scope(&[Role::EnterpriseExpert]);
        let submitted = case(Status::Submitted);
        let t = decide(Actor { person: 2, scope: &expert }, &submitted, Action::Approve, "2026-11-28").unwrap();
        assert_eq!(t.to, Status::Closed);
        let own = CaseFacts { reporter: 2, ..submitted.clone() };
        let refused = decide(Actor { person: 2, scope: &expert }, &own, Action::Approve, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::NotPermitted(_))));
        let town = scope(&[Role::TownExpert]);
        let refused = decide(Actor { person: 3, scope: &town }, &submitted, Action::Approve, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::NotPermitted(_))), "a town expert does not sign general hazards");
    }

    #[test]
    fn a_major_hazard_needs_a_plan_a_town_expert_and_a_transfer() {
        let admin = scope(&[Role::Admin]);
        let major = CaseFacts { grade: Grade::Major, ..case(Status::Registered) };
        let refused = decide(Actor { person: 1, scope: &admin }, &major, Action::Dispatch, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::Blocked(_))));
        let planned = CaseFacts { has_plan: true, ..major };
        assert!(decide(Actor { person: 1, scope: &admin }, &planned, Action::Dispatch, "2026-11-28").is_ok());
        let submitted = CaseFacts { status: Status::Submitted, ..planned };
        let town = scope(&[Role::TownExpert]);
        let refused = decide(Actor { person: 3, scope: &town }, &submitted, Action::Approve, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::Blocked(_))));
        let transferred = CaseFacts { transferred: true, ..submitted };
        assert!(decide(Actor { person: 3, scope: &town }, &transferred, Action::Approve, "2026-11-28").is_ok());
        let hired = scope(&[Role::EnterpriseExpert]);
        let refused = decide(Actor { person: 4, scope: &hired }, &transferred, Action::Approve, "2026-11-28");
        assert!(matches!(refused, Err(Refusal::NotPermitted(_))));
    }

    #[test]
    fn an_extension_is_asked_before_the_deadline() {
        let admin = scope(&[Role::Admin]);
        let dispatched = case(Status::Dispatched);
        assert!(decide(Actor { person: 1, scope: &admin }, &dispatched, Action::Extend, "2026-12-31").is_ok());
        let late = decide(Actor { person: 1, scope: &admin }, &dispatched, Action::Extend, "2027-01-01");
        assert!(matches!(late, Err(Refusal::Blocked(_))));
    }
}
